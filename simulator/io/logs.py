"""Reading recorded event logs in replay order with bounded memory.

A log is JSON Lines (one event per line, blank lines ignored) or one JSON array (several arrays
one after another, as pages saved in a row, are read as one log); either may be gzipped, which is
recognised by its magic bytes, not by the file name. The platform's API returns pages newest
first, so the order is detected from the timestamps and the events are handed out in ascending
``(timestamp, file order)``; a descending log is handed out exactly reversed, so ties keep file
order in an ascending log and reverse file order in a descending one (spec §6). A log in neither
order is sorted (stable) and says so in ``EventLog.order_note`` (the ``time-order`` warning).

Memory (JSON Lines): pass 1 reads the file in blocks of about 1 MiB that end at a line end,
checks each block is text (no NUL, valid UTF-8) and compares the timestamps. When every line of
a block starts with a canonical ``{"timestamp":"...Z"`` (the platform's key order) one regex
over the block finds them all and ``sorted`` compares them, so there is no Python step per line;
other blocks are parsed line by line. All it keeps is an ``array('q')`` with the offset and first
line of each block: no Python object, not even 8 bytes, per event. Pass 2 streams the same
blocks forward for an ascending log, and backward, block by block, each block's lines reversed,
for a descending one; ``batches`` hands out each block's raw lines at once (``validate_path``
parses them itself) and ``line_at`` reads one line again for the rare check that needs it. Only
a log in neither order pays for a sort: about 80 bytes an event while sorting (keys and a
permutation), then one read per event. Standard input, pipes and gzip are
first spooled, decompressed, to an anonymous temporary file. A reader that expects ascending time
can skip pass 1 (``open_log(..., scan=False)``): ``stream`` hands out the lines in file order,
each block checked as text when read, and the reader checks the order on the way, starting over
with ``batches`` (pass 1 first) only if a line steps back (``validate_path`` does so).

Memory (JSON array): the decoded text is held in memory (about one byte a character) with three
``array('q')`` of element spans and lines; each element is parsed once to find where it ends and
again, with orjson, when it is handed out. A syntax error inside an array cannot be skipped
reliably: it is reported as one malformed record and the rest of the array is ignored.

Input errors (missing, a directory, unreadable, truncated gzip, binary data: a NUL byte or invalid
UTF-8 after decompression) raise ``InputError`` with a one-line message naming the file, before
any event is handed out (from ``stream``: before the block that holds them). The input file is
never written to.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import zlib
from abc import ABC, abstractmethod
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import IO, Any, BinaryIO, Literal

import orjson

from lifecycle.events import EnvelopeError, canonical_timestamp
from simulator.io.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 20
_SORTED_BATCH = 512  # records read by offset per batch, for a log in neither order
# The platform writes "timestamp" first: read it without parsing the line when it is canonical.
_FAST_PREFIX = b'{"timestamp":"'
_FAST_LINE = re.compile(rb'\n(?:\{"timestamp":"(.{10}T.{8}\..{3}Z)")?')
_JSON_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    match = _JSON_WS.match(text, pos)
    return match.end() if match else pos


class Order(StrEnum):
    """The order found in the file; replay always receives ascending time."""

    ASCENDING = "ascending"
    DESCENDING = "descending"
    SORTED = "sorted"  # neither: sorted by (timestamp, file order) before replay


@dataclass(frozen=True, slots=True)
class Malformed:
    """A record that is not JSON at all: replay reports it as ``malformed-event`` and goes on."""

    line: int
    message: str


# What an EventLog hands out: (parsed JSON value, 1-based line) or a Malformed record.
Record = tuple[Any, int] | Malformed
# What ``EventLog.batches`` hands out: raw lines (blank ones too) and their line numbers.
Batch = tuple[list[bytes], Sequence[int]]


def not_json(exc: json.JSONDecodeError) -> str:
    """The message for a record that does not parse (orjson's errors subclass json's)."""
    return f"not JSON: {exc.msg} at column {exc.colno}"


def _parse(data: bytes | str, line: int) -> Record:
    try:
        return orjson.loads(data), line
    except orjson.JSONDecodeError as exc:
        return Malformed(line, not_json(exc))


def _stamp_of(value: Any) -> bytes | None:
    """The canonical timestamp of a parsed event, for ordering only (replay judges it)."""
    if isinstance(value, dict):
        stamp = value.get("timestamp")
        if isinstance(stamp, str):
            try:
                return canonical_timestamp(stamp)[0].encode()
            except EnvelopeError:
                return None
    return None


def line_stamp(line: bytes) -> bytes | None:
    """The timestamp pass 1 orders a line by (None: it has none that reads)."""
    if line.startswith(_FAST_PREFIX) and line[37:39] == b'Z"' and line[24] == 84:
        return line[14:38]
    return _slow_stamp(line)


def _slow_stamp(line: bytes) -> bytes | None:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return _stamp_of(value)


def _millis(stamp: bytes) -> int | None:
    """Milliseconds of a canonical timestamp: a compact sort key (``None`` if the date is bad)."""
    try:
        day = date(int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10])).toordinal()
    except ValueError:
        return None
    return (((day * 24 + int(stamp[11:13])) * 60 + int(stamp[14:16])) * 60
            + int(stamp[17:19])) * 1000 + int(stamp[20:23])


class _OrderScan:
    """Pass 1 bookkeeping: is the sequence of timestamps non-decreasing, non-increasing, both?"""

    __slots__ = ("ascending", "descending", "down", "prev", "prev_line", "up")

    def __init__(self) -> None:
        self.ascending = self.descending = True
        self.prev: bytes | None = None
        self.prev_line = 0
        self.up: tuple[int, int] | None = None  # first (line, earlier line) that breaks ascending
        self.down: tuple[int, int] | None = None  # first one that breaks descending

    def add(self, stamp: bytes, line: int) -> None:
        prev = self.prev
        if prev is not None:
            if stamp < prev:
                if self.ascending:
                    self.ascending = False
                    self.up = (line, self.prev_line)
            elif stamp > prev and self.descending:
                self.descending = False
                self.down = (line, self.prev_line)
        self.prev = stamp
        self.prev_line = line

    def extend(self, stamps: list[bytes], first_line: int) -> None:
        """Timestamps of consecutive lines from ``first_line``: compared in C, not one by one."""
        if not stamps:
            return
        prev = self.prev
        still_up = not self.ascending or (
            (prev is None or prev <= stamps[0]) and stamps == sorted(stamps))
        still_down = not self.descending or (
            (prev is None or prev >= stamps[0]) and stamps == sorted(stamps, reverse=True))
        if not (still_up and still_down):
            for i, stamp in enumerate(stamps):  # rare: find the line that breaks the order
                self.add(stamp, first_line + i)
            return
        self.prev = stamps[-1]
        self.prev_line = first_line + len(stamps) - 1

    @property
    def order(self) -> Order:
        # All ties (or fewer than two timestamps): file order is as good as any, keep it.
        if self.ascending:
            return Order.ASCENDING
        return Order.DESCENDING if self.descending else Order.SORTED

    def note(self, unit: str = "line") -> str | None:
        """The time-order warning; ``unit`` names what the positions given to ``add`` count."""
        if self.order is not Order.SORTED or self.up is None or self.down is None:
            return None
        return (
            f"events are in neither ascending nor descending time order ({unit} {self.up[0]} is "
            f"earlier than {unit} {self.up[1]}, {unit} {self.down[0]} later than {unit} "
            f"{self.down[1]}); replayed sorted by (timestamp, file order)"
        )


def _sort_permutation(keys: list[int | None]) -> list[int]:
    """Indices in ascending (key, index); a record without a key follows its predecessor."""
    last = -1
    filled = array("q")
    for key in keys:
        if key is not None:
            last = key
        filled.append(last)
    return sorted(range(len(filled)), key=filled.__getitem__)


class EventLog(ABC):
    """An opened log: pass 1 is done (order known, input checked) unless opened with
    ``scan=False``; iterate for pass 2.

    Use as a context manager, or call ``close()``: it may own a temporary spool file.
    """

    name: str
    format: Literal["jsonl", "json"]
    gzipped: bool
    records: int  # events and malformed records, blank lines excluded (-1 before pass 1)
    order: Order  # ascending is assumed before pass 1
    order_note: str | None  # the time-order warning's message when order is SORTED

    @abstractmethod
    def __iter__(self) -> Iterator[Record]:
        """Pass 2: each record in replay order, parsed (or ``Malformed``)."""

    def batches(self) -> Iterator[Batch] | None:
        """The raw lines in replay order, a batch at a time (None: this kind of log has none)."""
        return None

    def line_at(self, line: int) -> bytes | None:
        """The raw text of a line handed out by ``batches`` (None if it has none)."""
        return None

    def stream(self) -> Iterator[Batch] | None:
        """The raw lines in file order without pass 1 (None: this kind of log has none, or pass 1
        has run already)."""
        return None

    def elements(self) -> Iterator[tuple[Record, int]] | None:
        """Pass 2 of a JSON array: each record with its element's 0-based index in the file (a
        one-line array puts every element on line 1). None: the log is not an array."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release the file (and any temporary spool), or the text held in memory."""

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _LinesLog(EventLog):
    """JSON Lines. Pass 1 keeps one (offset, first line) pair per block of ``_BLOCK`` bytes."""

    def __init__(self, f: BinaryIO, name: str, gzipped: bool, scan: bool = True) -> None:
        self._f = f
        self._fd = f.fileno()
        self.name, self.format, self.gzipped = name, "jsonl", gzipped
        self._index = array("q")  # start offset and first line of each block, then end
        # A block's first line and its lines: the one being handed out, the last one read again.
        self._current: tuple[int, list[bytes]] = (0, [])
        self._recent: tuple[int, list[bytes]] = (0, [])
        self._scanned = False
        if scan:
            self._scan()
        else:  # assumed until pass 1: the reader of ``stream`` checks it
            self.records, self.order, self.order_note = -1, Order.ASCENDING, None

    def _scan(self) -> None:
        """Pass 1: check the text, count the records, find the order (see the module)."""
        self._index = index = array("q")
        scan = _OrderScan()
        records = pos = lineno = 0
        for block in _blocks(self._f):
            self._check_text(block, lineno)
            index.extend((pos, lineno + 1))
            n, stamps = _fast_stamps(block[3:] if not pos and block.startswith(_BOM) else block)
            if stamps is not None:
                scan.extend(stamps, lineno + 1)
                records += n
            else:
                records += _slow_scan(block, lineno, scan)
            pos += len(block)
            lineno += n
        index.extend((pos, lineno + 1))
        self._current = self._recent = (0, [])
        self.records = records
        self.order = scan.order
        self.order_note = scan.note()
        self._scanned = True

    def stream(self) -> Iterator[Batch] | None:
        """The lines in file order without pass 1, each block checked as text when it is read
        (None once pass 1 has run).

        For a reader that expects ascending time and checks it on the way (``validate_path``):
        at the first line earlier than the one before it stops, and starts over with
        ``batches``, which runs pass 1 first. An input error may come after some lines.
        """
        return None if self._scanned else self._stream()

    def _stream(self) -> Iterator[Batch]:
        index = self._index = array("q")
        pos = lineno = 0
        try:
            for block in _blocks(self._f):
                self._check_text(block, lineno)
                index.extend((pos, lineno + 1))
                lines = block.split(b"\n")
                if block.endswith(b"\n"):
                    lines.pop()
                if not pos and lines[0].startswith(_BOM):
                    lines[0] = lines[0][3:]
                self._current = (lineno + 1, lines)
                yield lines, range(lineno + 1, lineno + 1 + len(lines))
                pos += len(block)
                lineno += len(lines)
        except OSError as exc:
            raise InputError(_os_message(self.name, exc)) from None
        index.extend((pos, lineno + 1))

    def _check_text(self, block: bytes, lineno: int) -> None:
        """Binary input is an error for the whole log (exit 2), found before any replay."""
        nul = block.find(b"\0")
        if nul >= 0:
            line = lineno + block.count(b"\n", 0, nul) + 1
            raise InputError(f"{self.name}: binary data (a NUL byte) on line {line}")
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = lineno + block.count(b"\n", 0, exc.start) + 1
                message = f"{self.name}: binary data (invalid UTF-8) on line {line}"
                raise InputError(message) from None

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Record]:
        for lines, numbers in self.batches():
            yield from _records(lines, numbers)

    def batches(self) -> Iterator[Batch]:
        """Pass 2 in batches: raw lines (blank ones included) with their line numbers, in replay
        order, a block at a time; a caller that parses them itself skips a generator per event.
        Runs pass 1 first if the log was opened without it."""
        if not self._scanned:
            self._scan()
        if self.order is Order.SORTED:
            yield from self._sorted()
            return
        index = self._index
        blocks = range(len(index) // 2 - 1)
        backward = self.order is Order.DESCENDING
        for k in reversed(blocks) if backward else blocks:
            first = index[2 * k + 1]
            lines = self._block_lines(k)
            self._current = (first, lines)  # what ``line_at`` asks for is most often near
            if backward:
                yield lines[::-1], range(first + len(lines) - 1, first - 1, -1)
            else:
                yield lines, range(first, first + len(lines))

    def _block_lines(self, k: int) -> list[bytes]:
        """The lines of block ``k`` (split as pass 1 counted them; a BOM on line 1 removed)."""
        index = self._index
        block = self._read(index[2 * k], index[2 * k + 2])
        lines = block.split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()
        if not k and lines and lines[0].startswith(_BOM):
            lines[0] = lines[0][3:]
        return lines

    def line_at(self, line: int) -> bytes | None:
        """The raw text of line ``line`` (numbered as in the records), read again from the file.

        For the rare check that needs an earlier event's content again (a repeated id with other
        bytes): the block of the last call, and the one being handed out, are kept, so nearby
        lines cost no read.
        """
        first, lines = self._current
        if not first <= line < first + len(lines):
            first, lines = self._recent
        if not first <= line < first + len(lines):
            firsts = self._index[1::2]
            k = bisect_right(firsts, line) - 1
            if not 0 <= k < len(firsts) - 1:
                return None
            first, lines = self._recent = (firsts[k], self._block_lines(k))
            if not first <= line < first + len(lines):
                return None
        return lines[line - first]

    def _read(self, start: int, end: int) -> bytes:
        data = os.pread(self._fd, end - start, start)
        while len(data) < end - start:  # short reads are legal, if rare, on regular files
            more = os.pread(self._fd, end - start - len(data), start + len(data))
            if not more:
                raise InputError(f"{self.name}: the file changed while it was read")
            data += more
        return data

    def _sorted(self) -> Iterator[Batch]:
        offsets = array("q")  # start and end of each record: only a log in neither order
        keys: list[int | None] = []
        lines = array("q")
        pos = 0
        self._f.seek(0)
        for lineno, line in enumerate(self._f, 1):
            start, pos = pos, pos + len(line)
            if line.isspace():
                continue
            if lineno == 1 and line.startswith(_BOM):
                line = line[3:]
            offsets.extend((start, pos))
            lines.append(lineno)
            stamp = line_stamp(line)
            keys.append(None if stamp is None else _millis(stamp))
        permutation = _sort_permutation(keys)
        del keys
        for at in range(0, len(permutation), _SORTED_BATCH):
            chunk = permutation[at:at + _SORTED_BATCH]
            batch = []
            for j in chunk:
                line = self._read(offsets[2 * j], offsets[2 * j + 1])
                if lines[j] == 1 and line.startswith(_BOM):
                    line = line[3:]
                batch.append(line)
            yield batch, [lines[j] for j in chunk]


def _blocks(f: BinaryIO) -> Iterator[bytes]:
    """The file in blocks of about ``_BLOCK`` bytes that end at a line end (or the file end)."""
    f.seek(0)
    carry = b""
    while chunk := f.read(_BLOCK):
        cut = chunk.rfind(b"\n") + 1
        if not cut:  # a line longer than a block
            carry += chunk
            continue
        yield carry + chunk[:cut]
        carry = chunk[cut:]
    if carry:
        yield carry


def _fast_stamps(block: bytes) -> tuple[int, list[bytes] | None]:
    """The number of lines of a block, and their timestamps if each starts with a canonical one.

    The platform's key order puts ``timestamp`` first, so one regex over the whole block finds
    them without a Python step per line: it stops at every line end, with the next line's
    timestamp or with nothing, so it counts the lines too. Anything else (blank lines, other key
    orders, lenient forms) gives None and the block is scanned line by line.
    """
    found: list[bytes] = _FAST_LINE.findall(block)  # one item per b"\n"
    ends = block.endswith(b"\n")
    n = len(found) + (not ends)
    if not (block.startswith(_FAST_PREFIX) and block[37:39] == b'Z"' and block[24] == 84):
        return n, None
    if ends:
        found.pop()  # the line end of the last line: no line follows it
    if b"" in found:  # a line without the canonical start
        return n, None
    found.insert(0, block[14:38])
    return n, found


def _slow_scan(block: bytes, lineno: int, scan: _OrderScan) -> int:
    """Pass 1 for a block the fast path cannot take: one parse per line; returns its records."""
    records = 0
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    if not lineno and lines[0].startswith(_BOM):
        lines[0] = lines[0][3:]
    for line in lines:
        lineno += 1
        if not line or line.isspace():
            continue
        records += 1
        stamp = line_stamp(line)
        if stamp is not None:
            scan.add(stamp, lineno)
    return records


def _records(lines: list[bytes], numbers: Sequence[int]) -> Iterator[Record]:
    """The records of a batch: blank lines skipped, each other line parsed."""
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for line, number in zip(lines, numbers, strict=True):
        if not line or line.isspace():
            continue
        try:
            yield loads(line), number
        except decode_error as exc:
            yield Malformed(number, not_json(exc))


class _ArrayLog(EventLog):
    def __init__(self, data: bytes, name: str, gzipped: bool) -> None:
        self.name, self.format, self.gzipped = name, "json", gzipped
        text = _decode(data, name)
        del data
        self._text = text
        self._starts, self._ends, self._lines = array("q"), array("q"), array("q")
        self._stamps: list[bytes | None] = []
        self._error: Malformed | None = None  # a syntax error ends the array: one last record
        self._scan(text)
        scan = _OrderScan()  # by element: a one-line array has all its elements on line 1
        for index, stamp in enumerate(self._stamps):
            if stamp is not None:
                scan.add(stamp, index)
        self.records = len(self._starts) + (self._error is not None)
        self.order = scan.order
        self.order_note = scan.note("element")

    def _scan(self, text: str) -> None:
        decoder = json.JSONDecoder()
        pos = 1 if text.startswith("\ufeff") else 0
        line, seen = 1, 0  # line of position `seen`

        def line_at(at: int) -> int:
            nonlocal line, seen
            line += text.count("\n", seen, at)
            seen = at
            return line

        def fail(at: int, what: str) -> None:
            row = line_at(at)
            column = at - text.rfind("\n", 0, at)
            self._error = Malformed(row, f"not JSON: {what} at column {column}; rest ignored")

        pos = _skip_ws(text, pos)
        while pos < len(text):  # one array, or several in a row (pages saved one after another)
            if text[pos] != "[":
                fail(pos, "expected '[' (a JSON array) after the array")
                return
            pos = _skip_ws(text, pos + 1)
            if text.startswith("]", pos):
                pos = _skip_ws(text, pos + 1)
                continue
            while True:
                start_line = line_at(pos)
                try:
                    value, end = decoder.raw_decode(text, pos)
                except json.JSONDecodeError as exc:
                    self._error = Malformed(exc.lineno, not_json(exc) + "; rest ignored")
                    return
                self._starts.append(pos)
                self._ends.append(end)
                self._lines.append(start_line)
                self._stamps.append(_stamp_of(value))
                pos = _skip_ws(text, end)
                if text.startswith(",", pos):
                    pos = _skip_ws(text, pos + 1)
                    continue
                if text.startswith("]", pos):
                    pos = _skip_ws(text, pos + 1)
                    break
                fail(pos, "expected ',' or ']'" if pos < len(text) else "unexpected end")
                return

    def __iter__(self) -> Iterator[Record]:
        return (record for record, _ in self.elements())

    def elements(self) -> Iterator[tuple[Record, int]]:
        n = len(self._starts)
        if self.order is Order.ASCENDING:
            indices: Any = range(n + 1)
        elif self.order is Order.DESCENDING:
            indices = range(n, -1, -1)
        else:
            keys = [None if s is None else _millis(s) for s in self._stamps]
            indices = _sort_permutation([*keys, None])
        text, starts, ends, lines = self._text, self._starts, self._ends, self._lines
        for i in indices:
            if i < n:
                yield _parse(text[starts[i]:ends[i]], lines[i]), i
            elif self._error is not None:
                yield self._error, i  # where the array broke: the index its element would have

    def close(self) -> None:
        self._text, self._stamps = "", []  # the decoded text is what it holds that is large


def _decode(data: bytes, name: str) -> str:
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"{name}: binary data (a NUL byte) on line {line}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{name}: binary data (invalid UTF-8) on line {line}") from None


def _os_message(name: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{name}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{name}: is a directory, expected a log file"
    if isinstance(exc, PermissionError):
        return f"{name}: permission denied"
    return f"{name}: cannot read: {exc.strerror or exc}"


def _spool(src: IO[bytes], name: str, *, gunzip: bool = False) -> BinaryIO:
    """Copy (and decompress) ``src`` into an anonymous temporary file, to read it twice."""
    out = tempfile.TemporaryFile(prefix="simlife-")  # noqa: SIM115 (returned open)
    try:
        if gunzip:
            with gzip.GzipFile(fileobj=src, mode="rb") as gz:
                shutil.copyfileobj(gz, out, _BLOCK)
        else:
            shutil.copyfileobj(src, out, _BLOCK)
        out.flush()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        out.close()
        raise InputError(f"{name}: truncated or corrupt gzip data ({exc})") from None
    except OSError as exc:
        out.close()
        raise InputError(_os_message(name, exc)) from None
    except BaseException:
        out.close()
        raise
    return out


def _first_byte(f: BinaryIO) -> bytes:
    """The first byte that is not whitespace or a BOM ('' for an empty log)."""
    f.seek(0)
    head = True
    while chunk := f.read(65536):
        if head and chunk.startswith(_BOM):
            chunk = chunk[3:]
        head = False
        stripped = chunk.lstrip()
        if stripped:
            return stripped[:1]
    return b""


def open_log(source: str | os.PathLike[str], *, scan: bool = True) -> EventLog:
    """Open a log file, ``-`` for standard input; pass 1 (checks, order) runs here.

    ``scan=False``: a JSON Lines log skips pass 1 until ``batches`` (or iteration) needs it, so
    that ``stream`` can hand its lines out in file order first.

    >>> with open_log("tests/data/seed-examples.jsonl") as log:   # doctest: +SKIP
    ...     for record in log:                       # (value, line) or Malformed(line, message)
    ...         ...
    """
    stdin = str(source) == "-"
    name = "<stdin>" if stdin else str(source)
    f: BinaryIO
    try:
        if stdin:
            if sys.stdin is None:
                raise InputError(f"{name}: no standard input")
            f = _spool(sys.stdin.buffer, name)
        else:
            raw = open(source, "rb")  # noqa: SIM115 (kept open for pass 2, closed by the log)
            if stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
                f = raw
            else:  # a pipe or a device: read it once, into a spool
                with raw:
                    f = _spool(raw, name)
        gzipped = os.pread(f.fileno(), 2, 0) == GZIP_MAGIC
        if gzipped:
            with f:
                f.seek(0)
                f = _spool(f, name, gunzip=True)
        try:
            if _first_byte(f) == b"[":
                f.seek(0)
                data = f.read()
                f.close()
                return _ArrayLog(data, name, gzipped)
            return _LinesLog(f, name, gzipped, scan)
        except BaseException:
            f.close()
            raise
    except OSError as exc:
        raise InputError(_os_message(name, exc)) from None
