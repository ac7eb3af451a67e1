"""Reading recorded event logs in replay order with bounded memory, and writing files atomically.

A log is JSON Lines (one event per line, blank lines ignored) or one JSON array (several arrays
one after another, as pages saved in a row, are read as one log); either may be gzipped, which is
recognised by its magic bytes, not by the file name. The platform's API returns pages newest
first, so the order is detected from the timestamps and the events are handed out in ascending
``(timestamp, file order)``; a descending log is handed out exactly reversed, so ties keep file
order in an ascending log and reverse file order in a descending one (spec §6). A log in neither
order is sorted (stable) and says so in ``EventLog.order_note`` (the ``time-order`` warning).

Memory (JSON Lines): pass 1 reads the file once, checks it is text, and compares each timestamp
with the previous one, read straight from the bytes when the line starts with a canonical
``{"timestamp":"...Z"`` (a full parse otherwise); it keeps only an ``array('q')`` of line offsets,
8 bytes a line, and no Python object per event. Pass 2 streams forward for an ascending log and
backward in 1 MiB blocks by those offsets for a descending one. Only a log in neither order pays
for a sort: about 80 bytes an event while sorting, then one read per event. Standard input, pipes
and gzip are first spooled, decompressed, to an anonymous temporary file.

Memory (JSON array): the decoded text is held in memory (about one byte a character) with three
``array('q')`` of element spans and lines; each element is parsed once to find where it ends and
again, with orjson, when it is handed out. A syntax error inside an array cannot be skipped
reliably: it is reported as one malformed record and the rest of the array is ignored.

Input errors (missing, a directory, unreadable, truncated gzip, binary data: a NUL byte or invalid
UTF-8 after decompression) raise ``InputError`` with a one-line message naming the file, before
any event is handed out. The input file is never written to.
"""

from __future__ import annotations

import bisect
import contextlib
import gzip
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

import orjson

from lifecycle.events import EnvelopeError, canonical_timestamp
from simulator.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 20
# The platform writes "timestamp" first: read it without parsing the line when it is canonical.
_FAST_PREFIX = b'{"timestamp":"'
_FAST_TS = re.compile(rb'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"')
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


def _line_stamp(line: bytes) -> bytes | None:
    if line.startswith(_FAST_PREFIX) and _FAST_TS.match(line, 14):
        return line[14:38]
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

    @property
    def order(self) -> Order:
        # All ties (or fewer than two timestamps): file order is as good as any, keep it.
        if self.ascending:
            return Order.ASCENDING
        return Order.DESCENDING if self.descending else Order.SORTED

    def note(self) -> str | None:
        if self.order is not Order.SORTED or self.up is None or self.down is None:
            return None
        return (
            f"events are in neither ascending nor descending time order (line {self.up[0]} is "
            f"earlier than line {self.up[1]}, line {self.down[0]} later than line "
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


class EventLog:
    """An opened log: pass 1 is done (order known, input checked); iterate for pass 2.

    Use as a context manager, or call ``close()``: it may own a temporary spool file.
    """

    name: str
    format: Literal["jsonl", "json"]
    gzipped: bool
    records: int  # events and malformed records, blank lines excluded
    order: Order
    order_note: str | None  # the time-order warning's message when order is SORTED

    def __iter__(self) -> Iterator[Record]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (and any temporary spool)."""

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _LinesLog(EventLog):
    def __init__(self, f: BinaryIO, name: str, gzipped: bool) -> None:
        self._f = f
        self._fd = f.fileno()
        self.name, self.format, self.gzipped = name, "jsonl", gzipped
        self._offsets = array("q")  # start of every physical line, then the end of the file
        scan = _OrderScan()
        records = 0
        append, add = self._offsets.append, scan.add
        pos = lineno = 0
        f.seek(0)
        for line in f:
            append(pos)
            pos += len(line)
            lineno += 1
            if line.isspace():
                continue
            if b"\0" in line:
                raise InputError(f"{name}: binary data (a NUL byte) on line {lineno}")
            if not line.isascii():
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    message = f"{name}: binary data (invalid UTF-8) on line {lineno}"
                    raise InputError(message) from None
                if lineno == 1 and line.startswith(_BOM):
                    line = line[3:]
            records += 1
            stamp = _line_stamp(line)
            if stamp is not None:
                add(stamp, lineno)
        append(pos)
        self.records = records
        self.order = scan.order
        self.order_note = scan.note()

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Record]:
        if self.order is Order.ASCENDING:
            return self._forward()
        if self.order is Order.DESCENDING:
            return self._backward()
        return self._sorted()

    def _forward(self) -> Iterator[Record]:
        f = self._f
        f.seek(0)
        for lineno, line in enumerate(f, 1):
            if line.isspace():
                continue
            if lineno == 1 and line.startswith(_BOM):
                line = line[3:]
            yield _parse(line, lineno)

    def _read(self, start: int, end: int) -> bytes:
        data = os.pread(self._fd, end - start, start)
        while len(data) < end - start:  # short reads are legal, if rare, on regular files
            more = os.pread(self._fd, end - start - len(data), start + len(data))
            if not more:
                raise InputError(f"{self.name}: the file changed while it was read")
            data += more
        return data

    def _backward(self) -> Iterator[Record]:
        offsets = self._offsets
        end = len(offsets) - 1  # physical lines [start, end) are read as one block
        while end > 0:
            start = min(bisect.bisect_left(offsets, offsets[end] - _BLOCK, 0, end), end - 1)
            base = offsets[start]
            block = self._read(base, offsets[end])
            for i in range(end - 1, start - 1, -1):
                line = block[offsets[i] - base:offsets[i + 1] - base]
                if line.isspace():
                    continue
                if i == 0 and line.startswith(_BOM):
                    line = line[3:]
                yield _parse(line, i + 1)
            end = start

    def _sorted(self) -> Iterator[Record]:
        lines = array("q")  # 0-based indices of the non-blank physical lines
        keys: list[int | None] = []
        f = self._f
        f.seek(0)
        for i, line in enumerate(f):
            if line.isspace():
                continue
            if i == 0 and line.startswith(_BOM):
                line = line[3:]
            lines.append(i)
            stamp = _line_stamp(line)
            keys.append(None if stamp is None else _millis(stamp))
        permutation = _sort_permutation(keys)
        del keys
        offsets = self._offsets
        for j in permutation:
            i = lines[j]
            line = self._read(offsets[i], offsets[i + 1])
            if i == 0 and line.startswith(_BOM):
                line = line[3:]
            yield _parse(line, i + 1)


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
        scan = _OrderScan()
        for stamp, line in zip(self._stamps, self._lines, strict=True):
            if stamp is not None:
                scan.add(stamp, line)
        self.records = len(self._starts) + (self._error is not None)
        self.order = scan.order
        self.order_note = scan.note()

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
                yield _parse(text[starts[i]:ends[i]], lines[i])
            elif self._error is not None:
                yield self._error


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


def open_log(source: str | os.PathLike[str]) -> EventLog:
    """Open a log file, ``-`` for standard input; pass 1 (checks, order) runs here.

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
            return _LinesLog(f, name, gzipped)
        except BaseException:
            f.close()
            raise
    except OSError as exc:
        raise InputError(_os_message(name, exc)) from None


# --------------------------------------------------------------------------- atomic writing


@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["wb"] = "wb"
) -> contextlib.AbstractContextManager[BinaryIO]: ...
@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["w"]
) -> contextlib.AbstractContextManager[TextIO]: ...
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["w", "wb"] = "wb"
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Write ``path`` all or nothing: a temporary file beside it, fsync, then ``os.replace``.

    On an exception the temporary file is removed and ``path`` is untouched. ``-`` is standard
    output (not atomic, not closed). An existing non-regular target (``/dev/null``, a FIFO) is
    written in place. Errors creating or replacing the file raise ``InputError`` (exit 2).

    >>> with atomic_write("out.jsonl") as f:                  # doctest: +SKIP
    ...     f.write(b'{"id":1}\\n')
    """
    return _atomic(str(path), mode)


@contextlib.contextmanager
def _atomic(path: str, mode: str) -> Iterator[IO[Any]]:
    if path == "-":
        out: IO[Any] = sys.stdout if mode == "w" else sys.stdout.buffer
        yield out
        out.flush()
        return
    encoding = "utf-8" if mode == "w" else None
    target = Path(path)
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise InputError(f"{path}: is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            special = open(path, mode, encoding=encoding)  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        with special:
            yield special
        return
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    f = open(fd, mode, encoding=encoding)  # noqa: SIM115 (closed on every path below)
    try:
        yield f  # an exception from the caller's block propagates unchanged
        try:
            f.flush()
            os.fsync(f.fileno())
            f.close()
            if existing is not None:
                os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            os.replace(tmp, target)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            f.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (best effort)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
