"""Event models: pydantic shapes of envelope and details, a lenient reader, a canonical writer.

Real platform output is not uniform (spec §1). ``normalize`` accepts every known variant, says
which non-canonical forms it met, and returns the canonical dict; ``dumps`` writes that dict in the
platform's key order with ``YYYY-MM-DDTHH:MM:SS.mmmZ`` timestamps, so a canonical event read and
written again gives the same bytes. The hot paths (replay, generation) work on these plain dicts;
the pydantic models serve the public API, error messages and the JSON Schema.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    LIFECYCLE_TYPES,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
)

CANONICAL_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
_CANONICAL_TS = re.compile(CANONICAL_TIMESTAMP)
_LENIENT_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)

# The platform's key order (seed examples); keys outside it keep their order after these.
ENVELOPE_ORDER = (
    "timestamp", "alert", "description", "id", "event_type", "event_source", "event_severity",
    "organisation", "user", "endpoint", "sim", "imsi", "detail",
)
_CODE_ORDER = ("id", "description")
NESTED_ORDER: dict[str, tuple[str, ...]] = {
    "event_type": _CODE_ORDER,
    "event_source": _CODE_ORDER,
    "event_severity": _CODE_ORDER,
    "organisation": ("id", "name"),
    "user": ("id", "name", "username"),
    "endpoint": ("id", "imei", "ip_address", "name", "tags"),
    "sim": ("iccid", "id", "production_date", "msisdn"),
    "imsi": ("id", "import_date", "imsi"),
}
_REQUIRED_CODES = ("event_type", "event_source", "event_severity")
_CODE_TABLES: dict[str, dict[int, str]] = {
    "event_type": EVENT_TYPE_DESCRIPTIONS,
    "event_source": SOURCE_DESCRIPTIONS,
    "event_severity": SEVERITY_DESCRIPTIONS,
}


class EnvelopeError(ValueError):
    """A required envelope field is missing or garbled: the event cannot take part in replay."""


# --------------------------------------------------------------------------- pydantic models


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CodeRef(_Open):
    id: int
    description: str


class Organisation(_Open):
    id: int
    name: str | None = None


class User(_Open):
    id: int
    name: str | None = None
    username: str | None = None


class Endpoint(_Open):
    id: int
    imei: str | None = None
    ip_address: str | None = None
    name: str | None = None
    tags: Any = None


class Sim(_Open):
    iccid: str = Field(pattern=r"^\d{19,20}$")
    id: int
    production_date: str | None = None
    msisdn: str | None = None


class Imsi(_Open):
    id: int
    import_date: str | None = None
    imsi: str | None = None


class StatusRef(_Open):
    id: int
    description: str


class SimStatusChange(_Open):
    status: dict[str, StatusRef]


class Transition(_Open):
    sim: SimStatusChange
    reason: str | None = None


class TransitionDetail(_Open):
    """Detail of an auto-activation (8 from Policy Control): from FACTORY TEST to ACTIVATED."""

    transition: Transition


class SimModel(_Open):
    id: int


class SimBatch(_Open):
    id: int
    sim_model: SimModel | None = None
    batch_size: int
    first_iccid: str
    last_iccid: str


class SimBatchDetail(_Open):
    """Detail of a registration (48): the batch, its size and its ICCID range."""

    sim_batch: SimBatch


class WorkspaceRef(_Open):
    id: int
    name: str | None = None


class MigratedSim(_Open):
    id: int
    iccid: str
    iccid_with_luhn: str | None = None
    source_workspace: WorkspaceRef


class MigrationDetail(_Open):
    """Detail of a migration half (69); both halves carry the same sims and target."""

    target_workspace: WorkspaceRef
    sims: list[MigratedSim]
    type: str = Field(pattern=r"^(source|target)$")


class Event(_Open):
    """One platform event in canonical form. Unknown keys are kept."""

    timestamp: str = Field(pattern=CANONICAL_TIMESTAMP)
    alert: bool = False
    description: str | None = None
    id: int
    event_type: CodeRef
    event_source: CodeRef
    event_severity: CodeRef
    organisation: Organisation
    user: User | None = None
    endpoint: Endpoint | None = None
    sim: Sim | None = None
    imsi: Imsi | None = None
    detail: (
        TransitionDetail | SimBatchDetail | MigrationDetail | dict[str, Any] | None
    ) = None

    def to_json(self) -> bytes:
        """The canonical bytes of this event (no newline)."""
        return dumps(self.model_dump(mode="json", exclude_unset=True))


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one canonical event, derived from ``Event``."""
    full = Event.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://simlife.dev/schema/event.json",
        "title": "Platform event",
        "description": (Event.__doc__ or "").strip(),
        **{k: v for k, v in full.items() if k not in ("title", "description")},
    }


# --------------------------------------------------------------------------- lenient reading


def canonical_timestamp(value: str) -> tuple[str, bool]:
    """``value`` in canonical form, and whether it was canonical already.

    >>> canonical_timestamp("2021-10-06 10:42:58")
    ('2021-10-06T10:42:58.000Z', False)
    """
    if _CANONICAL_TS.match(value):
        return value, True
    m = _LENIENT_TS.match(value)
    if m is None:
        raise EnvelopeError(f"timestamp {value!r} is not an ISO date-time")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int(((frac or "") + "000000")[:6])
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise EnvelopeError(f"timestamp {value!r}: {exc}") from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        moment = datetime.fromtimestamp(moment.timestamp() - offset * 60, tz=UTC)
    return format_timestamp(moment), False


def format_timestamp(moment: datetime) -> str:
    """The platform's form, ms and ``Z`` (pydantic and orjson would write ``.147000Z``)."""
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def _code(event: dict[str, Any], key: str, odd: list[str]) -> None:
    value = event.get(key)
    table = _CODE_TABLES[key]
    if isinstance(value, dict):
        if "description" not in value and "name" in value:
            value = {("description" if k == "name" else k): v for k, v in value.items()}
            event[key] = value
            odd.append(f"{key}.name used for {key}.description")
        ident = value.get("id")
        if type(ident) is int:
            return
        if type(ident) is str and ident.isdigit():
            value["id"] = int(ident)
            odd.append(f"{key}.id given as a string")
            return
        raise EnvelopeError(f"{key}.id is missing or not an integer")
    if type(value) is int and value in table:
        event[key] = {"id": value, "description": table[value]}
        odd.append(f"{key} given as a bare id")
        return
    if isinstance(value, str):
        wanted = value.strip().lower()
        for ident, description in table.items():
            if description.lower() == wanted:
                event[key] = {"id": ident, "description": description}
                odd.append(f"{key} given as the string {value!r}")
                return
        raise EnvelopeError(f"{key} {value!r} names no known {key.replace('_', ' ')}")
    raise EnvelopeError(f"{key} is missing or not an object with an id")


def normalize(event: Any) -> tuple[dict[str, Any], list[str]]:
    """The canonical form of a parsed event and the non-canonical forms it used.

    Raises ``EnvelopeError`` when a required field (id, timestamp, event_type.id,
    event_source.id, event_severity.id, organisation.id) is missing or garbled. The input dict is
    changed in place only where a form was non-canonical.
    """
    if not isinstance(event, dict):
        raise EnvelopeError(f"expected a JSON object, got {type(event).__name__}")
    odd: list[str] = []
    ident = event.get("id")
    if type(ident) is not int:
        raise EnvelopeError("id is missing or not an integer")
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        raise EnvelopeError("timestamp is missing or not a string")
    if not _CANONICAL_TS.match(stamp):
        event["timestamp"], _ = canonical_timestamp(stamp)
        odd.append(f"timestamp {stamp!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
    for key in _REQUIRED_CODES:
        value = event.get(key)
        if not (isinstance(value, dict) and type(value.get("id")) is int
                and "description" in value):
            _code(event, key, odd)
    org = event.get("organisation")
    if not (isinstance(org, dict) and type(org.get("id")) is int):
        raise EnvelopeError("organisation.id is missing or not an integer")
    alert = event.get("alert")
    if alert is not None and type(alert) is not bool:
        if alert in (0, 1):
            event["alert"] = bool(alert)
            odd.append(f"alert given as {alert!r}")
        else:
            raise EnvelopeError(f"alert {alert!r} is not a boolean")
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            event["detail"] = orjson.loads(detail)
        except orjson.JSONDecodeError:
            if event["event_type"]["id"] in LIFECYCLE_TYPES:
                raise EnvelopeError("detail is a string that is not JSON") from None
            # Seen on the platform (spec §9); nothing in it is needed where the type takes no
            # part in the lifecycle: kept as the text it is.
            odd.append("detail is a string that is not JSON (kept as text: the event type "
                       "takes no part in the lifecycle)")
        else:
            odd.append("detail given as a JSON-encoded string")
    nulls = [k for k, v in event.items() if v is None]
    for key in nulls:
        del event[key]
        odd.append(f"{key} is null")
    return event, odd


# --------------------------------------------------------------------------- canonical writing


def _ordered(obj: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    if tuple(obj)[: len(order)] == order:
        return obj
    out = {k: obj[k] for k in order if k in obj}
    if len(out) != len(obj):
        out.update((k, v) for k, v in obj.items() if k not in out)
    return out


def ordered(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with its keys, and its objects' keys, in the platform's order (seed examples).

    Unknown keys follow the known ones in their own order; ``detail`` keeps its order.
    """
    out = _ordered(event, ENVELOPE_ORDER)
    for key, order in NESTED_ORDER.items():
        value = out.get(key)
        if isinstance(value, dict):
            fixed = _ordered(value, order)
            if fixed is not value:
                out = dict(out) if out is event else out
                out[key] = fixed
    return out


def dumps(event: dict[str, Any]) -> bytes:
    """Canonical bytes of a canonical event dict: compact JSON in the platform's key order."""
    return orjson.dumps(ordered(event))


def loads_event(line: bytes | str) -> Event:
    """Parse one line leniently into an ``Event`` (the convenient, slower path)."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"not JSON: {exc}") from None
    event, _ = normalize(raw)
    return Event.model_validate(event)
