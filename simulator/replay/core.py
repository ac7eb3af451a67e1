"""The validator's core: replay a log event by event over sets of possible states (spec §6).

Logs start mid-life, so each SIM and endpoint carries the set of states it may be in, and a rule
fires only when no possible state allows an event. ``Replay`` takes a canonical line's envelope as
``decode`` checked it in C, checks a parsed dict's by hand (``lifecycle.events.normalize`` for
other forms), detects repeated ids with a compact table (``ids``), and dispatches lifecycle
events to the per-type rules (``rules``) over the entity state (``state``); migration pairing is
in ``migration``, description patterns in ``texts``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
    EventType,
)
from lifecycle.events import EnvelopeError, InstantCache, normalize
from lifecycle.machines import SIM_REGISTRATION_EVENT
from simulator.replay import texts as texts
from simulator.replay.decode import UNSET, Envelope
from simulator.replay.ids import EventIdTable
from simulator.replay.migration import Migrations, UnpairedHalf
from simulator.replay.rules import LifecycleRules
from simulator.replay.state import (
    API,
    EP_NEXT,
    ICCID_BASE,
    MAX_FINDINGS,
    POLICY,
    SIM_NEXT,
    TEXT_KEY_BITS,
    EndpointView,
    SimView,
    text_key,
)

__all__ = ["EndpointView", "Replay", "SimView"]

# Lifecycle types whose events no machine table holds: all come from the API (spec §3).
_API_ONLY = (SIM_REGISTRATION_EVENT[0], 50, 51, 68, 69)
_ALLOWED_SOURCES = frozenset(
    [*SIM_NEXT, *EP_NEXT, *((int(t), API) for t in _API_ONLY)]
)
_TYPE_DESC = EVENT_TYPE_DESCRIPTIONS
_SOURCE_DESC = SOURCE_DESCRIPTIONS
_SEVERITY_DESC = SEVERITY_DESCRIPTIONS
# Canonical timestamps (``lifecycle.events.CANONICAL_TIMESTAMP``) tested at ~40% of the regex's
# cost: every ASCII digit -> '0', then compare. Stricter than the regex, never looser (tested).
# A stamp of that shape is then checked as a real instant (``Replay._real``): one that is not
# leaves the fast path, and ``normalize`` reports it as malformed, naming what is wrong.
DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
# Ids whose content hash replay keeps when it can read any earlier line again (``use_source``):
# a duplicate delivered later than this is recognised by reading its first line.
KEEP_HASHES = 1 << 16
TIMESTAMP_SHAPE = b"0000-00-00T00:00:00.000Z"
_MIGRATION = int(EventType.SIM_MIGRATION)


def _digest(event: dict[str, Any]) -> int:
    """A 64-bit hash of the parsed JSON value (key order ignored), for duplicate delivery."""
    try:
        return hash(orjson.dumps(event, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # orjson refuses ints beyond 64 bits; the standard library does not
        return hash(json.dumps(event, sort_keys=True, default=repr))


def _text_digest(text: bytes) -> int | None:
    """``_digest`` of the value a line holds (None if it no longer parses to an object)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return _digest(value) if type(value) is dict else None


_ALLOWED_BY_TYPE: dict[int, frozenset[int]] = {
    tid: frozenset(src for t, src in _ALLOWED_SOURCES if t == tid)
    for tid in {t for t, _ in _ALLOWED_SOURCES}
}
_NO_SOURCE: frozenset[int] = frozenset()
_NO_DETAIL = object()

# What ``feed`` reads of an event's envelope: (event for the rules, digest, id, type, source,
# organisation, findings to report once the id is known not to repeat (rule, message), has a
# user, sim id, sim.iccid, sim malformed, endpoint id, endpoint malformed).
_Head = tuple[
    dict[str, Any], int, int, int, int, int, "list[tuple[str, str]] | None", bool,
    "int | None", Any, bool, "int | None", bool,
]


def _code_notes(tid: int, src: int, sev: int, said_type: Any, said_source: Any,
                said_severity: Any, odd: list[str]) -> list[tuple[str, str]]:
    """Findings on an envelope's codes: unknown type, a description not the code's own. A
    description that differs only in letter case (``"INFO"``, spec §1) goes to ``odd``."""
    notes = []
    if tid not in _TYPE_DESC:
        notes.append(("unknown-event-type", f"event type {tid} is in no table of known types; "
                                            "it takes no part in replay"))
    for what, ident, said, table in (("event type", tid, said_type, _TYPE_DESC),
                                     ("event source", src, said_source, _SOURCE_DESC),
                                     ("event severity", sev, said_severity, _SEVERITY_DESC)):
        wanted = table.get(ident)
        if wanted is None:
            if table is not _TYPE_DESC:
                notes.append(("code-mismatch", f"{what} {ident} is none of {sorted(table)}"))
        elif said != wanted:
            if type(said) is str and said.casefold() == wanted.casefold():
                odd.append(f"{what.replace(' ', '_')}.description {said!r} for {wanted!r}")
            else:
                notes.append(("code-mismatch", f"{what} {ident} is {wanted!r}, not {said!r}"))
    return notes

# (event, id, type, source, organisation, sim id, ICCID, endpoint id, line)
Handler = Callable[
    [dict[str, Any], int, int, int, int, "int | None", "int | None", "int | None", "int | None"],
    None,
]


class Replay(LifecycleRules):
    """Streaming replay: ``feed`` parsed events in ascending order, then ``finish``.

    Duplicate delivery is the same JSON value after parsing (spec §6). By default each event's
    value is hashed (orjson with sorted keys, ~1.5 µs). After ``use_source`` each event comes with
    its raw bytes, which are hashed instead (~0.1 µs): equal hashes mean equal bytes, so the same
    value. Only when an id repeats with other bytes (or its hash is no longer kept: ``use_source``)
    are both values compared, the earlier one parsed again from its line (the id table keeps each
    id's first line), so the verdict is the same either way.
    """

    def __init__(
        self,
        *,
        complete_history: bool = False,
        assume_registered: Sequence[tuple[int, int]] = (),
        max_findings: int = MAX_FINDINGS,
        where: Callable[[int | None, int | None], str] = texts.where,
    ) -> None:
        super().__init__(complete_history=complete_history, assume_registered=assume_registered,
                         max_findings=max_findings, where=where)
        self.events = 0
        self._counts: dict[int, int] = {}  # a plain dict counts faster than a Counter
        self.orgs: set[int] = set()  # every workspace the log holds events of
        self._instants = InstantCache()
        self._minute = "-"  # "YYYY-MM-DDTHH:MM:" of the last real instant (events ascend)
        self._recall: Callable[[int], bytes | None] | None = None
        self._migrations = Migrations(self, self.orgs)
        t = EventType
        self._handlers: dict[int, Handler] = {int(kind): handler for kind, handler in (
            (t.SIM_ACTIVATION, self._on_sim_status),
            (t.SIM_SUSPENSION, self._on_sim_status),
            (t.SIM_FACTORY_TEST, self._on_sim_status),
            (t.SIM_DELETION, self._on_delete),
            (t.ENDPOINT_ENABLED, self._on_endpoint_status),
            (t.ENDPOINT_DISABLED, self._on_endpoint_status),
            (t.RESET_CONNECTIVITY, self._on_reset),
            (t.SIM_REGISTRATION, self._on_register),
            (t.SIM_RELEASED, self._on_release),
            (t.SIM_ASSIGNED, self._on_assign),
            (t.SIM_MIGRATION, self._migrations.on_event),
        )}

    @property
    def counts_by_type(self) -> Counter[int]:
        """Event type id -> events of that type (duplicate deliveries counted once)."""
        return Counter(self._counts)

    def use_source(self, recall: Callable[[int], bytes | None], *,
                   rereadable: bool = False) -> None:
        """From now on (call it before any ``feed``) every event comes with ``raw``, its line's
        bytes, and ``recall(line)`` returns the bytes of an earlier event's line again.

        ``rereadable``: ``recall`` never fails (a file read by offsets). Only the last
        ``KEEP_HASHES`` ids' hashes are then kept: a repeat of an older id reads its first line
        again and compares the values, as a repeat with other bytes always does.
        """
        if self.events:
            raise RuntimeError("use_source must come before the first event")
        self._recall = recall
        if rereadable:
            self._ids.forget_after(KEEP_HASHES)

    def _real(self, stamp: str) -> bool:
        """Is ``stamp`` (canonical shape) a real instant? Remembers its minute: the next stamps
        of the same minute need only a second below 60 (``InstantCache`` for the rest)."""
        if not self._instants.real(stamp):
            return False
        self._minute = stamp[:17]
        return True

    def malformed(self, line: int | None, message: str) -> None:
        self.add("malformed-event", None, line, message)

    def feed(self, event: Any, line: int | None, raw: bytes | None = None) -> None:
        """Replay one event: a parsed JSON value, or (with ``raw``, its line's bytes, after
        ``use_source``) the ``Envelope`` that ``decode.decode(raw)`` made of it."""
        self.events += 1
        if (type(event) is Envelope and raw is not None and self._recall is not None
                and (stamp := event.timestamp).encode().translate(DIGITS_TO_ZERO)
                == TIMESTAMP_SHAPE
                and ((stamp.startswith(self._minute) and stamp[17] < "6") or self._real(stamp))
                and (detail := orjson.loads(memoryview(event.detail)) if event.detail
                     else _NO_DETAIL) is not None and type(detail) is not str):
            # The fast path: msgspec has checked all that the dict path checks below.
            digest = hash(raw)
            eid = event.id
            tid, src, org = event.event_type.code, event.event_source.code, event.organisation.id
            notes: list[tuple[str, str]] | None = None
            has_user = event.user is not UNSET
            sid = epid = None
            iccid: Any = None
            sim_bad = ep_bad = False
            if (sim := event.sim) is not UNSET:
                sid = sim.id
                if sim.iccid is not UNSET:
                    iccid = sim.iccid
            if (ep := event.endpoint) is not UNSET:
                epid = ep.id
            view: dict[str, Any] = {"timestamp": stamp}  # what the rules read of an event
            if event.description is not UNSET:
                view["description"] = event.description
            if detail is not _NO_DETAIL:
                view["detail"] = detail
            event = view
        else:
            if type(event) is Envelope:  # another form: the parsed dict reports it
                event = orjson.loads(raw) if raw is not None else None
            head = self._read_dict(event, line, raw)
            if head is None:
                return
            (event, digest, eid, tid, src, org, notes, has_user, sid, iccid, sim_bad, epid,
             ep_bad) = head
        seen = self._ids.setdefault(eid, digest, -1 if line is None else line)
        # What the entities this event touches keep as their last event: its id, whose first
        # line the id table keeps, or for a repeated id its own line too.
        self._last = eid if seen is None else (eid, line)
        if seen is not None:
            if (seen == digest or self._migrations.paired_digest(eid) == digest
                    or (self._recall is not None
                        and self._same_value(eid, tid, event, raw, digest))):
                self.add("duplicate-delivery", eid, line,
                         f"event {eid} was delivered before with the same content: counted once")
                return
            if not (tid == _MIGRATION
                    and self._migrations.completes_pair(eid, event, digest, line)):
                self.add("duplicate-event-id", eid, line,
                         f"id {eid} was already used by a different event")
        try:
            self._counts[tid] += 1
        except KeyError:
            self._counts[tid] = 1
        if notes:
            for rule, message in notes:
                self.add(rule, eid, line, message)
        self.orgs.add(org)
        if src == POLICY and has_user:
            self.add("source-mismatch", eid, line,
                     "a Policy Control event carries a user: only API actions have one")
        if sim_bad:
            self.add("malformed-event", eid, line, "sim is not an object with an integer id")
            return
        ic: int | None = None
        if iccid is not None and sid is not None:
            # The text last read for this SIM gave the ICCID ``identity`` holds for it.
            s = self._sims.get(sid)
            # ``text_key(iccid)`` inlined: a call on every event costs 1-3% of validation.
            if s is not None and type(iccid) is str and s.ith == hash(iccid) & TEXT_KEY_BITS:
                ic = s.ick + ICCID_BASE  # type: ignore[operator]  # set before ``ith``
            else:
                if (type(iccid) is not str or not (iccid.isascii() and iccid.isdigit())
                        or not 19 <= len(iccid) <= 20):
                    if type(iccid) is not str or not texts.PLACEHOLDER.match(iccid):
                        self.add("malformed-event", eid, line,
                                 f"sim.iccid {iccid!r} is not 19 or 20 digits")
                        return
                    self.add("lenient-format", eid, line, f"sim.iccid {iccid!r} is a "
                             "placeholder, as the platform's documentation writes one: not "
                             "used to identify the SIM")
                else:
                    ic = int(iccid[:19])
                    if s is None:
                        s = self.carrier(sid)
                    if s.ick != ic - ICCID_BASE:
                        self.identity(sid, ic, eid, line, ())
                    s.ith = text_key(iccid)
        handler = self._handlers.get(tid)
        if handler is None:
            return
        if ep_bad:
            self.add("malformed-event", eid, line, "endpoint is not an object with an integer id")
            return
        if src not in _ALLOWED_BY_TYPE.get(tid, _NO_SOURCE):
            self.add("source-mismatch", eid, line,
                     f"{texts.type_name(tid)} never comes from source "
                     f"{_SOURCE_DESC.get(src, src)!r}; replayed as if from the API")
            src = API
        handler(event, eid, tid, src, org, sid, ic, epid, line)

    def _read_dict(self, event: Any, line: int | None, raw: bytes | None) -> _Head | None:
        """The envelope of a parsed value, normalised when it is not canonical (None: reported
        as malformed), with the findings on its codes and form that ``feed`` reports once the id
        is known not to repeat. What the fast path has from msgspec, checked here by hand."""
        if type(event) is not dict:
            kind = "an array" if isinstance(event, list) else type(event).__name__
            self.add("malformed-event", None, line, f"expected a JSON object, got {kind}")
            return None
        digest = hash(raw) if raw is not None and self._recall is not None else _digest(event)
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
                and stamp.encode().translate(DIGITS_TO_ZERO) == TIMESTAMP_SHAPE
                and ((stamp.startswith(self._minute) and stamp[17] < "6") or self._real(stamp))
                and type(code) is dict and type(tid := code["id"]) is int
                and type(source) is dict and type(src := source["id"]) is int
                and type(severity) is dict and type(sev := severity["id"]) is int
                and type(owner) is dict and type(org := owner["id"]) is int
                and type(event.get("alert", False)) is bool
                and type(event.get("detail")) is not str
                and None not in event.values()
            )
            if canonical:
                said_type = code["description"]
                said_source = source["description"]
                said_severity = severity["description"]
        except (KeyError, UnicodeEncodeError):
            canonical = False
        if not canonical:
            try:
                event, odd = normalize(event)
            except EnvelopeError as exc:
                ident = event.get("id")
                self.add("malformed-event", ident if type(ident) is int else None, line, str(exc))
                return None
            eid = event["id"]
            code, source = event["event_type"], event["event_source"]
            severity, owner = event["event_severity"], event["organisation"]
            tid, src, sev, org = code["id"], source["id"], severity["id"], owner["id"]
            said_type = code.get("description", _TYPE_DESC.get(tid))
            said_source = source.get("description", _SOURCE_DESC.get(src))
            said_severity = severity.get("description", _SEVERITY_DESC.get(sev))
        odd = odd or []
        notes = _code_notes(tid, src, sev, said_type, said_source, said_severity, odd)
        if odd:
            notes.append(("lenient-format", "non-canonical form accepted: " + "; ".join(odd)))
        sid = iccid = epid = None
        sim_bad = ep_bad = False
        sim = event.get("sim")
        if sim is not None:
            if type(sim) is not dict or type(sid := sim.get("id")) is not int:
                sim_bad, sid = True, None
            else:
                iccid = sim.get("iccid")
        ep = event.get("endpoint")
        if ep is not None and (type(ep) is not dict or type(epid := ep.get("id")) is not int):
            ep_bad, epid = True, None
        return (event, digest, eid, tid, src, org, notes, "user" in event, sid, iccid, sim_bad,
                epid, ep_bad)

    def _same_value(self, eid: int, tid: int, event: dict[str, Any], raw: bytes | None,
                    digest: int) -> bool:
        """Is this event, with other bytes, the same value as the earlier one(s) with its id?

        Only after ``use_source``: the earlier lines are read again and both sides parsed. The
        half of a migration that pairs with the first event of its id differs from it in
        ``detail.type``, so that common case reads nothing.
        """
        assert self._recall is not None
        first = self._ids.line_of(eid)
        if tid == _MIGRATION and self._migrations.would_pair(eid, event, first):
            return False
        value = digest if raw is None else _text_digest(raw)
        if value is None:
            return False
        for earlier in (first, self._migrations.paired_line(eid)):
            if earlier is not None:
                text = self._recall(earlier)
                if text is not None and _text_digest(text) == value:
                    return True
        return False

    def finish(self) -> None:
        """End of log: report the migration halves still unpaired and the owed auto-activations.
        The table of event ids, the largest part of a replay, is let go."""
        self._migrations.finish()
        self.report_owed()
        self._ids = EventIdTable()

    def finish_partition(self) -> list[UnpairedHalf]:
        """``finish`` for one partition of a log (``simulator.partition``): the owed
        auto-activations are reported, the unpaired migration halves returned, to be judged
        (``judge_unpaired``) against the workspaces of every partition."""
        unpaired = self._migrations.take_unpaired()
        self.report_owed()
        self._ids = EventIdTable()
        return unpaired


