"""Generation + serialisation cost per event, beside ``orjson.loads`` of the same output.

Generates a fleet (default 20,000 SIMs, well over 100,000 events) and writes it as canonical
JSON Lines to memory; then times ``orjson.loads`` of every line of that output, result
discarded (the validator's yardstick). Runs alternate, so a busy machine slows both alike; times
are CPU time of this process. Prints the median of ``--repeat`` runs of each, the ratio (target:
generation within 4x of ``orjson.loads``; also of the best runs, which noise cannot flatter) and
the peak traced memory of one streaming run that writes to a discarding sink (so the output
itself is not counted).

    .venv/bin/python benchmarks/bench_generate.py [--sims N] [--seed S] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import time
import tracemalloc
from typing import Any

import orjson

from simulator.platform.fleet import generate, write_jsonl


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def generate_once(sims: int, seed: int) -> tuple[float, bytes]:
    out = io.BytesIO()
    gc.collect()
    t = time.process_time()
    write_jsonl(generate(sims=sims, seed=seed), out)
    return time.process_time() - t, out.getvalue()


def loads_once(lines: list[bytes]) -> float:
    loads = orjson.loads
    gc.collect()
    t = time.process_time()
    for line in lines:
        loads(line)
    return time.process_time() - t


def peak_memory(sims: int, seed: int) -> int:
    gc.collect()
    tracemalloc.start()
    sink: Any = _Discard()
    write_jsonl(generate(sims=sims, seed=seed), sink)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    gen_times: list[float] = []
    load_times: list[float] = []
    output = b""
    for _ in range(args.repeat):
        elapsed, output = generate_once(args.sims, args.seed)
        gen_times.append(elapsed)
        lines = output.splitlines()
        load_times.append(loads_once(lines))
    events = len(lines)
    gen, load = statistics.median(gen_times), statistics.median(load_times)
    peak = peak_memory(args.sims, args.seed)

    print(f"fleet: {args.sims:,} SIMs, seed {args.seed}: {events:,} events, "
          f"{len(output) / 1e6:.1f} MB; median of {args.repeat} runs")
    print(f"generate + serialise: {gen:8.3f} s  {events / gen:10,.0f} events/s  "
          f"{gen / events * 1e6:6.2f} us/event")
    print(f"orjson.loads (floor): {load:8.3f} s  {events / load:10,.0f} events/s  "
          f"{load / events * 1e6:6.2f} us/event")
    print(f"ratio: {gen / load:.2f}x orjson.loads (target <= 4x); best runs: "
          f"{min(gen_times) / min(load_times):.2f}x")
    print(f"peak traced memory while streaming: {peak / 1e6:.1f} MB "
          f"({peak / args.sims:,.0f} B per SIM)")


if __name__ == "__main__":
    main()
