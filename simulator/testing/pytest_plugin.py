"""pytest plugin: seeded synthetic event logs, and a running stand-in of the platform's API, as
fixtures for anyone who has simlife installed.

Registered through the ``pytest11`` entry point ``simlife``, so it loads in every pytest run of an
environment where simlife is installed. It must therefore stay cheap and never need hypothesis:
the generator and the web stack are imported only when a test asks for a log or a server.

    @pytest.mark.simlife(sims=50, seed=7)
    def test_my_consumer(simlife_log):
        assert my_consumer.ingest(simlife_log) == len(simlife_log)

    def test_my_integration(simlife_server):
        my_integration.run(base_url=simlife_server.base_url, token=simlife_server.token)

Precedence for ``simlife_log`` and ``simlife_server``: the marker's arguments, then
``--simlife-sims`` / ``--simlife-seed``, then the defaults (20 SIMs, seed 0).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
import pytest

if TYPE_CHECKING:
    from simulator.serve import RunningServer

DEFAULT_SIMS = 20
DEFAULT_SEED = 0
# The keyword arguments of simulator.platform.fleet.generate that a marker or the factory may set.
OPTIONS = ("sims", "seed", "start", "days", "workspaces", "network_events")
# What only the simlife_server fixture reads of the marker: batches left to register by BIC.
SERVER_OPTIONS = ("unregistered",)

# options -> (the log's canonical lines, its truth: a frozen, shareable FleetState)
_CACHE = pytest.StashKey[dict[tuple[tuple[str, Any], ...], tuple[tuple[bytes, ...], Any]]]()

SimlifeFleet = Callable[..., list[dict[str, Any]]]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simlife", "simlife synthetic event logs")
    group.addoption(
        "--simlife-sims", type=int, default=None, metavar="N",
        help=f"SIMs in the log the simlife_log fixture generates (default {DEFAULT_SIMS}).",
    )
    group.addoption(
        "--simlife-seed", type=int, default=None, metavar="S",
        help=f"seed of the log the simlife_log fixture generates (default {DEFAULT_SEED}).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "simlife(sims=20, seed=0, start=None, days=30, workspaces=2, network_events=False, "
        "unregistered=4): the synthetic log that the simlife_log fixture hands this test, and "
        "the fleet the simlife_server fixture serves (unregistered: its batches to register)",
    )
    config.stash[_CACHE] = {}


def pytest_report_header(config: pytest.Config) -> str | None:
    sims, seed = config.getoption("simlife_sims"), config.getoption("simlife_seed")
    if sims is None and seed is None:
        return None
    sims = DEFAULT_SIMS if sims is None else sims
    seed = DEFAULT_SEED if seed is None else seed
    return f"simlife: simlife_log defaults sims={sims} seed={seed}"


def _checked(options: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The options with ``start`` as a datetime; a failed test for anything else."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        pytest.fail(
            f"simlife: unknown option(s) {', '.join(unknown)}; known: {', '.join(known)}",
            pytrace=False,
        )
    if isinstance(options.get("start"), str):
        try:
            options["start"] = datetime.fromisoformat(options["start"])
        except ValueError:
            pytest.fail(
                f"simlife: start={options['start']!r} is not an ISO date-time", pytrace=False
            )
    return options


def _generate(config: pytest.Config, options: dict[str, Any]) -> list[dict[str, Any]]:
    options = {k: v for k, v in options.items() if k not in SERVER_OPTIONS}
    options = _checked(options, OPTIONS)
    key = tuple(sorted(options.items()))
    cache = config.stash.setdefault(_CACHE, {})
    cached = cache.get(key)
    if cached is None:
        from lifecycle.events import dumps
        from simulator.platform import generate

        events = generate(**options)
        cached = cache[key] = (tuple(dumps(event) for event in events), events.truth())
    from simulator.platform import FleetLog

    lines, truth = cached
    # Parsed afresh for every test: a test may change its log without touching another's.
    return FleetLog((orjson.loads(line) for line in lines), truth)


@pytest.fixture
def simlife_fleet(request: pytest.FixtureRequest) -> SimlifeFleet:
    """A factory: ``simlife_fleet(sims=10, seed=3, workspaces=2)`` -> a generated log (dicts).

    Takes the keyword arguments of ``simulator.platform.fleet.generate``; same arguments, same log
    (with its ``truth``, as ``simlife_log``).
    """
    config = request.config

    def make(**options: Any) -> list[dict[str, Any]]:
        options.setdefault("sims", DEFAULT_SIMS)
        options.setdefault("seed", DEFAULT_SEED)
        return _generate(config, options)

    return make


def _marked(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The options ``--simlife-sims`` / ``--simlife-seed`` and then the marker set."""
    options: dict[str, Any] = {}
    sims = request.config.getoption("simlife_sims")
    seed = request.config.getoption("simlife_seed")
    if sims is not None:
        options["sims"] = sims
    if seed is not None:
        options["seed"] = seed
    marker = request.node.get_closest_marker("simlife")
    if marker is not None:
        if marker.args:
            pytest.fail(
                "simlife: the marker takes keyword arguments only, e.g. "
                "@pytest.mark.simlife(sims=10, seed=1)",
                pytrace=False,
            )
        options.update(marker.kwargs)
    return options


@pytest.fixture
def simlife_log(
    request: pytest.FixtureRequest, simlife_fleet: SimlifeFleet
) -> list[dict[str, Any]]:
    """A seeded synthetic log: a list of canonical event dicts in ascending time, whose
    ``truth`` attribute is the simulated platform's state after them (``lifecycle.state``).

    Set it with ``@pytest.mark.simlife(sims=..., seed=..., ...)`` or, for every test that does
    not say, with ``--simlife-sims`` and ``--simlife-seed``.
    """
    return simlife_fleet(**_marked(request))


@pytest.fixture
def simlife_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """A stand-in of the platform's REST API, running for this test on 127.0.0.1 (a free
    port), serving the fleet the ``simlife`` marker (or the options) sets.

    It has ``base_url``, ``api_url`` (the official SDK's ``EMNIFY_SDK_API_ENDPOINT_URL``),
    ``token`` (the first workspace's application token), ``description`` (what ``simlife serve
    --describe`` writes: every workspace's token and user, the batches to register by BIC),
    ``world`` (the simulated platform behind it) and ``events(workspace)``.
    """
    options = _checked(_marked(request), OPTIONS + SERVER_OPTIONS)
    options.setdefault("sims", DEFAULT_SIMS)
    options.setdefault("seed", DEFAULT_SEED)
    from simulator.serve import World, serve_in_thread

    world = World.from_fleet(**options)
    with serve_in_thread(world, world.credentials()) as server:
        yield server
