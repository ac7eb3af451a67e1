"""Workspace and migration corruptions: an event in a workspace that does not own its SIM, an
orphaned migration half, a migration without the detach the platform logs before it.
"""

from __future__ import annotations

import itertools
import random

from lifecycle.codes import LIFECYCLE_TYPES, SimStatus
from simulator.testing.mutations.editing import drop_one, pick, replaced
from simulator.testing.mutations.reading import Log, T, facts, sim_of, type_of


def move_to_other_workspace(log: Log, rng: random.Random) -> Log | None:
    """Put an event about a SIM into a workspace that does not own the SIM."""
    known = facts(log).before
    candidates = [
        i for i, event in enumerate(log)
        if type_of(event) in LIFECYCLE_TYPES - {T.SIM_REGISTRATION, T.SIM_MIGRATION}
        and (s := sim_of(event)) is not None
        and known[i][s].owner == event["organisation"]["id"]
    ]
    i = pick(rng, candidates)
    if i is None:
        return None
    orgs = {e["organisation"]["id"]: e["organisation"] for e in log}
    others = sorted(set(orgs) - {log[i]["organisation"]["id"]})
    org = (
        orgs[rng.choice(others)] if others
        else {"id": max(orgs) + 1, "name": "Another workspace"}
    )
    return replaced(log, i, {**log[i], "organisation": dict(org)})


def drop_migration_half(log: Log, rng: random.Random) -> Log | None:
    """Drop one half of a migration pair from a log that holds both workspaces' events."""
    halves = [i for i, e in enumerate(log) if type_of(e) == T.SIM_MIGRATION]
    candidates = []
    for i in halves:
        pair = [j for j in halves if j != i and log[j]["id"] == log[i]["id"]]
        if len(pair) != 1:
            continue
        kept = log[pair[0]]
        detail = kept["detail"]
        if detail["type"] == "source":
            others = {detail["target_workspace"]["id"]}
        else:
            others = {s["source_workspace"]["id"] for s in detail["sims"]}
        if any(
            e["organisation"]["id"] in others for j, e in enumerate(log) if j not in (i, pair[0])
        ):
            candidates.append(i)
    return drop_one(log, rng, candidates)


def drop_detach_before_migration(log: Log, rng: random.Random) -> Log | None:
    """Drop the 9 or 50 the platform logs just before migrating an Activated or held SIM."""
    seen = facts(log)
    candidates = []
    for indices in seen.about.values():
        for i, j in itertools.pairwise(indices):
            kind, nxt = type_of(log[i]), log[j]
            if type_of(nxt) != T.SIM_MIGRATION or nxt["detail"]["type"] != "source":
                continue
            s = sim_of(log[i])
            if s is None:
                continue
            known = seen.before[i][s]
            activated = kind == T.SIM_SUSPENSION and known.status == SimStatus.ACTIVATED
            held = kind == T.SIM_RELEASED and known.holder is not None
            if activated or held:
                candidates.append(i)
    return drop_one(log, rng, candidates)
