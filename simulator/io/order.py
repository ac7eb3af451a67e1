"""Finding a log's time order from its timestamps, without a Python object per event.

The platform writes ``timestamp`` first, so most lines start ``{"timestamp":"...Z"``: one regex
over a whole block finds them all, and ``sorted`` compares them (``fast_stamps``); other lines
are parsed one by one (``slow_scan``). ``OrderScan`` keeps only the last timestamp and the first
place where each order breaks. Only a log in neither order needs sort keys (``millis``).
"""

from __future__ import annotations

import re
from array import array
from datetime import date
from enum import StrEnum
from typing import Any

import orjson

from lifecycle.events import EnvelopeError, canonical_timestamp

BOM = b"\xef\xbb\xbf"
_FAST_PREFIX = b'{"timestamp":"'
_FAST_LINE = re.compile(rb'\n(?:\{"timestamp":"(.{10}T.{8}\..{3}Z)")?')


class Order(StrEnum):
    """The order found in the file; replay always receives ascending time."""

    ASCENDING = "ascending"
    DESCENDING = "descending"
    SORTED = "sorted"  # neither: sorted by (timestamp, file order) before replay


def stamp_of(value: Any) -> bytes | None:
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
    """The timestamp a line is ordered by (None: it has none that reads)."""
    if line.startswith(_FAST_PREFIX) and line[37:39] == b'Z"' and line[24] == 84:
        return line[14:38]
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return stamp_of(value)


def millis(stamp: bytes) -> int | None:
    """Milliseconds of a timestamp of canonical shape: a compact sort key (``None`` if it does
    not read: ``line_stamp`` checks only the shape's letters). A leap second (23:59:60) sorts
    at the end of its minute."""
    try:
        day = date(int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10])).toordinal()
        minute = (day * 24 + int(stamp[11:13])) * 60 + int(stamp[14:16])
        second, milli = int(stamp[17:19]), int(stamp[20:23])
    except ValueError:
        return None
    if second > 59:
        second, milli = 59, 999
    return (minute * 60 + second) * 1000 + milli


class OrderScan:
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

    def note(self, unit: str = "line", number: Any = int) -> str | None:
        """The time-order warning; ``unit`` names what it counts, ``number`` maps a position
        given to ``add`` to the one it reports."""
        if self.order is not Order.SORTED or self.up is None or self.down is None:
            return None
        (up, up_prev), (down, down_prev) = self.up, self.down
        return (
            f"events are in neither ascending nor descending time order ({unit} {number(up)} is "
            f"earlier than {unit} {number(up_prev)}, {unit} {number(down)} later than {unit} "
            f"{number(down_prev)}); replayed sorted by (timestamp, file order)"
        )


def sort_permutation(keys: list[int | None]) -> list[int]:
    """Indices in ascending (key, index); a record without a key follows its predecessor."""
    last = -1
    filled = array("q")
    for key in keys:
        if key is not None:
            last = key
        filled.append(last)
    return sorted(range(len(filled)), key=filled.__getitem__)


def fast_stamps(block: bytes) -> tuple[int, list[bytes] | None]:
    """The number of lines of a block, and their timestamps if each starts with a canonical one.

    One regex over the whole block stops at every line end, with the next line's timestamp or
    with nothing, so it counts the lines too. Anything else (blank lines, other key orders,
    lenient forms) gives None and the block is scanned line by line (``slow_scan``).
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


def block_stamps(block: bytes) -> list[bytes]:
    """The timestamps of a block's lines, as ``line_stamp`` reads each (lines without one left
    out): found by one regex where every line starts with a canonical one (``fast_stamps``)."""
    _, stamps = fast_stamps(block)
    if stamps is not None:
        return stamps
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return [stamp for stamp in map(line_stamp, lines) if stamp is not None]


def slow_scan(block: bytes, lineno: int, scan: OrderScan) -> int:
    """Pass 1 for a block ``fast_stamps`` cannot take: one parse per line; returns its records.

    ``lineno``: lines before the block (a BOM is skipped on the first line of the log)."""
    records = 0
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    if not lineno and lines and lines[0].startswith(BOM):
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
