"""Devices (the platform calls them endpoints): the list, creation, one device, its changes,
its deletion, and the statuses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lifecycle.codes import EndpointStatus
from simulator.serve import operations
from simulator.serve.deps import Caller, WorldDep, changing, json, no_content, page
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.listing import ENDPOINTS
from simulator.serve.models import EndpointCreate, EndpointPatch

router = APIRouter(tags=["endpoint"],
                   responses=responses(*AUTHENTICATED, 404, 405, 409, 422))


@router.get("/api/v1/endpoint/status")
def endpoint_statuses(who: Caller) -> Response:
    return json([{"id": int(s), "description": s.label} for s in EndpointStatus])


@router.get("/api/v1/endpoint")
def endpoints(request: Request, who: Caller, world: WorldDep) -> Response:
    """The workspace's devices by id; ``page``, ``per_page``, ``sort``, ``q`` (e.g.
    ``status:0,tags:sensor``)."""

    def select(q: str | None, sort: str | None) -> list[dict[str, Any]]:
        return ENDPOINTS.select(world.endpoints(who.workspace), q, sort)

    items, headers = page(request, select, default=ENDPOINTS.per_page,
                          maximum=ENDPOINTS.max_per_page)
    return json(list(items), headers=headers)


@router.post("/api/v1/endpoint", status_code=201)
def create_endpoint(body: EndpointCreate, who: Caller, world: WorldDep) -> Response:
    """Create a device: 201 with ``Location: /api/v1/endpoint/{id}``. With a SIM, ``sim.activate``
    or ``sim.status`` brings the SIM to Activated (or Factory Test) first (8 or 45, then 51)."""
    with changing(world, who) as platform:
        endpoint = operations.create_device(world, platform, who.workspace, body)
    return Response(status_code=201, headers={"Location": f"/api/v1/endpoint/{endpoint}"})


@router.get("/api/v1/endpoint/{endpoint_id}")
def endpoint(endpoint_id: int, who: Caller, world: WorldDep) -> Response:
    return json(world.endpoint_view(who.workspace, endpoint_id))


@router.patch("/api/v1/endpoint/{endpoint_id}", status_code=204)
def patch_endpoint(endpoint_id: int, body: EndpointPatch, who: Caller,
                   world: WorldDep) -> Response:
    """Any of ``status``, ``sim`` (``{"id": X}``, ``null`` or ``{"id": null}`` to release),
    ``name``, ``tags``, ``imei``, ``imei_lock``, ``service_profile``, ``tariff_profile``: all
    of them or, refused, none. A status it has already: 204 and no event."""
    with changing(world, who) as platform:
        operations.update_device(world, platform, who.workspace, endpoint_id, body)
    return no_content()


@router.delete("/api/v1/endpoint/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: int, who: Caller, world: WorldDep) -> Response:
    """Delete a device that holds no SIM (409 while it holds one); no event."""
    with changing(world, who) as platform:
        operations.delete_device(world, platform, who.workspace, endpoint_id)
    return no_content()
