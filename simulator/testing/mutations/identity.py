"""Identity corruptions: a reused event id, a SIM whose ICCID changes or repeats another's, a
broken Luhn check digit.
"""

from __future__ import annotations

import copy
import random

from lifecycle.codes import luhn_digit
from simulator.testing.mutations.editing import pick, replaced, with_iccid
from simulator.testing.mutations.reading import Log, T, sim_of, sims_about, type_of


def reuse_id(log: Log, rng: random.Random) -> Log | None:
    """Give an event the id of another, different event (migration halves left alone)."""
    plain = [i for i, e in enumerate(log) if type_of(e) != T.SIM_MIGRATION]
    if len(plain) < 2:
        return None
    i, j = sorted(rng.sample(plain, 2))
    if rng.random() < 0.5:
        i, j = j, i
    return replaced(log, j, {**log[j], "id": log[i]["id"]})


def change_iccid(log: Log, rng: random.Random) -> Log | None:
    """Give one event of a SIM seen at least twice another ICCID (first 19 digits differ)."""
    by_sim: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        if (s := sim_of(event)) is not None:
            by_sim.setdefault(s, []).append(i)
    candidates = [i for indices in by_sim.values() if len(indices) > 1 for i in indices]
    i = pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    iccid = event["sim"]["iccid"]
    pos = rng.randrange(7, 19)
    digit = str((int(iccid[pos]) + rng.randrange(1, 10)) % 10)
    event["sim"]["iccid"] = with_iccid(iccid, iccid[:pos] + digit + iccid[pos + 1:19])
    return replaced(log, i, event)


def reuse_iccid(log: Log, rng: random.Random) -> Log | None:
    """Give a SIM, everywhere, the ICCID of a SIM the log showed earlier.

    Not where the second first shows up in a migration that lists both: the platform's own
    example lists two SIMs with one ICCID there, so replay lets SIMs listed together share one.
    """
    first_seen: dict[int, tuple[int, str]] = {}
    for i, event in enumerate(log):
        if (s := sim_of(event)) is not None and s not in first_seen:
            first_seen[s] = (i, event["sim"]["iccid"])
        if type_of(event) == T.SIM_MIGRATION:
            for listed in event["detail"]["sims"]:
                first_seen.setdefault(listed["id"], (i, listed["iccid"]))
    order = sorted(first_seen, key=lambda s: first_seen[s][0])
    pairs = [
        (a, b) for b in range(len(order)) for a in range(b)
        if order[a] not in sims_about(log[first_seen[order[b]][0]])
    ]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    old, new = first_seen[order[b]][1][:19], first_seen[order[a]][1][:19]
    sim = order[b]
    out = list(log)
    for i, event in enumerate(log):
        touched = False
        if sim_of(event) == sim:
            event = copy.deepcopy(event)
            event["sim"]["iccid"] = with_iccid(event["sim"]["iccid"], new)
            if isinstance(event.get("description"), str):
                event["description"] = event["description"].replace(old, new)
            touched = True
        if type_of(event) == T.SIM_MIGRATION and sim in sims_about(event):
            event = copy.deepcopy(event) if not touched else event
            for listed in event["detail"]["sims"]:
                if listed["id"] == sim:
                    listed["iccid"], listed["iccid_with_luhn"] = new, new + luhn_digit(new)
            touched = True
        if touched:
            out[i] = event
    return out


def corrupt_luhn(log: Log, rng: random.Random) -> Log | None:
    """Break ``iccid_with_luhn`` of one migrated SIM, alike in both halves of its pair."""
    halves: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        if type_of(event) == T.SIM_MIGRATION:
            halves.setdefault(event["id"], []).append(i)
    pair = pick(rng, sorted(halves.values()))
    if pair is None:
        return None
    out = list(log)
    which = rng.randrange(len(log[pair[0]]["detail"]["sims"]))
    digit = None
    for i in pair:
        event = copy.deepcopy(log[i])
        listed = event["detail"]["sims"][which]
        good = listed.get("iccid_with_luhn") or listed["iccid"] + luhn_digit(listed["iccid"])
        if digit is None:
            digit = str((int(good[-1]) + rng.randrange(1, 10)) % 10)
        listed["iccid_with_luhn"] = good[:-1] + digit
        out[i] = event
    return out
