"""``simlife scenario list|run``: declarative lifecycle stories that check themselves (spec §8).

Every file is loaded and checked before any runs, so a typo in the last file costs nothing but an
exit 2 with its ``file:line``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from lifecycle.events import dumps
from simulator.io import EXIT_NONCONFORMANT, EXIT_OK, EXIT_USAGE, InputError, atomic_write
from simulator.scenarios import BUILTIN, Scenario, ScenarioError, discover, load


def default_folder() -> Path:
    """``scenarios/`` of the current directory (spec §7), else the ones that ship with simlife."""
    here = Path("scenarios")
    return here if here.is_dir() else BUILTIN


def _load_all(ctx: click.Context, paths: Sequence[str]) -> list[Scenario]:
    files = discover(paths or [default_folder()])
    if not files:
        raise InputError(f"no *.toml scenario files in {', '.join(paths) or default_folder()}")
    scenarios: list[Scenario] = []
    errors: list[ScenarioError] = []
    for path in files:
        try:
            scenarios.append(load(path))
        except ScenarioError as exc:
            errors.append(exc)
    for error in errors:
        click.echo(f"simlife: error: {error}", err=True)
    if errors:
        ctx.exit(EXIT_USAGE)
    return scenarios


@click.group()
def scenario() -> None:
    """Lifecycle stories in TOML: steps on the simulated platform, and what must follow.

    \b
    Exit codes: 0 every scenario passes, 1 one fails,
                2 a file does not parse or names an unknown op or handle (file:line).
    """


@scenario.command("list")
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
def list_(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Name and file of each scenario (default: ./scenarios/, else the built-in ones)."""
    for item in _load_all(ctx, paths):
        click.echo(f"{item.name}  ({item.path})")


@scenario.command("run")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--emit", "emit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scenario's event log here, atomically (canonical JSON Lines; one "
              "scenario only).")
@click.option("-v", "--verbose", is_flag=True,
              help="Show what each step emitted, also for the scenarios that pass.")
@click.pass_context
def run(ctx: click.Context, paths: tuple[str, ...], emit: Path | None, verbose: bool) -> None:
    """Run scenario files or folders (default: ./scenarios/, else the built-in ones)."""
    from simulator.scenarios import render
    from simulator.scenarios import run as run_scenario

    scenarios = _load_all(ctx, paths)
    if emit is not None and len(scenarios) != 1:
        raise InputError(f"--emit writes one scenario's log, but {len(scenarios)} were given")
    failed = 0
    for item in scenarios:
        outcome = run_scenario(item)
        failed += not outcome.passed
        click.echo(render(outcome, verbose=verbose))
        if emit is not None:
            with atomic_write(emit) as out:
                out.write(b"".join(dumps(e) + b"\n" for e in outcome.events))
    if len(scenarios) > 1:
        click.echo(f"{len(scenarios) - failed} passed, {failed} failed")
    ctx.exit(EXIT_NONCONFORMANT if failed else EXIT_OK)
