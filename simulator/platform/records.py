"""What the simulated platform holds: its settings, its refusal, and a record per workspace,
SIM and endpoint with the nested objects their events carry (built once, shared by the events).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from lifecycle.codes import EndpointStatus, SimStatus
from simulator.platform.identities import iccid_with_luhn

__all__ = [
    "DRAW", "SETTING_RANGES", "Draw", "EndpointRecord", "Part", "Refused", "Settings",
    "SimRecord", "Snapshot", "WorkspaceRecord", "json_string",
]


# The range of each numeric setting (inclusive): a threshold of 0 or less would auto-activate
# at once or never, and a test period must end within the years timestamps hold.
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "factory_test_sms": (1, 1_000_000),
    "factory_test_bytes": (1, 1 << 50),
    "factory_test_days": (1, 36_500),
}


@dataclass(frozen=True)
class Settings:
    activate_on_assign: bool = False  # endpoint created with an Issued SIM: emit 8 then 51
    factory_test_sms: int = 10  # the 10th SMS auto-activates
    factory_test_bytes: int = 100 * 1024
    factory_test_days: int = 180  # test period, then auto-activation
    network_events: bool = False  # also emit network events (1, 2, 3, 5) around activity

    def __post_init__(self) -> None:
        for name, (low, high) in SETTING_RANGES.items():
            value = getattr(self, name)
            if type(value) is not int or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low:,} to {high:,}, "
                                 f"not {value!r}")


class Refused(Exception):
    """The platform refuses the request; nothing was emitted.

    400 the lifecycle forbids it (anything on a deleted SIM included), 404 unknown id (a deleted
    endpoint is gone), 409 conflict (SIM held, endpoint holds one or none), 422 bad request.
    """

    def __init__(self, http_status: int, message: str, error_code: int | None = None) -> None:
        super().__init__(f"{http_status}: {message}")
        self.http_status = http_status
        self.message = message
        self.error_code = error_code


# A nested object as emitted events carry it (the ``*_part`` attributes): the dict itself or,
# on a platform made with ``lines=True``, the text its event lines carry: ``,"key":`` and its
# canonical JSON.
Part: TypeAlias = "dict[str, Any] | str"

# JSON string literals exactly as orjson writes them (a test holds them equal for every code
# point but lone surrogates, which orjson refuses), for text built without orjson.
json_string = json.encoder.encode_basestring


class Draw:
    """The type of ``DRAW``: "draw this value from the seed" where None is a value of its own."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DRAW"


DRAW = Draw()


class WorkspaceRecord:
    __slots__ = ("id", "name", "org", "org_part", "user_parts", "users")

    def __init__(self, ident: int, name: str, users: list[dict[str, Any]]) -> None:
        self.id = ident
        self.name = name
        self.org: dict[str, Any] = {"id": ident, "name": name}
        self.users = users
        self.org_part: Part = self.org  # these two: see Part
        self.user_parts: list[Part] = list(users)


class SimRecord:
    __slots__ = (
        "data", "deadline", "endpoint", "iccid", "iccid19", "id", "imsi", "imsi_id", "imsi_part",
        "produced", "sim_part", "sms", "status", "workspace",
    )

    def __init__(
        self, ident: int, iccid19: str, imsi: str, imsi_id: int, produced: str, workspace: int,
        iccid: str | None = None,  # with its Luhn digit, if the caller has it
        lines: bool = False,  # see Part
    ) -> None:
        self.id = ident
        self.iccid19 = iccid19
        self.iccid = iccid = iccid_with_luhn(iccid19) if iccid is None else iccid
        self.imsi = imsi
        self.imsi_id = imsi_id
        self.produced = produced
        self.status = SimStatus.ISSUED
        self.workspace = workspace
        self.endpoint: int | None = None
        self.sms = 0
        self.data = 0
        self.deadline: int | None = None  # factory test period end, ms since the epoch
        self.sim_part: Part
        self.imsi_part: Part
        if lines:  # digits and a timestamp: JSON without escapes (a test holds it canonical)
            self.sim_part = (
                f',"sim":{{"iccid":"{iccid}","id":{ident},"production_date":"{produced}"}}')
            self.imsi_part = (
                f',"imsi":{{"id":{imsi_id},"import_date":"{produced}","imsi":"{imsi}"}}')
        else:
            self.sim_part = {"iccid": iccid, "id": ident, "production_date": produced}
            self.imsi_part = {"id": imsi_id, "import_date": produced, "imsi": imsi}

    @property
    def obj(self) -> dict[str, Any]:
        """The ``sim`` object of its events."""
        part = self.sim_part
        if type(part) is dict:
            return part
        return {"iccid": self.iccid, "id": self.id, "production_date": self.produced}

    @property
    def imsi_obj(self) -> dict[str, Any]:
        """The ``imsi`` object of its events."""
        part = self.imsi_part
        if type(part) is dict:
            return part
        return {"id": self.imsi_id, "import_date": self.produced, "imsi": self.imsi}


class EndpointRecord:
    __slots__ = ("created", "id", "imei", "ip_address", "name", "part", "sim", "status", "tags",
                 "workspace")

    def __init__(
        self, ident: int, workspace: int, status: EndpointStatus, name: str, ip: str,
        imei: str | None,
        lines: bool = False,  # see Part
        *,
        tags: str | None = None,
        created: int = 0,  # ms since the epoch
    ) -> None:
        self.id = ident
        self.workspace = workspace
        self.status = status
        self.ip_address = ip
        self.created = created
        self.sim: int | None = None
        self.name = name
        self.tags = tags
        self.imei = imei
        self.part: Part = {}
        self.describe(name, tags, imei, lines)

    def describe(self, name: str, tags: str | None, imei: str | None, lines: bool) -> None:
        """Set what events carry of the device; a new ``part`` (events already emitted keep
        theirs)."""
        self.name, self.tags, self.imei = name, tags, imei
        ident, ip = self.id, self.ip_address
        if lines:  # the name and tags may be anyone's (escaped); the rest are digits and dots
            imei_json = "null" if imei is None else json_string(imei)
            tags_json = "null" if tags is None else json_string(tags)
            self.part = (f',"endpoint":{{"id":{ident},"imei":{imei_json},"ip_address":"{ip}",'
                         f'"name":{json_string(name)},"tags":{tags_json}}}')
        else:
            self.part = {"id": ident, "imei": imei, "ip_address": ip, "name": name, "tags": tags}

    @property
    def obj(self) -> dict[str, Any]:
        """The ``endpoint`` object of its events."""
        part = self.part
        if type(part) is dict:
            return part
        return {"id": self.id, "imei": self.imei, "ip_address": self.ip_address,
                "name": self.name, "tags": self.tags}


@dataclass(frozen=True)
class Snapshot:
    sims: dict[int, tuple[SimStatus, int, int | None]]  # id -> (status, workspace, endpoint)
    endpoints: dict[int, tuple[EndpointStatus, int | None]]  # id -> (status, sim)
