"""Status and order corruptions: status changes lost or swapped, owed auto-activations missing,
events after a deletion or without a registration, a log out of time order.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from lifecycle.codes import SimStatus, Source
from lifecycle.machines import SIM
from simulator.testing.mutations.editing import drop_one, fresh_id, inserted, pick, with_sims_of
from simulator.testing.mutations.reading import (
    STATUS_TYPES,
    Log,
    T,
    Tracker,
    dest,
    endpoint_of,
    facts,
    key_of,
    sim_of,
    sims_about,
    source_of,
    type_of,
)

_COUPLED = frozenset({T.ENDPOINT_ENABLED, T.ENDPOINT_DISABLED, T.RESET_CONNECTIVITY})


def _chains(log: Log) -> Iterator[list[int]]:
    """Per SIM, runs of consecutive status changes (8, 9, 45) with no migration in between."""
    for indices in facts(log).about.values():
        run: list[int] = []
        for i in indices:
            kind = type_of(log[i])
            if kind in STATUS_TYPES and sim_of(log[i]) is not None:
                run.append(i)
            elif kind in (T.SIM_MIGRATION, T.SIM_DELETION, T.SIM_REGISTRATION):
                if len(run) >= 3:
                    yield run
                run = []
        if len(run) >= 3:
            yield run


def _coupled_between(log: Log, first: int, last: int) -> bool:
    """Whether a 42/43/68 that may concern ``log[first]``'s SIM lies between the two events.

    Such an event may oblige a Factory Test SIM to auto-activate: after a corruption, replay
    may then judge the SIM by that obligation rather than by the status table.
    """
    sim = sim_of(log[first])
    return any(
        type_of(e) in _COUPLED and sim_of(e) in (sim, None) for e in log[first + 1:last]
    )


def _owed_auto_activations(log: Log) -> list[tuple[int, bool]]:
    """8s from Policy Control owed by a 42/43/68 on the endpoint holding a Factory Test SIM.

    Each with whether the SIM has a later lifecycle event. Only where the log itself pins the
    SIM in Factory Test and shows that endpoint holding it.
    """
    about = facts(log).about
    tracker = Tracker()
    owed: set[int] = set()
    found = []
    for i, event in enumerate(log):
        kind, sims = type_of(event), sims_about(event)
        for s in sims & owed:
            owed.discard(s)
            if kind == T.SIM_ACTIVATION and source_of(event) == Source.POLICY_CONTROL:
                found.append((i, about[s][-1] > i))
        if kind in _COUPLED:
            endpoint = endpoint_of(event)
            held = tracker.held_by.get(endpoint) if endpoint is not None else None
            shown = sim_of(event)
            target = shown if shown is not None else held
            if target is not None and tracker.status.get(target) == SimStatus.FACTORY_TEST:
                owed.add(target)
        tracker.update(event, sims)
    return found


def drop_status_change(log: Log, rng: random.Random) -> Log | None:
    """Drop a status change between two others where the next then starts from a wrong state.

    Owed auto-activations are left to ``drop_owed_auto_activation``: replay reports their
    absence as missing-auto-activation and goes on as if the SIM were activated.
    """
    owed = {i for i, _ in _owed_auto_activations(log)}
    candidates = []
    for run in _chains(log):
        for p, x, y in zip(run, run[1:], run[2:], strict=False):
            if x in owed or _coupled_between(log, p, y):
                continue
            if dest(log[p]) not in SIM.by_event.get(key_of(log[y]), {}):
                candidates.append(x)
    return drop_one(log, rng, candidates)


def swap_status_changes(log: Log, rng: random.Random) -> Log | None:
    """Swap two consecutive status changes of one SIM (each keeps its slot's timestamp)."""
    candidates = []
    for run in _chains(log):
        for a, p, x in zip(run, run[1:], run[2:], strict=False):
            if _coupled_between(log, a, x):
                continue
            first = SIM.by_event.get(key_of(log[x]), {}).get(dest(log[a]))
            if first is None or SIM.by_event.get(key_of(log[p]), {}).get(first) is None:
                candidates.append((p, x))
    pair = pick(rng, candidates)
    if pair is None:
        return None
    p, x = pair
    out = list(log)
    out[p] = {**log[x], "timestamp": log[p]["timestamp"]}
    out[x] = {**log[p], "timestamp": log[x]["timestamp"]}
    return out


def drop_owed_auto_activation(log: Log, rng: random.Random) -> Log | None:
    """Drop a Factory Test SIM's owed auto-activation when the SIM has later events."""
    return drop_one(log, rng, [i for i, later in _owed_auto_activations(log) if later])


def drop_last_owed_auto_activation(log: Log, rng: random.Random) -> Log | None:
    """Drop an owed auto-activation that is the SIM's last event: the log ends owing it."""
    return drop_one(log, rng, [i for i, later in _owed_auto_activations(log) if not later])


def add_after_deletion(log: Log, rng: random.Random) -> Log | None:
    """Repeat an earlier event about a deleted SIM (new id) right after its deletion."""
    about = facts(log).about
    i = pick(rng, with_sims_of(log, T.SIM_DELETION))
    if i is None:
        return None
    deletion = log[i]
    earlier = [
        j for j in about[deletion["sim"]["id"]]
        if j < i and type_of(log[j]) not in (T.SIM_REGISTRATION, T.SIM_MIGRATION)
        and sim_of(log[j]) is not None
    ]
    template = log[pick(rng, earlier)] if earlier else deletion
    clone = {
        **template, "id": fresh_id(log, rng), "timestamp": deletion["timestamp"],
        "organisation": deletion["organisation"],
    }
    return inserted(log, i + 1, clone)


def drop_registration(log: Log, rng: random.Random) -> Log | None:
    """Drop a registration whose SIMs appear later (judged with --complete-history)."""
    candidates = []
    for i, event in enumerate(log):
        if type_of(event) != T.SIM_REGISTRATION:
            continue
        batch = event["detail"]["sim_batch"]
        low, high = int(batch["first_iccid"][:19]), int(batch["last_iccid"][:19])
        if any(
            isinstance(e.get("sim"), dict) and low <= int(e["sim"]["iccid"][:19]) <= high
            and type_of(e) != T.SIM_REGISTRATION
            for e in log[i + 1:]
        ):
            candidates.append(i)
    return drop_one(log, rng, candidates)


def swap_positions(log: Log, rng: random.Random) -> Log | None:
    """Swap two events of distinct, unshared timestamps: the log is then out of time order."""
    counts: dict[str, int] = {}
    for event in log:
        counts[event["timestamp"]] = counts.get(event["timestamp"], 0) + 1
    unique = [i for i, e in enumerate(log) if counts[e["timestamp"]] == 1]
    for _ in range(20):
        if len(unique) < 2:
            return None
        i, j = sorted(rng.sample(unique, 2))
        out = list(log)
        out[i], out[j] = log[j], log[i]
        stamps = [e["timestamp"] for e in out]
        pairs = list(itertools.pairwise(stamps))
        if any(a > b for a, b in pairs) and any(a < b for a, b in pairs):
            return out
    return None
