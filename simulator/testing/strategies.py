"""Public hypothesis strategies: events, operations, lifecycles and fleets for property tests.

Integrators who consume the platform's events can test their code against the same inputs that
simlife's own property suite uses::

    from hypothesis import given
    from simulator.testing import strategies as sl

    @given(sl.events())
    def test_my_consumer_accepts_any_event(event):
        my_consumer.handle(event)

hypothesis is a test dependency (the ``dev`` extra): only this module imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from lifecycle.codes import (
    EVENT_TYPE_DESCRIPTIONS,
    ICCID_PREFIX,
    LIFECYCLE_TYPES,
    SEVERITY_DESCRIPTIONS,
    SOURCE_DESCRIPTIONS,
    EndpointStatus,
    EventType,
    Severity,
    SimStatus,
    Source,
    luhn_digit,
)
from lifecycle.events import format_timestamp
from simulator.platform import FleetLog, Platform, Refused, Settings, truth

__all__ = [
    "Run", "events", "fleets", "iccids", "lifecycles", "operations", "run_operations",
]

# Types whose events the network, not a person or the policy engine, emits.
_NETWORK_TYPES = frozenset({1, 2, 3, 4, 5, 15, 16})
# Types the policy engine emits (quota accounting); never with a user.
_POLICY_TYPES = frozenset({18, 19, 20, 21, 60})

_DIGITS = "0123456789"
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_"


def _code(table: dict[int, str], ident: int) -> dict[str, Any]:
    return {"id": ident, "description": table[ident]}


_FIRST_MS = int(datetime(2015, 1, 1, tzinfo=UTC).timestamp() * 1000)
_LAST_MS = int(datetime(2035, 12, 31, tzinfo=UTC).timestamp() * 1000)
# Integers, not st.datetimes: several times cheaper to draw, and they shrink just as well.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_timestamps = st.integers(_FIRST_MS, _LAST_MS).map(
    lambda ms: format_timestamp(_EPOCH + timedelta(milliseconds=ms))
)
_ids = st.integers(1, 2**63 - 1)
_small_ids = st.integers(1, 10**9)
_names = st.text(_NAME_CHARS.replace(" ", ""), min_size=1, max_size=16)
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))


def iccids(*, luhn: bool = True) -> st.SearchStrategy[str]:
    """emnify ICCIDs: the issuer prefix, 12 digits, and (by default) the Luhn check digit.

    >>> iccids().example()  # doctest: +SKIP
    '89883030000000000007'
    """
    body = st.text(_DIGITS, min_size=12, max_size=12).map(lambda d: ICCID_PREFIX + d)
    return body.map(lambda b: b + luhn_digit(b)) if luhn else body


def _users() -> st.SearchStrategy[dict[str, Any]]:
    local = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
    return st.builds(
        lambda ident, name, who: {"id": ident, "name": name, "username": f"{who}@example.com"},
        _small_ids, _names, local,
    )


def _endpoints() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda ident, imei, ip, name: {
            "id": ident, "imei": imei, "ip_address": ip, "name": name, "tags": None,
        },
        _small_ids,
        st.none() | st.text(_DIGITS, min_size=15, max_size=16),
        _ipv4,
        _names,
    )


def _sims() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda iccid, ident, produced: {"iccid": iccid, "id": ident, "production_date": produced},
        iccids() | iccids(luhn=False), _small_ids, _timestamps,
    )


def _imsis() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda ident, imported, imsi: {"id": ident, "import_date": imported, "imsi": imsi},
        _small_ids, _timestamps, st.text(_DIGITS, min_size=14, max_size=15),
    )


def _status_change(old: SimStatus, new: SimStatus) -> str:
    return f"Status of SIM changed from '{old.label}' to '{new.label}'"


@st.composite
def _event(draw: st.DrawFn, type_ids: Sequence[int]) -> dict[str, Any]:
    type_id = draw(st.sampled_from(type_ids))
    organisation = {"id": draw(_small_ids), "name": draw(_names)}
    user = draw(_users())
    sim = draw(_sims())
    endpoint = draw(_endpoints())
    imsi = draw(_imsis())
    source = Source.API
    fields: dict[str, Any] = {}
    detail: dict[str, Any] | None = None
    with_user = True
    if type_id in LIFECYCLE_TYPES:
        kind = EventType(type_id)
        severity = Severity.INFO
        optional = draw(st.sets(st.sampled_from(["endpoint", "imsi"])))
        if kind is EventType.SIM_ACTIVATION:
            if draw(st.booleans()):
                source, with_user = Source.POLICY_CONTROL, False
                description = "SIM activated after factory test volume reached."
                detail = {"transition": {
                    "sim": {"status": {
                        "from": {"id": 4, "description": SimStatus.FACTORY_TEST.upper},
                        "to": {"id": 1, "description": SimStatus.ACTIVATED.upper},
                    }},
                    "reason": "SIM reached factory test volume.",
                }}
            else:
                old = draw(st.sampled_from(
                    [SimStatus.ISSUED, SimStatus.SUSPENDED, SimStatus.FACTORY_TEST]))
                description = _status_change(old, SimStatus.ACTIVATED)
            fields = {"sim": sim}
        elif kind is EventType.SIM_SUSPENSION:
            description = _status_change(SimStatus.ACTIVATED, SimStatus.SUSPENDED)
            fields = {"sim": sim}
        elif kind is EventType.SIM_FACTORY_TEST:
            description = _status_change(SimStatus.ISSUED, SimStatus.FACTORY_TEST)
            fields = {"sim": sim}
        elif kind is EventType.SIM_DELETION:
            description = (
                f"SIM {sim['id']} ({sim['iccid']}) has been deleted by {user['username']}"
            )
            fields, optional = {"sim": sim}, optional - {"endpoint"}
        elif kind in (EventType.ENDPOINT_ENABLED, EventType.ENDPOINT_DISABLED):
            label = "Enabled" if kind is EventType.ENDPOINT_ENABLED else "Disabled"
            description = f"Status of Endpoint {endpoint['id']} changed to {label}"
            fields = {"endpoint": endpoint}
            if draw(st.booleans()):
                fields["sim"] = sim
        elif kind in (EventType.SIM_RELEASED, EventType.SIM_ASSIGNED):
            verb = "released from" if kind is EventType.SIM_RELEASED else "assigned to"
            description = f"SIM {sim['id']} {verb} endpoint {endpoint['id']}"
            fields = {"endpoint": endpoint, "sim": sim}
            if kind is EventType.SIM_ASSIGNED:
                detail = {"imei": endpoint["imei"]} if endpoint["imei"] else {}
        elif kind is EventType.RESET_CONNECTIVITY:
            description = "Endpoint connectivity reset triggered"
            fields, detail = {"endpoint": endpoint, "sim": sim}, {"data": {}}
        elif kind is EventType.SIM_REGISTRATION:
            size = draw(st.integers(1, 500))
            first = int(sim["iccid"][:19])
            last = str(min(first + size - 1, 10**19 - 1))
            size = int(last) - first + 1
            first_iccid = sim["iccid"][:19] + luhn_digit(sim["iccid"][:19])
            description = f"Batch of {size} SIM(s) registered."
            detail = {"sim_batch": {
                "id": draw(_small_ids), "sim_model": {"id": draw(st.integers(1, 99))},
                "batch_size": size, "first_iccid": first_iccid,
                "last_iccid": last + luhn_digit(last),
            }}
            sim = {**sim, "iccid": first_iccid}
            fields, optional = ({"sim": sim} if size == 1 else {}), set()
        else:  # SIM_MIGRATION: one half, alone
            description, organisation, detail = draw(_migration_half(user["username"]))
            fields, optional = {}, set()
        for key in sorted(optional):
            fields[key] = {"endpoint": endpoint, "imsi": imsi}[key]
    else:
        severity = Severity(draw(st.sampled_from(sorted(SEVERITY_DESCRIPTIONS))))
        if type_id in _NETWORK_TYPES:
            source, with_user = Source.NETWORK, False
        elif type_id in _POLICY_TYPES:
            source, with_user = Source.POLICY_CONTROL, False
        else:
            with_user = draw(st.booleans())
        description = draw(st.sampled_from(
            [EVENT_TYPE_DESCRIPTIONS[type_id], f"{EVENT_TYPE_DESCRIPTIONS[type_id]} event"]))
        for key, value in (("endpoint", endpoint), ("sim", sim), ("imsi", imsi)):
            if draw(st.booleans()):
                fields[key] = value
    event: dict[str, Any] = {
        "timestamp": draw(_timestamps),
        "alert": draw(st.booleans()) if type_id not in LIFECYCLE_TYPES else False,
        "description": description,
        "id": draw(_ids),
        "event_type": _code(EVENT_TYPE_DESCRIPTIONS, type_id),
        "event_source": _code(SOURCE_DESCRIPTIONS, int(source)),
        "event_severity": _code(SEVERITY_DESCRIPTIONS, int(severity)),
        "organisation": organisation,
    }
    if with_user:
        event["user"] = user
    for key in ("endpoint", "sim", "imsi"):
        if key in fields:
            event[key] = fields[key]
    if detail is not None:
        event["detail"] = detail
    return event


@st.composite
def _migration_half(
    draw: st.DrawFn, username: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    source_ws, target_ws = draw(st.lists(_small_ids, min_size=2, max_size=2, unique=True))
    source = {"id": source_ws, "name": draw(_names)}
    sims = [
        {"id": ident, "iccid": iccid[:19], "iccid_with_luhn": iccid,
         "source_workspace": dict(source)}
        for ident, iccid in draw(st.lists(
            st.tuples(_small_ids, iccids()), min_size=1, max_size=3,
            unique_by=(lambda t: t[0], lambda t: t[1][:19])))
    ]
    half = draw(st.sampled_from(["source", "target"]))
    detail = {"target_workspace": {"id": target_ws}, "sims": sims, "type": half}
    if half == "source":
        return (
            f"SIM(s) migrated from workspace {source_ws} to workspace {target_ws} "
            f"by user {username}",
            source, detail,
        )
    target = {"id": target_ws, "name": draw(_names)}
    return f"SIM(s) migrated to workspace {target_ws} by user {username}", target, detail


def events(types: Iterable[int] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Single canonical events (plain dicts, platform key order) of any known type.

    Each is valid against ``lifecycle.events.json_schema()`` and, alone, a conformant log: its
    description, codes, source and detail agree with its type (spec §3). ``types`` limits the
    event type ids drawn (default: every known type).

    >>> from simulator.testing.strategies import events
    >>> events(types=[9]).example()["description"]  # doctest: +SKIP
    "Status of SIM changed from 'Activated' to 'Suspended'"
    """
    chosen = sorted(EVENT_TYPE_DESCRIPTIONS) if types is None else sorted(set(types))
    unknown = [t for t in chosen if t not in EVENT_TYPE_DESCRIPTIONS]
    if not chosen or unknown:
        raise ValueError(f"events(types=...) needs known event type ids, got {unknown or chosen}")
    return _event(chosen)


# --------------------------------------------------------------------------- operations

# Scenario-step vocabulary (spec §8): handles name entities, labels name statuses.
_SIM_LABELS = [s.label for s in SimStatus]
_ENDPOINT_LABELS = [s.label for s in EndpointStatus]
_SIM_BY_LABEL = {s.label: s for s in SimStatus}
_ENDPOINT_BY_LABEL = {s.label: s for s in EndpointStatus}


def operations(
    *,
    sims: Sequence[str] = ("s1",),
    endpoints: Sequence[str] = ("e1", "e2"),
    workspaces: Sequence[str] = ("w1", "w2"),
) -> st.SearchStrategy[dict[str, Any]]:
    """One operation on the simulated platform, as a scenario step (spec §8) naming handles.

    Draws every operation a user or a device performs, those the platform refuses included
    (activate a deleted SIM, release an empty endpoint, ...). Registration is left to the
    caller: the SIM handles are expected to exist. Run steps with ``run_operations``.

    >>> operations().example()  # doctest: +SKIP
    {'op': 'send_sms', 'sim': 's1', 'count': 10}
    """
    sim, endpoint = st.sampled_from(list(sims)), st.sampled_from(list(endpoints))
    workspace = st.sampled_from(list(workspaces))
    step = st.fixed_dictionaries
    return st.one_of(
        step({"op": st.just("set_status"), "sim": sim, "status": st.sampled_from(_SIM_LABELS)}),
        step({"op": st.just("delete_sim"), "sim": sim}),
        step({"op": st.just("create_endpoint"), "endpoint": endpoint,
              "status": st.sampled_from(["Enabled", "Disabled"])},
             optional={"sim": sim}),
        step({"op": st.just("set_endpoint_status"), "endpoint": endpoint,
              "status": st.sampled_from(_ENDPOINT_LABELS)}),
        step({"op": st.just("assign"), "endpoint": endpoint, "sim": sim}),
        step({"op": st.just("release"), "endpoint": endpoint}),
        step({"op": st.just("delete_endpoint"), "endpoint": endpoint}),
        step({"op": st.just("use_data"), "sim": sim, "bytes": st.integers(0, 120 * 1024)}),
        step({"op": st.just("send_sms"), "sim": sim, "count": st.integers(1, 12)}),
        step({"op": st.just("reset_connectivity"), "endpoint": endpoint}),
        step({"op": st.just("migrate"), "sims": st.lists(sim, min_size=1, unique=True),
              "to": workspace, "auto_detach_devices": st.booleans()}),
        step({"op": st.just("advance_time"),
              "seconds": st.one_of(st.integers(1, 3600), st.integers(1, 200 * 86_400))}),
    )


@dataclass
class Run:
    """What ``run_operations`` did: the platform, its events, and which steps it refused."""

    platform: Platform
    events: list[dict[str, Any]]
    refused: list[int]  # 0-based indices of the steps refused (or naming an unbound handle)
    sims: dict[str, int]
    endpoints: dict[str, int]
    workspaces: dict[str, int]


def run_operations(
    steps: Iterable[dict[str, Any]], *, seed: int = 0, settings: Settings | None = None
) -> Run:
    """Perform scenario steps on a fresh platform; a refused step emits nothing and is noted.

    >>> run = run_operations([{"op": "register", "sims": ["s1"], "status": "Factory Test"},
    ...                       {"op": "send_sms", "sim": "s1", "count": 10}])
    >>> [e["event_type"]["id"] for e in run.events]
    [48, 45, 8]
    """
    platform = Platform(seed=seed, settings=settings or Settings())
    run = Run(platform, platform.events, [], {}, {}, {})
    for index, step in enumerate(steps):
        try:
            _perform(run, step)
        except (Refused, _Unbound):
            run.refused.append(index)
    return run


class _Unbound(Exception):
    """A step names a handle whose defining step was refused (or never ran)."""


def _perform(run: Run, step: dict[str, Any]) -> None:
    p, op = run.platform, step["op"]

    def ws(handle: str) -> int:
        if handle not in run.workspaces:
            run.workspaces[handle] = p.add_workspace()
        return run.workspaces[handle]

    def sim(handle: str) -> int:
        if handle not in run.sims:
            raise _Unbound(handle)
        return run.sims[handle]

    def ep(handle: str) -> int:
        if handle not in run.endpoints:
            raise _Unbound(handle)
        return run.endpoints[handle]

    if op == "register":
        ids = p.register(len(step["sims"]), workspace=ws(step.get("workspace", "w1")),
                         status=_SIM_BY_LABEL[step.get("status", "Issued")])
        run.sims.update(zip(step["sims"], ids, strict=True))
    elif op == "set_status":
        p.set_status(sim(step["sim"]), _SIM_BY_LABEL[step["status"]])
    elif op == "delete_sim":
        p.delete_sim(sim(step["sim"]))
    elif op == "create_endpoint":
        held = sim(step["sim"]) if "sim" in step else None
        if "workspace" in step:
            home = ws(step["workspace"])
        elif held is not None:
            home = p.sims[held].workspace
        else:
            home = ws("w1")
        run.endpoints[step["endpoint"]] = p.create_endpoint(
            workspace=home, sim=held, status=_ENDPOINT_BY_LABEL[step.get("status", "Enabled")])
    elif op == "set_endpoint_status":
        p.set_endpoint_status(ep(step["endpoint"]), _ENDPOINT_BY_LABEL[step["status"]])
    elif op == "assign":
        p.assign(ep(step["endpoint"]), sim(step["sim"]))
    elif op == "release":
        p.release(ep(step["endpoint"]))
    elif op == "delete_endpoint":
        p.delete_endpoint(ep(step["endpoint"]))
    elif op == "use_data":
        p.use_data(sim(step["sim"]), step.get("bytes", 0) + 1024 * step.get("kb", 0))
    elif op == "send_sms":
        p.send_sms(sim(step["sim"]), step.get("count", 1))
    elif op == "reset_connectivity":
        p.reset_connectivity(ep(step["endpoint"]))
    elif op == "migrate":
        p.migrate([sim(s) for s in step["sims"]], target_workspace=ws(step["to"]),
                  auto_detach_devices=step.get("auto_detach_devices", False))
    elif op == "advance_time":
        p.advance_time(sum(step.get(unit, 0) * factor for unit, factor in _SECONDS.items()))
    else:
        raise ValueError(f"unknown operation {op!r}")


_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}


@st.composite
def _lifecycle(draw: st.DrawFn, max_steps: int, settings: Settings | None) -> FleetLog:
    start = draw(st.sampled_from(["Issued", "Activated", "Factory Test"]))
    steps = [{"op": "register", "sims": ["s1"], "status": start, "workspace": "w1"}]
    steps += draw(st.lists(operations(), max_size=max_steps))
    run = run_operations(steps, seed=draw(st.integers(0, 2**32 - 1)), settings=settings)
    return FleetLog(run.events, truth(run.platform))


def lifecycles(
    *, max_steps: int = 30, settings: Settings | None = None
) -> st.SearchStrategy[FleetLog]:
    """One SIM's lifecycle: the events of the simulated platform driven by random operations.

    The SIM is registered first (Issued, Activated or Factory Test), then up to ``max_steps``
    operations from ``operations()`` follow, refused ones included (they emit nothing). The
    result is a valid log in ascending time: the SIM's events, its endpoints' and, after a
    migration, a second workspace's. It is a list of event dicts whose ``truth`` attribute is
    the platform's state after them (``lifecycle.state.FleetState``).

    >>> [e["event_type"]["id"] for e in lifecycles().example()]  # doctest: +SKIP
    [48, 45, 51, 43, 8, 50]
    """
    return _lifecycle(max_steps, settings)


def fleets(
    *, max_sims: int = 20, days: int = 30, max_workspaces: int = 3
) -> st.SearchStrategy[FleetLog]:
    """A generated fleet's log (``simulator.platform.fleet.generate``) of a drawn seed and size.

    At most ``max_sims`` SIMs over ``days`` days in 1 to ``max_workspaces`` workspaces, network
    events on or off. Same draw, same log. A list of event dicts whose ``truth`` attribute is
    the platform's state after them.

    >>> fleets(max_sims=5).example()[0]["event_type"]["description"]  # doctest: +SKIP
    'SIM registration'
    """
    return st.builds(_fleet, st.integers(1, max_sims), st.integers(0, 2**32 - 1),
                     st.integers(1, max_workspaces), st.booleans(), st.just(days))


def _fleet(sims: int, seed: int, workspaces: int, network: bool, days: int) -> FleetLog:
    from simulator.platform import generate

    events = generate(sims=sims, seed=seed, days=days, workspaces=workspaces,
                      network_events=network)
    log = list(events)
    return FleetLog(log, events.truth())
