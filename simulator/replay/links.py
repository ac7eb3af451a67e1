"""What each event ties together, for splitting a log into parts that replay apart.

Replay judges an event against the history of its SIM, of that SIM's endpoint, and of what joins
them: an assignment (50/51, named in the description when the event does not carry both), any
event that shows a SIM and an endpoint, a migration (69) naming several SIMs, one ICCID under
two SIM ids (``iccid-reuse``), a deletion naming its SIM in the description, and a registration
batch (48) whose ICCID range holds SIMs seen anywhere in the log. ``LinkScan`` reads only those
ids (a small ``msgspec`` struct; other forms are parsed and normalised as replay reads them) and
records, per line, the SIM it is about (or another entity), and what ties SIMs together. Linking
more than replay needs is safe (a part is only larger); linking less is not: every id that
replay reads from an event is linked here.

Most of a log is events about one SIM and its endpoint, so ties are kept SIM-centred: the least
SIM seen with each endpoint and each ICCID (``endpoint_sim``, ``iccid_sim``), and a pair of SIMs
only when another one meets the same endpoint or ICCID, or a migration names several. What is
met is gathered in sets, so the result does not depend on the order of the lines. Entities other
than SIMs that an event is about are nodes: ``("endpoint", id)``, a registration range
``("range", first, last)`` (ICCIDs, first 19 digits).

The hot path (``add_block``) decodes a whole block in one call (msgspec's ``decode_lines``) where
every line is one object on a line of its own (``_lines_of``), with no line split and no call per
line; a line that the batch refuses is read alone, as ``add_lines`` reads every line of a block
that is not of that form. Both give the same result (a property test holds them equal).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress
from operator import attrgetter, eq, itemgetter, ne, not_
from typing import Any

import msgspec
import orjson
from msgspec import UNSET, Raw, UnsetType

from lifecycle.codes import EventType
from lifecycle.events import EnvelopeError, id_of, normalize
from simulator.io import block_stamps
from simulator.replay import texts

NO_ID = -(1 << 63)  # ``ids`` of a line without an integer id in the signed 64-bit range
NOT_A_SIM = -(1 << 63)  # ``sims`` of a line about another entity (``others``) or none
_MAX = (1 << 63) - 1
_DELETION, _REGISTRATION, _MIGRATION = (int(EventType.SIM_DELETION),
                                         int(EventType.SIM_REGISTRATION),
                                         int(EventType.SIM_MIGRATION))
_ENDPOINT_STATUS = (int(EventType.ENDPOINT_ENABLED), int(EventType.ENDPOINT_DISABLED))
_PAIR_TEXTS = {int(EventType.SIM_RELEASED): texts.SIM_RELEASED,
               int(EventType.SIM_ASSIGNED): texts.SIM_ASSIGNED}
_DETAIL_TYPES = frozenset((_REGISTRATION, _MIGRATION))  # ids in ``detail``
# The description names the endpoint that an event lacks (spec §4): 42/43 its id (group 1),
# 50/51 the SIM and the endpoint (groups 1 and 2).
_NAMED_ENDPOINT = {**dict.fromkeys(_ENDPOINT_STATUS, texts.ENDPOINT_STATUS_CHANGE), **_PAIR_TEXTS}
_NAMED_TYPES = frozenset(_NAMED_ENDPOINT)


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


_DECODER = msgspec.json.Decoder(_Ids)
_decode, _decode_lines = _DECODER.decode, _DECODER.decode_lines
_REFUSED = (msgspec.ValidationError, msgspec.DecodeError)
# Where msgspec says a batch failed: the element (``$[12]``) or the byte (``(byte 345)``).
_AT_ELEMENT = re.compile(r"`\$\[(\d+)\]")
_AT_BYTE = re.compile(r"\(byte (\d+)\)")
_ID, _TYPE, _SIM, _ENDPOINT = (attrgetter("id"), attrgetter("event_type.id"),
                                attrgetter("sim"), attrgetter("endpoint"))


def _iccid(text: Any) -> int | None:
    if type(text) is str and len(text) >= 19 and text.isdecimal():
        return int(text[:19])
    return None


# One match per line end: the next line's timestamp where the line ends with ``}`` and the next
# one starts as the platform writes it (``{"timestamp":"...Z"``), else nothing.
_LINE_END = re.compile(rb'\n(?:(?<=\}\n)\{"timestamp":"(.{10}T.{8}\..{3}Z)")?')
_HEAD = re.compile(rb'\{"timestamp":"(.{10}T.{8}\..{3}Z)"')


def _lines_of(block: bytes) -> tuple[int, list[int], list[bytes] | None]:
    """The number of lines of a block, the lines that may not be one JSON object alone on its
    line, and their timestamps (None unless every line starts as the platform writes it).

    A line that starts with ``{"timestamp":"`` and ends with ``}`` holds one object and no more,
    if it parses: after a closing ``}`` inside a value only ``,`` ``}`` ``]`` may follow, never
    ``{``, and a string cannot hold a raw line end. So a run of such lines decoded in one call
    (``decode_lines``) that yields as many values as lines yields each line's own value.
    """
    ends = block.endswith(b"\n")
    found: list[bytes] = _LINE_END.findall(block)
    n = len(found) + (not ends)
    if ends:
        found.pop()  # the end of the last line: no line follows it
    odd = []
    head = _HEAD.match(block)
    if head is None:
        odd.append(0)
    if not block.rstrip(b"\n").endswith(b"}"):
        odd.append(n - 1)
    if b"" in found:  # a line ending otherwise, or the next starting otherwise (or blank)
        odd.extend(chain.from_iterable((i, i + 1) for i in compress(range(len(found)),
                                                                      map(not_, found))))
    if odd or head is None:
        return n, sorted(set(odd)), None
    found.insert(0, head[1])
    return n, odd, found


class _Met:
    """Which SIMs each key (an endpoint, an ICCID) was met with, whatever the order: the last
    one met (``last``) and every other one (``before``), kept in C where it can be."""

    __slots__ = ("before", "last")

    def __init__(self) -> None:
        self.last: dict[Any, Any] = {}
        self.before: set[tuple[Any, Any]] = set()

    def add(self, key: Any, sid: Any) -> None:
        old = self.last.get(key, sid)
        if old != sid:
            self.before.add((key, old))
        self.last[key] = sid

    def add_columns(self, keys: list[Any], sids: list[Any]) -> None:
        """``add`` for each pair of two columns, in order."""
        block = dict(zip(keys, sids, strict=True))  # each key's last SIM in the columns
        if len(block) < len(keys):  # a key met twice: with another SIM too?
            self.before.update(compress(zip(keys, sids, strict=True),
                                        map(ne, sids, map(block.__getitem__, keys))))
        last = self.last
        olds = list(map(last.get, block, block.values()))
        if olds != list(block.values()):
            self.before.update(compress(zip(block, olds, strict=True),
                                        map(ne, olds, block.values())))
        last.update(block)

    def least(self, pairs: set[tuple[Any, Any]]) -> dict[Any, Any]:
        """The least SIM met with each key; each other SIM met with it paired with that one."""
        least = dict(self.last)
        if self.before:
            several: dict[Any, set[Any]] = {}
            for key, sid in self.before:
                several.setdefault(key, {least[key]}).add(sid)
            for key, sids in several.items():
                low = least[key] = min(sids)
                pairs.update((low, sid) for sid in sids if sid != low)
        return least


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
    endpoint_sim: dict[int, int] = field(default_factory=dict)  # endpoint -> least SIM with it
    iccid_sim: dict[int, int] = field(default_factory=dict)  # ICCID -> least SIM with it
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


class _Block:
    """A block's lines, split only if a line must be read alone, and where each starts."""

    def __init__(self, data: bytes, lines: Sequence[bytes] | None, n: int) -> None:
        self.data, self.n = data, n
        self._lines = lines
        self._starts: list[int] | None = None

    @property
    def lines(self) -> Sequence[bytes]:
        if self._lines is None:
            lines = self.data.split(b"\n")
            if self.data.endswith(b"\n"):
                lines.pop()
            self._lines = lines
        return self._lines

    def start(self, i: int) -> int:
        """The offset of line ``i`` (of the end, for ``i`` = the number of lines)."""
        if self._starts is None:
            self._starts = [0, *accumulate(len(line) + 1 for line in self.lines)]
        return self._starts[i]


_MAX_MISSES = 16  # lines a batch may refuse before the rest of its block is read line by line
_FIRST_19 = itemgetter(slice(None, 19))


def _fault(exc: Exception, data: bytes, start: int) -> int | None:
    """The line (from ``start``) where a batch decode failed, as msgspec reports it."""
    text = str(exc)
    if isinstance(exc, msgspec.ValidationError) and (m := _AT_ELEMENT.search(text)):
        return int(m[1])
    if (m := _AT_BYTE.search(text)) is not None:
        return data.count(b"\n", start, start + int(m[1]))
    return None


def _described(event: _Ids, tid: int, sid: int) -> int | None:
    """The endpoint a 42/43/50/51 without one names in its description (50/51: with its own
    SIM), or None."""
    text = event.description
    m = _NAMED_ENDPOINT[tid].match(text) if type(text) is str else None
    if m is None or (tid > 43 and int(m[1]) != sid):
        return None
    return int(m[2] if tid > 43 else m[1])


class LinkScan:
    """Feed blocks (``add_block``), raw lines (``add_lines``) or parsed records
    (``add_value``, ``add_free``), then take ``result``."""

    def __init__(self, *, numbered: bool = True, batched: bool = True) -> None:
        """``numbered=False``: the lines are 1, 2, ... of a piece, not kept in ``lines``.
        ``batched=False``: every line read alone (what the batches are tested against)."""
        self.out = ChunkLinks()
        self._numbered = numbered
        self._batched = batched
        self._ids: list[int] = []  # ``out.ids`` and ``out.sims`` while scanning (lists append
        self._sims: list[int] = []  # faster than arrays)
        self._endpoints = _Met()  # endpoint -> SIMs
        self._iccids = _Met()  # ICCID (first 19 digits) -> SIMs
        self._iccid_texts = _Met()  # sim.iccid as written -> SIMs

    # ------------------------------------------------------------------ raw lines

    def add_block(self, data: bytes) -> None:
        """The next lines of a byte range (``numbered=False``), ending at a line end or at the
        range's end, and whether their timestamps still ascend (``out.order``): the hot path of
        the first pass."""
        if not data:
            return
        n, odd, stamps = _lines_of(data)
        self._block(_Block(data, None, n), odd)
        order = self.out.order
        if order.ascending:
            order.add(stamps if stamps is not None else block_stamps(data))

    def add_lines(self, lines: Sequence[bytes], numbers: Sequence[int]) -> None:
        """Raw lines and their line numbers."""
        if self._numbered:
            self.out.lines.extend(numbers)
        data = b"\n".join(lines) if len(lines) > 1 else b""
        n, odd, _ = _lines_of(data) if data else (0, [], None)
        if n == len(lines):  # not so if the last line is blank
            self._block(_Block(data, lines, n), odd)
        else:
            self._each(_Block(data, lines, len(lines)), 0, len(lines))

    def _block(self, block: _Block, odd: list[int]) -> None:
        """The runs of lines between the ``odd`` ones decoded in one call each; those read
        alone."""
        n = block.n
        if not self._batched or len(odd) > n // 4:  # not worth the runs
            self._each(block, 0, n)
            return
        view, lo = memoryview(block.data), 0
        for i in [*odd, n]:
            if i > lo:
                self._run(view, block, lo, i)
            if i < n:
                self._each(block, i, i + 1)
            lo = i + 1

    def _run(self, view: memoryview, block: _Block, lo: int, hi: int) -> None:
        """Lines ``lo`` to ``hi`` of a block, each one object alone on its line (``_lines_of``):
        decoded in one call; a line that the call refuses is read alone, and the rest again."""
        misses = 0
        while lo < hi:
            start = block.start(lo) if lo else 0
            end = block.start(hi) if hi < block.n else len(view)
            try:
                events = _decode_lines(view[start:end])
            except _REFUSED as exc:
                bad = _fault(exc, block.data, start) if misses < _MAX_MISSES else None
                if bad is None or not 0 <= bad < hi - lo:
                    break
                misses += 1
                # A malformed line may show only where the next one begins: read both alone.
                first = lo + max(bad - isinstance(exc, msgspec.DecodeError), 0)
                if first > lo:
                    self._run(view, block, lo, first)
                self._each(block, first, lo + bad + 1)
                lo += bad + 1
                continue
            if len(events) == hi - lo:
                self._take(events, block, lo)
                return
            break  # more values than lines: a line holds two
        self._each(block, lo, hi)

    def _take(self, events: list[_Ids], block: _Block, first: int) -> None:
        """Decoded lines ``first``... of a block: the hot loop. The common case is an event
        about one SIM (and maybe its endpoint, maybe named in the description, spec §4); any
        other is read as ``_event`` reads it. This is ``_event`` and ``_Met.add`` inlined, the
        one place where the first pass repeats itself: no calls for the common line."""
        ids, sims = self._ids.append, self._sims.append
        endpoints, endpoints_before = self._endpoints.last, self._endpoints.before
        iccids, iccids_before = self._iccid_texts.last, self._iccid_texts.before
        unset, whole, named = UNSET, _DETAIL_TYPES, _NAMED_ENDPOINT
        for i, event in enumerate(events, first):
            sim, ep = event.sim, event.endpoint
            tid = event.event_type.id
            if sim is unset or tid in whole:
                self._decoded(self._slot(), event, block, i)
                continue
            sid, eid = sim.id, event.id
            if ep is unset:
                epid = None
                if tid in named:
                    epid = _described(event, tid, sid)
                    if epid is None:
                        self._decoded(self._slot(), event, block, i)
                        continue
            else:
                epid = ep.id
            if not (NO_ID < eid <= _MAX and NOT_A_SIM < sid <= _MAX):
                self._decoded(self._slot(), event, block, i)
                continue
            ids(eid)
            sims(sid)
            iccid = sim.iccid
            if iccid is not unset and (last := iccids.get(iccid)) != sid:  # ``_Met.add``
                if last is not None:
                    iccids_before.add((iccid, last))
                iccids[iccid] = sid
            if epid is not None and (last := endpoints.get(epid)) != sid:
                if last is not None:
                    endpoints_before.add((epid, last))
                endpoints[epid] = sid

    def _each(self, block: _Block, lo: int, hi: int) -> None:
        """Lines ``lo`` to ``hi`` of a block, one at a time."""
        for i in range(lo, hi):
            raw = block.lines[i]
            at = self._slot()
            try:
                event = _decode(raw)
            except _REFUSED:
                self._other(at, raw)
                continue
            self._event(at, event, block, i)

    def _event(self, at: int, event: _Ids, block: _Block, i: int) -> None:
        """A decoded line: the common case is an event about one SIM (and maybe its
        endpoint, maybe named in the description, spec §4)."""
        sim, ep = event.sim, event.endpoint
        tid = event.event_type.id
        if sim is UNSET or tid in _DETAIL_TYPES:
            self._decoded(at, event, block, i)
            return
        sid, eid = sim.id, event.id
        if ep is UNSET:
            epid = None
            if tid in _NAMED_ENDPOINT:
                epid = _described(event, tid, sid)
                if epid is None:
                    self._decoded(at, event, block, i)
                    return
        else:
            epid = ep.id
        if not (NO_ID < eid <= _MAX and NOT_A_SIM < sid <= _MAX):
            self._decoded(at, event, block, i)
            return
        self._ids[at], self._sims[at] = eid, sid
        if sim.iccid is not UNSET:
            self._iccid_texts.add(sim.iccid, sid)
        if epid is not None:
            self._endpoints.add(epid, sid)

    def _other(self, at: int, raw: bytes) -> None:
        """A line the small struct refuses: parsed (and normalised) as replay would."""
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return  # not JSON: replay reports it and reads nothing more
        self._value(at, value)

    def _decoded(self, at: int, event: _Ids, block: _Block, i: int) -> None:
        tid = event.event_type.id
        detail: Any = None
        if tid in _DETAIL_TYPES and event.detail:
            try:  # msgspec keeps ``detail`` raw, unchecked: it may not be UTF-8
                detail = orjson.loads(memoryview(event.detail))
            except orjson.JSONDecodeError:
                self._other(at, block.lines[i])
                return
            if type(detail) is not dict:  # a JSON-encoded string, or garbled: as replay reads it
                self._other(at, block.lines[i])
                return
        sim, ep = event.sim, event.endpoint
        self._add(at, event.id, tid,
                  None if sim is UNSET else sim.id,
                  None if sim is UNSET else sim.iccid,
                  None if ep is UNSET else ep.id,
                  None if event.description is UNSET else event.description, detail)

    # ------------------------------------------------------------------ parsed records

    def add_value(self, value: Any, line: int) -> None:
        """A parsed event (a JSON array's element) and its line."""
        self.out.lines.append(line)
        self._value(self._slot(), value)

    def add_free(self, line: int) -> None:
        """A line about nothing (blank, not JSON, malformed): any partition may replay it."""
        self.out.lines.append(line)
        self._slot()

    def _slot(self) -> int:
        """The next line's place, about nothing until its ids are read (alone)."""
        self._ids.append(NO_ID)
        self._sims.append(NOT_A_SIM)
        return len(self._ids) - 1

    def _value(self, at: int, value: Any) -> None:
        if type(value) is not dict:
            return
        try:
            value, _ = normalize(value)
        except EnvelopeError:
            return  # malformed: replay reports it and keeps nothing of it
        sim = value.get("sim")
        self._add(at, value["id"], value["event_type"]["id"], id_of(sim),
                  sim.get("iccid") if isinstance(sim, dict) else None,
                  id_of(value.get("endpoint")), value.get("description"), value.get("detail"))

    def _add(self, at: int, eid: Any, tid: Any, sid: int | None, iccid: Any,
             epid: int | None, text: Any, detail: Any) -> None:
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
            elif tid == _DELETION:
                if sid is None and (m := texts.SIM_DELETED.match(text)) is not None:
                    sims.append(int(m[1]))
                    nodes.append(("iccid", int(m[2][:19])))
            elif (tid in _ENDPOINT_STATUS and epid is None
                  and (m := texts.ENDPOINT_STATUS_CHANGE.match(text)) is not None):
                nodes.append(("endpoint", int(m[1])))
        if isinstance(detail, dict):
            if tid == _REGISTRATION:
                batch = detail.get("sim_batch")
                if isinstance(batch, dict):
                    lo, hi = _iccid(batch.get("first_iccid")), _iccid(batch.get("last_iccid"))
                    if lo is not None and hi is not None and lo <= hi:
                        nodes.append(("range", lo, hi))
            elif tid == _MIGRATION and isinstance(detail.get("sims"), list):
                for item in detail["sims"]:
                    ident = id_of(item)
                    if ident is not None:
                        sims.append(ident)
                        ic = _iccid(item.get("iccid"))
                        if ic is not None:
                            nodes.append(("iccid", ic))
        out = self.out
        if type(eid) is int and NO_ID < eid <= _MAX:
            self._ids[at] = eid
        else:
            out.odd_ids.append((eid, at))
        if sims:
            key: Any = sims[0]
            if NOT_A_SIM < key <= _MAX:
                self._sims[at] = key
            else:
                out.odd_sims[at] = key
            for other in sims[1:]:
                if other != key:
                    out.sim_pairs.add((key, other))
        elif nodes:
            key = nodes.pop(0)
            out.others[at] = key
        else:
            return
        for node in nodes:
            kind = node[0]
            if type(key) is int and kind == "endpoint":
                self._endpoints.add(node[1], key)
            elif type(key) is int and kind == "iccid":
                self._iccids.add(node[1], key)
            else:
                out.node_links.add((key, node))

    # ------------------------------------------------------------------ the result

    def result(self) -> ChunkLinks:
        """The piece's links; lines of the piece that share an id are linked here (an id node
        when a line is about nothing else), so the plan only joins ids across pieces."""
        out = self.out
        out.ids, out.sims = array("q", self._ids), array("q", self._sims)
        out.counts = Counter(self._sims)
        out.counts.pop(NOT_A_SIM, None)
        self._ids = self._sims = []
        self._read_iccids()
        out.endpoint_sim = self._endpoints.least(out.sim_pairs)
        out.iccid_sim = self._iccids.least(out.sim_pairs)
        self._endpoints, self._iccids = _Met(), _Met()
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

    def _read_iccids(self) -> None:
        """``sim.iccid`` as written -> the ICCID (first 19 digits); in C when all are digits."""
        met, self._iccid_texts = self._iccid_texts, _Met()
        written = list(met.last)
        if written and all(map(str.isdecimal, written)) and min(map(len, written)) >= 19:
            self._iccids.add_columns(list(map(int, map(_FIRST_19, written))),
                                     list(met.last.values()))
            pairs: Any = met.before
        else:
            pairs = [*met.last.items(), *met.before]
        for text, sid in pairs:
            ic = _iccid(text)
            if ic is not None:
                self._iccids.add(ic, sid)
