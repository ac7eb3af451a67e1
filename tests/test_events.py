"""Seeds parse, canonical events round-trip byte for byte, lenient forms are accepted and named."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, SEVERITY_DESCRIPTIONS, SOURCE_DESCRIPTIONS
from lifecycle.events import (
    EnvelopeError,
    Event,
    canonical_timestamp,
    dumps,
    format_timestamp,
    loads_event,
    normalize,
)


def test_every_seed_parses_into_the_model(seed_lines: list[bytes]) -> None:
    assert len(seed_lines) == 13
    for line in seed_lines:
        event = loads_event(line)
        assert event.id > 0
        raw, odd = normalize(orjson.loads(line))
        assert odd == []
        assert Event.model_validate(raw).event_type.id == event.event_type.id


def test_seeds_in_platform_key_order_round_trip(seed_lines: list[bytes]) -> None:
    """Every seed but the registration (whose `sim` precedes `user`) is already canonical."""
    differing = [
        orjson.loads(line)["id"] for line in seed_lines if loads_event(line).to_json() != line
    ]
    assert differing == [9539556207944]


def _code(table: dict[int, str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(sorted(table.items())).map(
        lambda kv: {"id": kv[0], "description": kv[1]}
    )


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
_digits = st.text("0123456789", min_size=19, max_size=20)
_moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(format_timestamp)

canonical_events = st.fixed_dictionaries(
    {
        "timestamp": _moments,
        "alert": st.booleans(),
        "description": _text,
        "id": st.integers(1, 2**63 - 1),
        "event_type": _code(EVENT_TYPE_DESCRIPTIONS),
        "event_source": _code(SOURCE_DESCRIPTIONS),
        "event_severity": _code(SEVERITY_DESCRIPTIONS),
        "organisation": st.fixed_dictionaries({"id": st.integers(1, 10**9), "name": _text}),
    },
    optional={
        "user": st.fixed_dictionaries(
            {"id": st.integers(1, 10**9), "name": _text, "username": _text}
        ),
        "endpoint": st.fixed_dictionaries(
            {
                "id": st.integers(1, 10**9),
                "imei": st.none() | st.text("0123456789", min_size=15, max_size=16),
                "ip_address": st.ip_addresses(v=4).map(str),
                "name": _text,
                "tags": st.none(),
            }
        ),
        "sim": st.fixed_dictionaries(
            {"iccid": _digits, "id": st.integers(1, 10**9), "production_date": _moments}
        ),
        "detail": st.dictionaries(st.sampled_from(["data", "imei", "x"]), _text, max_size=2),
    },
)


@given(canonical_events)
def test_canonical_events_round_trip_byte_for_byte(event: dict[str, Any]) -> None:
    line = dumps(event)
    assert loads_event(line).to_json() == line
    again, odd = normalize(orjson.loads(line))
    assert odd == []
    assert dumps(again) == line


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2021-10-06 10:42:58", "2021-10-06T10:42:58.000Z"),
        ("2017-10-26T07:28:00.000+0000", "2017-10-26T07:28:00.000Z"),
        ("2017-10-26T07:28:00.000+02:00", "2017-10-26T05:28:00.000Z"),
        ("2021-10-27T08:44:56.147000Z", "2021-10-27T08:44:56.147Z"),
        ("2021-10-27T08:44:56Z", "2021-10-27T08:44:56.000Z"),
    ],
)
def test_lenient_timestamps(value: str, canonical: str) -> None:
    assert canonical_timestamp(value) == (canonical, False)


def _minimal(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "timestamp": "2021-10-27T08:44:56.147Z",
        "id": 1,
        "event_type": {"id": 8, "description": "SIM activation"},
        "event_source": {"id": 2, "description": "API"},
        "event_severity": {"id": 0, "description": "Info"},
        "organisation": {"id": 7},
    }
    event.update(changes)
    return event


def test_lenient_forms_are_normalized_and_named() -> None:
    event, odd = normalize(
        _minimal(
            event_source={"id": 2, "name": "API"},
            event_severity="INFO",
            alert=1,
            user=None,
            detail='{"data": {}}',
            extra="kept",
        )
    )
    assert event["event_source"] == {"id": 2, "description": "API"}
    assert event["event_severity"] == {"id": 0, "description": "Info"}
    assert event["alert"] is True and "user" not in event and event["detail"] == {"data": {}}
    assert event["extra"] == "kept"
    assert len(odd) == 5


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"id": None}, "id"),
        ({"id": "12"}, "id"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"event_type": {"description": "SIM activation"}}, "event_type"),
        ({"event_severity": "LOUD"}, "event_severity"),
        ({"organisation": {"name": "x"}}, "organisation.id"),
    ],
)
def test_garbled_envelope_is_named(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(EnvelopeError, match=fragment):
        normalize(_minimal(**changes))


def test_bad_json_is_a_clear_error() -> None:
    with pytest.raises(EnvelopeError, match="not JSON"):
        loads_event(b'{"id": 1,')
