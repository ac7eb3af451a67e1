"""Item 7, no bounds: a fleet larger than a command takes is refused at once, with the memory
it would need (one check, ``simulator.platform.check_fleet``); scenario numbers are
range-checked when the file is loaded."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from simulator.platform import FLEET_LIMITS, Settings, check_fleet, generate
from tests.hostile.conftest import cli, simlife


@pytest.mark.parametrize(("args", "use"), [
    (["generate", "--sims", "1000000000"], "generate"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--sims", "1000000000"], "generate"),
    (["serve", "--sims", "100000000", "--port", "0"], "serve"),
])
def test_a_fleet_past_the_maximum_is_refused_at_once(args: list[str], use: str) -> None:
    out = simlife(*args, timeout=60)  # running on would take minutes and gigabytes
    assert out.code == 2
    most = FLEET_LIMITS[use][0]
    line = out.one_line()
    assert line.startswith(f"simlife: error: --sims {int(args[args.index('--sims') + 1]):,}: "
                           f"{use} takes 1 to {most:,} SIMs (about ")
    assert "of memory each" in line and "for this fleet)" in line
    assert out.peak_kb is not None and out.peak_kb < 300 * 1024


def test_the_library_checks_the_same_bounds() -> None:
    with pytest.raises(ValueError, match="generate takes 1 to"):
        generate(sims=FLEET_LIMITS["generate"][0] + 1, seed=1)
    with pytest.raises(ValueError, match="serve takes 1 to"):
        check_fleet(FLEET_LIMITS["serve"][0] + 1, None, 30, "serve")
    check_fleet(FLEET_LIMITS["serve"][0], None, 30, "serve")  # the maximum itself is fine


@pytest.mark.parametrize(("table", "step", "message"), [
    ("", "days = inf", "days: must be a finite non-negative number, not inf"),
    ("", "hours = nan", "hours: must be a finite non-negative number, not nan"),
    ("", "seconds = -5", "seconds: must be a finite non-negative number, not -5"),
    ("", "days = 1e300", "the steps would let more than 36,500 days pass in all"),
    ("factory_test_sms = -5", "days = 1", "setting 'factory_test_sms' must be from 1 to "
                                          "1,000,000, not -5"),
    ("factory_test_bytes = 0", "days = 1", "setting 'factory_test_bytes' must be from 1 to "
                                           "1,125,899,906,842,624, not 0"),
    ("factory_test_days = 99999999", "days = 1", "setting 'factory_test_days' must be from 1 "
                                                 "to 36,500, not 99,999,999"),
])
def test_scenario_numbers_are_range_checked_when_loaded(
    tmp_path: Path, table: str, step: str, message: str
) -> None:
    story = tmp_path / "story.toml"
    settings = f"[settings]\n{table}\n\n" if table else ""
    story.write_text(f'name = "bounds"\nseed = 1\n{settings}[[step]]\nop = "register"\n'
                     f'sims = ["s1"]\n\n[[step]]\nop = "advance_time"\n{step}\n')
    for command in ("run", "list"):
        out = cli("scenario", command, story)
        assert out.code == 2
        line = out.one_line()
        assert line.startswith(f"simlife: error: {story}:") and line.endswith(message), line


def test_the_platform_refuses_settings_out_of_range() -> None:
    with pytest.raises(ValueError, match="factory_test_sms must be an integer from 1"):
        Settings(factory_test_sms=-5)


def test_serve_takes_a_recorded_log_only_up_to_what_it_can_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve --log`` holds every event: past MAX_LOG_EVENTS it stops reading and refuses."""
    import simulator.serve

    log = tmp_path / "big.jsonl"
    log.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in generate(sims=3, seed=1)))
    monkeypatch.setattr(simulator.serve, "MAX_LOG_EVENTS", 5)

    def served(*args: object, **kwargs: object) -> None:
        raise AssertionError("the log was served past the cap")

    monkeypatch.setattr(simulator.serve, "run", served)  # a regression fails, never hangs
    out = cli("serve", "--log", log, "--port", "0")
    assert out.code == 2
    assert out.one_line() == (f"simlife: error: {log}: serve holds every event in memory (about "
                              "5 KB each) and takes at most 5 events; this log holds more")
