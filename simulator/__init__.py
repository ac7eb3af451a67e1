"""simlife: simulate, generate and validate the SIM and device lifecycle events of emnify.

The names most users need, as ``from simulator import ...``::

    events = list(generate(sims=300, seed=7))   # a seeded fleet's log, canonical event dicts
    report = validate(events)                    # or validate_path("recorded.jsonl.gz")
    assert report.conformant

Each wing below has its own face: ``simulator.platform`` (the simulated platform and the fleet
generator), ``simulator.replay`` (the validator), ``simulator.io`` (reading logs, writing
outputs), ``simulator.scenarios``, ``simulator.serve`` (the API stand-in and the streamer),
``simulator.testing`` (strategies, mutations, the pytest plugin) and ``simulator.cli``. Names are
imported when first used, so ``import simulator`` is free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.exports import lazy

if TYPE_CHECKING:
    from lifecycle.rules import Finding
    from simulator.io import InputError
    from simulator.platform import Platform, Refused, Settings, generate, write_jsonl
    from simulator.replay import Replay, Report, render, validate, validate_path

__all__ = [
    "Finding",
    "InputError",
    "Platform",
    "Refused",
    "Replay",
    "Report",
    "Settings",
    "generate",
    "render",
    "validate",
    "validate_path",
    "write_jsonl",
]

__getattr__, __dir__ = lazy(globals(), {
    "Finding": "lifecycle.rules",
    "InputError": "simulator.io",
    **dict.fromkeys(("Platform", "Refused", "Settings", "generate", "write_jsonl"),
                    "simulator.platform"),
    **dict.fromkeys(("Replay", "Report", "render", "validate", "validate_path"),
                    "simulator.replay"),
})
