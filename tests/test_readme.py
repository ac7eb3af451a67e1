"""The README's Python examples run as written (the README must stay true)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from lifecycle.events import dumps
from simulator.platform.fleet import generate
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


def test_every_script_the_makefile_runs_exists_and_every_make_target_the_readme_names() -> None:
    """``make bench`` once ran a script that was gone: the README promised its figures."""
    makefile = (ROOT / "Makefile").read_text()
    scripts = re.findall(r"\$\(BIN\)/python (\S+\.py)", makefile)
    assert scripts, "the Makefile runs no script: this test reads it wrongly"
    assert [s for s in scripts if not (ROOT / s).is_file()] == []
    targets = set(re.findall(r"^([a-z]+):", makefile, flags=re.MULTILINE))
    named = set(re.findall(r"^make (\w+)|`make (\w+)`", (ROOT / "README.md").read_text(),
                           flags=re.MULTILINE))
    named = {a or b for a, b in named}
    assert {"demo", "test", "bench"} <= named
    assert named - targets == set()
