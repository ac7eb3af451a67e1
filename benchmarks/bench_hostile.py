"""What hostile logs cost ``validate_path``: memory bounded by entities, time linear in size.

Each measurement runs in a fresh process (its peak RSS is its own, read from /proc's VmHWM) and
prints wall time and peak RSS:

* ``malformed``: N lines that are not JSON (2 million by default, 4 MB of text would make 1.6
  GB of findings if every one were kept), with the default cap per rule (10,000) and, with
  ``--uncapped``, keeping them all;
* ``line``: one line of each size in ``--line-mb`` (up to 400 MB by default) with the event size
  limit raised past it: time per MB must stay flat (linear); and the same line under the
  default limit (refused after reading 16 MiB);
* ``gzip``: a generated fleet gzipped, ascending (streamed: no temporary copy) and descending
  (replayed from a bounded copy), beside the plain file.

    .venv/bin/python benchmarks/bench_hostile.py [--malformed N] [--line-mb 25,50,...]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import sys, time
from simulator.io import InputError, Limits
from simulator.replay import validate_path
path, cap, record = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
try:
    report = validate_path(path, max_findings=cap, limits=Limits(record=record))
    outcome = f"{report.events} events, {sum(report.counts_by_rule.values())} findings, " \\
              f"{len(report.findings)} kept"
except InputError as exc:
    outcome = f"exit 2: {str(exc)[-60:]}"
took = time.perf_counter() - started
peak = next(int(r.split()[1]) for r in open("/proc/self/status") if r.startswith("VmHWM:"))
print(f"{took:.3f} {peak}")
print(outcome)
"""


def child(path: Path, cap: int = 10_000, record: int = 16 << 20) -> tuple[float, int, str]:
    """Seconds, peak RSS (MiB) and outcome of one ``validate_path`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(cap), str(record)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    first, outcome = done.stdout.splitlines()[:2]
    took, peak = first.split()
    return float(took), int(peak) // 1024, outcome


def best(path: Path, repeat: int, **options: int) -> tuple[float, int, str]:
    """The median time of ``repeat`` runs, with the largest peak seen."""
    runs = [child(path, **options) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2])


def malformed(tmp: Path, n: int, repeat: int, uncapped: bool) -> None:
    path = tmp / "malformed.jsonl"
    with path.open("wb") as out:
        for start in range(0, n, 100_000):
            out.write(b"".join(b"x%d\n" % i for i in range(start, min(n, start + 100_000))))
    print(f"\nmalformed: {n:,} lines that are not JSON ({path.stat().st_size / 2**20:.1f} MiB)")
    took, peak, outcome = best(path, repeat)
    print(f"  cap 10,000 per rule: {took:6.2f} s  peak RSS {peak:6,} MiB  ({outcome})")
    if uncapped:
        took, peak, outcome = best(path, 1, cap=n)
        print(f"  every finding kept:  {took:6.2f} s  peak RSS {peak:6,} MiB  ({outcome})")


def long_lines(tmp: Path, sizes: list[int], repeat: int) -> None:
    print("\nline: one line of N MB (a description of x's), event size limit raised past it")
    print(f"  {'MB':>5} {'seconds':>9} {'s per 100 MB':>13} {'peak RSS MiB':>13}")
    for mb in sizes:
        path = tmp / f"line-{mb}.jsonl"
        with path.open("wb") as out:
            out.write(b'{"id": 1, "description": "')
            for _ in range(mb):
                out.write(b"x" * (1 << 20))
            out.write(b'"}\n')
        took, peak, _ = best(path, repeat, record=(mb + 1) << 20)
        print(f"  {mb:>5} {took:>9.2f} {took / mb * 100:>13.2f} {peak:>13,}")
        limited, peak, outcome = best(path, 1)
        print(f"  {'':>5} default limit: {limited:.2f} s, peak RSS {peak:,} MiB ({outcome})")
        path.unlink()


def gzipped(tmp: Path, sims: int, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from simulator.platform import generate, write_jsonl

    plain = tmp / "fleet.jsonl"
    with plain.open("wb") as out:
        write_jsonl(generate(sims=sims, seed=1), out)
    data = plain.read_bytes()
    down = b"".join(reversed(data.splitlines(keepends=True)))
    (tmp / "asc.jsonl.gz").write_bytes(gzip.compress(data, 6))
    (tmp / "desc.jsonl.gz").write_bytes(gzip.compress(down, 6))
    print(f"\ngzip: the {sims:,}-SIM fleet ({len(data) / 2**20:.1f} MiB)")
    for name, path in [("plain, ascending", plain), ("gzip, ascending", tmp / "asc.jsonl.gz"),
                       ("gzip, descending", tmp / "desc.jsonl.gz")]:
        took, peak, outcome = best(path, repeat)
        print(f"  {name:<18} {took:6.2f} s  peak RSS {peak:5,} MiB  ({outcome})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--malformed", type=int, default=2_000_000)
    parser.add_argument("--uncapped", action="store_true",
                        help="also keep every finding (the memory the cap saves; slow)")
    parser.add_argument("--line-mb", default="25,50,100,200,400")
    parser.add_argument("--sims", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="simlife-hostile-") as name:
        tmp = Path(name)
        malformed(tmp, args.malformed, args.repeat, args.uncapped)
        long_lines(tmp, [int(x) for x in args.line_mb.split(",") if x], args.repeat)
        gzipped(tmp, args.sims, args.repeat)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
