"""What a worker runs: the first pass over one piece of a log, and the replay of one partition.

Both take and return plain picklable values, so the same functions run in local processes and on
a Dask cluster. A partition's replay reads every file of the log in the one replay order
(``simulator.io.Shards``), keeps the lines the plan gave it, and replays them with the single
process's own code (``simulator.replay.Run``). It returns its findings with the place of each in
the whole log's replay order (its *rank*), so that ``combine`` can merge the partitions'
findings into exactly the order one process reports them in.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from lifecycle.rules import Finding
from simulator.io import (
    LINE_BITS,
    Chunk,
    Limits,
    Malformed,
    Shards,
    global_line,
    range_blocks,
    read_chunk,
)
from simulator.replay import (
    MAX_FINDINGS,
    ChunkLinks,
    LinkScan,
    Replay,
    Run,
    UnpairedHalf,
    collector_paused,
)

DEFAULT_LIMITS = Limits()

_LOCAL = (1 << LINE_BITS) - 1
# bytes.translate tables: 1 where a line's partition is p, else 0 (for itertools.compress).
_SELECT = [bytes(int(i == p) for i in range(256)) for p in range(256)]
MAX_PARTS = 255


def scan_chunk(chunk: Chunk, limits: Limits = DEFAULT_LIMITS) -> ChunkLinks:
    """The first pass over a piece of the log: ids only (``simulator.replay.LinkScan``); for a
    byte range also whether its timestamps ascend."""
    with collector_paused():
        if chunk.end >= 0:
            scan = LinkScan(numbered=False)
            for block in range_blocks(chunk, limits):
                scan.add_block(block)
            return scan.result()
        scan = LinkScan()
        for items, numbers, raw in read_chunk(chunk, limits):
            if raw:
                scan.add_lines(items, numbers)
                continue
            for record, number in zip(items, numbers, strict=True):
                if isinstance(record, Malformed):
                    scan.add_free(number)
                else:
                    scan.add_value(record[0], number)
        return scan.result()


@dataclass(frozen=True, slots=True)
class Part:
    """One partition to replay: the log's inputs (sorted), this partition's number, and the
    plan's tables (``tables[i][line]``: the partition of a line of input ``i``; None: every
    line, a log replayed whole in one process)."""

    specs: tuple[str, ...]
    index: int
    tables: tuple[bytes, ...] | None
    complete_history: bool = False
    assume_registered: tuple[tuple[int, int], ...] = ()
    ascending: tuple[str, ...] = ()  # inputs the first pass found in ascending time order
    max_findings: int = MAX_FINDINGS  # per rule, as one process keeps them (``combine`` re-caps)
    limits: Limits = DEFAULT_LIMITS


@dataclass(slots=True)
class PartResult:
    """What one partition found; lines are global (``simulator.io.shards.global_line``)."""

    names: tuple[str, ...]
    order: str
    events: int = 0
    counts: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # during replay, in its order
    ranks: list[int] = field(default_factory=list)  # each one's place in the whole log's order
    owed: list[tuple[int, Finding]] = field(default_factory=list)  # (rank, finding) at the end
    unpaired: list[tuple[int, UnpairedHalf, int | None]] = field(default_factory=list)  # element
    orgs: set[int] = field(default_factory=set)
    omitted: dict[str, int] = field(default_factory=dict)  # past the cap, per rule
    sims: list[int] = field(default_factory=list)
    endpoints: list[int] = field(default_factory=list)
    notes: list[tuple[str | None, str]] = field(default_factory=list)  # time-order, per file


class _Ranks:
    """The place of every line in the replay order, per file: runs of consecutive lines (a file
    read forward: one run) where they come so, else 8 bytes a line."""

    def __init__(self, files: int) -> None:
        self.runs: list[list[tuple[int, int, int]]] = [[] for _ in range(files)]  # (first line,
        self.starts: list[list[int]] = [[] for _ in range(files)]  # end, its place)
        self.files: list[array[int] | None] = [None] * files
        self.done = 0

    def add(self, rank: int, numbers: Sequence[int]) -> None:
        start, n = self.done, len(numbers)
        self.done += n
        if not n:
            return
        table = self.files[rank]
        if table is None and isinstance(numbers, range) and numbers.step == 1:
            runs = self.runs[rank]
            if runs and runs[-1][1] == numbers.start and runs[-1][2] + (
                    runs[-1][1] - runs[-1][0]) == start:
                first, _, at = runs[-1]
                runs[-1] = (first, numbers.stop, at)
            else:
                runs.append((numbers.start, numbers.stop, start))
                self.starts[rank].append(numbers.start)
            return
        if table is None:  # lines in another order: one place per line from here on
            table = self.files[rank] = array("q")
            for first, end, at in self.runs[rank]:
                self._put(table, range(first, end), at)
            self.runs[rank] = []
        self._put(table, numbers, start)

    @staticmethod
    def _put(table: array[int], numbers: Sequence[int], start: int) -> None:
        n = len(numbers)
        top = max(numbers[0], numbers[-1]) if isinstance(numbers, range) else max(numbers)
        if len(table) <= top:
            table.extend(array("q", bytes(8 * (top + 1 - len(table)))))
        if isinstance(numbers, range) and numbers.step == 1:
            table[numbers.start:numbers.stop] = array("q", range(start, start + n))
        elif isinstance(numbers, range) and numbers.step == -1:
            table[numbers[-1]:numbers[0] + 1] = array("q", range(start + n - 1, start - 1, -1))
        else:
            for i, line in enumerate(numbers, start):
                table[line] = i

    def of(self, line: int | None, element: int | None = None) -> int:
        """The place of a (global) line, or of an array's element (its key: element + 1)."""
        if line is None:
            return -1
        rank = line >> LINE_BITS
        key = line & _LOCAL if element is None else element + 1
        table = self.files[rank]
        if table is not None:
            return table[key]
        k = bisect_right(self.starts[rank], key) - 1
        first, end, at = self.runs[rank][k]
        if not first <= key < end:
            raise IndexError(key)
        return at + key - first


def _chosen(table: bytes, numbers: Sequence[int], select: bytes) -> bytes:
    """1 for each of ``numbers`` whose partition in ``table`` is the one ``select`` picks."""
    if isinstance(numbers, range) and abs(numbers.step) == 1 and numbers:
        low, high = min(numbers[0], numbers[-1]), max(numbers[0], numbers[-1])
        if high < len(table):
            picked = table[low:high + 1]
            return (picked if numbers.step == 1 else picked[::-1]).translate(select)
    return bytes(map(table.__getitem__, numbers)).translate(select)


def replay_part(part: Part) -> PartResult:
    """Replay the lines of one partition in the log's replay order (see the module)."""
    with Shards(part.specs, part.ascending, part.limits) as shards, collector_paused():
        replay = Replay(complete_history=part.complete_history,
                        assume_registered=part.assume_registered,
                        max_findings=part.max_findings, where=shards.where)
        run = Run(part.complete_history, part.assume_registered, None, part.max_findings,
                  replay=replay)
        ranks = _Ranks(len(shards.logs))
        out = PartResult(shards.names, shards.order)
        findings = run.findings

        def mine() -> Iterator[tuple[int, list[Any], list[int]]]:
            select = _SELECT[part.index]
            for rank, items, numbers in shards.runs():
                ranks.add(rank, numbers)
                if part.tables is not None:
                    chosen = _chosen(part.tables[rank], numbers, select)
                    items = list(compress(items, chosen))
                    numbers = list(compress(numbers, chosen))
                if rank and shards.raw:
                    numbers = [global_line(rank, n) for n in numbers]
                yield rank, items, list(numbers)
                out.ranks.extend(ranks.of(f.line, f.element) for f in findings[len(out.ranks):])

        if shards.raw:
            run.feed_batches(((items, numbers) for _, items, numbers in mine()), shards.line_at)
        else:
            for rank, pairs, _ in mine():
                for record, element in pairs:  # records keep their own lines: made global
                    if isinstance(record, Malformed):
                        record = Malformed(global_line(rank, record.line), record.message)
                    else:
                        record = (record[0], global_line(rank, record[1]))
                    if element is None:
                        if isinstance(record, Malformed):
                            run.malformed(record.line, record.message)
                        else:
                            run.feed(*record)
                    else:
                        run.feed_elements([(record, element)])
        out.ranks.extend(ranks.of(f.line, f.element) for f in findings[len(out.ranks):])
        fed = len(findings)
        unpaired = replay.finish_partition()
        out.findings = run.collect()
        out.owed = [(ranks.of(f.line, f.element), f) for f in out.findings[fed:]]
        del out.findings[fed:]
        for half in unpaired:
            element = run.element_of(half.event_id, half.line)
            out.unpaired.append((ranks.of(half.line, element), half, element))
        out.events = replay.events
        out.counts = dict(replay.counts_by_type)
        out.orgs = set(replay.orgs)
        out.omitted = dict(replay.omitted)
        out.sims = list(replay.sim_views())
        out.endpoints = list(replay.endpoint_views())
        out.notes = [(log.name if shards.several else None, log.order_note)
                     for log in shards.logs if log.order_note is not None]
        return out
