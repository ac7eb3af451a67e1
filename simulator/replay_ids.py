"""A compact map from event id to a 64-bit content hash, for duplicate detection.

Every event id of a log must be remembered to tell a duplicate delivery (same content) from a
reused id (other content). A ``dict[int, int]`` costs ~120 bytes and two int objects per event;
this open-addressing table keeps each slot's id and hash side by side in one ``array('q')``
(16 bytes a slot, at most half full: 32-64 bytes an event, no per-event Python object; one cache
line per lookup). With ``lines`` a slot also keeps the line of the id's first event (24 bytes a
slot, 48-96 bytes an event), so that its content can be read again. Ids outside the signed 64-bit
range, or equal to the empty-slot marker, go to a small side dict.
"""

from __future__ import annotations

from array import array

_EMPTY = -(1 << 63)
_MAX = (1 << 63) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


class EventIdTable:
    """``id -> hash``: ``setdefault`` returns the hash already stored, or stores the new one."""

    __slots__ = ("_bits", "_count", "_limit", "_mask", "_odd", "_shift", "_slots", "_width")

    def __init__(self, bits: int = 12, *, lines: bool = False) -> None:
        """``bits``: log2 of the initial size; it doubles when half full (``for_events``)."""
        self._odd: dict[int, tuple[int, int]] = {}  # id -> (hash, line)
        self._width = 3 if lines else 2  # id, hash[, line]
        self._alloc(bits)
        self._count = 0

    @classmethod
    def for_events(cls, events: int, *, lines: bool = False) -> EventIdTable:
        """A table that holds ``events`` ids without growing: growing re-inserts every id."""
        return cls(max(12, (2 * events - 1).bit_length()), lines=lines)

    def _alloc(self, bits: int) -> None:
        size = 1 << bits
        self._bits = bits
        self._shift = 64 - bits
        self._mask = size - 1
        self._limit = size // 2
        self._slots = array("q", [_EMPTY] + [0] * (self._width - 1)) * size

    def __len__(self) -> int:
        return self._count + len(self._odd)

    def setdefault(self, key: int, value: int, line: int = -1) -> int | None:
        """The value stored for ``key``; if none, store ``value`` (and ``line``), return None."""
        slots, width = self._slots, self._width
        # Fibonacci hashing: the top bits of id * golden ratio spread sequential and strided ids.
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        at = slot * width
        found = slots[at]
        while found != _EMPTY:
            if found == key:
                return slots[at + 1]
            slot = (slot + 1) & self._mask
            at = slot * width
            found = slots[at]
        if key == _EMPTY:
            return self._odd_setdefault(key, value, line)
        try:
            slots[at] = key
        except OverflowError:  # beyond 64 bits: never equal to a stored key, so not found above
            return self._odd_setdefault(key, value, line)
        slots[at + 1] = value
        if width == 3:
            slots[at + 2] = line
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return None

    def _odd_setdefault(self, key: int, value: int, line: int) -> int | None:
        old = self._odd.get(key)
        if old is None:
            self._odd[key] = (value, line)
            return None
        return old[0]

    def _find(self, key: int) -> int:
        """The index of ``key``'s slot in the array, -1 if absent (``key`` within 64 bits)."""
        slots, width = self._slots, self._width
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = slots[slot * width]
        while found != _EMPTY:
            if found == key:
                return slot * width
            slot = (slot + 1) & self._mask
            found = slots[slot * width]
        return -1

    def get(self, key: int) -> int | None:
        if not -_MAX <= key <= _MAX:  # the empty marker -2**63 is outside too
            old = self._odd.get(key)
            return None if old is None else old[0]
        at = self._find(key)
        return None if at < 0 else self._slots[at + 1]

    def line_of(self, key: int) -> int | None:
        """The line stored with ``key`` (None: no such id, or stored without a line)."""
        if not -_MAX <= key <= _MAX:
            old = self._odd.get(key)
            line = -1 if old is None else old[1]
        else:
            at = self._find(key)
            line = -1 if at < 0 or self._width < 3 else self._slots[at + 2]
        return None if line < 0 else line

    def _grow(self) -> None:
        old, width = self._slots, self._width
        self._alloc(self._bits + 1)
        slots, mask, shift = self._slots, self._mask, self._shift
        for start in range(0, len(old), width):
            key = old[start]
            if key != _EMPTY:
                slot = ((key * _GOLDEN) & _MASK64) >> shift
                while slots[slot * width] != _EMPTY:
                    slot = (slot + 1) & mask
                at = slot * width
                slots[at:at + width] = old[start:start + width]

    def nbytes(self) -> int:
        """Bytes held by the array (the side dict is not counted: it is empty in practice)."""
        return len(self._slots) * 8
