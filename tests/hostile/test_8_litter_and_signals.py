"""Item 8, litter: a command stopped by Ctrl-C, SIGTERM or SIGHUP exits 130, 143 or 129 with
one line, and leaves no temporary file behind (``generate``'s ``.NAME.*.tmp``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import SIMLIFE


@pytest.mark.parametrize(("signum", "code", "line"), [
    (signal.SIGINT, 130, "simlife: interrupted"),
    (signal.SIGTERM, 143, "simlife: stopped by SIGTERM"),
    (signal.SIGHUP, 129, "simlife: stopped by SIGHUP"),
])
def test_generate_stopped_midway_removes_its_temporary_file(
    tmp_path: Path, signum: int, code: int, line: str
) -> None:
    target = tmp_path / "fleet.jsonl"
    target.write_bytes(b"the previous log\n")
    proc = subprocess.Popen([str(SIMLIFE), "generate", "--sims", "2000000", "-o", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") and p.stat().st_size for p in tmp_path.iterdir()):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "generate never started writing"
            time.sleep(0.05)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code
    assert err.decode().splitlines() == [line]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.jsonl"]
    assert target.read_bytes() == b"the previous log\n"  # all or nothing: the old file stays


def test_validate_interrupted_on_a_pipe_leaves_nothing(tmp_path: Path) -> None:
    """Standard input is copied to an anonymous file: nothing to remove, even after a kill."""
    proc = subprocess.Popen([str(SIMLIFE), "validate", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
                            env={"TMPDIR": str(tmp_path), "PATH": str(Path(sys.executable).parent)})
    assert proc.stdin is not None
    proc.stdin.write(b'{"timestamp":"2025-01-01T00:00:01.000Z","id":1}\n' * 1000)
    proc.stdin.write(b'{"timestamp":"2025-01-01T00:00:00.000Z","id":2}\n')  # a step back
    proc.stdin.flush()
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err.decode().splitlines() == ["simlife: stopped by SIGTERM"]
    assert list(tmp_path.iterdir()) == []
