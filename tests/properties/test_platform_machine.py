"""The simulated platform, the compiled tables and replay agree, whatever a user or device does.

A hypothesis state machine drives the platform with random operations, refused ones included,
and after every step replays the new events: the log so far must validate with no finding, and
what replay derives must equal the platform's own state. Factory Test auto-activation is
predicted by counters kept here, independently of the platform; status changes are checked
against ``lifecycle.machines`` (the differential rule). Bundles hold entities by kind (and
deleted SIMs, whose state never changes), so no rule filters with preconditions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from lifecycle.codes import EndpointStatus, EventType, SimStatus, Source
from lifecycle.machines import ENDPOINT, SIM
from simulator.platform.core import Platform, Refused, Settings
from simulator.replay.core import Replay
from tests.properties.budget import budget

_API, _POLICY, _NETWORK = int(Source.API), int(Source.POLICY_CONTROL), int(Source.NETWORK)
_DAY_MS = 86_400_000
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def _ms(stamp: str) -> int:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (moment - _EPOCH) // _ms_unit


_ms_unit = datetime.fromisoformat("1970-01-01T00:00:00.001+00:00") - _EPOCH


def _table_allows(machine: Any, source: int, old: int, new: int) -> tuple[int, ...] | None:
    """The event types (from ``source``) that the compiled table lets take ``old`` to ``new``."""
    found = tuple(
        kind for (kind, src), table in machine.by_event.items()
        if src == source and table.get(old) == new
    )
    return found or None


def _without_attach(
    emitted: list[tuple[int, int]], series: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``emitted`` without the network attach pairs (1, 2) that ``series`` does not hold."""
    out: list[tuple[int, int]] = []
    wanted = list(series)
    for item in emitted:
        if wanted and item == wanted[0]:
            wanted.pop(0)
            out.append(item)
        elif item not in ((1, _NETWORK), (2, _NETWORK)):
            out.append(item)
    return out


def _sims_of(event: dict[str, Any]) -> set[int]:
    found = set()
    if isinstance(event.get("sim"), dict):
        found.add(event["sim"]["id"])
    if event["event_type"]["id"] == EventType.SIM_MIGRATION:
        found.update(s["id"] for s in event["detail"]["sims"])
    return found


class PlatformMachine(RuleBasedStateMachine):
    workspaces = Bundle("workspaces")
    sims = Bundle("sims")
    factory = Bundle("factory")  # SIMs that entered Factory Test (may have left it since)
    deleted = Bundle("deleted")  # deleted SIMs: terminal, so this bundle is never stale
    endpoints = Bundle("endpoints")

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[dict[str, Any]] = []
        self.log_length = 0
        self.replay = Replay()
        self.gone: set[int] = set()  # deleted SIMs, as the log shows them
        self.sms: dict[int, int] = {}
        self.data: dict[int, int] = {}
        self.ft_since: dict[int, int] = {}  # SIM -> ms of its 45 (the test period's start)
        self.endpoint_seen_changing: set[int] = set()
        self.ids: dict[int, dict[str, Any]] = {}
        self.last_stamp = ""

    # ------------------------------------------------------------------ set-up

    @initialize(
        target=workspaces,
        seed=st.integers(0, 2**32 - 1),
        activate_on_assign=st.booleans(),
        network_events=st.booleans(),
    )
    def start(self, seed: int, activate_on_assign: bool, network_events: bool) -> Any:
        self.settings = Settings(
            activate_on_assign=activate_on_assign, network_events=network_events
        )
        self.platform = Platform(seed=seed, settings=self.settings, sink=self.pending.append)
        return multiple(self.platform.add_workspace(), self.platform.add_workspace())

    # ------------------------------------------------------------------ helpers

    def _do(self, call: Any, *args: Any, **kwargs: Any) -> Refused | None:
        """Run one operation; a refusal must leave no trace (no event, no state change)."""
        before = self.platform.snapshot()
        emitted = len(self.pending)
        try:
            call(*args, **kwargs)
        except Refused as refusal:
            assert len(self.pending) == emitted, f"refused {refusal} but emitted events"
            assert self.platform.snapshot() == before, f"refused {refusal} but changed state"
            return refusal
        return None

    def _status(self, sim: int) -> SimStatus:
        return self.platform.sims[sim].status

    def _expect_auto(self, expected: set[int]) -> None:
        auto = [
            e["sim"]["id"] for e in self.pending
            if e["event_type"]["id"] == EventType.SIM_ACTIVATION
            and e["event_source"]["id"] == _POLICY
        ]
        assert sorted(auto) == sorted(expected), (
            f"auto-activations {auto}, expected exactly {sorted(expected)}"
        )
        for e in self.pending:
            if e["event_source"]["id"] == _POLICY:
                event(f"auto-activation: {e['detail']['transition']['reason']}")

    def _expect_series(self, series: list[tuple[int, int]]) -> None:
        """The step emitted exactly ``series`` (type, source); attach events aside."""
        emitted = [(e["event_type"]["id"], e["event_source"]["id"]) for e in self.pending]
        if self.settings.network_events:  # an activation may add its 1 and 2 (attach)
            emitted = _without_attach(emitted, series)
        assert emitted == series, f"emitted {emitted}, expected {series}"

    def _holder_ft(self, endpoint: int) -> set[int]:
        rec = self.platform.endpoints[endpoint]
        if rec.status == EndpointStatus.DELETED or rec.sim is None:
            return set()
        return {rec.sim} if self._status(rec.sim) == SimStatus.FACTORY_TEST else set()

    # ------------------------------------------------------------------ SIM rules

    def _register(self, workspace: int, count: int, status: SimStatus) -> list[int]:
        before = set(self.platform.sims)
        refusal = self._do(self.platform.register, count, workspace=workspace, status=status)
        straight = status == SimStatus.ISSUED or (
            status != SimStatus.DELETED
            and _table_allows(SIM, _API, SimStatus.ISSUED, status) is not None
        )
        assert (refusal is None) == straight, f"register as {status.label}: {refusal}"
        if refusal is not None:
            assert refusal.http_status == 422, refusal
            return []
        kinds = [(e["event_type"]["id"], e["event_source"]["id"]) for e in self.pending]
        follow = _table_allows(SIM, _API, SimStatus.ISSUED, status) or ()
        assert kinds == [(48, _API)] + [(k, _API) for k in follow] * count, kinds
        assert ("sim" in self.pending[0]) == (count == 1)
        ids = sorted(set(self.platform.sims) - before)
        assert len(ids) == count
        return ids

    @rule(target=sims, workspace=workspaces, count=st.integers(1, 3),
          status=st.sampled_from(SimStatus))
    def register(self, workspace: int, count: int, status: SimStatus) -> Any:
        return multiple(*self._register(workspace, count, status))

    @rule(targets=(sims, factory), workspace=workspaces, count=st.integers(1, 2))
    def register_factory_test(self, workspace: int, count: int) -> Any:
        return multiple(*self._register(workspace, count, SimStatus.FACTORY_TEST))

    def _set_status(self, sim: int, status: SimStatus) -> bool:
        """Differential: accepted exactly when the compiled SIM table allows it."""
        old = self._status(sim)
        held = self.platform.sims[sim].endpoint is not None
        refusal = self._do(self.platform.set_status, sim, status)
        kinds = _table_allows(SIM, _API, old, status)
        allowed = kinds is not None and not (status == SimStatus.DELETED and held)
        assert (refusal is None) == allowed, (
            f"{old.label} -> {status.label} (held: {held}): platform "
            f"{'accepted' if refusal is None else refusal}, table {kinds}"
        )
        if refusal is not None:
            assert refusal.http_status == (409 if kinds is not None else 400), refusal
            return False
        assert self._status(sim) == status
        lifecycle = [e for e in self.pending if e["event_type"]["id"] in (8, 9, 10, 45)]
        assert [(e["event_type"]["id"], e["event_source"]["id"]) for e in lifecycle] == [
            (kind, _API) for kind in kinds or ()
        ]
        self._expect_auto(set())
        return True

    @rule(sim=sims, status=st.sampled_from(SimStatus))
    def set_status(self, sim: int, status: SimStatus) -> None:
        self._set_status(sim, status)

    @rule(target=factory, sim=sims)
    def start_factory_test(self, sim: int) -> Any:
        return sim if self._set_status(sim, SimStatus.FACTORY_TEST) else multiple()

    @rule(target=deleted, sim=sims)
    def delete_sim(self, sim: int) -> Any:
        old = self._status(sim)
        held = self.platform.sims[sim].endpoint is not None
        refusal = self._do(self.platform.delete_sim, sim)
        if old == SimStatus.DELETED:
            assert refusal is not None and refusal.http_status == 400, refusal
            return multiple()
        if held:
            assert refusal is not None and refusal.http_status == 409, refusal
            return multiple()
        assert refusal is None, refusal
        assert [e["event_type"]["id"] for e in self.pending] == [10]
        return sim

    @rule(
        sim=deleted,
        op=st.sampled_from(["set_status", "delete_sim", "use_data", "send_sms", "assign",
                            "create_endpoint", "migrate"]),
        status=st.sampled_from(SimStatus),
        detach=st.booleans(),
    )
    def touch_deleted(self, sim: int, op: str, status: SimStatus, detach: bool) -> None:
        """Deleted is terminal: every operation on a deleted SIM is refused with 400."""
        p = self.platform
        ws = p.sims[sim].workspace
        other = next(w for w in p.workspaces if w != ws)
        if op == "assign":  # a fresh endpoint (created silently) to put it in
            endpoint = p.create_endpoint(workspace=ws)
            refusal = self._do(p.assign, endpoint, sim)
        else:
            calls = {
                "set_status": lambda: p.set_status(sim, status),
                "delete_sim": lambda: p.delete_sim(sim),
                "use_data": lambda: p.use_data(sim, 2048),
                "send_sms": lambda: p.send_sms(sim, 1),
                "create_endpoint": lambda: p.create_endpoint(workspace=ws, sim=sim),
                "migrate": lambda: p.migrate([sim], target_workspace=other,
                                             auto_detach_devices=detach),
            }
            refusal = self._do(calls[op])
        assert refusal is not None and refusal.http_status == 400, f"{op}: {refusal}"

    def _send_sms(self, sim: int, count: int) -> None:
        old = self._status(sim)
        refusal = self._do(self.platform.send_sms, sim, count)
        usable = old in (SimStatus.ACTIVATED, SimStatus.FACTORY_TEST)
        assert (refusal is None) == usable, f"{old.label}: {refusal}"
        expected: set[int] = set()
        if refusal is None and old == SimStatus.FACTORY_TEST:
            self.sms[sim] = self.sms.get(sim, 0) + count
            if self.sms[sim] >= self.settings.factory_test_sms:
                expected.add(sim)
        self._expect_auto(expected)
        if expected:
            assert self._status(sim) == SimStatus.ACTIVATED

    @rule(sim=sims, count=st.integers(1, 12))
    def send_sms(self, sim: int, count: int) -> None:
        self._send_sms(sim, count)

    @rule(sim=factory, count=st.integers(1, 6))
    def send_sms_in_factory_test(self, sim: int, count: int) -> None:
        self._send_sms(sim, count)

    def _use_data(self, sim: int, nbytes: int) -> None:
        old = self._status(sim)
        refusal = self._do(self.platform.use_data, sim, nbytes)
        usable = old in (SimStatus.ACTIVATED, SimStatus.FACTORY_TEST)
        assert (refusal is None) == usable, f"{old.label}: {refusal}"
        expected: set[int] = set()
        if refusal is None and old == SimStatus.FACTORY_TEST:
            self.data[sim] = self.data.get(sim, 0) + nbytes
            if self.data[sim] >= self.settings.factory_test_bytes:
                expected.add(sim)
        self._expect_auto(expected)
        if expected:
            assert self._status(sim) == SimStatus.ACTIVATED

    @rule(sim=sims, nbytes=st.integers(0, 120 * 1024))
    def use_data(self, sim: int, nbytes: int) -> None:
        self._use_data(sim, nbytes)

    @rule(sim=factory, nbytes=st.integers(0, 60 * 1024))
    def use_data_in_factory_test(self, sim: int, nbytes: int) -> None:
        self._use_data(sim, nbytes)

    @rule(seconds=st.one_of(
        st.integers(0, 3600), st.integers(0, 200 * 86_400),
        st.integers(179 * 86_400, 181 * 86_400),  # around the end of the test period
    ))
    def advance_time(self, seconds: int) -> None:
        p = self.platform
        until = p.now_ms + seconds * 1000
        period = self.settings.factory_test_days * _DAY_MS
        expected = {
            sim for sim, rec in p.sims.items()
            if rec.status == SimStatus.FACTORY_TEST and self.ft_since[sim] + period <= until
        }
        assert self._do(p.advance_time, seconds) is None
        self._expect_auto(expected)
        for sim in expected:
            assert self._status(sim) == SimStatus.ACTIVATED

    # ------------------------------------------------------------------ endpoint rules

    @rule(
        target=endpoints,
        workspace=workspaces,
        status=st.sampled_from([EndpointStatus.ENABLED, EndpointStatus.DISABLED]),
    )
    def create_endpoint(self, workspace: int, status: EndpointStatus) -> int:
        before = set(self.platform.endpoints)
        assert self._do(self.platform.create_endpoint, workspace=workspace, status=status) is None
        assert self.pending == []
        (endpoint,) = set(self.platform.endpoints) - before
        return endpoint

    def _create_endpoint_with_sim(
        self, sim: int, status: EndpointStatus, own_workspace: bool, workspace: int
    ) -> Any:
        rec = self.platform.sims[sim]
        home = rec.workspace if own_workspace else workspace
        old, held = rec.status, rec.endpoint is not None
        before = set(self.platform.endpoints)
        refusal = self._do(self.platform.create_endpoint, workspace=home, sim=sim, status=status)
        problems = set()
        if old == SimStatus.DELETED:
            problems.add(400)
        if home != rec.workspace:
            problems.add(404)
        if held:
            problems.add(409)
        if problems:
            assert refusal is not None and refusal.http_status in problems, refusal
            return multiple()
        assert refusal is None, refusal
        kinds = [(e["event_type"]["id"], e["event_source"]["id"]) for e in self.pending]
        activate = self.settings.activate_on_assign and old == SimStatus.ISSUED
        assert kinds == ([(8, _API)] if activate else []) + [(51, _API)], kinds
        assert all("user" not in e and "endpoint" not in e for e in self.pending)
        (endpoint,) = set(self.platform.endpoints) - before
        return endpoint

    _statuses = st.sampled_from([EndpointStatus.ENABLED, EndpointStatus.DISABLED])

    @rule(target=endpoints, sim=sims, status=_statuses, own_workspace=st.booleans(),
          workspace=workspaces)
    def create_endpoint_with_sim(
        self, sim: int, status: EndpointStatus, own_workspace: bool, workspace: int
    ) -> Any:
        return self._create_endpoint_with_sim(sim, status, own_workspace, workspace)

    @rule(target=endpoints, sim=factory, status=_statuses)
    def create_endpoint_with_factory_test_sim(self, sim: int, status: EndpointStatus) -> Any:
        return self._create_endpoint_with_sim(sim, status, True, 0)

    @rule(endpoint=endpoints, status=st.sampled_from([EndpointStatus.ENABLED,
                                                      EndpointStatus.DISABLED]))
    def set_endpoint_status(self, endpoint: int, status: EndpointStatus) -> None:
        """Differential: accepted exactly when the compiled endpoint table allows it."""
        old = self.platform.endpoints[endpoint].status
        owed = self._holder_ft(endpoint)
        refusal = self._do(self.platform.set_endpoint_status, endpoint, status)
        if old == EndpointStatus.DELETED:
            assert refusal is not None and refusal.http_status == 404, refusal
            return
        kinds = _table_allows(ENDPOINT, _API, old, status)
        assert (refusal is None) == (kinds is not None), f"{old.label} -> {status.label}"
        if refusal is None:
            self.endpoint_seen_changing.add(endpoint)
            self._expect_auto(owed)
            assert self.platform.endpoints[endpoint].status == status
            for sim in owed:
                assert self._status(sim) == SimStatus.ACTIVATED

    @rule(endpoint=endpoints, sim=sims)
    def assign(self, endpoint: int, sim: int) -> None:
        ep, rec = self.platform.endpoints[endpoint], self.platform.sims[sim]
        problems = set()
        if ep.status == EndpointStatus.DELETED:
            problems.add(404)
        elif rec.status == SimStatus.DELETED:
            problems.add(400)
        else:
            if rec.workspace != ep.workspace:
                problems.add(404)
            if ep.sim is not None or rec.endpoint is not None:
                problems.add(409)
        refusal = self._do(self.platform.assign, endpoint, sim)
        if problems:
            assert refusal is not None and refusal.http_status in problems, refusal
        else:
            assert refusal is None, refusal
            assert [e["event_type"]["id"] for e in self.pending] == [51]

    @rule(endpoint=endpoints)
    def release(self, endpoint: int) -> None:
        ep = self.platform.endpoints[endpoint]
        alive, held = ep.status != EndpointStatus.DELETED, ep.sim is not None
        refusal = self._do(self.platform.release, endpoint)
        if not alive:
            assert refusal is not None and refusal.http_status == 404
        elif not held:
            assert refusal is not None and refusal.http_status == 409
        else:
            assert refusal is None and [e["event_type"]["id"] for e in self.pending] == [50]

    @rule(endpoint=endpoints)
    def delete_endpoint(self, endpoint: int) -> None:
        ep = self.platform.endpoints[endpoint]
        if ep.status == EndpointStatus.DELETED:
            refusal = self._do(self.platform.delete_endpoint, endpoint)
            assert refusal is not None and refusal.http_status == 404, refusal
            return
        sim, enabled = ep.sim, ep.status == EndpointStatus.ENABLED
        old = None if sim is None else self._status(sim)
        owed = self._holder_ft(endpoint) if enabled else set()
        assert self._do(self.platform.delete_endpoint, endpoint) is None
        self._expect_auto(owed)
        # Spec §4: 9 if Activated, 43 if Enabled (a Factory Test SIM: its auto-activation and
        # then the 9 follow the 43), 50 if it holds a SIM; then the endpoint is gone silently.
        series = [(9, _API)] * (old == SimStatus.ACTIVATED) + [(43, _API)] * enabled
        series += [(8, _POLICY), (9, _API)] * bool(owed) + [(50, _API)] * (sim is not None)
        self._expect_series(series)
        assert self.platform.endpoints[endpoint].status == EndpointStatus.DELETED
        if sim is not None:
            rec = self.platform.sims[sim]
            assert rec.endpoint is None
            suspended = old == SimStatus.ACTIVATED or sim in owed
            assert rec.status == (SimStatus.SUSPENDED if suspended else old)

    @rule(endpoint=endpoints)
    def reset_connectivity(self, endpoint: int) -> None:
        ep = self.platform.endpoints[endpoint]
        alive, sim = ep.status != EndpointStatus.DELETED, ep.sim
        owed = self._holder_ft(endpoint)
        before = self.platform.snapshot()
        refusal = self._do(self.platform.reset_connectivity, endpoint)
        if not alive:
            assert refusal is not None and refusal.http_status == 404
            return
        if sim is None:
            assert refusal is not None and refusal.http_status == 409
            return
        assert refusal is None
        self._expect_auto(owed)
        after = self.platform.snapshot()
        assert after.endpoints[endpoint] == before.endpoints[endpoint]
        status, ws, holder = before.sims[sim]
        wanted = SimStatus.ACTIVATED if owed else status
        assert after.sims[sim] == (wanted, ws, holder)
        # Spec §4: 68, [8 auto-activation], 9, 5, 43, 42, 8, 1 (9/8 if Activated, 43/42 if
        # Enabled): the series as the model says, network attach events aside.
        active = wanted == SimStatus.ACTIVATED
        series = [(68, _API)] + [(8, _POLICY)] * bool(owed) + [(9, _API)] * active
        series += [(5, _NETWORK)] + [(43, _API), (42, _API)] * (
            before.endpoints[endpoint][0] == EndpointStatus.ENABLED)
        series += [(8, _API)] * active + [(1, _NETWORK)]
        self._expect_series(series)

    # ------------------------------------------------------------------ migration

    @rule(first=sims, more=st.lists(sims, max_size=2), to=workspaces, auto_detach=st.booleans())
    def migrate(self, first: int, more: list[int], to: int, auto_detach: bool) -> None:
        chosen, target = list(dict.fromkeys([first, *more])), to
        p = self.platform
        before = p.snapshot()
        recs = [p.sims[s] for s in chosen]
        problems = set()
        if any(r.status == SimStatus.DELETED for r in recs):
            problems.add(400)
        elif len({r.workspace for r in recs}) > 1 or recs[0].workspace == target:
            problems.add(422)
        elif any(r.endpoint is not None for r in recs) and not auto_detach:
            problems.add(409)
        refusal = self._do(p.migrate, chosen, target_workspace=target,
                           auto_detach_devices=auto_detach)
        if problems:
            assert refusal is not None and refusal.http_status in problems, refusal
            if refusal.http_status == 409:
                assert refusal.error_code == 1502
            return
        assert refusal is None, refusal
        source = before.sims[chosen[0]][1]
        halves = [e for e in self.pending if e["event_type"]["id"] == EventType.SIM_MIGRATION]
        assert [h["detail"]["type"] for h in halves] == ["source", "target"]
        assert halves[0]["id"] == halves[1]["id"]
        assert halves[0]["organisation"]["id"] == source
        assert halves[1]["organisation"]["id"] == target
        assert halves[0]["timestamp"] <= halves[1]["timestamp"]
        for half in halves:
            assert [s["id"] for s in half["detail"]["sims"]] == chosen
            assert half["detail"]["target_workspace"]["id"] == target
            assert "user" in half
        assert self.pending[-2:] == halves, "the 9s and 50s come before the pair"
        for sim in chosen:
            status, _, _ = before.sims[sim]
            wanted = SimStatus.SUSPENDED if status == SimStatus.ACTIVATED else status
            assert p.snapshot().sims[sim] == (wanted, target, None)
        self._expect_auto(set())
        event(f"migration accepted ({len(self.pending) - 2} detach events)")

    # ------------------------------------------------------------------ after every step

    @invariant()
    def log_replays_cleanly(self) -> None:
        """Feed the new events into the running replay: the log so far has no finding."""
        if not hasattr(self, "platform"):
            return
        for ev in self.pending:
            self.log_length += 1
            assert ev["timestamp"] >= self.last_stamp, "events in ascending time"
            self.last_stamp = ev["timestamp"]
            about = _sims_of(ev)
            assert not about & self.gone, f"event {ev['id']} about deleted SIM(s)"
            kind = ev["event_type"]["id"]
            if kind == EventType.SIM_DELETION:
                self.gone.add(ev["sim"]["id"])
            if kind == EventType.SIM_FACTORY_TEST:
                self.ft_since[ev["sim"]["id"]] = _ms(ev["timestamp"])
            seen = self.ids.setdefault(ev["id"], ev)
            if seen is not ev:
                assert kind == EventType.SIM_MIGRATION and seen["detail"]["type"] == "source"
            self.replay.feed(ev, self.log_length)
        self.pending.clear()
        assert self.replay.findings == [], self.replay.findings

    @invariant()
    def replay_sees_what_the_platform_holds(self) -> None:
        if not hasattr(self, "platform"):
            return
        snap = self.platform.snapshot()
        sims, endpoints = self.replay.sim_views(), self.replay.endpoint_views()
        for sim, (status, workspace, holder) in snap.sims.items():
            view = sims.get(sim)
            if view is None:  # never named by an event: nothing can have happened to it
                assert (status, holder) == (SimStatus.ISSUED, None), (sim, status, holder)
                continue
            assert view.mask == 1 << status, (sim, status, bin(view.mask))
            assert view.workspace == workspace, (sim, workspace, view)
            assert view.endpoint == holder, (sim, holder, view)
        for endpoint, (status, held) in snap.endpoints.items():
            view = endpoints.get(endpoint)
            if view is None:
                assert held is None
                continue
            assert view.sim == held, (endpoint, held, view)
            if status != EndpointStatus.DELETED:
                assert view.mask >> status & 1, (endpoint, status, bin(view.mask))
                if endpoint in self.endpoint_seen_changing:
                    assert view.mask == 1 << status, (endpoint, status, bin(view.mask))

    @invariant()
    def one_holder_each_way(self) -> None:
        if not hasattr(self, "platform"):
            return
        snap = self.platform.snapshot()
        held_by = {sim: ep for sim, (_, _, ep) in snap.sims.items() if ep is not None}
        holds = {ep: sim for ep, (_, sim) in snap.endpoints.items() if sim is not None}
        assert held_by == {sim: ep for ep, sim in holds.items()}
        assert len(holds) == len(set(holds.values()))
        for ep, sim in holds.items():
            assert snap.endpoints[ep][0] != EndpointStatus.DELETED
            assert snap.sims[sim][0] != SimStatus.DELETED

    def teardown(self) -> None:
        if hasattr(self, "platform"):
            self.replay.finish()
            assert self.replay.findings == [], self.replay.findings


PlatformMachine.TestCase.settings = budget(8, stateful_step_count=30)
TestPlatformMachine = PlatformMachine.TestCase
