"""The state of a fleet: every SIM's and device's status, workspace and holder, in one shape.

Two producers share it, so that one can be checked against the other: replay says what a log
lets it know (``simlife state``: a status, or ``None`` with the ``possible`` ones, when the log
does not decide), and the simulated platform says what is true (``simlife generate --truth``:
every status known). The JSON form is a public interface::

    {"sims": [{"id", "iccid", "status", "possible", "workspace", "endpoint", "endpoint_known"}],
     "endpoints": [{"id", "status", "possible", "sim", "sim_known"}]}

``status`` is a label (``"Factory Test"``); ``endpoint``/``sim`` is the holder's or held one's
id, or null for none; ``*_known`` is false when the log does not say who holds whom (the id is
then null). Lists are sorted by id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import orjson

from lifecycle.codes import ENDPOINT_STATUS_LABELS, SIM_STATUS_LABELS, EndpointStatus, SimStatus

__all__ = [
    "ENDPOINT_LABELS", "SIM_LABELS", "EndpointState", "FleetState", "SimState", "StateError",
    "labels",
]


class StateError(ValueError):
    """A document that is not a fleet state (``FleetState.from_dict``)."""


def labels(mask: int, table: dict[SimStatus, str] | dict[EndpointStatus, str]) -> tuple[str, ...]:
    """The labels of the statuses in a bitmask (bit ``1 << status``), in status order."""
    return tuple(label for status, label in table.items() if mask >> status & 1)


# Every mask's labels, made once: a fleet's state is built at the end of every validation.
SIM_LABELS = tuple(labels(mask, SIM_STATUS_LABELS) for mask in range(1 << len(SimStatus)))
ENDPOINT_LABELS = tuple(labels(mask, ENDPOINT_STATUS_LABELS)
                        for mask in range(1 << len(EndpointStatus)))


class SimState(NamedTuple):
    id: int
    iccid: str | None  # as the events carry it (19 or 20 digits); None if no event gave it
    possible: tuple[str, ...]  # status labels, in status order
    workspace: int | None
    endpoint: int | None  # the device that holds it (None: none, or unknown)
    endpoint_known: bool = True

    @property
    def status(self) -> str | None:
        """The status, when only one is possible."""
        return self.possible[0] if len(self.possible) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "iccid": self.iccid, "status": self.status,
                "possible": list(self.possible), "workspace": self.workspace,
                "endpoint": self.endpoint, "endpoint_known": self.endpoint_known}


class EndpointState(NamedTuple):
    id: int
    possible: tuple[str, ...]
    sim: int | None  # the SIM it holds (None: none, or unknown)
    sim_known: bool = True

    @property
    def status(self) -> str | None:
        return self.possible[0] if len(self.possible) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "possible": list(self.possible),
                "sim": self.sim, "sim_known": self.sim_known}


_Entry = TypeVar("_Entry", SimState, EndpointState)


@dataclass(frozen=True, slots=True)
class FleetState:
    """Every SIM and device, sorted by id; ``sim(id)`` and ``endpoint(id)`` look one up."""

    sims: tuple[SimState, ...] = ()
    endpoints: tuple[EndpointState, ...] = ()

    @classmethod
    def of(cls, sims: Iterable[SimState], endpoints: Iterable[EndpointState]) -> FleetState:
        return cls(tuple(sorted(sims)), tuple(sorted(endpoints)))  # by id: ids are unique

    def sim(self, ident: int) -> SimState | None:
        return _find(self.sims, ident)

    def endpoint(self, ident: int) -> EndpointState | None:
        return _find(self.endpoints, ident)

    def to_dict(self) -> dict[str, Any]:
        return {"sims": [s.to_dict() for s in self.sims],
                "endpoints": [e.to_dict() for e in self.endpoints]}

    def to_json(self, *, indent: bool = True) -> bytes:
        option = orjson.OPT_INDENT_2 if indent else 0
        return orjson.dumps(self.to_dict(), option=option | orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_dict(cls, document: Any) -> FleetState:
        """Read the JSON form back (a truth file, say); StateError names what is wrong."""
        if not isinstance(document, dict):
            raise StateError("expected an object with 'sims' and 'endpoints'")
        try:
            sims = [SimState(s["id"], s.get("iccid"), _possible(s, SIM_STATUS_LABELS),
                             s.get("workspace"), s.get("endpoint"), s.get("endpoint_known", True))
                    for s in _items(document, "sims")]
            eps = [EndpointState(e["id"], _possible(e, ENDPOINT_STATUS_LABELS), e.get("sim"),
                                 e.get("sim_known", True))
                   for e in _items(document, "endpoints")]
        except (KeyError, TypeError) as exc:
            raise StateError(f"an entry lacks or garbles {exc}") from None
        return cls.of(sims, eps)

    def to_csv(self) -> str:
        """One row per SIM, then per device: ``kind,id,iccid,status,possible,workspace,holder``
        (``possible`` joined by ``|``; ``holder`` empty for none, ``?`` when unknown)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["kind", "id", "iccid", "status", "possible", "workspace", "holder"])
        for s in self.sims:
            writer.writerow(["sim", s.id, s.iccid or "", s.status or "", "|".join(s.possible),
                             "" if s.workspace is None else s.workspace,
                             _holder(s.endpoint, s.endpoint_known)])
        for e in self.endpoints:
            writer.writerow(["endpoint", e.id, "", e.status or "", "|".join(e.possible), "",
                             _holder(e.sim, e.sim_known)])
        return out.getvalue()

    def to_text(self) -> str:
        """Two aligned tables for people: status ``A|B`` when either is possible, holder
        ``-`` for none and ``?`` when the log does not say."""
        sims = [["SIM", "iccid", "status", "workspace", "endpoint"]]
        sims += [[str(s.id), s.iccid or "?", "|".join(s.possible),
                  "?" if s.workspace is None else str(s.workspace),
                  _holder(s.endpoint, s.endpoint_known) or "-"] for s in self.sims]
        eps = [["endpoint", "status", "SIM"]]
        eps += [[str(e.id), "|".join(e.possible), _holder(e.sim, e.sim_known) or "-"]
                for e in self.endpoints]
        return (f"{_count(len(self.sims), 'SIM')}\n{_table(sims)}\n"
                f"{_count(len(self.endpoints), 'endpoint')}\n{_table(eps)}")


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip() + "\n" for row in rows)


def _find(items: Sequence[_Entry], ident: int) -> _Entry | None:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid].id < ident:
            lo = mid + 1
        else:
            hi = mid
    return items[lo] if lo < len(items) and items[lo].id == ident else None


def _items(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = document.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise StateError(f"{key!r} is not a list of objects")
    return items


def _possible(entry: dict[str, Any], table: dict[Any, str]) -> tuple[str, ...]:
    given = entry.get("possible")
    if given is None:
        given = [] if entry.get("status") is None else [entry["status"]]
    known = list(table.values())
    if not isinstance(given, list) or not given or any(g not in known for g in given):
        raise StateError(f"entry {entry.get('id')}: 'possible' must be a non-empty list of "
                         + ", ".join(known))
    return tuple(sorted(set(given), key=known.index))


def _holder(ident: int | None, known: bool) -> str:
    return "?" if not known else "" if ident is None else str(ident)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
