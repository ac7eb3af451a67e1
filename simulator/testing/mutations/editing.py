"""Building a corrupted copy: fresh ids, drawn positions, and the edits several operators make.

Operators never change their input: these return new lists that share the unchanged events.
"""

from __future__ import annotations

import random
from typing import Any

from lifecycle.codes import luhn_digit
from simulator.testing.mutations.reading import Log, endpoint_of, sim_of, type_of


def fresh_id(log: Log, rng: random.Random) -> int:
    taken = {e["id"] for e in log if isinstance(e, dict) and isinstance(e.get("id"), int)}
    while True:
        ident = rng.randrange(1, 2**62)
        if ident not in taken:
            return ident


def fresh_endpoint(log: Log, rng: random.Random) -> int:
    seen = [e for ev in log if isinstance(ev, dict) and (e := endpoint_of(ev)) is not None]
    return max(seen, default=1_000_000) + rng.randrange(1, 1000)


def a_user(log: Log) -> dict[str, Any]:
    for event in log:
        if isinstance(event.get("user"), dict):
            return dict(event["user"])
    return {"id": 1, "name": "Mutation", "username": "mutation@example.com"}


def code(table: dict[int, str], ident: int) -> dict[str, Any]:
    return {"id": ident, "description": table[ident]}


def with_sims_of(log: Log, kind: int) -> list[int]:
    """Indices of the events of type ``kind`` that name a SIM."""
    return [i for i, e in enumerate(log) if type_of(e) == kind and sim_of(e)]


def pick(rng: random.Random, candidates: list[Any]) -> Any:
    return rng.choice(candidates) if candidates else None


def replaced(log: Log, index: int, event: Any) -> Log:
    out = list(log)
    out[index] = event
    return out


def inserted(log: Log, index: int, event: Any) -> Log:
    return [*log[:index], event, *log[index:]]


def dropped(log: Log, index: int) -> Log:
    return [*log[:index], *log[index + 1:]]


def drop_one(log: Log, rng: random.Random, candidates: list[int]) -> Log | None:
    """Drop one of ``candidates``; None when there is none."""
    i = pick(rng, candidates)
    return None if i is None else dropped(log, i)


def with_iccid(iccid: str, body: str) -> str:
    """``body`` (19 digits) in the form of ``iccid``: with its Luhn digit when that had one."""
    return body + luhn_digit(body) if len(iccid) == 20 else body


def name_endpoint(event: dict[str, Any], verb: str, endpoint: int) -> None:
    """Make a 50/51 (a copy) name ``endpoint``, in its description and its ``endpoint`` key."""
    event["description"] = f"SIM {event['sim']['id']} {verb} endpoint {endpoint}"
    if isinstance(event.get("endpoint"), dict):
        event["endpoint"]["id"] = endpoint
