"""What the stand-in serves: workspaces, their events and, unless it serves a recorded log, the
simulated platform that produces more of them, with the ledger of what only the API shows.
No FastAPI here.

One lock guards the platform, the ledger and the event store together, so concurrent requests
see each change whole: its events are appended, in emission order, before the lock is released.
While serving, the platform's clock follows the wall clock from where the fleet left it
(``realtime``), so events of live changes get increasing timestamps and the factory-test period
runs on.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lifecycle.codes import EndpointStatus
from lifecycle.events import EnvelopeError, normalize
from simulator.platform import EndpointRecord, Platform, Refused, SimRecord
from simulator.serve.auth import Credentials, User
from simulator.serve.ledger import Ledger
from simulator.serve.store import EventStore
from simulator.serve.views import endpoint_json, recorded_sim, sim_json

DEFAULT_UNREGISTERED = 4  # batches a served fleet keeps for registration by BIC
NOT_FOUND = 1401  # the platform's InvalidReference, recorded for an unknown endpoint id


class ReadOnly(Exception):
    """A change asked of a stand-in that serves a recorded log."""


def missing(kind: str, ident: object) -> Refused:
    """404 worded as the platform words it: ``Endpoint with Id '-1' not found.``"""
    return Refused(404, f"{kind} with Id '{ident}' not found.", NOT_FOUND)


# The stand-in holds every event it serves (about 5 KB each with its indexes: a served fleet of
# the largest size, FLEET_LIMITS["serve"], holds about as many): a recorded log may hold no more.
MAX_LOG_EVENTS = 2_000_000


@dataclass
class World:
    store: EventStore
    workspaces: dict[int, str]  # id -> name; the first is the default workspace
    platform: Platform | None = None  # None: a recorded log, read-only
    realtime: bool = True
    clock: Callable[[], float] = time.monotonic
    skipped: int = 0  # events of a recorded log that could not be served (no envelope)
    ledger: Ledger = field(default_factory=Ledger)
    # A device created with an Issued SIM and no word on its status activates it (8, then 51),
    # as the platform did in 2022; off, it activates only with sim.activate or sim.status.
    activate_on_assign: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._last_tick = self.clock()
        self.version = 0  # moves on with every change: list views are cached per version
        self._views: dict[tuple[str, int], tuple[int, list[dict[str, Any]]]] = {}

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
        world = cls(store=EventStore(), workspaces=workspaces)
        for event in kept:
            world.append(event)
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
    def from_fleet(cls, *, sims: int, seed: int, unregistered: int = DEFAULT_UNREGISTERED,
                   **options: Any) -> World:
        """Serve the fleet ``generate(sims=, seed=, **options)`` gives, and its platform live:
        changes that follow append to the same log. ``unregistered`` batches are delivered to
        the workspaces (in turn) but not registered: ``PATCH /api/v1/sim_batch/bic/{bic}``."""
        from simulator.platform import fleet

        settings = options.pop("settings", None) or fleet.default_settings(
            network_events=bool(options.pop("network_events", False)))
        platform, events = fleet.simulate(sims=sims, seed=seed, settings=settings, **options)
        workspaces = {ident: ws.name for ident, ws in platform.workspaces.items()}
        world = cls(store=EventStore(), workspaces=workspaces, platform=platform)
        for event in events:
            world.append(event)
        platform.sink = platform.events.append  # from now on into platform.events
        world.drain()
        rng = random.Random(seed * 1_000_003 + 67)
        order = list(workspaces)
        world.ledger.add_batches(seed, [
            (order[i % len(order)], 1 if i < len(order) else rng.randint(2, 20))
            for i in range(max(0, unregistered))
        ])
        return world

    def append(self, event: dict[str, Any]) -> None:
        """Serve one more event (the caller holds the lock, or nobody serves yet)."""
        row = self.store.append(event)
        self.ledger.index(row, event)
        org = event["organisation"]
        self.workspaces.setdefault(org["id"], str(org.get("name")))

    def drain(self) -> None:
        """Move the platform's new events into the store (the caller holds the lock).

        ``platform.events`` is emptied: the store keeps each event's bytes, not the dict.
        """
        if self.platform is None:
            return
        events = self.platform.events
        for event in events:
            self.append(event)
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
                self.version += 1

    @contextmanager
    def inspect(self) -> Iterator[Platform]:
        """The platform, locked, for reading only (its clock stays put: nothing is emitted)."""
        if self.platform is None:
            raise ReadOnly("this stand-in serves a recorded log: changes need --sims N --seed S")
        with self.lock:
            yield self.platform

    def own_sim(self, platform: Platform, workspace: int, sim: int) -> SimRecord:
        """The workspace's SIM (deleted ones included), or the platform's 404."""
        record = platform.sims.get(sim)
        if record is None or record.workspace != workspace:
            raise missing("SIM", sim)
        return record

    def own_endpoint(self, platform: Platform, workspace: int, endpoint: int) -> EndpointRecord:
        """The workspace's device, or the platform's 404 (a deleted device is gone)."""
        record = platform.endpoints.get(endpoint)
        if (record is None or record.workspace != workspace
                or record.status == EndpointStatus.DELETED):
            raise missing("Endpoint", endpoint)
        return record

    # ------------------------------------------------------------------ views

    def sim_view(self, workspace: int, sim_id: int) -> dict[str, Any]:
        """The SIM as ``GET /api/v1/sim/{id}`` shows it; Refused 404 if not in the workspace."""
        with self.lock:
            if self.platform is None:
                sim = self.store.latest_sim.get((workspace, sim_id))
                if sim is None:
                    raise missing("SIM", sim_id)
                return recorded_sim(sim, workspace, self.workspaces)
            record = self.own_sim(self.platform, workspace, sim_id)
            return sim_json(record, self.platform, self.workspaces, self.ledger)

    def endpoint_view(self, workspace: int, endpoint_id: int) -> dict[str, Any]:
        with self.lock:
            if self.platform is None:
                endpoint = self.store.latest_endpoint.get((workspace, endpoint_id))
                if endpoint is None:
                    raise missing("Endpoint", endpoint_id)
                return dict(endpoint)
            record = self.own_endpoint(self.platform, workspace, endpoint_id)
            return endpoint_json(record, self.platform, self.ledger)

    def sims(self, workspace: int) -> list[dict[str, Any]]:
        """Every SIM of the workspace as the list shows it (cached until the next change)."""
        return self._listing("sim", workspace)

    def endpoints(self, workspace: int) -> list[dict[str, Any]]:
        """Every device of the workspace as the list shows it (cached until the next change)."""
        return self._listing("endpoint", workspace)

    def _listing(self, kind: str, workspace: int) -> list[dict[str, Any]]:
        with self.lock:
            cached = self._views.get((kind, workspace))
            if cached is not None and cached[0] == self.version:
                return cached[1]
            items = self._build(kind, workspace)
            if len(self._views) >= 64:
                self._views.clear()
            self._views[(kind, workspace)] = (self.version, items)
            return items

    def _build(self, kind: str, workspace: int) -> list[dict[str, Any]]:
        platform = self.platform
        if platform is None:
            if kind == "sim":
                return [recorded_sim(sim, ws, self.workspaces)
                        for (ws, _), sim in self.store.latest_sim.items() if ws == workspace]
            return [dict(ep) for (ws, _), ep in self.store.latest_endpoint.items()
                    if ws == workspace]
        if kind == "sim":
            return [sim_json(rec, platform, self.workspaces, self.ledger)
                    for rec in platform.sims.values() if rec.workspace == workspace]
        return [endpoint_json(ep, platform, self.ledger, detail=False)
                for ep in platform.endpoints.values()
                if ep.workspace == workspace and ep.status != EndpointStatus.DELETED]
