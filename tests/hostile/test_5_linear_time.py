"""Item 5, quadratic time: a line (or an array element) is gathered in time linear in its
length, however many reads it takes. Figures up to 400 MB: ``benchmarks/bench_hostile.py``.

Each case reads a 32 MB event in blocks of 256 bytes (131,072 reads). Gathered by repeated
concatenation, or parsed again after each read, that is terabytes of copying: it cannot end
within the generous limit below; gathered linearly it takes a second or two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_RUN = """
import sys
from simulator.io import Limits
from simulator.replay import validate_path
report = validate_path(sys.argv[1], limits=Limits(block=256, record=64 << 20))
print(report.events, report.errors)
"""


@pytest.mark.parametrize("framing", ["line", "array element"])
def test_a_32_mb_event_in_256_byte_reads_is_read_in_linear_time(
    tmp_path: Path, framing: str
) -> None:
    body = b'{"id": 1, "description": "' + b"x" * (32 << 20) + b'"}'
    path = tmp_path / "long.log"
    path.write_bytes(body + b"\n" if framing == "line" else b"[" + body + b"]")
    done = subprocess.run([sys.executable, "-c", _RUN, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]  # one event, malformed (no timestamp)
