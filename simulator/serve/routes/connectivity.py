"""A device's connectivity: its status, and the reset."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from simulator.serve import operations
from simulator.serve.deps import Caller, WorldDep, changing, json, no_content
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.views import connectivity_json
from simulator.serve.world import ReadOnly

router = APIRouter(tags=["endpoint"], responses=responses(*AUTHENTICATED, 404, 405, 409, 422))


class Reset(BaseModel):
    """``{"location": null}`` (cancel location), ``{"pdp_context": null}`` (delete the PDP
    context) or nothing: the stand-in runs the same reset series for each."""

    model_config = ConfigDict(extra="forbid")
    location: Any = None
    pdp_context: Any = None


@router.get("/api/v1/endpoint/{endpoint_id}/connectivity")
def connectivity(endpoint_id: int, who: Caller, world: WorldDep) -> Response:
    try:
        with world.inspect() as platform:
            ep = world.own_endpoint(platform, who.workspace, endpoint_id)
            sim = None if ep.sim is None else platform.sims[ep.sim]
            return json(connectivity_json(ep, sim))
    except ReadOnly:
        world.endpoint_view(who.workspace, endpoint_id)  # 404 unless the log knows it
        return json({"status": {"description": "OFFLINE"}, "services": []})


@router.patch("/api/v1/endpoint/{endpoint_id}/connectivity", status_code=204)
def reset_connectivity(endpoint_id: int, who: Caller, world: WorldDep,
                       body: Reset | None = None) -> Response:
    """Reset the device's connectivity: 68, 9, 5, 43, 42, 8, 1 (the SIM and the device end as
    they were); 409 when it holds no SIM."""
    with changing(world, who) as platform:
        operations.reset_connectivity(world, platform, who.workspace, endpoint_id)
    return no_content()
