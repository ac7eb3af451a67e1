"""``simlife serve``: the local stand-in of the platform's REST API (FastAPI on uvicorn)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from simulator.cli.options import reading_limits
from simulator.io import InputError, Limits, atomic_write

if TYPE_CHECKING:
    from simulator.serve import World

DEFAULT_SIMS = 100


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the stand-in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on; 0 picks a free one (printed).")
@click.option("--sims", type=click.IntRange(min=1), default=None,
              help=f"Serve a generated fleet of N SIMs (default {DEFAULT_SIMS}).")
@click.option("--seed", type=int, default=None, help="Seed of the generated fleet (default 0).")
@click.option("--log", "log_path", metavar="FILE",
              help="Serve a recorded log (JSON Lines or array, .gz, - for stdin), read-only.")
@click.option("--token", help="Application token of the first workspace (default: drawn).")
@click.option("--rate-limit", metavar="N/s",
              help="Answer 429 with Retry-After beyond N requests a second per client.")
@click.option("--trust-proxy", is_flag=True,
              help="Take the client's address from X-Forwarded-For sent by a proxy on this "
              "machine (default: the socket's peer, which a client cannot forge).")
@click.option("--unregistered-batches", "unregistered", type=click.IntRange(0, 1000),
              default=None, metavar="N",
              help="Batches of SIMs delivered but not registered, for PATCH "
              "/api/v1/sim_batch/bic/{bic} (default 4).")
@click.option("--activate-on-assign", is_flag=True,
              help="A device created with an Issued SIM activates it (8, then 51) even when the "
              "request does not ask (sim.activate), as the platform did in 2022.")
@click.option("--describe", "describe_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Before listening, write JSON for test harnesses: base_url, each "
              "workspace's token and user, the unregistered batches.")
@click.option("--quiet", is_flag=True, help="No access log.")
@reading_limits
def serve(host: str, port: int, sims: int | None, seed: int | None, log_path: str | None,
          token: str | None, rate_limit: str | None, trust_proxy: bool,
          unregistered: int | None, activate_on_assign: bool, describe_path: str | None,
          quiet: bool, limits: Limits) -> None:
    """Serve the REST API of a simulated platform on 127.0.0.1 (stand-in for integrations).

    \b
    Each workspace has its own application token: POST /api/v1/authenticate
    {"application_token": T} gives {"auth_token": ...} for "Authorization: Bearer ...".
    --token sets the first workspace's token; every other token, and each workspace's
    user account (needed to migrate SIMs), is drawn at start and printed.
    Calls with an application token make events without "user", as on the platform.
    The official SDK: EMNIFY_SDK_API_ENDPOINT_URL=http://127.0.0.1:8080/api.
    """
    from simulator.serve import World, base_url, create_app, describe, listen, parse_rate, run

    if log_path is not None and (sims is not None or seed is not None
                                 or unregistered is not None):
        raise InputError("--log serves a recorded log: it takes no --sims, --seed or "
                         "--unregistered-batches")
    if token is not None and not token.strip():
        raise InputError("--token must not be empty")
    try:
        rate = parse_rate(rate_limit) if rate_limit is not None else None
    except ValueError as exc:
        raise InputError(f"--rate-limit: {exc}") from None
    if log_path is not None:
        world = _log_world(log_path, limits)
        source = f"recorded log {log_path}"
    else:
        sims = DEFAULT_SIMS if sims is None else sims
        seed = 0 if seed is None else seed
        pending = {} if unregistered is None else {"unregistered": unregistered}
        world = World.from_fleet(sims=sims, seed=seed, **pending)
        source = f"a fleet of {sims} SIMs, seed {seed}"
    world.activate_on_assign = activate_on_assign
    credentials = world.credentials(first_token=token)
    app = create_app(world, credentials, rate_limit=rate)
    try:
        sock = listen(host, port)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    url = base_url(sock, host)
    if describe_path is not None:
        text = json.dumps(describe(world, credentials, url), indent=2) + "\n"
        try:
            with atomic_write(describe_path, "w") as out_file:
                out_file.write(text)
        except (OSError, InputError) as exc:
            sock.close()
            raise InputError(f"--describe {describe_path}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
    out = [f"simlife serve: {len(world.store)} events of {source}, "
           f"{len(world.workspaces)} workspace(s)"]
    for workspace, name in world.workspaces.items():
        out.append(f"workspace {workspace} {name!r}: application token "
                   f"{credentials.tokens[workspace]}")
        for user in credentials.users:
            if user.workspace == workspace:
                out.append(f"  user {user.username} password {user.password} "
                           "(send its SHA-1 hex)")
        for batch in world.ledger.pending.values():
            if batch.workspace == workspace:
                out.append(f"  batch {batch.bic} of {batch.size} SIM(s), not registered")
    if world.skipped:
        out.append(f"skipped {world.skipped} record(s) of the log that are not events")
    if rate:
        keyed = "X-Forwarded-For of a local proxy" if trust_proxy else "client address"
        out.append(f"rate limit: {rate:g} requests a second per {keyed}")
    out.append(f"listening on {url}/api/v1/event")
    click.echo("\n".join(out))
    sys.stdout.flush()
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"simlife serve: warning: listening on {host}, not only on this machine",
                   err=True)
    run(app, sock, quiet=quiet, trust_proxy=trust_proxy)


def _log_world(path: str, limits: Limits) -> World:
    from itertools import islice

    from simulator.io import Malformed, open_log
    from simulator.serve import MAX_LOG_EVENTS, World

    with open_log(path, limits=limits) as log:
        records = list(islice(log, MAX_LOG_EVENTS + 1))
    if len(records) > MAX_LOG_EVENTS:
        raise InputError(f"{path}: serve holds every event in memory (about 5 KB each) and "
                         f"takes at most {MAX_LOG_EVENTS:,} events; this log holds more")
    events = [r[0] for r in records if not isinstance(r, Malformed)]
    world = World.from_events(events)
    world.skipped += len(records) - len(events)
    if not world.workspaces:
        raise InputError(f"{path}: no events to serve")
    return world
