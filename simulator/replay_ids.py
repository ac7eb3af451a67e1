"""A compact map from event id to a 64-bit content hash, for duplicate detection.

Every event id of a log must be remembered to tell a duplicate delivery (same content) from a
reused id (other content). A ``dict[int, int]`` costs ~120 bytes and two int objects per event;
this open-addressing table keeps ids and hashes in two ``array('q')`` (16 bytes a slot, at most
half full: 32-64 bytes an event, no per-event Python object). Ids outside the signed 64-bit range,
or equal to the empty-slot marker, go to a small side dict.
"""

from __future__ import annotations

from array import array

_EMPTY = -(1 << 63)
_MAX = (1 << 63) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


class EventIdTable:
    """``id -> hash``: ``setdefault`` returns the hash already stored, or stores the new one."""

    __slots__ = ("_bits", "_count", "_hashes", "_keys", "_limit", "_mask", "_odd", "_shift")

    def __init__(self, bits: int = 12) -> None:
        self._odd: dict[int, int] = {}
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

    def __len__(self) -> int:
        return self._count + len(self._odd)

    def setdefault(self, key: int, value: int) -> int | None:
        """The value stored for ``key``; if none, store ``value`` and return None."""
        if not -_MAX <= key <= _MAX:  # the empty marker -2**63 is outside too
            old = self._odd.get(key)
            if old is None:
                self._odd[key] = value
            return old
        keys = self._keys
        # Fibonacci hashing: the top bits of id * golden ratio spread sequential and strided ids.
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = keys[slot]
        while found != _EMPTY:
            if found == key:
                return self._hashes[slot]
            slot = (slot + 1) & self._mask
            found = keys[slot]
        keys[slot] = key
        self._hashes[slot] = value
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return None

    def get(self, key: int) -> int | None:
        if not -_MAX <= key <= _MAX:  # the empty marker -2**63 is outside too
            return self._odd.get(key)
        keys = self._keys
        slot = ((key * _GOLDEN) & _MASK64) >> self._shift
        found = keys[slot]
        while found != _EMPTY:
            if found == key:
                return self._hashes[slot]
            slot = (slot + 1) & self._mask
            found = keys[slot]
        return None

    def _grow(self) -> None:
        old_keys, old_hashes = self._keys, self._hashes
        self._alloc(self._bits + 1)
        keys, hashes, mask, shift = self._keys, self._hashes, self._mask, self._shift
        for key, value in zip(old_keys, old_hashes, strict=True):
            if key != _EMPTY:
                slot = ((key * _GOLDEN) & _MASK64) >> shift
                while keys[slot] != _EMPTY:
                    slot = (slot + 1) & mask
                keys[slot] = key
                hashes[slot] = value

    def nbytes(self) -> int:
        """Bytes held by the two arrays (the side dict is not counted: it is empty in practice)."""
        return (len(self._keys) + len(self._hashes)) * 8
