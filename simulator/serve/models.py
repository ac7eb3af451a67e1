"""Request bodies of the stand-in (pydantic): unknown fields in a change are refused with 422,
so an integration learns at once that the stand-in does not support what it tried to change.

Ids are integers, and integral floats are integers too: the official SDK sends a device status
as ``{"id": 1.0}`` and the platform takes it (recorded). ``1.5``, ``true`` and ``"1"`` are not
ids.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

NAME_LENGTH = 1000  # names and tags travel in every event of the device: keep them bounded


def _integral(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected an integer id, not a boolean")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError(f"expected an integer id, not {value!r}")
        return int(value)
    if not isinstance(value, int):
        raise ValueError("expected an integer id")
    return value


Ident = Annotated[int, BeforeValidator(_integral)]
Imei = Annotated[str, Field(pattern=r"^[0-9]{15,16}$")]  # an IMEI (15) or IMEISV (16)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthRequest(BaseModel):
    """``application_token``, or ``username`` and ``password`` (its SHA-1 hex, as on the
    platform)."""

    model_config = ConfigDict(extra="ignore")
    application_token: str | None = Field(None, max_length=4096)
    username: str | None = Field(None, max_length=4096)
    password: str | None = Field(None, max_length=4096)


class IdRef(_Strict):
    id: Ident


class StatusRef(_Strict):
    """``{"id": N}``, with or without the ``description`` (which is not checked)."""

    id: Ident
    description: str | None = Field(None, max_length=100)


class SimPatch(_Strict):
    status: StatusRef


class SimRef(_Strict):
    """The SIM of a device: ``{"id": X}``, or ``{"id": null}`` to release it."""

    id: Ident | None = None


class EndpointPatch(_Strict):
    """Any of these at once, as the platform allows; ``ip_address`` and ``ip_address_space``
    are not modelled (422)."""

    status: StatusRef | None = None
    sim: SimRef | None = None
    name: str | None = Field(None, max_length=NAME_LENGTH)
    tags: str | None = Field(None, max_length=NAME_LENGTH)
    imei: Imei | None = None
    imei_lock: StrictBool | None = None
    service_profile: IdRef | None = None
    tariff_profile: IdRef | None = None


class NewSim(_Strict):
    """The SIM of a device being created: ``activate`` it, or bring it to ``status`` (1 or 4)."""

    id: Ident
    activate: StrictBool = False
    status: StatusRef | None = None


class EndpointCreate(_Strict):
    name: str | None = Field(None, max_length=NAME_LENGTH)
    tags: str | None = Field(None, max_length=NAME_LENGTH)
    status: StatusRef
    service_profile: IdRef
    tariff_profile: IdRef
    sim: NewSim | None = None
    imei: Imei | None = None
    imei_lock: StrictBool = False


class SmsRequest(_Strict):
    """A mobile-terminated SMS, as the platform takes it (the SDK's SmsCreateModel)."""

    payload: str = Field(max_length=1600)
    source_address: str | None = Field(None, max_length=64)
    source_address_type: IdRef | None = None
    dest_address: str | None = Field(None, max_length=64)
    expiry_date: str | None = Field(None, max_length=64)
    udh: str | None = Field(None, max_length=64, pattern=r"^[0-9A-Fa-f]*$")
    dcs: Ident | None = None


class BatchRegistration(_Strict):
    """``{"sim_status": {"id": N}}`` (documented, recorded) or, as the SDK 0.5.3 sends it, the
    status itself: ``{"id": 1, "description": "Activated"}``. Neither: the SIMs stay Issued."""

    sim_status: StatusRef | None = None
    id: Ident | None = None
    description: str | None = Field(None, max_length=100)

    def status_id(self) -> int:
        if self.sim_status is not None:
            return self.sim_status.id
        return 0 if self.id is None else self.id


class WorkspaceRef(_Strict):
    id: Ident


class IccidRange(_Strict):
    start: str = Field(pattern=r"^[0-9]{19,20}$")
    end: str = Field(pattern=r"^[0-9]{19,20}$")


class MigrationRequest(_Strict):
    """The platform's body; exactly one of ``sims``, ``iccids`` and ``iccid_range``."""

    target_workspace: WorkspaceRef
    sims: list[IdRef] | None = None
    iccids: list[str] | None = None
    iccid_range: IccidRange | None = None
    allowed_sim_statuses: list[IdRef] | None = None
    dry_run: StrictBool = True
    auto_detach_devices: StrictBool = False
