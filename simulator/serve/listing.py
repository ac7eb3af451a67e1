"""``q`` and ``sort`` over resource lists (SIMs, devices): one declarative table per resource.

Each filter key has a getter (where the value sits in the resource) and a kind (how a criterion
is read and compared); each sort key a getter. Our choices where the platform does not say, as
for events: text matches a case-insensitive substring, a key given twice means either value,
``null`` matches an absent value (``endpoint:null``: SIMs no device holds), a date matches its
whole day, and a status is given by id or by name. Unknown keys and values answer 422 (1301,
1302), naming the keys there are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.serve.store import (
    INTEGER,
    INVALID_QUERY,
    QueryError,
    criteria,
    integer,
    missing_last,
    moment,
    sort_fields,
)

Item = dict[str, Any]
Getter = Callable[[Item], Any]


def at(*path: str) -> Getter:
    """The value at ``path`` in a resource (None where a step is missing)."""

    def get(item: Item) -> Any:
        value: Any = item
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return value

    return get


def _exact(key: str, value: str, get: Getter) -> Callable[[Item], bool]:
    wanted = integer(key, value, "a number or null")
    return lambda item: get(item) == wanted


def _text(key: str, value: str, get: Getter) -> Callable[[Item], bool]:
    needle = value.lower()
    return lambda item: needle in str(get(item) or "").lower()


def _digits(key: str, value: str, get: Getter) -> Callable[[Item], bool]:
    if not (value.isascii() and value.isdigit()):
        raise QueryError(f"Search criteria {key}:{value} is invalid: expected digits",
                         INVALID_QUERY)
    prefix = value[:19]
    return lambda item: str(get(item) or "")[:19] == prefix


def _day(key: str, value: str, get: Getter) -> Callable[[Item], bool]:
    day = moment(key, value, end_of_day=False)[:10]
    return lambda item: str(get(item) or "").startswith(day)


def _status(key: str, value: str, get: Getter) -> Callable[[Item], bool]:
    if INTEGER.match(value):
        wanted = int(value)
        return lambda item: (get(item) or {}).get("id") == wanted
    name = value.lower()
    return lambda item: str((get(item) or {}).get("description", "")).lower() == name


KINDS = {"number": _exact, "text": _text, "digits": _digits, "day": _day, "status": _status}


@dataclass(frozen=True)
class Collection:
    """A resource list's filters (key -> (getter, kind)), sort keys and paging sizes."""

    name: str
    filters: dict[str, tuple[Getter, str]]
    sorts: dict[str, Getter]
    default_sort: str = "id"
    per_page: int = 1000
    max_per_page: int = 1000

    def select(self, items: Sequence[Item], q: str | None, sort: str | None) -> list[Item]:
        """The items ``q`` keeps, in ``sort`` order; QueryError (422) for what it cannot read."""
        predicate = self._query(q)
        kept = [item for item in items if predicate(item)] if q else list(items)
        for name, descending in reversed(self._sort(sort)):
            kept.sort(key=missing_last(self.sorts[name]), reverse=descending)
        return kept

    def _query(self, q: str | None) -> Callable[[Item], bool]:
        groups: dict[str, list[Callable[[Item], bool]]] = {}
        for key, value in criteria(q) if q else ():
            if key not in self.filters:
                raise QueryError(f"Search criteria {key} is invalid: filter {self.name} on "
                                 + ", ".join(self.filters), INVALID_QUERY)
            get, kind = self.filters[key]
            test = _absent(get) if value.lower() == "null" else KINDS[kind](key, value, get)
            groups.setdefault(key, []).append(test)
        tests = list(groups.values())
        return lambda item: all(any(test(item) for test in group) for group in tests)

    def _sort(self, text: str | None) -> list[tuple[str, bool]]:
        fields = sort_fields(text or self.default_sort, self.sorts, f"{self.name} ")
        if all(name != "id" for name, _ in fields):
            fields.append(("id", False))  # ties in ascending id, as the platform documents
        return fields


def _absent(get: Getter) -> Callable[[Item], bool]:
    return lambda item: get(item) in (None, "")


SIMS = Collection(
    name="SIMs",
    filters={
        "id": (at("id"), "number"),
        "issuer_org": (at("issuer_org", "id"), "number"),
        "reseller_org": (at("reseller_org", "id"), "number"),
        "customer_org": (at("customer_org", "id"), "number"),
        "iccid": (at("iccid"), "digits"),
        "iccid_with_luhn": (at("iccid_with_luhn"), "digits"),
        "status": (at("status"), "status"),
        "production_date": (at("production_date"), "day"),
        "imsi": (at("imsi"), "text"),
        "msisdn": (at("msisdn"), "text"),
        "endpoint": (at("endpoint", "id"), "number"),
        "model": (at("model", "id"), "number"),
    },
    sorts={
        "id": at("id"),
        "issuer_org": at("issuer_org", "id"),
        "reseller_org": at("reseller_org", "id"),
        "customer_org": at("customer_org", "id"),
        "iccid": at("iccid"),
        "eid": at("eid"),
        "status": at("status", "id"),
        "production_date": at("production_date"),
        "endpoint": at("endpoint", "id"),
        "model": at("model", "id"),
    },
    per_page=2000,
    max_per_page=2500,
)

ENDPOINTS = Collection(
    name="devices",
    filters={
        "id": (at("id"), "number"),
        "status": (at("status"), "status"),
        "name": (at("name"), "text"),
        "tags": (at("tags"), "text"),
        "ip_address": (at("ip_address"), "text"),
        "imei": (at("imei"), "text"),
        "created": (at("created"), "day"),
        "last_updated": (at("last_updated"), "day"),
        "sim": (at("sim", "id"), "number"),
        "sim_status": (at("sim", "status"), "status"),
        "iccid": (at("sim", "iccid"), "digits"),
        "service_profile": (at("service_profile", "id"), "number"),
        "tariff_profile": (at("tariff_profile", "id"), "number"),
    },
    sorts={
        "id": at("id"),
        "status": at("status", "id"),
        "last_updated": at("last_updated"),
        "created": at("created"),
        "name": at("name"),
        "tags": at("tags"),
        "ip_address": at("ip_address"),
        "imei": at("imei"),
    },
)
