"""``simlife demo``: the main job on a built-in default: generate, validate, summarise."""

from __future__ import annotations

import time
from pathlib import Path

import click

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, LIFECYCLE_TYPES
from simulator.io import EXIT_NONCONFORMANT, atomic_write
from simulator.platform import generate, write_jsonl
from simulator.replay import validate_path


@click.command()
@click.option("--sims", default=2000, show_default=True, help="SIMs in the demo fleet.")
@click.option("--seed", default=1, show_default=True, help="Seed of the demo fleet.")
@click.option(
    "-o", "--output", default="out/demo-fleet.jsonl", show_default=True,
    type=click.Path(dir_okay=False), help="Where the generated log is written (kept to inspect).",
)
def demo(sims: int, seed: int, output: str) -> None:
    """Generate a synthetic fleet, validate it through the model, and print a summary.

    The same as `simlife generate --sims 2000 --seed 1 -o out/demo-fleet.jsonl` followed by
    `simlife validate out/demo-fleet.jsonl`.
    """
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with atomic_write(path) as out:
        write_jsonl(generate(sims=sims, seed=seed), out)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    report = validate_path(path)
    validated = time.perf_counter() - started

    click.echo(f"generated {report.events:,} events for {sims:,} SIMs (seed {seed}) "
               f"in {generated:.2f}s -> {path}")
    click.echo(f"validated them in {validated:.2f}s "
               f"({report.events / max(validated, 1e-9):,.0f} events/s)")
    click.echo("lifecycle events by type:")
    for type_id in sorted(LIFECYCLE_TYPES):
        count = report.counts_by_type.get(type_id, 0)
        click.echo(f"  {type_id:>3} {EVENT_TYPE_DESCRIPTIONS[type_id]:<20} {count:>8,}")
    others = sum(n for t, n in report.counts_by_type.items() if t not in LIFECYCLE_TYPES)
    if others:
        click.echo(f"  other event types          {others:>8,}")
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    click.echo(f"{verdict}: {report.errors} errors, {report.warnings} warnings")
    if not report.conformant:
        raise SystemExit(EXIT_NONCONFORMANT)
