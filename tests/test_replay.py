"""Replay rules, one by one: a small log that breaks each rule, and a near twin that does not.

Every log is built from the platform's own seed examples (``ev``), changing only what the case
needs, so the events stay realistic. Each trigger asserts the exact rule, event id and line.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from lifecycle.codes import SimStatus, luhn_digit
from lifecycle.machines import mask_of
from lifecycle.rules import RULES, Finding, Level
from simulator.replay.core import EndpointView, Replay, SimView

_DATA = Path(__file__).resolve().parent / "data" / "seed-examples.jsonl"
_SEED_LIST = [orjson.loads(line) for line in _DATA.read_bytes().splitlines() if line.strip()]
KINDS = (
    "activate", "auto_activate", "suspend", "delete", "enable", "disable", "factory_test",
    "register", "release", "assign", "reset", "migrate_source", "migrate_target",
)
SEEDS: dict[str, dict[str, Any]] = dict(zip(KINDS, _SEED_LIST, strict=True))

SIM, ICCID, EP, ORG = 3668977, "8242757752885188552", 83173458, 624
DROP = object()
_ids = itertools.count(5_000_000)
_S = {s.label: s for s in SimStatus}


def ev(kind: str, *, sim: int | None = SIM, iccid: str | None = None, ep: int | None = EP,
       org: int = ORG, frm: str | None = None, id: int | None = None,
       **fields: Any) -> dict[str, Any]:
    """A seed example of ``kind`` about ``sim`` (with ``iccid``) on endpoint ``ep`` in ``org``.

    Descriptions that name states or ids are rewritten to agree; ``frm`` sets the ``from`` state
    of a SIM status description. ``fields`` replace top-level keys (``DROP`` deletes one).
    """
    e = copy.deepcopy(SEEDS[kind])
    e["id"] = next(_ids) if id is None else id
    e["organisation"]["id"] = org
    if iccid is None:
        iccid = ICCID if sim is None or sim == SIM else f"89883030000{sim:08d}"
    if sim is None:
        e.pop("sim", None)
    elif "sim" in e or kind in ("delete", "release", "assign", "register"):
        e.setdefault("sim", {"production_date": "2020-12-23T13:02:11.000Z"})
        e["sim"]["id"], e["sim"]["iccid"] = sim, iccid
    if ep is None or kind in ("delete", "register"):
        e.pop("endpoint", None)
    elif "endpoint" in e or kind in ("enable", "disable", "release", "assign", "reset"):
        e.setdefault("endpoint", {"name": "Tracker", "tags": None})
        e["endpoint"]["id"] = ep
    target = {"activate": "Activated", "suspend": "Suspended", "factory_test": "Factory Test"}
    if kind in target:
        default = {"activate": "Suspended", "suspend": "Activated", "factory_test": "Issued"}
        old = frm or default[kind]
        e["description"] = f"Status of SIM changed from '{old}' to '{target[kind]}'"
    elif kind in ("enable", "disable"):
        state = "Enabled" if kind == "enable" else "Disabled"
        e["description"] = f"Status of Endpoint {ep} changed to {state}"
    elif kind == "delete":
        e["description"] = f"SIM {sim} ({iccid}) has been deleted by user@example.com"
    elif kind in ("release", "assign"):
        verb = "released from" if kind == "release" else "assigned to"
        e["description"] = f"SIM {sim} {verb} endpoint {ep}"
    elif kind == "register":
        batch = e["detail"]["sim_batch"]
        batch["first_iccid"] = batch["last_iccid"] = iccid
    for key, value in fields.items():
        if value is DROP:
            e.pop(key, None)
        else:
            e[key] = value
    return e


def migration(sims: list[tuple[int, str]], *, source: int = 1, target: int = 2,
              id: int | None = None, ts: tuple[str, str] | None = None,
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two halves of a migration of ``sims`` [(id, iccid19)] from ``source`` to ``target``."""
    ident = next(_ids) if id is None else id
    halves = []
    for kind in ("migrate_source", "migrate_target"):
        e = copy.deepcopy(SEEDS[kind])
        e["id"] = ident
        detail = e["detail"]
        detail["target_workspace"]["id"] = target
        detail["sims"] = [
            {"id": sid, "iccid": ic[:19], "iccid_with_luhn": ic[:19] + luhn_digit(ic[:19]),
             "source_workspace": {"id": source, "name": "Source"}}
            for sid, ic in sims
        ]
        if kind == "migrate_source":
            e["organisation"]["id"] = source
            e["description"] = (f"SIM(s) migrated from workspace {source} to workspace {target} "
                                "by user sasha@example.com")
        else:
            e["organisation"]["id"] = target
            e["description"] = f"SIM(s) migrated to workspace {target} by user sasha@example.com"
        if ts is not None:
            e["timestamp"] = ts[0] if kind == "migrate_source" else ts[1]
        halves.append(e)
    return halves[0], halves[1]


def replay(*events: Any, complete_history: bool = False,
           assume_registered: tuple[tuple[int, int], ...] = ()) -> Replay:
    """Feed ``events`` as lines 1..n (each through a JSON round trip, as a reader would)."""
    r = Replay(complete_history=complete_history, assume_registered=assume_registered)
    for line, event in enumerate(events, start=1):
        r.feed(orjson.loads(orjson.dumps(event)), line)
    r.finish()
    return r


def hits(r: Replay, rule: str) -> list[tuple[int | None, int | None]]:
    return [(f.event_id, f.line) for f in r.findings if f.rule == rule]


def only(r: Replay, rule: str) -> Finding:
    """The one finding of the log, which must be of ``rule``."""
    assert [f.rule for f in r.findings] == [rule], r.findings
    return r.findings[0]


def clean(r: Replay) -> None:
    assert r.findings == [], r.findings


# --------------------------------------------------------------------------- the seeds


@pytest.mark.parametrize("kind", KINDS)
def test_each_seed_alone_replays_without_errors(kind: str, seed_lines: list[bytes]) -> None:
    r = Replay()
    r.feed(orjson.loads(seed_lines[KINDS.index(kind)]), 1)
    r.finish()
    if kind.startswith("migrate_"):
        # A lone half in a log of one workspace is exactly the spec's orphan warning.
        f = only(r, "orphan-migration-half")
        assert f.level is Level.WARNING
        assert (f.event_id, f.line) == (1234567890, 1)
    else:
        clean(r)
    assert r.events == 1 and sum(r.counts_by_type.values()) == 1


def test_the_two_migration_seed_lines_together_are_clean(seed_lines: list[bytes]) -> None:
    r = Replay()
    r.feed(orjson.loads(seed_lines[11]), 1)
    r.feed(orjson.loads(seed_lines[12]), 2)
    r.finish()
    clean(r)
    views = r.sim_views()
    assert views[12345].workspace == views[67890].workspace == 2
    assert not views[12345].mask & 1 << SimStatus.ACTIVATED  # suspended by the migration


def test_all_seeds_in_one_log_have_no_envelope_findings(seed_lines: list[bytes]) -> None:
    r = Replay()
    for line, raw in enumerate(seed_lines, start=1):
        r.feed(orjson.loads(raw), line)
    r.finish()
    envelope = {"malformed-event", "code-mismatch", "description-mismatch", "source-mismatch",
                "lenient-format", "luhn", "duplicate-event-id", "unknown-event-type"}
    assert not [f for f in r.findings if f.rule in envelope]


# --------------------------------------------------------------------------- envelope


def test_malformed_event_is_reported_and_skipped() -> None:
    bad = ev("suspend", timestamp=DROP)
    r = replay(ev("activate"), bad)
    f = only(r, "malformed-event")
    assert (f.event_id, f.line) == (bad["id"], 2) and "timestamp" in f.message
    assert r.counts_by_type[9] == 0
    clean(replay(ev("activate"), ev("suspend")))


def test_malformed_values_and_lines() -> None:
    r = Replay()
    r.feed([1, 2], 1)
    garbled = ev("suspend")
    garbled["sim"]["id"] = "x"
    r.feed(garbled, 2)
    r.malformed(3, "not JSON: unexpected character")
    r.finish()
    assert hits(r, "malformed-event") == [(None, 1), (r.findings[1].event_id, 2), (None, 3)]
    assert r.events == 2


def test_code_mismatch_for_type_source_and_severity() -> None:
    wrong_type = ev("suspend", event_type={"id": 9, "description": "SIM activation"})
    wrong_source = ev("suspend", event_source={"id": 2, "description": "Network"})
    wrong_severity = ev("suspend", event_severity={"id": 7, "description": "Info"})
    for line, e in enumerate((wrong_type, wrong_source, wrong_severity), start=1):
        r = replay(*[ev("suspend", sim=900 + i) for i in range(line - 1)], e)
        assert hits(r, "code-mismatch") == [(e["id"], line)]
    clean(replay(ev("suspend")))


def test_unknown_event_type_is_a_warning_and_passes_through() -> None:
    odd = ev("suspend", event_type={"id": 99, "description": "Teleported"})
    f = only(replay(odd), "unknown-event-type")
    assert (f.event_id, f.line, f.level) == (odd["id"], 1, Level.WARNING)
    clean(replay(ev("suspend", event_type={"id": 1, "description": "Update location"})))


def test_lenient_format_lists_every_odd_form_in_one_warning() -> None:
    odd = ev("suspend", alert=1, timestamp="2021-10-27 08:44:46", user=None)
    f = only(replay(odd), "lenient-format")
    assert (f.event_id, f.line) == (odd["id"], 1)
    assert "alert" in f.message and "timestamp" in f.message and "user is null" in f.message
    clean(replay(ev("suspend")))


def test_source_mismatch_for_type_and_policy_control_user() -> None:
    policy = {"id": 1, "description": "Policy Control"}
    suspended_by_policy = ev("suspend", event_source=policy, user=DROP)
    f = only(replay(suspended_by_policy), "source-mismatch")
    assert (f.event_id, f.line) == (suspended_by_policy["id"], 1)
    with_user = ev("auto_activate", user=SEEDS["activate"]["user"])
    f = only(replay(with_user), "source-mismatch")
    assert (f.event_id, f.line) == (with_user["id"], 1) and "user" in f.message
    clean(replay(ev("auto_activate")))
    clean(replay(ev("suspend")))


# --------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize(
    ("kind", "changes", "needle"),
    [
        ("suspend", {"description": "Status of SIM changed from 'Activated' to 'Activated'"},
         "became Activated"),
        ("enable", {"description": f"Status of Endpoint {EP + 1} changed to Enabled"},
         f"endpoint {EP + 1}"),
        ("enable", {"description": f"Status of Endpoint {EP} changed to Disabled"},
         "changed to Disabled"),
        ("delete", {"description": f"SIM {SIM + 1} ({ICCID}) has been deleted by u@x.com"},
         f"SIM {SIM + 1}"),
        ("delete", {"description": f"SIM {SIM} (8988303000000000001) has been deleted by u@x"},
         "8988303000000000001"),
        ("release", {"description": f"SIM {SIM} released from endpoint {EP + 1}"},
         f"endpoint {EP + 1}"),
        ("assign", {"description": f"SIM {SIM + 1} assigned to endpoint {EP}"},
         f"SIM {SIM + 1}"),
        ("register", {"description": "Batch of 2 SIM(s) registered."}, "batch_size is 1"),
    ],
)
def test_description_mismatch(kind: str, changes: dict[str, Any], needle: str) -> None:
    bad = ev(kind, **changes)
    f = only(replay(bad), "description-mismatch")
    assert (f.event_id, f.line) == (bad["id"], 1)
    assert needle in f.message
    clean(replay(ev(kind)))


def test_description_mismatch_in_the_auto_activation_detail() -> None:
    bad = ev("auto_activate")
    bad["detail"]["transition"]["sim"]["status"]["from"] = {"id": 2, "description": "SUSPENDED"}
    f = only(replay(bad), "description-mismatch")
    assert (f.event_id, f.line) == (bad["id"], 1) and "SUSPENDED" in f.message
    clean(replay(ev("auto_activate")))


def test_free_wording_of_the_auto_activation_is_accepted_and_absent_text_is_fine() -> None:
    clean(replay(ev("auto_activate",
                    description="SIM activated after factory test period expired.")))
    clean(replay(ev("suspend", description=DROP), ev("activate", description=DROP)))


def test_a_batch_of_one_names_its_sim_and_a_larger_batch_does_not() -> None:
    big = ev("register", description="Batch of 5 SIM(s) registered.")
    big["detail"]["sim_batch"].update(batch_size=5, last_iccid=str(int(ICCID) + 4))
    f = only(replay(big), "description-mismatch")
    assert (f.event_id, f.line) == (big["id"], 1) and "batch of one" in f.message
    clean(replay({k: v for k, v in big.items() if k != "sim"}))


# --------------------------------------------------------------------------- SIM states


def test_illegal_transition_against_the_possible_states() -> None:
    first, second = ev("suspend"), ev("suspend")
    f = only(replay(first, second), "illegal-transition")
    assert (f.event_id, f.line) == (second["id"], 2)
    assert f.message == (
        f"SIM {SIM}: 'Activated' -> 'Suspended' needs the SIM Activated, but it can only be "
        f"Suspended here (after event {first['id']} at line 1)"
    )
    clean(replay(ev("suspend"), ev("activate"), ev("suspend")))


def test_illegal_transition_when_the_type_never_starts_from_the_description_state() -> None:
    bad = ev("factory_test", frm="Suspended")
    f = only(replay(bad), "illegal-transition")
    assert (f.event_id, f.line) == (bad["id"], 1) and "never starts from Suspended" in f.message
    clean(replay(ev("factory_test", frm="Issued")))


def test_first_sighting_without_description_is_judged_on_every_live_state() -> None:
    # A 45 with no text may start anywhere the type allows; the SIM then is in Factory Test,
    # and a second 45 has no possible state left.
    first = ev("factory_test", description=DROP)
    second = ev("factory_test", description=DROP)
    f = only(replay(first, second), "illegal-transition")
    assert (f.event_id, f.line) == (second["id"], 2)
    assert "needs the SIM Issued, but it can only be Factory Test" in f.message
    r = replay(first)
    assert r.sim_views()[SIM].mask == 1 << SimStatus.FACTORY_TEST


def test_one_bad_event_does_not_cascade() -> None:
    r = replay(ev("suspend"), ev("suspend"), ev("activate"), ev("suspend"), ev("activate"))
    assert [f.rule for f in r.findings] == ["illegal-transition"]


def test_registration_range_starts_sims_issued_in_the_batch_workspace() -> None:
    batch = ev("register", sim=None, org=77, description="Batch of 3 SIM(s) registered.")
    batch["detail"]["sim_batch"].update(
        batch_size=3, first_iccid="8988303000000000100", last_iccid="8988303000000000102")
    inside = ev("suspend", sim=41, iccid="89883030000000001011", org=77, ep=None)
    f = only(replay(batch, inside), "illegal-transition")  # Issued cannot be suspended
    assert (f.event_id, f.line) == (inside["id"], 2)
    assert "can only be Issued here" in f.message
    clean(replay(batch, ev("activate", sim=41, iccid="8988303000000000101", org=77,
                           frm="Issued", ep=None)))


def test_registering_a_known_sim_is_an_illegal_transition() -> None:
    seen, again = ev("activate", frm="Issued"), ev("register")
    f = only(replay(seen, again), "illegal-transition")
    assert (f.event_id, f.line) == (again["id"], 2) and "registered" in f.message
    clean(replay(ev("register"), ev("activate", frm="Issued", ep=None)))


def test_a_batch_overlapping_an_earlier_batch_is_an_illegal_transition() -> None:
    a = ev("register", sim=None, description="Batch of 3 SIM(s) registered.")
    a["detail"]["sim_batch"].update(batch_size=3, first_iccid="8988303000000000100",
                                    last_iccid="8988303000000000102")
    b = copy.deepcopy(a)
    b["id"] = next(_ids)
    f = only(replay(a, b), "illegal-transition")
    assert (f.event_id, f.line) == (b["id"], 2) and "overlap" in f.message
    b["detail"]["sim_batch"].update(first_iccid="8988303000000000103",
                                    last_iccid="8988303000000000105")
    clean(replay(a, b))


def test_event_after_deletion() -> None:
    gone, late = ev("delete"), ev("activate")
    f = only(replay(gone, late), "event-after-deletion")
    assert (f.event_id, f.line) == (late["id"], 2)
    assert f"deleted by event {gone['id']} at line 1" in f.message
    network = ev("suspend", event_type={"id": 1, "description": "Update location"},
                 description="New location")
    clean(replay(ev("delete"), network))


# --------------------------------------------------------------------------- endpoints


def test_endpoint_illegal_transition() -> None:
    first, second = ev("enable"), ev("enable")
    f = only(replay(first, second), "illegal-transition")
    assert (f.event_id, f.line) == (second["id"], 2)
    assert f.message.startswith(f"Endpoint {EP}: 'Endpoint enabled' (42) needs it Disabled")
    clean(replay(ev("enable"), ev("disable"), ev("enable")))


def test_double_assignment() -> None:
    first, second = ev("assign", sim=1), ev("assign", sim=2)
    f = only(replay(first, second), "double-assignment")
    assert (f.event_id, f.line) == (second["id"], 2) and "holds SIM 1" in f.message
    clean(replay(ev("assign", sim=1), ev("release", sim=1), ev("assign", sim=2)))
    moved = ev("assign", sim=1, ep=EP + 1)
    f = only(replay(ev("assign", sim=1), moved), "double-assignment")
    assert (f.event_id, f.line) == (moved["id"], 2)


def test_release_mismatch() -> None:
    wrong = ev("release", sim=2)
    f = only(replay(ev("assign", sim=1), wrong), "release-mismatch")
    assert (f.event_id, f.line) == (wrong["id"], 2) and "holds SIM 1" in f.message
    clean(replay(ev("assign", sim=1), ev("release", sim=1)))
    twice = ev("release", sim=1)
    f = only(replay(ev("release", sim=1), twice), "release-mismatch")
    assert (f.event_id, f.line) == (twice["id"], 2)


def test_assignment_mismatch_and_learning() -> None:
    contradicts = ev("suspend", sim=2)
    f = only(replay(ev("assign", sim=1), contradicts), "assignment-mismatch")
    assert (f.event_id, f.line) == (contradicts["id"], 2)
    clean(replay(ev("assign", sim=1), ev("suspend", sim=1)))
    # Unknown assignments are learnt from the first event that shows them, then checked.
    learnt = replay(ev("suspend", sim=1))
    assert learnt.sim_views()[1].endpoint == EP
    assert learnt.endpoint_views()[EP] == EndpointView(mask_of([0, 1]), 1)


def test_endpoint_created_with_a_sim_is_read_from_the_description() -> None:
    # Spec §4: 8 then 51, neither carrying endpoint or user.
    activate = ev("activate", frm="Issued", ep=None, user=DROP)
    assign = ev("assign", ep=None, user=DROP, description=f"SIM {SIM} assigned to endpoint 11")
    r = replay(activate, assign)
    clean(r)
    assert r.sim_views()[SIM].endpoint == 11
    taken = ev("assign", sim=5, ep=None, description="SIM 5 assigned to endpoint 11")
    assert hits(replay(activate, assign, taken), "double-assignment") == [(taken["id"], 3)]


def test_delete_while_assigned() -> None:
    gone = ev("delete")
    f = only(replay(ev("assign"), gone), "delete-while-assigned")
    assert (f.event_id, f.line) == (gone["id"], 2)
    clean(replay(ev("assign"), ev("release"), ev("delete")))


# --------------------------------------------------------------------------- factory test


def _in_factory_test() -> list[dict[str, Any]]:
    return [ev("register"), ev("factory_test", ep=None), ev("assign")]


def test_missing_auto_activation() -> None:
    late = ev("suspend", frm="Activated")
    r = replay(*_in_factory_test(), ev("disable"), late)
    f = only(r, "missing-auto-activation")
    assert (f.event_id, f.line) == (late["id"], 5) and "auto-activation" in f.message
    clean(replay(*_in_factory_test(), ev("disable"), ev("auto_activate"), late))


def test_missing_auto_activation_after_a_reset_and_no_cascade() -> None:
    late = ev("disable")
    r = replay(*_in_factory_test(), ev("reset"), late)
    assert [f.rule for f in r.findings] == ["missing-auto-activation"]
    assert hits(r, "missing-auto-activation") == [(late["id"], 5)]


def test_pending_auto_activation() -> None:
    trigger = ev("enable")
    f = only(replay(*_in_factory_test(), trigger), "pending-auto-activation")
    assert (f.event_id, f.line, f.level) == (trigger["id"], 4, Level.WARNING)
    clean(replay(*_in_factory_test(), trigger, ev("auto_activate")))


def test_a_sim_that_only_may_be_in_factory_test_keeps_it_only_for_an_auto_activation() -> None:
    # First seen at the 43, the SIM may be in any live state: a log that starts mid-life.
    r = replay(ev("disable"), ev("auto_activate"))
    clean(r)
    assert r.sim_views()[SIM].mask == 1 << SimStatus.ACTIVATED
    clean(replay(ev("disable")))  # nothing was owed for sure: no pending warning
    # Any other next event shows it was not in Factory Test: the possibility is dropped.
    late = ev("auto_activate")
    f = only(replay(ev("disable"), ev("enable"), late), "illegal-transition")
    assert (f.event_id, f.line) == (late["id"], 3)
    assert "needs the SIM Factory Test, but it can only be Issued, Activated or Suspended" in (
        f.message)


# --------------------------------------------------------------------------- workspaces


def test_workspace_mismatch() -> None:
    elsewhere = ev("activate", org=ORG + 1)
    f = only(replay(ev("suspend"), elsewhere), "workspace-mismatch")
    assert (f.event_id, f.line) == (elsewhere["id"], 2)
    clean(replay(ev("suspend"), ev("activate")))


def test_migration_moves_ownership() -> None:
    source, target = migration([(SIM, ICCID)], source=ORG, target=9)
    clean(replay(ev("suspend", ep=None), source, target, ev("activate", org=9, ep=None)))
    stale = ev("activate", org=ORG, ep=None)
    r = replay(ev("suspend", ep=None), source, target, stale)
    assert hits(r, "workspace-mismatch") == [(stale["id"], 4)]


def test_migration_of_a_sim_owned_elsewhere_is_a_workspace_mismatch() -> None:
    source, target = migration([(SIM, ICCID)], source=ORG + 5, target=9)
    r = replay(ev("suspend"), source, target)
    assert hits(r, "workspace-mismatch") == [(source["id"], 2)]


# --------------------------------------------------------------------------- migration


def test_migration_pair_halves_disagreeing() -> None:
    source, target = migration([(1, "8988303000000000001")])
    target["detail"]["sims"].append(
        {"id": 2, "iccid": "8988303000000000002", "iccid_with_luhn": "89883030000000000026",
         "source_workspace": {"id": 1}})
    f = only(replay(source, target), "migration-pair")
    assert (f.event_id, f.line) == (target["id"], 2) and "different SIMs" in f.message
    clean(replay(*migration([(1, "8988303000000000001")])))


def test_migration_pair_target_earlier_than_source() -> None:
    source, target = migration([(1, "8988303000000000001")],
                               ts=("2025-01-23T08:46:33.000Z", "2025-01-23T08:46:32.000Z"))
    f = only(replay(target, source), "migration-pair")
    assert (f.event_id, f.line) == (source["id"], 2) and "earlier" in f.message
    same = migration([(1, "8988303000000000001")],
                     ts=("2025-01-23T08:46:33.000Z", "2025-01-23T08:46:33.000Z"))
    clean(replay(*same))


def test_migration_pair_half_in_the_wrong_workspace() -> None:
    source, target = migration([(1, "8988303000000000001")])
    target["organisation"]["id"] = 3
    r = replay(source, target)
    assert hits(r, "migration-pair") == [(target["id"], 2)]
    source, target = migration([(1, "8988303000000000001")])
    source["organisation"]["id"] = 3
    r = replay(source, target)
    assert hits(r, "migration-pair") == [(source["id"], 1)]


def test_orphaned_half_is_an_error_when_the_log_holds_the_other_workspace() -> None:
    source, _ = migration([(1, "8988303000000000001")], source=1, target=2)
    other = ev("suspend", sim=50, org=2)
    f = only(replay(source, other), "migration-pair")
    assert (f.event_id, f.line) == (source["id"], 1)
    f = only(replay(source, ev("suspend", sim=50, org=1)), "orphan-migration-half")
    assert (f.event_id, f.line, f.level) == (source["id"], 1, Level.WARNING)
    _, target = migration([(1, "8988303000000000001")], source=1, target=2)
    assert hits(replay(ev("suspend", sim=50, org=1), target), "migration-pair") == [
        (target["id"], 2)]


def test_migrated_while_active_is_applied_implicitly() -> None:
    source, target = migration([(SIM, ICCID)], source=ORG, target=9)
    activated = ev("activate", ep=None)
    r = replay(activated, source, target, ev("activate", org=9, ep=None))
    f = only(r, "migrated-while-active")
    assert (f.event_id, f.line, f.level) == (source["id"], 2, Level.WARNING)
    clean(replay(activated, ev("suspend", ep=None), source, target))
    held = replay(ev("assign"), source, target)
    assert hits(held, "migrated-while-active") == [(source["id"], 2)]
    assert held.sim_views()[SIM].endpoint is None


def test_luhn_warning_only_for_iccid_with_luhn() -> None:
    source, target = migration([(1, "8988303000000000001")])
    for half in (source, target):
        half["detail"]["sims"][0]["iccid_with_luhn"] = "89883030000000000010"
    f = only(replay(source, target), "luhn")
    assert (f.event_id, f.line) == (source["id"], 1)
    clean(replay(*migration([(1, "8988303000000000001")])))
    clean(replay(ev("suspend", iccid="89883030000000000010")))  # sim.iccid is never judged


# --------------------------------------------------------------------------- identities


def test_identity_change() -> None:
    changed = ev("activate", iccid="8988303000000000009")
    f = only(replay(ev("suspend"), changed), "identity-change")
    assert (f.event_id, f.line) == (changed["id"], 2)
    clean(replay(ev("suspend", iccid=ICCID), ev("activate", iccid=ICCID + "7")))


def test_identity_change_from_a_migration_listing() -> None:
    source, target = migration([(SIM, "8988303000000000009")], source=ORG, target=9)
    assert hits(replay(ev("suspend"), source, target), "identity-change") == [(source["id"], 2)]


def test_identity_change_back_after_a_migration_listing() -> None:
    source, target = migration([(SIM, "8988303000000000009")], source=ORG, target=9)
    back = ev("activate", org=9, ep=None)  # the SIM's first ICCID text again
    r = replay(ev("suspend", ep=None), source, target, back)
    assert [(f.rule, f.line) for f in r.findings] == [("identity-change", 2),
                                                      ("identity-change", 4)]


def test_iccid_reuse_is_a_warning() -> None:
    second = ev("suspend", sim=2, iccid=ICCID, ep=None)
    f = only(replay(ev("suspend", sim=1, iccid=ICCID, ep=None), second), "iccid-reuse")
    assert (f.event_id, f.line, f.level) == (second["id"], 2, Level.WARNING)
    clean(replay(ev("suspend", sim=1, ep=None), ev("suspend", sim=2, ep=None)))


def test_event_ids_duplicate_delivery_and_reuse() -> None:
    first = ev("suspend")
    r = replay(first, copy.deepcopy(first))
    f = only(r, "duplicate-delivery")
    assert (f.event_id, f.line, f.level) == (first["id"], 2, Level.WARNING)
    assert r.events == 2 and r.counts_by_type[9] == 1
    reordered = dict(reversed(list(first.items())))  # the same JSON value
    assert hits(replay(first, reordered), "duplicate-delivery") == [(first["id"], 2)]
    other = ev("activate", id=first["id"])
    f = only(replay(first, other), "duplicate-event-id")
    assert (f.event_id, f.line) == (first["id"], 2)
    clean(replay(first, ev("activate")))


def test_migration_pair_shares_an_id_but_a_third_event_may_not() -> None:
    source, target = migration([(1, "8988303000000000001")])
    clean(replay(source, target))
    assert hits(replay(source, target, target), "duplicate-delivery") == [(target["id"], 3)]
    third = copy.deepcopy(source)
    third["description"] = "SIM(s) migrated from workspace 1 to workspace 2 by user x@y.z"
    assert hits(replay(source, target, third), "duplicate-event-id") == [(source["id"], 3)]
    assert hits(replay(source, third), "duplicate-event-id") == [(source["id"], 2)]


# --------------------------------------------------------------------------- complete history


def test_registration_required_only_with_complete_history() -> None:
    seen = ev("suspend")
    f = only(replay(seen, ev("activate"), complete_history=True), "registration-required")
    assert (f.event_id, f.line) == (seen["id"], 1)
    clean(replay(seen))
    clean(replay(ev("register"), ev("activate", frm="Issued", ep=None), complete_history=True))
    clean(replay(seen, complete_history=True,
                 assume_registered=((int(ICCID[:19]), int(ICCID[:19])),)))
    # The target half of a migration is a way in; the source half is not.
    source, target = migration([(SIM, ICCID)], source=1, target=ORG)
    r = replay(target, ev("activate"), complete_history=True)
    assert hits(r, "registration-required") == []
    r = replay(source, complete_history=True)
    assert hits(r, "registration-required") == [(source["id"], 1)]


# --------------------------------------------------------------------------- catalogue


IMPLEMENTED = set(RULES) - {"time-order"}


def test_every_rule_but_time_order_has_a_trigger_above() -> None:
    source = Path(__file__).read_text()
    missing = [code for code in IMPLEMENTED if f'"{code}"' not in source]
    assert missing == []


def test_views_have_the_contract_shape() -> None:
    r = replay(ev("assign"), ev("suspend"))
    assert r.sim_views() == {SIM: SimView(1 << SimStatus.SUSPENDED, ORG, EP)}
    assert r.endpoint_views() == {EP: EndpointView(mask_of([0, 1]), SIM)}


def test_a_manual_activation_instead_of_the_auto_activation_is_one_finding() -> None:
    manual = ev("activate", frm="Factory Test")
    r = replay(*_in_factory_test(), ev("disable"), manual, ev("suspend"))
    assert [f.rule for f in r.findings] == ["missing-auto-activation"]
    assert hits(r, "missing-auto-activation") == [(manual["id"], 5)]


def test_a_sim_coming_back_through_a_lone_target_half_may_be_in_any_state() -> None:
    # Workspace 1's own log: the SIM leaves for 2, lives there unseen (e.g. goes into Factory
    # Test), and comes back from 3; the halves in between are in other workspaces' logs.
    away, _ = migration([(SIM, ICCID)], source=ORG, target=2)
    _, back = migration([(SIM, ICCID)], source=3, target=ORG)
    r = replay(ev("register"), away, back, ev("assign"), ev("disable"), ev("auto_activate"))
    assert {f.rule for f in r.findings} == {"orphan-migration-half"}
    assert hits(r, "orphan-migration-half") == [(away["id"], 2), (back["id"], 3)]
    # A source half in this workspace still checks where the SIM is.
    wrong, _ = migration([(SIM, ICCID)], source=ORG + 1, target=2)
    assert hits(replay(ev("register"), wrong), "workspace-mismatch") == [(wrong["id"], 2)]


def test_lenient_forms_replay_like_their_canonical_twins() -> None:
    batch = ev("register", sim=None, description="Batch of 3 SIM(s) registered.",
               event_severity="INFO")
    batch["detail"]["sim_batch"].update(
        batch_size=3, first_iccid="8988303000000000100", last_iccid="8988303000000000102")
    batch["detail"] = orjson.dumps(batch["detail"]).decode()
    batch["event_source"] = {"id": 2, "name": "API"}
    inside = ev("suspend", sim=41, iccid="8988303000000000101", ep=None)
    r = replay(batch, inside)
    assert [f.rule for f in r.findings] == ["lenient-format", "illegal-transition"]
    assert hits(r, "lenient-format") == [(batch["id"], 1)]
    assert "can only be Issued here" in r.findings[1].message  # the range was registered
