"""The simulated platform: operations in, the platform's events (or its refusal) out.

``Platform`` executes what a user, the API or the network does to SIMs and devices and emits
exactly the events the real platform would; ``generate`` drives it with a seeded behaviour policy
to make a fleet's log of any size; ``identities`` draws realistic ICCIDs, IMSIs and IMEIs;
``truth`` is the platform's actual state, what a consumer of its events should end up knowing.
"""

from simulator.platform.core import DEFAULT_START, OPERATORS, Platform
from simulator.platform.fleet import (
    FLEET_LIMITS,
    FleetEvents,
    check_fleet,
    generate,
    write_jsonl,
)
from simulator.platform.records import (
    SETTING_RANGES,
    EndpointRecord,
    Refused,
    Settings,
    SimRecord,
)
from simulator.platform.truth import FleetLog, truth

__all__ = [
    "DEFAULT_START",
    "FLEET_LIMITS",
    "OPERATORS",
    "SETTING_RANGES",
    "EndpointRecord",
    "FleetEvents",
    "FleetLog",
    "Platform",
    "Refused",
    "Settings",
    "SimRecord",
    "check_fleet",
    "generate",
    "truth",
    "write_jsonl",
]
