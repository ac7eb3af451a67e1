"""Scenario files (spec §8): TOML stories of operations on the simulated platform, and their checks.

``load`` checks a file strictly before anything runs (``ScenarioError`` names its line); ``run``
performs the steps and compares what followed with the expectations; ``BUILTIN`` is the folder of
the scenarios that ship with simlife.
"""

from simulator.scenarios.loader import BUILTIN, Scenario, ScenarioError, discover, load, loads
from simulator.scenarios.runner import Outcome, render, run

__all__ = [
    "BUILTIN",
    "Outcome",
    "Scenario",
    "ScenarioError",
    "discover",
    "load",
    "loads",
    "render",
    "run",
]
