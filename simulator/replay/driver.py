"""Validating recorded logs from Python: the library behind ``simlife validate``.

``validate`` takes events already in replay order (dicts, or JSON text per event);
``validate_path`` reads a file or standard input through ``simulator.io.logs``, which detects the
order (ascending, descending, neither) and streams the events with bounded memory.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import orjson

from lifecycle.rules import Finding
from simulator.io import (
    Batch,
    Limits,
    Malformed,
    Record,
    given_records,
    line_stamp,
    not_json,
    open_log,
)
from simulator.replay import decode as envelope_decoder
from simulator.replay.report import Report, at_elements, with_entities
from simulator.replay.state import MAX_FINDINGS

PROGRESS_EVERY = 1 << 16  # events between two calls of a progress callback
# The event types a finding of the end of the log names: the endpoint status change or reset
# after which an auto-activation is owed, a migration half left unpaired.
_NAMED_AT_THE_END = frozenset({42, 43, 68, 69})
DEFAULT_LIMITS = Limits()


class ReplayLike(Protocol):
    """The part of ``simulator.replay.core.Replay`` that validation drives."""

    findings: list[Finding]
    omitted: Counter[str]  # rule -> findings past the cap, counted but not kept
    events: int

    @property
    def counts_by_type(self) -> Counter[int]: ...

    def feed(self, event: Any, line: int | None) -> None: ...
    def malformed(self, line: int | None, message: str) -> None: ...
    def finish(self) -> None: ...
    def sim_views(self) -> Mapping[int, Any]: ...
    def endpoint_views(self) -> Mapping[int, Any]: ...


def _new_replay(
    complete_history: bool, assume_registered: Sequence[tuple[int, int]], max_findings: int
) -> ReplayLike:
    from simulator.replay.core import Replay  # imported late: tests may substitute a fake

    return Replay(complete_history=complete_history, assume_registered=assume_registered,
                  max_findings=max_findings)


class Run:
    """Feeds one replay and files each new finding under the entity of the event that caused it."""

    def __init__(self, complete_history: bool, assume_registered: Sequence[tuple[int, int]],
                 progress: Callable[[int], None] | None,
                 max_findings: int = MAX_FINDINGS, replay: ReplayLike | None = None) -> None:
        if max_findings < 0:
            raise ValueError(f"max_findings must not be negative, not {max_findings}")
        self.max_findings = max_findings
        self.replay = replay or _new_replay(complete_history, tuple(assume_registered),
                                            max_findings)
        self.findings: list[Finding] = []
        self._seen = 0  # replay findings already copied
        self._progress = progress
        self._count = 0
        self._elements: dict[tuple[Any, int | None], int] = {}  # see feed_elements

    def feed(self, event: Any, line: int | None) -> None:
        replay = self.replay
        replay.feed(event, line)
        if len(replay.findings) > self._seen:
            self.findings.extend(with_entities(replay.findings[self._seen:], event))
            self._seen = len(replay.findings)
        self._count += 1
        if self._progress is not None and not self._count % PROGRESS_EVERY:
            self._progress(self._count)

    def malformed(self, line: int | None, message: str) -> None:
        replay = self.replay
        replay.malformed(line, message)
        self.findings.extend(replay.findings[self._seen:])  # about no entity: filed under "log"
        self._seen = len(replay.findings)
        self._count += 1

    def feed_batches(self, batches: Iterable[Batch],
                     recall: Callable[[int], bytes | None] | None,
                     ascending: bool = False, *, rereadable: bool = False) -> bool:
        """``feed`` and ``malformed`` for raw lines, in one loop: the hot path of validation.

        Given ``recall`` (lines can be read again), a replay that takes it
        (``Replay.use_source``) also gets each line's bytes, so a repeated delivery is
        recognised by a hash of its bytes, and gets canonical lines decoded by msgspec
        (``simulator.replay.decode``), the others parsed by orjson (``Replay.feed``). Without
        it every line is parsed by orjson and compared by value. ``rereadable``: ``recall``
        never fails (a file read by offsets), so replay may keep fewer hashes
        (``Replay.use_source``).
        ``ascending``: check that the timestamps do not go back, and stop at the first line that
        does (returns False); else returns True. A line is ordered by its timestamp as pass 1 of
        ``simulator.io.logs`` reads it (``line_stamp``), or, when msgspec read one of canonical
        form, by that: the same stamp wherever ``line_stamp`` finds one, so a log found
        ascending here is ascending for pass 1 too.
        """
        replay = self.replay
        use_source = getattr(replay, "use_source", None) if recall is not None else None
        feed: Callable[..., None] = replay.feed
        decode: Callable[[bytes], Any] = orjson.loads
        refused: tuple[type[Exception], ...] = ()
        if use_source is not None and recall is not None:
            use_source(recall, rereadable=rereadable)
            decode, refused = envelope_decoder.decode, envelope_decoder.REFUSED
        else:
            def feed(value: Any, line: int, raw: bytes, feed: Any = replay.feed) -> None:
                feed(value, line)
        findings, mine = replay.findings, self.findings
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        progress, every = self._progress, PROGRESS_EVERY
        stamp_of, last, envelope = line_stamp, "", envelope_decoder.Envelope
        for lines, numbers in batches:
            seen, count = self._seen, self._count
            for raw, line in zip(lines, numbers, strict=True):
                try:
                    try:
                        value = decode(raw)
                    except refused:  # not the canonical envelope: the parsed dict reports it
                        value = loads(raw)
                except decode_error as exc:
                    if not raw or raw.isspace():
                        continue  # a blank line
                    self._seen, self._count = seen, count
                    self.malformed(line, not_json(exc))
                    seen, count = self._seen, self._count
                    continue
                if ascending:
                    if (type(value) is envelope and len(stamp := value.timestamp) == 24
                            and stamp[10] == "T" and stamp[23] == "Z" and stamp.isascii()):
                        pass  # canonical form: what line_stamp gives, without reading the line
                    elif (read := stamp_of(raw)) is not None:
                        stamp = read.decode()
                    else:
                        stamp = last
                    if stamp < last:
                        self._seen, self._count = seen, count
                        return False
                    last = stamp
                feed(value, line, raw)
                count += 1
                if len(findings) != seen:
                    parsed = value if type(value) is dict else loads(raw)  # not an Envelope
                    mine.extend(with_entities(findings[seen:], parsed))
                    seen = len(findings)
            if progress is not None:
                for k in range(self._count // every + 1, count // every + 1):
                    progress(k * every)
            self._seen, self._count = seen, count
        return True

    def feed_elements(self, elements: Iterable[tuple[Record, int]]) -> None:
        """``feed`` and ``malformed`` for a JSON array's records, each finding placed at its
        element; those of the end of the log (``finish``) at the element of the event they
        name (``_elements``: its (id, line), kept only for the types such a finding names)."""
        mine = self.findings
        for record, index in elements:
            before = len(mine)
            if isinstance(record, Malformed):
                self.malformed(record.line, record.message)
            else:
                value, line = record
                self.feed(value, line)
                if type(value) is dict:
                    kind = value.get("event_type")
                    if (kind.get("id") if type(kind) is dict else kind) in _NAMED_AT_THE_END:
                        self._elements.setdefault((value.get("id"), line), index)
            if len(mine) != before:
                mine[before:] = at_elements(mine[before:], index)

    def collect(self) -> list[Finding]:
        """The findings so far, with those replay made outside ``feed`` (at the end of a log),
        each of an array's placed at the element of the event it names."""
        late = self.replay.findings[self._seen:]
        if self._elements:
            late = [f if (at := self._elements.get((f.event_id, f.line))) is None
                    else at_elements([f], at)[0] for f in late]
        self.findings.extend(late)
        self._seen = len(self.replay.findings)
        return self.findings

    def element_of(self, event_id: int | None, line: int | None) -> int | None:
        """The array element of the event with this id at this line (None: not an array's)."""
        return self._elements.get((event_id, line)) if self._elements else None

    def finish(self, strict: bool, source: str | None, order: str,
               extra: Iterable[Finding] = ()) -> Report:
        replay = self.replay
        replay.finish()
        self.collect()
        return Report(
            events=replay.events,
            findings=[*extra, *self.findings],
            omitted=Counter(replay.omitted),
            max_findings=self.max_findings,
            counts_by_type=Counter(replay.counts_by_type),
            strict=strict,
            source=source,
            order=order,
            sims=sorted(replay.sim_views()),  # one list of the ids, not a list and a copy
            endpoints=sorted(replay.endpoint_views()),
            # Another ReplayLike (a test's fake) may not offer one: the report then has none.
            state_of=replay.state_of() if hasattr(replay, "state_of") else None,
        )


def validate(
    events: Iterable[dict[str, Any] | bytes | str],
    *,
    strict: bool = False,
    complete_history: bool = False,
    assume_registered: Sequence[tuple[int, int]] = (),
    max_findings: int = MAX_FINDINGS,
) -> Report:
    """Validate events that are already in ascending replay order; streams, holds no event.

    Each item is a parsed event or the JSON text of one (blank text is skipped); a finding's
    ``line`` is the item's 1-based position. Parsed dicts may be normalised in place.
    ``assume_registered`` lists ICCID ranges (first 19 digits, as ints) registered elsewhere.
    ``max_findings``: findings kept per rule; past it they are counted (``Report.omitted``).

    >>> report = validate(['{"id": 1}'])
    >>> report.conformant, report.findings[0].rule
    (False, 'malformed-event')
    """
    run = Run(complete_history, assume_registered, None, max_findings)
    for record in given_records(events):
        if isinstance(record, Malformed):
            run.malformed(record.line, record.message)
        else:
            run.feed(*record)
    return run.finish(strict, None, "given")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block, then restore it as it was.

    While a log streams through, replay's entity state only grows and each event's objects die
    young without cycles, so every collection the growth starts re-scans that state for nothing
    (about 10% of validation time). Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate_path(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    complete_history: bool = False,
    assume_registered: Sequence[tuple[int, int]] = (),
    progress: Callable[[int], None] | None = None,
    max_findings: int = MAX_FINDINGS,
    limits: Limits = DEFAULT_LIMITS,
) -> Report:
    """Validate a log file (``-``: standard input): JSON Lines or a JSON array, maybe gzipped.

    The order is detected (newest-first API pages are replayed reversed); a log in neither order
    is sorted and gets a ``time-order`` warning. JSON Lines are replayed in file order while they
    ascend, in one pass; at the first step back in time replay starts over after a pass that
    finds the order. Unreadable or binary input raises ``simulator.io.errors.InputError`` instead
    of a report. ``progress``, if given, is called with the number of events replayed so far
    every ``PROGRESS_EVERY`` events (from 0 again if replay starts over). The cyclic garbage
    collector is paused meanwhile (``collector_paused``). ``max_findings``: findings kept per
    rule (the rest are counted); ``limits``: what reading the log may take
    (``simulator.io.Limits``: temporary copy, largest event).

    >>> report = validate_path("tests/data/seed-examples.jsonl")  # from the repository root
    >>> report.order, report.events, report.source
    ('sorted', 13, 'tests/data/seed-examples.jsonl')
    """
    run = Run(complete_history, assume_registered, progress, max_findings)
    with open_log(path, scan=False, limits=limits) as log, collector_paused():
        stream = log.stream()  # JSON Lines: replayed in file order while they ascend
        if stream is not None:
            recall = log.line_at if log.recallable else None
            if run.feed_batches(stream, recall, ascending=True, rereadable=True):
                return run.finish(strict, log.name, str(log.order))
            run = Run(complete_history, assume_registered, progress, max_findings)  # again
        batches = log.batches()
        elements = log.elements()
        if batches is not None:
            run.feed_batches(batches, log.line_at if log.recallable else None, rereadable=True)
        elif elements is not None:
            run.feed_elements(elements)
        else:
            feed, malformed = run.feed, run.malformed
            for record in log:
                if isinstance(record, Malformed):
                    malformed(record.line, record.message)
                else:
                    feed(*record)
        extra = []
        if log.order_note is not None:
            extra.append(Finding("time-order", None, None, log.order_note, "log"))
        return run.finish(strict, log.name, str(log.order), extra)
