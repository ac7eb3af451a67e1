"""A local stand-in of the platform's REST API: ``create_app(world, credentials)`` (FastAPI).

Serves the events of a simulated fleet (or of a recorded log) per workspace, paged, filtered and
sorted as the platform does, and every route the official Python SDK calls: SIMs, registration
by BIC, devices, connectivity, SMS, operators and blacklists, profiles, migration. Changes drive
the simulated platform, whose events are then served too. The routes live in ``routes/``, one
router per resource; this module only puts them together.

FastAPI is imported only here and in the modules that ``simlife serve`` loads, so ``simlife
validate`` never pays for it.
"""

from __future__ import annotations

from fastapi import FastAPI

from simulator.serve.auth import Credentials, RateLimiter
from simulator.serve.errors import install_handlers
from simulator.serve.guard import Guard
from simulator.serve.routes import ROUTERS
from simulator.serve.world import World

MAX_BODY = 1 << 20  # bytes; 500 SIMs to migrate take ~20 KB


def create_app(
    world: World,
    credentials: Credentials,
    *,
    rate_limit: float | None = None,
    limiter: RateLimiter | None = None,
    max_body: int = MAX_BODY,
) -> FastAPI:
    """The stand-in for ``world``; ``rate_limit`` in requests per second per client (or a
    ready ``limiter``, e.g. with a test clock)."""
    app = FastAPI(
        title="simlife platform API stand-in",
        description="A local stand-in of the platform's REST API (events, SIMs, devices, SMS, "
        "operators, profiles), driven by a simulated platform.",
        version="2",
    )
    app.state.world = world
    app.state.credentials = credentials
    if limiter is None and rate_limit:
        limiter = RateLimiter(rate_limit)
    app.add_middleware(Guard, limiter=limiter, max_body=max_body)
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.state.routes = [route for router in ROUTERS for route in router.routes]
    return app
