"""simulator.io.logs and simulator.io.atomic: formats, order detection, input errors, bounded
memory, atomic writing."""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import sys
import tracemalloc
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.io.atomic import atomic_write
from simulator.io.errors import InputError
from simulator.io.limits import Limits
from simulator.io.logs import Malformed, Order, open_log
from simulator.io.order import fast_stamps


def ts(second: int) -> str:
    return f"2021-10-27T08:{second // 60:02d}:{second % 60:02d}.000Z"


def line(ident: int, second: int) -> bytes:
    return orjson.dumps({"timestamp": ts(second), "id": ident})


def write(tmp_path: Path, data: bytes, name: str = "log.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(path: Path | str) -> tuple[Order, list[Any]]:
    """The log's order and what it hands out: (id or value, line) pairs, Malformed as is."""
    with open_log(path) as log:
        out = [r if isinstance(r, Malformed) else (_id(r[0]), r[1]) for r in log]
        return log.order, out


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def jsonl(*pairs: tuple[int, int]) -> bytes:
    return b"".join(line(i, s) + b"\n" for i, s in pairs)


# --------------------------------------------------------------------------- formats


def test_jsonl_ascending_streams_file_order_and_skips_blank_lines(tmp_path: Path) -> None:
    data = line(1, 1) + b"\n\n  \n" + line(2, 2) + b"\r\n" + line(3, 2)  # no final newline
    order, out = read(write(tmp_path, data))
    assert order is Order.ASCENDING
    assert out == [(1, 1), (2, 4), (3, 5)]


def test_json_array_line_is_where_the_element_starts(tmp_path: Path) -> None:
    data = (b'  [\n  {"timestamp": "' + ts(1).encode() + b'",\n   "id": 1},\n\n'
            b'  {"id": 2,\n "timestamp": "' + ts(2).encode() + b'"}, ' + line(3, 3) + b"\n]\n")
    with open_log(write(tmp_path, data, "log.json")) as log:
        assert log.format == "json"
        assert log.records == 3
        assert [(r[0]["id"], r[1]) for r in log if not isinstance(r, Malformed)] == [
            (1, 2), (2, 5), (3, 6)]


def test_json_array_elements_carry_their_index_in_replay_order(tmp_path: Path) -> None:
    data = b"[" + line(1, 3) + b"," + line(2, 2) + b"," + line(3, 1) + b"]"  # newest first
    with open_log(write(tmp_path, data, "page.json")) as log:
        elements = log.elements()
        assert elements is not None
        assert [(r[0]["id"], r[1], i) for r, i in elements if not isinstance(r, Malformed)] == [
            (3, 1, 2), (2, 1, 1), (1, 1, 0)]
    with open_log(write(tmp_path, line(1, 1) + b"\n")) as log:
        assert log.elements() is None  # JSON Lines: the line says where


def test_json_arrays_in_a_row_read_as_one_log(tmp_path: Path) -> None:
    data = b"[" + line(1, 3) + b"]\n[" + line(2, 2) + b"," + line(3, 1) + b"]"
    order, out = read(write(tmp_path, data, "pages.json"))
    assert order is Order.DESCENDING
    assert out == [(3, 2), (2, 2), (1, 1)]


def test_empty_array_and_empty_file(tmp_path: Path) -> None:
    assert read(write(tmp_path, b" [ ] ", "a.json")) == (Order.ASCENDING, [])
    assert read(write(tmp_path, b"", "b.jsonl")) == (Order.ASCENDING, [])
    assert read(write(tmp_path, b"\n\n", "c.jsonl")) == (Order.ASCENDING, [])


def test_syntax_error_inside_an_array_ends_it_with_one_malformed_record(tmp_path: Path) -> None:
    data = b"[" + line(1, 1) + b",\n" + line(2, 2) + b",\n{\"id\": x}, " + line(4, 4) + b"]"
    _, out = read(write(tmp_path, data, "bad.json"))
    assert out[:2] == [(1, 1), (2, 2)]
    assert len(out) == 3
    assert isinstance(out[2], Malformed) and out[2].line == 3
    assert out[2].message.startswith("not JSON: ") and "column 8" in out[2].message


def test_missing_comma_in_an_array(tmp_path: Path) -> None:
    data = b"[" + line(1, 1) + b"\n" + line(2, 2) + b"]"
    _, out = read(write(tmp_path, data, "bad.json"))
    assert out[0] == (1, 1)
    assert isinstance(out[1], Malformed) and out[1].line == 2
    assert "expected ',' or ']'" in out[1].message


@pytest.mark.parametrize("name", ["log.jsonl", "log.jsonl.gz", "log.json.txt"])
def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path, name: str) -> None:
    plain = jsonl((1, 1), (2, 2))
    with open_log(write(tmp_path, gzip.compress(plain), name)) as log:
        assert log.gzipped
        assert [(r[0]["id"], r[1]) for r in log if not isinstance(r, Malformed)] == [
            (1, 1), (2, 2)]
    with open_log(write(tmp_path, plain, "plain.gz")) as log:
        assert not log.gzipped
        assert log.records == 2


def test_gzipped_json_array(tmp_path: Path) -> None:
    data = gzip.compress(b"[" + line(1, 2) + b",\n" + line(2, 1) + b"]")
    order, out = read(write(tmp_path, data, "x"))
    assert order is Order.DESCENDING
    assert out == [(2, 2), (1, 1)]


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("compress", [False, True])
def test_stdin_is_spooled_and_read_in_order(
    monkeypatch: pytest.MonkeyPatch, compress: bool
) -> None:
    data = jsonl((1, 3), (2, 2), (3, 1))
    monkeypatch.setattr(sys, "stdin", _Stdin(gzip.compress(data) if compress else data))
    with open_log("-") as log:
        assert log.name == "<stdin>"
        assert log.order is Order.DESCENDING
        assert [r[1] for r in log if not isinstance(r, Malformed)] == [3, 2, 1]


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    assert read(write(tmp_path, b"\xef\xbb\xbf" + jsonl((1, 1), (2, 2)))) == (
        Order.ASCENDING, [(1, 1), (2, 2)])
    data = b"\xef\xbb\xbf" + jsonl((1, 2), (2, 1))
    assert read(write(tmp_path, data, "d.jsonl")) == (Order.DESCENDING, [(2, 2), (1, 1)])
    array = b"\xef\xbb\xbf[" + line(1, 1) + b"]"
    assert read(write(tmp_path, array, "a.json")) == (Order.ASCENDING, [(1, 1)])


def test_malformed_line_is_not_fatal(tmp_path: Path) -> None:
    data = line(1, 1) + b'\n{"id": 2, oops}\n' + line(3, 3) + b"\n[1, 2]\n"
    order, out = read(write(tmp_path, data))
    assert order is Order.ASCENDING
    assert out[0] == (1, 1)
    assert out[1] == Malformed(2, "not JSON: unexpected character, expected a string key "
                                  "at column 11")
    assert out[2:] == [(3, 3), ([1, 2], 4)]


# --------------------------------------------------------------------------- order


def test_descending_log_is_replayed_exactly_reversed_ties_included(tmp_path: Path) -> None:
    data = jsonl((1, 9), (2, 5), (3, 5), (4, 5), (5, 1))
    order, out = read(write(tmp_path, data))
    assert order is Order.DESCENDING
    assert out == [(5, 5), (4, 4), (3, 3), (2, 2), (1, 1)]


def test_ascending_ties_keep_file_order(tmp_path: Path) -> None:
    order, out = read(write(tmp_path, jsonl((1, 1), (2, 5), (3, 5), (4, 5), (5, 9))))
    assert order is Order.ASCENDING
    assert [i for i, _ in out] == [1, 2, 3, 4, 5]


def test_all_ties_are_ascending(tmp_path: Path) -> None:
    order, out = read(write(tmp_path, jsonl((1, 5), (2, 5), (3, 5))))
    assert order is Order.ASCENDING
    assert [i for i, _ in out] == [1, 2, 3]


def test_neither_order_is_sorted_stably_with_a_note(tmp_path: Path) -> None:
    with open_log(write(tmp_path, jsonl((1, 5), (2, 1), (3, 5), (4, 9), (5, 1)))) as log:
        assert log.order is Order.SORTED
        assert log.order_note is not None
        assert "line 2 is earlier than line 1" in log.order_note
        assert "line 3 later than line 2" in log.order_note
        assert [(r[0]["id"], r[1]) for r in log if not isinstance(r, Malformed)] == [
            (2, 2), (5, 5), (1, 1), (3, 3), (4, 4)]


def test_order_compares_normalised_lenient_timestamps(tmp_path: Path) -> None:
    # As strings these would look unsorted; normalised they are strictly descending.
    events = [
        {"id": 1, "timestamp": "2021-01-01T02:00:00.000+0100"},   # 01:00Z
        {"id": 2, "timestamp": "2021-01-01 00:30:00"},            # 00:30Z
        {"timestamp": "2021-01-01T00:10:00.000Z", "id": 3},       # fast path
        {"alert": False, "timestamp": "2021-01-01T00:05:00Z", "id": 4},
    ]
    data = b"\n".join(orjson.dumps(e) for e in events)
    order, out = read(write(tmp_path, data))
    assert order is Order.DESCENDING
    assert [i for i, _ in out] == [4, 3, 2, 1]


def test_records_without_a_usable_timestamp_do_not_decide_the_order(tmp_path: Path) -> None:
    data = (line(1, 3) + b'\nnot json\n{"id": 2}\n{"id": 3, "timestamp": "soon"}\n'
            + line(4, 1) + b"\n")
    order, out = read(write(tmp_path, data))
    assert order is Order.DESCENDING
    assert [r.line if isinstance(r, Malformed) else r[1] for r in out] == [5, 4, 3, 2, 1]


def _reference(stamps: list[int]) -> list[int]:
    """Spec §6: ascending keeps file order, descending reverses it exactly, else stable sort."""
    index = list(range(len(stamps)))
    if all(a <= b for a, b in pairwise(stamps)):
        return index
    if all(a >= b for a, b in pairwise(stamps)):
        return index[::-1]
    return sorted(index, key=stamps.__getitem__)


@given(
    stamps=st.one_of(
        st.lists(st.integers(0, 6), max_size=30),
        st.lists(st.integers(0, 6), max_size=30).map(sorted),
        st.lists(st.integers(0, 6), max_size=30).map(lambda s: sorted(s, reverse=True)),
    ),
    blanks=st.sets(st.integers(0, 30)),
    lenient=st.sets(st.integers(0, 30)),
    block=st.sampled_from([1, 40, 100, 1 << 20]),
    array=st.booleans(),
)
def test_replay_order_matches_the_reference(
    tmp_path_factory: pytest.TempPathFactory, stamps: list[int], blanks: set[int],
    lenient: set[int], block: int, array: bool,
) -> None:
    # Lenient lines (other key order, "YYYY-MM-DD HH:MM:SS") take pass 1's slow path.
    lines = [
        orjson.dumps({"id": i, "timestamp": ts(s)[:19].replace("T", " ")}) if i in lenient
        else line(i, s)
        for i, s in enumerate(stamps)
    ]
    if array:
        data = b"[" + b",\n\n".join(lines) + b"]"
    else:
        data = b"".join(b"\n" * (i in blanks) + x + b"\n" for i, x in enumerate(lines))
    path = write(tmp_path_factory.mktemp("order"), data)
    # small blocks exercise the backward reader's seams (and the array reader's)
    with open_log(path, limits=Limits(block=block)) as log:
        got = [r[0]["id"] for r in log if not isinstance(r, Malformed)]
    assert got == _reference(stamps)


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"id": 1}\n{"id": \x00}\n', "binary data (a NUL byte) on line 2"),
        (b'{"id": 1}\n{"id": "\xff\xfe"}\n', "binary data (invalid UTF-8) on line 2"),
        (b'[{"id": 1},\n\n {"id": "\xc3"}]', "binary data (invalid UTF-8) on line 3"),
        (b"[\x00]", "binary data (a NUL byte) on line 1"),
        (gzip.compress(b'{"id": 1}\n\x00\x01\x02'), "binary data (a NUL byte) on line 2"),
        (gzip.compress(b'{"id": 1}\n' * 50)[:-12], "truncated or corrupt gzip data"),
        (b"\x1f\x8bnot really gzip", "truncated or corrupt gzip data"),
    ],
)
def test_unreadable_content_raises_input_error_naming_the_file(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = write(tmp_path, data, "in.log")
    with pytest.raises(InputError) as info:
        open_log(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_log(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="is a directory"):
        open_log(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, jsonl((1, 1)))
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        open_log(path)


def test_input_is_never_modified(tmp_path: Path) -> None:
    data = jsonl((1, 3), (2, 1), (3, 2))
    path = write(tmp_path, data)
    before = path.stat()
    read(path)
    after = path.stat()
    assert path.read_bytes() == data
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.jsonl"]


@pytest.mark.parametrize("descending", [False, True])
def test_memory_holds_no_python_object_per_event(tmp_path: Path, descending: bool) -> None:
    n, block = 20_000, 16 * 1024
    pairs = [(i, i % 3000) for i in range(n)]
    pairs.sort(key=lambda p: p[1], reverse=descending)
    path = write(tmp_path, jsonl(*pairs))
    assert path.stat().st_size > 20 * block
    tracemalloc.start()
    try:
        with open_log(path, limits=Limits(block=block)) as log:
            count = sum(1 for _ in log)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    # 8 bytes of offsets per line, plus a few blocks and their lines in flight. One small
    # object kept per event (a bytes timestamp is 57 bytes, a tuple 56) would exceed this.
    assert peak < 40 * n + 4 * block + 256 * 1024, peak


# --------------------------------------------------------------------------- atomic writing


def test_atomic_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_write(target) as f:
        f.write(b"new ")
        assert target.read_bytes() == b"old"  # nothing visible until the block ends
        f.write(b"content")
    assert target.read_bytes() == b"new content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_write_text_mode_and_new_file_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    with atomic_write(target, "w") as f:
        f.write("héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_leaves_no_partial_file_on_error(tmp_path: Path) -> None:
    fresh, kept = tmp_path / "fresh.jsonl", tmp_path / "kept.jsonl"
    kept.write_bytes(b"previous")
    for target in (fresh, kept):
        with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert not fresh.exists()
    assert kept.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.jsonl"]


def test_atomic_write_to_stdout_and_bad_targets(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with atomic_write("-") as f:
        f.write(b"to stdout\n")
    assert capsysbinary.readouterr().out == b"to stdout\n"
    with pytest.raises(InputError, match="is a directory"), atomic_write(tmp_path):
        pass
    with pytest.raises(InputError, match="cannot write"), atomic_write(tmp_path / "no" / "x"):
        pass
    assert [p.name for p in tmp_path.iterdir()] == []


_LINE_START = re.compile(rb'\{"timestamp":"(.{10}T.{8}\..{3}Z)"')


@given(st.lists(st.sampled_from([
    b'{"timestamp":"2021-10-27T08:44:56.147Z","id":1}',
    b'{"timestamp":"2021-10-27T08:44:56.147Z"}',
    b'{"timestamp":"2021-10-27 08:44:56.147Z","id":1}',
    b'{"timestamp":"2021-10-27T08:44:56Z","id":1}',
    b'{"id":1,"timestamp":"2021-10-27T08:44:56.147Z"}',
    b'{"timestamp":"2021-10-27T08:44:56.147Z"', b"", b"  ", b"[1]",
    b'{"timestamp":"2021-10-27T08:44:56x147Z","id":1}',
]), min_size=1, max_size=12), st.booleans())
def test_fast_stamps_count_lines_and_read_every_canonical_start(
    lines: list[bytes], trailing: bool
) -> None:
    block = b"\n".join(lines) + (b"\n" if trailing else b"")
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    n, stamps = fast_stamps(block)
    assert n == len(lines)
    first = lines[0]  # only its positions are checked (``line_stamp``), the others' shape
    starts = [_LINE_START.match(x) for x in lines[1:]]
    if (first.startswith(b'{"timestamp":"') and first[37:39] == b'Z"' and first[24:25] == b"T"
            and all(starts)):
        assert stamps == [first[14:38]] + [m[1] for m in starts if m]
    else:
        assert stamps is None


def test_only_a_lines_log_opened_without_pass_1_streams_and_batches_then_runs_pass_1(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, jsonl((1, 5), (2, 1)))
    with open_log(path) as log:
        assert log.stream() is None  # pass 1 ran: its index must not be rebuilt by a stream
    with open_log(write(tmp_path, b'[{"id": 1}]', "log.json"), scan=False) as log:
        assert log.stream() is None
    with open_log(path, scan=False) as log:
        assert (log.records, log.order) == (-1, Order.ASCENDING)  # assumed, not yet known
        stream = log.stream()
        assert stream is not None
        assert [n for _, numbers in stream for n in numbers] == [1, 2]
        assert [line for _, line in log] == [2, 1]  # iteration ran pass 1: descending
        assert (log.records, log.order) == (2, Order.DESCENDING)
        assert log.stream() is None
