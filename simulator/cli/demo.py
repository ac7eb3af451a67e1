"""``simlife demo``: the main job on a built-in default."""

from __future__ import annotations

import click

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, SOURCE_DESCRIPTIONS
from lifecycle.machines import ENDPOINT, SIM, CompiledMachine


def _show(title: str, machine: CompiledMachine) -> None:
    click.echo(f"{title} statuses: " + ", ".join(
        f"{int(s)} {getattr(s, 'label', s.name)}" for s in machine.status))
    for step in machine.steps:
        sources = ", ".join(getattr(machine.status(s), "label", "") for s in sorted(step.sources))
        dest = getattr(machine.status(step.dest), "label", "")
        if step.event_type is None:
            emits = "no event"
        else:
            emits = f"{step.event_type} {EVENT_TYPE_DESCRIPTIONS[step.event_type]}"
            emits += f" from {SOURCE_DESCRIPTIONS[step.event_source or 0]}"
        click.echo(f"  {step.trigger:<20} {sources} -> {dest}: emits {emits}")


@click.command()
def demo() -> None:
    """Show the lifecycle model: statuses, transitions and the event each emits."""
    _show("SIM", SIM)
    _show("Endpoint", ENDPOINT)
