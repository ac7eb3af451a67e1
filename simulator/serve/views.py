"""Resources in the platform's shapes (the keys its recorded answers carry), built from the
simulated platform's records and the ledger. Pure functions; the caller holds the world's lock.

Resource times are written as the platform writes them (``2022-03-27T23:20:49.000+0000``),
events keep theirs (``...Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lifecycle.codes import EndpointStatus, SimStatus
from lifecycle.events import format_timestamp
from simulator.platform import EndpointRecord, Platform, SimRecord
from simulator.serve.catalogue import (
    ISSUER_ORG,
    WORKSPACE_COUNTRY,
    country,
    msisdn,
    service_profiles,
    sim_model,
    tariff_profiles,
)
from simulator.serve.ledger import Ledger


def status_json(status: SimStatus | EndpointStatus) -> dict[str, Any]:
    return {"id": int(status), "description": status.label}


def resource_time(canonical: str) -> str:
    """``...T10:00:00.000Z`` as resources write it: ``...T10:00:00.000+0000``."""
    return canonical[:-1] + "+0000" if canonical.endswith("Z") else canonical


def ms_time(ms: int) -> str:
    return resource_time(format_timestamp(datetime.fromtimestamp(ms / 1000, tz=UTC)))


def ip_space(ip: str) -> dict[str, Any]:
    """The IP address space of a device: the /16 its address lies in."""
    a, b = (int(part) for part in ip.split(".")[:2])
    return {"id": 10_000 + a * 256 + b, "ip_address_space": f"{a}.{b}.0.0/16",
            "ip_address_version": 4}


def _org(workspace: int, workspaces: dict[int, str]) -> dict[str, Any]:
    where = country(WORKSPACE_COUNTRY)
    return {"id": workspace, "name": workspaces.get(workspace),
            "country": {"id": where["id"], "name": where["name"]}}


def _profile(table: list[dict[str, Any]], ident: int, *keys: str) -> dict[str, Any]:
    for profile in table:
        if profile["id"] == ident:
            return {key: profile[key] for key in ("id", "name", *keys)}
    return {"id": ident, "name": None}


def last_updated(ep: EndpointRecord, ledger: Ledger) -> str:
    created = ms_time(ep.created)
    touched = ledger.touched.get(ep.id)
    return created if touched is None else max(created, resource_time(touched))


def endpoint_json(ep: EndpointRecord, platform: Platform, ledger: Ledger, *,
                  detail: bool = True) -> dict[str, Any]:
    """A device as ``GET /api/v1/endpoint/{id}`` (``detail``) or a list item shows it."""
    settings = ledger.device(ep.id, ep.workspace)
    space = ip_space(ep.ip_address)
    out: dict[str, Any] = {
        "id": ep.id,
        "name": ep.name,
        "tags": ep.tags,
        "created": ms_time(ep.created),
        "last_updated": last_updated(ep, ledger),
        "status": status_json(ep.status),
        "service_profile": _profile(service_profiles(ep.workspace), settings.service_profile),
        "tariff_profile": _profile(tariff_profiles(ep.workspace), settings.tariff_profile,
                                   *(("satellite_capable",) if detail else ())),
    }
    sim = None if ep.sim is None else platform.sims.get(ep.sim)
    if sim is not None:
        out["sim"] = {"id": sim.id, "iccid": sim.iccid19, "iccid_with_luhn": sim.iccid,
                      "imsi": sim.imsi, "msisdn": msisdn(sim.imsi),
                      "status": status_json(sim.status)}
    out |= {
        "imei": ep.imei,
        "ip_address": ep.ip_address,
        "ip_address_space": space if detail else {"id": space["id"]},
        "imei_lock": settings.imei_lock,
    }
    return out


def _held_by(ep: EndpointRecord, ledger: Ledger) -> dict[str, Any]:
    """The device inside a SIM resource (recorded keys)."""
    settings = ledger.device(ep.id, ep.workspace)
    return {"id": ep.id, "name": ep.name, "imei": ep.imei, "created": ms_time(ep.created),
            "last_updated": last_updated(ep, ledger), "organisation_id": ep.workspace,
            "service_profile_id": settings.service_profile,
            "tariff_profile_id": settings.tariff_profile, "tags": ep.tags,
            "ip_address": ep.ip_address, "ip_address_space_id": ip_space(ep.ip_address)["id"]}


def sim_json(rec: SimRecord, platform: Platform, workspaces: dict[int, str],
             ledger: Ledger) -> dict[str, Any]:
    """A SIM as ``GET /api/v1/sim/{id}`` and the SIM list show it."""
    out: dict[str, Any] = {
        "id": rec.id,
        "iccid": rec.iccid19,
        "iccid_with_luhn": rec.iccid,
        "production_date": resource_time(rec.produced),
    }
    activated = ledger.activated.get(rec.id)
    if activated is not None:
        out["activation_date"] = resource_time(activated)
    out |= {"status": status_json(rec.status), "customer_org": _org(rec.workspace, workspaces),
            "issuer_org": ISSUER_ORG}
    ep = None if rec.endpoint is None else platform.endpoints.get(rec.endpoint)
    if ep is not None:
        out["endpoint"] = _held_by(ep, ledger)
    out |= {"imsi": rec.imsi, "msisdn": msisdn(rec.imsi)}
    model = sim_model(ledger.model_of(rec.iccid19))
    if model is not None:
        out["model"] = model
    return out


def recorded_sim(sim: dict[str, Any], workspace: int,
                 workspaces: dict[int, str]) -> dict[str, Any]:
    """A SIM of a recorded log, from what its latest event said (its status is not known)."""
    out: dict[str, Any] = {key: sim[key] for key in ("id", "iccid", "production_date", "msisdn")
                           if key in sim}
    if isinstance(out.get("production_date"), str):
        out["production_date"] = resource_time(out["production_date"])
    out["customer_org"] = _org(workspace, workspaces)
    return out


_SOURCE_TYPES = {145: "International", 161: "National", 208: "Alphanumeric"}
DELIVERED, FAILED = (4, "DELIVERED"), (5, "FAILED")


def sms_json(ident: int, ep: EndpointRecord, sim: SimRecord, request: dict[str, Any],
             now: str, status: tuple[int, str]) -> dict[str, Any]:
    """A mobile-terminated SMS as ``GET /api/v1/endpoint/{id}/sms`` lists it (recorded keys;
    the platform writes most numbers as strings). ``now`` is a canonical time."""
    when = resource_time(now)
    source_type = (request.get("source_address_type") or {}).get("id", 161)
    expiry = request.get("expiry_date") or when
    return {
        "dlr_status_id": str(status[0]), "organisation_id": str(ep.workspace),
        "submit_date": when, "delivery_date": when if status == DELIVERED else None,
        "expiry_date": expiry, "final_date": when, "retry_date": None,
        "last_delivery_attempt": when, "retry_count": "0", "gsm_map_error": None,
        "dcs": str(request.get("dcs") or 0), "pid": "0",
        "source_address": request.get("source_address") or "emnify",
        "endpoint_id": str(ep.id), "endpoint": {"id": ep.id, "name": ep.name},
        "sim_id": str(sim.id), "iccid": sim.iccid19, "called_party_prefix": None,
        "msisdn": msisdn(sim.imsi), "imsi": sim.imsi, "msc": None,
        "udh": request.get("udh") or "", "payload": request["payload"],
        "registered_delivery": "0", "smpp_bind_id": None, "p2p_ext": 0,
        "smpp_dlr_bind_id": None, "id": ident,
        "status": {"description": status[1], "id": status[0]},
        "sms_type": {"description": "MT", "id": 1},
        "source_address_type": {"description": _SOURCE_TYPES.get(source_type, "National"),
                                "id": source_type},
        "esme_interface_type": {"description": "RestAPI", "id": 1},
    }


def connectivity_json(ep: EndpointRecord, sim: SimRecord | None) -> dict[str, Any]:
    """``GET /api/v1/endpoint/{id}/connectivity``: ATTACHED while an Enabled device holds a
    SIM with service (Activated or Factory Test), else OFFLINE (ONLINE and BLOCKED need data
    sessions and traffic limits, which are not modelled)."""
    attached = (sim is not None and ep.status == EndpointStatus.ENABLED
                and sim.status in (SimStatus.ACTIVATED, SimStatus.FACTORY_TEST))
    if attached:
        return {"status": {"description": "ATTACHED"}, "services": ["GSM", "GPRS"]}
    return {"status": {"description": "OFFLINE"}, "services": []}
