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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.io import Chunk
from simulator.replay import NO_ID, NOT_A_SIM, ChunkLinks

_UNSET = 255  # a line's partition still to choose
_UNSET_BYTE = bytes([_UNSET])


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
    index: dict[Any, int] = {}  # SIM ids (ints) and other nodes (tuples) -> union-find index

    def node(code: Any) -> int:
        g = index.get(code)
        if g is None:
            g = index[code] = uf.add()
        return g

    union = uf.union
    first_sim: dict[tuple[str, int], int] = {}  # ("endpoint"|"iccid", id) -> first SIM seen
    for scan in scans:
        for kind, seen in (("endpoint", scan.endpoint_sim), ("iccid", scan.iccid_sim)):
            for ident, sid in seen.items():
                first = first_sim.setdefault((kind, ident), sid)
                if first != sid:
                    union(node(first), node(sid))
        for a, b in scan.sim_pairs:
            union(node(a), node(b))
        for a, b in scan.node_links:
            union(node(a), node(b))
    keys = [_line_keys(scan) for scan in scans]
    for others in keys:
        for code in others.values():
            node(code)
    for code in [c for c in index if type(c) is tuple and c[0] in ("endpoint", "iccid")]:
        found = first_sim.get(code)
        if found is not None:
            union(node(code), node(found))
    _join_ranges(index, first_sim, node, uf)
    _join_repeated_ids(scans, keys, node, uf)

    sizes: Counter[int] = Counter()
    free: list[int] = []
    find = uf.find
    for scan, others in zip(scans, keys, strict=True):
        counted = Counter(scan.sims)
        unkeyed = counted.pop(NOT_A_SIM, 0) - len(others)
        free.append(unkeyed)
        for sid, n in counted.items():
            sizes[find(node(sid))] += n
        for code in others.values():
            sizes[find(node(code))] += 1
    loads = [(0, p) for p in range(parts)]
    part_of: dict[int, int] = {}
    for root, n in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        load, p = heapq.heappop(loads)
        part_of[root] = p
        heapq.heappush(loads, (load + n, p))
    spare = []
    for n in free:  # lines about nothing: a piece at a time, to the least loaded
        load, p = heapq.heappop(loads)
        spare.append(p)
        heapq.heappush(loads, (load + n, p))

    part_of_sim = {code: part_of[find(g)] for code, g in index.items()
                   if type(code) is int and find(g) in part_of}
    part_of_sim[NOT_A_SIM] = _UNSET
    rank = {spec: i for i, spec in enumerate(specs)}
    tables = [bytearray() for _ in specs]
    bases = [0] * len(specs)
    for chunk, scan, others, extra in zip(chunks, scans, keys, spare, strict=True):
        row = bytearray(map(part_of_sim.__getitem__, scan.sims))
        for i, code in others.items():
            row[i] = part_of[find(node(code))]
        row = row.replace(_UNSET_BYTE, bytes([extra]))
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


def _line_keys(scan: ChunkLinks) -> dict[int, Any]:
    """The entity of each line that is not about a SIM of 64 bits: line index -> node."""
    return {**scan.others, **scan.odd_sims}


def _join_ranges(index: dict[Any, int], first_sim: dict[tuple[str, int], int],
                 node: Callable[[Any], int], uf: _UnionFind) -> None:
    """A registration range replays with every SIM whose ICCID is inside it, and with every
    range it overlaps."""
    ranges = sorted((code[1], code[2], g) for code, g in index.items()
                    if type(code) is tuple and code[0] == "range")
    if not ranges:
        return
    iccids = sorted((ident, sid) for (kind, ident), sid in first_sim.items() if kind == "iccid")
    values = [ic for ic, _ in iccids]
    for lo, hi, g in ranges:
        for i in range(bisect_left(values, lo), bisect_right(values, hi)):
            uf.union(g, node(iccids[i][1]))
    reach, first = ranges[0][1], ranges[0][2]
    for lo, hi, g in ranges[1:]:  # sorted by start: a range overlaps the run before it or none
        if lo <= reach:
            uf.union(g, first)
            reach = max(reach, hi)
        else:
            reach, first = hi, g


def _join_repeated_ids(scans: Sequence[ChunkLinks], keys: list[dict[int, Any]],
                       node: Callable[[Any], int], uf: _UnionFind) -> None:
    """Lines that share an event id replay together (an id node joins them)."""
    repeated = _repeated(scans)
    odd: dict[str, list[tuple[int, int]]] = {}
    for c, scan in enumerate(scans):
        for eid, at in scan.odd_ids:
            odd.setdefault(repr(eid), []).append((c, at))
    found: dict[Any, list[tuple[int, int]]] = {key: v for key, v in odd.items() if len(v) > 1}
    if repeated:
        for c, scan in enumerate(scans):
            if scan.ids_sorted and _overlaps(scan.ids_sorted, repeated):
                for i, eid in enumerate(scan.ids):
                    if eid in repeated:
                        found.setdefault(eid, []).append((c, i))
    for eid, where in found.items():
        g = node(("id", eid))
        for c, i in where:
            sid = scans[c].sims[i]
            if sid != NOT_A_SIM:
                uf.union(g, node(sid))
            elif i in keys[c]:
                uf.union(g, node(keys[c][i]))
            else:  # about nothing else: the id is its entity
                keys[c][i] = ("id", eid)


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
    clusters: list[list[array[int]]] = []
    reach = NO_ID
    for lo, hi, ids in spans:  # pieces whose id ranges overlap, transitively
        if clusters and lo <= reach:
            clusters[-1].append(ids)
        else:
            clusters.append([ids])
        reach = max(reach, hi)
    for cluster in clusters:
        if len(cluster) > 1:
            prev = NO_ID
            for eid in heapq.merge(*cluster):
                if eid == prev:
                    repeated.add(eid)
                prev = eid
    return repeated
