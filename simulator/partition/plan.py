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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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


class _Groups:
    """Union-find over entities (SIM ids, nodes); one that was never joined is its own root."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}
        self._order: dict[Any, int] = {}  # roots are the entities met first: deterministic

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
            order = self._order
            if order.setdefault(ra, len(order)) < order.setdefault(rb, len(order)):
                ra, rb = rb, ra
            self.parent[ra] = rb


def _first_seen(dicts: Sequence[dict[int, int]], groups: _Groups) -> dict[int, int]:
    """One dict of the pieces' ``id -> first SIM``; a second SIM for an id joins the first. The
    pieces mostly agree, so the comparison is done with set operations on the dicts' views."""
    merged: dict[int, int] = {}
    for seen in dicts:
        shared = seen.keys() & merged.keys()
        if shared:
            for ident in shared - dict(seen.items() & merged.items()).keys():
                groups.union(merged[ident], seen[ident])
        merged.update(seen)  # a joined SIM stands for its group as well as the first did
    return merged


def plan(specs: Sequence[str], chunks: Sequence[Chunk], scans: Sequence[ChunkLinks],
         parts: int) -> Plan:
    """Partition the lines of ``specs`` (sorted) from the first pass over ``chunks``."""
    groups = _Groups()
    union, find = groups.union, groups.find
    endpoints = _first_seen([scan.endpoint_sim for scan in scans], groups)
    iccids = _first_seen([scan.iccid_sim for scan in scans], groups)
    for scan in scans:
        for a, b in scan.sim_pairs:
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
    for node in nodes:  # an endpoint or an ICCID stands for the first SIM seen with it
        if type(node) is tuple and node[0] in ("endpoint", "iccid"):
            sid = (endpoints if node[0] == "endpoint" else iccids).get(node[1])
            if sid is not None:
                union(node, sid)
    _join_ranges([n for n in nodes if type(n) is tuple and n[0] == "range"], iccids, groups)

    sizes: Counter[Any] = Counter()
    root_of: dict[int, Any] = {}
    for scan in scans:
        for sid, n in scan.counts.items():
            root = root_of.get(sid)
            if root is None:
                root = root_of[sid] = find(sid)
            sizes[root] += n
    for others in keys:
        for node in others.values():
            sizes[find(node)] += 1
    loads = [(0, p) for p in range(parts)]
    part_of: dict[Any, int] = {}
    for root, n in sorted(sizes.items(), key=lambda item: -item[1]):  # stable: deterministic
        load, p = heapq.heappop(loads)
        part_of[root] = p
        heapq.heappush(loads, (load + n, p))
    spare = []
    for scan, others in zip(scans, keys, strict=True):  # lines about nothing: a piece at a
        load, p = heapq.heappop(loads)  # time, to the least loaded
        spare.append(p)
        heapq.heappush(loads, (load + scan.sims.count(NOT_A_SIM) - len(others), p))

    part_of_sim = {sid: part_of[root] for sid, root in root_of.items()}
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


def _join_ranges(ranges: list[Any], iccids: dict[int, int], groups: _Groups) -> None:
    """A registration range replays with every SIM whose ICCID is inside it, and with every
    range it overlaps."""
    if not ranges:
        return
    ranges.sort()
    seen = sorted(iccids)
    parent = groups.parent
    for node in ranges:
        _, lo, hi = node
        root = groups.find(node)
        for i in range(bisect_left(seen, lo), bisect_right(seen, hi)):
            sid = iccids[seen[i]]
            if sid in parent or sid == root:
                groups.union(root, sid)
                root = groups.find(root)
            else:  # a SIM joined to nothing yet (the common case): straight under the range
                parent[sid] = root
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
    found: dict[Any, list[tuple[int, int]]] = {}
    for c, scan in enumerate(scans):
        for eid, at in scan.odd_ids:
            found.setdefault(("odd", repr(eid)), []).append((c, at))
    for eid, pieces in _repeated_across(scans).items():
        for c in pieces:
            found.setdefault(eid, []).append((c, scans[c].ids.index(eid)))
    for eid, where in found.items():
        if len(where) < 2:
            continue
        for c, i in where:
            key = scans[c].key(i)
            if key is None:  # about nothing else: the id is its entity
                key = keys[c][i] = ("id", eid)
            groups.union(("id", eid), key)


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
