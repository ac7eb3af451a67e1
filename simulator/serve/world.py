"""What the stand-in serves: workspaces, their events and, unless it serves a recorded log, the
simulated platform that produces more of them. No FastAPI here.

One lock guards the platform and the event store together, so concurrent requests see each
change whole: its events are appended, in emission order, before the lock is released. While
serving, the platform's clock follows the wall clock from where the fleet left it (``realtime``),
so events of live changes get increasing timestamps and the factory-test period runs on.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lifecycle.codes import EndpointStatus, SimStatus
from lifecycle.events import EnvelopeError, normalize
from simulator.platform import EndpointRecord, Platform, SimRecord
from simulator.serve.auth import Credentials, User
from simulator.serve.store import EventStore


class ReadOnly(Exception):
    """A change asked of a stand-in that serves a recorded log."""


@dataclass
class World:
    store: EventStore
    workspaces: dict[int, str]  # id -> name; the first is the default workspace
    platform: Platform | None = None  # None: a recorded log, read-only
    realtime: bool = True
    clock: Callable[[], float] = time.monotonic
    skipped: int = 0  # events of a recorded log that could not be served (no envelope)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._last_tick = self.clock()

    # ------------------------------------------------------------------ building

    @classmethod
    def from_events(cls, events: Iterable[Any]) -> World:
        """Serve a recorded log: events in ascending time order, read-only."""
        kept: list[dict[str, Any]] = []
        skipped = 0
        for raw in events:
            try:
                event, _ = normalize(raw)
            except EnvelopeError:
                skipped += 1
                continue
            kept.append(event)
        if len(kept) > 1 and kept[0]["timestamp"] > kept[-1]["timestamp"]:
            kept.reverse()  # a descending log (as pages come): ties were in reverse order too
        kept.sort(key=lambda e: e["timestamp"])  # stable: file order within a millisecond
        workspaces: dict[int, str] = {}
        for event in kept:
            org = event["organisation"]
            workspaces.setdefault(org["id"], str(org.get("name") or f"Workspace {org['id']}"))
        world = cls(store=EventStore(kept), workspaces=workspaces)
        world.skipped = skipped
        return world

    @classmethod
    def from_platform(cls, platform: Platform, workspaces: dict[int, str] | None = None) -> World:
        """Serve a simulated platform that keeps its events in ``platform.events``.

        The events it has emitted so far are served at once; later ones are moved into the
        store after each change, under the lock.
        """
        if workspaces is None:
            workspaces = {ident: ws.name for ident, ws in platform.workspaces.items()}
        world = cls(store=EventStore(), workspaces=workspaces, platform=platform)
        world.drain()
        return world

    @classmethod
    def from_fleet(cls, *, sims: int, seed: int, **options: Any) -> World:
        """Serve the fleet ``generate(sims=, seed=, **options)`` gives, and its platform live:
        changes that follow append to the same log."""
        from simulator.platform import fleet

        settings = options.pop("settings", None) or fleet.default_settings(
            network_events=bool(options.pop("network_events", False)))
        platform, events = fleet.simulate(sims=sims, seed=seed, settings=settings, **options)
        store = EventStore()
        for event in events:
            store.append(event)
        platform.sink = platform.events.append  # from now on into platform.events
        workspaces = {ident: ws.name for ident, ws in platform.workspaces.items()}
        world = cls(store=store, workspaces=workspaces, platform=platform)
        world.drain()
        return world

    def drain(self) -> None:
        """Move the platform's new events into the store (the caller holds the lock).

        ``platform.events`` is emptied: the store keeps each event's bytes, not the dict.
        """
        if self.platform is None:
            return
        events = self.platform.events
        for event in events:
            self.store.append(event)
            self.workspaces.setdefault(event["organisation"]["id"],
                                       str(event["organisation"].get("name")))
        events.clear()

    def accounts(self) -> list[tuple[int, dict[str, Any]]]:
        """(workspace, user) of each workspace's first user: the accounts that can log in."""
        if self.platform is None:
            return []
        return [(ident, ws.users[0]) for ident, ws in self.platform.workspaces.items()
                if ident in self.workspaces and ws.users]

    def credentials(self, *, first_token: str | None = None) -> Credentials:
        """Fresh credentials: an application token per workspace (``first_token`` for the
        first) and an account, with a fresh password, for each workspace's first user."""
        users = [
            User(id=user["id"], name=user["name"], username=user["username"],
                 workspace=workspace, password=secrets.token_urlsafe(12))
            for workspace, user in self.accounts()
        ]
        return Credentials.create(list(self.workspaces), first_token=first_token, users=users)

    # ------------------------------------------------------------------ changes

    @contextmanager
    def change(self, user: User | None) -> Iterator[Platform]:
        """The platform, locked, with its clock brought up to date and ``user`` acting.

        Events emitted inside are in the store when the block ends, refused or not.
        """
        if self.platform is None:
            raise ReadOnly("this stand-in serves a recorded log: changes need --sims N --seed S")
        with self.lock:
            if self.realtime:
                now = self.clock()
                if now > self._last_tick:
                    self.platform.advance_time(now - self._last_tick)
                self._last_tick = now
            # An application token acts without a user; an account is its workspace's user 0.
            self.platform.set_actor(None if user is None else 0)
            try:
                yield self.platform
            finally:
                self.drain()

    @contextmanager
    def inspect(self) -> Iterator[Platform]:
        """The platform, locked, for reading only (its clock stays put: nothing is emitted)."""
        if self.platform is None:
            raise ReadOnly("this stand-in serves a recorded log: changes need --sims N --seed S")
        with self.lock:
            yield self.platform

    # ------------------------------------------------------------------ views

    def sim_view(self, workspace: int, sim_id: int) -> dict[str, Any] | None:
        """The SIM as ``GET /api/v1/sim/{id}`` shows it, or None if not in this workspace."""
        with self.lock:
            if self.platform is None:
                sim = self.store.latest_sim.get((workspace, sim_id))
                return None if sim is None else dict(sim)
            record = self.platform.sims.get(sim_id)
            if record is None or record.workspace != workspace:
                return None
            return sim_json(record, self.workspaces, self.platform)

    def endpoint_view(self, workspace: int, endpoint_id: int) -> dict[str, Any] | None:
        with self.lock:
            if self.platform is None:
                endpoint = self.store.latest_endpoint.get((workspace, endpoint_id))
                return None if endpoint is None else dict(endpoint)
            record = self.platform.endpoints.get(endpoint_id)
            if (record is None or record.workspace != workspace
                    or record.status == EndpointStatus.DELETED):  # a deleted device is gone
                return None
            return endpoint_json(record, self.platform)


def _status(status: SimStatus | EndpointStatus) -> dict[str, Any]:
    return {"id": int(status), "description": status.label}


def sim_json(record: SimRecord, workspaces: dict[int, str], platform: Platform) -> dict[str, Any]:
    """A SIM as the platform's ``GET /api/v1/sim/{id}`` shows it (the fields we model)."""
    endpoint = None if record.endpoint is None else platform.endpoints.get(record.endpoint)
    return {
        "id": record.id,
        "iccid": record.iccid19,
        "iccid_with_luhn": record.iccid,
        "production_date": record.obj.get("production_date"),
        "status": _status(record.status),
        "customer_org": {"id": record.workspace, "name": workspaces.get(record.workspace)},
        "imsi": dict(record.imsi_obj),
        "endpoint": None if endpoint is None else {"id": endpoint.id, "name": endpoint.name},
    }


def endpoint_json(record: EndpointRecord, platform: Platform) -> dict[str, Any]:
    """An endpoint as the platform's ``GET /api/v1/endpoint/{id}`` shows it (what we model)."""
    sim = None if record.sim is None else platform.sims.get(record.sim)
    return {
        "id": record.id,
        "name": record.name,
        "status": _status(record.status),
        "ip_address": record.ip_address,
        "imei": record.imei,
        "tags": None,
        "sim": None if sim is None else {
            "id": sim.id, "iccid": sim.iccid19, "iccid_with_luhn": sim.iccid,
            "status": _status(sim.status),
        },
    }
