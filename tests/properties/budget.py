"""Per-test hypothesis budgets, scaled from the active profile (tests/conftest.py).

A test asks for ``budget(3)``: three times the profile's ``max_examples``, so the ci profile
stays bounded (the whole property suite takes ~40 s on two cores: keep it under two minutes)
and ``HYPOTHESIS_PROFILE=thorough`` runs every property many times longer.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings


def budget(factor: float, **overrides: Any) -> settings:
    examples = max(1, round(settings.default.max_examples * factor))
    if "stateful_step_count" in overrides and settings.default.max_examples >= 1000:
        overrides["stateful_step_count"] *= 2  # thorough: longer runs, too
    return settings(max_examples=examples, **overrides)
