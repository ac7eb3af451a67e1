"""Every corruption of a valid log is caught, under the rule it must be caught by.

Each operator of ``simulator.testing.mutations`` is applied (drawn position) to valid logs
(generated fleets, and lifecycles driven by random operations), and the corrupted log is
validated the way users do it (``validate_path`` on a JSON Lines file, so order detection takes
part). An operator chooses only positions where its corruption is detectable; one that cannot
apply returns None.
"""

from __future__ import annotations

import functools
import os
import random
import tempfile
from typing import Any

import orjson
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from lifecycle.rules import RULES
from simulator.replay.driver import validate_path
from simulator.testing.mutations import MUTATIONS, Mutation
from simulator.testing.strategies import fleets, lifecycles, run_operations
from tests.properties.budget import budget

valid_logs = st.one_of(fleets(max_sims=25), lifecycles(max_steps=25))


def judge(log: list[Any], *, complete_history: bool = False) -> Any:
    """Validate ``log`` as a user would: written to a JSON Lines file, read back by path."""
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(b"".join(orjson.dumps(e) + b"\n" for e in log))
        return validate_path(path, complete_history=complete_history)
    finally:
        os.unlink(path)


def check(mutation: Mutation, log: list[dict[str, Any]], seed: int) -> bool:
    """Apply ``mutation`` to a valid ``log``; False if it does not apply there."""
    broken = mutation.apply(log, random.Random(seed))
    if broken is None:
        return False
    found = judge(broken, complete_history=mutation.complete_history).counts_by_rule
    missing = mutation.rules - set(found)
    assert not missing, f"{mutation.name}: {sorted(missing)} not reported; found {dict(found)}"
    if mutation.exclusive:
        assert set(found) == mutation.rules, f"{mutation.name}: also {dict(found)}"
    return True


def test_catalogue_names_known_rules() -> None:
    for name, mutation in MUTATIONS.items():
        assert mutation.name == name and mutation.rules and mutation.doc
        assert mutation.rules <= set(RULES), name


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@budget(1)
@given(log=valid_logs, seed=st.integers(0, 2**32 - 1))
def test_mutation_is_caught(name: str, log: list[dict[str, Any]], seed: int) -> None:
    mutation = MUTATIONS[name]
    assert judge(log, complete_history=mutation.complete_history).findings == []
    applied = check(mutation, log, seed)
    event("applied" if applied else "not applicable to this log")


def test_mutations_do_not_change_their_input() -> None:
    for log in _corpus():
        frozen = orjson.dumps(log)
        for name, mutation in MUTATIONS.items():
            mutation.apply(log, random.Random(7))
            assert orjson.dumps(log) == frozen, name


@functools.cache
def _corpus() -> tuple[list[dict[str, Any]], ...]:
    """Fixed valid logs on which every operator applies at least once."""
    from simulator.platform.fleet import generate

    logs = [list(generate(sims=sims, seed=seed, workspaces=workspaces))
            for sims, seed, workspaces in ((20, 1, 2), (40, 3, 3), (5, 2, 1))]
    # The log ends right after an owed auto-activation (drop-last-owed-auto-activation).
    logs.append(run_operations([
        {"op": "register", "sims": ["s1"], "status": "Factory Test"},
        {"op": "create_endpoint", "endpoint": "e1", "sim": "s1"},
        {"op": "set_endpoint_status", "endpoint": "e1", "status": "Disabled"},
    ]).events)
    for log in logs:
        assert judge(log, complete_history=True).findings == []
    return tuple(logs)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_operator_applies_somewhere(name: str) -> None:
    """No operator is vacuous: each applies to (and is caught on) a fixed corpus of logs."""
    applied = [check(MUTATIONS[name], log, seed) for log in _corpus() for seed in range(3)]
    assert any(applied), f"{name} applies to no log of the corpus"
