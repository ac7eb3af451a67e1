"""Whatever the seed and size, the generator's log is deterministic and the validator accepts it.

Also the logs a user really gets from a valid history: the platform keeps 30 days, so a log
starts mid-life (a suffix), and its events API is per workspace (a slice). Both are valid logs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from lifecycle.codes import EventType
from lifecycle.events import dumps
from simulator.platform.fleet import generate
from simulator.replay.driver import validate
from simulator.testing.strategies import fleets, lifecycles, run_operations
from tests.properties.budget import budget

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 30)
workspace_counts = st.integers(1, 3)


def _log(sims: int, seed: int, workspaces: int, network: bool) -> list[dict[str, Any]]:
    return list(generate(sims=sims, seed=seed, workspaces=workspaces, network_events=network))


def _errors(report: Any) -> list[Any]:
    return [f for f in report.findings if f.level == "error"]


@budget(1)
@given(sims=sizes, seed=seeds, workspaces=workspace_counts, network=st.booleans())
def test_generated_log_has_no_finding(sims: int, seed: int, workspaces: int,
                                      network: bool) -> None:
    log = _log(sims, seed, workspaces, network)
    assert log, "a fleet registers its SIMs, at least"
    assert validate(log).findings == []
    # Generated logs hold every SIM's registration: complete history holds too.
    assert validate(log, complete_history=True).findings == []


@budget(1)
@given(sims=sizes, seed=seeds, workspaces=workspace_counts, network=st.booleans())
def test_same_arguments_same_bytes(sims: int, seed: int, workspaces: int, network: bool) -> None:
    first = b"\n".join(dumps(e) for e in _log(sims, seed, workspaces, network))
    again = b"\n".join(dumps(e) for e in _log(sims, seed, workspaces, network))
    assert first == again


@budget(1)
@given(sims=sizes, seed=seeds, workspaces=workspace_counts)
def test_logs_are_ascending_and_ids_unique_but_for_migration_pairs(
    sims: int, seed: int, workspaces: int
) -> None:
    log = _log(sims, seed, workspaces, False)
    stamps = [e["timestamp"] for e in log]
    assert stamps == sorted(stamps)
    by_id: dict[int, list[dict[str, Any]]] = {}
    for e in log:
        by_id.setdefault(e["id"], []).append(e)
    for shared in (group for group in by_id.values() if len(group) > 1):
        assert [e["event_type"]["id"] for e in shared] == [EventType.SIM_MIGRATION] * 2
        assert [e["detail"]["type"] for e in shared] == ["source", "target"]


def _pair_gaps(log: list[dict[str, Any]]) -> set[int]:
    """Cut positions that would fall between the two halves of a migration."""
    halves: dict[int, list[int]] = {}
    for i, e in enumerate(log):
        if e["event_type"]["id"] == EventType.SIM_MIGRATION:
            halves.setdefault(e["id"], []).append(i)
    return {cut for pair in halves.values() for cut in range(pair[0] + 1, pair[-1] + 1)}


def _story(*steps: dict[str, Any]) -> list[dict[str, Any]]:
    return run_operations(steps).events


# Minimal reproductions of what these properties found in replay (fixed in 345513a); as
# examples they run first, always.
FT_AT_ENDPOINT_CHANGE = _story(  # 48 45 51 | 43 8(Policy Control): cut before the 43
    {"op": "register", "sims": ["s1"], "status": "Factory Test"},
    {"op": "create_endpoint", "endpoint": "e1", "sim": "s1"},
    {"op": "set_endpoint_status", "endpoint": "e1", "status": "Disabled"},
)
BACK_IN_FACTORY_TEST = _story(  # w1 sees: 48, 69 away, 69 back, 51, 43, 8 (Policy Control)
    {"op": "register", "sims": ["s1"], "workspace": "w1"},
    {"op": "migrate", "sims": ["s1"], "to": "w2"},
    {"op": "set_status", "sim": "s1", "status": "Factory Test"},
    {"op": "migrate", "sims": ["s1"], "to": "w1"},
    {"op": "create_endpoint", "endpoint": "e1", "sim": "s1"},
    {"op": "set_endpoint_status", "endpoint": "e1", "status": "Disabled"},
)
ROUND_TRIP = _story(  # w1 sees: 48, 69 (w1 -> w2), 69 (w3 -> w1)
    {"op": "register", "sims": ["s1"], "workspace": "w1"},
    {"op": "migrate", "sims": ["s1"], "to": "w2"},
    {"op": "migrate", "sims": ["s1"], "to": "w3"},
    {"op": "migrate", "sims": ["s1"], "to": "w1"},
)

valid_logs = st.one_of(fleets(max_sims=30), lifecycles(max_steps=30))


@budget(1)
@example(log=FT_AT_ENDPOINT_CHANGE, cut=0.6)
@given(log=valid_logs, cut=st.floats(0, 1))
def test_a_log_that_starts_mid_life_has_no_error(log: list[dict[str, Any]], cut: float) -> None:
    """The platform keeps 30 days: any suffix of a valid log is valid (a cut between the two
    halves of a migration aside: that is a real orphan)."""
    start = min(int(cut * len(log)), len(log) - 1)
    gaps = _pair_gaps(log)
    start = max(i for i in range(start + 1) if i not in gaps)
    assert _errors(validate(log[start:])) == []


@budget(1)
@example(log=BACK_IN_FACTORY_TEST)
@example(log=ROUND_TRIP)
@given(log=valid_logs)
def test_one_workspace_of_a_log_is_a_valid_log(log: list[dict[str, Any]]) -> None:
    """The events API is per workspace: each workspace's own events form a valid log, whose
    migration halves are orphans (a warning: the other workspace is not in the log)."""
    for org in sorted({e["organisation"]["id"] for e in log}):
        report = validate([e for e in log if e["organisation"]["id"] == org])
        assert {f.rule for f in report.findings} <= {"orphan-migration-half"}
