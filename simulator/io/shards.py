"""Several files as one log: shards of one stream (a day per file, say), in any order.

Each file is opened with ``open_log`` (its own order found, gzip read transparently) and the
files are merged into one replay order: ascending time, ties by file name, and within a file its
own replay order. Lines are numbered per file; replay sees one number per line, unique across
the files, ``global_line(rank, line)`` with ``rank`` the file's place in name order, so a single
file's numbers are its own lines. ``Shards.place`` and ``Shards.where`` turn them back into a file
and a line for reports.

An input is a local path, ``-`` (standard input), or a URL (``s3://``, ``https://``,
``file://``...) read through fsspec, which is copied to a temporary file first (pass 1 and pass 2
read a log twice). ``chunks`` cuts the inputs into pieces that workers can read on their own (a
plain local JSON Lines file into byte ranges that end at a line end, anything else whole), for the
cheap first pass of ``simulator.partition``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lifecycle.events import EnvelopeError, canonical_timestamp
from simulator.io.errors import InputError
from simulator.io.limits import Limits
from simulator.io.logs import DEFAULT_LIMITS, EventLog, Malformed, Record, line_stamp, open_log
from simulator.io.order import BOM
from simulator.io.sources import GZIP_MAGIC, LineTooLong, file_blocks, line_end

LINE_BITS = 40  # a file of up to 2**40 lines; the rank of a file above
_LOCAL = (1 << LINE_BITS) - 1
_RECORDS_BATCH = 512


def global_line(rank: int, line: int) -> int:
    return rank << LINE_BITS | line


def is_url(spec: str) -> bool:
    """``s3://bucket/key``, ``file:///tmp/x``: read through fsspec (a local path otherwise)."""
    scheme, sep, _ = spec.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum()


def _fetch(url: str, limit: int) -> str:
    """Copy a URL's bytes into a temporary file of at most ``limit`` bytes; its path (the caller
    removes it)."""
    try:
        import fsspec
    except ImportError:
        raise InputError(f"{url}: reading a URL needs fsspec "
                         "(pip install 'simlife[dask]')") from None
    fd, path = tempfile.mkstemp(prefix="simlife-", suffix=".log")
    try:
        with os.fdopen(fd, "wb") as out, fsspec.open(url, "rb") as src:
            copied = 0
            while chunk := src.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise InputError(f"{url}: its copy would exceed the spool limit of "
                                     f"{limit:,} bytes (--spool-limit)")
                out.write(chunk)
    except FileNotFoundError:
        os.unlink(path)
        raise InputError(f"{url}: no such file") from None
    except (OSError, ValueError, ImportError) as exc:  # no such filesystem, unreachable...
        os.unlink(path)
        raise InputError(f"{url}: cannot read: {exc}") from None
    except BaseException:
        os.unlink(path)
        raise
    return path


def open_input(spec: str, *, scan: bool = True, limits: Limits = DEFAULT_LIMITS) -> EventLog:
    """``open_log`` for a path, ``-`` or a URL; the log is named ``spec``. ``scan=False``: pass
    1 waits, as with ``open_log``."""
    if not is_url(spec):
        return open_log(spec, scan=scan, limits=limits)
    path = _fetch(spec, limits.spool)
    try:
        log = open_log(path, scan=scan, limits=limits)
    except InputError as exc:
        raise InputError(str(exc).replace(path, spec)) from None
    finally:
        os.unlink(path)  # the open log keeps its file (or its spool) until closed
    log.name = spec
    return log


# --------------------------------------------------------------------------- chunks


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of an input that a worker reads alone: ``start``..``end`` bytes of a plain local
    JSON Lines file (lines numbered from 1 within the piece), or the whole input (``end`` -1:
    its lines numbered as in the file)."""

    spec: str
    index: int  # the input's place among the inputs as given
    start: int = 0
    end: int = -1


def chunks(specs: Sequence[str], size: int) -> list[Chunk]:
    """The inputs cut into pieces of about ``size`` bytes where that is possible."""
    out: list[Chunk] = []
    for index, spec in enumerate(specs):
        whole = Chunk(spec, index)
        if spec == "-" or is_url(spec):
            out.append(whole)
            continue
        try:
            with open(spec, "rb") as f:
                total = os.fstat(f.fileno()).st_size
                head = f.read(65536)
        except OSError:
            with open_log(spec, scan=False):  # raises the InputError a single run would
                pass
            raise
        stripped = head[3:] if head.startswith(BOM) else head
        if (head.startswith(GZIP_MAGIC) or stripped.lstrip()[:1] == b"[" or total <= size
                or not stripped.strip()):
            out.append(whole)
            continue
        with open(spec, "rb") as f:
            fd = f.fileno()
            start = 0
            while start < total:
                end = min(start + size, total)
                if end < total:
                    end = line_end(fd, end, total)
                out.append(Chunk(spec, index, start, end))
                start = end
    return out


def read_chunk(chunk: Chunk, limits: Limits = DEFAULT_LIMITS
               ) -> Iterator[tuple[list[Any], Sequence[int], bool]]:
    """The raw lines of an input read whole (``chunk.end`` -1) with their line numbers
    (``True``), or its parsed records, each with its key (``False``: see ``record_batches``).
    A byte range is read by ``range_blocks``."""
    with open_input(chunk.spec, limits=limits) as log:
        batches = log.batches()
        if batches is not None:
            for lines, numbers in batches:
                yield lines, numbers, True
            return
        for items, keys in record_batches(log):
            yield [record for record, _ in items], keys, False


def range_blocks(chunk: Chunk, limits: Limits = DEFAULT_LIMITS) -> Iterator[bytes]:
    """The bytes of a byte range, a block (``Limits.block``) at a time, each ending at a line
    end (``file_blocks``); a BOM at the start of the file left out. Its lines are numbered from 1
    in the range. A line past ``Limits.record`` is not read: an empty line stands in its place,
    and replay reports it as one process does (with the errors before it, in the same order)."""
    with open(chunk.spec, "rb") as f:
        pos = chunk.start
        while pos < chunk.end:
            try:
                for data, end in file_blocks(f, limits.block, limits.record, pos, chunk.end):
                    block = data if end == len(data) else data[:end]
                    yield block[3:] if pos == 0 and block.startswith(BOM) else block
                    pos += end
            except LineTooLong as exc:
                pos = line_end(f.fileno(), exc.offset, chunk.end)
                yield b"\n"
                continue
            if pos < chunk.end:
                raise InputError(f"{chunk.spec}: the file changed while it was read")


def _line_of(record: Record) -> int:
    return record.line if isinstance(record, Malformed) else record[1]


# --------------------------------------------------------------------------- one log of many


def _record_stamp(pair: tuple[Record, int | None]) -> bytes | None:
    record = pair[0]
    if isinstance(record, Malformed):
        return None
    value = record[0]
    stamp = value.get("timestamp") if isinstance(value, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return canonical_timestamp(stamp)[0].encode()
    except EnvelopeError:
        return None


class _Head:
    """One file's stream in the merge: its current batch and the key of the last item taken."""

    __slots__ = ("batches", "items", "key", "numbers", "pos", "rank", "stamp")

    def __init__(self, rank: int, batches: Iterator[tuple[list[Any], Sequence[int]]],
                 stamp: Callable[[Any], bytes | None]) -> None:
        self.rank, self.batches, self.stamp = rank, batches, stamp
        self.key = b""  # an item without a timestamp sorts with the one before it
        self.items: list[Any] = []
        self.numbers: Sequence[int] = ()
        self.pos = 0

    def ready(self) -> bool:
        """Is an item left (loading the next batch if need be)?"""
        while self.pos >= len(self.items):
            batch = next(self.batches, None)
            if batch is None:
                return False
            self.items, self.numbers = batch
            self.pos = 0
        return True

    def next_key(self) -> bytes:
        return self.stamp(self.items[self.pos]) or self.key

    def last_key(self) -> bytes:
        """The key of the batch's last item: its greatest (a file's own order ascends)."""
        stamp = self.stamp
        for item in reversed(self.items[self.pos:]):
            found = stamp(item)
            if found is not None:
                return found
        return self.key


def merge(streams: Sequence[Iterator[tuple[list[Any], Sequence[int]]]],
          stamp: Callable[[Any], bytes | None]) -> Iterator[tuple[int, list[Any], Sequence[int]]]:
    """Runs ``(rank, items, numbers)`` of several streams, each ascending in time, merged by
    (time, rank). A whole batch moves at once while it ends no later than the others go on
    (shards of separate days), else item by item."""
    if len(streams) == 1:
        for items, numbers in streams[0]:
            yield 0, items, numbers
        return
    heads = [h for rank, s in enumerate(streams) if (h := _Head(rank, s, stamp)).ready()]
    while heads:
        keyed = sorted((h.next_key(), h.rank, h) for h in heads)
        _, _, head = keyed[0]
        bound = (keyed[1][0], keyed[1][1]) if len(keyed) > 1 else None
        start = head.pos
        if bound is None or (head.last_key(), head.rank) <= bound:
            end = len(head.items)
            head.key = head.last_key()
        else:
            end = start
            while end < len(head.items):
                key = stamp(head.items[end]) or head.key
                if (key, head.rank) > bound:
                    break
                head.key = key
                end += 1
        head.pos = end
        yield head.rank, head.items[start:end], head.numbers[start:end]
        if not head.ready():
            heads.remove(head)


class Shards:
    """Several inputs opened as one log; use as a context manager.

    Pass 1 runs on each, except on the inputs in ``ascending``: JSON Lines known to ascend
    (the first pass of ``simulator.partition`` checked their timestamps as pass 1 would), which
    are handed out in file order as they are read.
    """

    def __init__(self, specs: Sequence[str], ascending: Sequence[str] = (),
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.specs = sorted(specs)
        self.logs: list[EventLog] = []
        self._streams: list[Iterator[tuple[list[Any], Sequence[int]]] | None] = []
        try:
            for spec in self.specs:
                log = open_input(spec, scan=spec not in ascending, limits=limits)
                self.logs.append(log)
                self._streams.append(log.stream())
        except BaseException:
            self.close()
            raise
        self.names = tuple(log.name for log in self.logs)
        self.several = len(self.logs) > 1
        orders = {str(log.order) for log in self.logs}
        self.order = orders.pop() if len(orders) == 1 else "mixed"
        # JSON Lines hand out raw lines (replay hashes their bytes and reads them again by line);
        # a JSON array only parsed records, so a log with one hands out records throughout.
        self.raw = all(log.format == "jsonl" for log in self.logs)

    def __enter__(self) -> Shards:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for log in self.logs:
            log.close()

    def runs(self) -> Iterator[tuple[int, list[Any], Sequence[int]]]:
        """``(rank, items, keys)`` in replay order: raw lines and their line numbers (``raw``),
        or records with their element and key (``record_batches``)."""
        if self.raw:
            return merge([stream if stream is not None else log.batches()  # type: ignore[misc]
                          for log, stream in zip(self.logs, self._streams, strict=True)],
                         line_stamp)
        return merge([record_batches(log) for log in self.logs], _record_stamp)

    def line_at(self, line: int) -> bytes | None:
        """The raw text of a (global) line, read again."""
        rank, local = line >> LINE_BITS, line & _LOCAL
        return self.logs[rank].line_at(local) if rank < len(self.logs) else None

    def place(self, line: int | None) -> tuple[str | None, int | None]:
        """The file (None for a log of one file) and its line, for a global line."""
        if line is None or not self.several:
            return None, line
        return self.names[line >> LINE_BITS], line & _LOCAL

    def where(self, event_id: int | None, line: int | None) -> str:
        """How a message points back at an event: ``event 5 at day-2.jsonl line 9``."""
        name, local = self.place(line)
        if local is None:
            return f"event {event_id}"
        if name is None:
            return f"event {event_id} at line {local}"
        return f"event {event_id} at {name} line {local}"


def record_batches(log: EventLog) -> Iterator[tuple[list[tuple[Record, int | None]], list[int]]]:
    """A log's records in replay order, a batch at a time, each with its element (a JSON
    array's 0-based index, else None), and its key: the element + 1 for an array (whose elements
    may share a line), else its line."""
    elements = log.elements()
    pairs: Iterator[tuple[Record, int | None]] = (
        elements if elements is not None else ((record, None) for record in log))
    batch: list[tuple[Record, int | None]] = []
    for pair in pairs:
        batch.append(pair)
        if len(batch) == _RECORDS_BATCH:
            yield batch, [_key(p) for p in batch]
            batch = []
    if batch:
        yield batch, [_key(p) for p in batch]


def _key(pair: tuple[Record, int | None]) -> int:
    record, element = pair
    return element + 1 if element is not None else _line_of(record)
