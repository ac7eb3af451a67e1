"""Shared fixtures and the hypothesis profiles (ci: derandomised, bounded; dev; thorough)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from tests.test_server import Env

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


@pytest.fixture
def env() -> Iterator[Env]:
    """The stand-in's app over two workspaces in every state (``tests.test_server.make_env``),
    for the server tests of every module."""
    from tests.test_server import make_env  # the serve stack, only for tests that ask

    made = make_env()
    try:
        yield made
    finally:
        made.api.close()
