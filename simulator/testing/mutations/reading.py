"""What a log shows: the field readers and the SIM tracker the operators choose positions with.

Operators corrupt only where the log itself pins what replay will know, so they follow the log
the way replay does, knowing nothing the log has not shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lifecycle.codes import LIFECYCLE_TYPES, EventType, SimStatus
from lifecycle.machines import SIM

Log = list[Any]

T = EventType
STATUS_TYPES = frozenset({T.SIM_ACTIVATION, T.SIM_SUSPENSION, T.SIM_FACTORY_TEST})
_PAIR_IN_TEXT = re.compile(r"SIM (\d+) (?:released from|assigned to) endpoint (\d+)\Z")


def ref(event: Any, key: str) -> int | None:
    """The ``id`` of the object under ``key``; None when the event or that value is no object."""
    value = event.get(key) if isinstance(event, dict) else None
    return value.get("id") if isinstance(value, dict) else None


def type_of(event: Any) -> int | None:
    return ref(event, "event_type")


def source_of(event: dict[str, Any]) -> int | None:
    return ref(event, "event_source")


def sim_of(event: Any) -> int | None:
    return ref(event, "sim")


def _pair_in_text(event: dict[str, Any]) -> re.Match[str] | None:
    """The SIM and endpoint a 50/51 names in its description."""
    return _PAIR_IN_TEXT.match(str(event.get("description", "")))


def endpoint_of(event: dict[str, Any]) -> int | None:
    """The endpoint an event names: its ``endpoint`` key, or a 50/51 description."""
    endpoint = event.get("endpoint")
    if isinstance(endpoint, dict):
        ident = endpoint.get("id")
        return ident if isinstance(ident, int) else None
    if type_of(event) in (T.SIM_RELEASED, T.SIM_ASSIGNED):
        m = _pair_in_text(event)
        return int(m.group(2)) if m else None
    return None


def sims_about(event: Any) -> set[int]:
    """The SIMs a lifecycle event is about (its ``sim``, a migration's sims, a 50/51 text)."""
    kind = type_of(event)
    if kind not in LIFECYCLE_TYPES:
        return set()
    found: set[int] = set()
    if (ident := sim_of(event)) is not None:
        found.add(ident)
    if kind == T.SIM_MIGRATION:
        detail = event.get("detail") or {}
        found.update(s["id"] for s in detail.get("sims", ()) if isinstance(s, dict))
    elif kind in (T.SIM_RELEASED, T.SIM_ASSIGNED):
        m = _pair_in_text(event)
        if m:
            found.add(int(m.group(1)))
    return found


def key_of(event: dict[str, Any]) -> tuple[int, int]:
    return (event["event_type"]["id"], event["event_source"]["id"])


def dest(event: dict[str, Any]) -> int:
    """The state a (valid) status change leaves its SIM in."""
    return next(iter(SIM.by_event[key_of(event)].values()))


@dataclass
class Before:
    """What an ascending log has shown about one SIM just before an event about it."""

    status: int | None  # pinned by an earlier status change; None: not known
    holder_known: bool
    holder: int | None
    owner: int | None

    def shows_holder(self, endpoint: int | None) -> bool:
        """Whether the log has shown ``endpoint`` (None: no endpoint) holding the SIM."""
        return self.holder_known and self.holder == endpoint


@dataclass
class Tracker:
    """Follows an ascending log the way replay would, knowing only what the log has shown."""

    status: dict[int, int] = field(default_factory=dict)
    holder: dict[int, int | None] = field(default_factory=dict)
    held_by: dict[int, int] = field(default_factory=dict)
    owner: dict[int, int | None] = field(default_factory=dict)

    def know(self, sim: int) -> Before:
        return Before(
            self.status.get(sim), sim in self.holder, self.holder.get(sim), self.owner.get(sim)
        )

    def _hold(self, sim: int, endpoint: int | None) -> None:
        old = self.holder.get(sim)
        if old is not None:
            self.held_by.pop(old, None)
        self.holder[sim] = endpoint
        if endpoint is not None:
            self.held_by[endpoint] = sim

    def update(self, event: Any, sims: set[int]) -> None:
        if not sims:
            return
        kind, source, sim = type_of(event), source_of(event), sim_of(event)
        if kind == T.SIM_MIGRATION:
            detail = event["detail"]
            for s in sims:
                target = detail["type"] == "target"
                self.owner[s] = detail["target_workspace"]["id"] if target else None
                self._hold(s, None)
                if self.status.get(s) == SimStatus.ACTIVATED:
                    self.status[s] = SimStatus.SUSPENDED
            return
        s = next(iter(sims))
        if sim is not None:
            self.owner[s] = event["organisation"]["id"]
        if kind == T.SIM_REGISTRATION:
            self.status[s] = SimStatus.ISSUED
        elif kind is not None and source is not None and (kind, source) in SIM.by_event:
            self.status[s] = dest(event)  # one destination per event kind (valid logs)
        endpoint = endpoint_of(event)
        if kind == T.SIM_RELEASED:
            self._hold(s, None)
        elif endpoint is not None and (kind == T.SIM_ASSIGNED or sim is not None):
            self._hold(s, endpoint)


@dataclass
class Facts:
    before: list[dict[int, Before]]  # per event: the SIMs it is about -> what was known
    about: dict[int, list[int]]      # SIM -> indices of the lifecycle events about it


def facts(log: Log) -> Facts:
    tracker = Tracker()
    before: list[dict[int, Before]] = []
    about: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        sims = sims_about(event)
        before.append({s: tracker.know(s) for s in sims})
        for s in sims:
            about.setdefault(s, []).append(i)
        tracker.update(event, sims)
    return Facts(before, about)
