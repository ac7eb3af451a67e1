"""The changes the API makes, as the platform takes them: each drives the simulated platform
(which emits the events) and keeps the ledger. No FastAPI here; refusals are the platform's
``Refused`` with its HTTP status, and the caller holds the world's lock (``World.change``).

Where the platform's documentation is silent these are our inferences (docs/serve.md):
a status change to the status the entity already has is accepted and emits nothing (the
official SDK relies on it); a device PATCH with several fields is all or nothing, and applies
the quiet fields, then the SIM, then the status, so the events that follow carry the new name
and IMEI; an SMS is delivered (and counts toward a Factory Test SIM's auto-activation) only to
an Enabled device whose SIM has service, otherwise it is accepted and fails.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lifecycle.codes import EndpointStatus, SimStatus
from lifecycle.events import format_timestamp
from simulator.platform import EndpointRecord, Platform, Refused
from simulator.serve.catalogue import OPERATOR_TABLE, profile_ids
from simulator.serve.ledger import DEVICES_PER_WORKSPACE, DeviceSettings
from simulator.serve.models import EndpointCreate, EndpointPatch, IdRef, SmsRequest
from simulator.serve.views import DELIVERED, FAILED, sms_json
from simulator.serve.world import World, missing

VALIDATION, DUPLICATED, UNAVAILABLE = 1400, 1405, 1601
REGISTRABLE = (SimStatus.ISSUED, SimStatus.ACTIVATED, SimStatus.FACTORY_TEST)
_SERVICE = (SimStatus.ACTIVATED, SimStatus.FACTORY_TEST)


class Invalid(Refused):
    """422 as the platform answers a bad reference in a change (recorded): one error each."""

    def __init__(self, action: str, problems: list[str]) -> None:
        super().__init__(422, f"{action} validation error", VALIDATION)
        self.errors = [{"error_code": 1401, "error_token": "InvalidReference", "message": m}
                       for m in problems]


def _profiles(workspace: int, service: IdRef | None, tariff: IdRef | None) -> list[str]:
    problems = []
    if service is not None and service.id not in profile_ids(workspace, 0):
        problems.append(f"Service profile with Id '{service.id}' not found.")
    if tariff is not None and tariff.id not in profile_ids(workspace, 1):
        problems.append(f"Tariff profile with Id '{tariff.id}' not found.")
    return problems


def _now(platform: Platform) -> str:
    return format_timestamp(platform.now)


# --------------------------------------------------------------------------- SIMs


def set_sim_status(world: World, platform: Platform, workspace: int, sim: int,
                   status: SimStatus) -> None:
    record = world.own_sim(platform, workspace, sim)
    if record.status == status and status != SimStatus.DELETED:
        return  # already there: 204 and no event
    platform.set_status(sim, status)


def register_batch(world: World, platform: Platform, workspace: int, bic: str,
                   status: SimStatus) -> list[dict[str, Any]]:
    """Register a delivered batch: its 48, then an 8 or 45 per SIM unless it stays Issued."""
    if status not in REGISTRABLE:
        raise Refused(422, f"Could not register batch {bic}: SIMs are registered Issued, "
                      "Activated or Factory Test", VALIDATION)
    ledger = world.ledger
    batch = ledger.pending.get(bic)
    if batch is None or batch.workspace != workspace:
        reason = ("the batch is already registered" if ledger.registered.get(bic) == workspace
                  else "no batch with this BIC")
        raise Refused(422, f"Could not register batch {bic[:40]}: {reason}", VALIDATION)
    ids = platform.register(batch.size, workspace=workspace, status=status)
    del ledger.pending[bic]
    ledger.registered[bic] = workspace
    return [{"id": ident, "iccid": platform.sims[ident].iccid19} for ident in ids]


# --------------------------------------------------------------------------- devices


def create_device(world: World, platform: Platform, workspace: int,
                  body: EndpointCreate) -> int:
    status = EndpointStatus(body.status.id) if body.status.id in (0, 1) else None
    if status is None:
        raise Refused(422, f"status.id {body.status.id} is not one of 0 Enabled, 1 Disabled",
                      1401)
    problems = _profiles(workspace, body.service_profile, body.tariff_profile)
    if problems:
        raise Invalid("Create endpoint", problems)
    sim_status = None
    if body.sim is not None:
        record = world.own_sim(platform, workspace, body.sim.id)
        sim_status = record.status  # unchanged, unless asked (or the setting says)
        if world.activate_on_assign and record.status == SimStatus.ISSUED:
            sim_status = SimStatus.ACTIVATED
        if body.sim.status is not None:
            if body.sim.status.id not in (SimStatus.ACTIVATED, SimStatus.FACTORY_TEST):
                raise Refused(422, "sim.status.id must be 1 Activated or 4 Factory Test", 1401)
            sim_status = SimStatus(body.sim.status.id)
        elif body.sim.activate:
            sim_status = SimStatus.ACTIVATED
    ledger = world.ledger
    if ledger.created.get(workspace, 0) >= DEVICES_PER_WORKSPACE:
        raise Refused(404, "No IP Address available.", UNAVAILABLE)  # as recorded
    endpoint = platform.create_endpoint(
        workspace=workspace, sim=None if body.sim is None else body.sim.id, status=status,
        name=body.name, imei=body.imei, tags=body.tags, sim_status=sim_status,
    )
    ledger.created[workspace] = ledger.created.get(workspace, 0) + 1
    ledger.devices[endpoint] = DeviceSettings(body.service_profile.id, body.tariff_profile.id,
                                              body.imei_lock)
    return endpoint


def update_device(world: World, platform: Platform, workspace: int, endpoint: int,
                  body: EndpointPatch) -> None:
    """All of a PATCH, or nothing: checked first, the quiet fields put back on a refusal."""
    ep = world.own_endpoint(platform, workspace, endpoint)
    given = body.model_fields_set
    if not given:
        raise Refused(422, "nothing to change: give status, sim, name, tags, imei, imei_lock, "
                      "service_profile or tariff_profile", VALIDATION)
    status = None
    if "status" in given:
        if body.status is None or body.status.id not in (0, 1, 2):
            raise Refused(422, 'status must be {"id": N} with N 0 Enabled, 1 Disabled or '
                          "2 Deleted", 1401)
        status = EndpointStatus(body.status.id)
        if status == EndpointStatus.DELETED:
            if given != {"status"}:
                raise Refused(422, "status 2 (Deleted) deletes the device: give it alone",
                              VALIDATION)
            platform.remove_endpoint(endpoint)
            return
    problems = _profiles(workspace, body.service_profile, body.tariff_profile)
    if problems:
        raise Invalid("Update endpoint", problems)
    settings = world.ledger.device(endpoint, workspace)
    before = (ep.name, ep.tags, ep.imei, dataclasses.replace(settings))
    _quiet_fields(platform, ep, settings, body, given)
    try:
        if "sim" in given:
            _change_sim(world, platform, workspace, ep, body)
    except Refused:
        platform.update_endpoint(endpoint, name=before[0], tags=before[1], imei=before[2])
        world.ledger.devices[endpoint] = before[3]
        raise
    if status is not None and status != ep.status:
        platform.set_endpoint_status(endpoint, status)
    if given - {"status", "sim"}:
        world.ledger.touched[endpoint] = _now(platform)


def _quiet_fields(platform: Platform, ep: EndpointRecord, settings: DeviceSettings,
                  body: EndpointPatch, given: set[str]) -> None:
    """The fields no event reports; name, tags and IMEI show in the events that follow."""
    name = body.name if "name" in given and body.name is not None else ep.name
    tags = body.tags if "tags" in given else ep.tags
    imei = body.imei if "imei" in given else ep.imei
    if (name, tags, imei) != (ep.name, ep.tags, ep.imei):
        platform.update_endpoint(ep.id, name=name, tags=tags, imei=imei)
    if body.service_profile is not None:
        settings.service_profile = body.service_profile.id
    if body.tariff_profile is not None:
        settings.tariff_profile = body.tariff_profile.id
    if body.imei_lock is not None:
        settings.imei_lock = body.imei_lock


def _change_sim(world: World, platform: Platform, workspace: int, ep: EndpointRecord,
                body: EndpointPatch) -> None:
    target = None if body.sim is None else body.sim.id
    if target is None:
        platform.release(ep.id)  # 409 when it holds none
    elif target != ep.sim:  # the SIM it holds already: nothing to do
        world.own_sim(platform, workspace, target)
        platform.assign(ep.id, target)


def delete_device(world: World, platform: Platform, workspace: int, endpoint: int) -> None:
    world.own_endpoint(platform, workspace, endpoint)
    platform.remove_endpoint(endpoint)


def reset_connectivity(world: World, platform: Platform, workspace: int,
                       endpoint: int) -> None:
    world.own_endpoint(platform, workspace, endpoint)
    platform.reset_connectivity(endpoint)


def send_sms(world: World, platform: Platform, workspace: int, endpoint: int,
             body: SmsRequest) -> int:
    """Send an MT SMS to the device's SIM; 422 when it holds none."""
    ep = world.own_endpoint(platform, workspace, endpoint)
    if ep.sim is None:
        raise Refused(422, f"Endpoint {endpoint} has no SIM to send an SMS to", 1401)
    sim = platform.sims[ep.sim]
    delivered = ep.status == EndpointStatus.ENABLED and sim.status in _SERVICE
    if delivered:
        platform.send_sms(sim.id, 1)  # the 10th to a Factory Test SIM auto-activates it
    ident = world.ledger.new_sms_id()
    sms = sms_json(ident, ep, sim, body.model_dump(), _now(platform),
                   DELIVERED if delivered else FAILED)
    world.ledger.record_sms(endpoint, sms)
    return ident


# --------------------------------------------------------------------------- blacklist


def blacklist(world: World, platform: Platform, workspace: int, endpoint: int,
              operator: int, *, add: bool) -> None:
    world.own_endpoint(platform, workspace, endpoint)
    if operator not in OPERATOR_TABLE:
        raise missing("Operator", operator)
    listed = world.ledger.blacklists.setdefault(endpoint, set())
    if add and operator in listed:
        raise Refused(409, f"Operator with Id '{operator}' is already blacklisted on Endpoint "
                      f"with Id '{endpoint}'.", DUPLICATED)
    if not add and operator not in listed:
        raise Refused(404, f"Operator with Id '{operator}' is not blacklisted on Endpoint "
                      f"with Id '{endpoint}'.", 1401)
    if add:
        listed.add(operator)
    else:
        listed.discard(operator)
