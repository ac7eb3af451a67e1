"""Migration pairing for replay (spec §5): two events 69 that share one id.

The first half seen moves the SIMs; the second is only compared with it. Only halves still waiting
for a partner are kept (plus, per completed pair, the second half's content hash and line so that
a repeat delivery of it is recognised); at the end of the log a lone half is an error when the log
holds the other workspace, and a warning when it does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import Any, NamedTuple

from lifecycle.codes import EventType, luhn_digit
from lifecycle.rules import Finding
from simulator.replay import texts as texts
from simulator.replay.ids import EventIdTable
from simulator.replay.state import EntityState

_MIGRATION = int(EventType.SIM_MIGRATION)
_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")  # 2d, less 9 when above 9


def luhn_digit_fast(digits: str) -> str:
    """``lifecycle.codes.luhn_digit`` in a few C calls instead of a Python step per digit."""
    if not digits.isascii():
        return luhn_digit(digits)
    rev = digits.encode()[::-1]
    total = sum(rev[0::2].translate(_DOUBLED)) + sum(rev[1::2]) - 48 * len(rev)
    return str(-total % 10)


class _MigratedSim(NamedTuple):
    id: int
    iccid: str  # as given; compared on its first 19 digits (or a placeholder: ``<iccid>``)
    source: int  # source_workspace.id
    with_luhn: str | None

    @property
    def ic(self) -> int | None:
        """The ICCID's first 19 digits, or None for a placeholder."""
        return int(self.iccid[:19]) if self.iccid.isdigit() else None


class _Half(NamedTuple):
    kind: str  # "source" or "target"
    timestamp: str  # canonical, so it compares as text
    org: int
    target: int
    sims: frozenset[tuple[int, int, int]]  # (id, ICCID first 19 digits, source workspace)
    sources: frozenset[int]
    event_id: int
    line: int | None


def _kind(event: dict[str, Any]) -> str | None:
    detail = event.get("detail")
    kind = detail.get("type") if isinstance(detail, dict) else None
    return kind if kind in ("source", "target") else None


def _parse(detail: Any) -> tuple[str, int, list[_MigratedSim]] | None:
    """``(type, target workspace, sims)`` of a migration detail, or None when it is garbled."""
    if not isinstance(detail, dict):
        return None
    kind = detail.get("type")
    target = detail.get("target_workspace")
    target_id = target.get("id") if isinstance(target, dict) else None
    listed = detail.get("sims")
    if kind not in ("source", "target") or type(target_id) is not int or type(listed) is not list:
        return None
    sims: list[_MigratedSim] = []
    for item in listed:
        if not isinstance(item, dict):
            return None
        ident, iccid = item.get("id"), item.get("iccid")
        workspace = item.get("source_workspace")
        source = workspace.get("id") if isinstance(workspace, dict) else None
        with_luhn = item.get("iccid_with_luhn")
        if (type(ident) is not int or type(iccid) is not str
                or not ((iccid.isascii() and iccid.isdigit() and len(iccid) >= 19)
                         or texts.PLACEHOLDER.match(iccid))
                or type(source) is not int
                or (with_luhn is not None and type(with_luhn) is not str)):
            return None
        sims.append(_MigratedSim(ident, iccid, source, with_luhn))
    return kind, target_id, sims


class Migrations:
    """The pending halves of a replay, keyed by event id."""

    def __init__(self, replay: EntityState, orgs: set[int]) -> None:
        self._replay = replay
        self._orgs = orgs  # every workspace the log holds events of, filled as it streams
        self._pending: dict[int, _Half] = {}
        # event id -> content hash and line of the second half (a table like the one of all
        # ids: a migration's halves mostly complete in the order of their ids)
        self._paired = EventIdTable()

    def paired_digest(self, event_id: int) -> int | None:
        return self._paired.get(event_id) if self._paired else None

    def paired_line(self, event_id: int) -> int | None:
        return self._paired.line_of(event_id) if self._paired else None

    def would_pair(self, event_id: int, event: dict[str, Any], first_line: int | None) -> bool:
        """Would this 69 complete the pending half with its id, which is at ``first_line``?"""
        pending = self._pending.get(event_id)
        if pending is None or first_line is None or pending.line != first_line:
            return False
        kind = _kind(event)
        return kind is not None and pending.kind != kind and self.paired_digest(event_id) is None

    def completes_pair(self, event_id: int, event: dict[str, Any], digest: int,
                       line: int | None = None) -> bool:
        """Is this 69 the other half of a pending one with its id? (Then the id is no reuse.)"""
        pending = self._pending.get(event_id)
        kind = _kind(event)
        if (pending is None or kind is None or pending.kind == kind
                or self.paired_digest(event_id) is not None):
            return False
        self._paired.setdefault(event_id, digest, -1 if line is None else line)
        return True

    def on_event(self, event: dict[str, Any], eid: int, tid: int, src: int, org: int,
                 sid: int | None, ic: int | None, epid: int | None, line: int | None) -> None:
        replay = self._replay
        parsed = _parse(event.get("detail"))
        if parsed is None:
            replay.add("description-mismatch", eid, line,
                       "a migration needs detail.type (source|target), detail.target_workspace.id "
                       "and detail.sims[{id, iccid, source_workspace{id}}]")
            return
        kind, target, sims = parsed
        sources = frozenset(m.source for m in sims)
        self._check_half(event, kind, org, target, sources, eid, line)
        half = _Half(kind, event["timestamp"], org, target,
                     frozenset((m.id, -1 if m.ic is None else m.ic, m.source) for m in sims),
                     sources, eid, line)
        if self.paired_digest(eid) is not None:
            first = self._pending.pop(eid, None)
            if first is not None:
                self._compare(first, half)
                return
        elif eid not in self._pending:
            self._pending[eid] = half
        # A target half before any source half: the SIMs come from a workspace this log may not
        # hold (spec §5: a log of one workspace holds one half), or not all of.
        self._move(target, sims, eid, src, line, arrives=kind == "target")

    def _check_half(self, event: dict[str, Any], kind: str, org: int, target: int,
                    sources: frozenset[int], eid: int, line: int | None) -> None:
        replay = self._replay
        if kind == "source":
            others = sorted(sources - {org})
            if others:
                replay.add("migration-pair", eid, line,
                           f"the source half is in workspace {org}, but its SIMs come from "
                           f"workspace {', '.join(map(str, others))}")
        elif org != target:
            replay.add("migration-pair", eid, line,
                       f"the target half is in workspace {org}, but detail.target_workspace.id "
                       f"is {target}")
        text = event.get("description")
        if type(text) is not str:
            return
        came_from = texts.MIGRATED_FROM.match(text)
        went_to = texts.MIGRATED_TO.match(text)
        problem = None
        if kind == "source" and came_from is not None:
            if (int(came_from[1]), int(came_from[2])) != (org, target):
                problem = (f"it names workspaces {came_from[1]} -> {came_from[2]}, but the event "
                           f"moves SIMs from workspace {org} to {target}")
        elif kind == "target" and went_to is not None:
            if int(went_to[1]) != target:
                problem = f"it names workspace {went_to[1]}, but the target is {target}"
        elif came_from is not None or went_to is not None:
            problem = f"it is worded for the other half, but detail.type is {kind!r}"
        if problem is not None:
            replay.add("description-mismatch", eid, line, f"migration description: {problem}")

    def _compare(self, first: _Half, second: _Half) -> None:
        source, target = (first, second) if first.kind == "source" else (second, first)
        problems = []
        if first.sims != second.sims:
            problems.append("they list different SIMs")
        if first.target != second.target:
            problems.append(f"the target workspace is {source.target} in the source half but "
                            f"{target.target} in the target half")
        if target.timestamp < source.timestamp:
            problems.append(f"the target half ({target.timestamp}) is earlier than the source "
                            f"half ({source.timestamp})")
        if problems:
            self._replay.add("migration-pair", second.event_id, second.line,
                             f"the halves of migration {second.event_id} disagree: "
                             + "; ".join(problems)
                             + f" (first half: {self._replay.where(first.event_id, first.line)})")

    def _move(self, target: int, sims: list[_MigratedSim], eid: int, src: int,
              line: int | None, *, arrives: bool) -> None:
        replay = self._replay
        together = [m.id for m in sims]
        for m in sims:
            ic = m.ic
            if ic is None:
                replay.add("lenient-format", eid, line,
                           f"SIM {m.id}: detail.sims[].iccid {m.iccid!r} is a placeholder, as "
                           "the platform's documentation writes one: not used to identify it")
            elif m.with_luhn is not None and not texts.PLACEHOLDER.match(m.with_luhn):
                wanted = m.iccid[:19] + luhn_digit_fast(m.iccid[:19])
                if m.with_luhn != wanted:
                    replay.add("luhn", eid, line,
                               f"SIM {m.id}: iccid_with_luhn is {m.with_luhn}, but iccid "
                               f"{m.iccid} with its check digit is {wanted}")
            if ic is not None:
                replay.identity(m.id, ic, eid, line, together)
            s = replay.touch(m.id, ic, m.source, eid, _MIGRATION, src, line, arrives=arrives)
            if s is not None:
                replay.migrate(s, m.id, target, eid, line, arrives=arrives)

    def take_unpaired(self) -> list[UnpairedHalf]:
        """The halves whose partner never came, in the order they came; forgotten here."""
        unpaired = [
            UnpairedHalf(eid, half.kind, half.line,
                         frozenset({half.target}) if half.kind == "source" else half.sources)
            for eid, half in self._pending.items()]
        self._pending.clear()
        return unpaired

    def finish(self) -> None:
        """Report the halves whose partner never came (spec §5)."""
        for f in judge_unpaired(self.take_unpaired(), self._orgs):
            self._replay.add(f.rule, f.event_id, f.line, f.message)  # under the cap per rule


class UnpairedHalf(NamedTuple):
    """A migration half whose partner is not in the log; ``others``: the workspaces of the
    missing half (the target of a source half, the sources of a target half)."""

    event_id: int
    kind: str
    line: int | None
    others: frozenset[int]


def judge_unpaired(halves: Iterable[UnpairedHalf], orgs: Set[int]) -> list[Finding]:
    """A lone half is an error when the log holds a workspace of the other half (``orgs``: every
    workspace the log holds events of), else a warning: a log of one workspace holds one half."""
    out = []
    for half in halves:
        present = sorted(half.others & orgs)
        if present:
            out.append(Finding("migration-pair", half.event_id, half.line,
                               f"only the {half.kind} half of migration {half.event_id} is in the "
                               f"log, though the log holds workspace "
                               f"{', '.join(map(str, present))} where the other half belongs"))
        else:
            out.append(Finding("orphan-migration-half", half.event_id, half.line,
                               f"only the {half.kind} half of migration {half.event_id}: expected "
                               "in a log of one workspace"))
    return out
