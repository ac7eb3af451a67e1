"""Corruption operators: break a valid log in one precise way that the validator must report.

Integrators can corrupt their own fixtures with them, and the property suite proves that every
operator, applied anywhere it applies to a valid generated log, is reported under its rules::

    import random
    from simulator.mutations import MUTATIONS

    broken = MUTATIONS["reuse-id"].apply(log, random.Random(1))  # None: not applicable here

An operator never changes its input: it returns a new list (unchanged events are shared, changed
ones are copies) or None when the log offers no position where the corruption is detectable. It
chooses only such positions: e.g. it drops a status change only where the SIM's state before it
is pinned by an earlier status change and the next one then becomes illegal. Input logs are
canonical and in ascending time, as ``simulator.fleet.generate`` writes them.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    LIFECYCLE_TYPES,
    SEVERITY_DESCRIPTIONS,
    SIM_STATUS_LABELS,
    SOURCE_DESCRIPTIONS,
    EventType,
    SimStatus,
    Source,
    luhn_digit,
)
from lifecycle.machines import SIM

Log = list[Any]
Apply = Callable[[Log, random.Random], Log | None]

_T = EventType
_STATUS_TYPES = frozenset({_T.SIM_ACTIVATION, _T.SIM_SUSPENSION, _T.SIM_FACTORY_TEST})
_ENDPOINT_IN_TEXT = re.compile(r"SIM (\d+) (?:released from|assigned to) endpoint (\d+)\Z")
_REQUIRED = ("id", "timestamp", "event_type", "event_source", "event_severity", "organisation")


@dataclass(frozen=True)
class Mutation:
    """A corruption operator: ``apply(log, rng)`` -> the corrupted log, or None.

    The validator must report every rule in ``rules`` on the corrupted log; when ``exclusive``,
    nothing else either (the corruption is otherwise harmless: a warning-only change).
    ``complete_history``: judge the result with ``--complete-history``.
    """

    name: str
    rules: frozenset[str]
    apply: Apply
    exclusive: bool = False
    complete_history: bool = False
    doc: str = field(default="", compare=False)


# --------------------------------------------------------------------------- reading a log


def _type(event: Any) -> int | None:
    code = event.get("event_type") if isinstance(event, dict) else None
    return code.get("id") if isinstance(code, dict) else None


def _source(event: dict[str, Any]) -> int | None:
    code = event.get("event_source")
    return code.get("id") if isinstance(code, dict) else None


def _sim(event: Any) -> int | None:
    sim = event.get("sim") if isinstance(event, dict) else None
    return sim.get("id") if isinstance(sim, dict) else None


def _endpoint(event: dict[str, Any]) -> int | None:
    """The endpoint an event names: its ``endpoint`` key, or a 50/51 description."""
    endpoint = event.get("endpoint")
    if isinstance(endpoint, dict):
        ident = endpoint.get("id")
        return ident if isinstance(ident, int) else None
    if _type(event) in (_T.SIM_RELEASED, _T.SIM_ASSIGNED):
        m = _ENDPOINT_IN_TEXT.match(str(event.get("description", "")))
        return int(m.group(2)) if m else None
    return None


def _about(event: Any) -> set[int]:
    """The SIMs a lifecycle event is about (its ``sim``, a migration's sims, a 50/51 text)."""
    kind = _type(event)
    if kind not in LIFECYCLE_TYPES:
        return set()
    found: set[int] = set()
    if (ident := _sim(event)) is not None:
        found.add(ident)
    if kind == _T.SIM_MIGRATION:
        detail = event.get("detail") or {}
        found.update(s["id"] for s in detail.get("sims", ()) if isinstance(s, dict))
    elif kind in (_T.SIM_RELEASED, _T.SIM_ASSIGNED):
        m = _ENDPOINT_IN_TEXT.match(str(event.get("description", "")))
        if m:
            found.add(int(m.group(1)))
    return found


@dataclass
class _Before:
    """What an ascending log has shown about one SIM just before an event about it."""

    status: int | None  # pinned by an earlier status change; None: not known
    holder_known: bool
    holder: int | None
    owner: int | None


@dataclass
class _Tracker:
    """Follows an ascending log the way replay would, knowing only what the log has shown."""

    status: dict[int, int] = field(default_factory=dict)
    holder: dict[int, int | None] = field(default_factory=dict)
    held_by: dict[int, int] = field(default_factory=dict)
    owner: dict[int, int | None] = field(default_factory=dict)

    def know(self, sim: int) -> _Before:
        return _Before(
            self.status.get(sim), sim in self.holder, self.holder.get(sim), self.owner.get(sim)
        )

    def _hold(self, sim: int, endpoint: int | None) -> None:
        old = self.holder.get(sim)
        if old is not None:
            self.held_by.pop(old, None)
        self.holder[sim] = endpoint
        if endpoint is not None:
            self.held_by[endpoint] = sim

    def update(self, event: Any, sims: set[int]) -> None:
        if not sims:
            return
        kind, source, sim = _type(event), _source(event), _sim(event)
        if kind == _T.SIM_MIGRATION:
            detail = event["detail"]
            for s in sims:
                target = detail["type"] == "target"
                self.owner[s] = detail["target_workspace"]["id"] if target else None
                self._hold(s, None)
                if self.status.get(s) == SimStatus.ACTIVATED:
                    self.status[s] = SimStatus.SUSPENDED
            return
        s = next(iter(sims))
        if sim is not None:
            self.owner[s] = event["organisation"]["id"]
        if kind == _T.SIM_REGISTRATION:
            self.status[s] = SimStatus.ISSUED
        elif kind is not None and source is not None and (kind, source) in SIM.by_event:
            self.status[s] = _dest(event)  # one destination per event kind (valid logs)
        endpoint = _endpoint(event)
        if kind == _T.SIM_RELEASED:
            self._hold(s, None)
        elif endpoint is not None and (kind == _T.SIM_ASSIGNED or sim is not None):
            self._hold(s, endpoint)


@dataclass
class _Facts:
    before: list[dict[int, _Before]]  # per event: the SIMs it is about -> what was known
    about: dict[int, list[int]]       # SIM -> indices of the lifecycle events about it


def _facts(log: Log) -> _Facts:
    tracker = _Tracker()
    before: list[dict[int, _Before]] = []
    about: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        sims = _about(event)
        before.append({s: tracker.know(s) for s in sims})
        for s in sims:
            about.setdefault(s, []).append(i)
        tracker.update(event, sims)
    return _Facts(before, about)


def _ids(log: Log) -> set[int]:
    return {e["id"] for e in log if isinstance(e, dict) and isinstance(e.get("id"), int)}


def _fresh_id(log: Log, rng: random.Random) -> int:
    taken = _ids(log)
    while True:
        ident = rng.randrange(1, 2**62)
        if ident not in taken:
            return ident


def _fresh_endpoint(log: Log, rng: random.Random) -> int:
    seen = [e for ev in log if isinstance(ev, dict) and (e := _endpoint(ev)) is not None]
    return max(seen, default=1_000_000) + rng.randrange(1, 1000)


def _pick(rng: random.Random, candidates: list[Any]) -> Any:
    return rng.choice(candidates) if candidates else None


def _replaced(log: Log, index: int, event: Any) -> Log:
    out = list(log)
    out[index] = event
    return out


def _inserted(log: Log, index: int, event: Any) -> Log:
    return [*log[:index], event, *log[index:]]


def _dropped(log: Log, index: int) -> Log:
    return [*log[:index], *log[index + 1:]]


def _chains(log: Log) -> Iterator[list[int]]:
    """Per SIM, runs of consecutive status changes (8, 9, 45) with no migration in between."""
    facts = _facts(log)
    for indices in facts.about.values():
        run: list[int] = []
        for i in indices:
            kind = _type(log[i])
            if kind in _STATUS_TYPES and _sim(log[i]) is not None:
                run.append(i)
            elif kind in (_T.SIM_MIGRATION, _T.SIM_DELETION, _T.SIM_REGISTRATION):
                if len(run) >= 3:
                    yield run
                run = []
        if len(run) >= 3:
            yield run


_COUPLED = frozenset({_T.ENDPOINT_ENABLED, _T.ENDPOINT_DISABLED, _T.RESET_CONNECTIVITY})


def _coupled_between(log: Log, first: int, last: int) -> bool:
    """Whether a 42/43/68 that may concern ``log[first]``'s SIM lies between the two events.

    Such an event may oblige a Factory Test SIM to auto-activate: after a corruption, replay
    may then judge the SIM by that obligation rather than by the status table.
    """
    sim = _sim(log[first])
    return any(
        _type(e) in _COUPLED and _sim(e) in (sim, None) for e in log[first + 1:last]
    )


def _key(event: dict[str, Any]) -> tuple[int, int]:
    return (event["event_type"]["id"], event["event_source"]["id"])


def _dest(event: dict[str, Any]) -> int:
    """The state a (valid) status change leaves its SIM in."""
    return next(iter(SIM.by_event[_key(event)].values()))


# --------------------------------------------------------------------------- the operators


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
            if _dest(log[p]) not in SIM.by_event.get(_key(log[y]), {}):
                candidates.append(x)
    x = _pick(rng, candidates)
    return None if x is None else _dropped(log, x)


def swap_status_changes(log: Log, rng: random.Random) -> Log | None:
    """Swap two consecutive status changes of one SIM (each keeps its slot's timestamp)."""
    candidates = []
    for run in _chains(log):
        for a, p, x in zip(run, run[1:], run[2:], strict=False):
            if _coupled_between(log, a, x):
                continue
            first = SIM.by_event.get(_key(log[x]), {}).get(_dest(log[a]))
            if first is None or SIM.by_event.get(_key(log[p]), {}).get(first) is None:
                candidates.append((p, x))
    pair = _pick(rng, candidates)
    if pair is None:
        return None
    p, x = pair
    out = list(log)
    out[p] = {**log[x], "timestamp": log[p]["timestamp"]}
    out[x] = {**log[p], "timestamp": log[x]["timestamp"]}
    return out


def move_to_other_workspace(log: Log, rng: random.Random) -> Log | None:
    """Put an event about a SIM into a workspace that does not own the SIM."""
    facts = _facts(log)
    candidates = [
        i for i, event in enumerate(log)
        if _type(event) in LIFECYCLE_TYPES - {_T.SIM_REGISTRATION, _T.SIM_MIGRATION}
        and (s := _sim(event)) is not None
        and facts.before[i][s].owner == event["organisation"]["id"]
    ]
    i = _pick(rng, candidates)
    if i is None:
        return None
    orgs = {e["organisation"]["id"]: e["organisation"] for e in log}
    others = sorted(set(orgs) - {log[i]["organisation"]["id"]})
    org = (
        orgs[rng.choice(others)] if others
        else {"id": max(orgs) + 1, "name": "Another workspace"}
    )
    return _replaced(log, i, {**log[i], "organisation": dict(org)})


def reuse_id(log: Log, rng: random.Random) -> Log | None:
    """Give an event the id of another, different event (migration halves left alone)."""
    plain = [i for i, e in enumerate(log) if _type(e) != _T.SIM_MIGRATION]
    if len(plain) < 2:
        return None
    i, j = sorted(rng.sample(plain, 2))
    if rng.random() < 0.5:
        i, j = j, i
    return _replaced(log, j, {**log[j], "id": log[i]["id"]})


def _wrong_label(rng: random.Random, right: str) -> str:
    return rng.choice(sorted(set(SIM_STATUS_LABELS.values()) - {right}))


def corrupt_description(log: Log, rng: random.Random) -> Log | None:
    """Make a description (or an auto-activation's detail) contradict its event."""
    options: list[tuple[int, str]] = []
    for i, event in enumerate(log):
        kind = _type(event)
        text = event.get("description") or ""
        if kind in _STATUS_TYPES and _source(event) == Source.API and "' to '" in text:
            options.append((i, "target"))
        elif kind == _T.SIM_ACTIVATION and _source(event) == Source.POLICY_CONTROL:
            options.append((i, "transition"))
        elif kind in (_T.ENDPOINT_ENABLED, _T.ENDPOINT_DISABLED):
            options.append((i, "endpoint-status"))
        elif kind in (_T.SIM_RELEASED, _T.SIM_ASSIGNED, _T.SIM_DELETION) and _sim(event):
            options.append((i, "sim-id"))
        elif kind == _T.SIM_REGISTRATION:
            options.append((i, "batch-size"))
        elif kind == _T.SIM_MIGRATION:
            options.append((i, "migration-target"))
    choice = _pick(rng, options)
    if choice is None:
        return None
    i, how = choice
    event = copy.deepcopy(log[i])
    text = event["description"]
    if how == "target":
        head, _, right = text.rpartition(" to '")
        event["description"] = f"{head} to '{_wrong_label(rng, right.rstrip(chr(39)))}'"
    elif how == "transition":
        wrong = rng.choice([s for s in SimStatus if s != SimStatus.ACTIVATED])
        event["detail"]["transition"]["sim"]["status"]["to"] = {
            "id": int(wrong), "description": wrong.upper,
        }
    elif how == "endpoint-status":
        event["description"] = (
            text.replace("Enabled", "Disabled") if text.endswith("Enabled")
            else text.replace("Disabled", "Enabled")
        )
    elif how == "sim-id":
        sim = event["sim"]["id"]
        event["description"] = text.replace(f"SIM {sim} ", f"SIM {sim + rng.randrange(1, 99)} ", 1)
    elif how == "migration-target":
        target = event["detail"]["target_workspace"]["id"]
        wrong = target + rng.randrange(1, 99)
        event["description"] = text.replace(f"to workspace {target} ", f"to workspace {wrong} ")
    else:
        size = event["detail"]["sim_batch"]["batch_size"]
        event["description"] = f"Batch of {size + rng.randrange(1, 9)} SIM(s) registered."
    return _replaced(log, i, event)


_CODE_TABLES = {
    "event_type": EVENT_TYPE_DESCRIPTIONS,
    "event_source": SOURCE_DESCRIPTIONS,
    "event_severity": SEVERITY_DESCRIPTIONS,
}


def corrupt_code(log: Log, rng: random.Random) -> Log | None:
    """Give a type, source or severity id another code's description."""
    if not log:
        return None
    i = rng.randrange(len(log))
    key = rng.choice(sorted(_CODE_TABLES))
    table = _CODE_TABLES[key]
    ident = log[i][key]["id"]
    wrong = rng.choice(sorted(set(table.values()) - {table.get(ident)}))
    return _replaced(log, i, {**log[i], key: {"id": ident, "description": wrong}})


def add_after_deletion(log: Log, rng: random.Random) -> Log | None:
    """Repeat an earlier event about a deleted SIM (new id) right after its deletion."""
    facts = _facts(log)
    candidates = [i for i, e in enumerate(log) if _type(e) == _T.SIM_DELETION and _sim(e)]
    i = _pick(rng, candidates)
    if i is None:
        return None
    deletion = log[i]
    earlier = [
        j for j in facts.about[deletion["sim"]["id"]]
        if j < i and _type(log[j]) not in (_T.SIM_REGISTRATION, _T.SIM_MIGRATION)
        and _sim(log[j]) is not None
    ]
    template = log[_pick(rng, earlier)] if earlier else deletion
    clone = {
        **template, "id": _fresh_id(log, rng), "timestamp": deletion["timestamp"],
        "organisation": deletion["organisation"],
    }
    return _inserted(log, i + 1, clone)


def assign_held_sim(log: Log, rng: random.Random) -> Log | None:
    """Right after a SIM is assigned, assign it again to another endpoint."""
    candidates = [i for i, e in enumerate(log) if _type(e) == _T.SIM_ASSIGNED and _sim(e)]
    i = _pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    other = _fresh_endpoint(log, rng)
    event["id"] = _fresh_id(log, rng)
    event["description"] = f"SIM {event['sim']['id']} assigned to endpoint {other}"
    if isinstance(event.get("endpoint"), dict):
        event["endpoint"]["id"] = other
    return _inserted(log, i + 1, event)


def drop_migration_half(log: Log, rng: random.Random) -> Log | None:
    """Drop one half of a migration pair from a log that holds both workspaces' events."""
    halves = [i for i, e in enumerate(log) if _type(e) == _T.SIM_MIGRATION]
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
    i = _pick(rng, candidates)
    return None if i is None else _dropped(log, i)


def _owed_auto_activations(log: Log) -> list[tuple[int, bool]]:
    """8s from Policy Control owed by a 42/43/68 on the endpoint holding a Factory Test SIM.

    Each with whether the SIM has a later lifecycle event. Only where the log itself pins the
    SIM in Factory Test and shows that endpoint holding it.
    """
    about = _facts(log).about
    tracker = _Tracker()
    owed: set[int] = set()
    found = []
    for i, event in enumerate(log):
        kind, sims = _type(event), _about(event)
        for s in sims & owed:
            owed.discard(s)
            if kind == _T.SIM_ACTIVATION and _source(event) == Source.POLICY_CONTROL:
                found.append((i, about[s][-1] > i))
        if kind in (_T.ENDPOINT_ENABLED, _T.ENDPOINT_DISABLED, _T.RESET_CONNECTIVITY):
            endpoint = _endpoint(event)
            held = tracker.held_by.get(endpoint) if endpoint is not None else None
            shown = _sim(event)
            target = shown if shown is not None else held
            if target is not None and tracker.status.get(target) == SimStatus.FACTORY_TEST:
                owed.add(target)
        tracker.update(event, sims)
    return found


def drop_owed_auto_activation(log: Log, rng: random.Random) -> Log | None:
    """Drop a Factory Test SIM's owed auto-activation when the SIM has later events."""
    i = _pick(rng, [i for i, later in _owed_auto_activations(log) if later])
    return None if i is None else _dropped(log, i)


def drop_last_owed_auto_activation(log: Log, rng: random.Random) -> Log | None:
    """Drop an owed auto-activation that is the SIM's last event: the log ends owing it."""
    i = _pick(rng, [i for i, later in _owed_auto_activations(log) if not later])
    return None if i is None else _dropped(log, i)


def change_iccid(log: Log, rng: random.Random) -> Log | None:
    """Give one event of a SIM seen at least twice another ICCID (first 19 digits differ)."""
    by_sim: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        if (s := _sim(event)) is not None:
            by_sim.setdefault(s, []).append(i)
    candidates = [i for indices in by_sim.values() if len(indices) > 1 for i in indices]
    i = _pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    iccid = event["sim"]["iccid"]
    pos = rng.randrange(7, 19)
    digit = str((int(iccid[pos]) + rng.randrange(1, 10)) % 10)
    body = iccid[:pos] + digit + iccid[pos + 1:19]
    event["sim"]["iccid"] = body + luhn_digit(body) if len(iccid) == 20 else body
    return _replaced(log, i, event)


def release_from_wrong_endpoint(log: Log, rng: random.Random) -> Log | None:
    """Release a SIM from an endpoint other than the one the log shows holding it."""
    facts = _facts(log)
    candidates = [
        i for i, e in enumerate(log)
        if _type(e) == _T.SIM_RELEASED and (s := _sim(e)) is not None
        and facts.before[i][s].holder_known and facts.before[i][s].holder == _endpoint(e)
    ]
    i = _pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    other = _fresh_endpoint(log, rng)
    event["description"] = f"SIM {event['sim']['id']} released from endpoint {other}"
    if isinstance(event.get("endpoint"), dict):
        event["endpoint"]["id"] = other
    return _replaced(log, i, event)


def _a_user(log: Log) -> dict[str, Any]:
    for event in log:
        if isinstance(event.get("user"), dict):
            return dict(event["user"])
    return {"id": 1, "name": "Mutation", "username": "mutation@example.com"}


def delete_assigned_sim(log: Log, rng: random.Random) -> Log | None:
    """Right after a SIM is assigned, delete it."""
    candidates = [i for i, e in enumerate(log) if _type(e) == _T.SIM_ASSIGNED and _sim(e)]
    i = _pick(rng, candidates)
    if i is None:
        return None
    assigned = log[i]
    user = assigned.get("user") or _a_user(log)
    sim = copy.deepcopy(assigned["sim"])
    deletion = {
        "timestamp": assigned["timestamp"],
        "alert": False,
        "description": f"SIM {sim['id']} ({sim['iccid']}) has been deleted by {user['username']}",
        "id": _fresh_id(log, rng),
        "event_type": {"id": 10, "description": EVENT_TYPE_DESCRIPTIONS[10]},
        "event_source": {"id": 2, "description": SOURCE_DESCRIPTIONS[2]},
        "event_severity": {"id": 0, "description": SEVERITY_DESCRIPTIONS[0]},
        "organisation": assigned["organisation"],
        "user": user,
        "sim": sim,
    }
    return _inserted(log, i + 1, deletion)


def wrong_source(log: Log, rng: random.Random) -> Log | None:
    """Give a Policy Control event a user, or say a person's event came from Policy Control."""
    policy = [i for i, e in enumerate(log) if _source(e) == Source.POLICY_CONTROL]
    personal = [
        i for i, e in enumerate(log)
        if _type(e) in LIFECYCLE_TYPES - {_T.SIM_ACTIVATION} and "user" in e
    ]
    if policy and (not personal or rng.random() < 0.5):
        i = rng.choice(policy)
        return _replaced(log, i, {**log[i], "user": _a_user(log)})
    i = _pick(rng, personal)
    if i is None:
        return None
    source = {"id": 1, "description": SOURCE_DESCRIPTIONS[1]}
    return _replaced(log, i, {**log[i], "event_source": source})


def duplicate_delivery(log: Log, rng: random.Random) -> Log | None:
    """Deliver an event twice (at-least-once delivery)."""
    if not log:
        return None
    i = rng.randrange(len(log))
    return _inserted(log, i + 1, copy.deepcopy(log[i]))


def insert_malformed(log: Log, rng: random.Random) -> Log | None:
    """Insert a value that is not an event: not an object, or lacking/garbling a required field."""
    if not log:
        return None
    i = rng.randrange(len(log) + 1)
    how = rng.randrange(3)
    if how == 0:
        bad: Any = rng.choice([[], "event", 42, None, [log[0]]])
    else:  # a neighbour's copy, so that its timestamp keeps the log in order
        bad = copy.deepcopy(log[max(i - 1, 0)])
        bad["id"] = _fresh_id(log, rng)
        key = rng.choice(_REQUIRED)
        if how == 1:
            del bad[key]
        else:
            bad[key] = {
                "id": "twelve", "timestamp": "yesterday", "event_type": {"description": "?"},
                "event_source": "Somewhere", "event_severity": "LOUD",
                "organisation": {"name": "no id"},
            }[key]
    return _inserted(log, i, bad)


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


def insert_unknown_type(log: Log, rng: random.Random) -> Log | None:
    """Insert a copy of an event (new id) under an event type id outside every table."""
    if not log:
        return None
    i = rng.randrange(len(log))
    kind = rng.choice([24, 35, 47, 61, 70, 999])
    clone = {
        **log[i], "id": _fresh_id(log, rng), "description": "Something new happened",
        "event_type": {"id": kind, "description": "Something new"},
    }
    return _inserted(log, i + 1, clone)


def lenient_form(log: Log, rng: random.Random) -> Log | None:
    """Rewrite one event in a non-canonical form the platform is known to use (spec §1)."""
    if not log:
        return None
    i = rng.randrange(len(log))
    event = copy.deepcopy(log[i])
    how = rng.choice(["source-name", "severity", "alert", "timestamp", "null", "detail"])
    if how == "detail" and not isinstance(event.get("detail"), dict):
        how = "null"
    if how == "source-name":
        event["event_source"] = {"id": event["event_source"]["id"],
                                 "name": event["event_source"]["description"]}
    elif how == "severity":
        event["event_severity"] = event["event_severity"]["description"].upper()
    elif how == "alert":
        event["alert"] = int(event.get("alert", False))
    elif how == "timestamp":
        event["timestamp"] = event["timestamp"][:-1] + "+0000"
    elif how == "null":
        absent = [k for k in ("user", "endpoint", "sim", "imsi", "detail") if k not in event]
        if not absent:
            return None
        event[rng.choice(absent)] = None
    else:
        event["detail"] = orjson.dumps(event["detail"]).decode()
    return _replaced(log, i, event)


def drop_detach_before_migration(log: Log, rng: random.Random) -> Log | None:
    """Drop the 9 or 50 the platform logs just before migrating an Activated or held SIM."""
    facts = _facts(log)
    candidates = []
    for indices in facts.about.values():
        for i, j in itertools.pairwise(indices):
            kind, nxt = _type(log[i]), log[j]
            if _type(nxt) != _T.SIM_MIGRATION or nxt["detail"]["type"] != "source":
                continue
            s = _sim(log[i])
            if s is None:
                continue
            known = facts.before[i][s]
            activated = kind == _T.SIM_SUSPENSION and known.status == SimStatus.ACTIVATED
            held = kind == _T.SIM_RELEASED and known.holder is not None
            if activated or held:
                candidates.append(i)
    i = _pick(rng, candidates)
    return None if i is None else _dropped(log, i)


def show_wrong_holder(log: Log, rng: random.Random) -> Log | None:
    """Show a held SIM's status change on another endpoint than the one holding it."""
    facts = _facts(log)
    candidates = [
        i for i, e in enumerate(log)
        if _type(e) in _STATUS_TYPES and (s := _sim(e)) is not None
        and isinstance(e.get("endpoint"), dict)
        and facts.before[i][s].holder_known and facts.before[i][s].holder == _endpoint(e)
    ]
    i = _pick(rng, candidates)
    if i is None:
        return None
    event = copy.deepcopy(log[i])
    event["endpoint"]["id"] = _fresh_endpoint(log, rng)
    return _replaced(log, i, event)


def drop_registration(log: Log, rng: random.Random) -> Log | None:
    """Drop a registration whose SIMs appear later (judged with --complete-history)."""
    candidates = []
    for i, event in enumerate(log):
        if _type(event) != _T.SIM_REGISTRATION:
            continue
        batch = event["detail"]["sim_batch"]
        low, high = int(batch["first_iccid"][:19]), int(batch["last_iccid"][:19])
        if any(
            isinstance(e.get("sim"), dict) and low <= int(e["sim"]["iccid"][:19]) <= high
            and _type(e) != _T.SIM_REGISTRATION
            for e in log[i + 1:]
        ):
            candidates.append(i)
    i = _pick(rng, candidates)
    return None if i is None else _dropped(log, i)


def corrupt_luhn(log: Log, rng: random.Random) -> Log | None:
    """Break ``iccid_with_luhn`` of one migrated SIM, alike in both halves of its pair."""
    halves: dict[int, list[int]] = {}
    for i, event in enumerate(log):
        if _type(event) == _T.SIM_MIGRATION:
            halves.setdefault(event["id"], []).append(i)
    pair = _pick(rng, sorted(halves.values()))
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


def reuse_iccid(log: Log, rng: random.Random) -> Log | None:
    """Give a SIM, everywhere, the ICCID of a SIM the log showed earlier.

    Not where the second first shows up in a migration that lists both: the platform's own
    example lists two SIMs with one ICCID there, so replay lets SIMs listed together share one.
    """
    first_seen: dict[int, tuple[int, str]] = {}
    for i, event in enumerate(log):
        if (s := _sim(event)) is not None and s not in first_seen:
            first_seen[s] = (i, event["sim"]["iccid"])
        if _type(event) == _T.SIM_MIGRATION:
            for listed in event["detail"]["sims"]:
                first_seen.setdefault(listed["id"], (i, listed["iccid"]))
    order = sorted(first_seen, key=lambda s: first_seen[s][0])
    pairs = [
        (a, b) for b in range(len(order)) for a in range(b)
        if order[a] not in _about(log[first_seen[order[b]][0]])
    ]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    old, new = first_seen[order[b]][1][:19], first_seen[order[a]][1][:19]
    sim = order[b]
    out = list(log)
    for i, event in enumerate(log):
        touched = False
        if _sim(event) == sim:
            event = copy.deepcopy(event)
            iccid = event["sim"]["iccid"]
            event["sim"]["iccid"] = new + luhn_digit(new) if len(iccid) == 20 else new
            if isinstance(event.get("description"), str):
                event["description"] = event["description"].replace(old, new)
            touched = True
        if _type(event) == _T.SIM_MIGRATION and sim in _about(event):
            event = copy.deepcopy(event) if not touched else event
            for listed in event["detail"]["sims"]:
                if listed["id"] == sim:
                    listed["iccid"], listed["iccid_with_luhn"] = new, new + luhn_digit(new)
            touched = True
        if touched:
            out[i] = event
    return out


def _m(name: str, rules: str, apply: Apply, **kw: Any) -> Mutation:
    return Mutation(name, frozenset(rules.split()), apply, doc=apply.__doc__ or "", **kw)


MUTATIONS: dict[str, Mutation] = {
    m.name: m
    for m in (
        _m("drop-status-change", "illegal-transition", drop_status_change),
        _m("swap-status-changes", "illegal-transition", swap_status_changes),
        _m("move-to-other-workspace", "workspace-mismatch", move_to_other_workspace),
        _m("reuse-id", "duplicate-event-id", reuse_id),
        _m("corrupt-description", "description-mismatch", corrupt_description),
        _m("corrupt-code", "code-mismatch", corrupt_code),
        _m("add-after-deletion", "event-after-deletion", add_after_deletion),
        _m("assign-held-sim", "double-assignment", assign_held_sim),
        _m("drop-migration-half", "migration-pair", drop_migration_half),
        _m("drop-owed-auto-activation", "missing-auto-activation", drop_owed_auto_activation),
        _m("drop-last-owed-auto-activation", "pending-auto-activation",
           drop_last_owed_auto_activation),
        _m("change-iccid", "identity-change", change_iccid),
        _m("release-from-wrong-endpoint", "release-mismatch", release_from_wrong_endpoint),
        _m("delete-assigned-sim", "delete-while-assigned", delete_assigned_sim),
        _m("wrong-source", "source-mismatch", wrong_source),
        _m("show-wrong-holder", "assignment-mismatch", show_wrong_holder),
        _m("duplicate-delivery", "duplicate-delivery", duplicate_delivery, exclusive=True),
        _m("insert-malformed", "malformed-event", insert_malformed, exclusive=True),
        _m("swap-positions", "time-order", swap_positions, exclusive=True),
        _m("insert-unknown-type", "unknown-event-type", insert_unknown_type, exclusive=True),
        _m("lenient-form", "lenient-format", lenient_form, exclusive=True),
        _m("drop-detach-before-migration", "migrated-while-active",
           drop_detach_before_migration, exclusive=True),
        _m("drop-registration", "registration-required", drop_registration,
           complete_history=True),
        _m("corrupt-luhn", "luhn", corrupt_luhn, exclusive=True),
        _m("reuse-iccid", "iccid-reuse", reuse_iccid),
    )
}
