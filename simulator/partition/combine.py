"""The partitions' results as one report: the single process's findings, in its order.

One process reports, in this order: the time-order warnings of the files, the findings made while
replaying (in replay order), the unpaired migration halves (in the order they came), then the
auto-activations still owed (in the order of their trigger). Each partition kept the place of
each of its findings in the whole log's order (its rank), so the lists merge by rank. Only one
thing needs every partition: whether a lone migration half is an error depends on the
workspaces of the whole log (``judge_unpaired``). Lines become a file and its line last.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain
from operator import itemgetter

from lifecycle.rules import Finding
from simulator.io import LINE_BITS
from simulator.partition.tasks import PartResult
from simulator.replay import MAX_FINDINGS, Report, judge_unpaired

_LOCAL = (1 << LINE_BITS) - 1


def combine(results: Sequence[PartResult], *, strict: bool,
            max_findings: int = MAX_FINDINGS) -> Report:
    first = results[0]
    names, several = first.names, len(first.names) > 1
    by_rank = itemgetter(0)
    replayed = heapq.merge(*(zip(r.ranks, r.findings, strict=True) for r in results),
                           key=by_rank)
    orgs = set().union(*(r.orgs for r in results))
    halves = sorted(chain.from_iterable(r.unpaired for r in results), key=by_rank)
    owed = sorted(chain.from_iterable(r.owed for r in results), key=by_rank)
    notes = [Finding("time-order", None, None, note, "log", file=name)
             for name, note in first.notes]
    found = [f for _, f in replayed]
    for (_, _, element), f in zip(halves, judge_unpaired((h for _, h, _ in halves), orgs),
                                  strict=True):
        found.append(f if element is None else replace(f, element=element))
    found += (f for _, f in owed)
    # One process keeps the first ``max_findings`` of each rule (in this order) and counts the
    # rest; each partition kept its own first ones, among which are the whole log's.
    omitted: Counter[str] = Counter()
    for r in results:
        omitted.update(r.omitted)
    kept: Counter[str] = Counter()
    findings = notes
    for f in found:
        if kept[f.rule] < max_findings:
            kept[f.rule] += 1
            findings.append(f)
        else:
            omitted[f.rule] += 1
    if several:
        findings = [_placed(f, names) for f in findings]
    counts: Counter[int] = Counter()
    for r in results:
        counts.update(r.counts)
    return Report(
        events=sum(r.events for r in results),
        findings=findings,
        counts_by_type=counts,
        strict=strict,
        source=", ".join(names),
        order=first.order,
        sims=sorted(set().union(*(r.sims for r in results))),
        endpoints=sorted(set().union(*(r.endpoints for r in results))),
        files=names if several else (),
        omitted=+omitted,
        max_findings=max_findings,
    )


def _placed(f: Finding, names: Sequence[str]) -> Finding:
    if f.line is None:
        return f
    return replace(f, line=f.line & _LOCAL, file=names[f.line >> LINE_BITS])
