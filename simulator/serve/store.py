"""The stand-in's event store and the platform's query language over it (``q``, ``sort``).

No FastAPI here: the store is plain Python so that it can be tested, and reused, without a web
stack. Each event is kept once as its canonical bytes plus a small ``Row`` of the fields that
``q`` filters and ``sort`` orders on; a page is then a join of byte strings, not a re-encoding.

Filters and sort fields are the platform's (``GET /api/v1/event``), plus ``sim`` (a SIM id), and
``endpoint`` accepting an endpoint id as well as a name. Our choices where the platform does not
say: string filters match a case-insensitive substring; a key given twice means either value
(``type:8,type:9``); ``until`` is inclusive, and a date without a time covers that whole day.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lifecycle.codes import SEVERITY_DESCRIPTIONS, SOURCE_DESCRIPTIONS, EventType
from lifecycle.events import EnvelopeError, canonical_timestamp, dumps, id_of


class QueryError(ValueError):
    """A ``q`` or ``sort`` the platform would reject: 422 with the platform's error code."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


INVALID_QUERY = 1301  # InvalidQueryCriteria
INVALID_SORT = 1302  # InvalidSortCriteria


@dataclass(frozen=True, slots=True)
class Row:
    """What filters and sorting need of one event; ``body`` is its canonical JSON."""

    seq: int
    workspace: int
    timestamp: str
    id: int
    type: int
    source: int
    severity: int
    alert: bool
    description: str
    organisation: str
    user_id: int | None
    user: str
    endpoint_id: int | None
    endpoint: str
    tags: str
    ip_address: str
    imei: str
    sim_ids: tuple[int, ...]
    iccids: tuple[str, ...]  # first 19 digits
    imsi: str
    body: bytes


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


_NAMED_ENDPOINT = re.compile(r"\bendpoint (\d+)$")
_PAIRING = (EventType.SIM_RELEASED, EventType.SIM_ASSIGNED)


def make_row(seq: int, event: dict[str, Any]) -> Row:
    """The row of one canonical event (the workspace is ``organisation.id``)."""
    org = event["organisation"]
    user = event.get("user") if isinstance(event.get("user"), dict) else {}
    endpoint = event.get("endpoint") if isinstance(event.get("endpoint"), dict) else {}
    sim = event.get("sim") if isinstance(event.get("sim"), dict) else {}
    imsi = event.get("imsi") if isinstance(event.get("imsi"), dict) else {}
    assert isinstance(user, dict) and isinstance(endpoint, dict)
    assert isinstance(sim, dict) and isinstance(imsi, dict)
    sim_ids: list[int] = []
    iccids: list[str] = []
    if (sim_id := id_of(sim)) is not None:
        sim_ids.append(sim_id)
    if isinstance(sim.get("iccid"), str):
        iccids.append(sim["iccid"][:19])
    detail = event.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("sims"), list):
        for moved in detail["sims"]:  # a migration names its SIMs only in its detail
            if (moved_id := id_of(moved)) is not None and moved_id not in sim_ids:
                sim_ids.append(moved_id)
            if isinstance(moved, dict) and isinstance(moved.get("iccid"), str):
                iccids.append(moved["iccid"][:19])
    endpoint_id = id_of(endpoint)
    description = _text(event.get("description"))
    if endpoint_id is None and event["event_type"]["id"] in _PAIRING:
        named = _NAMED_ENDPOINT.search(description)  # an assignment at creation names it only
        endpoint_id = int(named.group(1)) if named else None
    return Row(
        seq=seq,
        workspace=org["id"],
        timestamp=event["timestamp"],
        id=event["id"],
        type=event["event_type"]["id"],
        source=event["event_source"]["id"],
        severity=event["event_severity"]["id"],
        alert=bool(event.get("alert", False)),
        description=description,
        organisation=_text(org.get("name")),
        user_id=id_of(user),
        user=" ".join(_text(user.get(k)) for k in ("name", "username") if user.get(k)),
        endpoint_id=endpoint_id,
        endpoint=_text(endpoint.get("name")),
        tags=_text(endpoint.get("tags")),
        ip_address=_text(endpoint.get("ip_address")),
        imei=_text(endpoint.get("imei")),
        sim_ids=tuple(sim_ids),
        iccids=tuple(iccids),
        imsi=_text(imsi.get("imsi")),
        body=dumps(event),
    )


# --------------------------------------------------------------------------- q


Predicate = Callable[[Row], bool]


INTEGER = re.compile(r"^-?[0-9]{1,19}$")


def integer(key: str, value: str, expected: str = "a number") -> int:
    """The integer a criterion gives; QueryError (422, 1301) saying what was ``expected``."""
    if not INTEGER.match(value):
        raise QueryError(f"Search criteria {key}:{value} is invalid: expected {expected}",
                         INVALID_QUERY)
    return int(value)


def criteria(text: str) -> Iterator[tuple[str, str]]:
    """The ``key:value`` parts of a ``q``, stripped; QueryError (422, 1301) for any other."""
    for part in text.split(","):
        key, sep, value = part.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise QueryError(f"Search criteria {part!r} is invalid: expected key:value",
                             INVALID_QUERY)
        yield key, value


def sort_fields(text: str, allowed: Iterable[str], what: str = "") -> list[tuple[str, bool]]:
    """``[-]field,[-]field`` as [(field, descending), ...]; QueryError (422, 1302) naming the
    ``allowed`` fields (of ``what``: "devices ") for any other."""
    fields: list[tuple[str, bool]] = []
    for part in text.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.lstrip("-+")
        if name not in allowed:
            raise QueryError(f"Sort criteria {part!r} is invalid: sort {what}on "
                             + ", ".join(allowed) + " (prefix - for descending)",
                             INVALID_SORT)
        fields.append((name, descending))
    return fields


def missing_last(get: Callable[[Any], Any]) -> Callable[[Any], tuple[int, Any]]:
    """A sort key with missing values last in ascending order (first in descending); a nested
    object (a resource's ``status``) sorts by its id."""

    def key(item: Any) -> tuple[int, Any]:
        value = get(item)
        if isinstance(value, dict):
            value = value.get("id")
        return (1, "") if value is None or value == "" else (0, value)

    return key


def _code(key: str, value: str, table: dict[int, str]) -> int:
    if INTEGER.match(value):
        return int(value)
    for ident, description in table.items():
        if description.lower() == value.lower():
            return ident
    raise QueryError(f"Search criteria {key}:{value} is invalid: expected one of "
                     + ", ".join(f"{i} ({d})" for i, d in table.items()), INVALID_QUERY)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def moment(key: str, value: str, *, end_of_day: bool) -> str:
    """A date or date-time of ``q`` as a canonical timestamp, checked as a real instant by
    the model's own check (``canonical_timestamp``: calendar, clock, offsets, leap seconds).

    A date alone is its day's first (``from``) or last (``until``) millisecond.
    """
    stamp = value
    if _DATE.fullmatch(value):
        stamp = f"{value}T23:59:59.999Z" if end_of_day else f"{value}T00:00:00.000Z"
    try:
        return canonical_timestamp(stamp)[0]
    except EnvelopeError as exc:
        raise QueryError(f"Search criteria {key}:{value} is invalid: {exc} (expected "
                         "YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DD)", INVALID_QUERY) from None


def _bool(key: str, value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise QueryError(f"Search criteria {key}:{value} is invalid: expected true or false",
                     INVALID_QUERY)


def _contains(get: Callable[[Row], str], value: str) -> Predicate:
    needle = value.lower()
    return lambda row: needle in get(row).lower()


def _iccid(value: str, key: str) -> Predicate:
    if not (value.isascii() and value.isdigit()):
        raise QueryError(f"Search criteria {key}:{value} is invalid: expected digits",
                         INVALID_QUERY)
    prefix = value[:19]
    return lambda row: prefix in row.iccids


def _filter(key: str, value: str) -> Predicate:
    if key == "type":
        wanted = integer(key, value)
        return lambda row: row.type == wanted
    if key == "source":
        source = _code(key, value, SOURCE_DESCRIPTIONS)
        return lambda row: row.source == source
    if key == "severity":
        severity = _code(key, value, SEVERITY_DESCRIPTIONS)
        return lambda row: row.severity == severity
    if key == "alert":
        alert = _bool(key, value)
        return lambda row: row.alert is alert
    if key == "sim":
        sim = integer(key, value)
        return lambda row: sim in row.sim_ids
    if key in ("iccid", "iccid_with_luhn"):
        return _iccid(value, key)
    if key == "endpoint":
        by_name = _contains(lambda row: row.endpoint, value)
        if value.isascii() and value.isdigit():
            ident = int(value)
            return lambda row: row.endpoint_id == ident or by_name(row)
        return by_name
    if key == "user":
        by_name = _contains(lambda row: row.user, value)
        if value.isascii() and value.isdigit():
            ident = int(value)
            return lambda row: row.user_id == ident or by_name(row)
        return by_name
    if key == "timestamp":  # the platform's one-day filter
        day = moment(key, value, end_of_day=False)[:10]
        return lambda row: row.timestamp.startswith(day)
    getters: dict[str, Callable[[Row], str]] = {
        "description": lambda row: row.description,
        "organisation": lambda row: row.organisation,
        "tags": lambda row: row.tags,
        "ip_address": lambda row: row.ip_address,
        "imei": lambda row: row.imei,
        "imsi": lambda row: row.imsi,
    }
    if key in getters:
        return _contains(getters[key], value)
    raise QueryError(f"Search criteria {key} is invalid: filter on "
                     + ", ".join(FILTER_KEYS), INVALID_QUERY)


FILTER_KEYS = (
    "from", "until", "type", "source", "severity", "alert", "description", "organisation",
    "user", "endpoint", "tags", "ip_address", "imei", "iccid", "iccid_with_luhn", "imsi",
    "sim", "timestamp",
)


@dataclass(frozen=True)
class Query:
    """A parsed ``q``: predicates ANDed across keys, ORed within one key."""

    text: str
    groups: tuple[tuple[Predicate, ...], ...] = ()

    def __call__(self, row: Row) -> bool:
        return all(any(p(row) for p in group) for group in self.groups)


def parse_q(text: str | None) -> Query:
    """Parse ``key:value,key:value``; raise QueryError (422, 1301) on anything else.

    As on the platform, ``from`` and ``until`` are valid only together.
    """
    if not text:
        return Query("")
    by_key: dict[str, list[Predicate]] = {}
    bounds: dict[str, str] = {}
    for key, value in criteria(text):
        if key in ("from", "until"):
            if key in bounds:
                raise QueryError(f"Search criteria {key} is given twice", INVALID_QUERY)
            bounds[key] = moment(key, value, end_of_day=key == "until")
            continue
        by_key.setdefault(key, []).append(_filter(key, value))
    if bounds:
        if len(bounds) != 2:
            raise QueryError("Search criteria from and until are valid only together",
                             INVALID_QUERY)
        low, high = bounds["from"], bounds["until"]
        if low > high:
            raise QueryError(f"Search criteria from:{low} is after until:{high}", INVALID_QUERY)
        by_key["from"] = [lambda row: low <= row.timestamp <= high]
    return Query(text, tuple(tuple(group) for group in by_key.values()))


# --------------------------------------------------------------------------- sort


SORT_FIELDS: dict[str, Callable[[Row], Any]] = {
    "id": lambda row: row.id,
    "timestamp": lambda row: row.timestamp,
    "source": lambda row: row.source,
    "severity": lambda row: row.severity,
    "alert": lambda row: row.alert,
    "organisation": lambda row: row.organisation,
    "user": lambda row: row.user_id,
    "endpoint": lambda row: row.endpoint,
    "tags": lambda row: row.tags,
    "ip_address": lambda row: row.ip_address,
    "iccid": lambda row: row.iccids[0] if row.iccids else None,
    "imsi": lambda row: row.imsi,
    "type": lambda row: row.type,
}

DEFAULT_SORT = "-timestamp"


def parse_sort(text: str | None) -> tuple[tuple[str, bool], ...]:
    """``[-]field,[-]field`` as ((field, descending), ...); QueryError (422, 1302) otherwise."""
    return tuple(sort_fields(text or DEFAULT_SORT, SORT_FIELDS))


def sort_rows(rows: Sequence[Row], fields: Sequence[tuple[str, bool]]) -> list[Row]:
    """Rows in emission order, sorted stably; ties follow the direction of the first key.

    So the default ``-timestamp`` lists events of the same millisecond newest first, as a
    descending log must for replay (spec §6: ties in reverse file order).
    """
    out = list(rows)
    if fields and fields[0][1]:
        out.reverse()
    for name, descending in reversed(fields):
        out.sort(key=missing_last(SORT_FIELDS[name]), reverse=descending)
    return out


# --------------------------------------------------------------------------- store


class EventStore:
    """Events by workspace, in emission order; thread-safe; query results cached per version."""

    def __init__(self, events: Iterable[dict[str, Any]] = ()) -> None:
        self._lock = threading.RLock()
        self._rows: dict[int, list[Row]] = {}
        self._seq = 0
        self._cache: dict[tuple[Any, ...], list[Row]] = {}
        self.latest_sim: dict[tuple[int, int], dict[str, Any]] = {}
        self.latest_endpoint: dict[tuple[int, int], dict[str, Any]] = {}
        for event in events:
            self.append(event)

    def append(self, event: dict[str, Any]) -> Row:
        """Add one canonical event (the platform's sink); its row."""
        with self._lock:
            row = make_row(self._seq, event)
            self._seq += 1
            self._cache.clear()
            self._rows.setdefault(row.workspace, []).append(row)
            if row.sim_ids and isinstance(event.get("sim"), dict):
                self.latest_sim[(row.workspace, row.sim_ids[0])] = event["sim"]
            if isinstance(event.get("endpoint"), dict) and row.endpoint_id is not None:
                self.latest_endpoint[(row.workspace, row.endpoint_id)] = event["endpoint"]
            return row

    def __len__(self) -> int:
        return self._seq

    def workspaces(self) -> list[int]:
        """Workspaces in the order their first event arrived."""
        with self._lock:
            return list(self._rows)

    def count(self, workspace: int) -> int:
        with self._lock:
            return len(self._rows.get(workspace, ()))

    def select(
        self,
        workspace: int,
        query: Query,
        sort: tuple[tuple[str, bool], ...],
        *,
        sim: int | None = None,
        endpoint: int | None = None,
    ) -> list[Row]:
        """The workspace's rows that match, in ``sort`` order (a fresh list, safe to slice)."""
        key = (workspace, query.text, sort, sim, endpoint)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            rows: Iterable[Row] = self._rows.get(workspace, ())
            if sim is not None:
                rows = (r for r in rows if sim in r.sim_ids)
            if endpoint is not None:
                rows = (r for r in rows if r.endpoint_id == endpoint)
            if query.groups:
                rows = filter(query, rows)
            result = sort_rows(list(rows), sort)
            if len(self._cache) >= 64:
                self._cache.clear()
            self._cache[key] = result
            return result
