"""The README's Python examples run as written (the README must stay true)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from lifecycle.events import dumps
from simulator.fleet import generate
from tests.conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_example_runs(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = b"".join(dumps(e) + b"\n" for e in generate(sims=20, seed=3))
    (tmp_path / "recorded.jsonl.gz").write_bytes(gzip.compress(lines))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2
