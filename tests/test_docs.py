"""Docs are code: every command and Python block of the READMEs and docs/*.md runs as written.

Each document runs in a scratch folder that holds a copy of ``examples/``, with this
environment's ``simlife`` first on PATH, its blocks in order:

- ```` ```sh ````: each command line must exit 0, unless its comment says ``exits N``;
- ```` ```console ````: ``$ command`` lines, each followed by its exact output (stdout and stderr
  merged, trailing blanks ignored; ``...`` in an expected line matches anything);
- ```` ```python ````: one namespace per document; a following ```` ```output ```` block is
  its exact stdout;
- ``<!-- docs-test: pytest -->`` before a Python block: run as a test file with pytest;
- ``<!-- docs-test: background -->`` before a ``sh`` or ``console`` block of one command:
  started and left running for the rest of the document (a ``console`` block waits for its
  shown output first), then stopped;
- ``<!-- docs-test: skip (why) -->``: not run; only for what needs the internet or sets up
  the project itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", ROOT / "scenarios" / "README.md",
             *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"sh", "console", "python"}
TIMEOUT = 600  # seconds for one command: the longest (a property suite) takes about a minute
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"<!--\s*docs-test:\s*(\w+)(?:\s*\((.*?)\))?\s*-->\s*\n\s*\Z")
EXITS = re.compile(r"#.*\bexits (\d+)\b")


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    text: str
    marker: str | None
    output: str | None = None  # a python block's ```output block
    end: int = 0  # offset just past the closing fence

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(source: str, doc: str) -> list[Block]:
    found: list[Block] = []
    for fence in FENCE.finditer(source):
        before = source[: fence.start()]
        marker = MARKER.search(before)
        lang, text = fence.group(1), fence.group(2)
        line = before.count("\n") + 1
        if lang == "output" and found and found[-1].lang == "python":
            between = source[found[-1].end: fence.start()]
            assert not between.strip(), f"{doc}:{line}: an output block follows its python block"
            found[-1].output = text
            continue
        block = Block(doc, line, lang, text, marker.group(1) if marker else None, end=fence.end())
        if marker and marker.group(1) == "skip":
            assert marker.group(2), f"{block.where}: a skip says why: docs-test: skip (why)"
        found.append(block)
    return found


def commands(text: str) -> list[str]:
    """Shell lines, with ``\\`` continuations joined and comment-only lines left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [c for c in (line.strip() for line in joined.splitlines())
            if c and not c.startswith("#")]


def expected_exit(command: str) -> int:
    found = EXITS.search(command)
    return int(found.group(1)) if found else 0


def matches(expected: str, actual: str) -> bool:
    want = [line.rstrip() for line in expected.rstrip().splitlines()]
    got = [line.rstrip() for line in actual.rstrip().splitlines()]
    if len(want) != len(got):
        return False
    return all(re.fullmatch(".*".join(map(re.escape, w.split("..."))), g)
               for w, g in zip(want, got, strict=True))


class Session:
    """One document's scratch folder, environment, Python namespace and background commands."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        shutil.copytree(ROOT / "examples", folder / "examples",
                        ignore=shutil.ignore_patterns("__pycache__"))
        self.env = dict(os.environ, NO_COLOR="1", COLUMNS="100", TERM="dumb",
                        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        self.env.pop("PYTEST_ADDOPTS", None)
        self.namespace: dict[str, object] = {"__name__": "__doc__"}
        self.background: list[subprocess.Popen[str]] = []

    def shell(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", command], cwd=self.folder, env=self.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT,
                              check=False)

    def start(self, command: str, expected: str | None, where: str) -> None:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.folder,
                                   env=self.env, text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        self.background.append(process)
        want = len(expected.rstrip().splitlines()) if expected else 1
        lines: list[str] = []

        def read() -> None:
            assert process.stdout is not None
            while len(lines) < want and (line := process.stdout.readline()):
                lines.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=60)
        if expected is not None and not matches(expected, "".join(lines)):
            pytest.fail(f"{where}: {command}\nexpected:\n{expected}\nactual:\n{''.join(lines)}")
        if process.poll() is not None:
            pytest.fail(f"{where}: {command} stopped (exit {process.returncode}): {lines}")

    def stop(self) -> None:
        for process in self.background:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def run_block(block: Block, session: Session) -> None:
    if block.lang in ("sh", "console"):
        pairs: list[tuple[str, str | None]] = (
            [(c, None) for c in commands(block.text)] if block.lang == "sh" else
            re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n?)*)", block.text, re.M))
        for command, expected in pairs:
            if block.marker == "background":
                session.start(command, expected, block.where)
                continue
            done = session.shell(command)
            if done.returncode != expected_exit(command):
                pytest.fail(f"{block.where}: `{command}` exited {done.returncode}, expected "
                            f"{expected_exit(command)}:\n{done.stdout}")
            if expected is not None and not matches(expected, done.stdout):
                pytest.fail(f"{block.where}: `{command}` printed\n{done.stdout}\n"
                            f"but the document shows\n{expected}")
    elif block.marker == "pytest":
        name = f"test_doc_{Path(block.doc).stem.lower()}_{block.line}.py"
        (session.folder / name).write_text(block.text)
        done = session.shell(f"{sys.executable} -m pytest -q -p no:cacheprovider {name}")
        if done.returncode != 0:
            pytest.fail(f"{block.where}: the test block fails:\n{done.stdout}")
    else:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), _cwd(session.folder):
            exec(compile(block.text, block.where, "exec"), session.namespace)
        if block.output is not None and not matches(block.output, printed.getvalue()):
            pytest.fail(f"{block.where}: printed\n{printed.getvalue()}\n"
                        f"but the document shows\n{block.output}")


@contextlib.contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def runnable(path: Path) -> list[Block]:
    found = blocks(path.read_text(), path.relative_to(ROOT).as_posix())
    return [b for b in found if b.lang in RUNNABLE and b.marker != "skip"]


@pytest.mark.parametrize("path", DOCUMENTS,
                         ids=[p.relative_to(ROOT).as_posix() for p in DOCUMENTS])
def test_document_runs_as_written(path: Path, tmp_path: Path) -> None:
    session = Session(tmp_path)
    try:
        for block in runnable(path):
            run_block(block, session)
    finally:
        session.stop()


def test_every_document_runs_something() -> None:
    for path in DOCUMENTS:
        assert runnable(path), f"{path.name} has no block that runs"


def test_the_examples_are_what_their_script_writes() -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import make_examples
    finally:
        sys.path.remove(str(ROOT / "examples"))
    for name, data in make_examples.files().items():
        assert (ROOT / "examples" / name).read_bytes() == data, "rerun examples/make_examples.py"


def test_the_harness_compares_what_it_says(tmp_path: Path) -> None:
    """A harness that passes everything is no test: wrong output and a wrong exit code fail."""
    doc = ("```console\n$ echo hi\nho\n```\n\n<!-- docs-test: skip (why) -->\n```sh\nfalse\n```\n"
           "\n```sh\nfalse\n```\n\n```python\nprint(1)\n```\n\n```output\n2\n```\n")
    found = blocks(doc, "doc.md")
    assert [(b.lang, b.marker, b.output) for b in found] == [
        ("console", None, None), ("sh", "skip", None), ("sh", None, None),
        ("python", None, "2\n")]
    session = Session(tmp_path)
    for block in (found[0], found[2], found[3]):
        with pytest.raises(pytest.fail.Exception):
            run_block(block, session)
    run_block(Block("doc.md", 1, "console", "$ echo say it hi\nsay ... hi\n", None), session)
    run_block(Block("doc.md", 1, "sh", "exit 3  # exits 3\n", None), session)
    with pytest.raises(pytest.fail.Exception):
        run_block(Block("doc.md", 1, "sh", "exit 3  # exits 1\n", None), session)
    assert matches("a ... b", "a anything b") and not matches("a ... b", "a anything c")
