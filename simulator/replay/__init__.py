"""The validator: replay a log through the model and report what the lifecycle does not allow.

``validate_path`` reads a file (through ``simulator.io``) and ``validate`` takes events in replay
order; both give a ``Report`` of findings, which ``render`` writes as text, JSON or JUnit XML.
``Replay`` is the engine itself, event by event over the sets of states each entity may be in.
"""

from simulator.replay.core import EndpointView, Replay, SimView
from simulator.replay.driver import validate, validate_path
from simulator.replay.report import RENDERERS, Report, render
from simulator.replay.state import MAX_FINDINGS

__all__ = [
    "MAX_FINDINGS",
    "RENDERERS",
    "EndpointView",
    "Replay",
    "Report",
    "SimView",
    "render",
    "validate",
    "validate_path",
]
