"""``simlife state``: what a log lets replay know of every SIM and device, at its end or a time."""

from __future__ import annotations

import click

from lifecycle.rules import Level
from simulator.io import atomic_write


@click.command()
@click.argument("log", metavar="LOG")
@click.option("--at", metavar="TIMESTAMP",
              help="The state after every event up to this time (ISO date-time, UTC unless "
                   "an offset is given; a date alone means the end of that day).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write here (atomically) instead of standard output.")
def state(log: str, at: str | None, fmt: str, output: str) -> None:
    """Print the status, workspace and holder of every SIM and device that LOG names.

    \b
    A status where the log decides it; where it does not (a log that starts
    mid-life, a device deleted without an event), status is null and
    "possible" lists the candidates. Holders unknown to the log are null with
    "endpoint_known"/"sim_known" false (text: "?").
    JSON: {"sims": [{"id", "iccid", "status", "possible", "workspace",
    "endpoint", "endpoint_known"}], "endpoints": [{"id", "status", "possible",
    "sim", "sim_known"}]}, the shape of 'simlife generate --truth'.
    CSV: kind,id,iccid,status,possible,workspace,holder.
    LOG is JSON Lines or a JSON array, gzipped or not, any order; - reads stdin.
    Exit codes: 0 success (even for a non-conformant log), 2 unreadable input.
    """
    from simulator.replay import parse_at, replay_path

    moment = parse_at(at) if at is not None else None
    replay = replay_path(log, at=moment)
    known = replay.state()
    text = {"json": lambda: known.to_json().decode(), "csv": known.to_csv,
            "text": known.to_text}[fmt]()
    with atomic_write(output, "w") as out:
        out.write(text)
    errors = sum(1 for f in replay.findings if f.level is Level.ERROR)
    if errors:
        click.echo(f"simlife state: note: the log breaks the lifecycle {errors} time(s); the "
                   "state is what replay made of it (simlife validate shows where)", err=True)
