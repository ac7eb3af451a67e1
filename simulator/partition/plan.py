"""From the first pass to partitions: which lines of which file each partition replays.

The first pass (``simulator.replay.LinkScan``, one piece of the log per task) gives each line an
entity and pairs of entities that must replay together. Here they are joined with union-find,
together with what only the whole log shows: a registration range holds every ICCID seen inside
it (and meets every range it overlaps), and events that share an id (a duplicate delivery, the
two halves of a migration, a reused id) replay together so that replay's id table judges them
as one process would. Groups go to partitions largest first, each to the least loaded (events
counted); lines about no entity (malformed, organisation-level events) go, a piece at a time,
to the least loaded too. The result is one byte per line per file: its partition.

This runs in the command's process while the workers wait, so it works on what the pieces
met (a SIM per endpoint, per ICCID), not on lines, and in C where it can (dict views, ``map``).
Each group is named by its least entity (``_Groups.union`` keeps the least as root), so the
plan depends on the ties found, not on the order they were found in.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, filterfalse
from typing import Any

from simulator.io import Chunk
from simulator.replay import NO_ID, NOT_A_SIM, ChunkLinks

_UNSET = 255  # a line's partition still to choose
_UNSET_BYTE = bytes([_UNSET])


@dataclass(frozen=True, slots=True)
class Plan:
    """Per input (in name order), the partition of each line (``tables[i][line]``), and what
    the split came to (for progress messages and the benchmarks)."""

    tables: tuple[bytes, ...]
    parts: int
    events: tuple[int, ...]  # events (lines) per partition
    groups: int  # groups of entities found
    largest: int  # events in the largest group


def _before(a: Any, b: Any) -> bool:
    """The order that names groups: SIM ids (ints) first, then nodes (tuples)."""
    if type(a) is int:
        return type(b) is not int or a < b
    return type(b) is not int and a < b


class _Groups:
    """Union-find over entities (SIM ids, nodes); one never joined is its own root, and a root
    is the least entity of its group (``_before``)."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        parent = self.parent
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while (up := parent.get(x, x)) != root:
            parent[x] = root
            x = up
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if _before(rb, ra):
                ra, rb = rb, ra
            self.parent[rb] = ra

    def join_all(self, node: Any, members: list[Any]) -> None:
        """``union(node, m)`` for each of ``members``; those never joined yet (roots) go under
        the new root at once, in C."""
        fresh = list(filterfalse(self.parent.__contains__, members))
        for m in compress(members, map(self.parent.__contains__, members)):
            self.union(node, m)
        if fresh:
            root = self.find(node)
            low = min(fresh)
            if _before(low, root):
                self.parent[root] = low
                root = low
            self.parent.update(dict.fromkeys(fresh, root))
            self.parent.pop(root, None)  # a root has no parent

    def roots(self, xs: list[Any]) -> list[Any]:
        """``find`` of each, pointer by pointer in C."""
        get = self.parent.get
        roots = list(map(get, xs, xs))
        while True:
            up = list(map(get, roots, roots))
            if up == roots:
                return roots
            roots = up


def _merged(dicts: Sequence[dict[int, Any]], groups: _Groups) -> dict[int, Any]:
    """One dict of the pieces' ``key -> a SIM``; another SIM for a key joins the one kept."""
    merged: dict[int, Any] = {}
    for met in dicts:
        if not merged:
            merged = dict(met)
            continue
        changed = dict(met.items() - merged.items())  # new keys, or met with another SIM
        for key in changed.keys() & merged.keys():
            groups.union(merged[key], changed[key])
        merged.update(changed)  # a joined SIM stands for its group as well as the other did
    return merged


def plan(specs: Sequence[str], chunks: Sequence[Chunk], scans: Sequence[ChunkLinks],
         parts: int) -> Plan:
    """Partition the lines of ``specs`` (sorted) from the first pass over ``chunks``."""
    groups = _Groups()
    union, find = groups.union, groups.find
    endpoints = _merged([scan.endpoint_sim for scan in scans], groups)
    iccids = _merged([scan.iccid_sim for scan in scans], groups)
    for a, b in set().union(*(scan.sim_pairs for scan in scans)):
        union(a, b)
    keys = [{**scan.others, **scan.odd_sims} for scan in scans]  # lines not about a 64-bit SIM
    _join_repeated_ids(scans, keys, groups)
    nodes: set[Any] = set()
    for scan in scans:
        for a, b in scan.node_links:
            union(a, b)
            nodes.update((a, b))
    for others in keys:
        nodes.update(others.values())
    for node in nodes:  # an endpoint or an ICCID stands for a SIM seen with it
        if type(node) is tuple and node[0] in ("endpoint", "iccid"):
            sid = (endpoints if node[0] == "endpoint" else iccids).get(node[1])
            if sid is not None:
                union(node, sid)
    _join_ranges(sorted(n for n in nodes if type(n) is tuple and n[0] == "range"), iccids,
                 groups)

    sids = list(set().union(*(scan.counts for scan in scans)))
    root_of = dict(zip(sids, groups.roots(sids), strict=True))
    sizes: dict[Any, int] = {}
    for scan in scans:
        for root, n in zip(map(root_of.__getitem__, scan.counts), scan.counts.values(),
                           strict=True):
            sizes[root] = sizes.get(root, 0) + n
    for others in keys:
        for node in others.values():
            root = find(node)
            sizes[root] = sizes.get(root, 0) + 1
    loads = [(0, p) for p in range(parts)]
    part_of: dict[Any, int] = {}
    for root, n in sorted(sizes.items(), key=_biggest):
        load, p = heapq.heappop(loads)
        part_of[root] = p
        heapq.heappush(loads, (load + n, p))
    spare = []
    for scan, others in zip(scans, keys, strict=True):  # lines about nothing: a piece at a
        load, p = heapq.heappop(loads)  # time, to the least loaded
        spare.append(p)
        heapq.heappush(loads, (load + scan.sims.count(NOT_A_SIM) - len(others), p))

    part_of_sim = dict(zip(sids, map(part_of.__getitem__, root_of.values()), strict=True))
    part_of_sim[NOT_A_SIM] = _UNSET
    rank = {spec: i for i, spec in enumerate(specs)}
    tables = [bytearray() for _ in specs]
    bases = [0] * len(specs)
    for chunk, scan, others, extra in zip(chunks, scans, keys, spare, strict=True):
        row = bytearray(map(part_of_sim.__getitem__, scan.sims))
        for i, node in others.items():
            row[i] = part_of[find(node)]
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


def _biggest(item: tuple[Any, int]) -> tuple[int, int, int, tuple[Any, ...]]:
    """Groups largest first; ties by name (SIM ids, then nodes): deterministic."""
    root, n = item
    return (-n, 0, root, ()) if type(root) is int else (-n, 1, 0, root)


def _join_ranges(ranges: list[Any], iccids: dict[int, Any], groups: _Groups) -> None:
    """A registration range replays with every SIM whose ICCID is inside it, and with every
    range it overlaps."""
    if not ranges:
        return
    seen = sorted(iccids)
    sims = list(map(iccids.__getitem__, seen))
    for node in ranges:
        _, lo, hi = node
        members = sims[bisect_left(seen, lo):bisect_right(seen, hi)]
        if members:
            groups.join_all(node, members)
    reach, first = ranges[0][2], ranges[0]
    for node in ranges[1:]:  # sorted by start: a range overlaps the run before it or none
        if node[1] <= reach:
            groups.union(node, first)
            reach = max(reach, node[2])
        else:
            reach, first = node[2], node


def _join_repeated_ids(scans: Sequence[ChunkLinks], keys: list[dict[int, Any]],
                       groups: _Groups) -> None:
    """Lines of different pieces that share an event id replay together (an id node joins
    them; the first pass joined those within a piece)."""
    found: dict[Any, list[tuple[int, int]]] = {}  # id node -> (piece, line index)
    for c, scan in enumerate(scans):
        for eid, at in scan.odd_ids:  # its own kind: ids of other types never compared
            found.setdefault(("odd-id", repr(eid)), []).append((c, at))
    for eid, pieces in _repeated_across(scans).items():
        for c in pieces:
            found.setdefault(("id", eid), []).append((c, scans[c].ids.index(eid)))
    for node, where in found.items():
        if len(where) < 2:
            continue
        for c, i in where:
            key = scans[c].key(i)
            if key is None:  # about nothing else: the id is its entity
                key = keys[c][i] = node
            groups.union(node, key)


def _repeated_across(scans: Sequence[ChunkLinks]) -> dict[int, set[int]]:
    """Ids in more than one piece, and the pieces: only where the pieces' id ranges overlap
    (pieces of a log in time order hardly do), found by set intersection."""
    spans = sorted((*scan.id_range, c) for c, scan in enumerate(scans)
                   if scan.id_range is not None)
    found: dict[int, set[int]] = {}
    sets: dict[int, set[int]] = {}
    for k, (_, hi, c) in enumerate(spans):
        for lo2, _, c2 in spans[k + 1:]:
            if lo2 > hi:
                break
            mine = sets.get(c) or sets.setdefault(c, set(scans[c].ids))
            theirs = sets.get(c2) or sets.setdefault(c2, set(scans[c2].ids))
            for eid in mine.intersection(theirs):
                found.setdefault(eid, set()).update((c, c2))
    found.pop(NO_ID, None)
    return found
