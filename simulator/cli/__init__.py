"""The ``simlife`` command: a thin layer that parses arguments, calls the library, sets exit codes.

Exit codes: 0 success, 1 the log or scenario is non-conformant, 2 usage or unreadable input,
130 interrupted (Ctrl-C), 128 + N killed by signal N (143 SIGTERM, 129 SIGHUP). Subcommands
live in their own modules and are imported only when used, so ``simlife diagram`` does not pay
for FastAPI. ``LazyGroup.main`` is the one place where exceptions become messages and exit
codes: every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, NoReturn

import click

from simulator.io import EXIT_USAGE, InputError, guarding_inputs

# name -> "module:attribute" of a click command. One line per command.
COMMANDS: dict[str, str] = {
    "demo": "simulator.cli.demo:demo",
    "diagram": "simulator.cli.model:diagram",
    "fetch": "simulator.cli.fetch:fetch",
    "generate": "simulator.cli.generate:generate",
    "listen": "simulator.cli.listen:listen",
    "scenario": "simulator.cli.scenario:scenario",
    "schema": "simulator.cli.model:schema",
    "serve": "simulator.cli.serve:serve",
    "state": "simulator.cli.state:state",
    "stream": "simulator.cli.stream:stream",
    "validate": "simulator.cli.validate:validate",
}

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# Errors that input or options can cause deep in a library: one line, exit 2, as a last resort
# (each known cause is turned into an InputError naming its file, line or option at its root).
_INPUT_FAULTS = (OSError, ValueError, OverflowError, RecursionError, UnicodeError, MemoryError)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so temporary files are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _PipeClosed(Exception):
    """The reader of standard output went away (``| head``): not an error of ours."""


class _Interrupted(Exception):
    """Ctrl-C in a command, past click (which would add a blank line of its own)."""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None
        except OSError as exc:  # before click, which would make a closed pipe exit 1
            if exc.errno == errno.EPIPE:
                raise _PipeClosed from None
            raise

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> NoReturn:
        """Run a command; every outcome ends here as an exit code and at most one line."""
        name = "simlife"
        try:
            with guarding_inputs():  # no output of the command may replace one of its inputs
                code = super().main(args, prog_name, complete_var, standalone_mode=False,
                                    **extra)
                _flush_stdout()
        except click.UsageError as exc:
            path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
            where = " ".join([name, *path])
            _fail(f"{where}: error: {exc.format_message()} (see '{where} --help')",
                  exc.exit_code)
        except click.ClickException as exc:
            _fail(f"{name}: error: {exc.format_message()}", exc.exit_code)
        except (_Interrupted, click.Abort):  # Ctrl-C (while parsing: click's Abort)
            if sys.stderr is not None and sys.stderr.isatty():
                click.echo(err=True)  # past the terminal's "^C"
            _fail(f"{name}: interrupted", EXIT_INTERRUPTED)
        except Terminated as exc:
            _fail(f"{name}: stopped by {signal.Signals(exc.signum).name}", 128 + exc.signum)
        except InputError as exc:
            _fail(f"{name}: error: {exc}", exc.exit_code)
        except (_PipeClosed, BrokenPipeError):  # `simlife generate | head`: the reader is done
            _quiet_stdout()
            sys.exit(128 + signal.SIGPIPE)
        except _INPUT_FAULTS as exc:
            if os.environ.get("SIMLIFE_DEBUG"):
                raise
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                _quiet_stdout()
                sys.exit(128 + signal.SIGPIPE)
            what = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            _fail(f"{name}: error: {what} ({type(exc).__name__}; SIMLIFE_DEBUG=1 shows where)",
                  EXIT_USAGE)
        sys.exit(code if isinstance(code, int) else 0)


def _flush_stdout() -> None:
    """What is still buffered for standard output: a full disk is an input error too."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise InputError(f"<stdout>: cannot write: {exc.strerror or exc}") from None


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr (whatever the message holds), then exit with ``code``."""
    line = " ".join(str(message).split())
    with contextlib.suppress(OSError):  # stderr itself gone: the exit code still tells
        click.echo(line, err=True)
    _quiet_stdout()
    sys.exit(code)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simlife")
def cli() -> None:
    """Model, simulate, generate and validate the SIM and device lifecycle events of emnify.

    \b
    Exit codes: 0 success, 1 non-conformant log or failed scenario,
                2 usage error or unreadable input, 130 interrupted (Ctrl-C),
                143 stopped by SIGTERM (129 SIGHUP); temporary files are removed.
    """
    logging.getLogger("transitions").setLevel(logging.WARNING)


def _stop(signum: int, frame: FrameType | None) -> None:
    """The first SIGTERM or SIGHUP unwinds the command; more are ignored while it cleans up."""
    for other in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(other, signal.SIG_IGN)
    raise Terminated(signum)


def main() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    cli.main(prog_name="simlife")
