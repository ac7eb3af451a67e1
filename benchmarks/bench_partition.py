"""Partitioned validation: events/s against partitions, the first pass's share, RSS per SIM.

Generates a fleet of about ``--events`` events (``simulator.platform.fleet``), or takes the
LOG files given (several: shards of one log), then times, in turns so that a busy spell on a
shared machine hits each alike, ``--repeat`` runs of

* one process (``validate_path``, ``validate_paths`` for several files), and
* ``validate_paths(jobs=N)`` for N in 2 and the machine's cores (``--parts`` to choose),

and prints the median wall time of each, events/s, the speed-up over one process, and how long
the first pass and the plan took in the last partitioned run. Every partitioned report is
checked equal to the single process's. ``--memory`` also measures the peak RSS of a fresh
process validating fleets of 20,000 and 80,000 SIMs, and prints the growth per SIM.

    .venv/bin/python benchmarks/bench_partition.py [LOG...] [--events N] [--repeat R] [--memory]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_memory import fleet, peaks  # this folder's: run as a script

from simulator.partition import LocalProcesses, partitioned, validate_paths
from simulator.replay import Report, validate_path

EVENTS_PER_SIM = 8.64  # of a generated fleet (``simlife generate``), measured


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def _alone(paths: list[Path]) -> Report:
    return validate_path(paths[0]) if len(paths) == 1 else validate_paths(paths)


def timings(paths: list[Path], parts: list[int], repeat: int) -> None:
    single = _alone(paths)
    events = single.events
    times: dict[int, list[float]] = {p: [] for p in [1, *parts]}
    stages: dict[int, tuple[float, float]] = {}
    size = sum(p.stat().st_size for p in paths) / 2**20
    print(f"{', '.join(p.name for p in paths)}: {events:,} events, {size:,.0f} MiB, "
          f"{os.cpu_count()} cores; {_load()}")
    for _ in range(repeat):
        start = time.perf_counter()
        _alone(paths)
        times[1].append(time.perf_counter() - start)
        for n in parts:
            marks: list[float] = []
            start = time.perf_counter()
            executor = LocalProcesses(n)
            try:
                report, _ = partitioned([str(p) for p in paths], executor, n, strict=False,
                                        complete_history=False, assume_registered=(),
                                        progress=lambda _, m=marks: m.append(time.perf_counter()))
            finally:
                executor.close()
            end = time.perf_counter()
            times[n].append(end - start)
            stages[n] = (marks[1] - marks[0], end - marks[1]) if len(marks) == 2 else (0, 0)
            assert report.to_dict() == single.to_dict(), f"{n} partitions: another verdict"
    base = statistics.median(times[1])
    print(f"  {'partitions':>10} {'seconds':>9} {'events/s':>11} {'speed-up':>9}   "
          f"first pass + plan, replay (last run)")
    for n, runs in times.items():
        t = statistics.median(runs)
        detail = "" if n == 1 else f"   {stages[n][0]:.2f} s, {stages[n][1]:.2f} s"
        print(f"  {n:>10} {t:>9.2f} {events / t:>11,.0f} {base / t:>8.2f}x{detail}"
              f"   (runs: {', '.join(f'{x:.2f}' for x in runs)})")
    print(f"  medians of {repeat} runs; {_load()}")


def memory(folder: Path, repeat: int) -> None:
    sizes = (20_000, 80_000)
    _, runs, growth = peaks(folder, sizes, 1, repeat)
    rss = [statistics.median(kib) / 1024 for kib in runs]
    print(f"memory: peak RSS {rss[0]:,.1f} MiB ({sizes[0]:,} SIMs), {rss[1]:,.1f} MiB "
          f"({sizes[1]:,} SIMs): {growth:,.0f} bytes per SIM (with its devices and events; "
          f"median of {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="*", type=Path,
                        help="log to validate, or shards of one (default: a fleet)")
    parser.add_argument("--events", type=int, default=1_000_000, help="fleet size in events")
    parser.add_argument("--parts", type=int, nargs="*",
                        default=sorted({2, os.cpu_count() or 2}), help="partitions to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--memory", action="store_true", help="also measure RSS per SIM")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simlife-bench-") as tmp:
        paths = args.logs
        if not paths:
            paths = [fleet(Path(tmp), round(args.events / EVENTS_PER_SIM), 1)]
        timings(paths, args.parts, args.repeat)
        if args.memory:
            memory(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
