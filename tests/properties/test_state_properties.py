"""What replay makes of a generated log agrees with what the simulated platform knows is true.

Entity by entity: where the log decides a status, workspace or holder, ``state`` gives the true
one; where it does not, the true one is among the possible ones. An entity the state lacks is one
no event names (a SIM registered in a batch and never named again, a device created and deleted
in silence).
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given

from lifecycle.state import FleetState
from simulator.platform import FleetLog
from simulator.replay import final_state
from simulator.testing.strategies import fleets, lifecycles
from tests.properties.budget import budget

_NAMED_ENDPOINT = re.compile(r"\bendpoint (\d+)\b", re.IGNORECASE)


def _named(log: list[dict[str, Any]]) -> tuple[set[int], set[int]]:
    """The SIM and endpoint ids that some event names (object, migration detail, description)."""
    sims: set[int] = set()
    endpoints: set[int] = set()
    for event in log:
        if "sim" in event:
            sims.add(event["sim"]["id"])
        if "endpoint" in event:
            endpoints.add(event["endpoint"]["id"])
        detail = event.get("detail")
        if isinstance(detail, dict):
            sims.update(s["id"] for s in detail.get("sims", ()))
        if event["event_type"]["id"] in (42, 43, 50, 51):
            endpoints.update(int(m) for m in _NAMED_ENDPOINT.findall(event["description"]))
    return sims, endpoints


def disagreements(known: FleetState, truth: FleetState, log: list[dict[str, Any]]) -> list[str]:
    wrong = []
    named_sims, named_endpoints = _named(log)
    for true in truth.sims:
        seen = known.sim(true.id)
        if seen is None:
            if true.id in named_sims:
                wrong.append(f"SIM {true.id}: named by the log, missing from the state")
            continue
        (status,) = true.possible
        if status not in seen.possible or seen.status not in (None, status):
            wrong.append(f"SIM {true.id}: {status}, but the state says {seen.possible}")
        if seen.workspace != true.workspace:
            wrong.append(f"SIM {true.id}: workspace {true.workspace}, not {seen.workspace}")
        if seen.endpoint_known and seen.endpoint != true.endpoint:
            wrong.append(f"SIM {true.id}: held by {true.endpoint}, not {seen.endpoint}")
        if seen.iccid is not None and seen.iccid[:19] != true.iccid[:19]:  # type: ignore[index]
            wrong.append(f"SIM {true.id}: ICCID {true.iccid}, not {seen.iccid}")
    for true_ep in truth.endpoints:
        seen_ep = known.endpoint(true_ep.id)
        if seen_ep is None:
            if true_ep.id in named_endpoints:
                wrong.append(f"endpoint {true_ep.id}: named by the log, missing from the state")
            continue
        (status,) = true_ep.possible
        if status not in seen_ep.possible:
            wrong.append(f"endpoint {true_ep.id}: {status}, but the state says "
                         f"{seen_ep.possible}")
        if seen_ep.sim_known and seen_ep.sim != true_ep.sim:
            wrong.append(f"endpoint {true_ep.id}: holds {true_ep.sim}, not {seen_ep.sim}")
    extra = ({s.id for s in known.sims} - {s.id for s in truth.sims}) | (
        {e.id for e in known.endpoints} - {e.id for e in truth.endpoints})
    wrong.extend(f"{ident}: in the state, unknown to the platform" for ident in sorted(extra))
    return wrong


def _check(log: FleetLog) -> FleetState:
    known = final_state(log)
    assert disagreements(known, log.truth, log) == []
    return known


@budget(1)
@given(fleets(max_sims=30))
def test_state_of_a_fleet_agrees_with_the_truth(log: FleetLog) -> None:
    known = _check(log)
    # The generator's logs decide nearly everything: the property is not vacuous.
    assert known.sims and sum(s.status is not None for s in known.sims) == len(known.sims)


@budget(2)
@given(lifecycles(max_steps=40))
def test_state_of_a_lifecycle_agrees_with_the_truth(log: FleetLog) -> None:
    _check(log)


def test_the_check_catches_a_wrong_state() -> None:
    """The comparison itself can fail: a state that lies about one SIM is caught."""
    from lifecycle.state import SimState
    from simulator.platform import generate

    events = generate(sims=10, seed=3)
    log = list(events)
    truth = events.truth()
    known = final_state(log)
    first = known.sims[0]
    other = "Deleted" if first.status != "Deleted" else "Activated"
    lying = FleetState.of([SimState(first.id, first.iccid, (other,), first.workspace,
                                    first.endpoint), *known.sims[1:]], known.endpoints)
    assert disagreements(lying, truth, log) == [
        f"SIM {first.id}: {truth.sim(first.id).possible[0]}, "  # type: ignore[union-attr]
        f"but the state says {(other,)}"]
    moved = FleetState.of([SimState(first.id, first.iccid, first.possible, -1,
                                    first.endpoint), *known.sims[1:]], known.endpoints)
    assert len(disagreements(moved, truth, log)) == 1
