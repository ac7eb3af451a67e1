"""Replay's fast paths agree with the slow definitions they stand in for.

The compact id -> hash table behaves as a dict's ``setdefault``/``get`` through growth; the
timestamp shape test is never looser than ``CANONICAL_TIMESTAMP``; hashing raw lines instead of
parsed values (``validate_path``) changes no verdict on repeated ids.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any
from unittest.mock import patch

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.codes import SOURCE_DESCRIPTIONS, luhn_digit
from lifecycle.events import CANONICAL_TIMESTAMP
from simulator.io import logs as logio
from simulator.io.errors import InputError
from simulator.io.limits import Limits
from simulator.replay import decode as replay_decode
from simulator.replay import driver as validate_module
from simulator.replay.core import DIGITS_TO_ZERO, TIMESTAMP_SHAPE, Replay
from simulator.replay.driver import validate, validate_path
from simulator.replay.ids import FORGOTTEN, EventIdTable
from simulator.replay.migration import luhn_digit_fast

_EDGES = [-(1 << 63), -(1 << 63) + 1, (1 << 63) - 1, 1 << 63, 1 << 64, -(1 << 70), 0, -1]


@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(min_value=-(1 << 65), max_value=1 << 65),
                      st.integers(min_value=0, max_value=64), st.sampled_from(_EDGES)),
            st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1),
        ),
        max_size=300,
    )
)
def test_table_agrees_with_a_dict(pairs: list[tuple[int, int]]) -> None:
    table, reference = EventIdTable(bits=2), {}
    for key, value in pairs:
        assert table.setdefault(key, value) == reference.get(key)
        reference.setdefault(key, value)
    for key, value in reference.items():
        assert table.get(key) == value
    assert table.get(12345678901) == reference.get(12345678901)
    assert len(table) == len(reference)


@given(st.lists(st.one_of(st.integers(min_value=-(1 << 65), max_value=1 << 65),
                          st.integers(min_value=0, max_value=40), st.sampled_from(_EDGES)),
                max_size=300))
def test_table_with_lines_keeps_each_ids_first_line(keys: list[int]) -> None:
    table, reference = EventIdTable(bits=2), {}
    for line, key in enumerate(keys):
        assert table.setdefault(key, key ^ 5, line) == reference.get(key, (None,))[0]
        reference.setdefault(key, (key ^ 5, line))
    for key, (value, line) in reference.items():
        assert (table.get(key), table.line_of(key)) == (value, line)
    assert table.line_of(12345678901) == reference.get(12345678901, (0, None))[1]
    assert len(table) == len(reference)


def test_ascending_ids_stay_in_the_run_and_the_others_grow_the_table() -> None:
    table = EventIdTable(bits=4)
    ascending = [10**12 + 4096 * i for i in range(5000)]
    for i, key in enumerate(ascending):
        assert table.setdefault(key, i, i) is None
    run = table.nbytes()  # ids in at most 4 bytes, 8-byte hashes, one run of lines: no hash
    assert run <= 12 * len(ascending) + 24  # table yet
    behind = list(range(5000))  # below the run: strided into the hash table, which grows
    for i, key in enumerate(behind):
        assert table.setdefault(key, -i, i) is None
    assert all(table.get(key) == i and table.line_of(key) == i for i, key in enumerate(ascending))
    assert all(table.get(key) == -i for i, key in enumerate(behind))
    assert all(table.setdefault(key, 7) == i for i, key in enumerate(ascending))  # repeats found
    assert len(table) == len(ascending) + len(behind)
    # the hash table is at most half full: 24 bytes a slot, so 48 to 96 bytes an id behind
    assert 48 * len(behind) <= table.nbytes() - run <= 96 * len(behind)


_LINES = st.one_of(st.integers(min_value=-1, max_value=50),
                   st.integers(min_value=0, max_value=1 << 62))


@given(
    st.lists(st.tuples(st.one_of(st.integers(min_value=-(1 << 65), max_value=1 << 65),
                                 st.integers(min_value=0, max_value=64), st.sampled_from(_EDGES)),
                       st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1), _LINES),
             max_size=200),
    st.integers(min_value=1, max_value=8),
)
def test_a_table_that_forgets_old_hashes_keeps_every_id_and_line(
        items: list[tuple[int, int, int]], keep: int) -> None:
    table, reference = EventIdTable(bits=2), {}
    table.forget_after(keep)
    for key, value, line in items:
        found = table.setdefault(key, value, line)
        assert found in ((None,) if key not in reference else (reference[key][0], FORGOTTEN))
        reference.setdefault(key, (value, line))
    ascending = list(reference)[-keep:]  # the last ids kept their hashes, in the run or not
    for key, (value, line) in reference.items():
        assert table.get(key) in (value, FORGOTTEN)
        assert table.line_of(key) == (None if line < 0 else line)
    assert all(table.get(k) == reference[k][0] for k in ascending if table.get(k) != FORGOTTEN)
    assert len(table) == len(reference)


@pytest.mark.parametrize("stride", [1, 64, 1 << 20, 1 << 40])
@pytest.mark.parametrize("order", ["forwards", "backwards", "one line"])
def test_the_run_costs_a_few_bytes_an_id_however_sparse_and_whatever_the_lines(
        stride: int, order: str) -> None:
    table = EventIdTable()
    table.forget_after(1000)
    ids = [-(1 << 62) + stride * i for i in range(20_000)]
    lines = {"forwards": range(5, 20_005), "backwards": range(20_004, 4, -1),
             "one line": [1] * 20_000}[order]
    for key, line in zip(ids, lines, strict=True):
        assert table.setdefault(key, key ^ 5, line) is None
    # 2-byte offsets while ids are dense, 4-byte ones (and few segments) when not, a segment
    # of 16 bytes for each id 2**32 apart; hashes of the last 1,000 to 2,000 only (16 KB); one
    # run of lines.
    per_id = 5 if stride < 1 << 32 else 4 + 16
    assert table.nbytes() <= per_id * len(ids) + 16_100
    for i in range(0, len(ids), 97):
        assert table.line_of(ids[i]) == lines[i]
        if i < len(ids) - 2000:
            assert table.setdefault(ids[i], 0) == FORGOTTEN
    assert all(table.get(key) == key ^ 5 for key in ids[-1000:])


@given(st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z?\Z"),
))
def test_fast_timestamp_shape_is_never_looser_than_the_canonical_pattern(stamp: str) -> None:
    fast = stamp.encode().translate(DIGITS_TO_ZERO) == TIMESTAMP_SHAPE
    if fast:
        assert re.match(CANONICAL_TIMESTAMP, stamp)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", stamp):
        assert fast  # and every ASCII canonical stamp takes the fast path


@given(st.text(alphabet="0123456789", max_size=25) | st.text(max_size=5))
def test_fast_luhn_digit_agrees_with_the_model(digits: str) -> None:
    if digits.isdigit() or not digits:
        assert luhn_digit_fast(digits) == luhn_digit(digits)


# --------------------------------------------------------------------------- raw-byte digests

_STAMPS = ["2025-01-01T00:00:00.000Z", "2025-01-01T00:00:01.000Z", "2025-01-01T00:00:02.000Z"]
_SHARED_IDS = [None, 77, 78]  # None: the seed's own id


def _forms(value: dict[str, Any]) -> list[bytes]:
    """Texts of one JSON value: the platform's bytes, other key orders, spacing, whitespace."""
    platform = orjson.dumps(value)
    return [
        platform,
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS),
        json.dumps(value).encode(),
        orjson.dumps(dict(reversed(list(value.items())))),
        b" " + platform + b" \r",
    ]


@given(
    picks=st.lists(st.tuples(st.integers(0, 12), st.sampled_from(_SHARED_IDS),
                             st.integers(0, len(_STAMPS) - 1), st.integers(0, 4),
                             st.booleans()), min_size=1, max_size=25),
    arrange=st.sampled_from(["ascending", "descending", "as drawn"]),
    block=st.sampled_from([64, 1 << 20]),
    gzipped=st.booleans(),
)
def test_raw_digests_give_the_verdicts_of_parsed_values(
    seed_lines: list[bytes], picks: list[tuple[int, int | None, int, int, bool]], arrange: str,
    block: int, gzipped: bool, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``validate_path`` hashes raw lines; a reference replay hashes parsed values. Same findings,
    whatever the order, the blank lines, the block size (reading earlier lines again), and for
    gzip, which streams once without ``line_at`` and starts over from a copy."""
    records = []
    for seed, ident, at, form, blank_before in picks:
        value = orjson.loads(seed_lines[seed])
        value["timestamp"] = _STAMPS[at]
        if ident is not None:
            value["id"] = ident
        records.append((_STAMPS[at], value, _forms(value)[form], blank_before))
    if arrange != "as drawn":
        records.sort(key=lambda r: r[0], reverse=arrange == "descending")
    text, numbered = [], []  # numbered: (file line, stamp, parsed value)
    for stamp, value, raw, blank_before in records:
        if blank_before:
            text.append(b"")
        text.append(raw)
        numbered.append((len(text), stamp, value))
    path = tmp_path_factory.mktemp("raw") / "log.jsonl"
    data = b"\n".join(text) + b"\n"
    path.write_bytes(gzip.compress(data) if gzipped else data)
    report = validate_path(path, limits=Limits(block=block))
    if report.order == "descending":
        numbered.reverse()
    elif report.order == "sorted":
        numbered.sort(key=lambda r: r[1])  # stable: ties keep file order
    reference = Replay()
    for line, _, value in numbered:
        reference.feed(value, line)
    reference.finish()
    got = [(f.rule, f.event_id, f.line, f.message) for f in report.findings
           if f.rule != "time-order"]
    assert got == [(f.rule, f.event_id, f.line, f.message) for f in reference.findings]


def test_a_redelivery_in_other_bytes_is_a_duplicate_delivery(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    activation, source, target = (orjson.loads(seed_lines[i]) for i in (0, 11, 12))
    lines = [orjson.dumps(activation), orjson.dumps(source), orjson.dumps(target),
             json.dumps(activation, indent=None, sort_keys=True).encode(),
             orjson.dumps(dict(reversed(list(target.items()))))]
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = validate_path(path)
    assert [(f.rule, f.line) for f in report.findings if f.rule.startswith("duplicate")] == [
        ("duplicate-delivery", 4), ("duplicate-delivery", 5)]
    changed = dict(activation, description="Status of SIM changed from 'Issued' to 'Activated'")
    path.write_bytes(orjson.dumps(activation) + b"\n" + orjson.dumps(changed) + b"\n")
    assert [(f.rule, f.line) for f in validate_path(path).findings
            if f.rule.startswith("duplicate")] == [("duplicate-event-id", 2)]


# --------------------------------------------------------------------------- msgspec fast path

_ODD_VALUES: list[Any] = [
    None, "", "x", 0, -1, 1.5, True, [], {}, [1], {"id": 1}, "8", 2**63 - 1, 2**63, 2**64 - 1,
    -(2**63), -(2**63) - 1, "2025-01-01 00:00:00", "2025-01-01T00:00:00.000+00:00",
    "89883031362117725473", {"id": "7"}, {"id": None}, {"iccid": None, "id": 5},
    {"id": 5, "iccid": 89883031362117725473}, {"description": "API"},
    {"id": 2, "description": None}, '{"a": 1}', {"x": 2**70}, {"id": 3, "name": "a user"},
    *({"id": ident, "description": text} for ident, text in SOURCE_DESCRIPTIONS.items()),
]
_PATHS = [
    ("id",), ("timestamp",), ("alert",), ("description",), ("detail",), ("user",), ("imsi",),
    ("sim",), ("sim", "id"), ("sim", "iccid"), ("endpoint",), ("endpoint", "id"),
    ("event_type",), ("event_type", "id"), ("event_type", "description"), ("event_source",),
    ("event_source", "id"), ("event_severity", "description"), ("organisation",),
    ("organisation", "id"), ("detail", "transition"), ("unknown_key",),
]


def _set(value: dict[str, Any], path: tuple[str, ...], new: Any) -> None:
    for key in path[:-1]:
        inner = value.get(key)
        if type(inner) is not dict:
            inner = value[key] = {}
        value = inner
    value[path[-1]] = new


@given(
    picks=st.lists(st.tuples(st.integers(0, 12), st.sampled_from(_PATHS),
                             st.sampled_from(_ODD_VALUES), st.booleans()),
                   min_size=1, max_size=12),
)
def test_the_msgspec_fast_path_gives_the_verdicts_of_parsed_dicts(
    seed_lines: list[bytes], picks: list[tuple[int, tuple[str, ...], Any, bool]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Lines decoded by msgspec (``replay_decode``) and the same lines parsed by orjson and fed
    as dicts: the same findings, whatever odd value sits anywhere in the envelope."""
    lines = []
    for at, (seed, path, new, odd) in enumerate(picks):
        value = orjson.loads(seed_lines[seed])
        value["timestamp"] = f"2025-01-01T00:00:{at:02d}.000Z"
        if odd:
            if path == ("timestamp",) and type(new) is str:  # another form of the same instant
                new = f"2025-01-01 00:00:{at:02d}" if new else f"2025-01-01T00:00:{at:02d}Z"
            _set(value, path, new)
        try:
            lines.append(orjson.dumps(value))
        except TypeError:  # beyond 64 bits: orjson refuses, the standard library writes it
            lines.append(json.dumps(value).encode())
    path = tmp_path_factory.mktemp("fast") / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = validate_path(path)
    reference = Replay()
    for line, raw in enumerate(lines, 1):
        reference.feed(orjson.loads(raw), line)
    reference.finish()
    got = [(f.rule, f.event_id, f.line, f.message) for f in report.findings
           if f.rule != "time-order"]
    assert got == [(f.rule, f.event_id, f.line, f.message) for f in reference.findings]


def test_canonical_platform_lines_take_the_fast_path(seed_lines: list[bytes]) -> None:
    """Every seed line decodes (the fast path is the common one, not a dead branch)."""
    for raw in seed_lines:
        assert type(replay_decode.decode(raw)) is replay_decode.Envelope


def test_an_entity_id_of_minus_one_is_an_id_not_the_unknown_marker(
    seed_lines: list[bytes],
) -> None:
    """Found by the property above: -1 was replay's marker for an unseen assignment."""
    activation = orjson.loads(seed_lines[0])
    activation["endpoint"]["id"] = -1
    activation["sim"]["id"] = -1
    report = validate([orjson.dumps(activation)])
    assert report.conformant, report.findings


# ------------------------------------------------------------------ one pass when ascending

_MANY_STAMPS = [f"2025-01-01T00:00:{s:02d}.000Z" for s in range(8)] + [
    "2025-13-01T00:00:03.000Z", "2025-01-01T00:00:04Z", "2025-01-01 00:00:05",
    "2025-01-01T00:00:03.000Zx", "2025-01-01T00:00:02.00ZZ"]  # odd ones order differently


@given(
    picks=st.lists(st.tuples(st.integers(0, 12), st.integers(0, len(_MANY_STAMPS) - 1),
                             st.sampled_from([None, 77]), st.booleans(), st.booleans()),
                   min_size=0, max_size=30),
    arrange=st.sampled_from(["ascending", "descending", "steps back late", "as drawn"]),
    block=st.sampled_from([64, 300, 1 << 20]),
    gzipped=st.booleans(),
)
def test_replaying_while_checking_the_order_gives_the_verdicts_of_pass_1_first(
    seed_lines: list[bytes], picks: list[tuple[int, int, int | None, bool, bool]],
    arrange: str, block: int, gzipped: bool, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``validate_path`` replays a JSON Lines log in file order while it ascends, and starts
    over after pass 1 when it steps back: the same report as running pass 1 first (a gzip
    file is decompressed again into a copy for pass 1)."""
    records = []
    for seed, at, ident, blank_before, stamp_last in picks:
        value = orjson.loads(seed_lines[seed])
        value["timestamp"] = _MANY_STAMPS[at]
        if ident is not None:
            value["id"] = ident
        if stamp_last:  # not the platform's key order: pass 1 parses the line
            value = {**{k: v for k, v in value.items() if k != "timestamp"},
                     "timestamp": value["timestamp"]}
        records.append((_MANY_STAMPS[at], orjson.dumps(value), blank_before))
    if arrange != "as drawn":
        records.sort(key=lambda r: r[0], reverse=arrange == "descending")
    if arrange == "steps back late" and records:
        records.append((records[0][0], records[0][1], False))  # the earliest again, at the end
    text = []
    for _, raw, blank_before in records:
        if blank_before:
            text.append(b"")
        text.append(raw)
    path = tmp_path_factory.mktemp("order") / "log.jsonl"
    data = b"\n".join(text) + b"\n"
    path.write_bytes(gzip.compress(data) if gzipped else data)
    limits = Limits(block=block)
    report = validate_path(path, limits=limits)
    with patch.object(validate_module, "open_log",
                      lambda source, scan=True, limits=limits: logio.open_log(source,
                                                                             limits=limits)):
        reference = validate_path(path, limits=limits)  # pass 1 first, as before
    assert (report.order, report.events, report.counts_by_type) == (
        reference.order, reference.events, reference.counts_by_type)
    assert [(f.rule, f.event_id, f.line, f.message, f.entity) for f in report.findings] == [
        (f.rule, f.event_id, f.line, f.message, f.entity) for f in reference.findings]


def test_binary_data_in_a_later_block_is_an_input_error_naming_its_line(
    seed_lines: list[bytes], tmp_path: Path
) -> None:
    """Without pass 1 the check comes when the block is read: still an error, not a report."""
    event = orjson.loads(seed_lines[0])
    lines = []
    for i in range(40):
        event["id"], event["timestamp"] = 1000 + i, f"2025-01-01T00:00:{i:02d}.000Z"
        lines.append(orjson.dumps(event))
    lines[30] = lines[30][:50] + b"\x00" + lines[30][50:]
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError) as caught:
        validate_path(path, limits=Limits(block=2048))
    assert str(caught.value) == f"{path}: binary data (a NUL byte) on line 31"
