"""The validator: replay a log through the model and report what the lifecycle does not allow.

``validate_path`` reads a file (through ``simulator.io``) and ``validate`` takes events in replay
order; both give a ``Report`` of findings, which ``render`` writes as text, JSON or JUnit XML.
``Replay`` is the engine itself, event by event over the sets of states each entity may be in;
``final_state`` and ``state_path`` say what a log lets it know of every SIM and device.
"""

from simulator.replay.core import EndpointView, Replay, SimView
from simulator.replay.driver import validate, validate_path
from simulator.replay.final import final_state, parse_at, replay_path, state_path
from simulator.replay.report import RENDERERS, Report, render
from simulator.replay.state import MAX_FINDINGS

__all__ = [
    "MAX_FINDINGS",
    "RENDERERS",
    "EndpointView",
    "Replay",
    "Report",
    "SimView",
    "final_state",
    "parse_at",
    "render",
    "replay_path",
    "state_path",
    "validate",
    "validate_path",
]
