"""simlife: simulate, generate and validate the SIM and device lifecycle events of emnify.

The names most users need, as ``from simulator import ...``::

    events = list(generate(sims=300, seed=7))   # a seeded fleet's log, canonical event dicts
    report = validate(events)                    # or validate_path("recorded.jsonl.gz")
    assert report.conformant
    state = final_state(events)                  # what the log says of every SIM and device

Each wing below has its own face: ``simulator.platform`` (the simulated platform and the fleet
generator), ``simulator.replay`` (the validator), ``simulator.io`` (reading logs, writing
outputs), ``simulator.scenarios``, ``simulator.serve`` (the API stand-in and the streamer),
``simulator.testing`` (strategies, mutations, the pytest plugin), ``simulator.collect`` (fetch
from the events API, receive the webhook) and ``simulator.cli``. Names are
imported when first used, so ``import simulator`` is free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.exports import lazy

if TYPE_CHECKING:
    from lifecycle.rules import Finding
    from lifecycle.state import FleetState
    from simulator.io import InputError
    from simulator.partition import validate_paths
    from simulator.platform import Platform, Refused, Settings, generate, write_jsonl
    from simulator.replay import (
        Replay,
        Report,
        final_state,
        render,
        state_path,
        validate,
        validate_path,
    )

__all__ = [
    "Finding",
    "FleetState",
    "InputError",
    "Platform",
    "Refused",
    "Replay",
    "Report",
    "Settings",
    "final_state",
    "generate",
    "render",
    "state_path",
    "validate",
    "validate_path",
    "validate_paths",
    "write_jsonl",
]

__getattr__, __dir__ = lazy(globals(), {
    "Finding": "lifecycle.rules",
    "FleetState": "lifecycle.state",
    "InputError": "simulator.io",
    "validate_paths": "simulator.partition",
    **dict.fromkeys(("Platform", "Refused", "Settings", "generate", "write_jsonl"),
                    "simulator.platform"),
    **dict.fromkeys(("Replay", "Report", "final_state", "render", "state_path", "validate",
                     "validate_path"), "simulator.replay"),
})
