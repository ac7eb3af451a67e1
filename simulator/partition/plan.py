"""From the first pass to partitions: which lines of which file each partition replays.

The first pass (``simulator.replay.LinkScan``, one piece of the log per task) gives each line an
entity and pairs of entities that must replay together. Here they are joined with union-find,
together with what only the whole log shows: a registration range holds every ICCID seen inside
it (and meets every range it overlaps), and events that share an id (a duplicate delivery, the
two halves of a migration, a reused id) replay together so that replay's id table judges them
as one process would. Groups go to partitions largest first, each to the least loaded (events
counted); lines about no entity (malformed, organisation-level events) go, a piece at a time,
to the least loaded too. The result is one byte per line per file: its partition.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.io import Chunk
from simulator.replay import NO_ID, ChunkLinks

_ICCID = 2


@dataclass(frozen=True, slots=True)
class Plan:
    """Per input (in name order), the partition of each line (``tables[i][line]``), and what
    the split came to (for ``--verbose`` and the benchmarks)."""

    tables: tuple[bytes, ...]
    parts: int
    events: tuple[int, ...]  # events (lines) per partition
    groups: int  # groups of entities found
    largest: int  # events in the largest group


class _UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self.parent[ra] = rb


def plan(specs: Sequence[str], chunks: Sequence[Chunk], scans: Sequence[ChunkLinks],
         parts: int) -> Plan:
    """Partition the lines of ``specs`` (sorted) from the first pass over ``chunks``."""
    uf = _UnionFind()
    index: dict[Any, int] = {}
    gmaps: list[list[int]] = []
    for scan in scans:
        gmap = []
        for code in scan.nodes:
            g = index.get(code)
            if g is None:
                g = index[code] = uf.add()
            gmap.append(g)
        gmaps.append(gmap)
        for a, b in scan.links:
            uf.union(gmap[a], gmap[b])
    _join_ranges(index, uf)
    _join_repeated_ids(scans, gmaps, index, uf)

    sizes: Counter[int] = Counter()
    free: list[int] = []
    for scan, gmap in zip(scans, gmaps, strict=True):
        counted = Counter(scan.keys)
        free.append(counted.pop(-1, 0))
        for k, n in counted.items():
            sizes[uf.find(gmap[k])] += n
    loads = [(0, p) for p in range(parts)]
    part_of: dict[int, int] = {}
    for root, n in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        load, p = heapq.heappop(loads)
        part_of[root] = p
        heapq.heappush(loads, (load + n, p))
    chunk_free = []
    for n in free:  # lines about no entity: a piece at a time, to the least loaded
        load, p = heapq.heappop(loads)
        chunk_free.append(p)
        heapq.heappush(loads, (load + n, p))

    rank = {spec: i for i, spec in enumerate(specs)}
    tables = [bytearray() for _ in specs]
    bases = [0] * len(specs)
    for chunk, scan, gmap, spare in zip(chunks, scans, gmaps, chunk_free, strict=True):
        local = bytes([part_of[uf.find(g)] for g in gmap] + [spare])  # key -1: the last byte
        row = bytes(map(local.__getitem__, scan.keys))
        table = tables[rank[chunk.spec]]
        if chunk.end < 0:  # the whole input, its own line numbers in any order
            top = max(scan.lines, default=0)
            if len(table) <= top:
                table.extend(bytes(top + 1 - len(table)))
            for line, p in zip(scan.lines, row, strict=True):
                table[line] = p
        else:  # consecutive lines from 1 within the piece
            base = bases[rank[chunk.spec]]
            if len(table) < base + 1:
                table.extend(bytes(base + 1 - len(table)))
            table[base + 1:base + 1 + len(row)] = row
            bases[rank[chunk.spec]] = base + len(row)
    events = [0] * parts
    for load, p in loads:
        events[p] = load
    return Plan(tuple(bytes(t) for t in tables), parts, tuple(events), len(sizes),
                max(sizes.values(), default=0))


def _join_ranges(index: dict[Any, int], uf: _UnionFind) -> None:
    """A registration range replays with every ICCID inside it and every range it overlaps."""
    ranges = sorted((code[1], code[2], g) for code, g in index.items() if type(code) is tuple)
    if not ranges:
        return
    iccids = sorted((code >> 2, g) for code, g in index.items()
                    if type(code) is int and code & 3 == _ICCID)
    values = [ic for ic, _ in iccids]
    for lo, hi, g in ranges:
        for i in range(bisect_left(values, lo), bisect_right(values, hi)):
            uf.union(g, iccids[i][1])
    reach, first = ranges[0][1], ranges[0][2]
    for lo, hi, g in ranges[1:]:  # sorted by start: a range overlaps the run before it or none
        if lo <= reach:
            uf.union(g, first)
            reach = max(reach, hi)
        else:
            reach, first = hi, g


def _join_repeated_ids(scans: Sequence[ChunkLinks], gmaps: list[list[int]],
                       index: dict[Any, int], uf: _UnionFind) -> None:
    """Lines that share an event id replay together (an id node joins them)."""
    repeated = _repeated(scans)
    odd: dict[Any, list[tuple[int, int]]] = {}
    for c, scan in enumerate(scans):
        for eid, line in scan.odd_ids:
            odd.setdefault(repr(eid), []).append((c, line))
    if not repeated and all(len(v) < 2 for v in odd.values()):
        return
    where: dict[Any, list[tuple[int, int]]] = {}
    for c, scan in enumerate(scans):
        if repeated and scan.ids_sorted and _overlaps(scan.ids_sorted, repeated):
            for i, eid in enumerate(scan.ids):
                if eid in repeated:
                    where.setdefault(eid, []).append((c, i))
    for key, found in odd.items():
        if len(found) > 1:
            where[("odd", key)] = [(c, _position(scans[c], line)) for c, line in found]
    for eid, found in where.items():
        g = index.get(("id", eid))
        if g is None:
            g = index[("id", eid)] = uf.add()
        for c, i in found:
            scan, gmap = scans[c], gmaps[c]
            key = scan.keys[i]
            if key < 0:  # about no entity: the id node is its entity
                scan.nodes.append(("id", eid))
                gmap.append(g)
                scan.keys[i] = len(gmap) - 1
            else:
                uf.union(g, gmap[key])


def _position(scan: ChunkLinks, line: int) -> int:
    return scan.lines.index(line)


def _overlaps(ids_sorted: array[int], repeated: set[int]) -> bool:
    lo, hi = ids_sorted[0], ids_sorted[-1]
    return any(lo <= r <= hi for r in repeated)


def _repeated(scans: Sequence[ChunkLinks]) -> set[int]:
    """Ids seen on more than one line: within a piece (found by its task), and across pieces
    whose id ranges overlap (merged; pieces of a log in time order seldom overlap)."""
    repeated: set[int] = set()
    spans = []
    for scan in scans:
        repeated |= scan.ids_repeated
        if scan.ids_sorted:
            spans.append((scan.ids_sorted[0], scan.ids_sorted[-1], scan.ids_sorted))
    spans.sort(key=lambda s: (s[0], s[1]))
    cluster: list[array[int]] = []
    reach = None
    for lo, hi, ids in spans + [(None, None, None)]:
        if ids is not None and reach is not None and lo <= reach:
            cluster.append(ids)
            reach = max(reach, hi)
            continue
        if len(cluster) > 1:
            prev = None
            for eid in heapq.merge(*cluster):
                if eid == prev:
                    repeated.add(eid)
                prev = eid
        if ids is not None:
            cluster, reach = [ids], hi
    return repeated
