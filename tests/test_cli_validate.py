"""``simlife validate`` and the validate API: exit codes, formats, order, input errors."""

from __future__ import annotations

import gc
import gzip
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.replay import driver as validate_module
from simulator.replay.driver import collector_paused, validate, validate_path


def run(*args: str | Path, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["validate", *map(str, args)], input=input)


def report_of(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rules(data: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(v["rule"], v["line"]) for v in data["violations"]]


def write(tmp_path: Path, lines: Sequence[bytes], name: str = "log.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(x + b"\n" for x in lines))
    return path


def event(seed: bytes, **changes: Any) -> bytes:
    value = orjson.loads(seed)
    value.update(changes)
    return orjson.dumps(value)


# --------------------------------------------------------------------------- real replay


@pytest.mark.parametrize("index", range(13))
def test_each_seed_example_alone_is_conformant(seed_lines: list[bytes], index: int) -> None:
    result = run("-", input=seed_lines[index] + b"\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("CONFORMANT")
    assert result.stderr == ""


def test_json_output_shape(seed_lines: list[bytes], tmp_path: Path) -> None:
    result = run(write(tmp_path, seed_lines[:3]), "--format", "json")
    data = report_of(result)
    assert {"events", "violations", "conformant", "errors", "warnings", "counts_by_event_type",
            "counts_by_rule", "order"} <= set(data)
    assert data["events"] == 3
    assert data["counts_by_event_type"] == {"8": 2, "9": 1}
    assert result.exit_code == (0 if data["conformant"] else 1)
    for violation in data["violations"]:
        assert {"rule", "severity", "event_id", "line", "message"} <= set(violation)


def test_descending_log_is_replayed_reversed_without_a_warning(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    # Seed 1 (08:44:56) then seed 3 (08:44:46): newest first, as the API pages them.
    result = run(write(tmp_path, [seed_lines[0], seed_lines[2]]), "--format", "json")
    data = report_of(result)
    assert data["order"] == "descending"
    assert "time-order" not in data["counts_by_rule"]


def test_neither_order_warns_time_order_and_fails_only_when_strict(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    # 08:44:56, 08:44:46, 08:45:12: neither order. Three unrelated SIMs: nothing else to say.
    path = write(tmp_path, [seed_lines[0], seed_lines[2], seed_lines[3]])
    result = run(path, "--format", "json")
    data = report_of(result)
    assert data["order"] == "sorted"
    assert rules(data) == [("time-order", None)]
    assert result.exit_code == 0
    strict = run(path, "--format", "json", "--strict")
    assert strict.exit_code == 1
    assert report_of(strict)["conformant"] is False


def test_malformed_line_is_reported_and_processing_goes_on(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    no_id = orjson.loads(seed_lines[2])
    del no_id["id"]
    path = write(tmp_path, [seed_lines[2], b"{not json", orjson.dumps(no_id), seed_lines[0]])
    result = run(path, "--format", "json")
    assert result.exit_code == 1
    data = report_of(result)
    found = [(v["rule"], v["line"], v["entity"]) for v in data["violations"]]
    assert found == [("malformed-event", 2, None), ("malformed-event", 3, "SIM 209035")]
    assert data["violations"][0]["message"].startswith("not JSON: ")
    assert data["events"] == 3  # lines 1, 3 and 4 reached replay


def test_complete_history_and_assume_registered(seed_lines: list[bytes], tmp_path: Path) -> None:
    path = write(tmp_path, [seed_lines[0]])  # SIM ICCID 8242757752885188552
    assert run(path).exit_code == 0
    result = run(path, "--complete-history", "--format", "json")
    assert result.exit_code == 1
    assert rules(report_of(result)) == [("registration-required", 1)]
    covered = "8242757752885188550-82427577528851885599"  # 19 and 20 digits
    assert run(path, "--complete-history", "--assume-registered", covered).exit_code == 0
    elsewhere = "8242757752885188553-8242757752885188559"
    assert run(path, "--complete-history", "--assume-registered", elsewhere).exit_code == 1


def test_gzip_from_stdin(seed_lines: list[bytes]) -> None:
    result = run("-", "--format", "json", input=gzip.compress(b"\n".join(seed_lines[:2])))
    assert result.exit_code == 0, result.output
    assert report_of(result)["events"] == 2


def test_junit_output_is_well_formed(seed_lines: list[bytes], tmp_path: Path) -> None:
    path = write(tmp_path, [seed_lines[0], b"][", seed_lines[2]])
    result = run(path, "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    names = [c.get("name") for c in root.iter("testcase")]
    assert names[0] == "log"
    assert {"SIM 3668977", "endpoint 83173458", "SIM 209035", "endpoint 1541102"} <= set(names)
    log_case = next(c for c in root.iter("testcase") if c.get("name") == "log")
    assert [f.get("type") for f in log_case.iter("failure")] == ["malformed-event"]


def test_output_file_is_written_whole(seed_lines: list[bytes], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(write(tmp_path, seed_lines[:1]), "--format", "json", "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["events"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.jsonl", "report.json"]


def test_help_lists_every_rule_code_formats_and_exit_codes() -> None:
    from lifecycle.rules import RULES

    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    for code in RULES:
        assert f"  {code} " in result.stdout
    for word in ("text", "json", "junit", "Exit codes", "--strict", "--assume-registered"):
        assert word in result.stdout


# --------------------------------------------------------------------------- exit 2


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("simlife: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"id": 1}\n\x00\n', "NUL byte"),
        (b'{"id": "\xe9t\xe9"}\n', "invalid UTF-8"),
        (gzip.compress(b"\x00" * 10), "NUL byte"),
        (gzip.compress(b'{"id": 1}\n' * 100)[:-20], "gzip"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    message = _one_line_error(run(path))
    assert str(path) in message and expected in message
    assert path.read_bytes() == data
    message = _one_line_error(run("-", input=data))
    assert "<stdin>" in message and expected in message


def test_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    assert "no such file" in _one_line_error(run(tmp_path / "absent.jsonl"))
    assert "is a directory" in _one_line_error(run(tmp_path))


def test_unwritable_output_exits_2_and_leaves_nothing(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    path = write(tmp_path, seed_lines[:1])
    assert "cannot write" in _one_line_error(run(path, "-o", tmp_path / "no" / "r.txt"))
    assert [p.name for p in tmp_path.iterdir()] == ["log.jsonl"]


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml", "x"],
        ["--assume-registered", "12-34", "x"],
        ["--assume-registered", "8988303000000000009-8988303000000000001", "x"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bin.dat"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
    proc = subprocess.run(
        [sys.executable, "-c", "from simulator.cli import main; main()", "validate", str(path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"simlife: error: {path}: binary data (a NUL byte) on line 1\n"


# --------------------------------------------------------------------------- with a fake replay


class FakeReplay:
    """Records what validation feeds it; reports a finding for every event that has "bad"."""

    instances: ClassVar[list[FakeReplay]] = []

    def __init__(self, complete_history: bool,
                 assume_registered: Sequence[tuple[int, int]], max_findings: int) -> None:
        from lifecycle.rules import Finding

        self._finding = Finding
        self.options = (complete_history, tuple(assume_registered))
        self.fed: list[tuple[Any, int | None]] = []
        self.findings: list[Any] = []
        self.omitted: Counter[str] = Counter()
        self.events = 0
        self.counts_by_type: Counter[int] = Counter()
        self.finished = False
        FakeReplay.instances.append(self)

    def feed(self, event: Any, line: int | None) -> None:
        self.events += 1
        self.fed.append((event, line))
        if isinstance(event, dict) and event.get("bad"):
            self.findings.append(self._finding("illegal-transition", event.get("id"), line, "bad"))

    def malformed(self, line: int | None, message: str) -> None:
        self.fed.append((message, line))
        self.findings.append(self._finding("malformed-event", None, line, message))

    def finish(self) -> None:
        self.finished = True

    def sim_views(self) -> dict[int, Any]:
        return {5: None}

    def endpoint_views(self) -> dict[int, Any]:
        return {}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeReplay]:
    FakeReplay.instances = []
    monkeypatch.setattr(validate_module, "_new_replay", FakeReplay)
    return FakeReplay


def stamp(second: int) -> str:
    return f"2021-10-27T08:44:{second:02d}.000Z"


def test_validate_path_feeds_a_descending_log_exactly_reversed(
    fake: type[FakeReplay], tmp_path: Path
) -> None:
    events = [{"timestamp": stamp(s), "id": i} for i, s in enumerate([9, 5, 5, 1])]
    lines = [orjson.dumps(e) for e in events]
    path = write(tmp_path, [lines[0], lines[1], b"", b"nope", lines[2], lines[3]])
    report = validate_path(path, complete_history=True, assume_registered=[(1, 2)])
    # Replay starts in file order, as if ascending, and is dropped at the first step back.
    speculative, replay = fake.instances
    assert [n for _, n in speculative.fed] == [1] and not speculative.finished
    assert replay.options == (True, ((1, 2),))
    assert replay.finished
    assert [(e["id"] if isinstance(e, dict) else e, n) for e, n in replay.fed] == [
        (3, 6), (2, 5),
        ("not JSON: invalid literal, expected 'null' at column 1", 4),
        (1, 2), (0, 1)]
    assert report.order == "descending"
    assert report.source == str(path)
    assert report.sims == [5]


def test_validate_path_puts_time_order_first_and_files_findings_by_entity(
    fake: type[FakeReplay], tmp_path: Path
) -> None:
    events = [
        {"timestamp": stamp(5), "id": 1, "sim": {"id": 7}},
        {"timestamp": stamp(1), "id": 2, "bad": True, "event_type": {"id": 43},
         "sim": {"id": 7}, "endpoint": {"id": 9}},
        {"timestamp": stamp(3), "id": 3, "bad": True, "sim": {"id": 7}},
    ]
    path = write(tmp_path, [orjson.dumps(e) for e in events] + [b"[oops"])
    report = validate_path(path)
    assert [(f.rule, f.line, f.entity) for f in report.findings] == [
        ("time-order", None, "log"),
        ("illegal-transition", 2, "endpoint 9"),
        ("illegal-transition", 3, "SIM 7"),
        ("malformed-event", 4, None)]
    assert [n for _, n in fake.instances[-1].fed] == [2, 3, 4, 1]  # 4 follows 3: no timestamp


def test_validate_accepts_dicts_bytes_and_text_in_given_order(fake: type[FakeReplay]) -> None:
    report = validate([{"id": 1}, b'{"id": 2}', "  ", '{"id": 3, "bad": 1}', b"{x"], strict=True)
    replay = fake.instances[0]
    assert [(e["id"] if isinstance(e, dict) else e, n) for e, n in replay.fed] == [
        (1, 1), (2, 2), (3, 4),
        ("not JSON: unexpected character, expected a string key at column 2", 5)]
    assert report.order == "given" and report.source is None
    assert report.strict and not report.conformant
    assert report.events == 3


def test_progress_is_called_for_long_runs(
    fake: type[FakeReplay], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate_module, "PROGRESS_EVERY", 2)
    path = write(tmp_path, [orjson.dumps({"timestamp": stamp(1), "id": i}) for i in range(5)])
    calls: list[int] = []
    validate_path(path, progress=calls.append)
    assert calls == [2, 4]


def test_progress_shows_only_after_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli import validate as command

    clock = iter([100.0, 100.5, 101.5])
    progress = command._Progress(clock=lambda: next(clock))
    progress(65_536)  # half a second in: quiet
    assert capsys.readouterr().err == ""
    progress(131_072)
    progress.clear()
    assert capsys.readouterr().err == "\rsimlife: validated 131,072 events\r\x1b[K"


def test_the_collector_is_paused_for_a_validation_and_restored_as_it_was() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("an error inside the block")
    assert gc.isenabled()  # restored after an error
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


# --------------------------------------------------------------------------- select, ignore, ids


def _seed_log(seed_lines: list[bytes], tmp_path: Path) -> Path:
    """The 13 seed examples plus one code-mismatch: an error and several kinds of warning."""
    broken = event(seed_lines[3], event_severity={"id": 0, "description": "Infos"})
    return write(tmp_path, [*seed_lines, broken.replace(b'"id":2357494430400553',
                                                        b'"id":2357494430400554')])


def test_select_and_ignore_choose_the_rules_as_ruff_does(seed_lines: list[bytes],
                                                         tmp_path: Path) -> None:
    path = _seed_log(seed_lines, tmp_path)
    everything = report_of(run(path, "--format", "json"))
    kinds = {v["rule"] for v in everything["violations"]}
    errors = {v["rule"] for v in everything["violations"] if v["severity"] == "error"}
    assert "code-mismatch" in errors and len(kinds) >= 3
    ignored = run(path, "--format", "json", "--ignore", "code-mismatch,time-order",
                  "--ignore", "migrated-while-active")
    left = {v["rule"] for v in report_of(ignored)["violations"]}
    assert left == kinds - {"code-mismatch", "time-order", "migrated-while-active"}
    assert "code-mismatch" not in report_of(ignored)["counts_by_rule"]
    selected = run(path, "--format", "json", "--select", "code-mismatch")
    assert selected.exit_code == 1
    assert {v["rule"] for v in report_of(selected)["violations"]} == {"code-mismatch"}
    quiet = run(path, "--select", "ALL", "--ignore", ",".join(sorted(errors)))
    assert quiet.exit_code == 0, quiet.output  # the errors left out do not count
    assert "CONFORMANT" in quiet.output and "error" not in quiet.output.split("summary")[0]
    assert run(path, "--select", "ALL").exit_code == 1


def test_an_unknown_rule_exits_2_listing_the_rules(seed_lines: list[bytes],
                                                   tmp_path: Path) -> None:
    path = _seed_log(seed_lines, tmp_path)
    for option in ("--select", "--ignore"):
        result = run(path, option, "code-mismatch,no-such-rule")
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "unknown rule 'no-such-rule'" in lines[0]
        assert "orphan-migration-half" in lines[0] and "luhn" in lines[0]


def test_json_findings_carry_sim_and_endpoint_ids(seed_lines: list[bytes],
                                                  tmp_path: Path) -> None:
    broken = event(seed_lines[0], event_severity={"id": 0, "description": "Infos"})
    data = report_of(run(write(tmp_path, [broken]), "--format", "json"))
    (finding,) = data["violations"]
    assert (finding["sim"], finding["endpoint"], finding["entity"]) == (
        3668977, 83173458, "SIM 3668977")
    assert finding["element"] is None  # JSON Lines: the line says where


def test_findings_in_a_json_array_name_the_element(seed_lines: list[bytes],
                                                   tmp_path: Path) -> None:
    """An API page saved with json.dump is one line: every element is on line 1."""
    events = [orjson.loads(line) for line in seed_lines[:11]]
    events[4]["event_severity"] = {"id": 0, "description": "Infos"}
    events[6]["description"] = "Status of SIM changed from 'Issued' to 'Activated'"
    path = tmp_path / "page.json"
    path.write_text(json.dumps(events))
    data = report_of(run(path, "--format", "json"))
    found = {(v["rule"], v["line"], v["element"], v["event_id"]) for v in data["violations"]}
    assert ("code-mismatch", 1, 4, events[4]["id"]) in found
    assert ("description-mismatch", 1, 6, events[6]["id"]) in found
    text = run(path).output
    assert f"line 1, element 4, event {events[4]['id']}" in text
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(events, indent=1))
    lines = {(v["element"], v["line"]) for v in report_of(run(pretty, "--format", "json"))[
        "violations"] if v["event_id"] is not None}
    assert {e for e, _ in lines} >= {4, 6} and all(line > 1 for _, line in lines)


def test_a_finding_at_the_end_of_an_array_names_its_element(seed_lines: list[bytes],
                                                            tmp_path: Path) -> None:
    """orphan-migration-half is reported once the log has ended: still at its element."""
    events = [orjson.loads(line) for line in (seed_lines[0], seed_lines[11])]
    path = tmp_path / "page.json"
    path.write_text(json.dumps(events))
    data = report_of(run(path, "--format", "json"))
    (orphan,) = [v for v in data["violations"] if v["rule"] == "orphan-migration-half"]
    assert (orphan["line"], orphan["element"]) == (1, 1)
