"""The README names only make targets and scripts that exist (its blocks run in test_docs)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


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
