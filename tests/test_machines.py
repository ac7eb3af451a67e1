"""The compiled tables equal the transition table of spec §3, and the declaration itself."""

from __future__ import annotations

import pytest
from transitions import MachineError

from lifecycle.codes import EndpointStatus as E
from lifecycle.codes import SimStatus as S
from lifecycle.machines import ENDPOINT, SIM, endpoint_machine, mask_of, sim_machine

API, POLICY = 2, 1

# Spec §3, written out by hand: (type, source) -> {from: to}. This is the reference, not a copy.
SPEC_SIM = {
    (8, API): {S.ISSUED: S.ACTIVATED, S.SUSPENDED: S.ACTIVATED, S.FACTORY_TEST: S.ACTIVATED},
    (8, POLICY): {S.FACTORY_TEST: S.ACTIVATED},
    (9, API): {S.ACTIVATED: S.SUSPENDED},
    (10, API): {s: S.DELETED for s in (S.ISSUED, S.ACTIVATED, S.SUSPENDED, S.FACTORY_TEST)},
    (45, API): {S.ISSUED: S.FACTORY_TEST},
}
SPEC_ENDPOINT = {(42, API): {E.DISABLED: E.ENABLED}, (43, API): {E.ENABLED: E.DISABLED}}


def test_sim_table_equals_spec() -> None:
    assert SIM.by_event == {k: {int(a): int(b) for a, b in v.items()} for k, v in SPEC_SIM.items()}


def test_endpoint_table_equals_spec() -> None:
    assert ENDPOINT.by_event == {
        k: {int(a): int(b) for a, b in v.items()} for k, v in SPEC_ENDPOINT.items()
    }


def test_nothing_returns_to_issued_and_deleted_is_terminal() -> None:
    assert all(step.dest != S.ISSUED for step in SIM.steps)
    assert all(S.DELETED not in step.sources for step in SIM.steps)
    assert all(E.DELETED not in step.sources for step in ENDPOINT.steps)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("trigger", sorted(SIM.by_trigger))
def test_compiled_table_agrees_with_transitions_machine(status: S, trigger: str) -> None:
    """Differential: the `transitions` machine and the compiled table accept the same moves."""
    machine = sim_machine(initial=status)
    step = SIM.by_trigger[trigger]
    try:
        machine.trigger(trigger)
        accepted = True
    except MachineError:
        accepted = False
    assert accepted == (int(status) in step.sources)
    if accepted:
        assert int(machine.state) == step.dest


def test_no_auto_transitions() -> None:
    machine = sim_machine()
    assert not hasattr(machine, "to_Activated")
    assert not hasattr(machine, "to_ACTIVATED")
    assert not hasattr(endpoint_machine(), "to_ENABLED")


def test_next_mask_follows_every_possible_state() -> None:
    every = mask_of(s for s in S if s != S.DELETED)
    assert SIM.next_mask[(9, API)][every] == mask_of([S.SUSPENDED])
    assert SIM.next_mask[(8, POLICY)][mask_of([S.ISSUED, S.SUSPENDED])] == 0
    assert SIM.next_mask[(8, API)][every] == mask_of([S.ACTIVATED])
