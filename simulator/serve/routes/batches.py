"""Registration of a delivered batch of SIMs by its BIC."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lifecycle.codes import SimStatus
from simulator.serve import operations
from simulator.serve.deps import Caller, WorldDep, changing, json, status_of
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.models import BatchRegistration

router = APIRouter(tags=["sim"], responses=responses(*AUTHENTICATED, 405, 422))


@router.patch("/api/v1/sim_batch/bic/{bic}")
def register_batch(bic: str, body: BatchRegistration, who: Caller,
                   world: WorldDep) -> Response:
    """Register the batch: ``{"sim_status": {"id": N}}`` (0 Issued, 1 Activated, 4 Factory
    Test); answers ``{"sim": [{"id", "iccid"}, ...]}``. An unknown or registered BIC: 422."""
    status = status_of(SimStatus, body.status_id())
    with changing(world, who) as platform:
        sims = operations.register_batch(world, platform, who.workspace, bic, status)
    return json({"sim": sims})
