"""JSON arrays (several in a row, as pages saved one after another, read as one log).

Pass 1 (when the log is opened) splits the arrays into their elements in bounded memory: the
text is decoded a block at a time and ``json``'s ``raw_decode`` finds where each element ends;
an element that goes on past the text read so far is read again with at least twice as much
text (linear time for any length) up to ``Limits.record``. Whitespace between elements is
skipped as it comes, so an array that never closes ends in one malformed record, never in a
memory ramp. Each element is copied, on a line of its own, to a bounded ``Spool``, and
``LinesLog`` does the rest (order, pass 2) over that copy: its line ``n`` is element ``n - 1``,
handed out with the line where the element starts. The order is found, and reported, by
element (an API page saved in one line has all its elements on line 1). A syntax error inside
an array cannot be skipped reliably: it is reported as one malformed record, with the index its
element would have, and the rest of the input is ignored.

Elements may share a line, so ``line_at`` cannot name one: a repeated id is judged on parsed
values (``recallable`` is False).
"""

from __future__ import annotations

import codecs
import json
import re
from array import array
from collections.abc import Iterator

from simulator.io.errors import InputError
from simulator.io.limits import Limits, format_size
from simulator.io.lines import LinesLog
from simulator.io.records import EventLog, Malformed, Record, parse_lines
from simulator.io.sources import Source, Spool

_WS = re.compile(r"[ \t\n\r]*")
_STAND_IN = b"!"  # the copy's line for the malformed record: no element starts so



def _zero(text: str) -> int:
    return 0


# Only where each element ends is wanted: numbers are not converted (no int of 5,000 digits).
_DECODER = json.JSONDecoder(parse_int=_zero, parse_float=_zero, parse_constant=_zero)


class ArrayLog(EventLog):
    """A log of JSON arrays (see the module)."""

    def __init__(self, source: Source, limits: Limits) -> None:
        self.name, self.format, self.gzipped = source.name, "json", source.gzipped
        self._error: Malformed | None = None
        self._spool = Spool(limits.spool, self.name, "reading a JSON array")
        try:
            numbers = array("q")
            for item in _Elements(source, limits.record):
                if isinstance(item, Malformed):
                    self._error = item
                    self._spool.write(_STAND_IN + b"\n")
                    numbers.append(item.line)
                else:
                    text, line = item
                    self._spool.write(text.encode().replace(b"\n", b" ") + b"\n")
                    numbers.append(line)
            self._lines = LinesLog(source, limits, file=self._spool.finish())
        except BaseException:
            self._spool.close()
            source.close()
            raise
        self._numbers = numbers  # element -> the line where it starts
        self.records = self._lines.records
        self.order = self._lines.order
        assert self._lines.scanned is not None
        self.order_note = self._lines.scanned.note("element", lambda line: line - 1)

    def __iter__(self) -> Iterator[Record]:
        return (record for record, _ in self.elements())

    def elements(self) -> Iterator[tuple[Record, int]]:
        stand_in = None if self._error is None else (_STAND_IN, self._error)
        starts = self._numbers
        for lines, copied in self._lines.batches():  # line n of the copy: element n - 1
            indices = [n - 1 for n in copied]
            records = parse_lines(lines, [starts[i] for i in indices], stand_in)
            yield from zip(records, indices, strict=True)

    def close(self) -> None:
        self._lines.close()
        self._spool.close()


class _Elements:
    """The elements of the arrays in a source: (text, line where it starts), then, if the input
    breaks off or is no array, one ``Malformed``."""

    def __init__(self, source: Source, limit: int) -> None:
        self._name, self._limit = source.name, limit
        self._chunks = source.chunks()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text = ""  # the text read and not dropped yet
        self._pos = 0  # where reading is, in ``_text``
        self._eof = False
        self._counted, self._line = 0, 1  # the line of position ``_counted``
        self._column0 = 0  # characters on the line before ``_text[0]``
        self._started = False

    def __iter__(self) -> Iterator[tuple[str, int] | Malformed]:
        while self._skip_ws():  # an array, or several in a row
            if self._text[self._pos] != "[":
                yield self._fail(self._pos, "expected '[' (a JSON array) after the array")
                return
            self._pos += 1
            if not self._skip_ws():
                yield self._fail(self._pos, "unexpected end")
                return
            if self._text[self._pos] == "]":
                self._pos += 1
                continue
            while True:
                item = self._element()
                yield item
                if isinstance(item, Malformed):
                    return
                if not self._skip_ws():
                    yield self._fail(self._pos, "unexpected end")
                    return
                after = self._text[self._pos]
                if after == "]":
                    self._pos += 1
                    break
                if after != ",":
                    yield self._fail(self._pos, "expected ',' or ']'")
                    return
                self._pos += 1
                if not self._skip_ws():
                    yield self._fail(self._pos, "unexpected end")
                    return

    def _element(self) -> tuple[str, int] | Malformed:
        start = self._pos
        line = self._line_of(start)
        while True:
            try:
                _, end = _DECODER.raw_decode(self._text, start)
            except json.JSONDecodeError as exc:
                cut_short = (exc.pos >= len(self._text) - 10
                             or exc.msg.startswith("Unterminated string"))
                if self._eof or not cut_short:
                    return self._fail(exc.pos, exc.msg)
            except RecursionError:
                return Malformed(line, "not JSON: nested too deeply; rest ignored")
            else:
                if end < len(self._text) or self._eof:  # a number may go on in the next block
                    if end - start > self._limit:
                        raise self._too_long(line)
                    self._pos = end
                    return self._text[start:end], line
            if len(self._text) - start > self._limit:
                raise self._too_long(line)
            start -= max(0, self._read(start, len(self._text) - start))

    def _skip_ws(self) -> bool:
        """Move past whitespace, reading on as needed; False at the end of the input."""
        while True:
            found = _WS.match(self._text, self._pos)
            self._pos = found.end() if found else self._pos
            if self._pos < len(self._text):
                return True
            if self._read(self._pos) < 0:
                return False

    def _read(self, keep: int, more: int = 1) -> int:
        """Drop the text before ``keep`` and read at least ``more`` characters (or up to the
        end), joined once; returns how far positions moved back (-1 at the end of the input:
        nothing read)."""
        if self._eof:
            return -1
        self._line_of(keep)
        dropped = self._text[:keep]
        newline = dropped.rfind("\n")
        self._column0 = keep - newline - 1 if newline >= 0 else self._column0 + keep
        self._text = self._text[keep:]
        self._pos -= keep
        self._counted -= keep
        parts = [self._text]
        size = 0
        while size < more and not self._eof:
            piece = self._decoded(next(self._chunks, None), parts)
            parts.append(piece)
            size += len(piece)
        self._text = "".join(parts)
        return keep

    def _decoded(self, chunk: bytes | None, before: list[str]) -> str:
        """The text of the next chunk (None: the end), checked: valid UTF-8, no NUL. ``before``:
        the text that precedes it, to number the line of an error."""
        try:
            if chunk is None:
                self._eof = True
                piece = self._decoder.decode(b"", final=True)
            else:
                piece = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = self._lines_to_end(before) + (chunk or b"").count(b"\n", 0, exc.start)
            raise InputError(f"{self._name}: binary data (invalid UTF-8) on line {line}") from None
        if not self._started and piece:
            self._started = True
            piece = piece.removeprefix("\ufeff")
        nul = piece.find("\0")
        if nul >= 0:
            line = self._lines_to_end(before) + piece.count("\n", 0, nul)
            raise InputError(f"{self._name}: binary data (a NUL byte) on line {line}")
        return piece

    def _lines_to_end(self, texts: list[str]) -> int:
        """The line at the end of ``texts`` (the current text and pieces read after it)."""
        counted = self._text.count("\n", self._counted)
        return self._line + counted + sum(t.count("\n") for t in texts[1:])

    def _line_of(self, at: int) -> int:
        """The line of position ``at`` (counted forward from the last position asked for)."""
        if at > self._counted:
            self._line += self._text.count("\n", self._counted, at)
            self._counted = at
        return self._line

    def _fail(self, at: int, what: str) -> Malformed:
        line = self._line_of(at)
        newline = self._text.rfind("\n", 0, at)
        column = at - newline if newline >= 0 else self._column0 + at + 1
        return Malformed(line, f"not JSON: {what} at column {column}; rest ignored")

    def _too_long(self, line: int) -> InputError:
        return InputError(f"{self._name}: the array element on line {line} is longer than "
                          f"{format_size(self._limit)} (--max-event-size): not an event log?")
