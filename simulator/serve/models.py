"""Request bodies of the stand-in (pydantic): unknown fields in a change are refused with 422,
so an integration learns at once that the stand-in does not support what it tried to change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt


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
    id: StrictInt


class OptionalIdRef(_Strict):
    id: StrictInt | None = None


class SimPatch(_Strict):
    status: IdRef


class EndpointPatch(_Strict):
    status: IdRef | None = None
    sim: OptionalIdRef | None = None


class WorkspaceRef(_Strict):
    id: StrictInt


class IccidRange(_Strict):
    start: str = Field(pattern=r"^\d{19,20}$")
    end: str = Field(pattern=r"^\d{19,20}$")


class MigrationRequest(_Strict):
    """The platform's body; exactly one of ``sims``, ``iccids`` and ``iccid_range``."""

    target_workspace: WorkspaceRef
    sims: list[IdRef] | None = None
    iccids: list[str] | None = None
    iccid_range: IccidRange | None = None
    allowed_sim_statuses: list[IdRef] | None = None
    dry_run: StrictBool = True
    auto_detach_devices: StrictBool = False
