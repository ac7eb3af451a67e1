"""Envelope and format corruptions: descriptions, codes or sources that contradict the event,
values that are no event, unknown types, duplicate deliveries, lenient (non-canonical) forms.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import orjson

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    LIFECYCLE_TYPES,
    SEVERITY_DESCRIPTIONS,
    SIM_STATUS_LABELS,
    SOURCE_DESCRIPTIONS,
    SimStatus,
    Source,
)
from simulator.testing.mutations.editing import a_user, code, fresh_id, inserted, pick, replaced
from simulator.testing.mutations.reading import STATUS_TYPES, Log, T, sim_of, source_of, type_of

_REQUIRED = ("id", "timestamp", "event_type", "event_source", "event_severity", "organisation")
_CODE_TABLES = {
    "event_type": EVENT_TYPE_DESCRIPTIONS,
    "event_source": SOURCE_DESCRIPTIONS,
    "event_severity": SEVERITY_DESCRIPTIONS,
}


def _wrong_label(rng: random.Random, right: str) -> str:
    return rng.choice(sorted(set(SIM_STATUS_LABELS.values()) - {right}))


def _description_options(log: Log) -> list[tuple[int, str]]:
    """Where a description (or detail) can contradict its event, and which part of it."""
    options: list[tuple[int, str]] = []
    for i, event in enumerate(log):
        kind = type_of(event)
        text = event.get("description") or ""
        if kind in STATUS_TYPES and source_of(event) == Source.API and "' to '" in text:
            options.append((i, "target"))
        elif kind == T.SIM_ACTIVATION and source_of(event) == Source.POLICY_CONTROL:
            options.append((i, "transition"))
        elif kind in (T.ENDPOINT_ENABLED, T.ENDPOINT_DISABLED):
            options.append((i, "endpoint-status"))
        elif kind in (T.SIM_RELEASED, T.SIM_ASSIGNED, T.SIM_DELETION) and sim_of(event):
            options.append((i, "sim-id"))
        elif kind == T.SIM_REGISTRATION:
            options.append((i, "batch-size"))
        elif kind == T.SIM_MIGRATION:
            options.append((i, "migration-target"))
    return options


def corrupt_description(log: Log, rng: random.Random) -> Log | None:
    """Make a description (or an auto-activation's detail) contradict its event."""
    choice = pick(rng, _description_options(log))
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
    return replaced(log, i, event)


def corrupt_code(log: Log, rng: random.Random) -> Log | None:
    """Give a type, source or severity id another code's description."""
    if not log:
        return None
    i = rng.randrange(len(log))
    key = rng.choice(sorted(_CODE_TABLES))
    table = _CODE_TABLES[key]
    ident = log[i][key]["id"]
    wrong = rng.choice(sorted(set(table.values()) - {table.get(ident)}))
    return replaced(log, i, {**log[i], key: {"id": ident, "description": wrong}})


def wrong_source(log: Log, rng: random.Random) -> Log | None:
    """Give a Policy Control event a user, or say a person's event came from Policy Control."""
    policy = [i for i, e in enumerate(log) if source_of(e) == Source.POLICY_CONTROL]
    personal = [
        i for i, e in enumerate(log)
        if type_of(e) in LIFECYCLE_TYPES - {T.SIM_ACTIVATION} and "user" in e
    ]
    if policy and (not personal or rng.random() < 0.5):
        i = rng.choice(policy)
        return replaced(log, i, {**log[i], "user": a_user(log)})
    i = pick(rng, personal)
    if i is None:
        return None
    return replaced(log, i, {**log[i], "event_source": code(SOURCE_DESCRIPTIONS, 1)})


def duplicate_delivery(log: Log, rng: random.Random) -> Log | None:
    """Deliver an event twice (at-least-once delivery)."""
    if not log:
        return None
    i = rng.randrange(len(log))
    return inserted(log, i + 1, copy.deepcopy(log[i]))


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
        bad["id"] = fresh_id(log, rng)
        key = rng.choice(_REQUIRED)
        if how == 1:
            del bad[key]
        else:
            bad[key] = {
                "id": "twelve", "timestamp": "yesterday", "event_type": {"description": "?"},
                "event_source": "Somewhere", "event_severity": "LOUD",
                "organisation": {"name": "no id"},
            }[key]
    return inserted(log, i, bad)


def insert_unknown_type(log: Log, rng: random.Random) -> Log | None:
    """Insert a copy of an event (new id) under an event type id outside every table."""
    if not log:
        return None
    i = rng.randrange(len(log))
    kind = rng.choice([24, 35, 47, 61, 70, 999])
    clone = {
        **log[i], "id": fresh_id(log, rng), "description": "Something new happened",
        "event_type": {"id": kind, "description": "Something new"},
    }
    return inserted(log, i + 1, clone)


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
    return replaced(log, i, event)
