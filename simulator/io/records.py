"""What a log hands out: parsed records or ``Malformed`` ones, one at a time or in batches."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from simulator.io.order import Order


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


def given_records(events: Iterable[Any]) -> Iterator[Record]:
    """Events given in memory as records, each at its 1-based position: a parsed value as it
    is, a JSON text (bytes or str) parsed, a blank one skipped."""
    for number, item in enumerate(events, 1):
        if isinstance(item, bytes | bytearray | str):
            if not item.strip():
                continue
            try:
                yield orjson.loads(item), number
            except orjson.JSONDecodeError as exc:
                yield Malformed(number, not_json(exc))
        else:
            yield item, number


def parse_lines(lines: list[bytes], numbers: Sequence[int],
                stand_in: tuple[bytes, Malformed] | None = None) -> Iterator[Record]:
    """The records of a batch: blank lines skipped, each other line parsed.

    ``stand_in``: a line that stands for a record known to be malformed, and that record.
    """
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for line, number in zip(lines, numbers, strict=True):
        if not line or line.isspace():
            continue
        if stand_in is not None and line == stand_in[0]:
            yield stand_in[1]
            continue
        try:
            yield loads(line), number
        except decode_error as exc:
            yield Malformed(number, not_json(exc))


class EventLog(ABC):
    """An opened log: pass 1 is done (order known, input checked) unless opened with
    ``scan=False``; iterate for pass 2.

    Use as a context manager, or call ``close()``: it may own a temporary spool file.
    """

    name: str  # the file name as it can be shown ("<stdin>"; undecodable bytes escaped)
    format: Literal["jsonl", "json"]
    gzipped: bool
    records: int  # events and malformed records, blank lines excluded (-1 before pass 1)
    order: Order  # ascending is assumed before pass 1
    order_note: str | None  # the time-order warning's message when order is SORTED
    # ``line_at`` can read again every line that ``stream`` or ``batches`` hands out; when it
    # cannot (piped or compressed input read once), a repeated id is judged on parsed values.
    recallable: bool = False

    @abstractmethod
    def __iter__(self) -> Iterator[Record]:
        """Pass 2: each record in replay order, parsed (or ``Malformed``)."""

    def stream(self) -> Iterator[Batch] | None:
        """The raw lines in file order, before pass 1 (None: this log cannot)."""
        return None

    def batches(self) -> Iterator[Batch] | None:
        """The raw lines in replay order, a batch at a time (None: this kind of log has none)."""
        return None

    def line_at(self, line: int) -> bytes | None:
        """The raw text of a line handed out by ``batches`` (None if it has none)."""
        return None

    def elements(self) -> Iterator[tuple[Record, int]] | None:
        """Pass 2 of a JSON array: each record with its element's 0-based index in the file (a
        one-line array puts every element on line 1). None: the log is not an array."""
        return None

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
