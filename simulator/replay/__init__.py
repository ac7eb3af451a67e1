"""The validator: replay a log through the model and report what the lifecycle does not allow.

``validate_path`` reads a file (through ``simulator.io``) and ``validate`` takes events in replay
order; both give a ``Report`` of findings, which ``render`` writes as text, JSON or JUnit XML.
``Replay`` is the engine itself, event by event over the sets of states each entity may be in;
``final_state`` and ``state_path`` say what a log lets it know of every SIM and device.
"""

from simulator.replay.core import EndpointView, Replay, SimView
from simulator.replay.driver import Run, collector_paused, validate, validate_path
from simulator.replay.final import final_state, parse_at, replay_path, state_path
from simulator.replay.links import NO_ID, NOT_A_SIM, Ascent, ChunkLinks, LinkScan
from simulator.replay.migration import UnpairedHalf, judge_unpaired
from simulator.replay.report import RENDERERS, Report, render, with_entities
from simulator.replay.state import MAX_FINDINGS

__all__ = [
    "MAX_FINDINGS",
    "NOT_A_SIM",
    "NO_ID",
    "RENDERERS",
    "Ascent",
    "ChunkLinks",
    "EndpointView",
    "LinkScan",
    "Replay",
    "Report",
    "Run",
    "SimView",
    "UnpairedHalf",
    "collector_paused",
    "final_state",
    "judge_unpaired",
    "parse_at",
    "render",
    "replay_path",
    "state_path",
    "validate",
    "validate_path",
    "with_entities",
]
