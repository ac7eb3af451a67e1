"""Testing aids for integrators: hypothesis strategies, log corruptions, the pytest plugin.

The strategies need hypothesis (the ``dev`` extra); the plugin and the mutations do not, so the
names here are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.exports import lazy

if TYPE_CHECKING:
    from simulator.testing.mutations import MUTATIONS, Mutation
    from simulator.testing.strategies import (
        events,
        fleets,
        lifecycles,
        operations,
        run_operations,
    )

__all__ = ["MUTATIONS", "Mutation", "events", "fleets", "lifecycles", "operations",
           "run_operations"]

__getattr__, __dir__ = lazy(globals(), {
    "MUTATIONS": "simulator.testing.mutations",
    "Mutation": "simulator.testing.mutations",
    **dict.fromkeys(("events", "fleets", "lifecycles", "operations", "run_operations"),
                    "simulator.testing.strategies"),
})
