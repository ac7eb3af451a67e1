"""Replay's entity state: what it knows of each SIM and endpoint, and the shared steps.

Each SIM and endpoint carries a bitmask of the states it may be in (bit ``1 << status``), its
workspace, and its assignment (known, known-none or unknown), in a small struct: memory grows
with entities, not events. The structs are ``msgspec.Struct`` without garbage-collector tracking
(48 or 64 bytes, a third less than slotted classes) and hold no object of their own where a
shared one does: workspaces are one int object each (``_workspace``), an entity's last event is
its id alone while the id table knows its line. The masks move through the compiled tables of
``lifecycle.machines`` only. The tables and entries here are shared by the replay wing's modules
(``rules``, ``migration``, ``core``); the wing's face exposes only the views.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple, TypeVar

import msgspec

from lifecycle.codes import EndpointStatus, SimStatus, Source
from lifecycle.machines import ENDPOINT, SIM, mask_of
from lifecycle.rules import Finding
from lifecycle.state import ENDPOINT_LABELS, SIM_LABELS, EndpointState, FleetState, SimState
from simulator.replay import texts as texts
from simulator.replay.ids import EventIdTable


class SimView(NamedTuple):
    """What replay knows of a SIM: possible states, owner, holder (None: none or unknown)."""

    mask: int
    workspace: int | None
    endpoint: int | None


class EndpointView(NamedTuple):
    mask: int
    sim: int | None


_V = TypeVar("_V", SimView, EndpointView)


# An assignment replay has not seen (None means "known: nothing"). Below any id a log can hold
# as an integer (orjson and msgspec give 64 bits at most): an endpoint or SIM id of -1 is an id.
UNKNOWN = -(1 << 64)

# Findings kept per rule by default; past it a rule's findings are only counted, so memory grows
# with entities, not with how wrong a log is (2 million malformed lines keep 10,000 findings).
MAX_FINDINGS = 10_000

API = int(Source.API)
POLICY = int(Source.POLICY_CONTROL)
ISSUED_MASK = 1 << SimStatus.ISSUED
_A = 1 << SimStatus.ACTIVATED
_S = 1 << SimStatus.SUSPENDED
DELETED_MASK = 1 << SimStatus.DELETED
_FT = 1 << SimStatus.FACTORY_TEST
_SIM_ALIVE = SIM.all_mask & ~DELETED_MASK
_EP_ALIVE = ENDPOINT.all_mask & ~(1 << EndpointStatus.DELETED)
_EP_DISABLED = 1 << EndpointStatus.DISABLED
_EP_DELETED = 1 << EndpointStatus.DELETED
_AUTO_ACTIVATION = (8, POLICY)

SIM_NEXT = SIM.next_mask
EP_NEXT = ENDPOINT.next_mask
# Per (type, source): the states it may start from, and the states it may lead to.
SIM_FROM = {key: mask_of(table) for key, table in SIM.by_event.items()}
SIM_DEST = {key: table[_SIM_ALIVE] for key, table in SIM_NEXT.items()}
EP_FROM = {key: mask_of(table) for key, table in ENDPOINT.by_event.items()}
EP_DEST = {key: table[_EP_ALIVE] for key, table in EP_NEXT.items()}


# An entity's last event, for messages that point back at it: its id when the id table holds
# this event's line for it (the id's first event), else (id, line); None before any event.
Last = int | tuple[int, int | None] | None

# ICCIDs begin with 89 (ITU-T E.118), so replay keeps each as its first 19 digits less
# ``ICCID_BASE``: below 2**60, an int object of 32 bytes instead of 48. Any other ICCID is kept
# the same way (a negative or a larger number): nothing depends on the range.
ICCID_BASE = 89 * 10**17

# The sim.iccid text last read for a SIM, as a check that spares parsing it again when it comes
# back unchanged (most events): ``text_key(text)``, 60 bits of its hash (an int object of 32
# bytes, not the 80 of the text). Equal hashes are taken for equal texts, as replay takes equal
# 64-bit hashes of two lines for equal lines. ``NO_TEXT``: none is kept.
NO_TEXT = 1 << 70
TEXT_KEY_BITS = (1 << 60) - 1


def text_key(text: str) -> int:
    """60 bits of ``hash(text)``: ``&`` makes an int of two digits (``>>`` would keep three)."""
    return hash(text) & TEXT_KEY_BITS


def iccid_text(ick: int | None, ith: int) -> str | None:
    """The ICCID as last read, else its first 19 digits. The text read was these 19 digits, or
    them and one more: the one of the eleven whose hash ``ith`` keeps."""
    if ick is None:
        return None
    text = f"{ick + ICCID_BASE:019d}"
    if ith != NO_TEXT and text_key(text) != ith:
        for tail in "0123456789":
            if text_key(text + tail) == ith:
                return text + tail
    return text


class SimEntry(msgspec.Struct, gc=False):
    """A SIM replay knows: ``ep`` its holder (None: none, ``UNKNOWN``), ``ick`` its ICCID (first
    19 digits) less ``ICCID_BASE`` (the object ``_sim_of`` is keyed by), ``ith`` the text it was
    last read from."""

    mask: int
    org: int
    ep: int | None
    last: Last = None
    ick: int | None = None
    ith: int = NO_TEXT


class EndpointEntry(msgspec.Struct, gc=False):
    mask: int = _EP_ALIVE
    sim: int | None = UNKNOWN
    last: Last = None


def build_state(sims: dict[int, SimEntry], eps: dict[int, EndpointEntry]) -> FleetState:
    """The tables of entities as a ``FleetState``.

    An endpoint's deletion emits no event (spec §4): the platform disables it (43) and releases
    its SIM (50) first, so wherever it may be Disabled and may hold no SIM it may also be Deleted.
    """
    out_sims = []
    for sid, s in sims.items():
        ep = s.ep
        out_sims.append(SimState(sid, iccid_text(s.ick, s.ith), SIM_LABELS[s.mask], s.org,
                                 None if ep == UNKNOWN else ep, ep != UNKNOWN))
    out_eps = []
    for epid, e in eps.items():
        mask, held_sim = e.mask, e.sim
        if mask & _EP_DISABLED and (held_sim is None or held_sim == UNKNOWN):
            mask |= _EP_DELETED
        out_eps.append(EndpointState(epid, ENDPOINT_LABELS[mask],
                                     None if held_sim == UNKNOWN else held_sim,
                                     held_sim != UNKNOWN))
    return FleetState.of(out_sims, out_eps)


def shown(text: Any, tid: int) -> str:
    """How a message names a status change: "'Suspended' -> 'Activated'", else by its type."""
    m = texts.SIM_STATUS_CHANGE.match(text) if type(text) is str else None
    return texts.type_name(tid) if m is None else f"'{m[1]}' -> '{m[2]}'"


def held(ref: int | None) -> bool:
    return ref is not None and ref != UNKNOWN


def _sim_view(s: SimEntry) -> SimView:
    return SimView(s.mask, s.org, s.ep if held(s.ep) else None)


def _endpoint_view(e: EndpointEntry) -> EndpointView:
    return EndpointView(e.mask, e.sim if held(e.sim) else None)


class Views(Mapping[int, _V]):
    """A read-only mapping over an entity table, each view made when asked: no copy."""

    __slots__ = ("_table", "_view")
    _table: Mapping[int, Any]
    _view: Callable[[Any], _V]

    def __init__(self, table: Mapping[int, Any], view: Callable[[Any], _V]) -> None:
        self._table, self._view = table, view

    def __getitem__(self, key: int) -> _V:
        return self._view(self._table[key])

    def __iter__(self) -> Iterator[int]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class EntityState:
    """What replay knows of each SIM and endpoint, and the steps every event about one shares."""

    def __init__(self, *, complete_history: bool,
                 assume_registered: Sequence[tuple[int, int]],
                 max_findings: int = MAX_FINDINGS,
                 where: Callable[[int | None, int | None], str] = texts.where) -> None:
        self.findings: list[Finding] = []  # at most ``max_findings`` per rule
        self.omitted: Counter[str] = Counter()  # rule -> findings counted past the cap
        self._max_findings = max_findings
        self._kept: dict[str, int] = {}
        # How messages point back at an earlier event: "event 5 at line 9" for one file; a log
        # of several files names the file (``simulator.partition``).
        self.where = where
        self._complete = complete_history
        self._assumed = sorted((int(lo), int(hi)) for lo, hi in assume_registered)
        self._assumed_starts = [lo for lo, _ in self._assumed]
        self._ids = EventIdTable()  # every event id: its content hash and first line
        self._last: Last = None  # the event being replayed, as an entity's ``last``
        self._sims: dict[int, SimEntry] = {}
        self._eps: dict[int, EndpointEntry] = {}
        # SIMs whose ICCID an event gave, but that no event has replayed yet (mask 0).
        self._loose: dict[int, SimEntry] = {}
        self._sim_of: dict[int, int] = {}  # ICCID - ICCID_BASE -> first sim id seen with it
        self._workspaces: dict[int, int] = {}  # each workspace id as one shared int object
        # Registration ranges, sorted and disjoint: (first, last, workspace, event id, line, and
        # the event as a SIM's ``last``).
        self._ranges: list[tuple[int, int, int, int, int | None, Last]] = []
        self._range_starts: list[int] = []
        # SIM -> the 42/43/68 after which its next event must (or, if it only may have been in
        # Factory Test, may) be its auto-activation: (event id, line, type, certain).
        self._owed: dict[int, tuple[int, int | None, int, bool]] = {}

    def add(self, rule: str, event_id: int | None, line: int | None, message: str) -> None:
        """Report a finding: kept while its rule has fewer than ``max_findings``, else counted."""
        kept = self._kept.get(rule, 0)
        if kept < self._max_findings:
            self._kept[rule] = kept + 1
            self.findings.append(Finding(rule, event_id, line, message))
        else:
            self.omitted[rule] += 1

    def placed(self, last: Last) -> tuple[int | None, int | None]:
        """An entity's last event as (id, line)."""
        if last is None:
            return None, None
        if isinstance(last, tuple):
            return last
        return last, self._ids.line_of(last)

    def after(self, last: Last) -> str:
        """`` (after event 5 at line 9)`` for a message, or nothing when no event came before."""
        return "" if last is None else f" (after {self.where(*self.placed(last))})"

    def sim_views(self) -> Mapping[int, SimView]:
        """Every SIM replayed, each view made when asked (the table is not copied)."""
        return Views(self._sims, _sim_view)

    def endpoint_views(self) -> Mapping[int, EndpointView]:
        return Views(self._eps, _endpoint_view)

    def state(self) -> FleetState:
        """What replay knows now of every SIM and endpoint, in the shape the truth has."""
        return self.state_of()()

    def state_of(self) -> Callable[[], FleetState]:
        """``state`` for later: it holds the entity tables, not the rest of the replay (the
        table of event ids grows with the log), so a report can offer it at no cost."""
        return partial(build_state, self._sims, self._eps)

    def report_owed(self) -> None:
        """End of log: the auto-activations still owed for sure (``pending-auto-activation``)."""
        for sid, (eid, line, tid, certain) in self._owed.items():
            if not certain:
                continue  # it only may have been in Factory Test: nothing was owed
            self.add("pending-auto-activation", eid, line,
                     f"SIM {sid} was in Factory Test at {texts.type_name(tid)} on its endpoint; "
                     "the log ends before its auto-activation (8 from Policy Control)")
        self._owed.clear()

    def workspace(self, org: int) -> int:
        """``org`` as the one int object kept for that workspace."""
        return self._workspaces.setdefault(org, org)

    def carrier(self, sid: int) -> SimEntry:
        """The entry that keeps ``sid``'s ICCID: replayed, else loose (made if need be)."""
        s = self._sims.get(sid)
        if s is None:
            s = self._loose.get(sid)
            if s is None:
                s = self._loose[sid] = SimEntry(0, 0, UNKNOWN)
        return s

    def new_sim(self, sid: int, mask: int, org: int, ep: int | None, last: Last) -> SimEntry:
        """Replay ``sid`` from now on (with the ICCID an event may have given it already)."""
        s = self._loose.pop(sid, None) if self._loose else None
        if s is None:
            s = SimEntry(mask, self.workspace(org), ep, last)
        else:
            s.mask, s.org, s.ep, s.last = mask, self.workspace(org), ep, last
        self._sims[sid] = s
        return s

    def identity(self, sid: int, ic: int, eid: int, line: int | None,
                 together: Sequence[int]) -> None:
        """Record that ``sid`` carries ICCID ``ic``; ids in ``together`` may share one (seed)."""
        s = self.carrier(sid)
        key = ic - ICCID_BASE
        known = s.ick
        if known is None:
            s.ick = key
            owner = self._sim_of.setdefault(key, sid)
            if owner != sid and owner not in together:
                self.add("iccid-reuse", eid, line,
                         f"ICCID {ic} (first 19 digits) shows under SIM {sid}, "
                         f"and before under SIM {owner}")
        elif known != key:
            self.add("identity-change", eid, line,
                     f"SIM {sid} carries ICCID {ic} (first 19 digits), but it was "
                     f"{known + ICCID_BASE} before")
            s.ick = key
            s.ith = NO_TEXT  # the text last read gave the ICCID before
            self._sim_of.setdefault(key, sid)

    def registered_range(self, ic: int | None
                         ) -> tuple[int, int, int, int, int | None, Last] | None:
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
              line: int | None, *, arrives: bool = False) -> SimEntry | None:
        """The SIM an event is about, after the checks every §3 event makes; None if deleted.

        ``org`` is the workspace the event places the SIM in. ``arrives`` marks a target half
        seen before its source half: the SIM comes from a workspace this log may not show, so
        its workspace is not checked, and under ``--complete-history`` it may first appear so.
        """
        s = self._sims.get(sid)
        if s is None:
            found = self.registered_range(ic)
            if found is not None:
                s = self.new_sim(sid, ISSUED_MASK, found[2], None, found[5])
            else:
                s = self.new_sim(sid, _SIM_ALIVE, org, UNKNOWN, None)
                if self._complete and not arrives and not self._assumed_registered(ic):
                    self.add("registration-required", eid, line,
                             f"SIM {sid} appears before any registration covers its ICCID "
                             f"{ic if ic is not None else '(not given)'}")
        elif s.mask == DELETED_MASK:
            self.add("event-after-deletion", eid, line,
                     f"SIM {sid} was deleted by {self.where(*self.placed(s.last))}: "
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
                         f"({self.where(trigger, trigger_line)}) on its endpoint, so its next "
                         f"event must be its auto-activation (8 from Policy Control), "
                         f"not {texts.type_name(tid)}")
                # The platform auto-activates at once, but the log does not show it: go on
                # from either state, so one missing event does not become two findings.
                s.mask = _A | _FT
        if org != s.org and not arrives:
            self.add("workspace-mismatch", eid, line,
                     f"SIM {sid} belongs to workspace {s.org}, but {texts.type_name(tid)} places "
                     f"it in workspace {org} and no migration moved it")
            s.org = self.workspace(org)
        return s

    def migrate(self, s: SimEntry, sid: int, target: int, eid: int, line: int | None, *,
                arrives: bool = False) -> None:
        """Move a SIM to ``target``; an Activated or held SIM is suspended and released (§5).

        A SIM that ``arrives`` (see ``touch``) may have lived elsewhere since the log last saw
        it: it is in any state a migration leaves (not Activated), whatever it was here.
        """
        if arrives and s.last is not None:
            s.mask = _SIM_ALIVE
        elif s.mask == _A or held(s.ep):
            what = []
            if s.mask == _A:
                what.append("Activated with no 9 (suspension) logged")
            if held(s.ep):
                what.append(f"held by endpoint {s.ep} with no 50 (release) logged")
            self.add("migrated-while-active", eid, line,
                     f"SIM {sid} is migrated while " + " and ".join(what)
                     + "; suspended and released implicitly")
        if s.mask & _A:
            s.mask = (s.mask & ~_A) | _S
        self.unhold(s)
        s.org = self.workspace(target)
        s.last = self._last

    def endpoint(self, epid: int) -> EndpointEntry:
        e = self._eps.get(epid)
        if e is None:
            e = self._eps[epid] = EndpointEntry()
        return e

    def observe(self, s: SimEntry, sid: int, epid: int, eid: int, line: int | None) -> None:
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

    def hold(self, s: SimEntry, sid: int, e: EndpointEntry, epid: int) -> None:
        """Make ``e`` hold ``s``; former partners become unknown (our knowledge was wrong)."""
        held = s.ep
        if held is not None and held != UNKNOWN and held != epid:
            old = self._eps.get(held)
            if old is not None and old.sim == sid:
                old.sim = UNKNOWN
        held = e.sim
        if held is not None and held != UNKNOWN and held != sid:
            other = self._sims.get(held)
            if other is not None and other.ep == epid:
                other.ep = UNKNOWN
        s.ep = epid
        e.sim = self.kept_id(s, sid)

    def kept_id(self, s: SimEntry, sid: int) -> int:
        """``sid`` as the int object ``_sim_of`` keeps for it (the one ``_sims`` is keyed by, as
        both come from its first event), so that an endpoint that holds it adds no int."""
        if s.ick is not None:
            kept = self._sim_of.get(s.ick)
            if kept == sid:
                return kept
        return sid

    def unhold(self, s: SimEntry) -> None:
        """Release ``s`` from the endpoint replay knows holds it."""
        held = s.ep
        if held is not None and held != UNKNOWN:
            e = self._eps.get(held)
            if e is not None and e.sim != UNKNOWN:
                e.sim = None
        s.ep = None

    def _oblige(self, e: EndpointEntry, eid: int, line: int | None, tid: int) -> None:
        """A 42/43/68 on an endpoint: its Factory Test SIM owes an auto-activation (spec §4).

        A SIM that only may be in Factory Test loses that possibility at its next event, unless
        that event is the auto-activation: in a log that starts mid-life, 43 then 8 (Policy
        Control) is how a SIM first seen at the 43 shows it was in Factory Test.
        """
        sid = e.sim
        if sid is None or sid == UNKNOWN:
            return
        s = self._sims.get(sid)
        if s is None:
            return
        if s.mask & _FT:
            # Popped first, so the end of the log reports owed activations in the order of their
            # last trigger: the same order whichever partition of a log replays them.
            self._owed.pop(sid, None)
            self._owed[sid] = (eid, line, tid, s.mask == _FT)
