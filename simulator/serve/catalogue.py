"""What the API shows that the lifecycle does not decide: operators, countries, SIM models, the
issuer, profiles and MSISDNs. Data only, fixed or derived from ids, so the same fleet always
shows the same catalogue (docs/serve.md lists what is invented here).
"""

from __future__ import annotations

from typing import Any

from simulator.platform import OPERATORS

# name -> (id, ISO code, dialling code, MCC, latitude, longitude), for the operators' countries.
COUNTRIES: dict[str, tuple[int, str, str, str, str, str]] = {
    "Germany": (74, "de", "49", "262", "51.000000", "9.000000"),
    "United Kingdom": (205, "gb", "44", "234", "54.000000", "-2.000000"),
    "France": (68, "fr", "33", "208", "46.000000", "2.000000"),
    "United States": (206, "us", "1", "310", "38.000000", "-97.000000"),
}
WORKSPACE_COUNTRY = "Germany"  # every served workspace's country (customer_org.country)

ISSUER_ORG: dict[str, Any] = {"id": 2, "name": "emnify GmbH",
                              "country": {"id": COUNTRIES["Germany"][0], "name": "Germany"}}

# SIM model id (as registration batches draw them) -> description, memory, form factor, maker.
SIM_MODELS: dict[int, tuple[str, int, tuple[int, str], tuple[int, str]]] = {
    9: ("Classic", 128, (6, "1/2/3FF (3in1)"), (2, "Bluefish")),
    11: ("Industrial", 256, (7, "2/3FF (2in1)"), (3, "Giesecke+Devrient")),
    13: ("Industrial MFF2", 256, (8, "MFF2 (solder)"), (3, "Giesecke+Devrient")),
    24: ("eUICC", 512, (6, "1/2/3FF (3in1)"), (4, "Thales")),
    31: ("Classic Plus", 128, (6, "1/2/3FF (3in1)"), (2, "Bluefish")),
}

SERVICE_PROFILES = ("Default Service Profile", "Low Power")
TARIFF_PROFILES = ("Default Tariff Profile", "EU Only")

# IMSI prefix -> the MSISDN prefix its numbers take (emnify's Liechtenstein and 882 ranges).
MSISDN_PREFIXES = {"295050": "423663", "90143": "88228"}


def country(name: str, *, full: bool = False) -> dict[str, Any]:
    ident, iso, code, mcc, lat, lng = COUNTRIES[name]
    out: dict[str, Any] = {"id": ident, "name": name, "country_code": code, "mcc": mcc,
                           "iso_code": iso}
    if full:
        out |= {"latitude": lat, "longitude": lng}
    return out


def _operator(op_id: int, name: str, where: str, plmn: str) -> dict[str, Any]:
    tap = (COUNTRIES[where][1].upper() + name.replace("&", "").replace("-", ""))[:5].upper()
    return {"id": op_id, "name": name, "country": country(where), "tapcode": [
        {"id": op_id * 10 + 1, "tapcode": tap}], "mnc": [{"id": op_id * 10 + 2,
                                                         "mnc": plmn[3:]}]}


# The blacklist's shape (recorded): id, name, country, tapcode [{id, tapcode}], mnc [{id, mnc}].
OPERATOR_TABLE: dict[int, dict[str, Any]] = {
    op_id: _operator(op_id, name, where, plmn) for op_id, name, where, plmn in OPERATORS
}


def operator_listing(op_id: int) -> dict[str, Any]:
    """An operator as ``GET /api/v1/operator`` shows it (the recorded keys)."""
    base = OPERATOR_TABLE[op_id]
    where = base["country"]["name"]
    return {
        "name": base["name"],
        "inbound_roamers_allowed": "1",
        "country_name": where,
        "id": op_id,
        "country": country(where, full=True),
        "mnc": [dict(m, operator_id=str(op_id)) for m in base["mnc"]],
        "tapcode": [dict(t, operator_id=str(op_id)) for t in base["tapcode"]],
        "name_and_country": f"{where} / {base['name']}",
    }


def sim_model(model: int | None) -> dict[str, Any] | None:
    if model not in SIM_MODELS:
        return None
    description, memory, (form_id, form), (maker_id, maker) = SIM_MODELS[model]
    return {"id": model, "description": description, "memory_size": memory,
            "formfactor": {"id": form_id, "name": form},
            "manufacturer": {"id": maker_id, "name": maker}}


def msisdn(imsi: str) -> str:
    """The MSISDN of a SIM, derived from its IMSI (the simulated platform draws none)."""
    for prefix, number in MSISDN_PREFIXES.items():
        if imsi.startswith(prefix):
            return number + imsi[len(prefix):]
    return "88228" + imsi[-10:]


def profile_ids(workspace: int, kind: int) -> list[int]:
    """Ids of a workspace's service (kind 0) or tariff (kind 1) profiles: stable, distinct."""
    return [100_000 + workspace * 8 + kind * 4 + i for i in range(2)]


def service_profiles(workspace: int) -> list[dict[str, Any]]:
    return [
        {"id": ident, "name": name, "description": f"{name} of the simulated workspace",
         "used_count": None, "allowed_3g": True, "allowed_4g": True, "allowed_nb_iot": False,
         "allowed_nb_iot_geo": False, "apply_sms_quota": False, "apply_data_quota": False}
        for ident, name in zip(profile_ids(workspace, 0), SERVICE_PROFILES, strict=True)
    ]


def tariff_profiles(workspace: int) -> list[dict[str, Any]]:
    return [
        {"id": ident, "name": name, "description": f"{name} of the simulated workspace",
         "used_count": None, "organisation_id": str(workspace), "satellite_capable": False}
        for ident, name in zip(profile_ids(workspace, 1), TARIFF_PROFILES, strict=True)
    ]
