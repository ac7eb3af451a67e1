"""Shared fixtures and the hypothesis profiles (ci: derandomised, bounded; dev; thorough)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
SEED_EXAMPLES = ROOT.parent / "shared" / "reference" / "seed-examples.jsonl"
FALLBACK_SEEDS = Path(__file__).resolve().parent / "data" / "seed-examples.jsonl"


@pytest.fixture(scope="session")
def seed_lines() -> list[bytes]:
    """The 13 example events of the platform's pages, one per line, byte for byte."""
    path = SEED_EXAMPLES if SEED_EXAMPLES.exists() else FALLBACK_SEEDS
    return [line.rstrip(b"\n") for line in path.read_bytes().splitlines() if line.strip()]
