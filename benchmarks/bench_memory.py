"""Memory per SIM of one validating process: peak RSS growth between two fleet sizes.

Generates the fleets ``simlife generate --sims N --seed 1`` writes for each N of ``--sims``
(20,000 and 80,000 by default), validates each in ``--repeat`` fresh processes (``validate_path``,
one process, as ``simlife validate FILE`` runs it), reads each one's peak RSS (``VmHWM`` in
/proc), and prints the medians and the growth per SIM between the smallest and largest fleet:
the bytes a SIM with its devices and events costs, whatever the interpreter and libraries cost.

``--detail`` also replays each fleet once more with an account of what replay holds at the end
of the log (where the peak is), in bytes per SIM of growth: the tables, the entries, the int
objects they keep (each counted once, in pymalloc's 16-byte size classes), the id table.

    .venv/bin/python benchmarks/bench_memory.py [--sims 20000 80000] [--repeat 5] [--detail]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from simulator.platform.fleet import generate, write_jsonl

ROOT = Path(__file__).resolve().parent.parent

_PEAK = """
import sys
from simulator.replay import validate_path
validate_path(sys.argv[1])
print([row for row in open("/proc/self/status") if row.startswith("VmHWM")][0].split()[1])
"""

# What replay holds when the log ends, by kind (its private tables: a benchmark may look).
_DETAIL = """
import json, sys
import simulator.replay.core as core

def block(size):  # pymalloc's size class (objects up to 512 bytes), else malloc's size
    return size if size > 512 else -(-size // 16) * 16

def account(replay):
    seen, out = set(), {}
    def add(kind, obj):
        if obj is None or id(obj) in seen or (type(obj) is int and -5 <= obj <= 256):
            return
        seen.add(id(obj))
        out[kind] = out.get(kind, 0) + block(sys.getsizeof(obj))
        if type(obj) is tuple:
            for item in obj:
                add(kind, item)
    out["id table (arrays)"] = replay._ids.nbytes() + replay._migrations._paired.nbytes()
    for name, table in (("SIM", replay._sims), ("endpoint", replay._eps)):
        out[f"{name} table (dict)"] = sys.getsizeof(table)
        for key in table:
            add(f"{name} ids (int keys)", key)
        for entry in table.values():
            add(f"{name} entries", entry)
    out["ICCID -> SIM (dict)"] = sys.getsizeof(replay._sim_of)
    for key in replay._sim_of:
        add("ICCIDs (ints)", key)
    for s in replay._sims.values():
        add("ICCIDs (ints)", s.ick)
        add("ICCID text hashes (ints)", s.ith)
        add("last events (ints)", s.last)
        add("holders (ints)", s.ep)
    for e in replay._eps.values():
        add("last events (ints)", e.last)
        add("holders (ints)", e.sim)
    for value in replay._sim_of.values():
        add("SIM ids (int keys)", value)
    return out

finish = core.Replay.finish
def hooked(self):
    print(json.dumps(account(self)))
    finish(self)
core.Replay.finish = hooked
from simulator.replay import validate_path
validate_path(sys.argv[1])
"""


def _child(code: str, path: Path) -> str:
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return out.stdout.strip().splitlines()[-1]


def fleet(folder: Path, sims: int, seed: int) -> Path:
    path = folder / f"fleet-{sims}.jsonl"
    with path.open("wb") as out:
        write_jsonl(generate(sims=sims, seed=seed), out)
    return path


def peaks(folder: Path, sizes: Sequence[int], seed: int, repeat: int
          ) -> tuple[list[Path], list[list[int]], float]:
    """Each fleet's path and the peak RSS (KiB) of ``repeat`` processes validating it, and the
    growth in bytes per SIM between the first and last size (medians)."""
    paths = [fleet(folder, n, seed) for n in sizes]
    runs = [[int(_child(_PEAK, path)) for _ in range(repeat)] for path in paths]
    first, last = statistics.median(runs[0]), statistics.median(runs[-1])
    return paths, runs, (last - first) * 1024 / (sizes[-1] - sizes[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sims", type=int, nargs="+", default=[20_000, 80_000],
                        help="fleet sizes (default 20000 80000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="processes per size (median)")
    parser.add_argument("--detail", action="store_true", help="also: what replay holds, by kind")
    args = parser.parse_args()
    sizes = sorted(set(args.sims))
    if len(sizes) < 2:
        parser.error("--sims needs two sizes or more")
    with tempfile.TemporaryDirectory(prefix="simlife-bench-") as tmp:
        paths, runs, growth = peaks(Path(tmp), sizes, args.seed, args.repeat)
        print(f"peak RSS of a process validating a fleet (median of {args.repeat}):")
        for sims, path, kib in zip(sizes, paths, runs, strict=True):
            lines = sum(1 for _ in path.open("rb"))
            print(f"  {sims:>9,} SIMs ({lines:,} events): {statistics.median(kib) / 1024:7.1f} "
                  f"MiB   (runs: {', '.join(f'{r / 1024:.1f}' for r in kib)})")
        span = sizes[-1] - sizes[0]
        print(f"  growth {sizes[0]:,} -> {sizes[-1]:,} SIMs: {growth:,.0f} bytes per SIM "
              "(with its devices and events)")
        if args.detail:
            first, last = (json.loads(_child(_DETAIL, p)) for p in (paths[0], paths[-1]))
            print(f"what replay holds at the end of the log, growth {sizes[0]:,} -> "
                  f"{sizes[-1]:,} SIMs, bytes per SIM:")
            rows = sorted(((last.get(k, 0) - first.get(k, 0)) / span, k)
                          for k in {*first, *last})
            for per_sim, kind in reversed(rows):
                print(f"  {kind:<28}{per_sim:8.1f}")
            print(f"  {'total':<28}{sum(r for r, _ in rows):8.1f}")


if __name__ == "__main__":
    main()
