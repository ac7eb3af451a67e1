"""``simlife schema`` and ``simlife diagram``: the model, printed."""

from __future__ import annotations

import json

import click

from lifecycle.diagram import mermaid
from lifecycle.events import json_schema


@click.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of one canonical event."""
    click.echo(json.dumps(json_schema(), indent=2))


@click.command()
def diagram() -> None:
    """Print the lifecycle as a Mermaid stateDiagram-v2 (edges name the event they emit)."""
    click.echo(mermaid(), nl=False)
