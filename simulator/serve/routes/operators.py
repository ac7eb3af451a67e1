"""Operators, and each device's operator blacklist."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from simulator.serve import operations
from simulator.serve.catalogue import OPERATOR_TABLE, operator_listing
from simulator.serve.deps import Caller, WorldDep, changing, json, no_content
from simulator.serve.errors import AUTHENTICATED, responses

router = APIRouter(tags=["operator"], responses=responses(*AUTHENTICATED, 404, 405, 409, 422))


@router.get("/api/v1/operator")
def operators(who: Caller) -> Response:
    """The operators (the visited networks of the simulated platform)."""
    return json([operator_listing(op) for op in sorted(OPERATOR_TABLE)])


@router.get("/api/v1/endpoint/{endpoint_id}/operator_blacklist")
def blacklist(endpoint_id: int, who: Caller, world: WorldDep) -> Response:
    world.endpoint_view(who.workspace, endpoint_id)  # 404 unless it is the caller's
    with world.lock:
        listed = sorted(world.ledger.blacklists.get(endpoint_id, ()))
    return json([OPERATOR_TABLE[op] for op in listed])


@router.put("/api/v1/endpoint/{endpoint_id}/operator_blacklist/{operator_id}",
            status_code=204)
def add_to_blacklist(endpoint_id: int, operator_id: int, who: Caller,
                     world: WorldDep) -> Response:
    """Blacklist an operator for the device (409 when it is already)."""
    with changing(world, who) as platform:
        operations.blacklist(world, platform, who.workspace, endpoint_id, operator_id, add=True)
    return no_content()


@router.delete("/api/v1/endpoint/{endpoint_id}/operator_blacklist/{operator_id}",
               status_code=204)
def remove_from_blacklist(endpoint_id: int, operator_id: int, who: Caller,
                          world: WorldDep) -> Response:
    """Take an operator off the device's blacklist (404 when it is not on it)."""
    with changing(world, who) as platform:
        operations.blacklist(world, platform, who.workspace, endpoint_id, operator_id,
                             add=False)
    return no_content()
