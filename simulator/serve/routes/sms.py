"""SMS to a device: send one, list them, read one."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from simulator.serve import operations
from simulator.serve.deps import Caller, WorldDep, changing, json
from simulator.serve.errors import AUTHENTICATED, responses
from simulator.serve.models import SmsRequest
from simulator.serve.world import missing

router = APIRouter(tags=["endpoint"], responses=responses(*AUTHENTICATED, 404, 405, 422))


@router.post("/api/v1/endpoint/{endpoint_id}/sms", status_code=201)
def send_sms(endpoint_id: int, body: SmsRequest, who: Caller, world: WorldDep) -> Response:
    """Send an SMS to the device (201 and its ``Location``). Delivered to an Enabled device
    whose SIM has service, where it counts toward a Factory Test SIM's auto-activation (the
    10th activates it); otherwise it fails. 422 when the device holds no SIM."""
    with changing(world, who) as platform:
        ident = operations.send_sms(world, platform, who.workspace, endpoint_id, body)
    return Response(status_code=201,
                    headers={"Location": f"/api/v1/endpoint/{endpoint_id}/sms/{ident}"})


@router.get("/api/v1/endpoint/{endpoint_id}/sms")
def list_sms(endpoint_id: int, who: Caller, world: WorldDep) -> Response:
    """The device's SMS, newest first (the last 1000)."""
    world.endpoint_view(who.workspace, endpoint_id)  # 404 unless it is the caller's
    with world.lock:
        return json(list(reversed(world.ledger.sms.get(endpoint_id, ()))))


@router.get("/api/v1/endpoint/{endpoint_id}/sms/{sms_id}")
def one_sms(endpoint_id: int, sms_id: int, who: Caller, world: WorldDep) -> Response:
    world.endpoint_view(who.workspace, endpoint_id)
    with world.lock:
        for sms in world.ledger.sms.get(endpoint_id, ()):
            if sms["id"] == sms_id:
                return json(sms)
    raise missing("SMS", sms_id)
