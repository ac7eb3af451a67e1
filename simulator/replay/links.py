"""What each event ties together, for splitting a log into parts that replay apart.

Replay judges an event against the history of its SIM, of that SIM's endpoint, and of what joins
them: an assignment (50/51, named in the description when the event does not carry both), any
event that shows a SIM and an endpoint, a migration (69) naming several SIMs, one ICCID under
two SIM ids (``iccid-reuse``), a deletion naming its SIM in the description, and a registration
batch (48) whose ICCID range holds SIMs seen anywhere in the log. ``LinkScan`` reads only those
ids (a small ``msgspec`` struct, about a third of what ``orjson.loads`` costs; other forms are
parsed and normalised as replay reads them) and records, per line, the SIM it is about (or
another entity), and what ties SIMs together. Linking more than replay needs is safe (a part is
only larger); linking less is not: every id that replay reads from an event is linked here.

Most of a log is events about one SIM and its endpoint, so ties are kept SIM-centred: the first
SIM seen with each endpoint and each ICCID (``endpoint_sim``, ``iccid_sim``), and a pair of SIMs
only when a second one meets the same endpoint or ICCID, or a migration names several. Entities
other than SIMs that an event is about are nodes: ``("endpoint", id)``, a registration range
``("range", first, last)`` (ICCIDs, first 19 digits).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import eq
from typing import Any

import msgspec
import orjson
from msgspec import UNSET, Raw, UnsetType

from lifecycle.events import EnvelopeError, normalize
from simulator.replay import texts

NO_ID = -(1 << 63)  # ``ids`` of a line without an integer id in the signed 64-bit range
NOT_A_SIM = -(1 << 63)  # ``sims`` of a line about another entity (``others``) or none
_MAX = (1 << 63) - 1
_PAIR_TEXTS = {50: texts.SIM_RELEASED, 51: texts.SIM_ASSIGNED}
_DETAIL_TYPES = frozenset((48, 69))  # ids in ``detail``
# The description names the endpoint that an event lacks (spec §4): 42/43 its id (group 1),
# 50/51 the SIM and the endpoint (groups 1 and 2).
_NAMED_ENDPOINT = {42: texts.ENDPOINT_STATUS_CHANGE, 43: texts.ENDPOINT_STATUS_CHANGE,
                   50: texts.SIM_RELEASED, 51: texts.SIM_ASSIGNED}


class _Ref(msgspec.Struct, gc=False):
    id: int


class _Sim(msgspec.Struct, gc=False):
    id: int
    iccid: str | UnsetType = UNSET


class _Ids(msgspec.Struct, gc=False):
    """The part of an event that links entities; unknown keys are skipped unread."""

    id: int
    event_type: _Ref
    sim: _Sim | UnsetType = UNSET
    endpoint: _Ref | UnsetType = UNSET
    description: str | UnsetType = UNSET
    detail: Raw = Raw(b"")


_decode = msgspec.json.Decoder(_Ids).decode
_REFUSED = (msgspec.ValidationError, msgspec.DecodeError)


def _iccid(text: Any) -> int | None:
    if type(text) is str and len(text) >= 19 and text.isdigit():
        return int(text[:19])
    return None


def _ident(obj: Any) -> int | None:
    if isinstance(obj, dict):
        ident = obj.get("id")
        if type(ident) is int:
            return ident
    return None


@dataclass(slots=True)
class Ascent:
    """Do the timestamps of a piece ascend? Its first and last, to join pieces in file order."""

    ascending: bool = True
    first: bytes | None = None
    last: bytes | None = None

    def add(self, stamps: list[bytes]) -> None:
        if not stamps:
            return
        if (self.last is not None and stamps[0] < self.last) or stamps != sorted(stamps):
            self.ascending = False
        if self.first is None:
            self.first = stamps[0]
        self.last = stamps[-1]


@dataclass(slots=True)
class ChunkLinks:
    """The first pass over a piece of a log.

    Per line (``lines``): the SIM it is about (``sims``; ``NOT_A_SIM``: see ``others``, else
    about nothing) and its event id (``ids``; ``NO_ID``: none, or see ``odd_ids``).
    """

    lines: array[int] = field(default_factory=lambda: array("q"))
    sims: array[int] = field(default_factory=lambda: array("q"))
    ids: array[int] = field(default_factory=lambda: array("q"))
    others: dict[int, Any] = field(default_factory=dict)  # line index -> node (not a SIM)
    odd_sims: dict[int, int] = field(default_factory=dict)  # line index -> SIM beyond 64 bits
    odd_ids: list[tuple[Any, int]] = field(default_factory=list)  # (id, line index)
    endpoint_sim: dict[int, int] = field(default_factory=dict)  # endpoint -> first SIM with it
    iccid_sim: dict[int, int] = field(default_factory=dict)  # ICCID -> first SIM with it
    sim_pairs: set[tuple[int, int]] = field(default_factory=set)  # SIMs that replay together
    node_links: set[tuple[Any, Any]] = field(default_factory=set)  # a node and a SIM or node
    id_range: tuple[int, int] | None = None  # the least and greatest of ``ids`` (but NO_ID)
    counts: dict[int, int] = field(default_factory=dict)  # lines per SIM of ``sims``
    order: Ascent = field(default_factory=lambda: Ascent())  # timestamps, for a byte range


    def key(self, i: int) -> Any:
        """The entity of line ``i`` of the piece: a SIM id, a node, or None."""
        sid = self.sims[i]
        if sid != NOT_A_SIM:
            return sid
        return self.others.get(i, self.odd_sims.get(i))


class LinkScan:
    """Feed raw lines (``add_lines``) or parsed records (``add_value``), then take ``result``."""

    def __init__(self, *, numbered: bool = True) -> None:
        """``numbered=False``: the lines are 1, 2, ... of a piece, not kept in ``lines``."""
        self.out = ChunkLinks()
        self._numbered = numbered
        self._iccid_text: dict[str, int] = {}  # sim.iccid text -> the SIM it was last seen with
        self._ids: list[int] = []  # ``out.ids`` and ``out.sims`` while scanning (lists append
        self._sims: list[int] = []  # faster than arrays)

    def add_lines(self, lines: Sequence[bytes], numbers: Sequence[int]) -> None:
        """Raw lines and their line numbers (the hot loop of the first pass)."""
        out = self.out
        if self._numbered:
            out.lines.extend(numbers)
        endpoint_sim, iccid_text = out.endpoint_sim, self._iccid_text
        ids, sims = self._ids.append, self._sims.append
        decode, refused, unset = _decode, _REFUSED, UNSET
        whole, named = _DETAIL_TYPES, _NAMED_ENDPOINT
        for raw in lines:
            try:
                event = decode(raw)
            except refused:
                self._other(raw)
                continue
            sim, ep = event.sim, event.endpoint
            tid = event.event_type.id
            if sim is unset or tid in whole:
                self._decoded(event, raw)
                continue
            sid, eid = sim.id, event.id
            if ep is unset:
                epid = None
                if tid in named:  # the endpoint is in the description (spec §4)
                    text = event.description
                    m = named[tid].match(text) if type(text) is str else None
                    if m is None or (tid > 43 and int(m[1]) != sid):
                        self._decoded(event, raw)
                        continue
                    epid = int(m[2] if tid > 43 else m[1])
            else:
                epid = ep.id
            if not (NO_ID < eid <= _MAX and NOT_A_SIM < sid <= _MAX):
                self._decoded(event, raw)
                continue
            # The common case, an event about one SIM (and maybe its endpoint).
            ids(eid)
            sims(sid)
            iccid = sim.iccid
            if iccid is not unset and iccid_text.get(iccid) != sid:
                iccid_text[iccid] = sid
                self._sim_iccid(sid, iccid)
            if epid is not None and endpoint_sim.get(epid) != sid:
                self._sim_endpoint(sid, epid)

    def _sim_iccid(self, sid: int, text: Any) -> None:
        ic = _iccid(text)
        if ic is not None:
            first = self.out.iccid_sim.setdefault(ic, sid)
            if first != sid:
                self.out.sim_pairs.add((first, sid))

    def _sim_endpoint(self, sid: int, epid: int) -> None:
        first = self.out.endpoint_sim.setdefault(epid, sid)
        if first != sid:
            self.out.sim_pairs.add((first, sid))

    def _other(self, raw: bytes) -> None:
        """A line the small struct refuses: parsed (and normalised) as replay would."""
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self._free()  # not JSON: replay reports it and reads nothing more
            return
        self._value(value)

    def _decoded(self, event: _Ids, raw: bytes) -> None:
        tid = event.event_type.id
        detail: Any = None
        if tid in _DETAIL_TYPES and event.detail:
            detail = orjson.loads(memoryview(event.detail))
            if type(detail) is not dict:  # a JSON-encoded string, or garbled: as replay reads it
                self._value(orjson.loads(raw))
                return
        sim, ep = event.sim, event.endpoint
        self._add(event.id, tid,
                  None if sim is UNSET else sim.id,
                  None if sim is UNSET else sim.iccid,
                  None if ep is UNSET else ep.id,
                  None if event.description is UNSET else event.description, detail)

    def add_value(self, value: Any, line: int) -> None:
        """A parsed event (a JSON array's element) and its line."""
        self.out.lines.append(line)
        self._value(value)

    def _value(self, value: Any) -> None:
        if type(value) is not dict:
            self._free()
            return
        try:
            value, _ = normalize(value)
        except EnvelopeError:
            self._free()  # malformed: replay reports it and keeps nothing of it
            return
        sim = value.get("sim")
        self._add(value["id"], value["event_type"]["id"], _ident(sim),
                  sim.get("iccid") if isinstance(sim, dict) else None,
                  _ident(value.get("endpoint")), value.get("description"), value.get("detail"))

    def add_free(self, line: int) -> None:
        """A line about nothing (blank, not JSON, malformed): any partition may replay it."""
        self.out.lines.append(line)
        self._free()

    def _free(self) -> None:
        self._ids.append(NO_ID)
        self._sims.append(NOT_A_SIM)

    def _add(self, eid: Any, tid: Any, sid: int | None, iccid: Any, epid: int | None,
             text: Any, detail: Any) -> None:
        """Any event: the SIMs, endpoints, ICCIDs and ranges it names, tied together."""
        sims: list[int] = []
        nodes: list[Any] = []  # SIM ids as ints, other entities as tuples
        if sid is not None:
            sims.append(sid)
            if iccid is not None:
                ic = _iccid(iccid)
                if ic is not None:
                    nodes.append(("iccid", ic))
        if epid is not None:
            nodes.append(("endpoint", epid))
        if type(text) is str:  # ids replay reads from the description when the event lacks them
            pattern = _PAIR_TEXTS.get(tid)
            if pattern is not None:
                if (sid is None or epid is None) and (m := pattern.match(text)) is not None:
                    sims.append(int(m[1]))
                    nodes.append(("endpoint", int(m[2])))
            elif tid == 10:
                if sid is None and (m := texts.SIM_DELETED.match(text)) is not None:
                    sims.append(int(m[1]))
                    nodes.append(("iccid", int(m[2][:19])))
            elif (tid in (42, 43) and epid is None
                  and (m := texts.ENDPOINT_STATUS_CHANGE.match(text)) is not None):
                nodes.append(("endpoint", int(m[1])))
        if isinstance(detail, dict):
            if tid == 48:
                batch = detail.get("sim_batch")
                if isinstance(batch, dict):
                    lo, hi = _iccid(batch.get("first_iccid")), _iccid(batch.get("last_iccid"))
                    if lo is not None and hi is not None and lo <= hi:
                        nodes.append(("range", lo, hi))
            elif tid == 69 and isinstance(detail.get("sims"), list):
                for item in detail["sims"]:
                    ident = _ident(item)
                    if ident is not None:
                        sims.append(ident)
                        ic = _iccid(item.get("iccid"))
                        if ic is not None:
                            nodes.append(("iccid", ic))
        out = self.out
        at = len(self._ids)
        if type(eid) is int and NO_ID < eid <= _MAX:
            self._ids.append(eid)
        else:
            self._ids.append(NO_ID)
            out.odd_ids.append((eid, at))
        if sims:
            key: Any = sims[0]
            if NOT_A_SIM < key <= _MAX:
                self._sims.append(key)
            else:
                self._sims.append(NOT_A_SIM)
                out.odd_sims[at] = key
            for other in sims[1:]:
                if other != key:
                    out.sim_pairs.add((key, other))
        elif nodes:
            key = nodes.pop(0)
            self._sims.append(NOT_A_SIM)
            out.others[at] = key
        else:
            self._sims.append(NOT_A_SIM)
            return
        for node in nodes:
            kind = node[0]
            if type(key) is int and kind == "endpoint":
                self._sim_endpoint(key, node[1])
            elif type(key) is int and kind == "iccid":
                first = out.iccid_sim.setdefault(node[1], key)
                if first != key:
                    out.sim_pairs.add((first, key))
            else:
                out.node_links.add((key, node))

    def result(self) -> ChunkLinks:
        """The piece's links; lines of the piece that share an id are linked here (an id node
        when a line is about nothing else), so the plan only joins ids across pieces."""
        out = self.out
        out.ids, out.sims = array("q", self._ids), array("q", self._sims)
        out.counts = Counter(self._sims)
        out.counts.pop(NOT_A_SIM, None)
        self._ids = self._sims = []
        ordered = sorted(out.ids)
        del ordered[:bisect_right(ordered, NO_ID)]
        if ordered:
            out.id_range = (ordered[0], ordered[-1])
        repeated = set(compress(ordered[1:], map(eq, ordered[1:], ordered[:-1])))  # in C
        del ordered
        if repeated:
            first: dict[int, Any] = {}
            for i in compress(range(len(out.ids)), map(repeated.__contains__, out.ids)):
                eid = out.ids[i]
                key = out.key(i)
                if key is None:
                    key = out.others[i] = ("id", eid)
                seen = first.setdefault(eid, key)
                if seen != key:
                    out.node_links.add((seen, key))
        return out

