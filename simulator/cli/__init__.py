"""The ``simlife`` command: a thin layer that parses arguments, calls the library, sets exit codes.

Exit codes: 0 success, 1 the log or scenario is non-conformant, 2 usage or unreadable input.
Subcommands live in their own modules and are imported only when used, so ``simlife diagram``
does not pay for FastAPI.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from simulator.io import EXIT_USAGE, InputError

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

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"simlife: error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simlife")
def cli() -> None:
    """Model, simulate, generate and validate the SIM and device lifecycle events of emnify.

    \b
    Exit codes: 0 success, 1 non-conformant log or failed scenario,
                2 usage error or unreadable input.
    """
    logging.getLogger("transitions").setLevel(logging.WARNING)


def main() -> None:
    try:
        cli(prog_name="simlife")
    except KeyboardInterrupt:
        click.echo("simlife: interrupted", err=True)
        sys.exit(130)
