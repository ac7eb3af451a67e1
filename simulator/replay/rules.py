"""Replay's rules for each lifecycle event type (spec §3, §4, §6), over ``EntityState``.

One method per type: read what the event and its description say, check it against the
possible states, assignments and registrations, then move them on. Migration (69) is in
``migration``; the envelope, ids and dispatch in ``core``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from lifecycle.codes import EventType, SimStatus
from lifecycle.machines import SIM
from simulator.replay import texts as texts
from simulator.replay.state import (
    DELETED_MASK,
    EP_DEST,
    EP_FROM,
    EP_NEXT,
    ICCID_BASE,
    ISSUED_MASK,
    SIM_DEST,
    SIM_FROM,
    SIM_NEXT,
    UNKNOWN,
    EndpointEntry,
    EntityState,
    SimEntry,
    held,
    shown,
)

_SIM_UPPER: dict[int, str] = {int(s): s.upper for s in SimStatus}
_ACTIVATION = int(EventType.SIM_ACTIVATION)
_EP_DEST_LABEL = {key: texts.endpoint_states(mask) for key, mask in EP_DEST.items()}
# Per (type, source): the exact status texts it may carry -> the bit of their `from` state.
_STATUS_TEXTS: dict[tuple[int, int], dict[str, int]] = {
    key: {texts.sim_status_text(old, new): 1 << old for old, new in table.items()}
    for key, table in SIM.by_event.items()
}


class LifecycleRules(EntityState):
    """The per-type rules; ``Replay`` dispatches each lifecycle event to one of them."""

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
        if tid == _ACTIVATION and "detail" in event:
            self._check_transition_detail(event["detail"], key, eid, line)
        if sid is None:
            return
        s = self._sims.get(sid)
        if (s is None or s.mask == DELETED_MASK or s.org != org
                or (self._owed and sid in self._owed)):
            s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is None:
                return
        if epid is not None and (s.ep != epid or self._eps[epid].sim != sid):
            self.observe(s, sid, epid, eid, line)
        if from_bit > 0:
            if s.mask & from_bit:
                new_mask = SIM_NEXT[key][from_bit]
            else:
                self._illegal(sid, s, text, tid, from_bit, eid, line)
                new_mask = SIM_DEST[key]
        elif from_bit < 0:
            said = texts.SIM_STATUS_CHANGE.match(text)  # type: ignore[arg-type]
            self.add("illegal-transition", eid, line,
                     f"SIM {sid}: {shown(text, tid)}: {texts.type_name(tid)} never starts from "
                     f"{said[1] if said else '?'}, only from {texts.sim_states(SIM_FROM[key])}")
            new_mask = SIM_DEST[key]
        else:
            new_mask = SIM_NEXT[key][s.mask]
            if not new_mask:
                self._illegal(sid, s, text, tid, SIM_FROM[key], eid, line)
                new_mask = SIM_DEST[key]
        s.mask = new_mask
        s.last = self._last

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
        if not SIM_DEST[key] >> new & 1:
            self.add("description-mismatch", eid, line,
                     f"description {text!r} says the SIM became {m[2]}, but "
                     f"{texts.type_name(key[0])} leads to {texts.sim_states(SIM_DEST[key])}")
        return 1 << old if SIM_FROM[key] >> old & 1 else -1

    def _illegal(self, sid: int, s: SimEntry, text: Any, tid: int, needs: int, eid: int,
                 line: int | None) -> None:
        self.add("illegal-transition", eid, line,
                 f"SIM {sid}: {shown(text, tid)} needs the SIM {texts.sim_states(needs)}, but it "
                 f"can only be {texts.sim_states(s.mask)} here{self.after(s.last)}")

    def _check_transition_detail(self, detail: Any, key: tuple[int, int], eid: int,
                                 line: int | None) -> None:
        """``detail.transition.sim.status.from/to`` of an activation must fit the type."""
        try:
            status = detail["transition"]["sim"]["status"]
            ends = [status["from"], status["to"]]
        except (KeyError, TypeError):
            return
        allowed = (SIM_FROM[key], SIM_DEST[key])
        for end, name, mask in zip(ends, ("from", "to"), allowed, strict=True):
            ident = end.get("id") if isinstance(end, dict) else None
            text = end.get("description") if isinstance(end, dict) else None
            upper = _SIM_UPPER.get(ident) if type(ident) is int else None
            if upper is None or ident is None:
                problem = f"{name} {ident!r} is no SIM status"
            elif text is not None and text != upper:
                problem = f"{name} {ident} is {upper!r}, not {text!r}"
            elif not mask >> ident & 1:
                problem = (f"{name} {upper!r} does not fit "
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
        if held(s.ep):
            self.add("delete-while-assigned", eid, line,
                     f"SIM {sid} is deleted while endpoint {s.ep} holds it"
                     f"{self.after(s.last)}: release it first")
        self.unhold(s)
        new_mask = SIM_NEXT[(tid, src)][s.mask]
        s.mask = new_mask or DELETED_MASK
        s.last = self._last

    # ------------------------------------------------------------------ endpoints: 42, 43, 68

    def _on_endpoint_status(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                            sid: int | None, ic: int | None, epid: int | None,
                            line: int | None) -> None:
        key = (tid, src)
        text = event.get("description")
        if type(text) is str and (epid is None or text != texts.endpoint_status_text(
                epid, _EP_DEST_LABEL[key])):
            m = texts.ENDPOINT_STATUS_CHANGE.match(text)
            if m is not None:
                named = int(m[1])
                state = texts.ENDPOINT_STATUS_BY_LABEL.get(m[2])
                if state is None or not EP_DEST[key] >> state & 1:
                    self.add("description-mismatch", eid, line,
                             f"description says the endpoint changed to {m[2]}, but "
                             f"{texts.type_name(tid)} leads to "
                             f"{texts.endpoint_states(EP_DEST[key])}")
                epid = self._named("endpoint", named, epid, eid, line)
        if epid is None:
            return
        e = self._endpoint_with_sim(eid, tid, src, org, sid, ic, epid, line)
        new_mask = EP_NEXT[key][e.mask]
        if new_mask == 0:
            self.add("illegal-transition", eid, line,
                     f"Endpoint {epid}: {texts.type_name(tid)} needs it "
                     f"{texts.endpoint_states(EP_FROM[key])}, but it can only be "
                     f"{texts.endpoint_states(e.mask)} here{self.after(e.last)}")
            new_mask = EP_DEST[key]
        e.mask = new_mask
        e.last = self._last
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
                           ic: int | None, epid: int, line: int | None) -> EndpointEntry:
        e = self._eps.get(epid)
        if sid is not None:
            s = self._sims.get(sid)
            if (s is None or s.mask == DELETED_MASK or s.org != org
                    or (self._owed and sid in self._owed)):
                s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is not None and (s.ep != epid or e is None or e.sim != sid):
                self.observe(s, sid, epid, eid, line)
                e = self._eps[epid]
        if e is None:
            e = self._eps[epid] = EndpointEntry()
        return e

    # ------------------------------------------------------------------ assignment: 50, 51

    def _pair_from_text(self, pattern: Any, text: str, eid: int, sid: int | None,
                        epid: int | None, line: int | None) -> tuple[int | None, int | None]:
        """Read sim and endpoint from a 50/51 description (spec §4: it may be the only place)."""
        m = pattern.match(text)
        if m is not None:
            sid = self._named("SIM", int(m[1]), sid, eid, line)
            epid = self._named("endpoint", int(m[2]), epid, eid, line)
        return sid, epid

    def _named(self, kind: str, named: int, carried: int | None, eid: int,
               line: int | None) -> int:
        """The id an event carries, else the one its description names; a disagreement is a
        ``description-mismatch`` (the carried id wins)."""
        if carried is None:
            return named
        if named != carried:
            self.add("description-mismatch", eid, line,
                     f"description names {kind} {named}, but the event is about {kind} {carried}")
        return carried

    def _pair(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
              sid: int | None, ic: int | None, epid: int | None, line: int | None,
              pattern: re.Pattern[str], expected: Callable[[int, int], str],
              ) -> tuple[int, SimEntry, int, EndpointEntry] | None:
        """The SIM and endpoint of a 51 or 50, their ids read from the description when the
        event does not carry them (None: the pair is unknown, or the SIM cannot be replayed)."""
        text = event.get("description")
        if type(text) is str and (sid is None or epid is None or text != expected(sid, epid)):
            sid, epid = self._pair_from_text(pattern, text, eid, sid, epid, line)
        if sid is None or epid is None:
            return None
        s = self._sims.get(sid)
        if (s is None or s.mask == DELETED_MASK or s.org != org
                or (self._owed and sid in self._owed)):
            s = self.touch(sid, ic, org, eid, tid, src, line)
            if s is None:
                return None
        e = self._eps.get(epid)
        if e is None:
            e = self._eps[epid] = EndpointEntry()
        return sid, s, epid, e

    def _on_assign(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                   sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        pair = self._pair(event, eid, tid, src, org, sid, ic, epid, line, texts.SIM_ASSIGNED,
                          texts.sim_assigned_text)
        if pair is None:
            return
        sid, s, epid, e = pair
        if s.ep is not None and s.ep != UNKNOWN:
            holder = "it" if s.ep == epid else f"endpoint {s.ep}"
            self.add("double-assignment", eid, line,
                     f"SIM {sid} is assigned to endpoint {epid}, but {holder} already holds it"
                     f"{self.after(s.last)}")
            self.unhold(s)
        if e.sim is not None and e.sim != UNKNOWN and e.sim != sid:
            self.add("double-assignment", eid, line,
                     f"SIM {sid} is assigned to endpoint {epid}, but that endpoint already "
                     f"holds SIM {e.sim}{self.after(e.last)}")
            other = self._sims.get(e.sim)
            if other is not None:
                self.unhold(other)
        # ``hold`` would find nothing more to undo: neither holds another now.
        s.ep = epid
        e.sim = self.kept_id(s, sid)
        s.last = e.last = self._last

    def _on_release(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                    sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        pair = self._pair(event, eid, tid, src, org, sid, ic, epid, line, texts.SIM_RELEASED,
                          texts.sim_released_text)
        if pair is None:
            return
        sid, s, epid, e = pair
        if e.sim != UNKNOWN and e.sim != sid:
            holds = "no SIM" if e.sim is None else f"SIM {e.sim}"
            self.add("release-mismatch", eid, line,
                     f"SIM {sid} is released from endpoint {epid}, but that endpoint holds "
                     f"{holds}{self.after(e.last)}")
        elif s.ep != UNKNOWN and s.ep != epid:
            held_by = "no endpoint" if s.ep is None else f"endpoint {s.ep}"
            self.add("release-mismatch", eid, line,
                     f"SIM {sid} is released from endpoint {epid}, but {held_by} holds it"
                     f"{self.after(s.last)}")
        if s.ep != epid or e.sim != sid:  # else ``hold`` has nothing to undo
            self.hold(s, sid, e, epid)
        s.ep = e.sim = None
        s.last = e.last = self._last

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
                     f"{self.after(s.last)}: nothing returns to Issued")
        if span is not None:
            self._add_range(span, org, eid, sid, line)
        if sid is not None and sid not in self._sims:
            self.new_sim(sid, ISSUED_MASK, org, None, self._last)

    def _batch_span(self, event: dict[str, Any], batch: Any, eid: int, sid: int | None,
                    ic: int | None, line: int | None) -> tuple[int, int] | None:
        size = batch.get("batch_size") if isinstance(batch, dict) else None
        first = batch.get("first_iccid") if isinstance(batch, dict) else None
        last = batch.get("last_iccid") if isinstance(batch, dict) else None
        if (type(first) is str and type(last) is str
                and (texts.PLACEHOLDER.match(first) or texts.PLACEHOLDER.match(last))):
            self.add("lenient-format", eid, line,
                     f"detail.sim_batch: {first}..{last} holds a placeholder, as the platform's "
                     "documentation writes one: the batch's ICCIDs are unknown")
            return None
        if (type(size) is not int or type(first) is not str or type(last) is not str
                or not (first + last).isascii() or not first.isdigit()
                or not last.isdigit()):
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
                     f"{self.where(earlier[3], earlier[4])}: a SIM is registered once")
            return
        first, last = lo - ICCID_BASE, hi - ICCID_BASE  # as ``_sim_of`` keys them
        if hi - lo < len(self._sim_of):
            known = [self._sim_of[c] for c in range(first, last + 1) if c in self._sim_of]
        else:
            known = [k for c, k in self._sim_of.items() if first <= c <= last]
        known = sorted(k for k in known if k != sid and k in self._sims)
        if known:
            listed = ", ".join(str(k) for k in known[:5]) + (" ..." if len(known) > 5 else "")
            self.add("illegal-transition", eid, line,
                     f"the batch {lo}..{hi} registers SIM(s) the log knows already: {listed}")
        self._ranges.insert(i, (lo, hi, self.workspace(org), eid, line, self._last))
        self._range_starts.insert(i, lo)
