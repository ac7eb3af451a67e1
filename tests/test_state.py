"""``simlife state`` and ``final_state``: what a log lets replay know of every SIM and device;
``simlife generate --truth`` and the truth beside generated logs (fixture, strategies)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from lifecycle.state import EndpointState, FleetState, SimState, StateError
from simulator.cli import cli
from simulator.platform import FleetLog, generate
from simulator.replay import final_state, state_path, validate, validate_path

SEEDS = Path(__file__).parent / "data" / "seed-examples.jsonl"


def _seeds() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in SEEDS.read_bytes().splitlines()]


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [*map(str, args)])


def test_a_status_where_the_log_decides_it_the_possible_ones_where_not() -> None:
    act, _, susp, dele, en, dis, ft, reg, *_ = _seeds()
    state = final_state([act, susp, dele, en, dis, ft, reg])
    by_id = {s.id: s for s in state.sims}
    assert by_id[act["sim"]["id"]].status == "Activated"  # 'Suspended' -> 'Activated'
    assert by_id[dele["sim"]["id"]].status == "Deleted"
    assert by_id[reg["sim"]["id"]].status == "Issued"
    assert by_id[reg["sim"]["id"]].endpoint is None and by_id[reg["sim"]["id"]].endpoint_known
    enabled = by_id[en["sim"]["id"]]  # an endpoint status change says nothing of the SIM's
    assert enabled.status is None
    assert enabled.possible == ("Issued", "Activated", "Suspended", "Factory Test")
    assert enabled.endpoint == en["endpoint"]["id"] and enabled.workspace == 6461
    assert enabled.iccid == en["sim"]["iccid"]
    device = state.endpoint(en["endpoint"]["id"])
    assert device is not None and device.status == "Enabled" and device.sim == en["sim"]["id"]


def test_a_released_device_that_may_be_disabled_may_be_deleted_in_silence() -> None:
    """Deleting a device: 9, 43, 50, then nothing (spec §4)."""
    events = list(generate(sims=40, seed=2))
    state = final_state(events)
    undecided = [e for e in state.endpoints if e.status is None]
    assert any(e.possible == ("Disabled", "Deleted") and e.sim is None for e in undecided)
    assert all("Deleted" not in e.possible for e in state.endpoints if e.sim is not None)
    assert all("Deleted" not in e.possible for e in state.endpoints
               if e.possible == ("Enabled",))


def test_a_holder_the_log_does_not_know_is_null_and_unknown() -> None:
    suspension = _seeds()[2]
    del suspension["endpoint"]  # a SIM first seen without a device: who holds it is unknown
    (sim,) = final_state([suspension]).sims
    assert (sim.endpoint, sim.endpoint_known, sim.status) == (None, False, "Suspended")
    assert sim.to_dict()["endpoint_known"] is False
    released = _seeds()[8]  # 50 names both: the SIM is then held by none, and that is known
    (sim,) = final_state([released]).sims
    assert (sim.endpoint, sim.endpoint_known) == (None, True)
    (device,) = final_state([released]).endpoints
    assert (device.sim, device.sim_known) == (None, True)
    assert device.possible == ("Enabled", "Disabled", "Deleted")
    assert "SIM 3423335" not in FleetState.of([], [device]).to_text()


def test_at_stops_after_a_moment(tmp_path: Path) -> None:
    events = list(generate(sims=20, seed=5))
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    middle = events[len(events) // 2]["timestamp"]
    early = [e for e in events if e["timestamp"] <= middle]
    assert state_path(path, at=middle) == final_state(early)
    assert state_path(path, at=middle) != state_path(path)
    assert state_path(path, at="2000-01-01T00:00:00.000Z") == FleetState()


def test_the_report_carries_the_state(tmp_path: Path) -> None:
    events = list(generate(sims=20, seed=5))
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    expected = final_state(events)
    assert validate(events).state == expected
    assert validate_path(path).state == expected == state_path(path)
    descending = tmp_path / "page.json"
    descending.write_text(json.dumps(events[::-1]))
    assert validate_path(descending).state == expected


def test_json_round_trips_and_has_the_documented_shape() -> None:
    state = final_state(_seeds())
    document = json.loads(state.to_json())
    assert set(document) == {"sims", "endpoints"}
    assert set(document["sims"][0]) == {"id", "iccid", "status", "possible", "workspace",
                                        "endpoint", "endpoint_known"}
    assert set(document["endpoints"][0]) == {"id", "status", "possible", "sim", "sim_known"}
    assert [s["id"] for s in document["sims"]] == sorted(s["id"] for s in document["sims"])
    assert FleetState.from_dict(document) == state
    for bad in ([], {"sims": [{"id": 1, "possible": ["Sleeping"]}]}, {"sims": [{"iccid": 1}]},
                {"endpoints": "none"}):
        with pytest.raises(StateError):
            FleetState.from_dict(bad)


def test_cli_formats_and_errors(tmp_path: Path) -> None:
    text = run("state", SEEDS)
    assert text.exit_code == 0
    assert text.output.startswith("12 SIMs\n  SIM ")
    assert "  9224655   89883030000011512247  Deleted" in text.output
    data = run("state", SEEDS, "--format", "json")
    assert FleetState.from_dict(json.loads(data.stdout)) == state_path(SEEDS)
    rows = list(csv.DictReader(io.StringIO(run("state", SEEDS, "--format", "csv").stdout)))
    assert rows[0].keys() == {"kind", "id", "iccid", "status", "possible", "workspace",
                              "holder"}
    assert sum(r["kind"] == "sim" for r in rows) == 12 and sum(
        r["kind"] == "endpoint" for r in rows) == 9
    out = tmp_path / "state.json"
    assert run("state", SEEDS, "--format", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text()) == json.loads(data.stdout)
    for args, message in ((["state", tmp_path / "missing.jsonl"], "no such file"),
                          (["state", SEEDS, "--at", "noon"], "--at 'noon'")):
        result = run(*args)
        assert result.exit_code == 2 and message in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_cli_notes_a_log_that_breaks_the_lifecycle(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    deletion = SEEDS.read_bytes().splitlines()[3]
    path.write_bytes(deletion + b"\n" + deletion.replace(b"2357494430400553", b"7") + b"\n")
    result = CliRunner().invoke(cli, ["state", str(path)])
    assert result.exit_code == 0
    assert "breaks the lifecycle 1 time(s)" in result.stderr


def test_generate_truth_is_the_platforms_final_state(tmp_path: Path) -> None:
    log, truth = tmp_path / "fleet.jsonl", tmp_path / "truth.json"
    result = run("generate", "--sims", "30", "--seed", "4", "-o", log, "--truth", truth)
    assert result.exit_code == 0, result.output
    events = generate(sims=30, seed=4)
    assert log.read_bytes() == b"".join(orjson.dumps(e) + b"\n" for e in events)
    expected = events.truth()
    assert FleetState.from_dict(json.loads(truth.read_text())) == expected
    assert len(expected.sims) == 30 and all(s.status is not None for s in expected.sims)
    assert any(e.status == "Deleted" for e in expected.endpoints)
    for args in (["--truth", "-"], ["-o", str(log), "--truth", str(log)]):
        assert run("generate", "--sims", "3", *args).exit_code == 2


def test_the_truth_is_known_only_once_the_events_are_read() -> None:
    events = generate(sims=5, seed=1)
    next(events)
    with pytest.raises(RuntimeError, match="once every event has been read"):
        events.truth()
    list(events)
    assert len(events.truth().sims) == 5


def test_fleet_log_is_a_list_with_its_truth() -> None:
    truth = FleetState.of([SimState(1, None, ("Issued",), 7, None)],
                          [EndpointState(2, ("Enabled",), None)])
    log = FleetLog([{"id": 1}], truth)
    assert log == [{"id": 1}] and isinstance(log, list) and log.truth is truth
    assert log.truth.sim(1) is not None and log.truth.sim(3) is None


@pytest.mark.simlife(sims=15, seed=3)
def test_the_fixture_gives_the_truth(simlife_log: FleetLog) -> None:
    events = generate(sims=15, seed=3)
    assert simlife_log == [orjson.loads(orjson.dumps(e)) for e in events]
    assert simlife_log.truth == events.truth()
