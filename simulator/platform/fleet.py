"""Realistic synthetic fleets: a behaviour policy driving the simulated platform.

A discrete-event loop over an agenda of next steps keyed by ``(time, sequence)`` (registrations
of batches, then each SIM's next step), so output comes out in ascending time and memory grows
with the number of entities, never with the length of the log. Each SIM's next step is drawn
from its current state on the platform (what a person, an application or the device would do
next); the platform turns it into events or refuses it, and only the platform knows the rules.

Randomness comes from one ``random.Random`` per purpose, seeded from the run seed: the same
arguments give the same events, byte for byte, on any machine.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import orjson

from lifecycle.codes import EndpointStatus, SimStatus
from lifecycle.state import FleetState
from simulator.io import InputError, format_size
from simulator.platform.core import DEFAULT_START, Platform, Refused, Settings, SimRecord
from simulator.platform.truth import truth

_HOUR = 3_600_000
_DAY = 24 * _HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The largest fleet each use takes, and the memory one SIM costs it (measured on the 20,000-SIM
# fleet; ``benchmarks/bench_generate.py`` prints it): a generated log streams, holding only the
# platform's records; the stand-in (``simulate``) holds every event and the live platform too.
FLEET_LIMITS: dict[str, tuple[int, int]] = {
    "generate": (10_000_000, 1_600),
    "serve": (250_000, 45_000),
}
# Timestamps hold years 0001 to 9999; a SIM's production date is up to 430 days before it
# registers. Starts from 1900 on, logs that end by 9999-12-31, leave both room.
EARLIEST_START = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_END = datetime(9999, 12, 31, tzinfo=UTC)


def check_fleet(sims: int, start: datetime | None, days: int, use: str = "generate") -> None:
    """Refuse, before anything runs, a fleet larger than ``use`` takes (``FLEET_LIMITS``, with
    the memory it would need) or a log outside the years timestamps hold: ``InputError``."""
    most, per_sim = FLEET_LIMITS[use]
    if not 1 <= sims <= most:
        raise InputError(
            f"--sims {sims:,}: {use} takes 1 to {most:,} SIMs (about {per_sim / 1000:,g} KB of "
            f"memory each: {format_size(most * per_sim)} at most"
            + (f", {format_size(sims * per_sim)} for this fleet)" if sims > most else ")"))
    if days < 1:
        raise InputError(f"--days {days}: a log lasts at least 1 day")
    if start is None:
        return
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
    latest = LATEST_END - timedelta(days=days)
    if not EARLIEST_START <= start <= latest:
        raise InputError(
            f"--start {start.date().isoformat()}: a log of {days} days must start between "
            f"{EARLIEST_START.date().isoformat()} and {latest.date().isoformat()} (timestamps "
            "end with year 9999)")

_ISSUED, _ACTIVATED, _SUSPENDED, _DELETED, _FT = (
    SimStatus.ISSUED, SimStatus.ACTIVATED, SimStatus.SUSPENDED, SimStatus.DELETED,
    SimStatus.FACTORY_TEST,
)
_ENABLED, _DISABLED = EndpointStatus.ENABLED, EndpointStatus.DISABLED


def _batch_sizes(total: int, rng: random.Random) -> list[int]:
    """Registration batch sizes from 1 to a few hundred, summing to ``total``."""
    sizes: list[int] = []
    left = total
    while left:
        roll = rng.random()
        if roll < 0.45:
            size = 1
        elif roll < 0.75:
            size = rng.randint(2, 10)
        elif roll < 0.92:
            size = rng.randint(11, 50)
        elif roll < 0.99:
            size = rng.randint(51, 150)
        else:
            size = rng.randint(151, 400)
        size = min(size, left)
        sizes.append(size)
        left -= size
    return sizes


class _Fleet:
    """The policy: what happens next to a SIM, given its state on the platform."""

    def __init__(self, platform: Platform, rng: random.Random, workspaces: list[int]) -> None:
        self.p = platform
        self.sims = platform.sims  # live read-only views
        self.endpoints = platform.endpoints
        self.rng = rng
        self.random = rng.random
        self.bits = rng.getrandbits
        self.workspaces = workspaces
        # Only eventful steps of an Activated SIM in a device are drawn; the quiet days between
        # them are folded into the delay (thinning a Poisson process: same rates, a fraction of
        # the loop's iterations).
        self.busy = 0.6 if platform.settings.network_events else 0.275
        self.busy_delay = int(4 * _DAY / self.busy)

    def act(self, rec: SimRecord) -> int | None:
        """Do the SIM's next thing; return the mean delay (ms) until its next, or None: done."""
        status = rec.status
        if status == _DELETED:
            return None
        p = self.p
        r = self.random()
        actor = self.bits(3)  # a quarter by application tokens, the rest by three people
        p.set_actor(None if actor < 2 else actor % 3)
        try:
            if status == _ACTIVATED:
                return self._activated(rec, r)
            if status == _FT:
                return self._factory_test(rec, r)
            if status == _SUSPENDED:
                return self._suspended(rec, r)
            return self._issued(rec, r)
        except Refused:  # the policy asked for something the platform refuses: try later
            return 2 * _DAY

    def _new_endpoint(self, rec: SimRecord, with_sim: bool) -> int:
        status = _DISABLED if self.random() < 0.08 else _ENABLED
        if with_sim:
            return self.p.create_endpoint(workspace=rec.workspace, sim=rec.id, status=status)
        ep = self.p.create_endpoint(workspace=rec.workspace, status=status)
        self.p.assign(ep, rec.id)
        return ep

    def _issued(self, rec: SimRecord, r: float) -> int | None:
        p = self.p
        if rec.endpoint is not None:
            p.set_status(rec.id, _ACTIVATED if r < 0.8 else _FT)
            return 3 * _DAY
        if r < 0.45:
            self._new_endpoint(rec, True)
            return 2 * _DAY
        if r < 0.65:
            p.set_status(rec.id, _FT)
            return 6 * _HOUR
        if r < 0.80:
            self._new_endpoint(rec, False)
            return 12 * _HOUR
        if r < 0.96:
            return 6 * _DAY  # stock on the shelf
        p.delete_sim(rec.id)
        return None

    def _factory_test(self, rec: SimRecord, r: float) -> int | None:
        p = self.p
        if rec.endpoint is None:
            if r < 0.9:
                self._new_endpoint(rec, True)
            else:
                p.set_status(rec.id, _ACTIVATED)
            return 8 * _HOUR
        if r < 0.35:
            p.send_sms(rec.id, 1 + int(self.random() * 4))
        elif r < 0.70:
            p.use_data(rec.id, 8 * 1024 + int(self.random() * 38 * 1024))
        elif r < 0.80:
            ep = self.endpoints[rec.endpoint]
            p.set_endpoint_status(ep.id, _DISABLED if ep.status == _ENABLED else _ENABLED)
        elif r < 0.88:
            p.reset_connectivity(rec.endpoint)
        elif r < 0.95:
            p.set_status(rec.id, _ACTIVATED)
        else:
            p.delete_endpoint(rec.endpoint)
        return 8 * _HOUR

    def _activated(self, rec: SimRecord, r: float) -> int | None:
        p = self.p
        if rec.endpoint is None:
            if r < 0.6:
                self._new_endpoint(rec, self.random() < 0.5)
            elif r < 0.97:
                p.set_status(rec.id, _SUSPENDED)
            else:
                self._migrate(rec)
            return 3 * _DAY
        ep = self.endpoints[rec.endpoint]
        if ep.status == _DISABLED and r < 0.6:
            p.set_endpoint_status(ep.id, _ENABLED)
            return 4 * _DAY
        r = self.random() * self.busy  # an eventful step (see __init__)
        if r < 0.08:
            p.set_status(rec.id, _SUSPENDED)
        elif r < 0.14:
            p.reset_connectivity(ep.id)
        elif r < 0.19:
            p.set_endpoint_status(ep.id, _DISABLED if ep.status == _ENABLED else _ENABLED)
        elif r < 0.23:
            self._swap_device(rec)
        elif r < 0.26:
            p.delete_endpoint(ep.id)
        elif r < 0.275:
            self._migrate(rec)
        else:
            p.use_data(rec.id, int(self.random() * 2_000_000))
        return self.busy_delay

    def _suspended(self, rec: SimRecord, r: float) -> int | None:
        p = self.p
        if rec.endpoint is not None:
            if r < 0.6:
                p.set_status(rec.id, _ACTIVATED)
            elif r < 0.7:
                p.delete_endpoint(rec.endpoint)
            elif r < 0.78:
                p.release(rec.endpoint)
            elif r < 0.82:
                self._migrate(rec)
            return 4 * _DAY
        if r < 0.2:
            p.delete_sim(rec.id)
            return None
        if r < 0.6:
            self._new_endpoint(rec, self.random() < 0.5)
        elif r < 0.95:
            p.set_status(rec.id, _ACTIVATED)
        else:
            self._migrate(rec)
        return 3 * _DAY

    def _swap_device(self, rec: SimRecord) -> None:
        """The device broke: release the SIM, put it in a new device."""
        assert rec.endpoint is not None
        old = rec.endpoint
        self.p.release(old)
        self._new_endpoint(rec, False)
        if self.random() < 0.5:
            self.p.delete_endpoint(old)

    def _migrate(self, rec: SimRecord) -> None:
        """Move the SIM and a few neighbours (ids are consecutive within a batch)."""
        if len(self.workspaces) < 2:
            return
        sims = self.sims
        group = [rec.id]
        want = int(self.random() * 6)
        for other in range(rec.id + 1, rec.id + 12):
            if len(group) > want:
                break
            mate = sims.get(other)
            if mate is not None and mate.workspace == rec.workspace and mate.status != _DELETED:
                group.append(other)
        targets = [w for w in self.workspaces if w != rec.workspace]
        target = targets[int(self.random() * len(targets))]
        held = False
        for s in group:
            if sims[s].endpoint is not None:
                held = True
                break
        self.p.migrate(group, target_workspace=target,
                       auto_detach_devices=held or self.random() < 0.5)


def generate(
    *,
    sims: int,
    seed: int,
    start: datetime | None = None,
    days: int = 30,
    workspaces: int = 2,
    network_events: bool = False,
    settings: Settings | None = None,
) -> FleetEvents:
    """A synthetic log of ``sims`` SIMs over ``days`` days: canonical event dicts, ascending.

    Same arguments, same events. Without ``settings`` the platform activates SIMs on assignment
    (so the log shows the 8-then-51 pattern of endpoints created with a SIM). The events are
    shared-structure dicts: read them, do not change them. Once they are all read,
    ``.truth()`` is the simulated platform's final state.
    """
    check_fleet(sims, start, days)
    if workspaces < 1:
        raise ValueError(f"workspaces must be at least 1, not {workspaces}")
    if settings is None:
        settings = default_settings(network_events=network_events)
    elif network_events and not settings.network_events:
        settings = dataclasses.replace(settings, network_events=True)
    chosen = settings

    def run(lines: bool, on_end: Callable[[], None]) -> tuple[Platform, Iterator[Any]]:
        return _simulate(sims, seed, start, days, workspaces, chosen, lines, on_end)

    return FleetEvents(run)


class FleetEvents(Iterator[dict[str, Any]]):
    """``generate``'s events, lazy: iterating gives the canonical dicts.

    ``write_jsonl`` of one not iterated yet runs the fleet on a platform made with
    ``lines=True`` instead, which emits each event as its JSON line (the same bytes, a test
    holds them equal, at about half the cost of building and dumping the dicts). Once every
    event is out, ``truth()`` is the platform's actual state.
    """

    def __init__(
        self, run: Callable[[bool, Callable[[], None]], tuple[Platform, Iterator[Any]]]
    ) -> None:
        self._run = run
        self._events: Iterator[dict[str, Any]] | None = None
        self._platform: Platform | None = None
        self._ended = False

    def _start(self, lines: bool) -> Iterator[Any]:
        self._platform, events = self._run(lines, self._end)
        return events

    def _end(self) -> None:
        self._ended = True

    def truth(self) -> FleetState:
        """The simulated platform's state after the last event (``lifecycle.state``): what a
        consumer of these events should end up knowing. Only once the events are exhausted."""
        if not self._ended or self._platform is None:
            raise RuntimeError("the truth is known once every event has been read")
        return truth(self._platform)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._events is None:
            self._events = self._start(False)
        return self._events  # a C iterator: no Python frame per event

    def __next__(self) -> dict[str, Any]:
        return next(iter(self))

    def lines(self) -> Iterator[str] | None:
        """The events as canonical JSON lines (``str``, each ending in a newline), or None if
        iteration has begun."""
        if self._events is not None:
            return None
        self._events = iter(())  # taken: iterating it now gives nothing
        lines: Iterator[str] = self._start(True)
        return lines


def default_settings(*, network_events: bool = False) -> Settings:
    """A generated fleet's platform activates SIMs on assignment (the 8-then-51 pattern)."""
    return Settings(activate_on_assign=True, network_events=network_events)


def simulate(
    *,
    sims: int,
    seed: int,
    start: datetime | None = None,
    days: int = 30,
    workspaces: int = 2,
    settings: Settings,
) -> tuple[Platform, Iterator[dict[str, Any]]]:
    """The platform a fleet runs on, and the fleet's events (lazy, as ``generate`` gives them).

    Once the events are exhausted, the platform holds the fleet's end state and can take further
    operations (the events-API stand-in serves it live): the fleet is checked against
    ``FLEET_LIMITS["serve"]``.
    """
    check_fleet(sims, start, days, "serve")
    return _simulate(sims, seed, start, days, workspaces, settings, False, lambda: None)


def _simulate(
    sims: int, seed: int, start: datetime | None, days: int, workspaces: int,
    settings: Settings, lines: bool, on_end: Callable[[], None],
) -> tuple[Platform, Iterator[Any]]:
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    out: list[Any] = []  # events, or their lines
    platform = Platform(seed=seed, settings=settings, start=start, sink=out.append, lines=lines)
    batches = _batches(platform, out, sims, seed, start, days, workspaces, on_end)
    return platform, itertools.chain.from_iterable(batches)


# The agenda: every pending step is one int, (time << 60) | (sequence << 30) | subject, so
# sorting ints orders by time, then sequence. Steps sit in one-minute buckets; since every
# delay is at least a minute, a step never lands in the bucket being run, and each bucket is
# sorted once when its turn comes. (A heap of 20,000 pending steps cost ~2 µs a push and pop,
# mostly cache misses; the buckets hold ~2 steps each.) Subjects: a SIM's index, or
# _REGISTRATION + the batch's index.
_SHIFT_TIME, _SHIFT_SEQ, _LOW = 60, 30, (1 << 30) - 1
_REGISTRATION = 1 << 29
_BUCKET = 60_000  # ms; also the shortest delay between two steps of one SIM


def _batches(
    platform: Platform, out: list[Any],
    sims: int, seed: int, start: datetime, days: int, workspaces: int,
    on_end: Callable[[], None],
) -> Iterator[list[Any]]:
    """The events in lists of a few dozen (``chain`` flattens them without a Python frame
    per event; dumped while still in cache); ``on_end()`` once the last list is taken."""
    rng = random.Random(seed * 1_000_003 + 53)
    ws = [platform.add_workspace() for _ in range(workspaces)]
    fleet = _Fleet(platform, rng, ws)
    begin = (start - _EPOCH) // timedelta(milliseconds=1)
    end = begin + days * _DAY
    span = max(1, int((end - begin) * 0.7))

    agenda: dict[int, list[int]] = {}
    sizes = _batch_sizes(sims, rng)
    for i in range(len(sizes)):
        at = begin if i == 0 else begin + int(rng.random() * span)
        agenda.setdefault((at - begin) // _BUCKET, []).append(
            (at << _SHIFT_TIME) | (i << _SHIFT_SEQ) | (_REGISTRATION + i))
    seq = len(sizes)
    order: list[SimRecord] = []  # SIM index -> its record (records are never replaced)
    records = platform.sims
    rnd, log = rng.random, math.log
    act, advance_to = fleet.act, platform.advance_to
    first_delay = 18 * _HOUR

    for bucket in range((end - begin) // _BUCKET + 1):
        steps = agenda.pop(bucket, None)
        if steps is None:
            continue
        steps.sort()
        for key in steps:
            at = key >> _SHIFT_TIME
            subject = key & _LOW
            advance_to(at)
            if subject >= _REGISTRATION:
                batch = subject - _REGISTRATION
                roll = rnd()
                status = _ISSUED if roll < 0.75 else _ACTIVATED if roll < 0.87 else _FT
                home = ws[0] if len(ws) == 1 or rnd() < 0.6 else \
                    ws[1 + int(rnd() * (len(ws) - 1))]
                platform.set_actor(None if rnd() < 0.3 else 0)
                for sim in platform.register(sizes[batch], workspace=home, status=status):
                    # exponential delays: -log(1 - U) * mean, as random.expovariate draws them
                    nxt = platform.now_ms + _BUCKET + int(-log(1.0 - rnd()) * first_delay)
                    if nxt < end:
                        slot = agenda.get((nxt - begin) // _BUCKET)
                        item = (nxt << _SHIFT_TIME) | (seq << _SHIFT_SEQ) | len(order)
                        if slot is None:
                            agenda[(nxt - begin) // _BUCKET] = [item]
                        else:
                            slot.append(item)
                        seq += 1
                    order.append(records[sim])
            else:
                mean = act(order[subject])
                if mean is not None:
                    nxt = at + _BUCKET + int(-log(1.0 - rnd()) * mean)
                    if nxt < end:
                        index = (nxt - begin) // _BUCKET
                        slot = agenda.get(index)
                        item = (nxt << _SHIFT_TIME) | (seq << _SHIFT_SEQ) | subject
                        if slot is None:
                            agenda[index] = [item]
                        else:
                            slot.append(item)
                        seq += 1
            if len(out) >= 24:
                yield out.copy()
                out.clear()
    platform.advance_to(end)
    yield out
    on_end()


def write_jsonl(
    events: Iterable[dict[str, Any]],
    out: BinaryIO,
    progress: Callable[[int, str], None] | None = None,
    chunk_size: int = 512,
) -> int:
    """Write canonical JSON Lines; returns the number of events.

    The generator builds every dict in the platform's key order, so ``orjson.dumps`` gives the
    bytes of ``lifecycle.events.dumps`` without its reordering pass (a test holds them equal).
    A fleet from ``generate`` not iterated yet is written from its platform's lines instead
    (``FleetEvents``). ``progress(count, timestamp)`` is called once per chunk of
    ``chunk_size`` events.
    """
    if isinstance(events, FleetEvents) and (texts := events.lines()) is not None:
        count = 0
        while text := list(itertools.islice(texts, chunk_size)):
            out.write("".join(text).encode())
            count += len(text)
            if progress is not None:
                progress(count, text[-1][14:38])  # the timestamp leads every line
        return count
    dump_line = functools.partial(orjson.dumps, option=orjson.OPT_APPEND_NEWLINE)
    lines = map(dump_line, events)  # no Python frame per event: map, islice and join are C
    count = 0
    while chunk := list(itertools.islice(lines, chunk_size)):
        out.write(b"".join(chunk))
        count += len(chunk)
        if progress is not None:
            progress(count, chunk[-1][14:38].decode())  # the timestamp leads every line
    return count
