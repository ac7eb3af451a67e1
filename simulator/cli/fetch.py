"""``simlife fetch``: copy a workspace's events out of the platform's events API."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from simulator.collect import DEFAULT_API, TOKEN_ENV
from simulator.io import InputError


@click.command()
@click.option("--api", default=DEFAULT_API, show_default=True, metavar="URL",
              help="The platform's base URL (or a stand-in's: http://127.0.0.1:8080).")
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, metavar="TOKEN",
              help="Application token of the workspace (prefer the environment variable: a "
                   "command line is visible to other users of the machine).")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="JSON Lines file to write (atomically: all or nothing); - for stdout.")
@click.option("--since", metavar="TIME",
              help="Only events at or after this time (ISO date-time, UTC unless an offset is "
                   "given; a date alone means its start).")
@click.option("--until", metavar="TIME",
              help="Only events at or before this time (a date alone means its end) "
                   "[default: now, fixed at the start].")
@click.option("--sim", type=click.IntRange(min=0), metavar="ID", help="Only this SIM's events.")
@click.option("--endpoint", type=click.IntRange(min=0), metavar="ID",
              help="Only this device's events.")
@click.option("--resume", is_flag=True,
              help="Keep FILE and append only events newer than its newest (a missing FILE "
                   "is fetched whole); with nothing new FILE is left untouched.")
@click.option("--per-page", type=click.IntRange(1, 1000), default=1000, show_default=True,
              help="Events per request.")
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True,
              help="Retries after a 429, a 5xx or a connection error.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, metavar="S", help="Seconds to wait for each answer.")
def fetch(api: str, token: str | None, output: str, since: str | None, until: str | None,
          sim: int | None, endpoint: int | None, resume: bool, per_page: int, retries: int,
          timeout: float) -> None:
    """Copy a workspace's events from the events API into a JSON Lines file.

    \b
    Oldest first, each event once, as the API gives it: pages are read in a
    stable order (sort=timestamp,id) inside a window fixed at the start
    (--since .. --until), so events that arrive meanwhile shift nothing and a
    page past the end repeats nothing. The platform keeps 30 days of events.
    429 answers wait for Retry-After, 5xx and connection errors are retried
    with backoff, an expired auth token is renewed.
    Example:  EMNIFY_APPLICATION_TOKEN=... simlife fetch -o events.jsonl
    Exit codes: 0 success; 2 bad token, unreachable API, refused request or
    bad option (one line on stderr; no file written, an old one kept intact).
    """
    from simulator.collect import Fetcher, parse_moment
    from simulator.collect import fetch as fetch_events

    if sim is not None and endpoint is not None:
        raise InputError("give --sim or --endpoint, not both")
    if resume and output == "-":
        raise InputError("--resume appends to a file: give -o FILE")
    if not token:
        raise InputError(f"no application token: set {TOKEN_ENV} or give --token")
    low = parse_moment(since, "--since") if since is not None else None
    high = parse_moment(until, "--until", end_of_day=True) if until is not None else None
    if low is not None and high is not None and low > high:
        raise InputError(f"--since {since} is after --until {until}")
    with Fetcher(api, token, timeout=timeout, retries=retries) as fetcher, \
            _progress() as progress:
        report = fetch_events(fetcher, output, since=low, until=high, sim=sim,
                              endpoint=endpoint, resume=resume, per_page=per_page,
                              progress=progress)
    click.echo(f"simlife fetch: {report.summary(output)}", err=True)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal (the total is known after one page)."""
    if not sys.stderr.isatty():
        yield None
        return
    bar: Any = None  # click's ProgressBar, made when the first page gives the total

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label="fetching", file=sys.stderr)
            bar.__enter__()
        bar.length = max(total, done, 1)
        bar.update(done - bar.pos)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
