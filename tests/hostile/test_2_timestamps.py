"""Item 2, wrong verdicts: every timestamp is checked as a real UTC instant, on the msgspec fast
path, the dict path and in arrays alike, with a finding that names the field."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.events import LEAP_SECOND_DAYS, EnvelopeError, Event, canonical_timestamp
from simulator.replay import validate, validate_path
from tests.hostile.conftest import cli, unchanged

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
IANA = Path("/usr/share/zoneinfo/leapseconds")

BAD = [
    "2025-13-45T99:99:99.999Z",
    "2025-02-30T10:00:00.000Z",
    "2025-02-29T10:00:00.000Z",  # 2025 is no leap year
    "2025-04-31T10:00:00.000Z",
    "2025-00-10T10:00:00.000Z",
    "2025-01-00T10:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "2025-01-01T24:00:00.000Z",
    "2025-01-01T10:60:00.000Z",
    "2025-01-01T10:00:61.000Z",
    "2025-01-01T10:00:60.000Z",  # a second 60 that is no leap second
    "2015-12-31T23:59:60.000Z",  # the end of a day without one
    "٢٠٢٥-01-01T10:00:00.000Z",  # Arabic-Indic digits
    "２０２５-01-01T10:00:00.000Z",  # fullwidth digits
    "2025-01-01T10:00:00.000Ｚ",
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "9999-12-31T23:00:00-14:00",  # year 10000 in UTC
    "2025-01-01T10:00:00+24:00",
    "2025-01-01T10:00:00+23:60",
    "2025-02-30 10:00:00",
    "2025-01-01 25:00:00",
]
GOOD = [
    ("2016-12-31T23:59:60.500Z", "2016-12-31T23:59:60.500Z"),
    ("2017-01-01T00:59:60+01:00", "2016-12-31T23:59:60.000Z"),
    ("2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z"),
    ("0001-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"),
    ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
    ("2025-01-01T10:00:00+23:59", "2024-12-31T10:01:00.000Z"),
]


def _event(seeds: list[dict[str, Any]], stamp: str) -> dict[str, Any]:
    return dict(seeds[0], timestamp=stamp)


def _write(tmp_path: Path, event: dict[str, Any], form: str) -> Path:
    """One event as each reader meets it: canonical (msgspec), gzip (parsed values only),
    lenient (a null: normalised), an array, and other key orders."""
    if form == "lenient":
        event = dict(event, imsi=None)
    line = json.dumps(event, ensure_ascii=False).encode()
    if form == "key order":
        line = json.dumps(dict(reversed(event.items())), ensure_ascii=False).encode()
    path = tmp_path / f"log.{form.replace(' ', '-')}"
    data = b"[\n" + line + b"\n]\n" if form == "array" else line + b"\n"
    path.write_bytes(gzip.compress(data) if form == "gzip" else data)
    return path


FORMS = ["canonical", "gzip", "lenient", "array", "key order"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("stamp", BAD)
def test_a_timestamp_that_is_no_instant_is_malformed_naming_the_field(
    tmp_path: Path, seeds: list[dict[str, Any]], stamp: str, form: str
) -> None:
    path = _write(tmp_path, _event(seeds, stamp), form)
    with unchanged(path):
        out = cli("validate", path, "--format", "json", "--strict")
    assert out.code == 1, out.stderr
    data = json.loads(out.stdout)
    found = [(v["rule"], v["message"]) for v in data["violations"]]
    assert found == [("malformed-event", found[0][1])], found  # and no time-order warning
    assert found[0][1].startswith(f"timestamp {stamp!r} is not "), found
    assert data["conformant"] is False and data["errors"] == 1


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("stamp", "canonical"), GOOD)
def test_real_instants_are_accepted_leap_seconds_where_utc_had_one(
    tmp_path: Path, seeds: list[dict[str, Any]], stamp: str, canonical: str, form: str
) -> None:
    path = _write(tmp_path, _event(seeds, stamp), form)
    report = validate_path(path)
    assert report.errors == 0, report.findings
    assert canonical_timestamp(stamp)[0] == canonical


def test_the_message_says_what_is_wrong() -> None:
    for stamp, what in [
        ("2025-13-45T99:99:99.999Z", "month 13 (expected 01 to 12)"),
        ("2025-02-30T10:00:00.000Z", "day 30 (expected 01 to 28 in 2025-02)"),
        ("2025-01-01T10:00:61.000Z", "second 61 (expected 00 to 59, or 60 for a leap second)"),
        ("0001-01-01T00:00:00+14:00", "outside the years 0001 to 9999 in UTC"),
        ("2025-01-01T10:00:00+24:00", "offset +24:00 (expected -23:59 to +23:59)"),
    ]:
        with pytest.raises(EnvelopeError) as caught:
            canonical_timestamp(stamp)
        assert str(caught.value) == f"timestamp {stamp!r} is not a real instant: {what}"


def test_the_public_model_refuses_them_too(seeds: list[dict[str, Any]]) -> None:
    Event.model_validate(_event(seeds, "2016-12-31T23:59:60.000Z"))
    for stamp in ("2025-02-30T10:00:00.000Z", "٢٠٢٥-01-01T10:00:00.000Z"):
        with pytest.raises(ValueError, match="timestamp"):
            Event.model_validate(_event(seeds, stamp))


@pytest.mark.skipif(not IANA.exists(), reason="no IANA leap second table on this machine")
def test_the_leap_seconds_are_the_ones_iana_lists() -> None:
    days = set()
    for row in IANA.read_text().splitlines():
        if row.startswith("Leap"):
            _, year, month, day, *_ = row.split()
            days.add(f"{year}-{MONTHS[month]:02d}-{int(day):02d}")
    assert days == LEAP_SECOND_DAYS


def _is_instant(stamp: str) -> bool:
    """The reference: Python's calendar, and IANA's (or our) leap seconds."""
    try:
        datetime(int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                 int(stamp[14:16]), min(int(stamp[17:19]), 59), tzinfo=UTC)
    except ValueError:
        return False
    second = int(stamp[17:19])
    return second < 60 or (second == 60 and stamp[11:16] == "23:59"
                           and stamp[:10] in LEAP_SECOND_DAYS)


_digits = st.text("0123456789", min_size=2, max_size=2)
_stamps = st.builds(
    lambda y, mo, d, h, mi, s: f"{y}-{mo}-{d}T{h}:{mi}:{s}.123Z",
    st.sampled_from(["2016", "2024", "2025", "0001", "9999", "0000", "1900"]),
    st.one_of(_digits, st.sampled_from(["02", "06", "12"])),
    st.one_of(_digits, st.sampled_from(["28", "29", "30", "31"])),
    st.one_of(_digits, st.just("23")), st.one_of(_digits, st.just("59")),
    st.one_of(_digits, st.sampled_from(["59", "60"])),
)


@given(stamps=st.lists(_stamps, min_size=1, max_size=8))
def test_the_fast_and_the_dict_path_judge_every_stamp_as_the_calendar_does(
    tmp_path_factory: pytest.TempPathFactory, seeds: list[dict[str, Any]], stamps: list[str]
) -> None:
    events = [dict(seeds[0], id=100 + i, timestamp=s) for i, s in enumerate(sorted(stamps))]
    path = tmp_path_factory.mktemp("stamps") / "log.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    fast = validate_path(path)  # canonical lines: decoded by msgspec
    slow = validate(events)  # parsed dicts
    malformed = [f.line for f in fast.findings if f.rule == "malformed-event"]
    assert malformed == [i for i, e in enumerate(events, 1) if not _is_instant(e["timestamp"])]
    assert [(f.rule, f.line, f.message) for f in fast.findings if f.rule != "time-order"] == [
        (f.rule, f.line, f.message) for f in slow.findings]
