"""Helpers of the hostile suite: run ``simlife`` as a user would, and hold the answer to the
contract for bad input (spec §7, issue 13): an exit code, at most one line on stderr, never a
traceback, every input unchanged.

``cli`` runs in this process (fast); ``simlife`` runs the installed console script in a
subprocess, for what only a real process shows: signals, a full standard output, peak memory.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from simulator.cli import cli as simlife_cli
from simulator.platform import generate, write_jsonl
from tests.conftest import ROOT

SIMLIFE = Path(sys.executable).with_name("simlife")
SEEDS = ROOT / "tests" / "data" / "seed-examples.jsonl"
# Reports the child's peak RSS (kB, /proc's VmHWM) on descriptor $PEAK_FD as it exits.
_MEASURED = """
import atexit, os, sys
def _peak():
    for row in open("/proc/self/status"):
        if row.startswith("VmHWM:"):
            os.write(int(os.environ["PEAK_FD"]), row.split()[1].encode())
atexit.register(_peak)
sys.argv[0] = "simlife"
from simulator.cli import main
main()
"""


@dataclass
class Outcome:
    code: int
    stdout: bytes
    stderr: str
    peak_kb: int | None = None

    def one_line(self) -> str:
        """The one line on stderr (asserted): what the user is told."""
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def cli(*args: str | Path, input: bytes | None = None) -> Outcome:
    """``simlife ARGS`` in this process (click's runner)."""
    result = CliRunner().invoke(simlife_cli, [str(a) for a in args], input=input)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return Outcome(result.exit_code, result.stdout_bytes, result.stderr)


def simlife(*args: str | Path, stdin: bytes | Path | None = None, timeout: float = 120,
            cwd: Path | None = None, stdout: int | None = None) -> Outcome:
    """``simlife ARGS`` in a subprocess, with its peak memory."""
    read, write = os.pipe()
    source = stdin.open("rb") if isinstance(stdin, Path) else None
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURED, *map(str, args)],
            input=stdin if isinstance(stdin, bytes) else None,
            stdin=source if source is not None else (None if stdin is not None else
                                                     subprocess.DEVNULL),
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE, pass_fds=(write,), timeout=timeout, cwd=cwd,
            env={**os.environ, "NO_COLOR": "1", "PEAK_FD": str(write)},
        )
    finally:
        os.close(write)
        if source is not None:
            source.close()
    with os.fdopen(read, "rb") as peak:
        measured = peak.read()
    return Outcome(proc.returncode, proc.stdout or b"", proc.stderr.decode(errors="replace"),
                   int(measured) if measured else None)


@contextmanager
def unchanged(*paths: Path) -> Iterator[None]:
    """Every file given is byte for byte, and by time of change, the same afterwards."""
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
    yield
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data, f"{path} was changed"
        assert path.stat().st_mtime_ns == mtime, f"{path} was written to"


@pytest.fixture(scope="session")
def seeds() -> list[dict[str, object]]:
    """The platform's 13 example events, parsed."""
    return [orjson.loads(line) for line in SEEDS.read_bytes().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def fleet() -> bytes:
    """A conformant log in ascending time: 300 SIMs, about 2,600 events, 1.7 MB."""
    out = io.BytesIO()
    write_jsonl(generate(sims=300, seed=1), out)
    return out.getvalue()


def lines(*events: object) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)
