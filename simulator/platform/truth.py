"""The simulated platform's actual state: the truth a consumer of its events is tested against.

Same shape as what replay makes of the log (``lifecycle.state``), but every status is known:
the platform holds it. A device deleted without an event, or a SIM registered in a batch and
never named again, is here though no event shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lifecycle.state import EndpointState, FleetState, SimState
from simulator.platform.core import Platform


def truth(platform: Platform) -> FleetState:
    """Every SIM and device of ``platform`` as it stands now."""
    sims = (SimState(rec.id, rec.iccid, (rec.status.label,), rec.workspace, rec.endpoint)
            for rec in platform.sims.values())
    endpoints = (EndpointState(ep.id, (ep.status.label,), ep.sim)
                 for ep in platform.endpoints.values())
    return FleetState.of(sims, endpoints)


class FleetLog(list[dict[str, Any]]):
    """A generated log, a list of event dicts as before, that also carries ``truth``: the
    platform's state after its last event. Copies and pickles keep it."""

    def __init__(self, events: Iterable[dict[str, Any]], truth: FleetState) -> None:
        super().__init__(events)
        self.truth = truth
