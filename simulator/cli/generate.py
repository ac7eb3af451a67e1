"""``simlife generate``: a synthetic fleet's log, canonical JSON Lines in ascending time."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from simulator.io import InputError, atomic_write
from simulator.platform import DEFAULT_START, FLEET_LIMITS, write_jsonl
from simulator.platform import generate as generate_fleet


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that leaves year 1
        raise InputError(
            f"--start {value!r} is not an ISO date between years 1900 and 9999, e.g. "
            "2025-01-01 or 2025-01-01T08:00:00Z"
        ) from None


@click.command()
@click.option("--sims", type=click.IntRange(min=1), default=100, show_default=True,
              help=f"SIMs in the fleet (registered in batches of 1 to a few hundred), at most "
                   f"{FLEET_LIMITS['generate'][0]:,}.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed: the same arguments always give the same bytes.")
@click.option("--start", metavar="ISO-DATE",
              help=f"Start of the log, UTC unless an offset is given "
                   f"[default: {DEFAULT_START.date().isoformat()}].")
@click.option("--days", type=click.IntRange(min=1, max=3650), default=30, show_default=True,
              help="Length of the log in days (the platform keeps 30).")
@click.option("--workspaces", type=click.IntRange(min=1, max=1000), default=2,
              show_default=True, help="Workspaces (organisations); 2 or more for migrations.")
@click.option("--network-events", is_flag=True,
              help="Also emit network events (1, 2, 3, 5) around device activity.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write here (atomically: all or nothing; gzip-compressed if FILE ends in "
                   ".gz) instead of standard output.")
@click.option("--truth", metavar="FILE",
              help="Also write the simulated platform's final state here (JSON, the shape of "
                   "'simlife state --format json', every status known): the answer key.")
def generate(
    sims: int, seed: int, start: str | None, days: int, workspaces: int, network_events: bool,
    output: str, truth: str | None,
) -> None:
    """Generate the event log of a synthetic fleet of SIMs and devices.

    \b
    Batch registrations, factory tests ending in auto-activations (10th SMS, 100 KB of
    data, endpoint status change, reset), activations on assignment, suspensions,
    connectivity resets, device swaps and deletions, migrations between workspaces
    (pairs of 69 events sharing an id) and SIM deletions: every lifecycle event type.

    \b
    Output: one canonical event per line, in ascending time.
    Example:  simlife generate --sims 300 --seed 7 -o fleet.jsonl --truth truth.json
    """
    if truth is not None and (truth == "-" or truth == output):
        raise InputError("--truth needs a file of its own (not - and not the -o file)")
    events = generate_fleet(
        sims=sims, seed=seed, start=_start(start), days=days, workspaces=workspaces,
        network_events=network_events,
    )
    progress = None
    if sys.stderr.isatty():
        def progress(count: int, stamp: str) -> None:
            click.echo(f"\rsimlife: {count:,} events, at {stamp[:16]}", err=True, nl=False)

    with atomic_write(output) as out:
        count = write_jsonl(events, out, progress)
    if progress is not None:
        click.echo(f"\rsimlife: {count:,} events written{' ' * 20}", err=True)
    if truth is not None:
        with atomic_write(truth) as out:
            out.write(events.truth().to_json())
