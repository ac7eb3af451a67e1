"""Where a log's bytes come from, decompressed, and the bounded temporary copy some need.

A regular uncompressed file is read by offsets as often as needed. A gzip file is decompressed
again from its start for each pass. Standard input and pipes can be read once: what must be read
twice is copied, as it goes, into a ``Spool``: an anonymous temporary file (nothing is left
behind, even after a kill) of at most ``Limits.spool`` bytes. Memory is a few blocks: lines and
array elements are gathered as lists of parts, never by repeated concatenation.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Generator, Iterable, Iterator
from typing import BinaryIO, Protocol

from simulator.io.atomic import note_input
from simulator.io.errors import InputError, display_name
from simulator.io.limits import Limits, format_size
from simulator.io.order import BOM

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def os_message(name: str, exc: OSError) -> str:
    """One line for an error reading ``name``."""
    if isinstance(exc, FileNotFoundError):
        return f"{name}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{name}: is a directory, expected a log file"
    if isinstance(exc, PermissionError):
        return f"{name}: permission denied"
    return f"{name}: cannot read: {exc.strerror or exc}"


def read_chunks(file: BinaryIO, block: int) -> Iterator[bytes]:
    """A file's bytes from its start, by offsets (its position is left alone)."""
    fd, offset = file.fileno(), 0
    while data := os.pread(fd, block, offset):
        yield data
        offset += len(data)


def file_blocks(file: BinaryIO, block: int, limit: int, start: int = 0,
                stop: int | None = None) -> Iterator[tuple[bytes, int]]:
    """Bytes ``start`` to ``stop`` (default: the end) of a regular file as ``(data, end)``:
    ``data[:end]`` is a block of about ``block`` bytes that ends at a line end (or at the end),
    and the rest of ``data`` is read again with the next block. Each block is read at its
    offset, so none is pieced together or cut out of a copy. A line longer than ``limit``
    raises ``LineTooLong`` (at its offset) before it is read. ``stop`` must be a line end."""
    fd, offset = file.fileno(), start
    while offset != stop and (data := os.pread(
            fd, block if stop is None else min(block, stop - offset), offset)):
        end = len(data) if offset + len(data) == stop else data.rfind(b"\n") + 1
        if not end:  # a line longer than a block, or the last line: read to its end
            after = line_end(fd, offset + len(data), stop, offset + limit)
            if after < 0 or after - offset - 1 > limit:
                raise LineTooLong(offset)
            data = os.pread(fd, after - offset, offset) if after - offset != len(data) else data
            end = len(data)
        yield data, end
        offset += end


def line_end(fd: int, pos: int, stop: int | None = None, most: int | None = None) -> int:
    """The offset just after the first line end at or after ``pos``, else ``stop`` (or the
    end of the file); read 64 KiB at a time. -1 once the search passes ``most``."""
    while pos != stop and (data := os.pread(fd, 1 << 16 if stop is None
                                            else min(1 << 16, stop - pos), pos)):
        found = data.find(b"\n")
        if found >= 0:
            return pos + found + 1
        pos += len(data)
        if most is not None and pos > most:
            return -1
    return pos


class LineTooLong(Exception):
    """A line longer than ``Limits.record``; the reader, which counts lines, says which.
    ``offset``: where it starts, when read by offsets."""

    def __init__(self, offset: int = -1) -> None:
        super().__init__(offset)
        self.offset = offset


def too_long(name: str, line: int, limit: int) -> InputError:
    """The error for a line past ``Limits.record`` (``--max-event-size``)."""
    return InputError(f"{name}: line {line} is longer than {format_size(limit)} "
                      "(--max-event-size): not an event log?")


def check_text(block: bytes, lines_before: int, name: str, end: int | None = None) -> None:
    """Binary input (a NUL byte, invalid UTF-8) is an error for the whole log (exit 2).
    ``end``: only ``block[:end]`` is checked."""
    end = len(block) if end is None else end
    nul = block.find(b"\0", 0, end)
    if nul >= 0:
        line = lines_before + block.count(b"\n", 0, nul) + 1
        raise InputError(f"{name}: binary data (a NUL byte) on line {line}")
    if not block.isascii():
        try:
            str(memoryview(block)[:end], "utf-8")
        except UnicodeDecodeError as exc:
            line = lines_before + block.count(b"\n", 0, exc.start) + 1
            raise InputError(f"{name}: binary data (invalid UTF-8) on line {line}") from None


def line_blocks(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The bytes of ``chunks`` in blocks that end at a line end (or at the end of input).

    A line longer than one chunk is gathered as a list of parts and joined once (linear time
    for any length); one longer than ``limit`` raises ``LineTooLong`` before it is gathered.
    """
    parts: list[bytes] = []  # a line that has not ended yet, in parts
    size = 0
    for chunk in chunks:
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            size += len(chunk)
            if size > limit:
                raise LineTooLong
            parts.append(chunk)
            continue
        if parts:
            if size + chunk.find(b"\n") > limit:
                raise LineTooLong
            parts.append(chunk[:cut])
            yield b"".join(parts)
            parts.clear()
        else:
            yield chunk if cut == len(chunk) else chunk[:cut]
        rest = chunk[cut:]
        size = len(rest)
        if rest:
            parts.append(rest)
    if parts:
        yield b"".join(parts)


class Spool:
    """A temporary file of at most ``limit`` bytes for input that must be read twice."""

    def __init__(self, limit: int, name: str, why: str) -> None:
        self.limit, self.name, self.why = limit, name, why
        self.size = 0
        try:
            self.file: BinaryIO = tempfile.TemporaryFile(prefix="simlife-")  # noqa: SIM115
        except OSError as exc:
            raise InputError(self._cannot(exc)) from None

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.limit:
            self.close()
            raise InputError(
                f"{self.name}: {self.why} needs a temporary copy of more than "
                f"{format_size(self.limit)} (--spool-limit): raise the limit, or give the "
                "log as an uncompressed file")
        try:
            self.file.write(data)
        except OSError as exc:
            self.close()
            raise InputError(self._cannot(exc)) from None
        self.size += len(data)

    def finish(self) -> BinaryIO:
        """The copy, complete, ready to be read by offsets."""
        try:
            self.file.flush()
        except OSError as exc:
            self.close()
            raise InputError(self._cannot(exc)) from None
        return self.file

    def _cannot(self, exc: OSError) -> str:
        where = tempfile.gettempdir()
        return f"{self.name}: cannot write a temporary copy in {where}: {exc.strerror or exc}"

    def close(self) -> None:
        self.file.close()


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Joined:
    """``head`` then the rest of ``rest``: a stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            data = self.head if size < 0 else self.head[:size]
            self.head = self.head[len(data):]
            return data
        return self.rest.read(size)

    def seek(self, offset: int, /) -> int:
        raise OSError("a stream cannot seek")


class Source:
    """The decompressed bytes of a log file or of standard input, in chunks of ``block``."""

    def __init__(self, path: str | os.PathLike[str], limits: Limits) -> None:
        self.name = display_name(path)
        self.block = limits.block
        self._pushback: list[bytes] = []  # read ahead (by ``peek``) from a stream read once
        self._owned = False
        try:
            if str(path) == "-":
                if sys.stdin is None:
                    raise InputError(f"{self.name}: no standard input")
                self._raw: BinaryIO = sys.stdin.buffer
                regular = False
            else:
                self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
                self._owned = True
                regular = stat.S_ISREG(os.fstat(self._raw.fileno()).st_mode)
            note_input(self._raw, self.name)  # no output may replace it
            if regular:
                head = os.pread(self._raw.fileno(), 2, 0)
            else:
                head = b""
                while len(head) < 2 and (more := self._raw.read(self.block)):
                    head += more
        except OSError as exc:
            self.close()
            raise InputError(os_message(self.name, exc)) from None
        self.gzipped = head[:2] == GZIP_MAGIC
        self.rereadable = regular  # ``chunks`` can start again from the beginning
        # A regular uncompressed file: read by offsets, never copied.
        self.plain: BinaryIO | None = self._raw if regular and not self.gzipped else None
        self._stream: _Readable | None = None  # the one reader of a stream
        if not regular:
            joined = _Joined(head, self._raw)
            self._stream = gzip.GzipFile(fileobj=joined, mode="rb") if self.gzipped else joined

    def chunks(self) -> Generator[bytes, None, None]:
        """The bytes from the start (again, if ``rereadable``), or, from a stream read once,
        those not handed out yet."""
        try:
            yield from self._pushback
            self._pushback = []
            if self.plain is not None:
                yield from read_chunks(self.plain, self.block)
                return
            reader: _Readable
            if self._stream is not None:
                reader = self._stream
            else:  # a gzip file: decompressed again from its start
                self._raw.seek(0)
                reader = gzip.GzipFile(fileobj=self._raw, mode="rb")
            block = self.block
            while data := reader.read(block):
                yield data
        except _GZIP_ERRORS as exc:
            raise InputError(f"{self.name}: truncated or corrupt gzip data ({exc})") from None
        except OSError as exc:
            raise InputError(os_message(self.name, exc)) from None

    def peek(self, limit: int) -> bytes:
        """The first byte that is not whitespace or a BOM (``b""`` if the first ``limit`` bytes
        hold none). From a stream, what it reads is handed out again by ``chunks``."""
        seen = 0
        kept: list[bytes] = []
        found = b""
        chunks = self.chunks()
        try:
            for chunk in chunks:
                kept.append(chunk)
                part = chunk[3:] if not seen and chunk.startswith(BOM) else chunk
                seen += len(chunk)
                stripped = part.lstrip()
                if stripped:
                    found = stripped[:1]
                    break
                if seen >= limit:
                    break
        finally:
            chunks.close()
            if self._stream is not None:
                self._pushback = kept
        return found

    def close(self) -> None:
        if self._owned:
            self._raw.close()
