"""The validator's rule catalogue: stable codes users filter on, their severity and meaning.

The codes are a public interface (spec §6): add new ones, never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    level: Level
    summary: str


_E, _W = Level.ERROR, Level.WARNING

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("malformed-event", _E,
             "a line is not JSON, not an object, or lacks/garbles an envelope field"),
        Rule("code-mismatch", _E, "a type/source/severity id and its description disagree"),
        Rule("description-mismatch", _E,
             "the description or detail contradicts the event (states, sim/endpoint ids, iccid)"),
        Rule("source-mismatch", _E,
             "the event type is not allowed from this source, or a Policy Control event has "
             "a user"),
        Rule("illegal-transition", _E,
             "no possible state of the SIM or endpoint allows this status change"),
        Rule("event-after-deletion", _E, "any event about a SIM after its deletion"),
        Rule("delete-while-assigned", _E, "a SIM deleted while an endpoint holds it"),
        Rule("double-assignment", _E, "51 while the SIM or the endpoint already holds another"),
        Rule("release-mismatch", _E, "50 for a SIM that the endpoint does not hold"),
        Rule("missing-auto-activation", _E,
             "a Factory Test SIM whose endpoint changed status or was reset has a later event "
             "that is not its auto-activation"),
        Rule("migration-pair", _E,
             "the migration halves disagree, or a half is orphaned in a log that holds both "
             "workspaces"),
        Rule("workspace-mismatch", _E, "an event about a SIM in a workspace that does not own it"),
        Rule("duplicate-event-id", _E,
             "two different events share an id (the migration pair excepted)"),
        Rule("identity-change", _E, "a sim.id appears with another iccid"),
        Rule("registration-required", _E,
             "--complete-history only: a SIM seen before any registration covers it"),
        Rule("assignment-mismatch", _E,
             "an event shows an endpoint holding a SIM that the replay says it does not hold"),
        Rule("migrated-while-active", _W,
             "a SIM known to be Activated or assigned at its migration, with no 9/50 logged"),
        Rule("iccid-reuse", _W, "one ICCID under two SIM ids"),
        Rule("duplicate-delivery", _W,
             "the same event twice (at-least-once delivery); counted once"),
        Rule("pending-auto-activation", _W, "the log ends while an auto-activation is owed"),
        Rule("orphan-migration-half", _W, "one half of a migration in a single-workspace log"),
        Rule("unknown-event-type", _W, "a type id outside every table"),
        Rule("time-order", _W,
             "the log is in neither ascending nor descending time order (sorted before replay)"),
        Rule("lenient-format", _W, "a non-canonical form was accepted"),
        Rule("luhn", _W, "iccid_with_luhn is not iccid + its check digit"),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation: which rule, where (event id, 1-based line) and what was expected.

    ``entity`` names what it is about (``"SIM 12"``, ``"endpoint 7"``) for per-entity reports
    such as JUnit; ``None`` lets the report derive it from the event, or file it under the log.
    ``sim`` and ``endpoint`` are the ids the event names, for tools; ``element`` is the event's
    0-based index in a JSON array input (whose elements may share a line). ``file`` names the
    file that ``line`` is in when a log is several files (shards).
    """

    rule: str
    event_id: int | None
    line: int | None
    message: str
    entity: str | None = None
    sim: int | None = None
    endpoint: int | None = None
    element: int | None = None
    file: str | None = None

    @property
    def level(self) -> Level:
        return RULES[self.rule].level
