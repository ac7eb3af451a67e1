"""Partitioned replay gives the single process's verdict, exactly.

Valid generated logs are corrupted with the mutation catalogue (several operators at once, so
corruptions meet across SIMs, endpoints and registrations) and with random events, then
validated by one process and in 1, 2 and 4 partitions (the first pass cut into small pieces so
that pieces meet too): the reports must be equal, findings in the same order. Logs cut into
shards (some gzipped, some newest first, given in any order) are held to the same, against one
process reading the same shards. The partitions run in this process here (``InProcess``): the
executors are tested in tests/test_partition.py.
"""

from __future__ import annotations

import gzip
import json
import random
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lifecycle.events import dumps
from simulator.partition import InProcess, partitioned, validate_paths
from simulator.replay import MAX_FINDINGS, LinkScan, Report, validate_path
from simulator.testing.mutations import MUTATIONS
from simulator.testing.strategies import events, fleets, lifecycles
from tests.properties.budget import budget

_LOGS = st.one_of(fleets(max_sims=25), lifecycles(max_steps=25))
_NAMES = sorted(MUTATIONS)


@st.composite
def corrupted_logs(draw: st.DrawFn) -> tuple[list[Any], bool]:
    """A valid log with up to three corruptions and a few random events; complete-history?"""
    log: list[Any] = draw(_LOGS)
    complete = False
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for name in draw(st.lists(st.sampled_from(_NAMES), max_size=3)):
        try:
            broken = MUTATIONS[name].apply(log, rng)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            continue  # operators take valid logs: one may not apply to another's output
        if broken is not None:
            log = broken
            complete = complete or MUTATIONS[name].complete_history
            event(f"mutation {name}")
    for extra in draw(st.lists(events(), max_size=3)):
        log = list(log)
        log.insert(rng.randrange(len(log) + 1), extra)
    return _hostile(log, rng, draw(st.integers(0, 4))), complete


_BEYOND = (2**63, 2**64 + 5, -(2**63), -(2**63) - 1, 2**70)  # ids at or past 64 bits
_STRIP = {"no-sim": ("sim",), "no-endpoint": ("endpoint",), "bare": ("sim", "endpoint", "detail")}


def _hostile(log: list[Any], rng: random.Random, count: int) -> list[Any]:
    """``count`` events edited as a stranger's log may have them: an id at or past 64 bits or
    the one of the event before, no SIM (a registration: about its range only), no endpoint,
    or nothing but the envelope (about no entity). Written with ``json``: orjson stops at 64
    bits."""
    log = list(log)
    for _ in range(count if log else 0):
        k = rng.randrange(len(log))
        if not isinstance(log[k], dict):
            continue
        edit = rng.choice(["big-id", "same-id", *_STRIP])
        before = log[k - 1] if k else None
        event = {key: value for key, value in log[k].items() if key not in _STRIP.get(edit, ())}
        if edit == "big-id":
            event["id"] = rng.choice(_BEYOND)
        elif edit == "same-id" and isinstance(before, dict) and "id" in before:
            event["id"] = before["id"]
        log[k] = json.dumps(event).encode()
    return log


def _lines(log: list[Any]) -> list[bytes]:
    return [e if isinstance(e, bytes) else orjson.dumps(e) for e in log]


def _comparable(report: Report) -> dict[str, Any]:
    out = report.to_dict()
    out["sims"], out["endpoints"] = report.sims, report.endpoints
    return out


def _check(paths: list[str], single: Report, complete: bool, cap: int = MAX_FINDINGS) -> None:
    for parts in (1, 2, 4):
        report, _ = partitioned(paths, InProcess(), parts, strict=False,
                                complete_history=complete, assume_registered=(),
                                piece_size=2000, max_findings=cap)
        assert _comparable(report) == _comparable(single), parts


@budget(2, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=corrupted_logs(), cap=st.sampled_from([MAX_FINDINGS, 1, 2]))
def test_partitions_give_the_single_process_verdict(tmp_path: Path,
                                                     case: tuple[list[Any], bool],
                                                     cap: int) -> None:
    """``cap``: findings kept per rule (the rest counted), as one process keeps them."""
    log, complete = case
    lines = _lines(log)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    _check([str(path)], validate_path(path, complete_history=complete, max_findings=cap),
           complete, cap)
    page = tmp_path / "page.json"  # a JSON array on one line: its elements share line 1
    page.write_bytes(b"[" + b",".join(lines) + b"]")
    _check([str(page)], validate_path(page, complete_history=complete, max_findings=cap),
           complete, cap)


@settings(parent=budget(1), suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.function_scoped_fixture])
@given(case=corrupted_logs(), cuts=st.lists(st.floats(0, 1), min_size=1, max_size=2),
       forms=st.lists(st.sampled_from(["plain", "gzip", "newest-first", "array", "page"]),
                      min_size=3, max_size=3),
       order=st.permutations([0, 1, 2]), dealt=st.booleans())
def test_shards_give_the_single_process_verdict(
        tmp_path: Path, case: tuple[list[Any], bool], cuts: list[float], forms: list[str],
        order: list[int], dealt: bool) -> None:
    """Shards that follow each other in time (cut) or overlap (dealt out like cards)."""
    log, complete = case
    lines = _lines(log)
    if dealt:
        parts = [lines[k::len(cuts) + 1] for k in range(len(cuts) + 1)]
    else:
        at = sorted({0, len(lines), *(int(c * len(lines)) for c in cuts)})
        parts = [lines[lo:hi] for lo, hi in pairwise(at)]
    paths = []
    for k, part in enumerate(parts):
        form = forms[k]
        if form == "newest-first":
            part = part[::-1]
        if form in ("array", "page"):  # a page: every element on line 1, as json.dump writes
            data = b"[" + (b",\n" if form == "array" else b",").join(part) + b"]"
        else:
            data = b"".join(line + b"\n" for line in part)
        path = tmp_path / (f"shard-{k}.jsonl" + (".gz" if form == "gzip" else ""))
        path.write_bytes(gzip.compress(data) if form == "gzip" else data)
        paths.append(str(path))
    paths = [paths[i] for i in order if i < len(paths)]
    single = validate_paths(paths, complete_history=complete)
    _check(paths, single, complete)


# Byte edits that break a line in the ways the batched first pass must notice: not JSON, two
# objects on a line, an object across lines, blank lines, whitespace, a key repeated later.
_EDITS = ("drop", "insert", "double", "split", "blank", "space", "repeat-key", "none")
_NOISE = b' {}[]",:\\\x00\n\r1a\xc3\xa9'


def _edited(line: bytes, edit: str, rng: random.Random) -> bytes:
    at = rng.randrange(len(line) + 1)
    if edit == "drop" and line:
        return line[:at] + line[at + 1:]
    if edit == "insert":
        return line[:at] + bytes([rng.choice(_NOISE)]) + line[at:]
    if edit == "double":
        return line + line
    if edit == "split":
        return line[:at] + b"\n" + line[at:]
    if edit == "blank":
        return line + b"\n"
    if edit == "space":
        return line + b" " if rng.random() < 0.5 else line[:at] + b" " + line[at:]
    if edit == "repeat-key" and line.endswith(b"}"):
        return line[:-1] + rng.choice([b',"sim":{"id":7}}', b',"endpoint":{"id":8}}',
                                       b',"id":9}', b',"event_type":{"id":48}}'])
    return line


@budget(2, suppress_health_check=[HealthCheck.too_slow])
@given(case=corrupted_logs(), seed=st.integers(0, 2**32 - 1),
       edits=st.lists(st.sampled_from(_EDITS), max_size=6), end=st.booleans())
def test_the_batched_first_pass_reads_what_line_by_line_reads(
        case: tuple[list[Any], bool], seed: int, edits: list[str], end: bool) -> None:
    """``LinkScan`` decodes runs of lines in one call where each line is one object alone:
    over blocks of any size, with lines broken in many ways, it finds what reading every line
    alone finds (the same line by line results, ties, counts and order)."""
    log, _ = case
    rng = random.Random(seed)
    lines = [dumps(e) if isinstance(e, dict) else orjson.dumps(e) if not isinstance(e, bytes)
             else e for e in log]
    for edit in edits:
        if lines:
            k = rng.randrange(len(lines))
            lines[k] = _edited(lines[k], edit, rng)
    data = b"\n".join(lines) + (b"\n" if end and lines else b"")
    blocks, pos = [], 0
    while pos < len(data):  # blocks of any size, each ending at a line end (or the data's)
        cut = data.find(b"\n", min(len(data), pos + rng.randrange(1, 4000)))
        cut = len(data) if cut < 0 else cut + 1
        blocks.append(data[pos:cut])
        pos = cut
    batched, alone = LinkScan(numbered=False), LinkScan(numbered=False, batched=False)
    for block in blocks:
        batched.add_block(block)
        alone.add_block(block)
    assert batched.result() == alone.result()
    numbered, reference = LinkScan(), LinkScan(batched=False)  # lines given as lists
    split = data.split(b"\n")
    if data.endswith(b"\n"):
        split.pop()
    for at in range(0, len(split), 50):
        numbered.add_lines(split[at:at + 50], range(at + 1, at + 1 + len(split[at:at + 50])))
        reference.add_lines(split[at:at + 50], range(at + 1, at + 1 + len(split[at:at + 50])))
    assert numbered.result() == reference.result()
