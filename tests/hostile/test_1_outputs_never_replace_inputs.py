"""Item 1, data loss: an output can never replace an input, whatever name reaches it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.conftest import cli, simlife, unchanged


def _same(tmp: Path, log: Path) -> Path:
    return log


def _symlink(tmp: Path, log: Path) -> Path:
    link = tmp / "link.jsonl"
    link.symlink_to(log.name)
    return link


def _hard_link(tmp: Path, log: Path) -> Path:
    hard = tmp / "hard.jsonl"
    os.link(log, hard)
    return hard


def _dotted(tmp: Path, log: Path) -> Path:
    (tmp / "sub").mkdir()
    return tmp / "sub" / ".." / "." / log.name


@pytest.mark.parametrize("alias", [_same, _symlink, _hard_link, _dotted])
@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_validate_refuses_to_write_its_report_over_the_log(
    tmp_path: Path, fleet: bytes, alias: Callable[[Path, Path], Path], fmt: str
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(fleet[:20_000].rsplit(b"\n", 1)[0] + b"\n")
    target = alias(tmp_path, log)
    with unchanged(log):
        out = cli("validate", log, "-o", target, "--format", fmt)
    assert out.code == 2
    assert "is an input of this command" in out.one_line()
    assert target.is_symlink() == (alias is _symlink)  # a link stays a link
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_the_log_read_through_a_link_is_protected_under_its_own_name(
    tmp_path: Path, fleet: bytes
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(fleet[:5000].rsplit(b"\n", 1)[0] + b"\n")
    link = _symlink(tmp_path, log)
    with unchanged(log):
        out = cli("validate", link, "-o", log)
    assert out.code == 2
    assert out.one_line().endswith(
        "log.jsonl: is an input of this command (the same file as "
        f"{link}): writing it would replace the input; choose another output file")


def test_standard_input_from_a_file_and_standard_output_onto_it(
    tmp_path: Path, fleet: bytes
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(fleet[:5000].rsplit(b"\n", 1)[0] + b"\n")
    with unchanged(log):
        redirected = simlife("validate", "-", "-o", log, stdin=log)
    assert redirected.code == 2
    assert "the same file as <stdin>" in redirected.one_line()
    with unchanged(log), log.open("ab") as appended:  # `simlife validate log >> log`
        onto = simlife("validate", log, stdout=appended.fileno())
    assert onto.code == 2
    assert onto.one_line().startswith("simlife: error: <stdout>: is an input of this command")


def test_scenario_emit_refuses_the_scenario_file(tmp_path: Path) -> None:
    story = tmp_path / "story.toml"
    story.write_text('name = "a story"\nseed = 1\n\n[[step]]\nop = "register"\nsims = ["s1"]\n')
    with unchanged(story):
        out = cli("scenario", "run", story, "--emit", story)
    assert out.code == 2
    assert "story.toml: is an input of this command" in out.one_line()


def test_an_output_through_a_symlink_replaces_the_file_it_names_and_keeps_the_link(
    tmp_path: Path, fleet: bytes
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(fleet[:5000].rsplit(b"\n", 1)[0] + b"\n")
    report, link = tmp_path / "report.json", tmp_path / "latest.json"
    report.write_text("old")
    link.symlink_to(report.name)
    with unchanged(log):
        out = cli("validate", log, "-o", link, "--format", "json")
    assert out.code == 0, out.stderr
    assert link.is_symlink() and link.readlink() == Path(report.name)
    assert report.read_text().startswith("{")
