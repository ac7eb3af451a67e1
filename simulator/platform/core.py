"""The simulated platform: API operations and device usage in, system events (or a refusal) out.

Every status change is checked against the compiled tables of ``lifecycle.machines`` (never a
copy of them); what the platform refuses raises ``Refused`` with its HTTP status and emits
nothing. Events are plain dicts built in the platform's key order, so ``orjson.dumps`` of one
equals ``lifecycle.events.dumps``. Nested objects (organisation, user, endpoint, sim, imsi) are
built once per entity and shared by its events: treat emitted events as read-only. A platform
made with ``lines=True`` emits each event's JSON line instead (for writers only).
The behaviour where the platform's docs are silent is fixed in the common contract (spec §2-§5).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import orjson

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
    EndpointStatus,
    EventType,
    Severity,
    SimStatus,
    Source,
)
from lifecycle.machines import ENDPOINT, SIM, Step
from simulator.platform.identities import Identities, Person
from simulator.platform.records import (
    DRAW,
    Draw,
    EndpointRecord,
    Part,
    Refused,
    Settings,
    SimRecord,
    Snapshot,
    WorkspaceRecord,
)
from simulator.platform.records import json_string as _json_string

__all__ = [
    "DEFAULT_START", "ERROR_ATTACHED", "MAX_MIGRATION", "OPERATORS", "EndpointRecord", "Platform",
    "Refused", "Settings", "SimRecord", "Snapshot", "WorkspaceRecord", "format_ms",
]

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
MAX_MIGRATION = 500
USERS_PER_WORKSPACE = 3
ERROR_ATTACHED = 1502  # migrating SIMs that endpoints hold, without auto_detach_devices
_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _text(key: str, obj: Any) -> str:
    return f',"{key}":{orjson.dumps(obj).decode()}'


def _imei_detail(ep: EndpointRecord) -> Part:
    if type(ep.part) is str:  # a lines platform's (see Part)
        return ',"detail":{}' if ep.imei is None else f',"detail":{{"imei":"{ep.imei}"}}'
    return _EMPTY if ep.imei is None else {"imei": ep.imei}


# ----------------------------------------------------------------- read from the compiled model

_API, _POLICY, _NETWORK = int(Source.API), int(Source.POLICY_CONTROL), int(Source.NETWORK)


def _api_steps(machine: Any) -> dict[int, Step]:
    """dest status -> the API step that enters it (from the compiled table)."""
    out: dict[int, Step] = {}
    for status in machine.status:
        step = machine.step_to(int(status), _API)
        if step is not None:
            out[int(status)] = step
    return out


_SIM_API = _api_steps(SIM)
_EP_API = _api_steps(ENDPOINT)
_AUTO = SIM.by_trigger["auto_activate"]
_SUSPEND = _SIM_API[SimStatus.SUSPENDED]
_ACTIVATE = _SIM_API[SimStatus.ACTIVATED]
_DELETE = _SIM_API[SimStatus.DELETED]
_DISABLE = _EP_API[EndpointStatus.DISABLED]
_ENABLE = _EP_API[EndpointStatus.ENABLED]
_ENDPOINT_DELETE = ENDPOINT.by_trigger["delete"]
_SIM_STATUS = {int(s): s for s in SimStatus}
# Members as module constants: ``SimStatus.DELETED`` is a class-attribute look-up through the enum
# metaclass (~90 ns), a global is a few ns.
_ISSUED, _ACTIVATED, _DELETED, _FT = (
    SimStatus.ISSUED, SimStatus.ACTIVATED, SimStatus.DELETED, SimStatus.FACTORY_TEST,
)
_EP_ENABLED, _EP_DISABLED, _EP_DELETED = (
    EndpointStatus.ENABLED, EndpointStatus.DISABLED, EndpointStatus.DELETED,
)
_SIM_ASSIGNED, _SIM_RELEASED = EventType.SIM_ASSIGNED, EventType.SIM_RELEASED
_AUTO_FROM, _SUSPEND_FROM, _DISABLE_FROM = _AUTO.sources, _SUSPEND.sources, _DISABLE.sources
_EP_STATUS = {int(s): s for s in EndpointStatus}

_TYPE = {t: {"id": t, "description": d} for t, d in EVENT_TYPE_DESCRIPTIONS.items()}
_SOURCE = {s: {"id": s, "description": d} for s, d in SOURCE_DESCRIPTIONS.items()}
_INFO = {"id": int(Severity.INFO), "description": SEVERITY_DESCRIPTIONS[Severity.INFO]}
_STATUS_TEXT = {
    (a, b): f"Status of SIM changed from '{a.label}' to '{b.label}'"
    for a in SimStatus for b in SimStatus
}
_ENDPOINT_TEXT = {s: f" changed to {s.label}" for s in EndpointStatus}

# Auto-activation reasons: (detail.transition.reason, description).
FT_VOLUME = ("SIM reached factory test volume.", "SIM activated after factory test volume reached.")
FT_SMS = ("SIM reached factory test SMS limit.",
          "SIM activated after factory test SMS limit reached.")
FT_ENDPOINT = ("Endpoint status changed.", "SIM activated after endpoint status changed.")
FT_RESET = ("Connectivity reset.", "SIM activated after connectivity reset.")
FT_PERIOD = ("Factory test period ended.", "SIM activated after factory test period ended.")


def _auto_detail(reason: str) -> dict[str, Any]:
    (src,) = _AUTO.sources
    status = {
        "from": {"id": src, "description": SimStatus(src).upper},
        "to": {"id": _AUTO.dest, "description": SimStatus(_AUTO.dest).upper},
    }
    return {"transition": {"sim": {"status": status}, "reason": reason}}


_AUTO_DETAIL = {r: _auto_detail(r[0]) for r in (FT_VOLUME, FT_SMS, FT_ENDPOINT, FT_RESET,
                                                 FT_PERIOD)}
_RESET_DETAIL: dict[str, Any] = {"data": {}}
_EMPTY: dict[str, Any] = {}


def _heads() -> list[str]:
    """Type, source and severity as one text, at [type << 2 | source] (sources are 0, 1, 2)."""
    assert max(_SOURCE) < 4
    heads = [""] * ((max(_TYPE) + 1) << 2)
    for t, type_obj in _TYPE.items():
        for s, source_obj in _SOURCE.items():
            heads[t << 2 | s] = (_text("event_type", type_obj) + _text("event_source", source_obj)
                                 + _text("event_severity", _INFO))
    return heads


# The same constants as text, for platforms made with ``lines=True`` (see Part).
_HEAD_T = _heads()
_AUTO_DETAIL_T: dict[tuple[str, str], Part] = {
    r: _text("detail", v) for r, v in _AUTO_DETAIL.items()
}
_RESET_DETAIL_T = _text("detail", _RESET_DETAIL)

# Visited networks for the (optional) network events: id, name, country, MCC+MNC (the API
# stand-in lists them as the platform's operators).
OPERATORS = (
    (2, "Telekom", "Germany", "26201"), (3, "Vodafone", "Germany", "26202"),
    (5, "O2", "United Kingdom", "23410"), (7, "Orange", "France", "20801"),
    (11, "AT&T", "United States", "310410"), (13, "T-Mobile", "United States", "310260"),
)
_VISITED = tuple(
    {"id": op_id, "name": name, "country": {"name": country}, "mcc": plmn[:3], "mnc": plmn[3:]}
    for op_id, name, country, plmn in OPERATORS
)
_VOLUME_ZERO: dict[str, Any] = {"volume": {"total": 0}}


# Canonical timestamps from tables: a day prefix (cached per day), then "HH:MM:", "SS." and
# "mmmZ" pieces. About 5x cheaper than formatting a datetime per event.
_HM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}." for s in range(60))
_MMM = tuple(f"{m:03d}Z" for m in range(1000))


def _day_prefix(day: int) -> str:
    t = _EPOCH + timedelta(days=day)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T"


def format_ms(ms: int) -> str:
    """Canonical timestamp of ``ms`` since the epoch (``lifecycle.events.format_timestamp``)."""
    day, rest = divmod(ms, _DAY_MS)
    minute, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    return _day_prefix(day) + _HM[minute] + _SS[sec] + _MMM[milli]


class Platform:
    """One simulated emnify platform: workspaces, SIMs, endpoints and their events."""

    def __init__(
        self,
        *,
        seed: int = 0,
        settings: Settings = Settings(),  # frozen: a shared default is safe
        start: datetime | None = None,
        sink: Callable[[Any], None] | None = None,
        lines: bool = False,
    ) -> None:
        """``lines=True``: the sink receives each event as its canonical JSON line (a ``str``
        ending in a newline, the text of ``orjson.dumps`` of the event's dict) instead of the
        dict, for a writer that only serialises the events (``fleet.write_jsonl``): the nested
        objects' JSON is made once per entity, not once per event, and no dict is built."""
        self.settings = settings
        self.lines = lines
        self._auto_detail: Mapping[tuple[str, str], Part] = (
            _AUTO_DETAIL_T if lines else _AUTO_DETAIL)
        self._reset_detail: Part = _RESET_DETAIL_T if lines else _RESET_DETAIL
        self._visited: tuple[Part, ...] = (
            tuple(_text("detail", v) for v in _VISITED) if lines else _VISITED)
        self._volume_zero: Part = _text("detail", _VOLUME_ZERO) if lines else _VOLUME_ZERO
        self.ids = Identities(seed)
        rng = random.Random(seed * 1_000_003 + 29)
        self._random = rng.random
        self._bits = rng.getrandbits
        start = DEFAULT_START if start is None else start
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._ms = (start - _EPOCH) // timedelta(milliseconds=1)
        self._day = -1
        self._minute_ms = -1 << 62  # start of _minute_prefix's minute (ms since the epoch)
        self._prefix = ""
        self._minute_prefix = ""
        self.events: list[dict[str, Any]] = []
        # Where every emitted event goes, in emission order; replaceable (the stand-in server
        # redirects a generated fleet's platform to ``events`` once generation is over).
        self.sink: Callable[[Any], None] = self.events.append if sink is None else sink
        self._workspaces: dict[int, WorkspaceRecord] = {}
        self._sims: dict[int, SimRecord] = {}
        self._endpoints: dict[int, EndpointRecord] = {}
        self._deadlines: list[tuple[int, int]] = []
        self._event_id = self.ids.first_event_id
        self._actor: int | None = 0

    # ------------------------------------------------------------------ read-only views

    @property
    def now(self) -> datetime:
        return _EPOCH + timedelta(milliseconds=self._ms)

    @property
    def now_ms(self) -> int:
        """Milliseconds since the epoch (the clock the generator schedules against)."""
        return self._ms

    @property
    def sims(self) -> Mapping[int, SimRecord]:
        return MappingProxyType(self._sims)

    @property
    def endpoints(self) -> Mapping[int, EndpointRecord]:
        return MappingProxyType(self._endpoints)

    @property
    def workspaces(self) -> Mapping[int, WorkspaceRecord]:
        return MappingProxyType(self._workspaces)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            sims={i: (s.status, s.workspace, s.endpoint) for i, s in self._sims.items()},
            endpoints={i: (e.status, e.sim) for i, e in self._endpoints.items()},
        )

    def set_actor(self, person: int | None) -> None:
        """Who makes the following API requests: the workspace's ``person``-th user (modulo its
        users), or ``None`` for an application token (events then carry no ``user``).
        Deletions and migrations always name a person: with a token they name the first user.
        """
        self._actor = person

    # ------------------------------------------------------------------ clock and emission

    def _emit(
        self,
        etype: int,
        source: int,
        description: str,
        org: Part,
        user: Part | None = None,
        endpoint: Part | None = None,
        sim: Part | None = None,
        imsi: Part | None = None,
        detail: Part | None = None,
        event_id: int | None = None,
        tick: bool = True,
    ) -> None:
        r = self._bits(10)  # one draw: the few ms of a series and the id gap
        ms = self._ms
        if tick:
            ms += 1 + (r & 15)
            self._ms = ms
        if event_id is None:
            event_id = self._event_id = self._event_id + 1 + (r >> 4)
        rest = ms - self._minute_ms
        if not 0 <= rest < 60_000:
            minute = ms // 60_000
            self._minute_ms = minute * 60_000
            day = minute // 1440
            if day != self._day:
                self._day = day
                self._prefix = _day_prefix(day)
            self._minute_prefix = self._prefix + _HM[minute - day * 1440]
            rest = ms - self._minute_ms
        if self.lines:  # see Part: the nested objects are text already
            if detail is not None and type(detail) is not str:
                detail = _text("detail", detail)
            self.sink(
                f'{{"timestamp":"{self._minute_prefix}{_SS[rest // 1000]}{_MMM[rest % 1000]}",'
                f'"alert":false,"description":{_json_string(description)},"id":{event_id}'
                f'{_HEAD_T[etype << 2 | source]}{org}{user or ""}{endpoint or ""}{sim or ""}'
                f'{imsi or ""}{detail or ""}}}\n'
            )
            return
        if (detail is None and user is not None and endpoint is not None and sim is not None
                and imsi is not None):  # the commonest shape, built in one go
            self.sink({
                "timestamp": self._minute_prefix + _SS[rest // 1000] + _MMM[rest % 1000],
                "alert": False,
                "description": description,
                "id": event_id,
                "event_type": _TYPE[etype],
                "event_source": _SOURCE[source],
                "event_severity": _INFO,
                "organisation": org,
                "user": user,
                "endpoint": endpoint,
                "sim": sim,
                "imsi": imsi,
            })
            return
        event: dict[str, Any] = {
            "timestamp": self._minute_prefix + _SS[rest // 1000] + _MMM[rest % 1000],
            "alert": False,
            "description": description,
            "id": event_id,
            "event_type": _TYPE[etype],
            "event_source": _SOURCE[source],
            "event_severity": _INFO,
            "organisation": org,
        }
        if user is not None:
            event["user"] = user
        if endpoint is not None:
            event["endpoint"] = endpoint
        if sim is not None:
            event["sim"] = sim
        if imsi is not None:
            event["imsi"] = imsi
        if detail is not None:
            event["detail"] = detail
        self.sink(event)

    def _user(self, ws: WorkspaceRecord) -> Part | None:
        """The acting user of ``ws`` as events carry it (None: an application token)."""
        actor = self._actor
        return None if actor is None else ws.user_parts[actor % len(ws.users)]

    def _person(self, ws: WorkspaceRecord) -> int:
        """Index of the user a deletion or migration names (with a token: the first user)."""
        actor = self._actor
        return 0 if actor is None else actor % len(ws.users)

    def _ep_part(self, rec: SimRecord) -> Part | None:
        return None if rec.endpoint is None else self._endpoints[rec.endpoint].part

    # ------------------------------------------------------------------ lookups (refusals)

    def _ws(self, workspace: int) -> WorkspaceRecord:
        ws = self._workspaces.get(workspace)
        if ws is None:
            raise Refused(404, f"workspace {workspace} not found")
        return ws

    def _sim(self, sim: int) -> SimRecord:
        rec = self._sims.get(sim)
        if rec is None:
            raise Refused(404, f"SIM {sim} not found")
        if rec.status == _DELETED:
            raise Refused(400, f"SIM {sim} is deleted")
        return rec

    def _endpoint(self, endpoint: int) -> EndpointRecord:
        ep = self._endpoints.get(endpoint)
        if ep is None or ep.status == _EP_DELETED:
            raise Refused(404, f"endpoint {endpoint} not found")
        return ep

    # ------------------------------------------------------------------ transitions

    def _set_sim(self, rec: SimRecord, step: Step, user: Part | None,
                 endpoint: Part | None) -> None:
        """Apply an API ``step`` (already checked) and emit its event."""
        old = rec.status
        new = _SIM_STATUS[step.dest]
        rec.status = new
        self._emit(
            step.event_type or 0, _API, _STATUS_TEXT[old, new],
            self._workspaces[rec.workspace].org_part, user, endpoint, rec.sim_part, rec.imsi_part,
        )
        if new == _FT or old == _FT or self.settings.network_events:
            self._entered(rec, old, new)

    def _entered(self, rec: SimRecord, old: SimStatus, new: SimStatus) -> None:
        if new == _FT:
            rec.sms = rec.data = 0
            rec.deadline = self._ms + self.settings.factory_test_days * _DAY_MS
            heapq.heappush(self._deadlines, (rec.deadline, rec.id))
        elif old == _FT:
            rec.deadline = None
        if (new == _ACTIVATED and self.settings.network_events
                and rec.endpoint is not None):
            self._attach(rec)

    def _auto_activate(self, rec: SimRecord, reason: tuple[str, str], tick: bool = True) -> None:
        """Policy Control's auto-activation of a Factory Test SIM: no user, detail.transition."""
        old = rec.status
        rec.status = _SIM_STATUS[_AUTO.dest]
        self._emit(
            _AUTO.event_type or 0, _POLICY, reason[1], self._workspaces[rec.workspace].org_part,
            None, self._ep_part(rec), rec.sim_part, rec.imsi_part, self._auto_detail[reason],
            tick=tick,
        )
        self._entered(rec, old, rec.status)

    def _set_endpoint(self, ep: EndpointRecord, step: Step, user: Part | None) -> None:
        ep.status = _EP_STATUS[step.dest]
        rec = None if ep.sim is None else self._sims[ep.sim]
        self._emit(
            step.event_type or 0, _API, f"Status of Endpoint {ep.id}{_ENDPOINT_TEXT[ep.status]}",
            self._workspaces[ep.workspace].org_part, user, ep.part,
            None if rec is None else rec.sim_part, None if rec is None else rec.imsi_part,
        )
        if rec is not None and rec.status in _AUTO_FROM:
            self._auto_activate(rec, FT_ENDPOINT)

    def _release(self, ep: EndpointRecord, rec: SimRecord, user: Part | None) -> None:
        self._emit(
            _SIM_RELEASED, _API, f"SIM {rec.id} released from endpoint {ep.id}",
            self._workspaces[ep.workspace].org_part, user, ep.part, rec.sim_part, rec.imsi_part,
        )
        ep.sim = None
        rec.endpoint = None

    # ------------------------------------------------------------------ operations

    def add_workspace(self, name: str | None = None) -> int:
        """A new organisation with a few users; returns its id."""
        ident, drawn = self.ids.org()
        users = []
        for _ in range(USERS_PER_WORKSPACE):
            p: Person = self.ids.person()
            users.append({"id": p.id, "name": p.name, "username": p.username})
        ws = WorkspaceRecord(ident, drawn if name is None else name, users)
        if self.lines:
            ws.org_part = _text("organisation", ws.org)
            ws.user_parts = [_text("user", user) for user in users]
        self._workspaces[ident] = ws
        return ident

    def register(
        self, count: int, *, workspace: int, status: SimStatus = SimStatus.ISSUED
    ) -> list[int]:
        """Register a batch: one 48 (``sim`` only for a batch of one), then one 8 or 45 per SIM
        when registering straight to Activated or Factory Test."""
        ws = self._ws(workspace)
        if type(count) is not int or count < 1:
            raise Refused(422, f"batch size must be a positive integer, not {count!r}")
        step = None
        if status != SimStatus.ISSUED:
            step = _SIM_API.get(int(status))
            if step is None or SimStatus.ISSUED not in step.sources or step.dest == _DELETE.dest:
                raise Refused(422, f"SIMs cannot be registered as '{SimStatus(status).label}'")
        batch = self.ids.batch(count)
        produced_ms = self._ms - (30 + int(self._random() * 400)) * _DAY_MS
        produced = format_ms(produced_ms - produced_ms % 1000)
        records = []
        sims, lines = self._sims, self.lines
        ident, imsi_id = batch.first_sim_id, batch.first_imsi_id
        for (iccid19, iccid), imsi in zip(batch.iccids(), batch.imsis(), strict=True):
            rec = SimRecord(ident, iccid19, imsi, imsi_id, produced, workspace, iccid, lines)
            sims[ident] = rec
            records.append(rec)
            ident += 1
            imsi_id += 1
        user = self._user(ws)
        detail = {
            "sim_batch": {
                "id": batch.id,
                "sim_model": {"id": batch.sim_model},
                "batch_size": count,
                "first_iccid": records[0].iccid,
                "last_iccid": records[-1].iccid,
            }
        }
        self._emit(
            EventType.SIM_REGISTRATION, _API, f"Batch of {count} SIM(s) registered.",
            ws.org_part, user, None, records[0].sim_part if count == 1 else None, None, detail,
        )
        if step is not None:
            for rec in records:
                self._set_sim(rec, step, user, None)
        return [rec.id for rec in records]

    def set_status(self, sim: int, status: SimStatus) -> None:
        """An API status change, checked against the compiled SIM table (400 if not allowed)."""
        rec = self._sims.get(sim)
        if rec is None or rec.status == _DELETED:
            self._sim(sim)  # raises the 404 or 400
        assert rec is not None
        if status == _DELETED:
            self.delete_sim(sim)
            return
        step = _SIM_API.get(status)
        if step is None or rec.status not in step.sources:
            raise Refused(
                400,
                f"SIM {sim} cannot change from '{rec.status.label}' to "
                f"'{SimStatus(status).label}'",
            )
        actor = self._actor
        user = None
        if actor is not None:
            user = self._workspaces[rec.workspace].user_parts[actor % USERS_PER_WORKSPACE]
        endpoint = None if rec.endpoint is None else self._endpoints[rec.endpoint].part
        self._set_sim(rec, step, user, endpoint)

    def delete_sim(self, sim: int) -> None:
        rec = self._sim(sim)
        if rec.endpoint is not None:
            raise Refused(
                409, f"SIM {sim} is assigned to endpoint {rec.endpoint}: release it first"
            )
        if rec.status not in _DELETE.sources:
            raise Refused(400, f"SIM {sim} cannot be deleted from '{rec.status.label}'")
        ws = self._workspaces[rec.workspace]
        person = self._person(ws)
        rec.status = _SIM_STATUS[_DELETE.dest]
        rec.deadline = None
        self._emit(
            _DELETE.event_type or 0, _API,
            f"SIM {rec.id} ({rec.iccid}) has been deleted by {ws.users[person]['username']}",
            ws.org_part, ws.user_parts[person], None, rec.sim_part,
        )

    def create_endpoint(
        self,
        *,
        workspace: int,
        sim: int | None = None,
        status: EndpointStatus = EndpointStatus.ENABLED,
        name: str | None = None,
        imei: str | Draw | None = DRAW,
        tags: str | None = None,
        sim_status: SimStatus | None = None,
    ) -> int:
        """Create a device (silently). With a SIM: its 51, and before it the SIM's change to
        ``sim_status`` if it is not there yet (None: with ``activate_on_assign`` an Issued SIM is
        activated); neither event carries ``endpoint`` or ``user`` (spec §4). ``imei`` is drawn
        unless given (None: no IMEI)."""
        ws = self._ws(workspace)
        if status != _EP_ENABLED and status != _EP_DISABLED:
            raise Refused(422, "an endpoint is created Enabled or Disabled")
        rec = None
        step = None
        if sim is not None:
            rec = self._sim(sim)
            if rec.workspace != workspace:
                raise Refused(404, f"SIM {sim} not found in workspace {workspace}")
            if rec.endpoint is not None:
                raise Refused(409, f"SIM {sim} is assigned to endpoint {rec.endpoint}")
            if sim_status is None:
                if self.settings.activate_on_assign and rec.status == _ISSUED:
                    step = _ACTIVATE
            elif sim_status != rec.status:
                step = _SIM_API.get(int(sim_status))
                if step is None or step.dest == _DELETE.dest or rec.status not in step.sources:
                    raise Refused(422, f"SIM {sim} cannot change from '{rec.status.label}' to "
                                  f"'{SimStatus(sim_status).label}' on assignment")
        ids = self.ids
        if isinstance(imei, Draw):
            roll = self._random()
            imei = ids.imei() if roll < 0.85 else ids.imeisv() if roll < 0.95 else None
        ep = EndpointRecord(
            ids.endpoint_id(), workspace, _EP_STATUS[int(status)],
            ids.device_name() if name is None else name, ids.ip_address(), imei, self.lines,
            tags=tags, created=self._ms,
        )
        self._endpoints[ep.id] = ep
        if rec is not None:
            if step is not None:
                self._set_sim(rec, step, None, None)
            ep.sim = rec.id
            rec.endpoint = ep.id
            self._emit(
                _SIM_ASSIGNED, _API, f"SIM {rec.id} assigned to endpoint {ep.id}",
                ws.org_part, None, None, rec.sim_part, rec.imsi_part, _imei_detail(ep),
            )
        return ep.id

    def update_endpoint(self, endpoint: int, *, name: str, tags: str | None,
                        imei: str | None) -> None:
        """Rename, retag or re-IMEI a device: no event, but the events that follow carry it."""
        ep = self._endpoint(endpoint)
        ep.describe(name, tags, imei, self.lines)

    def set_endpoint_status(self, endpoint: int, status: EndpointStatus) -> None:
        ep = self._endpoint(endpoint)
        if status == _EP_DELETED:
            self.delete_endpoint(endpoint)
            return
        step = _EP_API.get(int(status))
        if step is None or ep.status not in step.sources:
            raise Refused(400, f"endpoint {endpoint} is already {ep.status.label}")
        self._set_endpoint(ep, step, self._user(self._workspaces[ep.workspace]))

    def assign(self, endpoint: int, sim: int) -> None:
        ep = self._endpoint(endpoint)
        rec = self._sim(sim)
        if rec.workspace != ep.workspace:
            raise Refused(404, f"SIM {sim} not found in workspace {ep.workspace}")
        if ep.sim is not None:
            raise Refused(409, f"endpoint {endpoint} already holds SIM {ep.sim}")
        if rec.endpoint is not None:
            raise Refused(409, f"SIM {sim} is assigned to endpoint {rec.endpoint}")
        ep.sim = rec.id
        rec.endpoint = ep.id
        self._emit(
            _SIM_ASSIGNED, _API, f"SIM {rec.id} assigned to endpoint {ep.id}",
            self._workspaces[ep.workspace].org_part, self._user(self._workspaces[ep.workspace]),
            ep.part, rec.sim_part, rec.imsi_part, _imei_detail(ep),
        )

    def release(self, endpoint: int) -> None:
        ep = self._endpoint(endpoint)
        if ep.sim is None:
            raise Refused(409, f"endpoint {endpoint} holds no SIM")
        self._release(ep, self._sims[ep.sim], self._user(self._workspaces[ep.workspace]))

    def delete_endpoint(self, endpoint: int) -> None:
        """Delete a device: 9 if its SIM is Activated, 43 if Enabled (a Factory Test SIM is
        auto-activated by it, then suspended), 50, then the endpoint is gone silently."""
        ep = self._endpoint(endpoint)
        user = self._user(self._workspaces[ep.workspace])
        rec = None if ep.sim is None else self._sims[ep.sim]
        if rec is not None and rec.status in _SUSPEND_FROM:
            self._set_sim(rec, _SUSPEND, user, ep.part)
        if ep.status in _DISABLE_FROM:
            self._set_endpoint(ep, _DISABLE, user)
            if rec is not None and rec.status in _SUSPEND_FROM:
                self._set_sim(rec, _SUSPEND, user, ep.part)
        if rec is not None:
            self._release(ep, rec, user)
        ep.status = _EP_STATUS[_ENDPOINT_DELETE.dest]

    def remove_endpoint(self, endpoint: int) -> None:
        """``DELETE`` of a device as the API takes it: gone silently (spec §2), and refused
        with 409 while it holds a SIM."""
        ep = self._endpoint(endpoint)
        if ep.sim is not None:
            raise Refused(409, f"endpoint {endpoint} holds SIM {ep.sim}: release it first")
        ep.status = _EP_STATUS[_ENDPOINT_DELETE.dest]

    def use_data(self, sim: int, nbytes: int) -> None:
        """The device uses data; a Factory Test SIM auto-activates at the volume threshold."""
        rec = self._sim(sim)
        if type(nbytes) is not int or nbytes < 0:
            raise Refused(422, f"bytes must be a non-negative integer, not {nbytes!r}")
        self._usable(rec)
        if self.settings.network_events:
            self._network(rec, 3, "PDP Context created.", {"apn": "em"})
        if rec.status in _AUTO_FROM:
            rec.data += nbytes
            if rec.data >= self.settings.factory_test_bytes:
                self._auto_activate(rec, FT_VOLUME)
        if self.settings.network_events:
            self._network(rec, 5, "PDP Context deleted.", {"volume": {"total": nbytes}})

    def send_sms(self, sim: int, count: int = 1) -> None:
        """SMS sent or received; the 10th SMS of a Factory Test SIM auto-activates it."""
        rec = self._sim(sim)
        if type(count) is not int or count < 1:
            raise Refused(422, f"count must be a positive integer, not {count!r}")
        self._usable(rec)
        if rec.status in _AUTO_FROM:
            rec.sms += count
            if rec.sms >= self.settings.factory_test_sms:
                self._auto_activate(rec, FT_SMS)

    def _usable(self, rec: SimRecord) -> None:
        if rec.status != _ACTIVATED and rec.status not in _AUTO_FROM:
            raise Refused(400, f"SIM {rec.id} is {rec.status.label}: no network access")

    def reset_connectivity(self, endpoint: int) -> None:
        """68, [8 auto-activation], 9, 5, 43, 42, 8, 1: SIM and endpoint end as they were."""
        ep = self._endpoint(endpoint)
        if ep.sim is None:
            raise Refused(409, f"endpoint {endpoint} holds no SIM")
        rec = self._sims[ep.sim]
        ws = self._workspaces[ep.workspace]
        user = self._user(ws)
        self._emit(
            EventType.RESET_CONNECTIVITY, _API, "Endpoint connectivity reset triggered",
            ws.org_part, user, ep.part, rec.sim_part, None, self._reset_detail,
        )
        if rec.status in _AUTO_FROM:
            self._auto_activate(rec, FT_RESET)
        suspended = rec.status in _SUSPEND_FROM
        if suspended:
            self._set_sim(rec, _SUSPEND, user, ep.part)
        self._network(rec, 5, "PDP Context deleted.", self._volume_zero)
        if ep.status in _DISABLE_FROM:
            self._set_endpoint(ep, _DISABLE, user)
            self._set_endpoint(ep, _ENABLE, user)
        if suspended:
            self._reactivate(rec, user, ep)
        self._network(rec, 1, *self._location(rec))

    def _reactivate(self, rec: SimRecord, user: Part | None, ep: EndpointRecord) -> None:
        """The series' own 8, without the attach events (its 1 follows anyway)."""
        old = rec.status
        rec.status = _SIM_STATUS[_ACTIVATE.dest]
        self._emit(
            _ACTIVATE.event_type or 0, _API, _STATUS_TEXT[old, rec.status],
            self._workspaces[rec.workspace].org_part, user, ep.part, rec.sim_part, rec.imsi_part,
        )

    def migrate(
        self, sims: Sequence[int], *, target_workspace: int, auto_detach_devices: bool = False
    ) -> None:
        """Move SIMs to another workspace: 9 for Activated ones, 50 for held ones (with
        ``auto_detach_devices``; else 409/1502), then the pair of 69 events sharing an id."""
        target = self._ws(target_workspace)
        ids = list(sims)
        if not ids:
            raise Refused(422, "no SIMs to migrate")
        if len(ids) > MAX_MIGRATION:
            raise Refused(422, f"at most {MAX_MIGRATION} SIMs per migration, not {len(ids)}")
        if len(set(ids)) != len(ids):
            raise Refused(422, "a SIM is listed twice")
        records = [self._sim(s) for s in ids]
        source = self._workspaces[records[0].workspace]
        if any(r.workspace != source.id for r in records):
            raise Refused(422, "the SIMs belong to different workspaces")
        if source.id == target.id:
            raise Refused(422, f"the SIMs already belong to workspace {target.id}")
        held = [r for r in records if r.endpoint is not None]
        if held and not auto_detach_devices:
            raise Refused(
                409, f"SIM {held[0].id} is assigned to endpoint {held[0].endpoint}: "
                "set auto_detach_devices", ERROR_ATTACHED,
            )
        person = self._person(source)
        user = source.user_parts[person]
        for rec in records:
            ep = None if rec.endpoint is None else self._endpoints[rec.endpoint]
            if rec.status in _SUSPEND_FROM:
                self._set_sim(rec, _SUSPEND, user, None if ep is None else ep.part)
            if ep is not None:
                self._release(ep, rec, user)
        listed = [
            {"id": r.id, "iccid": r.iccid19, "iccid_with_luhn": r.iccid,
             "source_workspace": source.org}
            for r in records
        ]
        target_ref = {"id": target.id}
        self._event_id += 1 + self._bits(6)
        pair_id = self._event_id
        username = source.users[person]["username"]
        self._emit(
            EventType.SIM_MIGRATION, _API,
            f"SIM(s) migrated from workspace {source.id} to workspace {target.id} by user "
            f"{username}", source.org_part, user,
            detail={"target_workspace": target_ref, "sims": listed, "type": "source"},
            event_id=pair_id,
        )
        self._emit(
            EventType.SIM_MIGRATION, _API,
            f"SIM(s) migrated to workspace {target.id} by user {username}", target.org_part, user,
            detail={"target_workspace": target_ref, "sims": listed, "type": "target"},
            event_id=pair_id,
        )
        for rec in records:
            rec.workspace = target.id

    def advance_time(self, seconds: float) -> None:
        """Let time pass; Factory Test periods that end meanwhile auto-activate at their end."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        until = self._ms + round(seconds * 1000)
        self.advance_to(until)

    def advance_to(self, ms: int) -> None:
        """Move the clock to ``ms`` since the epoch (never backwards), with due deadlines."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= ms:
            due, sim = heapq.heappop(deadlines)
            rec = self._sims[sim]
            if rec.deadline == due and rec.status in _AUTO_FROM:
                if due > self._ms:
                    self._ms = due
                self._auto_activate(rec, FT_PERIOD, tick=False)
        if ms > self._ms:
            self._ms = ms

    # ------------------------------------------------------------------ network events

    def _network(self, rec: SimRecord, etype: int, description: str, detail: Part) -> None:
        self._emit(
            etype, _NETWORK, description, self._workspaces[rec.workspace].org_part, None,
            self._ep_part(rec), rec.sim_part, rec.imsi_part, detail,
        )

    def _location(self, rec: SimRecord) -> tuple[str, Part]:
        operator = rec.id % len(OPERATORS)
        vlr = OPERATORS[operator][3][:3] + str(rec.id % 10_000_000).zfill(7)
        return (
            f"New location received from VLR for IMSI='{rec.imsi}', now attached to "
            f"VLR='{vlr}'.",
            self._visited[operator],
        )

    def _attach(self, rec: SimRecord) -> None:
        description, detail = self._location(rec)
        self._network(rec, 1, description, detail)
        self._network(rec, 2, description.replace("VLR", "SGSN"), detail)
