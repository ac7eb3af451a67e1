"""The simulated platform: operations in, the platform's events (or its refusal) out.

``Platform`` executes what a user, the API or the network does to SIMs and devices and emits
exactly the events the real platform would; ``generate`` drives it with a seeded behaviour policy
to make a fleet's log of any size; ``identities`` draws realistic ICCIDs, IMSIs and IMEIs.
"""

from simulator.platform.core import DEFAULT_START, Platform
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

__all__ = [
    "DEFAULT_START",
    "FLEET_LIMITS",
    "SETTING_RANGES",
    "EndpointRecord",
    "FleetEvents",
    "Platform",
    "Refused",
    "Settings",
    "SimRecord",
    "check_fleet",
    "generate",
    "write_jsonl",
]
