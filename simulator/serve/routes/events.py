"""The events API: a workspace's events, one SIM's, one device's, and the event types."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS
from simulator.serve.deps import Caller, WorldDep, json, page
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.store import Row, parse_q, parse_sort
from simulator.serve.world import World

router = APIRouter(tags=["events"], responses=responses(*AUTHENTICATED, 422))


def _events(request: Request, world: World, workspace: int, *, sim: int | None = None,
            endpoint: int | None = None) -> Response:
    def select(q: str | None, sort: str | None) -> list[Row]:
        return world.store.select(workspace, parse_q(q), parse_sort(sort), sim=sim,
                                  endpoint=endpoint)

    rows, headers = page(request, select)
    body = b"[" + b",".join(row.body for row in rows) + b"]"
    return Response(body, media_type="application/json", headers=headers)


@router.get("/api/v1/event")
def events(request: Request, who: Caller, world: WorldDep) -> Response:
    """The workspace's events, newest first; ``page``, ``per_page``, ``sort``, ``q``."""
    return _events(request, world, who.workspace)


@router.get("/api/v1/event/type")
def event_types(who: Caller) -> Response:
    return json([{"id": i, "description": d} for i, d in EVENT_TYPE_DESCRIPTIONS.items()])


@router.get("/api/v1/sim/{sim_id}/event")
def sim_events(sim_id: int, request: Request, who: Caller, world: WorldDep) -> Response:
    """A SIM's events (an unknown SIM has none: 200 ``[]``, as on the platform)."""
    return _events(request, world, who.workspace, sim=sim_id)


@router.get("/api/v1/endpoint/{endpoint_id}/event")
def endpoint_events(endpoint_id: int, request: Request, who: Caller,
                    world: WorldDep) -> Response:
    """A device's events (an unknown device has none: 200 ``[]``)."""
    return _events(request, world, who.workspace, endpoint=endpoint_id)
