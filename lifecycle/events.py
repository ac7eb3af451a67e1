"""Event models: pydantic shapes of envelope and details, a lenient reader, a canonical writer.

Real platform output is not uniform (spec §1). ``normalize`` accepts every known variant, says
which non-canonical forms it met, and returns the canonical dict; ``dumps`` writes that dict in the
platform's key order with ``YYYY-MM-DDTHH:MM:SS.mmmZ`` timestamps, so a canonical event read and
written again gives the same bytes. The hot paths (replay, generation) work on these plain dicts;
the pydantic models serve the public API, error messages and the JSON Schema.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    LIFECYCLE_TYPES,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
)

# ASCII digits only: Python's \d also matches other scripts' digits (e.g. Arabic-Indic).
CANONICAL_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
_CANONICAL_TS = re.compile(CANONICAL_TIMESTAMP)
_LENIENT_TS = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
# The UTC days that ended in a leap second, 23:59:60 (IERS Bulletin C; none since 2016, none
# announced). UTC allows second 60 there and nowhere else.
LEAP_SECOND_DAYS = frozenset(
    f"{year}-{'06-30' if half == 1 else '12-31'}"
    for year, halves in (
        (1972, (1, 2)), (1973, (2,)), (1974, (2,)), (1975, (2,)), (1976, (2,)), (1977, (2,)),
        (1978, (2,)), (1979, (2,)), (1981, (1,)), (1982, (1,)), (1983, (1,)), (1985, (1,)),
        (1987, (2,)), (1989, (2,)), (1990, (2,)), (1992, (1,)), (1993, (1,)), (1994, (1,)),
        (1995, (2,)), (1997, (1,)), (1998, (2,)), (2005, (2,)), (2008, (2,)), (2012, (1,)),
        (2015, (1,)), (2016, (2,)),
    )
    for half in halves
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
    iccid: str = Field(pattern=r"^[0-9]{19,20}$")
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


def _real_instant(stamp: str) -> str:
    problem = instant_problem(stamp)
    if problem is not None:
        raise ValueError(f"not a real instant: {problem}")
    return stamp


class Event(_Open):
    """One platform event in canonical form. Unknown keys are kept."""

    timestamp: Annotated[str, AfterValidator(_real_instant)] = Field(pattern=CANONICAL_TIMESTAMP)
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

    Every form is checked as a real UTC instant (calendar, clock, offset within a day, a leap
    second only where UTC had one); ``EnvelopeError`` names what is wrong.

    >>> canonical_timestamp("2021-10-06 10:42:58")
    ('2021-10-06T10:42:58.000Z', False)
    """
    if _CANONICAL_TS.match(value):
        problem = instant_problem(value)
        if problem is not None:
            raise EnvelopeError(f"timestamp {value!r} is not a real instant: {problem}")
        return value, True
    m = _LENIENT_TS.match(value)
    if m is None:
        raise EnvelopeError(f"timestamp {value!r} is not an ISO date-time")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    offset = 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        if int(digits[:2]) > 23 or int(digits[2:]) > 59:
            raise EnvelopeError(f"timestamp {value!r} is not a real instant: offset {zone} "
                                "(expected -23:59 to +23:59)")
        offset = (1 if zone[0] == "+" else -1) * (int(digits[:2]) * 60 + int(digits[2:]))
    problem = _clock_problem(int(year), int(month), int(day), int(hour), int(minute),
                             int(second))
    if problem is not None:
        raise EnvelopeError(f"timestamp {value!r} is not a real instant: {problem}")
    leap = second == "60"
    micro = int(((frac or "") + "000000")[:6])
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          59 if leap else int(second), micro, tzinfo=UTC)
        moment -= timedelta(minutes=offset)
    except OverflowError:
        raise EnvelopeError(f"timestamp {value!r} is not a real instant: outside the years "
                            "0001 to 9999 in UTC") from None
    text = format_timestamp(moment)
    if leap:  # second 60 of the local minute: a leap second only if it is 23:59:60 UTC
        text = text[:17] + "60" + text[19:]
        if text[11:17] != "23:59:" or text[:10] not in LEAP_SECOND_DAYS:
            raise EnvelopeError(f"timestamp {value!r} is not a real instant: second 60 is a "
                                "leap second only at 23:59:60 UTC of a day that had one")
    return text, False


def instant_problem(stamp: str) -> str | None:
    """Why a timestamp of canonical shape (``CANONICAL_TIMESTAMP``) is not a real UTC instant,
    or None when it is one."""
    problem = _clock_problem(int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]),
                             int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19]))
    if problem is None and stamp[17:19] == "60" and (
            stamp[11:16] != "23:59" or stamp[:10] not in LEAP_SECOND_DAYS):
        return "second 60 is a leap second only at 23:59:60 UTC of a day that had one"
    return problem


def _clock_problem(year: int, month: int, day: int, hour: int, minute: int,
                   second: int) -> str | None:
    """The first field of a calendar date and clock time that is out of range, named."""
    if not 1 <= year <= 9999:
        return f"year {year:04d} (expected 0001 to 9999)"
    if not 1 <= month <= 12:
        return f"month {month:02d} (expected 01 to 12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"day {day:02d} (expected 01 to {days} in {year:04d}-{month:02d})"
    if hour > 23:
        return f"hour {hour:02d} (expected 00 to 23)"
    if minute > 59:
        return f"minute {minute:02d} (expected 00 to 59)"
    if second > 60:
        return f"second {second:02d} (expected 00 to 59, or 60 for a leap second)"
    return None


# Every valid "HH:MM" of a day: a clock time is checked with one lookup.
CLOCK_MINUTES = frozenset(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))


class InstantCache:
    """Which canonical-shaped timestamps are real instants, at two set lookups each.

    A log's timestamps share their day with thousands of neighbours: a date found valid once is
    remembered (at most ``size`` of them, then forgotten all at once), and a stamp of a known
    date is valid when its clock is (``CLOCK_MINUTES``, a second below 60); anything else gets
    the full check (``instant_problem``).
    """

    __slots__ = ("days", "size")

    def __init__(self, size: int = 4096) -> None:
        self.days: set[str] = set()
        self.size = size

    def real(self, stamp: str) -> bool:
        """Is ``stamp`` (of canonical shape, ASCII digits) a real instant? Remembers its date."""
        if stamp[:10] in self.days and stamp[11:16] in CLOCK_MINUTES and stamp[17] < "6":
            return True
        if instant_problem(stamp) is not None:
            return False
        days = self.days
        if len(days) >= self.size:
            days.clear()
        days.add(stamp[:10])
        return True


def id_of(obj: Any) -> int | None:
    """The ``id`` of a nested object (``sim``, ``endpoint``, ``user``...) when it is an integer:
    what a lenient reader may rely on, whatever else the object holds."""
    if isinstance(obj, dict):
        ident = obj.get("id")
        if type(ident) is int:
            return ident
    return None


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
        if type(ident) is str and ident.isascii() and ident.isdigit() and len(ident) <= 30:
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
    event["timestamp"], canonical = canonical_timestamp(stamp)
    if not canonical:
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
