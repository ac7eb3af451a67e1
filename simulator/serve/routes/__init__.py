"""One FastAPI router per resource of the platform's API; ``ROUTERS`` in the order they are
mounted (a literal path such as ``/api/v1/sim/status`` before ``/api/v1/sim/{sim_id}``)."""

from fastapi import APIRouter

from simulator.serve.routes import (
    auth,
    batches,
    connectivity,
    endpoints,
    events,
    migration,
    operators,
    profiles,
    sims,
    sms,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    events.router,
    sims.router,
    batches.router,
    migration.router,
    endpoints.router,
    connectivity.router,
    sms.router,
    operators.router,
    profiles.router,
)

__all__ = ["ROUTERS"]
