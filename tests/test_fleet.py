"""Generated fleets: determinism, coverage of every lifecycle type, order, identities, validity."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from lifecycle.codes import ICCID_PREFIX, LIFECYCLE_TYPES, luhn_valid
from lifecycle.events import CANONICAL_TIMESTAMP, Event, dumps
from simulator.cli import cli
from simulator.platform.core import Settings
from simulator.platform.fleet import generate, write_jsonl
from simulator.replay.driver import validate


@pytest.fixture(scope="module")
def fleet() -> list[dict[str, Any]]:
    return list(generate(sims=300, seed=7))


def _bytes(**kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_jsonl(generate(**kwargs), out)
    return out.getvalue()


def test_same_arguments_same_bytes() -> None:
    assert _bytes(sims=120, seed=3) == _bytes(sims=120, seed=3)
    assert _bytes(sims=120, seed=3) != _bytes(sims=120, seed=4)


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    here = hashlib.sha256(_bytes(sims=150, seed=5, network_events=True)).hexdigest()
    code = (
        "import hashlib, io, sys; from simulator.platform.fleet import generate, write_jsonl; "
        "b = io.BytesIO(); write_jsonl(generate(sims=150, seed=5, network_events=True), b); "
        "print(hashlib.sha256(b.getvalue()).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    there = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert there == here


def test_fast_writer_equals_canonical_dumps(fleet: list[dict[str, Any]]) -> None:
    out = io.BytesIO()
    assert write_jsonl(fleet, out, chunk_size=100) == len(fleet)
    assert out.getvalue() == b"".join(dumps(e) + b"\n" for e in fleet)
    with_network = list(generate(sims=60, seed=2, network_events=True))
    out = io.BytesIO()
    write_jsonl(with_network, out)
    assert out.getvalue() == b"".join(dumps(e) + b"\n" for e in with_network)


@pytest.mark.parametrize("kwargs", [
    {"sims": 300, "seed": 7},
    {"sims": 200, "seed": 3, "network_events": True, "workspaces": 4},
    {"sims": 60, "seed": 9, "days": 5, "workspaces": 1},
    {"sims": 90, "seed": 2, "days": 200, "start": datetime(2024, 2, 28, 23, 59, tzinfo=UTC)},
])
def test_writing_an_unread_fleet_gives_the_bytes_of_its_dicts(kwargs: dict[str, Any]) -> None:
    fast = io.BytesIO()
    count = write_jsonl(generate(**kwargs), fast, chunk_size=64)  # lines (not iterated yet)
    canonical = [dumps(e) + b"\n" for e in generate(**kwargs)]  # dicts
    assert count == len(canonical)
    assert fast.getvalue() == b"".join(canonical)


def test_progress_names_the_last_written_timestamp_on_both_paths() -> None:
    stamps = [e["timestamp"] for e in generate(sims=80, seed=5)]
    expected = [(n, stamps[n - 1]) for n in [*range(50, len(stamps), 50), len(stamps)]]
    for events in (generate(sims=80, seed=5), iter(generate(sims=80, seed=5))):  # lines, dicts
        seen: list[tuple[int, str]] = []
        write_jsonl(events, io.BytesIO(), lambda n, t, seen=seen: seen.append((n, t)),
                    chunk_size=50)
        assert seen == expected


def _only_plain_json(value: Any) -> bool:
    if isinstance(value, dict):
        return type(value) is dict and all(_only_plain_json(v) for v in value.values())
    if isinstance(value, list):
        return all(_only_plain_json(v) for v in value)
    return value is None or type(value) in (bool, int, str)


def test_iterated_fleets_give_plain_dicts_and_write_the_rest() -> None:
    events = generate(sims=120, seed=4, network_events=True)
    first = next(events)
    rest = io.BytesIO()
    write_jsonl(events, rest)  # iteration has begun: the remaining dicts
    whole = [dumps(e) + b"\n" for e in generate(sims=120, seed=4, network_events=True)]
    assert dumps(first) + b"\n" + rest.getvalue() == b"".join(whole)
    assert all(_only_plain_json(e) for e in generate(sims=120, seed=4, network_events=True))


def test_all_eleven_lifecycle_types(fleet: list[dict[str, Any]]) -> None:
    types = Counter(e["event_type"]["id"] for e in fleet)
    eleven = {8, 9, 10, 42, 43, 45, 48, 50, 51, 68, 69}
    assert eleven == LIFECYCLE_TYPES
    assert set(types) >= eleven
    auto = [e for e in fleet if e["event_type"]["id"] == 8 and e["event_source"]["id"] == 1]
    reasons = Counter(e["detail"]["transition"]["reason"] for e in auto)
    assert {"SIM reached factory test SMS limit.", "SIM reached factory test volume.",
            "Endpoint status changed.", "Connectivity reset."} <= set(reasons)
    assert all("user" not in e for e in auto)
    registrations = [e["detail"]["sim_batch"]["batch_size"] for e in fleet
                     if e["event_type"]["id"] == 48]
    assert sum(registrations) == 300 and 1 in registrations and max(registrations) > 20
    # person users and application tokens both act
    api = [e for e in fleet if e["event_source"]["id"] == 2]
    assert any("user" in e for e in api) and any("user" not in e for e in api)
    assert all("user" in e for e in fleet if e["event_type"]["id"] in (10, 69))


def test_migration_pairs_share_an_id(fleet: list[dict[str, Any]]) -> None:
    halves: dict[int, list[dict[str, Any]]] = {}
    for e in fleet:
        if e["event_type"]["id"] == 69:
            halves.setdefault(e["id"], []).append(e)
    assert halves
    for pair in halves.values():
        assert [h["detail"]["type"] for h in pair] == ["source", "target"]
        source, target = pair
        assert source["timestamp"] <= target["timestamp"]
        assert source["detail"]["sims"] == target["detail"]["sims"]
        assert target["organisation"]["id"] == target["detail"]["target_workspace"]["id"]
        assert source["organisation"]["id"] != target["organisation"]["id"]
        assert all(s["source_workspace"]["id"] == source["organisation"]["id"]
                   for s in source["detail"]["sims"])
    others = [e["id"] for e in fleet if e["event_type"]["id"] != 69]
    assert len(others) == len(set(others))
    assert not set(others) & set(halves)


def test_ascending_canonical_timestamps_within_window(fleet: list[dict[str, Any]]) -> None:
    import re

    pattern = re.compile(CANONICAL_TIMESTAMP)
    stamps = [e["timestamp"] for e in fleet]
    assert all(pattern.match(s) for s in stamps)
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2025-01-01T00:00:00.000Z" and stamps[-1] < "2025-01-31T00:00:00.000Z"
    later = list(generate(sims=20, seed=1, start=datetime(2024, 6, 1, 12, tzinfo=UTC), days=3))
    assert later[0]["timestamp"] >= "2024-06-01T12:00:00.000Z"
    assert later[-1]["timestamp"] < "2024-06-04T12:00:00.000Z"


def test_identifiers_are_valid(fleet: list[dict[str, Any]]) -> None:
    iccids: dict[int, str] = {}
    for e in fleet[:400]:
        Event.model_validate(e)
    for e in fleet:
        sim = e.get("sim")
        if sim is not None:
            iccid = sim["iccid"]
            assert len(iccid) == 20 and iccid.startswith(ICCID_PREFIX) and luhn_valid(iccid)
            assert iccids.setdefault(sim["id"], iccid) == iccid
        imsi = e.get("imsi")
        if imsi is not None:
            assert len(imsi["imsi"]) == 15 and imsi["imsi"].isdigit()
        endpoint = e.get("endpoint")
        if endpoint is not None and endpoint["imei"] is not None:
            assert len(endpoint["imei"]) in (15, 16) and endpoint["imei"].isdigit()
            if len(endpoint["imei"]) == 15:
                assert luhn_valid(endpoint["imei"])
        if e["event_type"]["id"] == 69:
            for s in e["detail"]["sims"]:
                assert s["iccid_with_luhn"] == s["iccid"] + s["iccid_with_luhn"][-1]
                assert luhn_valid(s["iccid_with_luhn"]) and len(s["iccid"]) == 19
    assert len(set(iccids.values())) == len(iccids)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sims": 300, "seed": 7},
        {"sims": 300, "seed": 7, "network_events": True},
        {"sims": 400, "seed": 11, "workspaces": 4, "days": 60},
        {"sims": 200, "seed": 3, "workspaces": 1},
        {"sims": 200, "seed": 5, "settings": Settings(factory_test_days=5)},
    ],
)
def test_generated_log_validates_with_zero_findings(kwargs: dict[str, Any]) -> None:
    lines = [dumps(e) for e in generate(**kwargs)]
    for complete in (False, True):
        report = validate(lines, complete_history=complete, strict=True)
        assert report.findings == [], report.findings[:5]
        assert report.events == len(lines) and report.conformant


def test_factory_test_period_ends_inside_a_short_period() -> None:
    events = list(generate(sims=200, seed=5, settings=Settings(factory_test_days=5)))
    reasons = {e["detail"]["transition"]["reason"] for e in events
               if e["event_type"]["id"] == 8 and e["event_source"]["id"] == 1}
    assert "Factory test period ended." in reasons


def test_one_workspace_has_no_migrations() -> None:
    events = list(generate(sims=200, seed=3, workspaces=1))
    assert len({e["organisation"]["id"] for e in events}) == 1
    assert not any(e["event_type"]["id"] == 69 for e in events)


@pytest.mark.parametrize("bad", [{"sims": 0}, {"days": 0}, {"workspaces": 0}])
def test_bad_arguments(bad: dict[str, int]) -> None:
    kwargs: dict[str, Any] = {"sims": 10, "seed": 1, **bad}
    with pytest.raises(ValueError):
        generate(**kwargs)


# ----------------------------------------------------------------- command line


def test_cli_stdout_equals_file_and_library(tmp_path: Any) -> None:
    runner = CliRunner()
    printed = runner.invoke(cli, ["generate", "--sims", "300", "--seed", "7"])
    assert printed.exit_code == 0, printed.output
    target = tmp_path / "fleet.jsonl"
    written = runner.invoke(cli, ["generate", "--sims", "300", "--seed", "7", "-o", str(target)])
    assert written.exit_code == 0 and written.output == ""
    assert target.read_bytes() == printed.stdout_bytes == _bytes(sims=300, seed=7)
    first = orjson.loads(target.read_bytes().split(b"\n", 1)[0])
    assert first["event_type"]["id"] == 48


def test_cli_options(tmp_path: Any) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "--sims", "30", "--seed", "2", "--start",
                                 "2024-03-01T06:00:00+02:00", "--days", "2",
                                 "--workspaces", "3", "--network-events"])
    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    assert events[0]["timestamp"] >= "2024-03-01T04:00:00.000Z"
    assert events[-1]["timestamp"] < "2024-03-03T04:00:00.000Z"
    assert {1, 3} <= {e["event_type"]["id"] for e in events}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sims", "0"], "--sims"),
        (["--sims", "many"], "--sims"),
        (["--days", "0"], "--days"),
        (["--workspaces", "0"], "--workspaces"),
        (["--start", "last tuesday"], "--start"),
        (["-o", "/nonexistent-dir/x.jsonl"], "nonexistent-dir"),
    ],
)
def test_cli_bad_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["generate", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_replaces_output_and_leaves_no_temp_file(tmp_path: Any) -> None:
    target = tmp_path / "kept.jsonl"
    target.write_bytes(b"old\n")
    result = CliRunner().invoke(cli, ["generate", "--sims", "5", "-o", str(target)])
    assert result.exit_code == 0
    assert target.read_bytes() != b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.jsonl"]
