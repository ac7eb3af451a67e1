"""Replay cost per canonical event, beside a bare ``orjson.loads`` of the same lines.

Builds N canonical events from the seed examples: an activate/suspend cycle over SIMS SIM ids
(each SIM held by its own endpoint), fresh event ids, ascending time. Prints the median of RUNS
interleaved runs of (a) ``orjson.loads`` per line, result discarded, and (b) ``orjson.loads`` +
``Replay.feed``, and the peak memory of (b). Times are process CPU time, as the machine may be
shared. Run by hand: ``.venv/bin/python benchmarks/replay_bench.py [N] [SIMS]``.
"""

from __future__ import annotations

import copy
import gc
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from lifecycle.events import dumps, format_timestamp
from simulator.replay.core import Replay

RUNS = 3
SEEDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed-examples.jsonl"


def build_lines(n: int, sims: int) -> list[bytes]:
    seeds = [orjson.loads(line) for line in SEEDS.read_bytes().splitlines() if line.strip()]
    activate, suspend = seeds[0], seeds[2]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = []
    for i in range(n):
        sim = i % sims
        cycle = i // sims
        template = suspend if cycle % 2 == 0 else activate  # first sighting: a suspension
        e = copy.deepcopy(template)
        e["id"] = 10_000_000_000 + i * 7
        e["timestamp"] = format_timestamp(start + timedelta(milliseconds=i * 250))
        e["sim"]["id"] = 1_000_000 + sim
        e["sim"]["iccid"] = f"8988303{sim:012d}"
        e["endpoint"]["id"] = 50_000_000 + sim
        e["organisation"] = {"id": 4046, "name": "Test Org"}
        lines.append(dumps(e))
    return lines


def loads_only(lines: list[bytes]) -> float:
    loads = orjson.loads
    t = time.process_time()
    for line in lines:
        loads(line)
    return time.process_time() - t


def loads_and_replay(lines: list[bytes]) -> float:
    loads = orjson.loads
    r = Replay()
    feed = r.feed
    t = time.process_time()
    for number, line in enumerate(lines, start=1):
        feed(loads(line), number)
    r.finish()
    elapsed = time.process_time() - t
    assert not r.findings, r.findings[:3]
    return elapsed


def peak_memory(lines: list[bytes]) -> int:
    gc.collect()
    tracemalloc.start()
    r = Replay()
    for number, line in enumerate(lines, start=1):
        r.feed(orjson.loads(line), number)
    r.finish()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    sims = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    lines = build_lines(n, sims)
    base, full = [], []
    for _ in range(RUNS):  # interleaved, so a busy spell on a shared machine hits both
        base.append(loads_only(lines))
        full.append(loads_and_replay(lines))
    b, f = statistics.median(base) / n * 1e6, statistics.median(full) / n * 1e6
    print(f"{n} events, {sims} SIMs, median of {RUNS} runs")
    print(f"  orjson.loads per line          {b:7.2f} us/event  (runs: "
          + ", ".join(f"{x / n * 1e6:.2f}" for x in base) + ")")
    print(f"  orjson.loads + Replay.feed     {f:7.2f} us/event  (runs: "
          + ", ".join(f"{x / n * 1e6:.2f}" for x in full) + ")")
    print(f"  replay alone                   {f - b:7.2f} us/event; ratio {f / b:.2f}x loads")
    print(f"  peak traced memory             {peak_memory(lines) / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
