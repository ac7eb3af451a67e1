"""Assignment corruptions: a SIM held twice, released or shown on the wrong endpoint, deleted
while assigned.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Collection

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, SEVERITY_DESCRIPTIONS, SOURCE_DESCRIPTIONS
from simulator.testing.mutations.editing import (
    a_user,
    code,
    fresh_endpoint,
    fresh_id,
    inserted,
    name_endpoint,
    pick,
    replaced,
    with_sims_of,
)
from simulator.testing.mutations.reading import (
    STATUS_TYPES,
    Log,
    T,
    endpoint_of,
    facts,
    sim_of,
    type_of,
)


def assign_held_sim(log: Log, rng: random.Random) -> Log | None:
    """Right after a SIM is assigned, assign it again to another endpoint."""
    i = pick(rng, with_sims_of(log, T.SIM_ASSIGNED))
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    other = fresh_endpoint(log, rng)
    event["id"] = fresh_id(log, rng)
    name_endpoint(event, "assigned to", other)
    return inserted(log, i + 1, event)


def release_from_wrong_endpoint(log: Log, rng: random.Random) -> Log | None:
    """Release a SIM from an endpoint other than the one the log shows holding it."""
    return _moved(log, rng, _naming_holder(log, {T.SIM_RELEASED}), "released from")


def delete_assigned_sim(log: Log, rng: random.Random) -> Log | None:
    """Right after a SIM is assigned, delete it."""
    i = pick(rng, with_sims_of(log, T.SIM_ASSIGNED))
    if i is None:
        return None
    assigned = log[i]
    user = assigned.get("user") or a_user(log)
    sim = copy.deepcopy(assigned["sim"])
    deletion = {
        "timestamp": assigned["timestamp"],
        "alert": False,
        "description": f"SIM {sim['id']} ({sim['iccid']}) has been deleted by {user['username']}",
        "id": fresh_id(log, rng),
        "event_type": code(EVENT_TYPE_DESCRIPTIONS, 10),
        "event_source": code(SOURCE_DESCRIPTIONS, 2),
        "event_severity": code(SEVERITY_DESCRIPTIONS, 0),
        "organisation": assigned["organisation"],
        "user": user,
        "sim": sim,
    }
    return inserted(log, i + 1, deletion)


def show_wrong_holder(log: Log, rng: random.Random) -> Log | None:
    """Show a held SIM's status change on another endpoint than the one holding it."""
    candidates = [
        i for i in _naming_holder(log, STATUS_TYPES) if isinstance(log[i].get("endpoint"), dict)
    ]
    return _moved(log, rng, candidates, None)


def _naming_holder(log: Log, kinds: Collection[int]) -> list[int]:
    """Events of ``kinds`` that name the endpoint the log has shown holding their SIM."""
    known = facts(log).before
    return [
        i for i, e in enumerate(log)
        if type_of(e) in kinds and (s := sim_of(e)) is not None
        and known[i][s].shows_holder(endpoint_of(e))
    ]


def _moved(log: Log, rng: random.Random, candidates: list[int], verb: str | None) -> Log | None:
    """One of ``candidates`` on a fresh endpoint; given a 50/51's ``verb``, its text says so too."""
    i = pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    other = fresh_endpoint(log, rng)
    if verb is None:
        event["endpoint"]["id"] = other
    else:
        name_endpoint(event, verb, other)
    return replaced(log, i, event)
