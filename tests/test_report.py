"""simulator.replay.report: counts, verdicts, and the text, JSON and JUnit renderings."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from lifecycle.rules import RULES, Finding
from simulator.replay.report import (
    Report,
    entity_of,
    render,
    render_junit,
    render_text,
    with_entities,
)

ERROR = Finding("illegal-transition", 11, 3, "no possible state allows Suspended -> Suspended",
                "SIM 7")
ERROR2 = Finding("release-mismatch", 12, 4, "endpoint 9 does not hold SIM 7", "SIM 7")
WARNING = Finding("lenient-format", 13, 5, "timestamp '2021-10-06 10:42:58' is not canonical",
                  "endpoint 9")
LOGWIDE = Finding("malformed-event", None, 6, "not JSON: unexpected character at column 1")


def report(*findings: Finding, strict: bool = False) -> Report:
    return Report(events=6, findings=list(findings), counts_by_type=Counter({8: 2, 42: 1, 9: 3}),
                  strict=strict, source="fleet.jsonl", order="descending", sims=(7, 3),
                  endpoints=(9,))


def test_counts_and_verdicts() -> None:
    r = report(ERROR, WARNING, ERROR2, LOGWIDE)
    assert (r.errors, r.warnings) == (3, 1)
    assert r.counts_by_rule == Counter({"illegal-transition": 1, "lenient-format": 1,
                                        "release-mismatch": 1, "malformed-event": 1})
    assert not r.conformant
    only_warnings = report(WARNING)
    assert only_warnings.conformant
    assert only_warnings.is_conformant(strict=False)
    assert not only_warnings.is_conformant(strict=True)
    assert not report(WARNING, strict=True).conformant
    assert report(strict=True).conformant
    assert report(WARNING, strict=True).failures() == [WARNING]
    assert report(WARNING, ERROR).failures() == [ERROR]


def test_json_has_the_spec_shape() -> None:
    r = report(ERROR, WARNING, LOGWIDE)
    data = json.loads(render(r, "json"))
    assert data["events"] == 6
    assert data["conformant"] is False
    assert (data["errors"], data["warnings"]) == (2, 1)
    assert data["order"] == "descending"
    assert data["source"] == "fleet.jsonl"
    assert data["violations"][0] == {
        "rule": "illegal-transition", "severity": "error", "event_id": 11, "line": 3,
        "message": ERROR.message, "entity": "SIM 7", "sim": 7, "endpoint": None,
        "element": None}
    assert [v["severity"] for v in data["violations"]] == ["error", "warning", "error"]
    assert data["violations"][2]["event_id"] is None
    for violation in data["violations"]:
        assert {"rule", "severity", "event_id", "line", "message"} <= set(violation)
        assert violation["severity"] == RULES[violation["rule"]].level
    # Catalogue order, and event types keyed by their id as text (JSON keys are strings).
    assert list(data["counts_by_rule"]) == ["malformed-event", "illegal-transition",
                                            "lenient-format"]
    assert data["counts_by_event_type"] == {"8": 2, "9": 3, "42": 1}


def test_text_groups_by_rule_with_a_summary() -> None:
    text = render_text(report(WARNING, ERROR, ERROR2, LOGWIDE, ERROR))
    lines = text.splitlines()
    assert lines[0] == "fleet.jsonl: 6 events, descending"
    headers = [x for x in lines if re.match(r"(error|warning) [a-z-]+ \(\d+\)", x)]
    assert [h.split(" (")[0] for h in headers] == [
        "error malformed-event", "error illegal-transition", "error release-mismatch",
        "warning lenient-format"]
    assert headers[1].startswith("error illegal-transition (2): ")
    assert "  line 3, event 11, SIM 7: " + ERROR.message in lines
    assert "  line 6: " + LOGWIDE.message in lines
    summary = lines[lines.index("summary") + 1:]
    assert re.fullmatch(r"  illegal-transition +error +2", summary[1])
    assert re.fullmatch(r"  lenient-format +warning +1", summary[3])
    assert lines[-1] == "NOT CONFORMANT: 4 errors, 1 warning in 6 events"
    assert "\x1b[" not in text


def test_text_verdicts_and_colour() -> None:
    assert render_text(report()).splitlines()[-1] == "CONFORMANT: 0 errors, 0 warnings in 6 events"
    strict = render_text(report(WARNING, strict=True)).splitlines()[-1]
    assert strict == "NOT CONFORMANT (strict): 0 errors, 1 warning in 6 events"
    coloured = render_text(report(ERROR), color=True)
    assert "\x1b[31m" in coloured  # red for errors and the failing verdict
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(report(ERROR))


def test_text_escapes_control_characters_from_the_log() -> None:
    hostile = Finding("description-mismatch", 1, 1, "description 'x\x1b[2J\x07' is odd")
    text = render_text(report(hostile))
    assert "\x1b" not in text and "\x07" not in text
    assert "x\\x1b[2J\\x07" in text


def _junit(r: Report) -> ET.Element:
    xml = render_junit(r)
    assert xml.startswith("<?xml")
    return ET.fromstring(xml)  # raises if not well-formed


def test_junit_one_testcase_per_entity_a_failure_per_error() -> None:
    root = _junit(report(ERROR, WARNING, ERROR2, LOGWIDE))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["log", "SIM 3", "SIM 7", "endpoint 9"]
    assert [f.get("type") for f in cases["SIM 7"].iter("failure")] == [
        "illegal-transition", "release-mismatch"]
    assert [f.get("type") for f in cases["log"].iter("failure")] == ["malformed-event"]
    assert cases["SIM 3"].find("failure") is None
    endpoint = cases["endpoint 9"]
    assert endpoint.find("failure") is None
    out = endpoint.find("system-out")
    assert out is not None and out.text is not None and "lenient-format" in out.text
    assert suite.get("tests") == root.get("tests") == "4"
    assert suite.get("failures") == root.get("failures") == "3"
    events = suite.find("properties/property[@name='events']")
    assert events is not None and events.get("value") == "6"


def test_junit_strict_makes_warnings_failures() -> None:
    suite = _junit(report(WARNING, strict=True)).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    case = next(c for c in suite.iter("testcase") if c.get("name") == "endpoint 9")
    assert [f.get("type") for f in case.iter("failure")] == ["lenient-format"]


def test_junit_stays_well_formed_with_hostile_text() -> None:
    hostile = Finding("description-mismatch", 1, 1, "<x a='\"'>&\x00\x1b\ud800</x>]]>", "SIM 7")
    root = _junit(report(hostile))
    failure = root.find(".//failure")
    assert failure is not None and failure.get("message") == "<x a='\"'>&\\x00\\x1b\\xd800</x>]]>"


@pytest.mark.parametrize(
    ("event", "entity"),
    [
        ({"event_type": {"id": 8}, "sim": {"id": 5}, "endpoint": {"id": 6}}, "SIM 5"),
        ({"event_type": {"id": 42}, "sim": {"id": 5}, "endpoint": {"id": 6}}, "endpoint 6"),
        ({"event_type": {"id": 68}, "endpoint": {"id": 6}}, "endpoint 6"),
        ({"event_type": 69, "id": 77, "detail": {"sims": [{"id": 1}]}}, "migration 77"),
        ({"event_type": {"id": 48}, "detail": {"sim_batch": {"id": 3}}}, "SIM batch 3"),
        ({"event_type": {"id": 48}, "sim": {"id": 5}, "detail": {"sim_batch": {"id": 3}}},
         "SIM 5"),
        ({"event_type": {"id": 10}, "sim": {"id": "5"}}, None),
        ([1, 2], None),
    ],
)
def test_entity_of(event: object, entity: str | None) -> None:
    assert entity_of(event) == entity


def test_with_entities_keeps_what_replay_said() -> None:
    event = {"event_type": {"id": 9}, "sim": {"id": 5}}
    given = Finding("luhn", 1, 1, "x", "SIM 99")
    filled = with_entities([LOGWIDE, given], event)
    assert filled == [Finding(LOGWIDE.rule, None, 6, LOGWIDE.message, "SIM 5", sim=5), given]



def test_filtered_keeps_the_selected_rules_less_the_ignored() -> None:
    r = report(ERROR, WARNING, ERROR2, LOGWIDE)
    assert r.filtered(ignore=["illegal-transition"]).findings == [WARNING, ERROR2, LOGWIDE]
    assert r.filtered(select=["lenient-format"]).findings == [WARNING]
    only = r.filtered(select=["lenient-format", "release-mismatch"], ignore=["release-mismatch"])
    assert only.findings == [WARNING] and only.conformant and not r.conformant
    assert r.findings == [ERROR, WARNING, ERROR2, LOGWIDE]  # a new report; this one unchanged
    with pytest.raises(ValueError, match="unknown rule 'nope'"):
        r.filtered(ignore=["nope"])


def test_text_and_json_name_the_element_of_an_array_input() -> None:
    at = Finding("code-mismatch", 11, 1, "x", "SIM 7", sim=7, endpoint=9, element=4)
    assert "  line 1, element 4, event 11, SIM 7: x" in render_text(report(at))
    (violation,) = json.loads(render(report(at), "json"))["violations"]
    assert (violation["element"], violation["sim"], violation["endpoint"]) == (4, 7, 9)
