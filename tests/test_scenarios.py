"""Scenario files: the shipped stories pass, wrong ones fail saying why, broken ones say where."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from lifecycle.codes import LIFECYCLE_TYPES
from lifecycle.rules import Finding
from simulator.cli import COMMANDS, cli
from simulator.scenarios.loader import OPS, ScenarioError, discover, load, loads
from simulator.scenarios.runner import expected_by_step, render, run
from tests.conftest import ROOT

SHIPPED = discover([ROOT / "scenarios"])
TENTH_SMS = ROOT / "scenarios" / "05-factory-test-tenth-sms.toml"
MIGRATION_REFUSED = ROOT / "scenarios" / "15-migration-refused-without-auto-detach.toml"

HEAD = 'name = "broken"\nseed = 1\n\n[[step]]\nop = "register"\nsims = ["s1"]\n'  # lines 1-6


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def variant(source: Path, old: str, new: str) -> str:
    text = source.read_text()
    assert old in text, f"{old!r} not in {source.name}"
    return text.replace(old, new)


# ----------------------------------------------------------------------------- shipped stories


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_passes(path: Path) -> None:
    outcome = run(load(path))
    assert outcome.passed, render(outcome)
    assert outcome.scenario.expect.event_types is not None, "every story pins its event types"
    assert not [f for f in outcome.findings if f.level == "error"]


def test_shipped_scenarios_cover_every_lifecycle_type_and_are_many() -> None:
    assert len(SHIPPED) >= 12
    emitted = set()
    for path in SHIPPED:
        emitted.update(run(load(path)).event_types())
    assert emitted >= LIFECYCLE_TYPES, sorted(LIFECYCLE_TYPES - emitted)


def test_shipped_names_are_unique() -> None:
    names = [load(p).name for p in SHIPPED]
    assert len(names) == len(set(names))


def test_readme_example_passes_and_every_op_is_documented() -> None:
    readme = (ROOT / "scenarios" / "README.md").read_text()
    example = readme.split("## A complete example", 1)[1].split("```toml\n", 1)[1]
    outcome = run(loads(example.split("```", 1)[0], "README.md"))
    assert outcome.passed, render(outcome)
    for op, spec in OPS.items():
        row = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{op}` |")), None)
        assert row is not None, f"op {op} is not documented"
        for param in spec.params:
            assert f"`{param}`" in row, f"{op}: parameter {param} is not documented"


# ----------------------------------------------------------------------------- failing stories


def test_wrong_event_types_fail_with_a_step_by_step_difference() -> None:
    text = variant(TENTH_SMS, "event_types = [48, 45, 51, 8]", "event_types = [48, 45, 51, 8, 9]")
    outcome = run(loads(text, "tenth.toml"))
    assert not outcome.passed
    message = render(outcome)
    assert message.startswith("FAIL  factory test ends at the tenth SMS")
    assert "event types differ:" in message
    assert "expected: 48, 45, 51, 8, 9" in message
    assert "actual:   48, 45, 51, 8*" in message  # the auto-activation comes from Policy Control
    rows = [ln for ln in message.splitlines() if "<- differs" in ln]
    assert len(rows) == 1 and "send_sms" in rows[0] and "8*" in rows[0] and "8, 9" in rows[0]


def test_wrong_per_step_emits_name_the_step() -> None:
    # Claim the ninth SMS already ends the test: step 4 must emit [8] but emits nothing.
    text = variant(TENTH_SMS, "count = 9\nemits = []", "count = 9\nemits = [8]")
    message = render(run(loads(text, "tenth.toml")))
    assert "per-step emits differ:" in message
    assert "step 4 (send_sms): expected to emit 8, emitted -" in message


def test_wrong_final_status_fails_with_expected_and_actual() -> None:
    text = variant(TENTH_SMS, 'final = { s1 = "Activated"', 'final = { s1 = "Factory Test"')
    message = render(run(loads(text, "tenth.toml")))
    assert "final state differs:" in message
    assert "s1: expected Factory Test, actual Activated" in message
    assert "event types differ" not in message


def test_unexpected_refusal_and_missing_refusal_both_fail() -> None:
    none_expected = variant(MIGRATION_REFUSED,
                            "refused = [{ step = 3, status = 409, error_code = 1502 }]",
                            "refused = []")
    message = render(run(loads(none_expected, "m.toml")))
    assert "refusals differ:" in message
    assert "step 3 (migrate): refused unexpectedly: 409" in message

    extra = variant(MIGRATION_REFUSED, "refused = [{ step = 3, status = 409, error_code = 1502 }]",
                    "refused = [3, 4]")
    message = render(run(loads(extra, "m.toml")))
    assert "step 4 (release): expected a refusal, but it succeeded and emitted 50" in message


def test_refusal_status_and_error_code_are_checked() -> None:
    text = variant(MIGRATION_REFUSED, "status = 409, error_code = 1502",
                   "status = 400, error_code = 1500")
    message = render(run(loads(text, "m.toml")))
    assert "step 3 (migrate): expected HTTP 400, refused with 409" in message
    assert "step 3 (migrate): expected error code 1500, got 1502" in message


def test_wrong_workspace_and_assignment_fail() -> None:
    text = variant(MIGRATION_REFUSED, 'workspaces = { s1 = "w2" }',
                   'workspaces = { s1 = "w1" }\nassigned = { e1 = "s1" }')
    message = render(run(loads(text, "m.toml")))
    assert "s1 workspace: expected w1, actual w2" in message
    assert "e1 assigned: expected s1, actual none" in message


def test_validator_errors_fail_a_story(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.replay as replay  # the runner imports validate from the wing's face

    real = replay.validate

    class Wrapped:
        def __init__(self, events: list[dict[str, object]]) -> None:
            report = real(events, complete_history=True)
            self.findings = [*report.findings, Finding("illegal-transition", 1, 2, "made up")]

    monkeypatch.setattr(replay, "validate", lambda events, **_: Wrapped(events))
    message = render(run(load(TENTH_SMS)))
    assert message.startswith("FAIL")
    assert "the validator rejects the emitted log:" in message
    assert "error illegal-transition (event 2, step 2 set_status): made up" in message


def test_expected_types_are_shared_out_over_the_steps() -> None:
    outcome = run(load(TENTH_SMS))
    assert expected_by_step([48, 45, 51, 8], outcome.steps) == [[48], [45], [51], [], [8], []]
    # An emitted type the story did not expect leaves its step with nothing expected.
    assert expected_by_step([48, 51, 8], outcome.steps) == [[48], [], [51], [], [8], []]
    # An expected type with no counterpart belongs to the step of the event just before it.
    assert expected_by_step([48, 45, 51, 8, 8], outcome.steps)[4:] == [[8, 8], []]


def test_a_missing_type_is_shown_at_the_step_whose_emits_name_it() -> None:
    # Activated instead of Factory Test: no SMS auto-activation; step 5 declared emits = [8].
    text = variant(TENTH_SMS, 'status = "Factory Test"', 'status = "Activated"')
    outcome = run(loads(text, "tenth.toml"))
    assert outcome.event_types() == [48, 8, 51]
    assert expected_by_step([48, 45, 51, 8], outcome.steps) == [[48], [45], [51], [], [8], []]
    rows = [ln for ln in render(outcome).splitlines() if "<- differs" in ln]
    assert len(rows) == 2 and "set_status" in rows[0] and "send_sms" in rows[1]


# ----------------------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("tail", "line", "fragment"),
    [
        ('status = "Issued\n', 7, "TOML syntax error"),
        ('\n[[step]]\nop = "activate"\nsim = "s1"\n', 9, "unknown op 'activate'"),
        ('\n[[step]]\nop = "set_status"\n# the SIM\nsim = "s2"\nstatus = "Activated"\n', 11,
         "'s2' is used before it is defined"),
        ('\n[[step]]\nop = "assign"\nendpoint = "e1"\nsim = "s1"\n', 10,
         "'e1' is used before it is defined"),
        ('status = "activated"\n', 7, "'activated' is not a SIM status"),
        ('\n[[step]]\nop = "create_endpoint"\nendpoint = "e1"\nstatus = "Active"\n', 11,
         "'Active' is not an endpoint status"),
        ('colour = "red"\n', 7, "unknown parameter 'colour'"),
        ('\n[[step]]\nop = "register"\nsims = ["s1"]\n', 10, "'s1' is already defined"),
        ('\n[[step]]\nop = "send_sms"\nsim = "e1"\n', 10, "'e1' names an endpoint"),
        ('\n[[step]]\nop = "use_data"\nsim = "s1"\n', 9, "exactly one of bytes or kb"),
        ('\n[expect]\nevent_types = [48]\nfinal = { s1 = "Active" }\n', 10,
         "'Active' is not a SIM status"),
        ('\n[expect.final]\ns1 = "Issued"\ne9 = "Enabled"\n', 10, "'e9' is not defined"),
        ('\n[expect]\nrefused = [{ step = 2 }]\n', 9, "2 is not a step number (1..1)"),
        ('\n[[expect.refused]]\nstep = 1\n\n[[expect.refused]]\nstatus = 409\nstep = 0\n', 13,
         "0 is not a step number"),
        ('\n[settings]\nactivate_on_create = true\n', 9, "unknown setting"),
        ('\n[settings]\nfactory_test_sms = true\n', 9, "must be an integer"),
    ],
)
def test_broken_file_names_its_line(tmp_path: Path, tail: str, line: int, fragment: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(HEAD + tail)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert caught.value.line == line, str(caught.value)
    assert fragment in caught.value.message
    code, out, err = invoke("scenario", "run", str(path))
    assert code == 2
    assert f"{path}:{line}: " in err
    assert "PASS" not in out and "FAIL" not in out


def test_top_level_problems(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^x\.toml:2: 'seed' must be an integer"):
        loads('name = "n"\nseed = "7"\n[[step]]\nop = "register"\nsims = ["s1"]\n', "x.toml")
    with pytest.raises(ScenarioError, match="at least one"):
        loads('name = "n"\nseed = 7\n', "x.toml")
    with pytest.raises(ScenarioError, match=r"^x\.toml:3: unknown key 'steps'"):
        loads('name = "n"\nseed = 7\nsteps = 1\n', "x.toml")
    with pytest.raises(ScenarioError, match=r"^x\.toml:1: not UTF-8"):
        loads(b'name = "\xff"\n', "x.toml")


# ----------------------------------------------------------------------------- the command line


def test_cli_runs_the_project_folder_by_default(chdir: Path) -> None:
    code, out, _ = invoke("scenario", "run")
    assert code == 0, out
    assert out.count("PASS  ") == len(SHIPPED)
    assert f"{len(SHIPPED)} passed, 0 failed" in out


def test_cli_prefers_the_current_directory_scenarios_folder(chdir: Path) -> None:
    (chdir / "scenarios").mkdir()
    (chdir / "scenarios" / "only.toml").write_text(TENTH_SMS.read_text())
    code, out, _ = invoke("scenario", "list")
    assert code == 0
    assert out.strip().endswith("(scenarios/only.toml)")
    assert len(out.strip().splitlines()) == 1


def test_cli_list_names_every_story() -> None:
    code, out, _ = invoke("scenario", "list", str(ROOT / "scenarios"))
    assert code == 0
    for path in SHIPPED:
        assert f"{load(path).name}  ({path})" in out


def test_cli_exit_1_on_a_failing_story(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(variant(TENTH_SMS, 'final = { s1 = "Activated"', 'final = { s1 = "Issued"'))
    code, out, _ = invoke("scenario", "run", str(TENTH_SMS), str(bad))
    assert code == 1
    assert f"PASS  factory test ends at the tenth SMS (nine are not enough)  ({TENTH_SMS})" in out
    assert f"FAIL  factory test ends at the tenth SMS (nine are not enough)  ({bad})" in out
    assert "s1: expected Issued, actual Activated" in out
    assert "1 passed, 1 failed" in out


def test_cli_checks_every_file_before_running_any(tmp_path: Path) -> None:
    (tmp_path / "a-good.toml").write_text(TENTH_SMS.read_text())
    (tmp_path / "b-bad.toml").write_text(HEAD + 'op2 = "x"\n')
    code, out, err = invoke("scenario", "run", str(tmp_path))
    assert code == 2
    assert out == ""
    assert f"{tmp_path / 'b-bad.toml'}:7: " in err


def test_cli_usage_errors(tmp_path: Path) -> None:
    code, _, err = invoke("scenario", "run", str(tmp_path / "missing.toml"))
    assert code == 2 and "no such file" in err
    code, _, err = invoke("scenario", "run", str(tmp_path))
    assert code == 2 and "no *.toml" in err
    code, _, err = invoke("scenario", "run", str(ROOT / "scenarios"), "--emit",
                          str(tmp_path / "x.jsonl"))
    assert code == 2 and "--emit" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_cli_emit_writes_a_log_that_validates(tmp_path: Path) -> None:
    from simulator.replay.driver import validate_path

    target = tmp_path / "log.jsonl"
    code, out, _ = invoke("scenario", "run", str(MIGRATION_REFUSED), "--emit", str(target))
    assert code == 0, out
    lines = target.read_bytes().splitlines()
    assert [orjson.loads(ln)["event_type"]["id"] for ln in lines] == [48, 8, 51, 50, 9, 69, 69]
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    report = validate_path(str(target), complete_history=True)
    assert report.events == 7
    assert not report.errors
    if "validate" in COMMANDS:  # the command is another module's; the library call is above
        code, out, _ = invoke("validate", str(target), "--complete-history")
        assert code == 0, out


def test_cli_verbose_shows_each_step() -> None:
    code, out, _ = invoke("scenario", "run", "-v", str(TENTH_SMS))
    assert code == 0
    assert any("send_sms" in ln and "8*" in ln for ln in out.splitlines())


@pytest.mark.parametrize("alias", ["target_workspace", "workspace"])
def test_migrate_accepts_the_platform_name_of_its_target(alias: str) -> None:
    source = ROOT / "scenarios" / "14-migration-auto-detach.toml"
    outcome = run(loads(variant(source, 'to = "w2"', f'{alias} = "w2"'), "alias.toml"))
    assert outcome.passed, render(outcome)


def test_migrate_refuses_a_target_given_twice() -> None:
    source = ROOT / "scenarios" / "14-migration-auto-detach.toml"
    with pytest.raises(ScenarioError, match="give 'to' or 'workspace', not both"):
        loads(variant(source, 'to = "w2"', 'to = "w2"\nworkspace = "w2"'), "twice.toml")
