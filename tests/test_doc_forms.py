"""Every event the platform's own documentation shows validates alone without error (spec §6):
the 13 seed examples, and the other forms its docs and recorded output carry (spec §1, §9:
severities in capitals, detail as a JSON string or not JSON at all outside the lifecycle,
placeholders such as ``<iccid>``), held in ``tests/data/platform-doc-forms.json``.
Each form is noticed (a warning), never an error; near misses stay errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from simulator.replay import validate, validate_path

FORMS = json.loads((Path(__file__).parent / "data" / "platform-doc-forms.json").read_text())
SEEDS = Path(__file__).parent / "data" / "seed-examples.jsonl"


def _rules(report: Any) -> set[str]:
    return {f.rule for f in report.findings}


@pytest.mark.parametrize("number", range(13))
def test_each_seed_example_alone_is_conformant(number: int, seed_lines: list[bytes],
                                              tmp_path: Path) -> None:
    line = seed_lines[number]
    path = tmp_path / "one.jsonl"
    path.write_bytes(line + b"\n")
    for report in (validate_path(path), validate([line])):
        assert report.errors == 0, report.findings
        assert _rules(report) <= {"orphan-migration-half"}


@pytest.mark.parametrize("form", FORMS["events"], ids=[f["form"] for f in FORMS["events"]])
def test_each_documented_form_alone_is_conformant_with_its_warning(
        form: dict[str, Any], tmp_path: Path) -> None:
    lines = tmp_path / "one.jsonl"
    lines.write_bytes(orjson.dumps(form["event"]) + b"\n")
    page = tmp_path / "page.json"  # as an API page saved with json.dump
    page.write_text(json.dumps([form["event"]]))
    for report in (validate_path(lines), validate_path(page),
                   validate([copy.deepcopy(form["event"])])):
        assert report.errors == 0, report.findings
        assert report.conformant
        assert _rules(report) == set(form["warnings"]), report.findings


def test_the_corpus_covers_the_forms_the_spec_names() -> None:
    text = json.dumps(FORMS)
    for form in ('"INFO"', '"WARN"', '"name": "API"', '"alert": 1', "+0000",
                 '"detail": "{', "<iccid>", '"keen"', '"user": null'):
        assert form in text, form


def _seed(number: int) -> dict[str, Any]:
    return orjson.loads(SEEDS.read_bytes().splitlines()[number])


def _only(event: dict[str, Any]) -> set[str]:
    return _rules(validate([event]))


def test_a_description_that_is_more_than_a_letter_case_off_is_still_a_mismatch() -> None:
    event = _seed(0)
    event["event_severity"] = {"id": 0, "description": "Infos"}
    assert _only(event) == {"code-mismatch"}
    event["event_severity"] = {"id": 1, "description": "INFO"}  # WARN's id, INFO's text
    assert _only(event) == {"code-mismatch"}
    event = _seed(9)
    event["event_type"] = {"id": 51, "description": "SIM released"}
    assert _only(event) == {"code-mismatch"}


def test_a_detail_that_is_not_json_on_a_lifecycle_type_is_still_malformed() -> None:
    event = _seed(7)  # a registration: its detail is what replay reads
    event["detail"] = "{sim_batch: ...}"
    assert _only(event) == {"malformed-event"}


def test_an_iccid_that_is_neither_digits_nor_a_placeholder_is_still_malformed() -> None:
    for iccid in ("89883030000011512247x", "<iccid", "iccid", "<>"):
        event = _seed(3)
        event["sim"]["iccid"] = iccid
        assert _only(event) == {"malformed-event"}, iccid
