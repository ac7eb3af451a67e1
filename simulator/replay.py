"""The validator's core: replay a log event by event over sets of possible states (spec §6).

Logs start mid-life, so each SIM and endpoint carries a bitmask of the states it may be in, and a
rule fires only when no possible state allows an event. The masks move through the compiled
tables of ``lifecycle.machines``; state is kept per entity (small slot objects), never per event,
except the id -> content-hash table that duplicate detection needs (``replay_ids``).
Migration pairing lives in ``replay_migration``; description patterns in ``replay_texts``.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import orjson

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
    EndpointStatus,
    SimStatus,
    Source,
)
from lifecycle.events import EnvelopeError, normalize
from lifecycle.machines import ENDPOINT, SIM, SIM_REGISTRATION_EVENT, mask_of
from lifecycle.rules import Finding
from simulator import replay_texts as texts
from simulator.replay_ids import EventIdTable
from simulator.replay_migration import Migrations


class SimView(NamedTuple):
    """What replay knows of a SIM: possible states, owner, holder (None: none or unknown)."""

    mask: int
    workspace: int | None
    endpoint: int | None


class EndpointView(NamedTuple):
    mask: int
    sim: int | None


UNKNOWN = -1  # an assignment replay has not seen; None means "known: nothing"

_API = int(Source.API)
_POLICY = int(Source.POLICY_CONTROL)
_I = 1 << SimStatus.ISSUED
_A = 1 << SimStatus.ACTIVATED
_S = 1 << SimStatus.SUSPENDED
_DEL = 1 << SimStatus.DELETED
_FT = 1 << SimStatus.FACTORY_TEST
_SIM_ALIVE = SIM.all_mask & ~_DEL
_EP_ALIVE = ENDPOINT.all_mask & ~(1 << EndpointStatus.DELETED)

_SIM_NEXT = SIM.next_mask
_EP_NEXT = ENDPOINT.next_mask
# Per (type, source): the states it may start from, and the states it may lead to.
_SIM_FROM = {key: mask_of(table) for key, table in SIM.by_event.items()}
_SIM_DEST = {key: table[_SIM_ALIVE] for key, table in _SIM_NEXT.items()}
_EP_FROM = {key: mask_of(table) for key, table in ENDPOINT.by_event.items()}
_EP_DEST = {key: table[_EP_ALIVE] for key, table in _EP_NEXT.items()}
_EP_DEST_LABEL = {key: texts.endpoint_states(mask) for key, mask in _EP_DEST.items()}
# Lifecycle types whose events no machine table holds: all come from the API (spec §3).
_API_ONLY = (SIM_REGISTRATION_EVENT[0], 50, 51, 68, 69)
_ALLOWED_SOURCES = frozenset(
    [*_SIM_NEXT, *_EP_NEXT, *((int(t), _API) for t in _API_ONLY)]
)
_TYPE_DESC = EVENT_TYPE_DESCRIPTIONS
_SOURCE_DESC = SOURCE_DESCRIPTIONS
_SEVERITY_DESC = SEVERITY_DESCRIPTIONS
_AUTO_ACTIVATION = (8, _POLICY)
# Canonical timestamps (``lifecycle.events.CANONICAL_TIMESTAMP``) tested at ~40% of the regex's
# cost: every ASCII digit -> '0', then compare. Stricter than the regex, never looser (tested).
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_TIMESTAMP_SHAPE = b"0000-00-00T00:00:00.000Z"
# Per (type, source): the exact status texts it may carry -> the bit of their `from` state.
_STATUS_TEXTS: dict[tuple[int, int], dict[str, int]] = {
    key: {texts.sim_status_text(old, new): 1 << old for old, new in table.items()}
    for key, table in SIM.by_event.items()
}


class _Sim:
    __slots__ = ("ep", "last_id", "last_line", "mask", "org")

    def __init__(self, mask: int, org: int, ep: int | None) -> None:
        self.mask = mask
        self.org = org
        self.ep = ep
        self.last_id: int | None = None
        self.last_line: int | None = None


class _Endpoint:
    __slots__ = ("last_id", "last_line", "mask", "sim")

    def __init__(self) -> None:
        self.mask = _EP_ALIVE
        self.sim: int | None = UNKNOWN
        self.last_id: int | None = None
        self.last_line: int | None = None


def _digest(event: dict[str, Any]) -> int:
    """A 64-bit hash of the parsed JSON value (key order ignored), for duplicate delivery."""
    try:
        return hash(orjson.dumps(event, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # orjson refuses ints beyond 64 bits; the standard library does not
        return hash(json.dumps(event, sort_keys=True, default=repr))


def _after(last_id: int | None, last_line: int | None) -> str:
    return "" if last_id is None else f" (after {texts.where(last_id, last_line)})"


def _shown(text: Any, tid: int) -> str:
    """How a message names a status change: "'Suspended' -> 'Activated'", else by its type."""
    m = texts.SIM_STATUS_CHANGE.match(text) if type(text) is str else None
    return texts.type_name(tid) if m is None else f"'{m[1]}' -> '{m[2]}'"


def _held(ref: int | None) -> bool:
    return ref is not None and ref != UNKNOWN


# (event, id, type, source, organisation, sim id, ICCID, endpoint id, line)
Handler = Callable[
    [dict[str, Any], int, int, int, int, "int | None", "int | None", "int | None", "int | None"],
    None,
]


class Replay:
    """Streaming replay: ``feed`` parsed events in ascending order, then ``finish``."""

    def __init__(
        self,
        *,
        complete_history: bool = False,
        assume_registered: Sequence[tuple[int, int]] = (),
    ) -> None:
        self.findings: list[Finding] = []
        self.events = 0
        self.counts_by_type: Counter[int] = Counter()
        self._complete = complete_history
        self._assumed = sorted((int(lo), int(hi)) for lo, hi in assume_registered)
        self._assumed_starts = [lo for lo, _ in self._assumed]
        self._ids = EventIdTable()
        self._sims: dict[int, _Sim] = {}
        self._eps: dict[int, _Endpoint] = {}
        self._iccid_of: dict[int, int] = {}  # sim id -> ICCID (first 19 digits)
        self._sim_of: dict[int, int] = {}  # ICCID -> first sim id seen with it
        # Registration ranges, sorted and disjoint: (first, last, workspace, event id, line).
        self._ranges: list[tuple[int, int, int, int, int | None]] = []
        self._range_starts: list[int] = []
        # SIM -> the 42/43/68 after which its next event must (or, if it only may have been in
        # Factory Test, may) be its auto-activation: (event id, line, type, certain).
        self._owed: dict[int, tuple[int, int | None, int, bool]] = {}
        self.orgs: set[int] = set()  # every workspace the log holds events of
        self._migrations = Migrations(self)
        self._handlers: dict[int, Handler] = {
            8: self._on_sim_status,
            9: self._on_sim_status,
            45: self._on_sim_status,
            10: self._on_delete,
            42: self._on_endpoint_status,
            43: self._on_endpoint_status,
            68: self._on_reset,
            48: self._on_register,
            50: self._on_release,
            51: self._on_assign,
            69: self._migrations.on_event,
        }

    # ------------------------------------------------------------------ public interface

    def add(self, rule: str, event_id: int | None, line: int | None, message: str) -> None:
        self.findings.append(Finding(rule, event_id, line, message))

    def malformed(self, line: int | None, message: str) -> None:
        self.findings.append(Finding("malformed-event", None, line, message))

    def feed(self, event: Any, line: int | None) -> None:
        self.events += 1
        if type(event) is not dict:
            kind = "an array" if isinstance(event, list) else type(event).__name__
            self.add("malformed-event", None, line, f"expected a JSON object, got {kind}")
            return
        digest = _digest(event)
        # Fast path: the checks under which ``normalize`` would change nothing (or stricter).
        odd: list[str] | None = None
        try:
            eid = event["id"]
            stamp = event["timestamp"]
            code = event["event_type"]
            source = event["event_source"]
            severity = event["event_severity"]
            owner = event["organisation"]
            canonical = (
                type(eid) is int and type(stamp) is str
                and stamp.encode().translate(_DIGITS_TO_ZERO) == _TIMESTAMP_SHAPE
                and type(code) is dict and type(code["id"]) is int and "description" in code
                and type(source) is dict and type(source["id"]) is int
                and "description" in source
                and type(severity) is dict and type(severity["id"]) is int
                and "description" in severity
                and type(owner) is dict and type(owner["id"]) is int
                and type(event.get("alert", False)) is bool
                and type(event.get("detail")) is not str
                and None not in event.values()
            )
        except (KeyError, UnicodeEncodeError):
            canonical = False
        if not canonical:
            try:
                event, odd = normalize(event)
            except EnvelopeError as exc:
                ident = event.get("id")
                self.add("malformed-event", ident if type(ident) is int else None, line, str(exc))
                return
            eid = event["id"]
            code, source = event["event_type"], event["event_source"]
            severity, owner = event["event_severity"], event["organisation"]
        tid: int = code["id"]
        seen = self._ids.setdefault(eid, digest)
        if seen is not None:
            if seen == digest or self._migrations.paired_digest(eid) == digest:
                self.add("duplicate-delivery", eid, line,
                         f"event {eid} was delivered before with the same content: counted once")
                return
            if not (tid == 69 and self._migrations.completes_pair(eid, event, digest)):
                self.add("duplicate-event-id", eid, line,
                         f"id {eid} was already used by a different event")
        self.counts_by_type[tid] += 1
        wanted = _TYPE_DESC.get(tid)
        if wanted is None:
            self.add("unknown-event-type", eid, line,
                     f"event type {tid} is in no table of known types; it takes no part in replay")
        elif code.get("description", wanted) != wanted:
            self.add("code-mismatch", eid, line,
                     f"event type {tid} is {wanted!r}, not {code.get('description')!r}")
        src: int = source["id"]
        wanted = _SOURCE_DESC.get(src)
        if wanted is None or source.get("description", wanted) != wanted:
            self._code_mismatch("event source", source, _SOURCE_DESC, eid, line)
        wanted = _SEVERITY_DESC.get(severity["id"])
        if wanted is None or severity.get("description", wanted) != wanted:
            self._code_mismatch("event severity", severity, _SEVERITY_DESC, eid, line)
        if odd:
            self.add("lenient-format", eid, line, "non-canonical form accepted: " + "; ".join(odd))
        org: int = owner["id"]
        self.orgs.add(org)
        if src == _POLICY and "user" in event:
            self.add("source-mismatch", eid, line,
                     "a Policy Control event carries a user: only API actions have one")
        sid: int | None = None
        ic: int | None = None
        sim = event.get("sim")
        if sim is not None:
            if type(sim) is not dict or type(sim.get("id")) is not int:
                self.add("malformed-event", eid, line, "sim is not an object with an integer id")
                return
            sid = sim["id"]
            raw = sim.get("iccid")
            if raw is not None:
                if type(raw) is not str or not raw.isdigit() or not 19 <= len(raw) <= 20:
                    self.add("malformed-event", eid, line,
                             f"sim.iccid {raw!r} is not 19 or 20 digits")
                    return
                ic = int(raw[:19])
                known = self._iccid_of.get(sid)
                if known != ic:
                    self.identity(sid, ic, eid, line, ())
        handler = self._handlers.get(tid)
        if handler is None:
            return
        epid: int | None = None
        ep = event.get("endpoint")
        if ep is not None:
            if type(ep) is not dict or type(ep.get("id")) is not int:
                self.add("malformed-event", eid, line,
                         "endpoint is not an object with an integer id")
                return
            epid = ep["id"]
        if (tid, src) not in _ALLOWED_SOURCES:
            self.add("source-mismatch", eid, line,
                     f"{texts.type_name(tid)} never comes from source "
                     f"{_SOURCE_DESC.get(src, src)!r}; replayed as if from the API")
            src = _API
        handler(event, eid, tid, src, org, sid, ic, epid, line)

    def finish(self) -> None:
        """End of log: report the migration halves still unpaired and the owed auto-activations."""
        self._migrations.finish()
        for sid, (eid, line, tid, certain) in self._owed.items():
            if not certain:
                continue  # it only may have been in Factory Test: nothing was owed
            self.add("pending-auto-activation", eid, line,
                     f"SIM {sid} was in Factory Test at {texts.type_name(tid)} on its endpoint; "
                     "the log ends before its auto-activation (8 from Policy Control)")
        self._owed.clear()

    def sim_views(self) -> dict[int, SimView]:
        return {
            sid: SimView(s.mask, s.org, s.ep if _held(s.ep) else None)
            for sid, s in self._sims.items()
        }

    def endpoint_views(self) -> dict[int, EndpointView]:
        return {
            epid: EndpointView(e.mask, e.sim if _held(e.sim) else None)
            for epid, e in self._eps.items()
        }

    # ------------------------------------------------------------------ shared steps

    def _code_mismatch(self, what: str, code: dict[str, Any], table: dict[int, str],
                       eid: int, line: int | None) -> None:
        ident = code["id"]
        if ident in table:
            message = f"{what} {ident} is {table[ident]!r}, not {code.get('description')!r}"
        else:
            message = f"{what} {ident} is none of {sorted(table)}"
        self.add("code-mismatch", eid, line, message)

    def identity(self, sid: int, ic: int, eid: int, line: int | None,
                 together: Sequence[int]) -> None:
        """Record that ``sid`` carries ICCID ``ic``; ids in ``together`` may share one (seed)."""
        known = self._iccid_of.get(sid)
        if known is None:
            self._iccid_of[sid] = ic
            owner = self._sim_of.setdefault(ic, sid)
            if owner != sid and owner not in together:
                self.add("iccid-reuse", eid, line,
                         f"ICCID {ic} (first 19 digits) shows under SIM {sid}, "
                         f"and before under SIM {owner}")
        elif known != ic:
            self.add("identity-change", eid, line,
                     f"SIM {sid} carries ICCID {ic} (first 19 digits), but it was {known} before")
            self._iccid_of[sid] = ic
            self._sim_of.setdefault(ic, sid)

    def registered_range(self, ic: int | None) -> tuple[int, int, int, int, int | None] | None:
        if ic is None or not self._ranges:
            return None
        i = bisect_right(self._range_starts, ic)
        if i:
            found = self._ranges[i - 1]
            if ic <= found[1]:
                return found
        return None

    def _assumed_registered(self, ic: int | None) -> bool:
        if ic is None:
            return False
        i = bisect_right(self._assumed_starts, ic)
        return bool(i) and ic <= self._assumed[i - 1][1]

    def touch(self, sid: int, ic: int | None, org: int, eid: int, tid: int, src: int,
              line: int | None, *, arrives: bool = False) -> _Sim | None:
        """The SIM an event is about, after the checks every §3 event makes; None if deleted.

        ``org`` is the workspace the event places the SIM in. ``arrives`` marks a target half
        seen before its source half: the SIM comes from a workspace this log may not show, so
        its workspace is not checked, and under ``--complete-history`` it may first appear so.
        """
        s = self._sims.get(sid)
        if s is None:
            found = self.registered_range(ic)
            if found is not None:
                s = _Sim(_I, found[2], None)
                s.last_id, s.last_line = found[3], found[4]
            else:
                s = _Sim(_SIM_ALIVE, org, UNKNOWN)
                if self._complete and not arrives and not self._assumed_registered(ic):
                    self.add("registration-required", eid, line,
                             f"SIM {sid} appears before any registration covers its ICCID "
                             f"{ic if ic is not None else '(not given)'}")
            self._sims[sid] = s
        elif s.mask == _DEL:
            self.add("event-after-deletion", eid, line,
                     f"SIM {sid} was deleted by {texts.where(s.last_id, s.last_line)}: "
                     f"no {texts.type_name(tid)} may follow")
            return None
        if self._owed and sid in self._owed:
            trigger, trigger_line, trigger_type, certain = self._owed.pop(sid)
            if (tid, src) == _AUTO_ACTIVATION:
                s.mask &= _FT  # it was in Factory Test after all
            elif not certain:
                s.mask = s.mask & ~_FT or s.mask  # it was not, or this would be its activation
            else:
                self.add("missing-auto-activation", eid, line,
                         f"SIM {sid} was in Factory Test at {texts.type_name(trigger_type)} "
                         f"({texts.where(trigger, trigger_line)}) on its endpoint, so its next "
                         f"event must be its auto-activation (8 from Policy Control), "
                         f"not {texts.type_name(tid)}")
                # The platform auto-activates at once, but the log does not show it: go on
                # from either state, so one missing event does not become two findings.
                s.mask = _A | _FT
        if org != s.org and not arrives:
            self.add("workspace-mismatch", eid, line,
                     f"SIM {sid} belongs to workspace {s.org}, but {texts.type_name(tid)} places "
                     f"it in workspace {org} and no migration moved it")
            s.org = org
        return s

    def migrate(self, s: _Sim, sid: int, target: int, eid: int, line: int | None, *,
                arrives: bool = False) -> None:
        """Move a SIM to ``target``; an Activated or held SIM is suspended and released (§5).

        A SIM that ``arrives`` (see ``touch``) may have lived elsewhere since the log last saw
        it: it is in any state a migration leaves (not Activated), whatever it was here.
        """
        if arrives and s.last_id is not None:
            s.mask = _SIM_ALIVE
        elif s.mask == _A or _held(s.ep):
            what = []
            if s.mask == _A:
                what.append("Activated with no 9 (suspension) logged")
            if _held(s.ep):
                what.append(f"held by endpoint {s.ep} with no 50 (release) logged")
            self.add("migrated-while-active", eid, line,
                     f"SIM {sid} is migrated while " + " and ".join(what)
                     + "; suspended and released implicitly")
        if s.mask & _A:
            s.mask = (s.mask & ~_A) | _S
        self.unhold(s)
        s.org = target
        s.last_id = eid
        s.last_line = line

    def endpoint(self, epid: int) -> _Endpoint:
        e = self._eps.get(epid)
        if e is None:
            e = self._eps[epid] = _Endpoint()
        return e

    def observe(self, s: _Sim, sid: int, epid: int, eid: int, line: int | None) -> None:
        """The event shows endpoint ``epid`` holding SIM ``sid``: learn it or check it."""
        e = self.endpoint(epid)
        if s.ep == epid and e.sim == sid:
            return
        if (s.ep != UNKNOWN and s.ep != epid) or (e.sim != UNKNOWN and e.sim != sid):
            sim_has = "no endpoint" if s.ep is None else (
                "unknown" if s.ep == UNKNOWN else f"endpoint {s.ep}")
            ep_has = "no SIM" if e.sim is None else (
                "unknown" if e.sim == UNKNOWN else f"SIM {e.sim}")
            self.add("assignment-mismatch", eid, line,
                     f"the event shows endpoint {epid} holding SIM {sid}, but replay has SIM "
                     f"{sid} held by {sim_has} and endpoint {epid} holding {ep_has}")
        self.hold(s, sid, e, epid)

    def hold(self, s: _Sim, sid: int, e: _Endpoint, epid: int) -> None:
        """Make ``e`` hold ``s``; former partners become unknown (our knowledge was wrong)."""
        if _held(s.ep) and s.ep != epid:
            old = self._eps.get(s.ep)  # type: ignore[arg-type]
            if old is not None and old.sim == sid:
                old.sim = UNKNOWN
        if _held(e.sim) and e.sim != sid:
            other = self._sims.get(e.sim)  # type: ignore[arg-type]
            if other is not None and other.ep == epid:
                other.ep = UNKNOWN
        s.ep = epid
        e.sim = sid

    def unhold(self, s: _Sim) -> None:
        """Release ``s`` from the endpoint replay knows holds it."""
        if _held(s.ep):
            e = self._eps.get(s.ep)  # type: ignore[arg-type]
            if e is not None and e.sim != UNKNOWN:
                e.sim = None
        s.ep = None

    def _oblige(self, e: _Endpoint, eid: int, line: int | None, tid: int) -> None:
        """A 42/43/68 on an endpoint: its Factory Test SIM owes an auto-activation (spec §4).

        A SIM that only may be in Factory Test loses that possibility at its next event, unless
        that event is the auto-activation: in a log that starts mid-life, 43 then 8 (Policy
        Control) is how a SIM first seen at the 43 shows it was in Factory Test.
        """
        sid = e.sim
        if not _held(sid):
            return
        s = self._sims.get(sid)  # type: ignore[arg-type]
        if s is None:
            return
        if s.mask & _FT:
            self._owed[sid] = (eid, line, tid, s.mask == _FT)  # type: ignore[index]

    # ------------------------------------------------------------------ SIM status: 8, 9, 45

    def _on_sim_status(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                       sid: int | None, ic: int | None, epid: int | None,
                       line: int | None) -> None:
        key = (tid, src)
        text = event.get("description")
        # The `from` state of the description as a bit; -1: a state the type never starts from.
        from_bit = 0
        if type(text) is str:
            from_bit = _STATUS_TEXTS[key].get(text, 0) or self._status_text(key, text, eid, line)
        if tid == 8 and "detail" in event:
            self._check_transition_detail(event["detail"], key, eid, line)
        if sid is None:
            return
        s = self._sims.get(sid)
        if s is None or s.mask == _DEL or s.org != org or (self._owed and sid in self._owed):
            s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is None:
                return
        if epid is not None and (s.ep != epid or self._eps[epid].sim != sid):
            self.observe(s, sid, epid, eid, line)
        if from_bit > 0:
            if s.mask & from_bit:
                new_mask = _SIM_NEXT[key][from_bit]
            else:
                self._illegal(sid, s, text, tid, from_bit, eid, line)
                new_mask = _SIM_DEST[key]
        elif from_bit < 0:
            said = texts.SIM_STATUS_CHANGE.match(text)  # type: ignore[arg-type]
            self.add("illegal-transition", eid, line,
                     f"SIM {sid}: {_shown(text, tid)}: {texts.type_name(tid)} never starts from "
                     f"{said[1] if said else '?'}, only from {texts.sim_states(_SIM_FROM[key])}")
            new_mask = _SIM_DEST[key]
        else:
            new_mask = _SIM_NEXT[key][s.mask]
            if not new_mask:
                self._illegal(sid, s, text, tid, _SIM_FROM[key], eid, line)
                new_mask = _SIM_DEST[key]
        s.mask = new_mask
        s.last_id = eid
        s.last_line = line

    def _status_text(self, key: tuple[int, int], text: str, eid: int, line: int | None) -> int:
        """Check a status text off the fast table: the bit of its `from`, -1 if never allowed."""
        m = texts.SIM_STATUS_CHANGE.match(text)
        if m is None:
            return 0  # other wording (e.g. the auto-activation's free text): nothing to compare
        old = texts.SIM_STATUS_BY_LABEL.get(m[1])
        new = texts.SIM_STATUS_BY_LABEL.get(m[2])
        if old is None or new is None:
            self.add("description-mismatch", eid, line,
                     f"description {text!r} names a state that is no SIM status")
            return 0
        if not _SIM_DEST[key] >> new & 1:
            self.add("description-mismatch", eid, line,
                     f"description {text!r} says the SIM became {m[2]}, but "
                     f"{texts.type_name(key[0])} leads to {texts.sim_states(_SIM_DEST[key])}")
        return 1 << old if _SIM_FROM[key] >> old & 1 else -1

    def _illegal(self, sid: int, s: _Sim, text: Any, tid: int, needs: int, eid: int,
                 line: int | None) -> None:
        self.add("illegal-transition", eid, line,
                 f"SIM {sid}: {_shown(text, tid)} needs the SIM {texts.sim_states(needs)}, but it "
                 f"can only be {texts.sim_states(s.mask)} here{_after(s.last_id, s.last_line)}")

    def _check_transition_detail(self, detail: Any, key: tuple[int, int], eid: int,
                                 line: int | None) -> None:
        """``detail.transition.sim.status.from/to`` of an activation must fit the type."""
        try:
            status = detail["transition"]["sim"]["status"]
            ends = [status["from"], status["to"]]
        except (KeyError, TypeError):
            return
        allowed = (_SIM_FROM[key], _SIM_DEST[key])
        for end, name, mask in zip(ends, ("from", "to"), allowed, strict=True):
            ident = end.get("id") if isinstance(end, dict) else None
            text = end.get("description") if isinstance(end, dict) else None
            if type(ident) is not int or ident not in SimStatus.__members__.values():
                problem = f"{name} {ident!r} is no SIM status"
            elif text is not None and text != SimStatus(ident).upper:
                problem = f"{name} {ident} is {SimStatus(ident).upper!r}, not {text!r}"
            elif not mask >> ident & 1:
                problem = (f"{name} {SimStatus(ident).upper!r} does not fit "
                           f"{texts.type_name(key[0])} from this source "
                           f"({texts.sim_states(mask)})")
            else:
                continue
            self.add("description-mismatch", eid, line, f"detail.transition: {problem}")

    # ------------------------------------------------------------------ deletion: 10

    def _on_delete(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                   sid: int | None, ic: int | None, epid: int | None,
                   line: int | None) -> None:
        text = event.get("description")
        if type(text) is str:
            m = texts.SIM_DELETED.match(text)
            if m is not None:
                named, named_ic = int(m[1]), int(m[2][:19])
                if sid is None:
                    sid, ic = named, named_ic
                elif named != sid or (ic is not None and named_ic != ic):
                    self.add("description-mismatch", eid, line,
                             f"description names SIM {named} ({m[2]}), but the event is about "
                             f"SIM {sid} ({ic if ic is not None else 'no iccid'})")
        if sid is None:
            return
        s = self.touch(sid, ic, org, eid, tid, src, line)
        if s is None:
            return
        if epid is not None:
            self.observe(s, sid, epid, eid, line)
        if _held(s.ep):
            self.add("delete-while-assigned", eid, line,
                     f"SIM {sid} is deleted while endpoint {s.ep} holds it"
                     f"{_after(s.last_id, s.last_line)}: release it first")
        self.unhold(s)
        new_mask = _SIM_NEXT[(tid, src)][s.mask]
        s.mask = new_mask or _DEL
        s.last_id = eid
        s.last_line = line

    # ------------------------------------------------------------------ endpoints: 42, 43, 68

    def _on_endpoint_status(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                            sid: int | None, ic: int | None, epid: int | None,
                            line: int | None) -> None:
        key = (tid, src)
        text = event.get("description")
        if type(text) is str and (epid is None or text != texts.ENDPOINT_STATUS_TEXT.format(
                epid, _EP_DEST_LABEL[key])):
            m = texts.ENDPOINT_STATUS_CHANGE.match(text)
            if m is not None:
                named = int(m[1])
                state = texts.ENDPOINT_STATUS_BY_LABEL.get(m[2])
                if state is None or not _EP_DEST[key] >> state & 1:
                    self.add("description-mismatch", eid, line,
                             f"description says the endpoint changed to {m[2]}, but "
                             f"{texts.type_name(tid)} leads to "
                             f"{texts.endpoint_states(_EP_DEST[key])}")
                if epid is None:
                    epid = named
                elif named != epid:
                    self.add("description-mismatch", eid, line,
                             f"description names endpoint {named}, but the event is about "
                             f"endpoint {epid}")
        if epid is None:
            return
        e = self._endpoint_with_sim(eid, tid, src, org, sid, ic, epid, line)
        new_mask = _EP_NEXT[key][e.mask]
        if new_mask == 0:
            self.add("illegal-transition", eid, line,
                     f"Endpoint {epid}: {texts.type_name(tid)} needs it "
                     f"{texts.endpoint_states(_EP_FROM[key])}, but it can only be "
                     f"{texts.endpoint_states(e.mask)} here{_after(e.last_id, e.last_line)}")
            new_mask = _EP_DEST[key]
        e.mask = new_mask
        e.last_id = eid
        e.last_line = line
        self._oblige(e, eid, line, tid)

    def _on_reset(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                  sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        if epid is None:
            if sid is not None:
                self.touch(sid, ic, org, eid, tid, src, line)
            return
        e = self._endpoint_with_sim(eid, tid, src, org, sid, ic, epid, line)
        self._oblige(e, eid, line, tid)

    def _endpoint_with_sim(self, eid: int, tid: int, src: int, org: int, sid: int | None,
                           ic: int | None, epid: int, line: int | None) -> _Endpoint:
        if sid is not None:
            s = self._sims.get(sid)
            if s is None or s.mask == _DEL or s.org != org or (self._owed and sid in self._owed):
                s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is not None and (s.ep != epid or self._eps[epid].sim != sid):
                self.observe(s, sid, epid, eid, line)
        return self.endpoint(epid)

    # ------------------------------------------------------------------ assignment: 50, 51

    def _pair_from_text(self, pattern: Any, template: str, event: dict[str, Any], eid: int,
                        sid: int | None, epid: int | None,
                        line: int | None) -> tuple[int | None, int | None]:
        """Read sim and endpoint from a 50/51 description (spec §4: it may be the only place)."""
        text = event.get("description")
        if type(text) is str and (sid is None or epid is None
                                  or text != template.format(sid, epid)):
            m = pattern.match(text)
            if m is not None:
                named_sim, named_ep = int(m[1]), int(m[2])
                if sid is None:
                    sid = named_sim
                elif named_sim != sid:
                    self.add("description-mismatch", eid, line,
                             f"description names SIM {named_sim}, but the event is about "
                             f"SIM {sid}")
                if epid is None:
                    epid = named_ep
                elif named_ep != epid:
                    self.add("description-mismatch", eid, line,
                             f"description names endpoint {named_ep}, but the event is about "
                             f"endpoint {epid}")
        return sid, epid

    def _on_assign(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                   sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        sid, epid = self._pair_from_text(texts.SIM_ASSIGNED, texts.SIM_ASSIGNED_TEXT, event, eid,
                                         sid, epid, line)
        if sid is None or epid is None:
            return
        s = self._sims.get(sid)
        if s is None or s.mask == _DEL or s.org != org or (self._owed and sid in self._owed):
            s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is None:
                return
        e = self.endpoint(epid)
        if _held(s.ep):
            holder = "it" if s.ep == epid else f"endpoint {s.ep}"
            self.add("double-assignment", eid, line,
                     f"SIM {sid} is assigned to endpoint {epid}, but {holder} already holds it"
                     f"{_after(s.last_id, s.last_line)}")
            self.unhold(s)
        if _held(e.sim) and e.sim != sid:
            self.add("double-assignment", eid, line,
                     f"SIM {sid} is assigned to endpoint {epid}, but that endpoint already "
                     f"holds SIM {e.sim}{_after(e.last_id, e.last_line)}")
            other = self._sims.get(e.sim)  # type: ignore[arg-type]
            if other is not None:
                self.unhold(other)
        self.hold(s, sid, e, epid)
        s.last_id = e.last_id = eid
        s.last_line = e.last_line = line

    def _on_release(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                    sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        sid, epid = self._pair_from_text(texts.SIM_RELEASED, texts.SIM_RELEASED_TEXT, event, eid,
                                         sid, epid, line)
        if sid is None or epid is None:
            return
        s = self._sims.get(sid)
        if s is None or s.mask == _DEL or s.org != org or (self._owed and sid in self._owed):
            s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is None:
                return
        e = self.endpoint(epid)
        if e.sim != UNKNOWN and e.sim != sid:
            holds = "no SIM" if e.sim is None else f"SIM {e.sim}"
            self.add("release-mismatch", eid, line,
                     f"SIM {sid} is released from endpoint {epid}, but that endpoint holds "
                     f"{holds}{_after(e.last_id, e.last_line)}")
        elif s.ep != UNKNOWN and s.ep != epid:
            held_by = "no endpoint" if s.ep is None else f"endpoint {s.ep}"
            self.add("release-mismatch", eid, line,
                     f"SIM {sid} is released from endpoint {epid}, but {held_by} holds it"
                     f"{_after(s.last_id, s.last_line)}")
        self.hold(s, sid, e, epid)
        s.ep = e.sim = None
        s.last_id = e.last_id = eid
        s.last_line = e.last_line = line

    # ------------------------------------------------------------------ registration: 48

    def _on_register(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                     sid: int | None, ic: int | None, epid: int | None,
                     line: int | None) -> None:
        detail = event.get("detail")
        batch = detail.get("sim_batch") if isinstance(detail, dict) else None
        span: tuple[int, int] | None = None
        if batch is not None:
            span = self._batch_span(event, batch, eid, sid, ic, line)
        if sid is not None and sid in self._sims:
            s = self._sims[sid]
            self.add("illegal-transition", eid, line,
                     f"SIM {sid} is registered, but the log knows it already"
                     f"{_after(s.last_id, s.last_line)}: nothing returns to Issued")
        if span is not None:
            self._add_range(span, org, eid, sid, line)
        if sid is not None and sid not in self._sims:
            s = self._sims[sid] = _Sim(_I, org, None)
            s.last_id, s.last_line = eid, line

    def _batch_span(self, event: dict[str, Any], batch: Any, eid: int, sid: int | None,
                    ic: int | None, line: int | None) -> tuple[int, int] | None:
        size = batch.get("batch_size") if isinstance(batch, dict) else None
        first = batch.get("first_iccid") if isinstance(batch, dict) else None
        last = batch.get("last_iccid") if isinstance(batch, dict) else None
        if (type(size) is not int or type(first) is not str or type(last) is not str
                or not first.isdigit() or not last.isdigit()):
            self.add("description-mismatch", eid, line,
                     "detail.sim_batch needs an integer batch_size and digit strings "
                     "first_iccid and last_iccid")
            return None
        lo, hi = int(first[:19]), int(last[:19])
        text = event.get("description")
        if type(text) is str:
            m = texts.BATCH_REGISTERED.match(text)
            if m is not None and int(m[1]) != size:
                self.add("description-mismatch", eid, line,
                         f"description registers {m[1]} SIM(s), but detail.sim_batch.batch_size "
                         f"is {size}")
        if lo > hi:
            self.add("description-mismatch", eid, line,
                     f"detail.sim_batch: first_iccid {first} comes after last_iccid {last}")
            return None
        if sid is not None:
            if size != 1:
                self.add("description-mismatch", eid, line,
                         f"the event names SIM {sid}, but the platform names the SIM only for "
                         f"a batch of one, and this batch has {size}")
            if ic is not None and not lo <= ic <= hi:
                self.add("description-mismatch", eid, line,
                         f"SIM {sid} has ICCID {ic}, outside the batch {lo}..{hi}")
        return lo, hi

    def _add_range(self, span: tuple[int, int], org: int, eid: int, sid: int | None,
                   line: int | None) -> None:
        lo, hi = span
        i = bisect_right(self._range_starts, hi)
        if i and self._ranges[i - 1][1] >= lo:
            earlier = self._ranges[i - 1]
            self.add("illegal-transition", eid, line,
                     f"ICCIDs {lo}..{hi} overlap ICCIDs {earlier[0]}..{earlier[1]} registered by "
                     f"{texts.where(earlier[3], earlier[4])}: a SIM is registered once")
            return
        if hi - lo < len(self._sim_of):
            known = [self._sim_of[c] for c in range(lo, hi + 1) if c in self._sim_of]
        else:
            known = [k for c, k in self._sim_of.items() if lo <= c <= hi]
        known = sorted(k for k in known if k != sid and k in self._sims)
        if known:
            shown = ", ".join(str(k) for k in known[:5]) + (" ..." if len(known) > 5 else "")
            self.add("illegal-transition", eid, line,
                     f"the batch {lo}..{hi} registers SIM(s) the log knows already: {shown}")
        self._ranges.insert(i, (lo, hi, org, eid, line))
        self._range_starts.insert(i, lo)
