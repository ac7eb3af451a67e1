"""Corruption operators: break a valid log in one precise way that the validator must report.

Integrators can corrupt their own fixtures with them, and the property suite proves that every
operator, applied anywhere it applies to a valid generated log, is reported under its rules::

    import random
    from simulator.testing.mutations import MUTATIONS

    broken = MUTATIONS["reuse-id"].apply(log, random.Random(1))  # None: not applicable here

An operator never changes its input: it returns a new list (unchanged events are shared, changed
ones are copies) or None when the log offers no position where the corruption is detectable. It
chooses only such positions: e.g. it drops a status change only where the SIM's state before it
is pinned by an earlier status change and the next one then becomes illegal. Input logs are
canonical and in ascending time, as ``simulator.platform.fleet.generate`` writes them.

The operators live by kind in ``status``, ``assignment``, ``identity``, ``workspace`` and
``envelope``; ``reading`` follows a log the way replay does, ``editing`` builds the copies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.testing.mutations.assignment import (
    assign_held_sim,
    delete_assigned_sim,
    release_from_wrong_endpoint,
    show_wrong_holder,
)
from simulator.testing.mutations.envelope import (
    corrupt_code,
    corrupt_description,
    duplicate_delivery,
    insert_malformed,
    insert_unknown_type,
    lenient_form,
    wrong_source,
)
from simulator.testing.mutations.identity import change_iccid, corrupt_luhn, reuse_iccid, reuse_id
from simulator.testing.mutations.reading import Log
from simulator.testing.mutations.status import (
    add_after_deletion,
    drop_last_owed_auto_activation,
    drop_owed_auto_activation,
    drop_registration,
    drop_status_change,
    swap_positions,
    swap_status_changes,
)
from simulator.testing.mutations.workspace import (
    drop_detach_before_migration,
    drop_migration_half,
    move_to_other_workspace,
)

__all__ = [
    "MUTATIONS", "Apply", "Log", "Mutation",
    "add_after_deletion", "assign_held_sim", "change_iccid", "corrupt_code",
    "corrupt_description", "corrupt_luhn", "delete_assigned_sim", "drop_detach_before_migration",
    "drop_last_owed_auto_activation", "drop_migration_half", "drop_owed_auto_activation",
    "drop_registration", "drop_status_change", "duplicate_delivery", "insert_malformed",
    "insert_unknown_type", "lenient_form", "move_to_other_workspace",
    "release_from_wrong_endpoint", "reuse_iccid", "reuse_id", "show_wrong_holder",
    "swap_positions", "swap_status_changes", "wrong_source",
]

Apply = Callable[[Log, random.Random], Log | None]


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
