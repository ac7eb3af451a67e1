"""A compact map from event id to a 64-bit content hash, for duplicate detection.

Every event id of a log must be remembered to tell a duplicate delivery (same content) from a
reused id (other content). A ``dict[int, int]`` costs ~120 bytes and two int objects per event.
Platform ids grow with time, so a log replayed in time order meets them mostly ascending: each id
greater than every id before it is appended to three sorted ``array('q')`` columns (id, hash,
first line: ~26 bytes an event, no per-event Python object, no cache miss) and found again by
bisection. Only the other ids (out of order, repeated) go to an open-addressing table that keeps
each slot's id, hash and line side by side (24 bytes a slot, at most half full), allocated when
the first one comes. Ids outside the signed 64-bit range, or equal to the empty-slot marker, go
to a small side dict.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

_EMPTY = -(1 << 63)
_MAX = (1 << 63) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


class EventIdTable:
    """``id -> hash``: ``setdefault`` returns the hash already stored, or stores the new one."""

    __slots__ = ("_bits", "_count", "_hashes", "_ids", "_limit", "_lines", "_mask", "_odd",
                 "_shift", "_slots", "_top")

    def __init__(self, bits: int = 8) -> None:
        """``bits``: log2 of the hash table's first size; it doubles when half full."""
        self._ids, self._hashes, self._lines = array("q"), array("q"), array("q")
        self._top = _EMPTY  # the last id of the ascending run
        self._odd: dict[int, tuple[int, int]] = {}  # id -> (hash, line)
        self._bits = bits
        self._slots = array("q")  # the hash table, allocated by the first out-of-order id
        self._count = 0

    def _alloc(self, bits: int) -> None:
        size = 1 << bits
        self._bits = bits
        self._shift = 64 - bits
        self._mask = size - 1
        self._limit = size // 2
        self._slots = array("q", [_EMPTY, 0, 0]) * size

    def __len__(self) -> int:
        return len(self._ids) + self._count + len(self._odd)

    def setdefault(self, key: int, value: int, line: int = -1) -> int | None:
        """The value stored for ``key``; if none, store ``value`` (and ``line``), return None."""
        if self._top < key <= _MAX:  # the common case: a new id, above all before it
            self._top = key
            self._ids.append(key)
            self._hashes.append(value)
            self._lines.append(line)
            return None
        at = self._in_run(key)
        if at >= 0:
            return self._hashes[at]
        if not _EMPTY < key <= _MAX:
            return self._odd_setdefault(key, value, line)
        if not self._slots:
            self._alloc(self._bits)
        slots = self._slots
        # Fibonacci hashing: the top bits of id * golden ratio spread sequential and strided ids.
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        at = slot * 3
        found = slots[at]
        while found != _EMPTY:
            if found == key:
                return slots[at + 1]
            slot = (slot + 1) & self._mask
            at = slot * 3
            found = slots[at]
        slots[at] = key
        slots[at + 1] = value
        slots[at + 2] = line
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return None

    def _in_run(self, key: int) -> int:
        """The index of ``key`` in the ascending run, -1 if absent."""
        ids = self._ids
        if not ids or not ids[0] <= key <= self._top:
            return -1
        at = len(ids) - 1 if key == self._top else bisect_left(ids, key)
        return at if ids[at] == key else -1

    def _odd_setdefault(self, key: int, value: int, line: int) -> int | None:
        old = self._odd.get(key)
        if old is None:
            self._odd[key] = (value, line)
            return None
        return old[0]

    def _find(self, key: int) -> tuple[int, int] | None:
        """``key``'s (hash, line) wherever it is stored, None if absent."""
        at = self._in_run(key)
        if at >= 0:
            return self._hashes[at], self._lines[at]
        if not _EMPTY < key <= _MAX:
            return self._odd.get(key)
        slots = self._slots
        if not slots:
            return None
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = slots[slot * 3]
        while found != _EMPTY:
            if found == key:
                return slots[slot * 3 + 1], slots[slot * 3 + 2]
            slot = (slot + 1) & self._mask
            found = slots[slot * 3]
        return None

    def get(self, key: int) -> int | None:
        found = self._find(key)
        return None if found is None else found[0]

    def line_of(self, key: int) -> int | None:
        """The line stored with ``key`` (None: no such id, or stored without a line)."""
        found = self._find(key)
        return None if found is None or found[1] < 0 else found[1]

    def _grow(self) -> None:
        old = self._slots
        self._alloc(self._bits + 1)
        slots, mask, shift = self._slots, self._mask, self._shift
        for start in range(0, len(old), 3):
            key = old[start]
            if key != _EMPTY:
                slot = ((key * _GOLDEN) & _MASK64) >> shift
                while slots[slot * 3] != _EMPTY:
                    slot = (slot + 1) & mask
                slots[slot * 3:slot * 3 + 3] = old[start:start + 3]

    def nbytes(self) -> int:
        """Bytes held by the arrays (the side dict is not counted: it is empty in practice)."""
        return 8 * (len(self._slots) + len(self._ids) + len(self._hashes) + len(self._lines))
