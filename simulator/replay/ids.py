"""A compact map from event id to a 64-bit content hash and first line, for duplicate detection.

Every event id of a log must be remembered to tell a duplicate delivery (same content) from a
reused id (other content). A ``dict[int, int]`` costs ~120 bytes and two int objects per event.
Platform ids grow with time, so a log replayed in time order meets them mostly ascending: each id
greater than every id before it joins the *run*, found again by bisection. The run keeps no
Python object per event:

* ids as 2-byte offsets (``array('H')``) from the base of their segment, a new segment (16
  bytes) where an id is 65,536 or more above the base; ids that sparse (fewer than 16 a segment)
  turn the offsets into 4 bytes, and segments into spans of 2**32;
* lines as runs of evenly spaced numbers (start, first line, step): nothing per event while a
  log is read in file order, forwards or backwards;
* hashes as 8 bytes each (``array('q')``), or only for the last ``keep`` ids of the run when the
  caller can read an older event again to compare (``forget_after``): about 2 bytes an event.

Only the other ids (out of order, repeated) go to an open-addressing table that keeps each slot's
id, hash and line side by side (24 bytes a slot, at most half full), allocated when the first
one comes. Ids outside the signed 64-bit range, or equal to the empty-slot marker, go to a small
side dict.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right

_EMPTY = -(1 << 63)
_MAX = (1 << 63) - 1
_SHORT, _LONG = 1 << 16, 1 << 32  # ids a segment of the run spans: 2-byte, 4-byte offsets
_DENSE = 16  # ids a segment must hold on average for 2-byte offsets to pay
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
# What ``setdefault`` and ``get`` return for an id whose hash was forgotten: ``hash()`` never
# returns -1, so no digest equals it.
FORGOTTEN = -1


class EventIdTable:
    """``id -> hash``: ``setdefault`` returns the hash already stored, or stores the new one."""

    __slots__ = ("_base", "_bits", "_ceiling", "_count", "_expect", "_firsts", "_hash_from",
                 "_hashes", "_keep", "_limit", "_lows", "_mask", "_odd", "_run_at", "_run_line",
                 "_seg_bases", "_seg_starts", "_shift", "_slots", "_span", "_starts", "_step",
                 "_steps", "_top")

    def __init__(self, bits: int = 8) -> None:
        """``bits``: log2 of the hash table's first size; it doubles when half full."""
        self._lows = array("H")  # the run: id - its segment's base
        self._span = _SHORT
        self._seg_starts, self._seg_bases = array("q"), array("q")
        self._base = 0  # of the current segment
        self._ceiling = _EMPTY  # ids below it (and above ``_top``) fit the current segment
        self._top = _EMPTY  # the last id of the run
        self._hashes = array("q")  # hashes of the run from position ``_hash_from`` on
        self._hash_from = 0
        self._keep = _MAX  # twice the hashes kept (``forget_after``): past it, the older go
        # Lines of the run: at position ``_starts[k]`` a run of lines ``_firsts[k]``, stepping
        # by ``_steps[k]``. ``_expect``: the line that continues the current one.
        self._starts, self._firsts, self._steps = array("q"), array("q"), array("q")
        self._expect = _EMPTY
        self._step = 1
        self._run_at = -2
        self._run_line = 0
        self._odd: dict[int, tuple[int, int]] = {}  # id -> (hash, line)
        self._bits = bits
        self._slots = array("q")  # the hash table, allocated by the first out-of-order id
        self._count = 0

    def forget_after(self, keep: int) -> None:
        """Keep the hashes of only the last ``keep`` (at least) ids of the run; for an older one
        ``setdefault`` and ``get`` return ``FORGOTTEN`` (the caller compares its line instead)."""
        self._keep = 2 * max(1, keep)

    def _alloc(self, bits: int) -> None:
        size = 1 << bits
        self._bits = bits
        self._shift = 64 - bits
        self._mask = size - 1
        self._limit = size // 2
        self._slots = array("q", [_EMPTY, 0, 0]) * size

    def __len__(self) -> int:
        return len(self._lows) + self._count + len(self._odd)

    def setdefault(self, key: int, value: int, line: int = -1) -> int | None:
        """The value stored for ``key``; if none, store ``value`` (and ``line``), return None."""
        if self._top < key < self._ceiling:  # the common case: a new id, above all before it
            self._top = key
            self._lows.append(key - self._base)
            hashes = self._hashes
            hashes.append(value)
            if len(hashes) > self._keep:
                self._forget()
            if line == self._expect:
                self._expect = line + self._step
            else:
                self._new_line(line)
            return None
        if self._top < key <= _MAX:  # above the run, beyond its segment: a new segment
            self._new_segment(key)
            return self.setdefault(key, value, line)
        at = self._in_run(key)
        if at >= 0:
            return self._hash_at(at)
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

    def _new_segment(self, key: int) -> None:
        lows = self._lows
        if self._span == _SHORT and len(self._seg_starts) * _DENSE > len(lows) + 256 * _DENSE:
            self._lows = array("I", lows)  # sparse ids: longer offsets, far fewer segments
            self._span = _LONG
        self._seg_starts.append(len(lows))
        self._seg_bases.append(key)
        self._base = key
        self._ceiling = min(key + self._span, _MAX + 1)

    def _forget(self) -> None:
        """Drop the older half of the hashes (amortised: one move per ``keep`` ids)."""
        drop = len(self._hashes) - self._keep // 2
        del self._hashes[:drop]
        self._hash_from += drop

    def _new_line(self, line: int) -> None:
        """The run's last id has a line that does not continue the current run of lines."""
        at = len(self._lows) - 1
        if at == self._run_at + 1:  # the second line of a run sets its step
            step = self._steps[-1] = line - self._run_line
        else:
            self._starts.append(at)
            self._firsts.append(line)
            self._steps.append(1)
            self._run_at, self._run_line, step = at, line, 1
        self._step = step
        self._expect = line + step

    def _in_run(self, key: int) -> int:
        """The position of ``key`` in the run, -1 if absent."""
        lows = self._lows
        if not lows or not self._seg_bases[0] <= key <= self._top:
            return -1
        k = bisect_right(self._seg_bases, key) - 1
        offset = key - self._seg_bases[k]
        if offset >= self._span:
            return -1
        lo = self._seg_starts[k]
        hi = self._seg_starts[k + 1] if k + 1 < len(self._seg_starts) else len(lows)
        at = bisect_left(lows, offset, lo, hi)
        return at if at < hi and lows[at] == offset else -1

    def _hash_at(self, at: int) -> int:
        return self._hashes[at - self._hash_from] if at >= self._hash_from else FORGOTTEN

    def _line_at(self, at: int) -> int:
        k = bisect_right(self._starts, at) - 1
        return self._firsts[k] + (at - self._starts[k]) * self._steps[k]

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
            return self._hash_at(at), self._line_at(at)
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
        run = self._lows.itemsize * len(self._lows) + 8 * (
            len(self._hashes) + 2 * len(self._seg_starts) + 3 * len(self._starts))
        return run + 8 * len(self._slots)
