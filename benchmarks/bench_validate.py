"""Validation cost per event (``validate_path``: read, order, replay), beside ``orjson.loads``.

For a log file given as argument, or else a generated one (``simulator.generate`` when it exists,
otherwise a synthetic log of the 13 seed examples repeated with fresh event ids, SIMs,
endpoints and ICCIDs, in ascending time), prints the median of ``--repeat`` runs of

* ``validate_path`` on the file (both passes of ``simulator.io.logs`` and the replay), and
* ``orjson.loads`` of every line of the same file, result discarded (the yardstick),

their ratio, and peak memory: tracemalloc's peak during one validation, and the maximum RSS of
a fresh process that only imports, that parses the file with orjson, and that validates it.
``--descending`` also measures a newest-first copy (replayed backwards by offsets).

    .venv/bin/python benchmarks/bench_validate.py [LOG] [--events N] [--sims N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from lifecycle.codes import luhn_digit
from lifecycle.events import format_timestamp
from simulator.replay.driver import validate_path
from simulator.replay.report import Report

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "seed-examples.jsonl"
_TOKEN = re.compile(rb"(?<![0-9])([0-9]{5,20})(?![0-9])")
_STAMP = re.compile(rb'^\{"timestamp":"[^"]*"')


# --------------------------------------------------------------------------- building a log


def _group_tokens(events: list[dict]) -> dict[bytes, str]:  # type: ignore[type-arg]
    """The identifiers of a group of seed events, by kind, as they appear in the JSON text."""
    kinds: dict[bytes, str] = {}

    def note(value: object, kind: str) -> None:
        if isinstance(value, int | str) and str(value).isdigit() and len(str(value)) >= 5:
            kinds.setdefault(str(value).encode(), kind)

    for e in events:
        note(e["id"], "event")
        sim, endpoint, detail = e.get("sim") or {}, e.get("endpoint") or {}, e.get("detail")
        note(sim.get("iccid"), "iccid")
        note(sim.get("id"), "sim")
        note(endpoint.get("id"), "endpoint")
        if isinstance(detail, dict):
            batch = detail.get("sim_batch") or {}
            note(batch.get("first_iccid"), "iccid")
            note(batch.get("last_iccid"), "iccid")
            for s in detail.get("sims") or ():
                note(s.get("iccid"), "iccid")
                note(s.get("iccid_with_luhn"), "iccid")
                note(s.get("id"), "sim")
    return kinds


def synthetic(path: Path, n_events: int) -> None:
    """The seed examples again and again, each copy about its own entities; ascending time."""
    lines = [x for x in SEEDS.read_bytes().splitlines() if x.strip()]
    groups = [[i] for i in range(len(lines) - 2)] + [[len(lines) - 2, len(lines) - 1]]  # 69 pair
    templates = []
    for group in groups:
        kinds = _group_tokens([orjson.loads(lines[i]) for i in group])
        templates.append(([_TOKEN.split(lines[i]) for i in group], kinds))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    counter = {"event": 10**12, "sim": 10**6, "endpoint": 10**8, "iccid": 0}
    written = 0
    with path.open("wb") as out:
        while written < n_events:
            for parts_list, kinds in templates:
                fresh: dict[bytes, bytes] = {}
                bases: dict[str, str] = {}
                for token, kind in kinds.items():
                    if kind == "iccid":
                        old = token.decode()[:19]
                        if old not in bases:
                            counter["iccid"] += 1
                            bases[old] = f"8988303{counter['iccid']:012d}"
                        base = bases[old]
                        fresh[token] = (base if len(token) == 19 else base + luhn_digit(base)
                                        ).encode()
                    else:
                        counter[kind] += 1
                        fresh[token] = str(counter[kind]).encode()
                for parts in parts_list:
                    text = b"".join(fresh.get(p, p) if i % 2 else p for i, p in enumerate(parts))
                    stamp = format_timestamp(start + timedelta(milliseconds=written * 10))
                    out.write(_STAMP.sub(b'{"timestamp":"' + stamp.encode() + b'"', text) + b"\n")
                    written += 1


def generated(path: Path, sims: int, seed: int) -> bool:
    """A fleet from ``simulator.platform.fleet`` when it exists (False otherwise)."""
    if importlib.util.find_spec("simulator.platform.fleet") is None:
        return False
    fleet = importlib.import_module("simulator.platform.fleet")
    if not hasattr(fleet, "generate") or not hasattr(fleet, "write_jsonl"):
        return False
    with path.open("wb") as out:
        fleet.write_jsonl(fleet.generate(sims=sims, seed=seed), out)
    return True


def descending_copy(src: Path, dst: Path) -> None:
    """The same events newest first (reversed lines), as the API pages them."""
    dst.write_bytes(b"".join(reversed(src.read_bytes().splitlines(keepends=True))))


# --------------------------------------------------------------------------- measuring


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def loads_lines(path: Path) -> int:
    loads, n = orjson.loads, 0
    with path.open("rb") as f:
        for line in f:
            if not line.isspace():
                loads(line)
                n += 1
    return n


def child_rss(mode: str, path: Path) -> int:
    """Peak RSS (KiB) of a fresh interpreter that does only ``mode`` on ``path``.

    Linux keeps ``ru_maxrss`` across fork and exec, so a child spawned by a big parent reports
    the parent's peak: the child reads its own ``VmHWM`` instead where there is one.
    """
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return int(proc.stdout.split()[-1])


def _child(mode: str, path: Path) -> None:
    if mode == "loads":
        loads_lines(path)
    elif mode == "validate":
        validate_path(path)
    status = Path("/proc/self/status")
    if status.exists():
        for row in status.read_text().splitlines():
            if row.startswith("VmHWM:"):
                print(int(row.split()[1]))
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure(path: Path, repeat: int, label: str) -> None:
    events = loads_lines(path)
    validate_times: list[float] = []
    loads_times: list[float] = []
    reports: list[Report] = []
    for _ in range(repeat):  # interleaved, so drift in the machine's speed hits both alike
        loads_times.append(_timed(lambda: loads_lines(path)))
        validate_times.append(_timed(lambda: reports.append(validate_path(path))))
    report = reports[-1]
    v, lo = statistics.median(validate_times), statistics.median(loads_times)
    tracemalloc.start()
    validate_path(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = path.stat().st_size
    print(f"\n{label}: {path.name}, {events:,} events, {size / 2**20:,.1f} MiB, "
          f"order {report.order}, {report.errors:,} errors, {report.warnings:,} warnings")
    print(f"  {'':<22}{'events/s':>12}{'us/event':>10}")
    print(f"  {'validate_path':<22}{events / v:>12,.0f}{v / events * 1e6:>10.2f}")
    print(f"  {'orjson.loads per line':<22}{events / lo:>12,.0f}{lo / events * 1e6:>10.2f}")
    print(f"  ratio validate / orjson.loads: {v / lo:.2f}x   (median of {repeat})")
    print(f"  tracemalloc peak during validate_path: {peak / 2**20:,.2f} MiB "
          f"({peak / max(events, 1):,.0f} B/event)")
    idle, loads_rss, validate_rss = (child_rss(m, path) for m in ("idle", "loads", "validate"))
    print(f"  peak RSS of a process: imports only {idle / 1024:,.1f} MiB, + orjson.loads "
          f"{loads_rss / 1024:,.1f} MiB, + validate_path {validate_rss / 1024:,.1f} MiB")
    if report.findings:
        print("  findings by rule: " + ", ".join(
            f"{code} {n:,}" for code, n in report.counts_by_rule.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log", nargs="?", type=Path, help="log to validate (default: build one)")
    parser.add_argument("--events", type=int, default=100_000,
                        help="size of the synthetic log (default 100,000)")
    parser.add_argument("--sims", type=int, default=20_000, help="fleet size when generated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--descending", action="store_true",
                        help="also measure a newest-first copy of the log")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="simlife-bench-") as tmp:
        path: Path = args.log
        if path is None:
            path = Path(tmp) / "log.jsonl"
            if generated(path, args.sims, args.seed):
                print(f"log: simulator.platform.fleet.generate(sims={args.sims}, seed={args.seed})")
            else:
                synthetic(path, args.events)
                print(f"log: {args.events:,} synthetic events from the seed examples "
                      "(simulator.platform.fleet.generate is not available)")
        measure(path, args.repeat, "ascending" if args.log is None else "given")
        if args.descending:
            reverse = Path(tmp) / "descending.jsonl"
            descending_copy(path, reverse)
            measure(reverse, args.repeat, "descending")


if __name__ == "__main__":
    main()
