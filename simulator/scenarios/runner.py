"""Run a loaded scenario on the simulated platform and say, step by step, what differed.

The story is checked twice: against its own expectations (event types, per-step ``emits``, final
statuses, workspaces, assignments, refusals) and by the validator, which must find no error in
the log the steps emitted. So a story cannot pass on a log the validator rejects, and a platform
change that breaks the validator's view of the lifecycle shows up here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from lifecycle.codes import ENDPOINT_STATUS_LABELS, SIM_STATUS_LABELS, EndpointStatus, Source
from lifecycle.events import dumps
from lifecycle.rules import Finding
from simulator.platform import Platform, Refused, Settings
from simulator.scenarios.loader import DEFAULT_WORKSPACE, NONE, Scenario, Step


@dataclass
class StepRun:
    """What one step did: the events it emitted (by index into the log), or its refusal."""

    step: Step
    first: int  # index of its first event in Outcome.events
    types: tuple[int, ...] = ()
    sources: tuple[int, ...] = ()
    refusal: Refused | None = None
    problem: str | None = None  # the step could not run (a handle never bound, a crash)

    def emitted(self) -> str:
        if self.problem is not None:
            return "not run"
        if self.refusal is not None:
            code = f"/{self.refusal.error_code}" if self.refusal.error_code is not None else ""
            return f"refused {self.refusal.http_status}{code}"
        return _types(self.types, self.sources)


@dataclass
class Outcome:
    scenario: Scenario
    events: list[dict[str, Any]]
    steps: list[StepRun]
    differences: list[str] = field(default_factory=list)  # one block of text per failed check
    findings: list[Finding] = field(default_factory=list)  # the validator's, errors and warnings

    @property
    def passed(self) -> bool:
        return not self.differences

    def event_types(self) -> list[int]:
        return [t for run in self.steps for t in run.types]


class _Bindings:
    """Handles to platform ids; workspaces are created on first use."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.sims: dict[str, int] = {}
        self.endpoints: dict[str, int] = {}
        self.workspaces: dict[str, int] = {}

    def workspace(self, handle: str) -> int:
        if handle not in self.workspaces:
            self.workspaces[handle] = self.platform.add_workspace()
        return self.workspaces[handle]

    def sim(self, handle: str) -> int:
        if handle not in self.sims:
            raise _Unbound(handle)
        return self.sims[handle]

    def endpoint(self, handle: str) -> int:
        if handle not in self.endpoints:
            raise _Unbound(handle)
        return self.endpoints[handle]

    @staticmethod
    def name_of(table: Mapping[str, int], ident: int | None, what: str) -> str:
        if ident is None:
            return NONE
        return next((h for h, i in table.items() if i == ident), f"{what} {ident}")


class _Unbound(Exception):
    """A handle whose defining step was refused: the step that uses it cannot run."""


def _perform(platform: Platform, bind: _Bindings, step: Step) -> None:
    a = step.args
    op = step.op
    if op == "register":
        ids = platform.register(len(a["sims"]), workspace=bind.workspace(a["workspace"]),
                                status=a["status"])
        bind.sims.update(zip(a["sims"], ids, strict=True))
    elif op == "set_status":
        platform.set_status(bind.sim(a["sim"]), a["status"])
    elif op == "delete_sim":
        platform.delete_sim(bind.sim(a["sim"]))
    elif op == "create_endpoint":
        sim = None if a["sim"] is None else bind.sim(a["sim"])
        if a["workspace"] is not None:
            workspace = bind.workspace(a["workspace"])
        elif sim is not None and sim in platform.sims:
            workspace = platform.sims[sim].workspace  # the SIM's own, wherever it moved
        else:
            workspace = bind.workspace(DEFAULT_WORKSPACE)
        bind.endpoints[a["endpoint"]] = platform.create_endpoint(
            workspace=workspace, sim=sim, status=a["status"], name=a["name"])
    elif op == "set_endpoint_status":
        platform.set_endpoint_status(bind.endpoint(a["endpoint"]), a["status"])
    elif op == "assign":
        platform.assign(bind.endpoint(a["endpoint"]), bind.sim(a["sim"]))
    elif op == "release":
        platform.release(bind.endpoint(a["endpoint"]))
    elif op == "delete_endpoint":
        platform.delete_endpoint(bind.endpoint(a["endpoint"]))
    elif op == "use_data":
        platform.use_data(bind.sim(a["sim"]), a["bytes"])
    elif op == "send_sms":
        platform.send_sms(bind.sim(a["sim"]), a["count"])
    elif op == "reset_connectivity":
        platform.reset_connectivity(bind.endpoint(a["endpoint"]))
    elif op == "migrate":
        platform.migrate([bind.sim(s) for s in a["sims"]],
                         target_workspace=bind.workspace(a["to"]),
                         auto_detach_devices=a["auto_detach_devices"])
    elif op == "advance_time":
        platform.advance_time(a["seconds"])
    else:  # the loader admits only the ops above
        raise AssertionError(f"unhandled op {op!r}")


def run(scenario: Scenario) -> Outcome:
    """Run every step (a refused one is recorded and the story goes on), then check it all."""
    events: list[dict[str, Any]] = []
    platform = Platform(seed=scenario.seed, settings=Settings(**scenario.settings),
                        sink=events.append)
    bind = _Bindings(platform)
    outcome = Outcome(scenario=scenario, events=events, steps=[])
    crashed = False
    for step in scenario.steps:
        record = StepRun(step=step, first=len(events))
        if crashed:
            record.problem = "not run: an earlier step crashed"
        else:
            try:
                _perform(platform, bind, step)
            except Refused as exc:
                record.refusal = exc
            except _Unbound as exc:
                record.problem = f"{exc.args[0]} was never created (its step was refused)"
            except Exception as exc:  # a platform bug must not hide the rest of the report
                record.problem = f"the platform raised {type(exc).__name__}: {exc}"
                crashed = True
        new = events[record.first:]
        record.types = tuple(int(e["event_type"]["id"]) for e in new)
        record.sources = tuple(int(e["event_source"]["id"]) for e in new)
        outcome.steps.append(record)
    _check(outcome, platform, bind)
    return outcome


# ----------------------------------------------------------------------------- checking


def _check(outcome: Outcome, platform: Platform, bind: _Bindings) -> None:
    expect = outcome.scenario.expect
    diff = outcome.differences
    problems = [f"step {r.step.number} ({r.step.op}): {r.problem}"
                for r in outcome.steps if r.problem]
    if problems:
        diff.append("steps that could not run:\n" + _indent(problems))
    actual = outcome.event_types()
    if expect.event_types is not None and list(expect.event_types) != actual:
        diff.append(_types_table(outcome, list(expect.event_types)))
    emits = [f"step {r.step.number} ({r.step.op}): expected to emit "
             f"{_types(r.step.emits)}, emitted {r.emitted()}"
             for r in outcome.steps
             if r.step.emits is not None and r.types != r.step.emits]
    if emits:
        diff.append("per-step emits differ:\n" + _indent(emits))
    _check_final(outcome, platform, bind)
    _check_refusals(outcome)
    _check_validator(outcome)


def _check_final(outcome: Outcome, platform: Platform, bind: _Bindings) -> None:
    expect = outcome.scenario.expect
    lines: list[str] = []
    for handle, want in (expect.final or {}).items():
        got = _status(platform, bind, handle)
        if got != want:
            lines.append(f"{handle}: expected {want}, actual {got}")
    for handle, want in (expect.workspaces or {}).items():
        record = platform.sims.get(bind.sims[handle]) if handle in bind.sims else None
        got = ("(never created)" if record is None
               else bind.name_of(bind.workspaces, record.workspace, "workspace"))
        if got != want:
            lines.append(f"{handle} workspace: expected {want}, actual {got}")
    for handle, want in (expect.assigned or {}).items():
        got = _partner(platform, bind, handle)
        if got != want:
            lines.append(f"{handle} assigned: expected {want}, actual {got}")
    if lines:
        outcome.differences.append("final state differs:\n" + _indent(lines))


def _status(platform: Platform, bind: _Bindings, handle: str) -> str:
    if handle[0] == "s":
        if handle not in bind.sims:
            return "(never created)"
        sim = platform.sims.get(bind.sims[handle])
        return SIM_STATUS_LABELS[sim.status] if sim is not None else "(unknown to the platform)"
    if handle not in bind.endpoints:
        return "(never created)"
    endpoint = platform.endpoints.get(bind.endpoints[handle])
    if endpoint is None:  # the platform forgets a deleted endpoint
        return ENDPOINT_STATUS_LABELS[EndpointStatus.DELETED]
    return ENDPOINT_STATUS_LABELS[endpoint.status]


def _partner(platform: Platform, bind: _Bindings, handle: str) -> str:
    if handle[0] == "s":
        if handle not in bind.sims:
            return "(never created)"
        sim = platform.sims.get(bind.sims[handle])
        return bind.name_of(bind.endpoints, sim.endpoint if sim else None, "endpoint")
    if handle not in bind.endpoints:
        return "(never created)"
    endpoint = platform.endpoints.get(bind.endpoints[handle])
    return bind.name_of(bind.sims, endpoint.sim if endpoint else None, "SIM")


def _check_refusals(outcome: Outcome) -> None:
    expected = {r.step: r for r in outcome.scenario.expect.refused}
    lines: list[str] = []
    for run in outcome.steps:
        want, got = expected.get(run.step.number), run.refusal
        where = f"step {run.step.number} ({run.step.op})"
        if want is None and got is not None:
            lines.append(f"{where}: refused unexpectedly: {got.http_status} {got.message}")
        elif want is not None and got is None and run.problem is None:
            lines.append(f"{where}: expected a refusal{_pinned(want.status, want.error_code)}, "
                         f"but it succeeded and emitted {_types(run.types)}")
        elif want is not None and got is not None:
            if want.status is not None and want.status != got.http_status:
                lines.append(f"{where}: expected HTTP {want.status}, refused with "
                             f"{got.http_status} ({got.message})")
            if want.error_code is not None and want.error_code != got.error_code:
                lines.append(f"{where}: expected error code {want.error_code}, "
                             f"got {got.error_code} ({got.message})")
    if lines:
        outcome.differences.append("refusals differ:\n" + _indent(lines))


def _check_validator(outcome: Outcome) -> None:
    from simulator.replay import validate

    # The bytes that --emit writes, not the dicts: validation may normalise dicts in place, and
    # the platform shares nested objects between its events.
    report = validate((dumps(e) for e in outcome.events), complete_history=True)
    outcome.findings = list(report.findings)
    errors = [f for f in outcome.findings if f.level == "error"]
    if errors:
        outcome.differences.append(
            "the validator rejects the emitted log:\n"
            + _indent([_finding(outcome, f) for f in errors]))


def _finding(outcome: Outcome, finding: Finding) -> str:
    where = ""
    if finding.line is not None:
        index = finding.line - 1
        run = next((r for r in outcome.steps
                    if r.first <= index < r.first + len(r.types)), None)
        if run is not None:
            where = f" (event {finding.line}, step {run.step.number} {run.step.op})"
        else:
            where = f" (event {finding.line})"
    return f"{finding.level} {finding.rule}{where}: {finding.message}"


# ----------------------------------------------------------------------------- rendering


def _types(types: Sequence[int] | None, sources: Sequence[int] = ()) -> str:
    """``48, 8*, 51``: a star marks an event from Policy Control (an auto-activation)."""
    if not types:
        return "-"
    marks = [("*" if i < len(sources) and sources[i] == Source.POLICY_CONTROL else "")
             for i in range(len(types))]
    return ", ".join(f"{t}{m}" for t, m in zip(types, marks, strict=True))


def _pinned(status: int | None, code: int | None) -> str:
    if status is None:
        return ""
    return f" ({status}" + (f"/{code}" if code is not None else "") + ")"


def _indent(lines: Sequence[str], prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in lines)


def expected_by_step(expected: Sequence[int], runs: Sequence[StepRun]) -> list[list[int]]:
    """Share the expected sequence out over the steps, by aligning it with what they emitted.

    Expected types that match (or replace) an emitted one belong to that event's step. One with
    no counterpart could belong to any step between the emitted events around it: the first of
    those whose own ``emits`` names it, else the step of the event just before it.
    """
    owner_of_event = [i for i, run in enumerate(runs) for _ in run.types]
    actual = [t for run in runs for t in run.types]
    shares: list[list[int]] = [[] for _ in runs]
    if not runs:
        return shares

    def place(value: int, after: int) -> int:
        """The step of a missing ``value`` that would sit after emitted event ``after``."""
        lo = owner_of_event[after] if after >= 0 else 0
        hi = owner_of_event[after + 1] if after + 1 < len(actual) else len(runs) - 1
        for i in range(lo, hi + 1):
            emits = runs[i].step.emits
            if emits is not None and value in emits:
                return i
        return lo

    matcher = SequenceMatcher(None, list(expected), actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k, value in enumerate(expected[i1:i2]):
            if tag in ("equal", "replace") and j1 + k < j2:
                shares[owner_of_event[j1 + k]].append(value)
            else:
                shares[place(value, j2 - 1 if tag == "replace" else j1 - 1)].append(value)
    return shares


def step_table(outcome: Outcome, expected: Sequence[int] | None = None) -> list[str]:
    """One row per step: what it emitted and, when known, what the story expected of it."""
    shares = expected_by_step(expected, outcome.steps) if expected is not None else None
    width = max(len(r.step.op) for r in outcome.steps)
    head = f"{'step':>4}  {'op':<{width}}  {'emitted':<24}"
    rows = [head + ("  expected" if shares is not None else "")]
    for i, run in enumerate(outcome.steps):
        row = f"{run.step.number:>4}  {run.step.op:<{width}}  {run.emitted():<24}"
        if shares is not None:
            want = shares[i]
            mark = "" if list(run.types) == want else "   <- differs"
            row += f"  {_types(want)}{mark}"
        rows.append(row.rstrip())
    return rows


def _types_table(outcome: Outcome, expected: list[int]) -> str:
    actual = outcome.event_types()
    return (
        "event types differ:\n"
        f"  expected: {_types(expected)}\n"
        f"  actual:   {_types(actual, [s for r in outcome.steps for s in r.sources])}\n"
        "  step by step (* = from Policy Control):\n"
        + _indent(step_table(outcome, expected), "    ")
    )


def render(outcome: Outcome, *, verbose: bool = False) -> str:
    """``PASS name (file)``; on failure (or with ``verbose``) what happened and what differed."""
    scenario = outcome.scenario
    lines = [f"{'PASS' if outcome.passed else 'FAIL'}  {scenario.name}  ({scenario.path})"]
    if verbose and outcome.passed:
        lines.append("    step by step (* = from Policy Control):")
        lines.append(_indent(step_table(outcome, scenario.expect.event_types), "      "))
    for block in outcome.differences:
        lines.append(_indent(block.splitlines(), "    "))
    warnings = [f for f in outcome.findings if f.level != "error"]
    if warnings and (verbose or not outcome.passed):
        lines.append("    validator warnings:\n"
                     + _indent([_finding(outcome, f) for f in warnings], "      "))
    return "\n".join(lines)
