"""SIMs: the list (paged, filtered, sorted), one SIM, its status, its deletion, the statuses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lifecycle.codes import SimStatus
from simulator.serve import operations
from simulator.serve.deps import Caller, WorldDep, changing, json, no_content, page, status_of
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.listing import SIMS
from simulator.serve.models import SimPatch

router = APIRouter(tags=["sim"], responses=responses(*AUTHENTICATED, 404, 405, 409, 422))


@router.get("/api/v1/sim/status")
def sim_statuses(who: Caller) -> Response:
    return json([{"id": int(s), "description": s.label} for s in SimStatus])


@router.get("/api/v1/sim")
def sims(request: Request, who: Caller, world: WorldDep) -> Response:
    """The workspace's SIMs by id; ``page``, ``per_page`` (default 2000, at most 2500),
    ``sort``, ``q`` (e.g. ``status:1``, ``endpoint:null`` for SIMs no device holds)."""

    def select(q: str | None, sort: str | None) -> list[dict[str, Any]]:
        return SIMS.select(world.sims(who.workspace), q, sort)

    items, headers = page(request, select, default=SIMS.per_page, maximum=SIMS.max_per_page)
    return json(list(items), headers=headers)


@router.get("/api/v1/sim/{sim_id}")
def sim(sim_id: int, who: Caller, world: WorldDep) -> Response:
    return json(world.sim_view(who.workspace, sim_id))


@router.patch("/api/v1/sim/{sim_id}", status_code=204)
def patch_sim(sim_id: int, body: SimPatch, who: Caller, world: WorldDep) -> Response:
    """Change a SIM's status: ``{"status": {"id": N}}`` (with or without ``description``).
    The status it has already: 204 and no event."""
    status = status_of(SimStatus, body.status.id)
    with changing(world, who) as platform:
        operations.set_sim_status(world, platform, who.workspace, sim_id, status)
    return no_content()


@router.delete("/api/v1/sim/{sim_id}", status_code=204)
def delete_sim(sim_id: int, who: Caller, world: WorldDep) -> Response:
    """Delete a SIM that no device holds (409 while one does)."""
    with changing(world, who) as platform:
        world.own_sim(platform, who.workspace, sim_id)
        platform.delete_sim(sim_id)
    return no_content()
