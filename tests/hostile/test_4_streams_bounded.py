"""Item 4, unbounded disk: gzip and standard input stream without a full copy; the copy that a
log not in time order needs is bounded (--spool-limit, a clear exit 2 past it); a gzipped array
that never closes is an error, not a memory ramp."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.io import Chunk, Limits, range_blocks
from tests.hostile.conftest import cli, simlife, unchanged

SMALL = "4K"  # far less than any log below


def _descending(fleet: bytes) -> bytes:
    return b"".join(reversed(fleet.splitlines(keepends=True)))


def _verdict(out_json: bytes) -> tuple[object, ...]:
    data = json.loads(out_json)
    return (data["events"], data["order"], data["counts_by_rule"], data["conformant"])


def test_an_ascending_gzip_log_streams_without_a_copy(tmp_path: Path, fleet: bytes) -> None:
    plain, packed = tmp_path / "log.jsonl", tmp_path / "log.jsonl.gz"
    plain.write_bytes(fleet)
    packed.write_bytes(gzip.compress(fleet))
    with unchanged(packed):
        out = cli("validate", packed, "--spool-limit", SMALL, "--format", "json")
    assert out.code == 0, out.stderr
    assert _verdict(out.stdout) == _verdict(cli("validate", plain, "--format", "json").stdout)


def test_ascending_standard_input_streams_past_the_limit(fleet: bytes) -> None:
    out = cli("validate", "-", "--spool-limit", SMALL, input=fleet)
    assert out.code == 0, out.stderr


@pytest.mark.parametrize("how", ["gzip", "stdin", "gzip stdin"])
def test_a_descending_log_needs_a_copy_within_the_limit(
    tmp_path: Path, fleet: bytes, how: str
) -> None:
    data = _descending(fleet)
    plain = tmp_path / "desc.jsonl"
    plain.write_bytes(data)
    expected = _verdict(cli("validate", plain, "--format", "json").stdout)
    packed = gzip.compress(data) if "gzip" in how else data
    source, given = ("-", packed) if "stdin" in how else (tmp_path / "desc.jsonl.gz", None)
    if given is None:
        Path(source).write_bytes(packed)
    fine = cli("validate", source, "--format", "json", input=given)
    assert fine.code == 0, fine.stderr
    assert _verdict(fine.stdout) == expected
    refused = cli("validate", source, "--spool-limit", SMALL, input=given)
    assert refused.code == 2
    line = refused.one_line()
    assert "--spool-limit" in line and "4 KiB" in line, line


def test_stream_log_from_a_pipe_is_copied_within_the_limit(fleet: bytes) -> None:
    """``stream --log`` must know the order before it sends: a pipe is copied, bounded."""
    out = cli("stream", "--to", "http://127.0.0.1:9/x", "--log", "-", "--spool-limit", SMALL,
              input=_descending(fleet))
    assert out.code == 2
    assert out.one_line() == (
        "simlife: error: <stdin>: replaying it in time order needs a temporary copy of more "
        "than 4 KiB (--spool-limit): raise the limit, or give the log as an uncompressed file")


def test_a_step_back_after_the_limit_on_standard_input_is_a_clear_error(fleet: bytes) -> None:
    lines = fleet.splitlines(keepends=True)
    late = b"".join(lines) + lines[0]  # ascending, then the first event again at the end
    out = cli("validate", "-", "--spool-limit", SMALL, input=late)
    assert out.code == 2
    assert out.one_line() == (
        "simlife: error: <stdin>: not in ascending time order, and more than 4 KiB "
        "(--spool-limit) had been read when that showed: it cannot be read again to replay it "
        "sorted; raise the limit, or sort the log first")
    within = cli("validate", "-", "--format", "json", input=late)
    assert within.code == 0  # replayed sorted: the repeated event is a duplicate delivery
    data = json.loads(within.stdout)
    assert data["order"] == "sorted"
    assert data["counts_by_rule"] == {"duplicate-delivery": 1, "time-order": 1}


def test_a_json_array_is_copied_within_the_limit(tmp_path: Path, fleet: bytes) -> None:
    array = b"[" + b",".join(fleet.splitlines()) + b"]"
    path = tmp_path / "page.json"
    path.write_bytes(array)
    assert cli("validate", path).code == 0
    out = cli("validate", path, "--spool-limit", SMALL)
    assert out.code == 2
    assert "reading a JSON array needs a temporary copy of more than 4 KiB" in out.one_line()


def _gzip_stream(parts: Iterator[bytes]) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    out = [packer.compress(p) for p in parts]
    return b"".join(out) + packer.flush()


def test_a_gzipped_array_that_never_closes_is_an_error_in_bounded_memory(
    tmp_path: Path, fleet: bytes
) -> None:
    """``[``, two events, then 256 MB of spaces: held whole, that text alone is 256 MB."""
    first, second = fleet.splitlines()[:2]
    path = tmp_path / "open.json.gz"
    path.write_bytes(_gzip_stream(iter([b"[" + first + b",\n" + second + b",",
                                        *([b" " * (1 << 20)] * 256)])))
    assert path.stat().st_size < 2 << 20
    with unchanged(path):
        out = simlife("validate", path, "--format", "json")
    assert out.code == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["events"] == 2
    assert [v["message"] for v in data["violations"]] == [
        f"not JSON: unexpected end at column {len(second) + 2 + 256 * (1 << 20)}; rest ignored"]
    assert out.peak_kb is not None and out.peak_kb < 200 * 1024, out.peak_kb


@pytest.mark.parametrize("framing", ["jsonl", "array"])
def test_a_gzip_bomb_of_one_endless_event_stops_at_the_event_size_limit(
    tmp_path: Path, framing: str
) -> None:
    head = b'{"id": 1, "description": "' if framing == "jsonl" else b'[{"id": 1, "x": "'
    path = tmp_path / "bomb.gz"
    path.write_bytes(_gzip_stream(iter([head, *([b"x" * (1 << 20)] * 512)])))
    out = simlife("validate", path)
    assert out.code == 2
    what = "line 1" if framing == "jsonl" else "the array element on line 1"
    assert out.one_line() == (f"simlife: error: {path}: {what} is longer than 16 MiB "
                              "(--max-event-size): not an event log?")
    assert out.peak_kb is not None and out.peak_kb < 300 * 1024, out.peak_kb


def test_the_first_pass_of_jobs_reads_no_line_past_the_event_size_limit(
        tmp_path: Path, fleet: bytes) -> None:
    """``--jobs``: the first pass reads a byte range in blocks and steps over a line past
    ``--max-event-size`` unread (an empty line keeps its place, so the lines keep their
    numbers); the partitions' replay then reports it as one process does."""
    lines = fleet.splitlines(keepends=True)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(lines[:50]) + b'{"id": 1, "x": "' + b"a" * (8 << 20) + b'"}\n'
                     + b"".join(lines[50:]))
    limits = Limits(record=1 << 20, block=1 << 16)
    blocks = list(range_blocks(Chunk(str(path), 0, 0, path.stat().st_size), limits))
    assert max(map(len, blocks)) <= limits.block
    read = b"".join(blocks).split(b"\n")
    assert len(read) - 1 == len(lines) + 1 and read[50] == b""
    alone = cli("validate", path, "--max-event-size", "1MiB").one_line()
    assert alone == (f"simlife: error: {path}: line 51 is longer than 1 MiB "
                     "(--max-event-size): not an event log?")
    assert cli("validate", path, "--max-event-size", "1MiB", "--jobs", "2").one_line() == alone
