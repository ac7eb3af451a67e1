"""JSON Lines: streamed in file order while it ascends, else two passes over a file.

Pass 1 reads the file in blocks of about ``Limits.block`` bytes that end at a line end, checks
each block is text (no NUL, valid UTF-8), and compares the timestamps (``simulator.io.order``).
All it keeps is an ``array('q')`` with the offset and first line of each block: no Python
object, not even 8 bytes, per event. Pass 2 reads the same blocks forward for an ascending log,
and backward, block by block, each block's lines reversed, for a descending one. Only a log in
neither order pays for a sort: about 80 bytes an event while sorting (keys and a permutation),
then one read per event.

Both passes need a file read by offsets: a regular uncompressed file is one; other input is
first copied to a bounded ``Spool``. Before pass 1, ``stream`` hands the lines out in file order
straight from the source (a reader that expects ascending time checks it on the way, and starts
over with ``batches`` only if a line steps back): an ascending gzip or piped log is never
copied whole. Standard input and pipes, which cannot be read again, are copied as they stream,
up to ``Limits.spool``; past that they stream on, and only a step back then is an error.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import BinaryIO

from simulator.io.errors import InputError
from simulator.io.limits import Limits, format_size
from simulator.io.order import (
    BOM,
    Order,
    OrderScan,
    fast_stamps,
    line_stamp,
    millis,
    slow_scan,
    sort_permutation,
)
from simulator.io.records import Batch, EventLog, Record, parse_lines
from simulator.io.sources import (
    LineTooLong,
    Source,
    Spool,
    check_text,
    file_blocks,
    line_blocks,
    read_chunks,
    too_long,
)

_SORTED_BATCH = 512  # records read by offset per batch, for a log in neither order


class LinesLog(EventLog):
    """A JSON Lines log (see the module). ``file``: a complete copy already made (an array's
    elements, one per line)."""

    def __init__(self, source: Source, limits: Limits, *, scan: bool = True,
                 file: BinaryIO | None = None) -> None:
        self._source = source
        self._limits = limits
        self.name, self.format, self.gzipped = source.name, "jsonl", source.gzipped
        self._file = file if file is not None else source.plain  # read by offsets
        self.scanned: OrderScan | None = None  # what pass 1 found of the order
        self._spool: Spool | None = None  # the copy of a stream, made as it is read
        self._rest: Iterator[bytes] | None = None  # a stream's chunks, once it has begun
        self._lost: str | None = None  # why the copy of a stream had to be given up
        self._index = array("q")  # start offset and first line of each block, then end
        # A block's first line and its lines: the one being handed out, the last one read again.
        self._current: tuple[int, list[bytes]] = (0, [])
        self._recent: tuple[int, list[bytes]] = (0, [])
        self._scanned = False
        self._lines_read = 0  # lines handed out by ``stream`` so far
        self.recallable = self._file is not None
        if scan:
            self._materialise()
            self._scan()
        else:  # assumed until pass 1: the reader of ``stream`` checks it
            self.records, self.order, self.order_note = -1, Order.ASCENDING, None

    # ------------------------------------------------------------------ before pass 1

    def stream(self) -> Iterator[Batch] | None:
        """The lines in file order without pass 1, each block checked as text when it is read
        (None once pass 1 has run, or a stream has begun).

        For a reader that expects ascending time and checks it on the way (``validate_path``):
        at the first line earlier than the one before it stops, and starts over with
        ``batches``, which runs pass 1 first. An input error may come after some lines.
        ``recallable`` says whether ``line_at`` can read the lines again meanwhile.
        """
        if self._scanned or self._rest is not None:
            return None
        if self._file is not None:
            return self._stream(self._file_blocks(), True)
        self._rest = self._copied(self._source.chunks())
        blocks = self._blocks(self._rest, lambda: self._lines_read)
        return self._stream(((block, len(block)) for block in blocks), False)

    def _file_blocks(self) -> Iterator[tuple[bytes, int]]:
        """``file_blocks`` of the file; a line past ``Limits.record`` is an input error."""
        assert self._file is not None
        try:
            yield from file_blocks(self._file, self._limits.block, self._limits.record)
        except LineTooLong:
            raise too_long(self.name, self._lines_read + 1, self._limits.record) from None

    def _stream(self, blocks: Iterator[tuple[bytes, int]], indexed: bool) -> Iterator[Batch]:
        """``data[:end]`` of each block: its lines, numbered on."""
        index = self._index = array("q")
        pos = self._lines_read = 0
        for data, end in blocks:
            lineno = self._lines_read
            check_text(data, lineno, self.name, end)
            if indexed:
                index.extend((pos, lineno + 1))
            lines = data.split(b"\n")
            if end < len(data) or data.endswith(b"\n"):
                lines.pop()  # the start of a line read again with the next block, or nothing
            if not pos and lines[0].startswith(BOM):
                lines[0] = lines[0][3:]
            self._current = (lineno + 1, lines)
            self._lines_read = lineno + len(lines)
            yield lines, range(lineno + 1, lineno + 1 + len(lines))
            pos += end
        if indexed:
            index.extend((pos, self._lines_read + 1))

    def _copied(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """``chunks``; from a stream read once, also copied to a spool while it fits."""
        if not self._source.rereadable:
            self._spool = Spool(self._limits.spool, self.name, "replaying it in time order")
        for chunk in chunks:
            if self._spool is not None:
                try:
                    self._spool.write(chunk)
                except InputError:  # too large to copy: stream on; only a step back fails
                    self._spool = None
                    self._lost = (
                        f"{self.name}: not in ascending time order, and more than "
                        f"{format_size(self._limits.spool)} (--spool-limit) had been read when "
                        "that showed: it cannot be read again to replay it sorted; raise the "
                        "limit, or sort the log first")
            yield chunk

    def _materialise(self) -> None:
        """Make the complete copy pass 1 and 2 read by offsets (a regular file is its own)."""
        if self._file is not None:
            return
        if self._rest is not None and not self._source.rereadable:
            if self._lost is not None:
                raise InputError(self._lost)
            for _ in self._rest:  # the rest of the stream, copied on the way
                pass
            if self._lost is not None:
                raise InputError(self._lost)
            assert self._spool is not None
            self._file = self._spool.finish()
            return
        self._spool = Spool(self._limits.spool, self.name, "replaying it in time order")
        for chunk in self._source.chunks():
            self._spool.write(chunk)
        self._file = self._spool.finish()

    def _blocks(self, chunks: Iterator[bytes],
                lines_before: Callable[[], int]) -> Iterator[bytes]:
        """``line_blocks`` of ``chunks``; a line past ``Limits.record`` is an input error."""
        try:
            yield from line_blocks(chunks, self._limits.record)
        except LineTooLong:
            raise too_long(self.name, lines_before() + 1, self._limits.record) from None

    # ------------------------------------------------------------------ pass 1

    def _scan(self) -> None:
        """Pass 1: check the text, count the records, find the order (see the module)."""
        assert self._file is not None
        self._index = index = array("q")
        scan = OrderScan()
        records = pos = lineno = 0
        chunks = read_chunks(self._file, self._limits.block)
        for block in self._blocks(chunks, lambda: lineno):  # noqa: B023 (the count so far)
            check_text(block, lineno, self.name)
            index.extend((pos, lineno + 1))
            n, stamps = fast_stamps(block[3:] if not pos and block.startswith(BOM) else block)
            if stamps is not None:
                scan.extend(stamps, lineno + 1)
                records += n
            else:
                records += slow_scan(block, lineno, scan)
            pos += len(block)
            lineno += n
        index.extend((pos, lineno + 1))
        self._current = self._recent = (0, [])
        self.records = records
        self.order = scan.order
        self.order_note = scan.note()
        self.scanned = scan
        self._scanned = True

    # ------------------------------------------------------------------ pass 2

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
        self._source.close()

    def __iter__(self) -> Iterator[Record]:
        for lines, numbers in self.batches():
            yield from parse_lines(lines, numbers)

    def batches(self) -> Iterator[Batch]:
        """Pass 2 in batches: raw lines (blank ones included) with their line numbers, in replay
        order, a block at a time; a caller that parses them itself skips a generator per event.
        Runs pass 1 first (here, not lazily) if the log was opened without it."""
        if not self._scanned:
            self._materialise()
            self._scan()
        self.recallable = True
        return self._sorted() if self.order is Order.SORTED else self._in_order()

    def _in_order(self) -> Iterator[Batch]:
        index = self._index
        blocks = range(len(index) // 2 - 1)
        backward = self.order is Order.DESCENDING
        for k in reversed(blocks) if backward else blocks:
            first = index[2 * k + 1]
            lines = self._block_lines(k)
            self._current = (first, lines)  # what ``line_at`` asks for is most often near
            numbers = range(first, first + len(lines))
            if backward:
                yield lines[::-1], numbers[::-1]
            else:
                yield lines, numbers

    def _block_lines(self, k: int) -> list[bytes]:
        """The lines of block ``k`` (split as pass 1 counted them; a BOM on line 1 removed)."""
        index = self._index
        block = self._read(index[2 * k], index[2 * k + 2])
        lines = block.split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()
        if not k and lines and lines[0].startswith(BOM):
            lines[0] = lines[0][3:]
        return lines

    def line_at(self, line: int) -> bytes | None:
        """The raw text of line ``line`` (numbered as in the records), read again from the file.

        For the rare check that needs an earlier event's content again (a repeated id with other
        bytes): the block of the last call, and the one being handed out, are kept, so nearby
        lines cost no read. None while ``recallable`` is False.
        """
        if not self.recallable:
            return None
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
        assert self._file is not None
        fd = self._file.fileno()
        parts = []
        size = 0
        while size < end - start:  # short reads are legal, if rare, on regular files
            more = os.pread(fd, end - start - size, start + size)
            if not more:
                raise InputError(f"{self.name}: the file changed while it was read")
            parts.append(more)
            size += len(more)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _sorted(self) -> Iterator[Batch]:
        assert self._file is not None
        offsets = array("q")  # start and end of each record: only a log in neither order
        keys: list[int | None] = []
        lines = array("q")
        pos = 0
        self._file.seek(0)
        for lineno, line in enumerate(self._file, 1):
            start, pos = pos, pos + len(line)
            if line.isspace():
                continue
            if lineno == 1 and line.startswith(BOM):
                line = line[3:]
            offsets.extend((start, pos))
            lines.append(lineno)
            stamp = line_stamp(line)
            keys.append(None if stamp is None else millis(stamp))
        permutation = sort_permutation(keys)
        del keys
        for at in range(0, len(permutation), _SORTED_BATCH):
            chunk = permutation[at:at + _SORTED_BATCH]
            batch = []
            for j in chunk:
                line = self._read(offsets[2 * j], offsets[2 * j + 1])
                if lines[j] == 1 and line.startswith(BOM):
                    line = line[3:]
                batch.append(line)
            yield batch, [lines[j] for j in chunk]
