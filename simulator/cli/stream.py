"""``simlife stream``: POST events to a webhook, like the platform's Data Streamer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

import click

from simulator.cli.options import Finite, reading_limits
from simulator.io import EXIT_NONCONFORMANT, InputError, Limits
from simulator.platform import FLEET_LIMITS

DEFAULT_SIMS = 100
DEFAULT_BULK = 100


@click.command()
@click.option("--to", "url", required=True, metavar="URL", help="Webhook URL (http or https).")
@click.option("--log", "log_path", metavar="FILE",
              help="Stream a recorded log (JSON Lines or array, .gz, - for stdin), in ascending "
              "time, each value as recorded.")
@click.option("--sims", type=click.IntRange(min=1), default=None,
              help=f"Stream a generated fleet of N SIMs (default {DEFAULT_SIMS}; at most "
                   f"{FLEET_LIMITS['generate'][0]:,}).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the fleet, of the retry jitter and of the duplicates.")
@click.option("--bulk", type=click.IntRange(min=1), is_flag=False, flag_value=DEFAULT_BULK,
              default=None, metavar="[N]",
              help="Bulk mode, as the platform's \"RestAPI (Bulk)\" stream: JSON arrays of up to "
                   f"N events (default {DEFAULT_BULK}) instead of one object per request.")
@click.option("--interval", type=Finite(min=0), default=0.0, show_default=True,
              metavar="S", help="Seconds between two requests (the platform's bulk mode sends "
                                "at intervals).")
@click.option("--header", "headers", multiple=True, metavar="K:V",
              help="A header to send with every request (repeatable).")
@click.option("--duplicates", type=Finite(0, 1), default=0.0, show_default=True,
              metavar="P", help="Send a delivered request again with probability P.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries after a timeout, connection error, 5xx or 429 (bounded: see the "
                   "README's Limits).")
@click.option("--timeout", type=Finite(min=0, min_open=True), default=10.0,
              show_default=True, metavar="S",
              help="Seconds a request may take in all (connect, send, answer), not per read.")
@click.option("--backoff", type=Finite(min=0), default=0.5, show_default=True,
              metavar="S", help="First retry delay; doubles each retry, plus jitter, up to 30 s "
                                "(a Retry-After, in seconds or as a date, likewise).")
@reading_limits
@click.pass_context
def stream(ctx: click.Context, url: str, log_path: str | None, sims: int | None, seed: int,
           bulk: int | None, interval: float, headers: tuple[str, ...], duplicates: float,
           retries: int, timeout: float, backoff: float, limits: Limits) -> None:
    """POST events to a webhook URL, with retries and optional duplicate deliveries.

    \b
    Prints what was delivered (sent, duplicates injected, retried, failed).
    Exit codes: 0 every event delivered, 1 some not, 2 usage error or unreadable log.
    """
    from simulator.io import check_url, parse_headers
    from simulator.serve import Streamer, StreamReport, encode_events

    check_url(url)
    pairs = parse_headers(headers)
    if log_path is not None and sims is not None:
        raise InputError("give --log FILE or --sims N, not both")
    report = StreamReport(url)
    bodies: Iterable[bytes]
    streamer = Streamer(url, headers=pairs, bulk=bulk, duplicates=duplicates, retries=retries,
                        timeout=timeout, backoff=backoff, interval=interval,
                        seed=seed)  # checks the bounds first
    ctx.call_on_close(streamer.close)
    if log_path is not None:
        from simulator.io import open_log
        from simulator.serve import encode_records

        log = open_log(log_path, limits=limits)  # unreadable: exit 2
        ctx.call_on_close(log.close)
        bodies = encode_records(log, report)
    else:
        from simulator.platform import generate

        # Generated as it is sent: memory holds the fleet's records, not its events.
        events = generate(sims=DEFAULT_SIMS if sims is None else sims, seed=seed)
        bodies = encode_events(events)
    progress: Callable[[int], None] | None = None
    if sys.stderr.isatty():
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            click.echo(f"\rsimlife: streamed {done:,} events", err=True, nl=False)

    streamer.run(bodies, progress=progress, report=report)
    if progress is not None:
        click.echo(err=True)
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if not report.ok:
        ctx.exit(EXIT_NONCONFORMANT)
