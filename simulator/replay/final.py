"""What a log lets replay know of every SIM and device, at its end or at a moment.

The answer key an integration test compares its consumer with (``simlife state``): a status where
the log decides it, the possible ones where it does not, workspace and holder likewise. Replay
judges the log on the way; its findings stay on the ``Replay`` (``simlife validate`` shows them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from lifecycle.events import EnvelopeError, canonical_timestamp
from lifecycle.state import FleetState
from simulator.io import InputError, Malformed, given_records, open_log
from simulator.replay.core import Replay

DATE_LENGTH = len("2025-01-31")


def parse_at(value: str) -> str:
    """``--at``: a timestamp in canonical form; a date alone means the end of that day.

    >>> parse_at("2025-01-31"), parse_at("2025-01-31T08:00:00+01:00")
    ('2025-01-31T23:59:59.999Z', '2025-01-31T07:00:00.000Z')
    """
    text = value.strip()
    if len(text) == DATE_LENGTH:
        text += "T23:59:59.999Z"
    try:
        return canonical_timestamp(text)[0]
    except EnvelopeError:
        raise InputError(f"--at {value!r} is not a date or an ISO date-time, e.g. 2025-01-31 "
                         "or 2025-01-31T08:00:00Z") from None


def _after(event: Any, at: str) -> bool:
    """Is this event later than ``at``? (An event without a readable time is not.)"""
    stamp = event.get("timestamp") if type(event) is dict else None
    if type(stamp) is not str:
        return False
    try:
        return canonical_timestamp(stamp)[0] > at
    except EnvelopeError:
        return False


def replay_events(records: Iterable[tuple[Any, int | None] | Malformed], *,
                  at: str | None = None) -> Replay:
    """A finished replay of ``(value, line)`` records in ascending time, up to ``at``."""
    replay = Replay()
    for record in records:
        if isinstance(record, Malformed):
            replay.malformed(record.line, record.message)
            continue
        value, line = record
        if at is not None and _after(value, at):
            break  # ascending: every later event is later still
        replay.feed(value, line)
    replay.finish()
    return replay


def final_state(events: Iterable[dict[str, Any] | bytes | str], *,
                at: str | None = None) -> FleetState:
    """The state a log in ascending time leaves (``at``: a canonical timestamp to stop after).

    Each item is a parsed event or the JSON text of one, as ``validate`` takes them.

    >>> from simulator.platform import generate
    >>> state = final_state(generate(sims=5, seed=1))
    >>> sorted({s.status for s in state.sims} - {None})  # doctest: +SKIP
    ['Activated', 'Issued']
    """

    return replay_events(given_records(events), at=at).state()


def replay_path(path: str | os.PathLike[str], *, at: str | None = None) -> Replay:
    """A finished replay of a log file (any order, gzip, ``-`` for standard input) up to ``at``;
    InputError when it cannot be read."""
    with open_log(path) as log:
        return replay_events(log, at=at)


def state_path(path: str | os.PathLike[str], *, at: str | None = None) -> FleetState:
    """``final_state`` of a log file; see ``replay_path``."""
    return replay_path(path, at=at).state()
