"""``simlife listen``: receive the Data Streamer's webhook into a JSON Lines file."""

from __future__ import annotations

import signal
import sys

import click

from simulator.io import InputError


@click.command()
@click.option("-o", "--output", required=True, metavar="FILE",
              help="JSON Lines file to append each delivered event to (created if missing).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback takes deliveries from the "
                   "network (the platform's streamer needs a public URL: put a proxy with TLS "
                   "in front).")
@click.option("--port", type=click.IntRange(0, 65535), default=9000, show_default=True,
              help="Port to listen on; 0 picks a free one (printed).")
@click.option("--header", "headers", multiple=True, metavar="NAME:VALUE",
              help="A header every delivery must carry, as set on the stream (repeatable); "
                   "others get 401.")
@click.option("--max-body", type=click.IntRange(min=1), default=32 << 20, show_default=True,
              metavar="BYTES", help="Largest delivery accepted (413 beyond).")
@click.option("--quiet", is_flag=True, help="No access log.")
def listen(output: str, host: str, port: int, headers: tuple[str, ...], max_body: int,
           quiet: bool) -> None:
    """Receive the Data Streamer's webhook and append every event to FILE.

    \b
    Takes a POST on any path: one event object, or in bulk mode a JSON array
    of events (a "keen" key is kept like any other). Each delivery is
    appended as received, one event per line, and is on disk before the 200,
    so a sender that retries after a failure loses nothing; duplicates are
    kept (simlife validate counts them once). Malformed bodies get 400 and
    are not written. Ctrl-C or SIGTERM stops it: exit 0, with a count.
    Example:  simlife listen --port 9000 -o stream.jsonl --header 'X-Token: abc'
    """
    import uvicorn

    from simulator.collect import Receiver, bind
    from simulator.io import parse_headers

    if output == "-":
        raise InputError("-o needs a file: each delivery is written to disk before its answer")
    required = parse_headers(headers)
    sock = bind(host, port)
    receiver = Receiver(output, headers=required, max_body=max_body)
    shown = f"[{host}]" if ":" in host else host
    if receiver.dropped:
        click.echo(f"simlife listen: cut a torn last line ({receiver.dropped} bytes) off "
                   f"{output}: a delivery a crash interrupted, never acknowledged, so it comes "
                   "again", err=True)
    click.echo(f"simlife listen: appending to {output}; listening on "
               f"http://{shown}:{sock.getsockname()[1]}/ (POST; Ctrl-C stops)")
    sys.stdout.flush()
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"simlife listen: warning: listening on {host}, not only on this machine",
                   err=True)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # it found: make that one a no-op, so that a stop is an ordinary exit with a count.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    config = uvicorn.Config(receiver, log_level="warning" if quiet else "info",
                            access_log=not quiet, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        receiver.close()
    click.echo(f"simlife listen: received {receiver.events} event(s) in {receiver.deliveries} "
               f"deliveries into {output}; {receiver.refused} request(s) refused")
