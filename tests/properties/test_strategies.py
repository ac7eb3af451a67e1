"""The public strategies give what their docstrings promise, checked by the validator itself."""

from __future__ import annotations

import doctest
from typing import Any

import jsonschema
import orjson
from hypothesis import given

from lifecycle.codes import LIFECYCLE_TYPES, EventType
from lifecycle.events import dumps, json_schema, loads_event, normalize
from simulator.replay.driver import validate
from simulator.testing import strategies
from simulator.testing.strategies import events, fleets, lifecycles, operations, run_operations
from tests.properties.budget import budget

_SCHEMA = jsonschema.Draft202012Validator(json_schema())


@budget(1)
@given(events())
def test_events_are_canonical_schema_valid_and_conformant_alone(event: dict[str, Any]) -> None:
    _SCHEMA.validate(event)
    line = dumps(event)
    assert loads_event(line).to_json() == line
    assert normalize(orjson.loads(line))[1] == []
    rules = {f.rule for f in validate([event]).findings}
    # A migration half alone is an orphan, a warning; nothing else may be reported.
    allowed = {"orphan-migration-half"} if event["event_type"]["id"] == 69 else set()
    assert rules <= allowed, (rules, event)


@budget(0.25)
@given(events(types=LIFECYCLE_TYPES))
def test_lifecycle_events_only_when_asked(event: dict[str, Any]) -> None:
    assert event["event_type"]["id"] in LIFECYCLE_TYPES


@budget(1)
@given(lifecycles())
def test_lifecycles_are_valid_complete_histories(log: list[dict[str, Any]]) -> None:
    assert log[0]["event_type"]["id"] == EventType.SIM_REGISTRATION
    stamps = [e["timestamp"] for e in log]
    assert stamps == sorted(stamps)
    assert validate(log, complete_history=True).findings == []


@budget(0.5)
@given(fleets(max_sims=10))
def test_fleets_are_valid(log: list[dict[str, Any]]) -> None:
    assert validate(log).findings == []


@budget(1)
@given(operations(sims=("s1", "s2"), endpoints=("e1",), workspaces=("w1", "w2")))
def test_operations_run_or_are_refused(step: dict[str, Any]) -> None:
    """Any drawn step runs on the platform or is refused; it never crashes it."""
    setup = [
        {"op": "register", "sims": ["s1", "s2"], "status": "Factory Test"},
        {"op": "create_endpoint", "endpoint": "e1", "sim": "s1"},
    ]
    run = run_operations([*setup, step])
    assert run.refused in ([], [2])
    assert validate(run.events).findings == []


def test_docstring_examples() -> None:
    """The examples that are not skipped (run_operations) hold."""
    results = doctest.testmod(strategies, optionflags=doctest.ELLIPSIS)
    assert results.failed == 0 and results.attempted > 0
