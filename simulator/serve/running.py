"""A stand-in running in a background thread of this process (uvicorn on a socket bound
first, so the port is known before the first request): for the pytest fixture, ``make
sdk-check`` and anyone's harness.

Uvicorn takes the client address from ``X-Forwarded-For`` only when asked to trust a proxy
(``trust_proxy``); otherwise the rate limit keys on the socket's peer, which a client cannot
forge.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from simulator.serve.app import create_app
from simulator.serve.auth import Credentials
from simulator.serve.describe import describe
from simulator.serve.world import World


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0: a free port); OSError if it cannot be."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket, host: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}"


def _server(app: Any, *, quiet: bool, trust_proxy: bool) -> Any:
    """Uvicorn for the stand-in: proxy headers only when a proxy is trusted."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(
        app, log_level="warning" if quiet else "info", access_log=not quiet,
        proxy_headers=trust_proxy, forwarded_allow_ips="127.0.0.1,::1" if trust_proxy else None,
        lifespan="off",
    ))


def run(app: Any, sock: socket.socket, *, quiet: bool = False,
        trust_proxy: bool = False) -> None:
    """Serve ``app`` on the listening ``sock`` until interrupted (``simlife serve``)."""
    _server(app, quiet=quiet, trust_proxy=trust_proxy).run(sockets=[sock])


@dataclass
class RunningServer:
    """A stand-in that answers at ``base_url``; ``api_url`` is what the official SDK takes as
    ``EMNIFY_SDK_API_ENDPOINT_URL``."""

    base_url: str
    world: World
    credentials: Credentials
    description: dict[str, Any]

    @property
    def api_url(self) -> str:
        return self.base_url + "/api"

    @property
    def token(self) -> str:
        """The first workspace's application token."""
        return str(self.description["workspaces"][0]["application_token"])

    def events(self, workspace: int | None = None) -> list[dict[str, Any]]:
        """Every event of a workspace (default: the first) so far, oldest first."""
        import orjson

        from simulator.serve.store import parse_q, parse_sort

        chosen = next(iter(self.world.workspaces)) if workspace is None else workspace
        rows = self.world.store.select(chosen, parse_q(None), parse_sort("timestamp"))
        return [orjson.loads(row.body) for row in rows]


@contextmanager
def serve_in_thread(world: World, credentials: Credentials, *, host: str = "127.0.0.1",
                    port: int = 0, rate_limit: float | None = None,
                    trust_proxy: bool = False) -> Iterator[RunningServer]:
    """Serve ``world`` until the block ends (at most 30 s to start)."""
    sock = listen(host, port)
    url = base_url(sock, host)
    app = create_app(world, credentials, rate_limit=rate_limit)
    server = _server(app, quiet=True, trust_proxy=trust_proxy)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="simlife-serve", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simlife stand-in did not start")
            time.sleep(0.01)
        yield RunningServer(url, world, credentials, describe(world, credentials, url))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
