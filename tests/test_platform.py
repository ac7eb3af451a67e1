"""The simulated platform: each operation's events, its refusals, factory test, coupled series."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from lifecycle.codes import ICCID_PREFIX, EndpointStatus, SimStatus, luhn_valid
from lifecycle.events import dumps, normalize
from lifecycle.machines import SIM
from simulator.platform.core import ERROR_ATTACHED, Platform, Refused, Settings
from simulator.platform.records import json_string

ISSUED, ACTIVATED, SUSPENDED, DELETED, FT = (
    SimStatus.ISSUED, SimStatus.ACTIVATED, SimStatus.SUSPENDED, SimStatus.DELETED,
    SimStatus.FACTORY_TEST,
)
ENABLED, DISABLED = EndpointStatus.ENABLED, EndpointStatus.DISABLED


def fresh(**settings: Any) -> tuple[Platform, int]:
    p = Platform(seed=3, settings=Settings(**settings))
    return p, p.add_workspace()


def types(events: list[dict[str, Any]]) -> list[int]:
    return [e["event_type"]["id"] for e in events]


def since(p: Platform, mark: int) -> list[dict[str, Any]]:
    return p.events[mark:]


def refused(http: int, call: Any, *args: Any, **kwargs: Any) -> Refused:
    """Assert that the call is refused with ``status`` and emits nothing."""
    p: Platform = call.__self__
    before = len(p.events)
    with pytest.raises(Refused) as info:
        call(*args, **kwargs)
    assert info.value.http_status == http, info.value.message
    assert len(p.events) == before
    return info.value


def activated_in_endpoint(p: Platform, ws: int) -> tuple[int, int]:
    (sim,) = p.register(1, workspace=ws)
    ep = p.create_endpoint(workspace=ws, sim=sim)
    p.set_status(sim, ACTIVATED)
    return sim, ep


def ft_in_endpoint(p: Platform, ws: int, status: EndpointStatus = ENABLED) -> tuple[int, int]:
    (sim,) = p.register(1, workspace=ws)
    p.set_status(sim, FT)
    ep = p.create_endpoint(workspace=ws, sim=sim, status=status)
    return sim, ep


def is_auto_activation(event: dict[str, Any], reason: str) -> bool:
    status = event["detail"]["transition"]["sim"]["status"]
    return (
        event["event_type"]["id"] == 8
        and event["event_source"] == {"id": 1, "description": "Policy Control"}
        and "user" not in event
        and status == {"from": {"id": 4, "description": "FACTORY TEST"},
                       "to": {"id": 1, "description": "ACTIVATED"}}
        and event["detail"]["transition"]["reason"] == reason
    )


# ----------------------------------------------------------------- envelope


def test_every_event_is_canonical_and_in_platform_key_order() -> None:
    p, ws = fresh(activate_on_assign=True, network_events=True)
    other = p.add_workspace()
    sim, ep = ft_in_endpoint(p, ws)
    p.use_data(sim, 200 * 1024)
    p.reset_connectivity(ep)
    p.migrate([sim], target_workspace=other, auto_detach_devices=True)
    p.delete_sim(sim)
    p.register(4, workspace=ws, status=ACTIVATED)
    assert len(p.events) > 15
    stamps = [e["timestamp"] for e in p.events]
    assert stamps == sorted(stamps)
    for event in p.events:
        raw = orjson.dumps(event)
        assert raw == dumps(event)
        canonical, odd = normalize(orjson.loads(raw))
        assert odd == []
        assert dumps(canonical) == raw
    ids = [e["id"] for e in p.events if e["event_type"]["id"] != 69]
    assert len(ids) == len(set(ids))


def test_same_seed_same_events_other_seed_other_ids() -> None:
    def run(seed: int) -> list[bytes]:
        p = Platform(seed=seed)
        ws = p.add_workspace()
        sims = p.register(3, workspace=ws)
        p.set_status(sims[0], ACTIVATED)
        return [dumps(e) for e in p.events]

    assert run(5) == run(5)
    assert run(5) != run(6)


# ----------------------------------------------------------------- registration


def test_registration_batch_one_event_sim_only_for_batch_of_one() -> None:
    p, ws = fresh()
    sims = p.register(5, workspace=ws)
    (event,) = p.events
    assert event["description"] == "Batch of 5 SIM(s) registered."
    assert "sim" not in event and "endpoint" not in event
    batch = event["detail"]["sim_batch"]
    assert batch["batch_size"] == 5 and set(batch["sim_model"]) == {"id"}
    iccids = [p.sims[s].iccid for s in sims]
    assert batch["first_iccid"] == iccids[0] and batch["last_iccid"] == iccids[-1]
    assert [int(i[:19]) for i in iccids] == list(range(int(iccids[0][:19]),
                                                       int(iccids[0][:19]) + 5))
    assert all(luhn_valid(i) and i.startswith(ICCID_PREFIX) and len(i) == 20 for i in iccids)
    assert all(p.sims[s].status == ISSUED for s in sims)
    (single,) = p.register(1, workspace=ws)
    assert p.events[-1]["sim"]["id"] == single
    assert p.events[-1]["sim"]["iccid"] == p.sims[single].iccid


@pytest.mark.parametrize(("status", "etype"), [(ACTIVATED, 8), (FT, 45)])
def test_registration_straight_to_activated_or_factory_test(status: SimStatus, etype: int) -> None:
    p, ws = fresh()
    sims = p.register(3, workspace=ws, status=status)
    assert types(p.events) == [48, etype, etype, etype]
    assert [e["sim"]["id"] for e in p.events[1:]] == sims
    assert all(e["description"] == f"Status of SIM changed from 'Issued' to '{status.label}'"
               for e in p.events[1:])
    assert all(p.sims[s].status == status for s in sims)


@pytest.mark.parametrize("status", [SUSPENDED, DELETED])
def test_registration_to_other_states_is_refused(status: SimStatus) -> None:
    p, ws = fresh()
    refused(422, p.register, 2, workspace=ws, status=status)
    refused(422, p.register, 0, workspace=ws)
    refused(404, p.register, 1, workspace=ws + 1)


# ----------------------------------------------------------------- status changes


def test_every_api_status_change_follows_the_compiled_table() -> None:
    """Each (from, to) request is accepted exactly when the compiled SIM table allows it."""
    for start in (ISSUED, ACTIVATED, SUSPENDED, FT):
        for target in SimStatus:
            p, ws = fresh()
            (sim,) = p.register(1, workspace=ws)
            path = {ISSUED: [], ACTIVATED: [ACTIVATED], SUSPENDED: [ACTIVATED, SUSPENDED],
                    FT: [FT]}[start]
            for s in path:
                p.set_status(sim, s)
            step = SIM.step_to(target, 2)
            if step is not None and start in step.sources:
                p.set_status(sim, target)
                assert p.sims[sim].status == target
                assert p.events[-1]["event_type"]["id"] == step.event_type
            else:
                refused(400, p.set_status, sim, target)
                assert p.sims[sim].status == start


def test_activated_to_factory_test_is_refused() -> None:
    p, ws = fresh()
    sim, _ = activated_in_endpoint(p, ws)
    err = refused(400, p.set_status, sim, FT)
    assert "Activated" in err.message and "Factory Test" in err.message


def test_status_change_event_shape() -> None:
    p, ws = fresh()
    sim, ep = activated_in_endpoint(p, ws)
    event = p.events[-1]
    assert list(event) == ["timestamp", "alert", "description", "id", "event_type",
                           "event_source", "event_severity", "organisation", "user", "endpoint",
                           "sim", "imsi"]
    assert event["description"] == "Status of SIM changed from 'Issued' to 'Activated'"
    assert event["endpoint"]["id"] == ep and event["sim"]["id"] == sim
    assert event["imsi"]["imsi"] == p.sims[sim].imsi
    assert set(event["user"]) == {"id", "name", "username"}


def test_application_token_leaves_out_the_user_but_deletion_names_one() -> None:
    p, ws = fresh()
    p.set_actor(None)
    (sim,) = p.register(1, workspace=ws)
    p.set_status(sim, ACTIVATED)
    assert all("user" not in e for e in p.events)
    p.set_status(sim, SUSPENDED)
    p.delete_sim(sim)
    deletion = p.events[-1]
    assert deletion["user"] == p.workspaces[ws].users[0]
    assert deletion["description"] == (
        f"SIM {sim} ({p.sims[sim].iccid}) has been deleted by {deletion['user']['username']}"
    )
    p.set_actor(2)
    (other,) = p.register(1, workspace=ws)
    assert p.events[-1]["user"] == p.workspaces[ws].users[2]
    del other


# ----------------------------------------------------------------- deletion


def test_delete_sim_shape_and_refusals() -> None:
    p, ws = fresh()
    sim, ep = activated_in_endpoint(p, ws)
    refused(409, p.delete_sim, sim)
    p.release(ep)
    p.delete_sim(sim)
    event = p.events[-1]
    assert event["event_type"]["id"] == 10
    assert "endpoint" not in event and "imsi" not in event
    assert event["sim"]["id"] == sim
    assert p.sims[sim].status == DELETED
    refused(404, p.delete_sim, 12345)


def test_anything_after_deletion_is_refused() -> None:
    p, ws = fresh()
    other = p.add_workspace()
    (sim,) = p.register(1, workspace=ws)
    p.delete_sim(sim)
    ep = p.create_endpoint(workspace=ws)
    for status in SimStatus:
        refused(400, p.set_status, sim, status)
    refused(400, p.delete_sim, sim)
    refused(400, p.assign, ep, sim)
    refused(400, p.create_endpoint, workspace=ws, sim=sim)
    refused(400, p.send_sms, sim)
    refused(400, p.use_data, sim, 10)
    refused(400, p.migrate, [sim], target_workspace=other)


# ----------------------------------------------------------------- endpoints


def test_endpoint_status_changes_and_refusals() -> None:
    p, ws = fresh()
    ep = p.create_endpoint(workspace=ws)
    assert p.events == []
    refused(400, p.set_endpoint_status, ep, ENABLED)
    p.set_endpoint_status(ep, DISABLED)
    p.set_endpoint_status(ep, ENABLED)
    assert types(p.events) == [43, 42]
    assert p.events[0]["description"] == f"Status of Endpoint {ep} changed to Disabled"
    assert p.events[1]["description"] == f"Status of Endpoint {ep} changed to Enabled"
    assert "sim" not in p.events[0]
    refused(404, p.set_endpoint_status, ep + 999_999, DISABLED)
    refused(422, p.create_endpoint, workspace=ws, status=EndpointStatus.DELETED)


def test_assign_and_release_shapes_and_conflicts() -> None:
    p, ws = fresh()
    a, b = p.register(2, workspace=ws)
    e1 = p.create_endpoint(workspace=ws)
    e2 = p.create_endpoint(workspace=ws)
    mark = len(p.events)
    p.assign(e1, a)
    assigned = p.events[-1]
    assert assigned["description"] == f"SIM {a} assigned to endpoint {e1}"
    assert assigned["endpoint"]["id"] == e1 and "user" in assigned
    imei = p.endpoints[e1].imei
    assert assigned["detail"] == ({} if imei is None else {"imei": imei})
    refused(409, p.assign, e1, b)  # endpoint holds one
    refused(409, p.assign, e2, a)  # SIM held
    refused(409, p.release, e2)  # holds none
    refused(404, p.assign, e1, 1)
    p.release(e1)
    assert p.events[-1]["description"] == f"SIM {a} released from endpoint {e1}"
    assert types(since(p, mark)) == [51, 50]
    assert p.snapshot().endpoints[e1] == (ENABLED, None)
    assert p.snapshot().sims[a] == (ISSUED, ws, None)


def test_assign_across_workspaces_is_refused() -> None:
    p, ws = fresh()
    other = p.add_workspace()
    (sim,) = p.register(1, workspace=ws)
    ep = p.create_endpoint(workspace=other)
    refused(404, p.assign, ep, sim)
    refused(404, p.create_endpoint, workspace=other, sim=sim)


@pytest.mark.parametrize("activate", [False, True])
def test_endpoint_created_with_a_sim(activate: bool) -> None:
    p, ws = fresh(activate_on_assign=activate)
    (sim,) = p.register(1, workspace=ws)
    mark = len(p.events)
    ep = p.create_endpoint(workspace=ws, sim=sim)
    new = since(p, mark)
    assert types(new) == ([8, 51] if activate else [51])
    for event in new:
        assert "endpoint" not in event and "user" not in event
        assert event["sim"]["id"] == sim
    assert new[-1]["description"] == f"SIM {sim} assigned to endpoint {ep}"
    if activate:
        assert new[0]["description"] == "Status of SIM changed from 'Issued' to 'Activated'"
        assert new[0]["event_source"]["id"] == 2
    assert p.snapshot().sims[sim] == (ACTIVATED if activate else ISSUED, ws, ep)
    assert p.snapshot().endpoints[ep] == (ENABLED, sim)


def test_activate_on_assign_leaves_non_issued_sims_alone() -> None:
    p, ws = fresh(activate_on_assign=True)
    (sim,) = p.register(1, workspace=ws, status=FT)
    mark = len(p.events)
    p.create_endpoint(workspace=ws, sim=sim)
    assert types(since(p, mark)) == [51]
    assert p.sims[sim].status == FT


@pytest.mark.parametrize(
    ("sim_status", "ep_status", "expected"),
    [
        (ACTIVATED, ENABLED, [9, 43, 50]),
        (ACTIVATED, DISABLED, [9, 50]),
        (ISSUED, ENABLED, [43, 50]),
        (FT, ENABLED, [43, 8, 9, 50]),
        (FT, DISABLED, [50]),
    ],
)
def test_delete_device(sim_status: SimStatus, ep_status: EndpointStatus,
                       expected: list[int]) -> None:
    p, ws = fresh()
    (sim,) = p.register(1, workspace=ws)
    if sim_status != ISSUED:
        p.set_status(sim, sim_status)
    ep = p.create_endpoint(workspace=ws, sim=sim, status=ep_status)
    mark = len(p.events)
    p.delete_endpoint(ep)
    new = since(p, mark)
    assert types(new) == expected
    if sim_status == FT and ep_status == ENABLED:
        assert is_auto_activation(new[1], "Endpoint status changed.")
    final = {ACTIVATED: SUSPENDED, FT: SUSPENDED if ep_status == ENABLED else FT}
    assert p.snapshot().sims[sim] == (final.get(sim_status, sim_status), ws, None)
    assert p.snapshot().endpoints[ep] == (EndpointStatus.DELETED, None)
    refused(404, p.set_endpoint_status, ep, DISABLED)
    refused(404, p.delete_endpoint, ep)


def test_delete_empty_disabled_device_is_silent() -> None:
    p, ws = fresh()
    ep = p.create_endpoint(workspace=ws, status=DISABLED)
    p.delete_endpoint(ep)
    assert p.events == []


# ----------------------------------------------------------------- factory test


def test_ninth_sms_nothing_tenth_activates() -> None:
    p, ws = fresh()
    sim, _ = ft_in_endpoint(p, ws)
    mark = len(p.events)
    for _ in range(9):
        p.send_sms(sim)
    assert since(p, mark) == [] and p.sims[sim].status == FT
    p.send_sms(sim)
    (event,) = since(p, mark)
    assert is_auto_activation(event, "SIM reached factory test SMS limit.")
    assert event["sim"]["id"] == sim
    p.send_sms(sim, 5)
    assert len(since(p, mark)) == 1


def test_sms_threshold_in_one_burst() -> None:
    p, ws = fresh()
    sim, _ = ft_in_endpoint(p, ws)
    mark = len(p.events)
    p.send_sms(sim, 10)
    assert types(since(p, mark)) == [8]


def test_data_threshold_100_kb() -> None:
    p, ws = fresh()
    sim, _ = ft_in_endpoint(p, ws)
    mark = len(p.events)
    p.use_data(sim, 60 * 1024)
    p.use_data(sim, 40 * 1024 - 1)
    assert since(p, mark) == []
    p.use_data(sim, 1)
    (event,) = since(p, mark)
    assert is_auto_activation(event, "SIM reached factory test volume.")
    assert event["description"] == "SIM activated after factory test volume reached."


def test_thresholds_are_settings() -> None:
    p, ws = fresh(factory_test_sms=3)
    sim, _ = ft_in_endpoint(p, ws)
    p.send_sms(sim, 2)
    assert p.sims[sim].status == FT
    p.send_sms(sim)
    assert p.sims[sim].status == ACTIVATED


@pytest.mark.parametrize("target", [DISABLED, ENABLED])
def test_endpoint_status_change_auto_activates(target: EndpointStatus) -> None:
    p, ws = fresh()
    start = ENABLED if target == DISABLED else DISABLED
    sim, ep = ft_in_endpoint(p, ws, start)
    mark = len(p.events)
    p.set_endpoint_status(ep, target)
    new = since(p, mark)
    assert types(new) == [43 if target == DISABLED else 42, 8]
    assert is_auto_activation(new[1], "Endpoint status changed.")
    assert new[1]["endpoint"]["id"] == ep and new[1]["sim"]["id"] == sim


def test_factory_test_period_ends_at_its_deadline() -> None:
    p, ws = fresh(factory_test_days=2)
    sim, _ = ft_in_endpoint(p, ws)
    entered = next(e for e in p.events if e["event_type"]["id"] == 45)["timestamp"]
    mark = len(p.events)
    p.advance_time(86_400)
    assert since(p, mark) == []
    p.advance_time(3 * 86_400)
    (event,) = since(p, mark)
    assert is_auto_activation(event, "Factory test period ended.")
    assert event["sim"]["id"] == sim
    assert event["timestamp"][:10] == "2025-01-03" and event["timestamp"][10:] == entered[10:]
    assert p.now.day == 5


def test_period_of_a_sim_activated_earlier_does_not_fire() -> None:
    p, ws = fresh(factory_test_days=1)
    sim, _ = ft_in_endpoint(p, ws)
    p.send_sms(sim, 10)
    mark = len(p.events)
    p.advance_time(3 * 86_400)
    assert since(p, mark) == []


def test_usage_needs_network_access() -> None:
    p, ws = fresh()
    (sim,) = p.register(1, workspace=ws)
    refused(400, p.send_sms, sim)
    refused(400, p.use_data, sim, 1)
    p.set_status(sim, ACTIVATED)
    p.send_sms(sim)
    p.use_data(sim, 1000)
    refused(422, p.send_sms, sim, 0)
    refused(422, p.use_data, sim, -1)


# ----------------------------------------------------------------- reset connectivity


def test_reset_series_activated_enabled() -> None:
    p, ws = fresh()
    sim, ep = activated_in_endpoint(p, ws)
    mark = len(p.events)
    p.reset_connectivity(ep)
    new = since(p, mark)
    assert types(new) == [68, 9, 5, 43, 42, 8, 1]
    assert [e["event_source"]["id"] for e in new] == [2, 2, 0, 2, 2, 2, 0]
    assert new[0]["description"] == "Endpoint connectivity reset triggered"
    assert new[0]["detail"] == {"data": {}} and "imsi" not in new[0]
    assert all(e["sim"]["id"] == sim and e["endpoint"]["id"] == ep for e in new)
    assert p.snapshot().sims[sim] == (ACTIVATED, ws, ep)
    assert p.snapshot().endpoints[ep] == (ENABLED, sim)


def test_reset_series_factory_test_sim() -> None:
    p, ws = fresh()
    sim, ep = ft_in_endpoint(p, ws)
    mark = len(p.events)
    p.reset_connectivity(ep)
    new = since(p, mark)
    assert types(new) == [68, 8, 9, 5, 43, 42, 8, 1]
    assert is_auto_activation(new[1], "Connectivity reset.")
    assert p.snapshot().sims[sim] == (ACTIVATED, ws, ep)


def test_reset_series_suspended_sim_disabled_endpoint() -> None:
    p, ws = fresh()
    sim, ep = activated_in_endpoint(p, ws)
    p.set_status(sim, SUSPENDED)
    p.set_endpoint_status(ep, DISABLED)
    mark = len(p.events)
    p.reset_connectivity(ep)
    assert types(since(p, mark)) == [68, 5, 1]
    assert p.snapshot().sims[sim] == (SUSPENDED, ws, ep)
    assert p.snapshot().endpoints[ep] == (DISABLED, sim)


def test_reset_without_sim_is_refused() -> None:
    p, ws = fresh()
    ep = p.create_endpoint(workspace=ws)
    refused(409, p.reset_connectivity, ep)


# ----------------------------------------------------------------- migration


def test_migration_pair_with_auto_suspend_and_detach() -> None:
    p, ws = fresh()
    target = p.add_workspace()
    held, _ = activated_in_endpoint(p, ws)
    (loose,) = p.register(1, workspace=ws)
    mark = len(p.events)
    p.migrate([held, loose], target_workspace=target, auto_detach_devices=True)
    new = since(p, mark)
    assert types(new) == [9, 50, 69, 69]
    source_half, target_half = new[2], new[3]
    assert source_half["id"] == target_half["id"]
    assert source_half["timestamp"] <= target_half["timestamp"]
    assert source_half["organisation"]["id"] == ws
    assert target_half["organisation"]["id"] == target
    username = source_half["user"]["username"]
    assert source_half["description"] == (
        f"SIM(s) migrated from workspace {ws} to workspace {target} by user {username}"
    )
    assert target_half["description"] == f"SIM(s) migrated to workspace {target} by user {username}"
    for half, kind in ((source_half, "source"), (target_half, "target")):
        detail = half["detail"]
        assert list(detail) == ["target_workspace", "sims", "type"]
        assert detail["type"] == kind and detail["target_workspace"] == {"id": target}
        assert [s["id"] for s in detail["sims"]] == [held, loose]
        for entry in detail["sims"]:
            assert entry["iccid_with_luhn"] == p.sims[entry["id"]].iccid
            assert entry["iccid"] == entry["iccid_with_luhn"][:19]
            assert entry["source_workspace"] == {"id": ws, "name": p.workspaces[ws].name}
    assert p.snapshot().sims[held] == (SUSPENDED, target, None)
    assert p.snapshot().sims[loose] == (ISSUED, target, None)
    # afterwards the SIMs live in the target workspace
    p.set_status(held, ACTIVATED)
    assert p.events[-1]["organisation"]["id"] == target


def test_migration_refusals() -> None:
    p, ws = fresh()
    target = p.add_workspace()
    held, _ = activated_in_endpoint(p, ws)
    err = refused(409, p.migrate, [held], target_workspace=target)
    assert err.error_code == ERROR_ATTACHED
    (other,) = p.register(1, workspace=target)
    refused(422, p.migrate, [held, other], target_workspace=target, auto_detach_devices=True)
    refused(422, p.migrate, [], target_workspace=target)
    refused(422, p.migrate, [other], target_workspace=target)
    refused(422, p.migrate, [held, held], target_workspace=target, auto_detach_devices=True)
    many = p.register(501, workspace=ws)
    refused(422, p.migrate, many, target_workspace=target)
    refused(404, p.migrate, [held], target_workspace=1)
    p.migrate(many[:500], target_workspace=target)
    assert types(p.events[-2:]) == [69, 69]


def test_migration_by_token_still_names_a_user() -> None:
    p, ws = fresh()
    target = p.add_workspace()
    (sim,) = p.register(1, workspace=ws)
    p.set_actor(None)
    p.migrate([sim], target_workspace=target)
    assert all(e["user"] == p.workspaces[ws].users[0] for e in p.events[-2:])


@pytest.mark.parametrize("name", ['Pump "7" \\ west', "Zähler\n\t\x01 ☃", None])
def test_lines_are_the_bytes_of_the_dicts(name: str | None) -> None:
    def run(lines: bool) -> tuple[Platform, list[Any]]:
        p = Platform(seed=8, settings=Settings(activate_on_assign=True, network_events=True),
                     lines=lines)
        ws, other = p.add_workspace('Acme "Quoted" \\ Ltd'), p.add_workspace()
        sims = p.register(3, workspace=ws, status=FT) + p.register(1, workspace=ws)
        ep = p.create_endpoint(workspace=ws, sim=sims[0], name=name)
        p.create_endpoint(workspace=ws, sim=sims[3], status=DISABLED)
        p.send_sms(sims[0], 10)
        p.use_data(sims[0], 5_000)
        p.reset_connectivity(ep)
        p.set_actor(None)
        p.set_endpoint_status(ep, DISABLED)
        p.migrate(sims[:2], target_workspace=other, auto_detach_devices=True)
        p.set_actor(1)
        p.delete_endpoint(p.create_endpoint(workspace=other, sim=sims[0]))
        p.advance_time(200 * 86_400)
        p.delete_sim(sims[0])
        return p, p.events

    (plain, events), (fast, lines) = run(False), run(True)
    assert len(set(types(events))) >= 12
    assert [line.encode() for line in lines] == [dumps(e) + b"\n" for e in events]
    assert all(fast.sims[i].obj == r.obj and fast.sims[i].imsi_obj == r.imsi_obj
               for i, r in plain.sims.items())
    assert all(fast.endpoints[i].obj == e.obj for i, e in plain.endpoints.items())


def test_json_strings_without_orjson_are_orjsons() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert json_string(every).encode() == orjson.dumps(every)
    for c in range(0x100):
        assert json_string(chr(c)).encode() == orjson.dumps(chr(c))
