"""A compact map from event id to a 64-bit content hash, for duplicate detection.

Every event id of a log must be remembered to tell a duplicate delivery (same content) from a
reused id (other content). A ``dict[int, int]`` costs ~120 bytes and two int objects per event;
this open-addressing table keeps ids and hashes in two ``array('q')`` (16 bytes a slot, at most
half full: 32-64 bytes an event, no per-event Python object). With ``lines`` a third array keeps
the line of each id's first event (48-96 bytes an event), so that its content can be read again.
Ids outside the signed 64-bit range, or equal to the empty-slot marker, go to a small side dict.
"""

from __future__ import annotations

from array import array

_EMPTY = -(1 << 63)
_MAX = (1 << 63) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


class EventIdTable:
    """``id -> hash``: ``setdefault`` returns the hash already stored, or stores the new one."""

    __slots__ = ("_bits", "_count", "_hashes", "_keys", "_limit", "_lines", "_mask", "_odd",
                 "_shift", "_with_lines")

    def __init__(self, bits: int = 12, *, lines: bool = False) -> None:
        """``bits``: log2 of the initial size; it doubles when half full (``for_events``)."""
        self._odd: dict[int, tuple[int, int]] = {}  # id -> (hash, line)
        self._with_lines = lines
        self._alloc(bits)
        self._count = 0

    def _alloc(self, bits: int) -> None:
        size = 1 << bits
        self._bits = bits
        self._shift = 64 - bits
        self._mask = size - 1
        self._limit = size // 2
        self._keys = array("q", [_EMPTY]) * size
        self._hashes = array("q", bytes(8 * size))
        self._lines = array("q", bytes(8 * size)) if self._with_lines else None

    @classmethod
    def for_events(cls, events: int, *, lines: bool = False) -> EventIdTable:
        """A table that holds ``events`` ids without growing: growing re-inserts every id."""
        return cls(max(12, (2 * events - 1).bit_length()), lines=lines)

    def __len__(self) -> int:
        return self._count + len(self._odd)

    def setdefault(self, key: int, value: int, line: int = -1) -> int | None:
        """The value stored for ``key``; if none, store ``value`` (and ``line``), return None."""
        keys = self._keys
        # Fibonacci hashing: the top bits of id * golden ratio spread sequential and strided ids.
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = keys[slot]
        while found != _EMPTY:
            if found == key:
                return self._hashes[slot]
            slot = (slot + 1) & self._mask
            found = keys[slot]
        if key == _EMPTY:
            return self._odd_setdefault(key, value, line)
        try:
            keys[slot] = key
        except OverflowError:  # beyond 64 bits: never equal to a stored key, so not found above
            return self._odd_setdefault(key, value, line)
        self._hashes[slot] = value
        if self._lines is not None:
            self._lines[slot] = line
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

    def _slot(self, key: int) -> int:
        keys = self._keys
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = keys[slot]
        while found != _EMPTY:
            if found == key:
                return slot
            slot = (slot + 1) & self._mask
            found = keys[slot]
        return -1

    def get(self, key: int) -> int | None:
        if not -_MAX <= key <= _MAX:  # the empty marker -2**63 is outside too
            old = self._odd.get(key)
            return None if old is None else old[0]
        slot = self._slot(key)
        return None if slot < 0 else self._hashes[slot]

    def line_of(self, key: int) -> int | None:
        """The line stored with ``key`` (None: no such id, or stored without a line)."""
        if not -_MAX <= key <= _MAX:
            old = self._odd.get(key)
            line = -1 if old is None else old[1]
        else:
            slot = self._slot(key)
            line = -1 if slot < 0 or self._lines is None else self._lines[slot]
        return None if line < 0 else line

    def _grow(self) -> None:
        old_keys, old_hashes, old_lines = self._keys, self._hashes, self._lines
        self._alloc(self._bits + 1)
        keys, hashes, lines = self._keys, self._hashes, self._lines
        mask, shift = self._mask, self._shift
        for i, key in enumerate(old_keys):
            if key != _EMPTY:
                slot = ((key * _GOLDEN) & _MASK64) >> shift
                while keys[slot] != _EMPTY:
                    slot = (slot + 1) & mask
                keys[slot] = key
                hashes[slot] = old_hashes[i]
                if lines is not None and old_lines is not None:
                    lines[slot] = old_lines[i]

    def nbytes(self) -> int:
        """Bytes held by the arrays (the side dict is not counted: it is empty in practice)."""
        return (len(self._keys) + len(self._hashes) + len(self._lines or ())) * 8
