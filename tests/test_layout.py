"""The layout shows the architecture: wings as folders, imports one way, faces, no private reach.

Read from the source with ``ast`` (every import, including those inside functions and under
``TYPE_CHECKING``), so a new module cannot slip past by importing lazily.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("lifecycle", "simulator")
# Lower ranks are imported by higher ones, never the other way; equal ranks never import each
# other. ``simulator`` itself (the lazy top-level face) and ``exports`` sit outside the order.
# ``testing`` sits above ``serve``: its pytest plugin hands users a running stand-in.
RANK = {"lifecycle": 0, "io": 1, "platform": 2, "replay": 2,
        "partition": 3, "scenarios": 3, "serve": 3, "collect": 3, "testing": 4, "cli": 5}
OUTSIDE_THE_ORDER = {"simulator", "simulator.exports"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for each import of the project's packages in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in PACKAGES:
                found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names if a.name.split(".")[0] in PACKAGES)
    return found


def _wing(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "lifecycle":
        return "lifecycle"
    return parts[1] if len(parts) > 1 and parts[1] in RANK else module


def _edges() -> dict[str, set[str]]:
    """module -> the project modules it imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for module, names in _imports(path):
            targets = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
            graph[name] |= targets or {module}
    return graph


def test_the_modules_are_found() -> None:
    assert {"simulator.replay.core", "simulator.io.logs", "lifecycle.machines"} <= set(MODULES)


def test_no_flat_prefix_family_in_a_folder() -> None:
    """``replay_rules.py`` beside ``replay_state.py`` is a folder spelled as a prefix."""
    for folder in {p.parent for p in MODULES.values()}:
        stems = [p.stem for p in folder.glob("*.py") if not p.stem.startswith("__")]
        prefixes = defaultdict(list)
        for stem in stems:
            if "_" in stem:
                prefixes[stem.split("_")[0]].append(stem)
        for prefix, family in prefixes.items():
            members = family + [s for s in stems if s == prefix]
            assert len(members) < 2, f"{folder}: {members} should be a folder {prefix}/"


def test_imports_flow_one_way_between_wings() -> None:
    wrong = []
    for module, targets in _edges().items():
        if module in OUTSIDE_THE_ORDER:
            continue
        mine = _wing(module)
        for target in targets:
            theirs = _wing(target)
            if theirs == mine or target in OUTSIDE_THE_ORDER - {"simulator"}:
                continue
            if target == "simulator" or RANK.get(theirs, 99) >= RANK.get(mine, -1):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_a_wing_is_entered_through_its_face() -> None:
    """Outside a wing, ``from simulator.replay import X``; never ``simulator.replay.core``."""
    wrong = []
    for module, path in MODULES.items():
        for target, _ in _imports(path):
            parts = target.split(".")
            if (parts[0] == "simulator" and len(parts) > 2 and parts[1] in RANK
                    and _wing(module) != parts[1]):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_every_face_declares_all() -> None:
    for wing in RANK.keys() - {"lifecycle", "cli"}:
        face = ROOT / "simulator" / wing / "__init__.py"
        assert re.search(r"^__all__ = \[", face.read_text(), re.M), face


def test_no_import_circle() -> None:
    graph = _edges()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_private_name_is_imported_from_another_module() -> None:
    wrong = [f"{module}: {target}.{name}"
             for module, path in MODULES.items()
             for target, names in _imports(path)
             for name in names if name.startswith("_") and not name.startswith("__")]
    assert wrong == []


def test_the_top_level_api_is_what_the_readme_promises() -> None:
    import simulator

    for name in ("generate", "validate", "validate_path", "Platform", "Refused", "Report"):
        assert name in simulator.__all__
        assert getattr(simulator, name) is not None
    with pytest.raises(AttributeError):
        simulator.no_such_name  # noqa: B018
