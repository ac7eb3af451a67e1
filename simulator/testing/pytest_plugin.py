"""pytest plugin: seeded synthetic event logs as fixtures, for anyone who has simlife installed.

Registered through the ``pytest11`` entry point ``simlife``, so it loads in every pytest run of an
environment where simlife is installed. It must therefore stay cheap and never need hypothesis:
the generator is imported only when a test asks for a log.

    @pytest.mark.simlife(sims=50, seed=7)
    def test_my_consumer(simlife_log):
        assert my_consumer.ingest(simlife_log) == len(simlife_log)

Precedence for ``simlife_log``: the marker's arguments, then ``--simlife-sims`` /
``--simlife-seed``, then the defaults (20 SIMs, seed 0).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pytest

DEFAULT_SIMS = 20
DEFAULT_SEED = 0
# The keyword arguments of simulator.platform.fleet.generate that a marker or the factory may set.
OPTIONS = ("sims", "seed", "start", "days", "workspaces", "network_events")

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
        "simlife(sims=20, seed=0, start=None, days=30, workspaces=2, network_events=False): "
        "the synthetic log that the simlife_log fixture hands this test",
    )
    config.stash[_CACHE] = {}


def pytest_report_header(config: pytest.Config) -> str | None:
    sims, seed = config.getoption("simlife_sims"), config.getoption("simlife_seed")
    if sims is None and seed is None:
        return None
    sims = DEFAULT_SIMS if sims is None else sims
    seed = DEFAULT_SEED if seed is None else seed
    return f"simlife: simlife_log defaults sims={sims} seed={seed}"


def _generate(config: pytest.Config, options: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        pytest.fail(
            f"simlife: unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}",
            pytrace=False,
        )
    if isinstance(options.get("start"), str):
        try:
            options["start"] = datetime.fromisoformat(options["start"])
        except ValueError:
            pytest.fail(
                f"simlife: start={options['start']!r} is not an ISO date-time", pytrace=False
            )
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


@pytest.fixture
def simlife_log(
    request: pytest.FixtureRequest, simlife_fleet: SimlifeFleet
) -> list[dict[str, Any]]:
    """A seeded synthetic log: a list of canonical event dicts in ascending time, whose
    ``truth`` attribute is the simulated platform's state after them (``lifecycle.state``).

    Set it with ``@pytest.mark.simlife(sims=..., seed=..., ...)`` or, for every test that does
    not say, with ``--simlife-sims`` and ``--simlife-seed``.
    """
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
    return simlife_fleet(**options)
