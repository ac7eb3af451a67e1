"""Item 3, unbounded memory: findings past a cap per rule are counted, not kept, and every
report says how many it leaves out; memory is bounded by entities, not by findings."""

from __future__ import annotations

import json
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson

from simulator.replay import MAX_FINDINGS, validate_path
from tests.hostile.conftest import cli, unchanged


def _log(tmp_path: Path, seeds: list[dict[str, Any]], bad: int, odd: int) -> Path:
    """``bad`` lines that are not JSON, then ``odd`` events with only a warning (a null)."""
    path = tmp_path / "log.jsonl"
    body = [b"not json %d" % i for i in range(bad)]
    for i in range(odd):
        event = dict(seeds[0], id=500 + i, timestamp="2021-10-27T08:44:56.147Z", imsi=None,
                     sim=dict(seeds[0]["sim"], id=900 + i, iccid=f"89883030000000{i:05d}"),
                     endpoint=dict(seeds[0]["endpoint"], id=700 + i))
        body.append(orjson.dumps(event))
    path.write_bytes(b"\n".join(body) + b"\n")
    return path


def test_the_default_cap_is_a_setting_of_ten_thousand() -> None:
    assert MAX_FINDINGS == 10_000


def test_json_lists_the_cap_and_counts_the_rest(tmp_path: Path, seeds: list[Any]) -> None:
    path = _log(tmp_path, seeds, bad=40, odd=1)
    with unchanged(path):
        out = cli("validate", path, "--format", "json", "--max-findings", "7")
    assert out.code == 1
    data = json.loads(out.stdout)
    listed = [v["rule"] for v in data["violations"]]
    assert listed.count("malformed-event") == 7
    assert data["counts_by_rule"]["malformed-event"] == 40
    assert data["omitted"] == {"malformed-event": 33}
    assert data["max_findings"] == 7
    assert (data["errors"], data["warnings"]) == (40, 1)
    assert [v["line"] for v in data["violations"] if v["rule"] == "malformed-event"] == [
        1, 2, 3, 4, 5, 6, 7]  # the first ones are kept


def test_text_and_junit_say_how_many_were_left_out(tmp_path: Path, seeds: list[Any]) -> None:
    path = _log(tmp_path, seeds, bad=25, odd=0)
    text = cli("validate", path, "--max-findings", "3")
    assert text.code == 1
    assert "error malformed-event (25):" in text.stdout.decode()
    assert ("  ... and 22 more not listed (only the first 3 findings of a rule are kept: "
            "--max-findings)") in text.stdout.decode()
    assert "NOT CONFORMANT: 25 errors, 0 warnings" in text.stdout.decode()
    junit = cli("validate", path, "--max-findings", "3", "--format", "junit")
    root = ET.fromstring(junit.stdout)
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["findings_omitted"] == "22"
    failures = [f.get("type") for f in suite.iter("failure")]
    assert failures == ["malformed-event"] * 4  # three kept, one for the 22 left out
    assert root.get("failures") == "4"


def test_warnings_past_the_cap_still_decide_a_strict_verdict(
    tmp_path: Path, seeds: list[Any]
) -> None:
    path = _log(tmp_path, seeds, bad=0, odd=5)
    assert cli("validate", path, "--max-findings", "0").code == 0
    strict = cli("validate", path, "--max-findings", "0", "--strict", "--format", "json")
    assert strict.code == 1
    data = json.loads(strict.stdout)
    assert data["violations"] == [] and data["omitted"] == {"lenient-format": 5}


def test_memory_does_not_grow_with_findings(tmp_path: Path) -> None:
    """100,000 lines that are not JSON: a kept finding costs hundreds of bytes (80 MB in all);
    with 1,000 kept per rule the peak stays far below that."""
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(b"garbage line %d\n" % i for i in range(100_000)))
    tracemalloc.start()
    try:
        report = validate_path(path, max_findings=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.counts_by_rule["malformed-event"] == 100_000
    assert len(report.findings) == 1000
    assert peak < 16 * 2**20, peak


def test_a_negative_cap_is_a_usage_error(tmp_path: Path, seeds: list[Any]) -> None:
    path = _log(tmp_path, seeds, bad=1, odd=0)
    out = cli("validate", path, "--max-findings", "-1")
    assert out.code == 2
    assert "--max-findings" in out.one_line()
