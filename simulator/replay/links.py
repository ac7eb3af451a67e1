"""What each event ties together, for splitting a log into parts that replay apart.

Replay judges an event against the history of its SIM, of that SIM's endpoint, and of what joins
them: an assignment (50/51, named in the description when the event does not carry both), any
event that shows a SIM and an endpoint, a migration (69) naming several SIMs, one ICCID under
two SIM ids (``iccid-reuse``), a deletion naming its SIM in the description, and a registration
batch (48) whose ICCID range holds SIMs seen anywhere in the log. ``LinkScan`` reads only those
ids (a small ``msgspec`` struct, about half of what ``orjson.loads`` costs; other forms are parsed
and normalised as replay would) and records, per line, one entity it is about (its *key*) and
the pairs of entities it ties. Linking more than replay needs is safe (a part is only larger);
linking less is not: every id that replay reads from an event is linked here.

Nodes are ints: ``sid << 2`` a SIM, ``endpoint << 2 | 1``, ``ICCID << 2 | 2`` (first 19 digits);
a registration range is the tuple ``("range", first, last)``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson
from msgspec import UNSET, Raw, UnsetType

from lifecycle.events import EnvelopeError, normalize
from simulator.replay import texts

SIM, ENDPOINT, ICCID = 0, 1, 2
NO_ID = -(1 << 63)  # ``ids`` of a line without an integer id in the signed 64-bit range
_MAX = (1 << 63) - 1
_PAIR_TEXTS = {50: texts.SIM_RELEASED, 51: texts.SIM_ASSIGNED}
_DETAIL_TYPES = (48, 69)


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
class ChunkLinks:
    """The first pass over a piece of a log. Per line (``lines``): the index in ``nodes`` of
    the entity it is about (-1: none), and its event id (``NO_ID``: none, or see ``odd_ids``).
    ``links`` pairs node indices that must replay together."""

    nodes: list[Any] = field(default_factory=list)
    links: set[tuple[int, int]] = field(default_factory=set)
    lines: array[int] = field(default_factory=lambda: array("q"))
    keys: array[int] = field(default_factory=lambda: array("i"))
    ids: array[int] = field(default_factory=lambda: array("q"))
    odd_ids: list[tuple[Any, int]] = field(default_factory=list)  # (id, line): beyond 64 bits
    ids_sorted: array[int] = field(default_factory=lambda: array("q"))  # ``ids`` but NO_ID
    ids_repeated: set[int] = field(default_factory=set)  # ids on more than one line here


class LinkScan:
    """Feed raw lines (``add_line``) or parsed records (``add_value``), then take ``result``."""

    def __init__(self) -> None:
        self.out = ChunkLinks()
        self._index: dict[Any, int] = {}

    def _node(self, code: Any) -> int:
        index = self._index.get(code)
        if index is None:
            index = self._index[code] = len(self.out.nodes)
            self.out.nodes.append(code)
        return index

    def add_line(self, raw: bytes, line: int) -> None:
        try:
            event = _decode(raw)
        except _REFUSED:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                self.add_free(line)  # not JSON: replay reports it and reads nothing more
                return
            self.add_value(value, line)
            return
        detail: Any = None
        tid = event.event_type.id
        if tid in _DETAIL_TYPES and event.detail:
            detail = orjson.loads(memoryview(event.detail))
            if type(detail) is not dict:  # a JSON-encoded string, or garbled: as replay reads it
                self.add_value(orjson.loads(raw), line)
                return
        sim, ep = event.sim, event.endpoint
        self._add(line, event.id, tid,
                  None if sim is UNSET else sim.id,
                  None if sim is UNSET else sim.iccid,
                  None if ep is UNSET else ep.id,
                  None if event.description is UNSET else event.description, detail)

    def add_value(self, value: Any, line: int) -> None:
        """A parsed event (a JSON array's element, or a line the fast struct refused)."""
        if type(value) is not dict:
            self.add_free(line)
            return
        try:
            value, _ = normalize(value)
        except EnvelopeError:
            self.add_free(line)  # malformed: replay reports it and keeps nothing of it
            return
        sim = value.get("sim")
        self._add(line, value["id"], value["event_type"]["id"], _ident(sim),
                  sim.get("iccid") if isinstance(sim, dict) else None,
                  _ident(value.get("endpoint")), value.get("description"), value.get("detail"))

    def add_free(self, line: int) -> None:
        """A line that is about nothing (blank, not JSON, malformed)."""
        out = self.out
        out.lines.append(line)
        out.keys.append(-1)
        out.ids.append(NO_ID)

    def _add(self, line: int, eid: Any, tid: Any, sid: int | None, iccid: Any,
             epid: int | None, text: Any, detail: Any) -> None:
        nodes: list[Any] = []
        if sid is not None:
            nodes.append(sid << 2)
            ic = _iccid(iccid)
            if ic is not None:
                nodes.append(ic << 2 | ICCID)
        if epid is not None:
            nodes.append(epid << 2 | ENDPOINT)
        if type(text) is str:
            pattern = _PAIR_TEXTS.get(tid)
            if pattern is not None:
                if (m := pattern.match(text)) is not None:
                    nodes += (int(m[1]) << 2, int(m[2]) << 2 | ENDPOINT)
            elif tid == 10:
                if (m := texts.SIM_DELETED.match(text)) is not None:
                    nodes += (int(m[1]) << 2, int(m[2][:19]) << 2 | ICCID)
            elif tid in (42, 43) and (m := texts.ENDPOINT_STATUS_CHANGE.match(text)) is not None:
                nodes.append(int(m[1]) << 2 | ENDPOINT)
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
                        nodes.append(ident << 2)
                        ic = _iccid(item.get("iccid"))
                        if ic is not None:
                            nodes.append(ic << 2 | ICCID)
        out = self.out
        out.lines.append(line)
        if type(eid) is int and NO_ID < eid <= _MAX:
            out.ids.append(eid)
        else:
            out.ids.append(NO_ID)
            out.odd_ids.append((eid, line))
        if not nodes:
            out.keys.append(-1)
            return
        node = self._node
        key = node(nodes[0])
        out.keys.append(key)
        for code in nodes[1:]:
            other = node(code)
            if other != key:
                out.links.add((key, other))

    def result(self) -> ChunkLinks:
        out = self.out
        ids = sorted(out.ids)
        out.ids_sorted = array("q", ids[bisect_right(ids, NO_ID):])
        prev = NO_ID
        for eid in out.ids_sorted:
            if eid == prev:
                out.ids_repeated.add(eid)
            prev = eid
        return out
