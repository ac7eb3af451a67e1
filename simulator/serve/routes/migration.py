"""Moving SIMs to another workspace (``POST /api/v1/sim/migration/workspace``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from simulator.serve.deps import Caller, WorldDep, json
from simulator.serve.errors import AUTHENTICATED, ApiError, responses
from simulator.serve.migration import MigrationRefused, migrate
from simulator.serve.models import MigrationRequest
from simulator.serve.world import ReadOnly

router = APIRouter(tags=["sim"], responses=responses(*AUTHENTICATED, 403, 405, 409, 422))


@router.post("/api/v1/sim/migration/workspace")
def migration(body: MigrationRequest, who: Caller, world: WorldDep) -> Response:
    """Move up to 500 SIMs to another workspace; a dry run unless ``dry_run`` is false."""
    if who.user is None:
        raise ApiError(403, "Migrating SIMs needs user credentials: application tokens are "
                       "scoped to a single workspace", 1104)
    try:
        answer = migrate(world, who, body)
    except MigrationRefused as exc:
        raise ApiError(exc.http_status, exc.message, exc.error_code, errors=exc.errors) from None
    except ReadOnly as exc:
        raise ApiError(405, str(exc)) from None
    return json(answer)
