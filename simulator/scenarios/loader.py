"""Scenario files (spec §8): load a TOML story and check it strictly before anything runs.

A story is written by hand, so a typo must stop it with ``file:line: message`` rather than run
half of it: every op, parameter, handle, status label and expectation is checked here, and the
runner (``simulator.scenarios.runner``) receives only well-formed steps with every default filled
in. TOML keeps no positions, so semantic errors are located by scanning the source text for the
step's ``[[step]]`` header and the offending key (``_Lines``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from lifecycle.codes import ENDPOINT_STATUS_LABELS, SIM_STATUS_LABELS, EndpointStatus, SimStatus
from simulator.io import InputError, display_name, note_input

KB = 1024
DEFAULT_WORKSPACE = "w1"
NONE = "none"  # ``assigned`` value: holds nothing / held by nothing

SIM_STATUSES: dict[str, SimStatus] = {label: s for s, label in SIM_STATUS_LABELS.items()}
ENDPOINT_STATUSES: dict[str, EndpointStatus] = {
    label: s for s, label in ENDPOINT_STATUS_LABELS.items()
}

_HANDLE = re.compile(r"^[sew][A-Za-z0-9_]+$")
_KIND_NAMES = {"s": "SIM", "e": "endpoint", "w": "workspace"}


class ScenarioError(InputError):
    """A scenario file that cannot run: not TOML, or a step or expectation that makes no sense."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Step:
    """One operation with every parameter resolved (handles stay names; the runner binds ids)."""

    number: int  # 1-based, as ``refused`` counts
    line: int  # the line of its ``op = ...`` (or its header)
    op: str
    args: Mapping[str, Any]
    emits: tuple[int, ...] | None  # the step's own exact expectation, when given


@dataclass(frozen=True)
class ExpectedRefusal:
    step: int
    status: int | None = None  # HTTP status, when the story pins it
    error_code: int | None = None  # the platform's errorCode (e.g. 1502), when pinned


@dataclass(frozen=True)
class Expectations:
    event_types: tuple[int, ...] | None = None  # None: not checked
    final: Mapping[str, str] | None = None  # handle -> status label
    refused: tuple[ExpectedRefusal, ...] = ()  # always checked: none expected means none allowed
    workspaces: Mapping[str, str] | None = None  # SIM handle -> workspace handle
    assigned: Mapping[str, str] | None = None  # SIM or endpoint handle -> its partner, or "none"


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    path: str
    description: str
    settings: Mapping[str, Any]  # keyword arguments of simulator.platform.core.Settings
    steps: tuple[Step, ...]
    expect: Expectations


# ----------------------------------------------------------------------------- the format

# Parameter kinds. A "new" handle is defined by the step; every other handle must exist already.
NEW_SIMS, SIMS, SIM, NEW_ENDPOINT, ENDPOINT, WORKSPACE = (
    "new SIM handles", "SIM handles", "SIM handle", "new endpoint handle", "endpoint handle",
    "workspace handle",
)
SIM_STATUS, ENDPOINT_STATUS, COUNT, SIZE, DURATION, FLAG, TEXT = (
    "SIM status", "endpoint status", "count", "size", "duration", "flag", "text",
)
REQUIRED = object()


@dataclass(frozen=True)
class Param:
    kind: str
    default: Any = REQUIRED


@dataclass(frozen=True)
class Op:
    params: Mapping[str, Param]
    one_of: tuple[str, ...] = ()  # exactly one of these (use_data) ...
    any_of: tuple[str, ...] = ()  # ... or at least one of these (advance_time)
    summary: str = ""
    aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)  # other name -> param


OPS: dict[str, Op] = {
    "register": Op(
        {"sims": Param(NEW_SIMS), "status": Param(SIM_STATUS, "Issued"),
         "workspace": Param(WORKSPACE, DEFAULT_WORKSPACE)},
        summary="register a batch of new SIMs"),
    "set_status": Op({"sim": Param(SIM), "status": Param(SIM_STATUS)},
                     summary="a user changes a SIM's status"),
    "delete_sim": Op({"sim": Param(SIM)}, summary="a user deletes a SIM"),
    "create_endpoint": Op(
        {"endpoint": Param(NEW_ENDPOINT), "sim": Param(SIM, None),
         "status": Param(ENDPOINT_STATUS, "Enabled"), "workspace": Param(WORKSPACE, None),
         "name": Param(TEXT, None)},
        summary="create a device, optionally with a SIM"),
    "set_endpoint_status": Op({"endpoint": Param(ENDPOINT), "status": Param(ENDPOINT_STATUS)},
                              summary="a user enables or disables a device"),
    "assign": Op({"endpoint": Param(ENDPOINT), "sim": Param(SIM)},
                 summary="put a SIM into a device"),
    "release": Op({"endpoint": Param(ENDPOINT)}, summary="take the SIM out of a device"),
    "delete_endpoint": Op({"endpoint": Param(ENDPOINT)}, summary="delete a device"),
    "use_data": Op({"sim": Param(SIM), "bytes": Param(SIZE, 0), "kb": Param(SIZE, 0)},
                   one_of=("bytes", "kb"), summary="the device uses data"),
    "send_sms": Op({"sim": Param(SIM), "count": Param(COUNT, 1)},
                   summary="the device sends or receives SMS"),
    "reset_connectivity": Op({"endpoint": Param(ENDPOINT)},
                             summary="a user resets a device's connectivity"),
    "migrate": Op(
        {"sims": Param(SIMS), "to": Param(WORKSPACE),
         "auto_detach_devices": Param(FLAG, False)},
        summary="a user moves SIMs to another workspace",
        # the platform's API calls it target_workspace; `workspace` reads naturally too
        aliases={"target_workspace": "to", "workspace": "to"}),
    "advance_time": Op(
        {"seconds": Param(DURATION, 0), "minutes": Param(DURATION, 0),
         "hours": Param(DURATION, 0), "days": Param(DURATION, 0)},
        any_of=("seconds", "minutes", "hours", "days"), summary="time passes"),
}
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# The most time a scenario's steps may let pass in all: its timestamps stay within year 9999.
MAX_SPAN_DAYS = 36_500
STEP_KEYS = ("op", "emits")  # keys of a step besides its op's parameters
TOP_KEYS = ("name", "seed", "description", "settings", "step", "expect")
EXPECT_KEYS = ("event_types", "final", "refused", "workspaces", "assigned")


def settings_fields() -> dict[str, type]:
    """The platform's Settings fields and their types: the ``[settings]`` table may set these."""
    from simulator.platform import Settings

    return {f.name: type(f.default) for f in dataclasses.fields(Settings)}


def settings_ranges() -> dict[str, tuple[int, int]]:
    """The range each numeric setting takes (``simulator.platform.SETTING_RANGES``)."""
    from simulator.platform import SETTING_RANGES

    return SETTING_RANGES


# ----------------------------------------------------------------------------- line lookup


class _Lines:
    """Find where a key sits in the source text, since tomllib keeps no positions."""

    _HEADER = re.compile(r"^\s*\[")
    _STEP = re.compile(r"^\s*\[\[\s*step\s*\]\]\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.step_headers = [i for i, ln in enumerate(self.lines) if self._STEP.match(ln)]

    def _key(self, start: int, key: str) -> int | None:
        """The 1-based line of ``key = ...`` in the block that starts after line index ``start``."""
        k = re.escape(key)
        pattern = re.compile(rf"""^\s*(?:{k}|"{k}"|'{k}')\s*=""")
        for i in range(start + 1, len(self.lines)):
            if self._HEADER.match(self.lines[i]):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    def _table(self, name: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]\s*(#.*)?$")
        return next((i for i, ln in enumerate(self.lines) if pattern.match(ln)), None)

    def top(self, key: str) -> int:
        return self._key(-1, key) or 1

    def step(self, number: int, key: str | None = None) -> int:
        if number > len(self.step_headers):  # steps written as an inline array
            return self.top("step")
        header = self.step_headers[number - 1]
        found = self._key(header, key) if key else None
        return found or self._key(header, "op") or header + 1

    def array_item(self, name: str, index: int, key: str) -> int | None:
        """Line of ``key`` in the ``index``-th (0-based) ``[[name]]`` table, if written so."""
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]\s*(#.*)?$")
        headers = [i for i, ln in enumerate(self.lines) if pattern.match(ln)]
        if index >= len(headers):
            return None
        return self._key(headers[index], key) or headers[index] + 1

    def table(self, name: str, key: str | None = None, sub: str | None = None) -> int:
        """Line of ``[name] key = ...`` (or of ``sub`` inside ``[name.key]``), best effort."""
        if key is not None and sub is not None:
            nested = self._table(f"{name}.{key}")
            if nested is not None:
                return self._key(nested, sub) or nested + 1
        start = self._table(name)
        if start is None:
            return self.top(name)
        if key is None:
            return start + 1
        nested = self._table(f"{name}.{key}")
        return self._key(start, key) or (nested + 1 if nested is not None else start + 1)


# ----------------------------------------------------------------------------- loading


BUILTIN = Path(__file__).with_name("library")  # the project's scenarios/ folder, packaged


def load(path: str | Path) -> Scenario:
    """Read and check one scenario file; raise ScenarioError with its file and line.

    A built-in scenario is named as in the project (``scenarios/NAME.toml``), not by where
    the package happens to be installed."""
    p = Path(path)
    name = f"scenarios/{p.name}" if p.parent == BUILTIN else display_name(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(name, 0, f"cannot read: {exc.strerror or exc}") from None
    note_input(path, name)  # ``--emit`` may not replace it
    return loads(raw, name)


def loads(raw: bytes | str, path: str = "<scenario>") -> Scenario:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ScenarioError(path, line, "not UTF-8 text") from None
    else:
        text = raw
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _syntax_position(str(exc), text)
        raise ScenarioError(path, line, f"TOML syntax error: {message}") from None
    return _Checker(path, _Lines(text)).scenario(data)


def _syntax_position(message: str, text: str) -> tuple[int, str]:
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        return int(found.group(1)), f"{message[: found.start()]} (column {found.group(2)})"
    found = re.search(r"\s*\(at end of document\)$", message)
    if found:
        return max(1, len(text.splitlines())), f"{message[: found.start()]} (at end of file)"
    return 1, message


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The scenario files named: files as given, folders by their ``*.toml`` (sorted)."""
    found: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            found.extend(sorted(q for q in p.glob("*.toml") if q.is_file()))
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(f"{display_name(p)}: no such file or folder")
    return found


def _kind(handle: str) -> str:
    return _KIND_NAMES[handle[0]]


class _Checker:
    """One pass over the parsed TOML that tracks which handles exist, step by step."""

    def __init__(self, path: str, lines: _Lines) -> None:
        self.path = path
        self.lines = lines
        self.sims: set[str] = set()
        self.endpoints: set[str] = set()
        self.workspaces: set[str] = set()
        self.elapsed = 0.0  # seconds the steps so far let pass

    def fail(self, line: int, message: str) -> ScenarioError:
        return ScenarioError(self.path, line, message)

    # -- top level

    def scenario(self, data: dict[str, Any]) -> Scenario:
        for key in data:
            if key not in TOP_KEYS:
                raise self.fail(self.lines.top(key) if not isinstance(data[key], dict)
                                else self.lines.table(key),
                                f"unknown key {key!r} (expected one of: {', '.join(TOP_KEYS)})")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(self.lines.top("name"), "'name' must be a non-empty string")
        seed = data.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise self.fail(self.lines.top("seed"), "'seed' must be an integer")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail(self.lines.top("description"), "'description' must be a string")
        settings = self.settings(data.get("settings", {}))
        raw_steps = data.get("step", [])
        if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
            raise self.fail(self.lines.top("step"), "'step' must be an array of tables [[step]]")
        if not raw_steps:
            raise self.fail(1, "a scenario needs at least one [[step]]")
        steps = tuple(self.step(i, raw) for i, raw in enumerate(raw_steps, start=1))
        expect = self.expect(data.get("expect", {}), len(steps))
        return Scenario(name=name, seed=seed, path=self.path, description=description,
                        settings=settings, steps=steps, expect=expect)

    def settings(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(self.lines.top("settings"), "'settings' must be a table")
        fields = settings_fields()
        for key, value in raw.items():
            line = self.lines.table("settings", key)
            if key not in fields:
                raise self.fail(line, f"unknown setting {key!r} "
                                      f"(expected one of: {', '.join(fields)})")
            want = fields[key]
            if type(value) is not want:
                raise self.fail(line, f"setting {key!r} must be {_type_name(want)}")
            bounds = settings_ranges().get(key)
            number: Any = value  # an int: its type was checked above
            if bounds is not None and not bounds[0] <= number <= bounds[1]:
                low, high = bounds
                raise self.fail(line, f"setting {key!r} must be from {low:,} to {high:,}, "
                                      f"not {value:,}")
        return dict(raw)

    # -- steps

    def step(self, number: int, raw: dict[str, Any]) -> Step:
        line = self.lines.step(number)
        op_name = raw.get("op")
        if op_name is None:
            raise self.fail(line, f"step {number}: missing 'op'")
        if not isinstance(op_name, str) or op_name not in OPS:
            raise self.fail(line, f"step {number}: unknown op {op_name!r} "
                                  f"(expected one of: {', '.join(OPS)})")
        op = OPS[op_name]
        for alias, key in op.aliases.items():
            if alias in raw:
                if key in raw:
                    raise self.fail(self.lines.step(number, alias),
                                    f"step {number} ({op_name}): give {key!r} or {alias!r}, "
                                    "not both")
                raw = {key if k == alias else k: v for k, v in raw.items()}
        for key in raw:
            if key not in op.params and key not in STEP_KEYS:
                raise self.fail(self.lines.step(number, key),
                                f"step {number} ({op_name}): unknown parameter {key!r} "
                                f"(expected: {', '.join(op.params) or 'none'})")
        given = [k for k in op.one_of + op.any_of if k in raw]
        if op.one_of and len(given) != 1:
            raise self.fail(line, f"step {number} ({op_name}): give exactly one of "
                                  f"{' or '.join(op.one_of)}")
        if op.any_of and not given:
            raise self.fail(line, f"step {number} ({op_name}): give at least one of "
                                  f"{', '.join(op.any_of)}")
        # Check references before definitions, so `register sims=["s1"]` cannot use s1 itself.
        order = sorted(op.params, key=lambda k: op.params[k].kind in (NEW_SIMS, NEW_ENDPOINT))
        args: dict[str, Any] = {}
        for key in order:
            param = op.params[key]
            where = self.lines.step(number, key)
            if key not in raw:
                if param.default is REQUIRED:
                    raise self.fail(line, f"step {number} ({op_name}): missing {key!r} "
                                          f"({param.kind})")
                value = param.default
                if param.kind == WORKSPACE and value is not None:
                    self.workspaces.add(value)
                elif param.kind == SIM_STATUS:
                    value = SIM_STATUSES[value]
                elif param.kind == ENDPOINT_STATUS:
                    value = ENDPOINT_STATUSES[value]
            else:
                value = self.value(raw[key], param.kind, self.failer(
                    where, f"step {number} ({op_name}): {key}:"))
            args[key] = value
        if op_name == "use_data":
            args = {"sim": args["sim"], "bytes": args["bytes"] + args["kb"] * KB}
        elif op_name == "advance_time":
            seconds = sum(args[k] * _SECONDS[k] for k in _SECONDS)
            if seconds <= 0:
                raise self.fail(line, f"step {number} (advance_time): time must move forward")
            self.elapsed += seconds
            if self.elapsed > MAX_SPAN_DAYS * _SECONDS["days"]:
                raise self.fail(line, f"step {number} (advance_time): the steps would let more "
                                      f"than {MAX_SPAN_DAYS:,} days pass in all")
            args = {"seconds": seconds}
        emits = None
        if "emits" in raw:
            emits = self.type_list(raw["emits"], self.lines.step(number, "emits"),
                                   f"step {number}: 'emits'")
        return Step(number=number, line=line, op=op_name, args=args, emits=emits)

    def failer(self, line: int, prefix: str) -> Callable[[str], ScenarioError]:
        return lambda message: self.fail(line, f"{prefix} {message}")

    def value(self, value: Any, kind: str, fail: Callable[[str], ScenarioError]) -> Any:
        if kind in (NEW_SIMS, SIMS):
            if not isinstance(value, list) or not value:
                raise fail("must be a non-empty array of SIM handles")
            if len(set(map(str, value))) != len(value):
                raise fail("names a SIM twice")
            return tuple(self.value(v, NEW_SIM if kind == NEW_SIMS else SIM, fail)
                         for v in value)
        if kind in (SIM, NEW_SIM, ENDPOINT, NEW_ENDPOINT, WORKSPACE):
            return self.handle(value, kind, fail)
        if kind == SIM_STATUS:
            return self.label(value, SIM_STATUSES, "SIM", fail)
        if kind == ENDPOINT_STATUS:
            return self.label(value, ENDPOINT_STATUSES, "endpoint", fail)
        if kind in (COUNT, SIZE):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (
                    kind == COUNT and value == 0):
                raise fail("must be a positive integer" if kind == COUNT
                           else "must be a non-negative integer")
            return value
        if kind == DURATION:
            if (not isinstance(value, int | float) or isinstance(value, bool)
                    or not math.isfinite(value) or value < 0):
                raise fail(f"must be a finite non-negative number, not {value!r}")
            return value
        if kind == FLAG:
            if not isinstance(value, bool):
                raise fail("must be true or false")
            return value
        if not isinstance(value, str):
            raise fail("must be a string")
        return value

    def handle(self, value: Any, kind: str, fail: Callable[[str], ScenarioError]) -> str:
        letter = {SIM: "s", NEW_SIM: "s", ENDPOINT: "e", NEW_ENDPOINT: "e", WORKSPACE: "w"}[kind]
        if not isinstance(value, str) or not _HANDLE.match(value):
            raise fail(f"must be a {_KIND_NAMES[letter]} handle like '{letter}1', got {value!r}")
        if value[0] != letter:
            raise fail(f"must be a {_KIND_NAMES[letter]} handle ('{letter}...'), "
                       f"but {value!r} names {_a(_kind(value))}")
        if kind == WORKSPACE:
            self.workspaces.add(value)
            return value
        known = self.sims if letter == "s" else self.endpoints
        if kind in (NEW_SIM, NEW_ENDPOINT):
            if value in known:
                raise fail(f"{value!r} is already defined")
            known.add(value)
        elif value not in known:
            defined_by = "register" if letter == "s" else "create_endpoint"
            raise fail(f"{value!r} is used before it is defined (by {defined_by})")
        return value

    def label(self, value: Any, table: Mapping[str, Any], what: str,
              fail: Callable[[str], ScenarioError]) -> Any:
        if not isinstance(value, str) or value not in table:
            raise fail(f"{value!r} is not {_a(what)} status "
                       f"(expected one of: {', '.join(table)})")
        return table[value]

    def type_list(self, value: Any, line: int, what: str) -> tuple[int, ...]:
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            raise self.fail(line, f"{what} must be an array of event type ids")
        return tuple(value)

    # -- expectations

    def expect(self, raw: Any, steps: int) -> Expectations:
        if not isinstance(raw, dict):
            raise self.fail(self.lines.top("expect"), "'expect' must be a table")
        for key in raw:
            if key not in EXPECT_KEYS:
                raise self.fail(self.lines.table("expect", key),
                                f"[expect]: unknown key {key!r} "
                                f"(expected one of: {', '.join(EXPECT_KEYS)})")
        event_types = None
        if "event_types" in raw:
            event_types = self.type_list(raw["event_types"],
                                         self.lines.table("expect", "event_types"),
                                         "[expect] event_types")
        final = self.handle_table(raw, "final", self.final_value)
        workspaces = self.handle_table(raw, "workspaces", self.workspace_value)
        assigned = self.handle_table(raw, "assigned", self.assigned_value)
        refused = self.refused(raw.get("refused", []), steps)
        return Expectations(event_types=event_types, final=final, refused=refused,
                            workspaces=workspaces, assigned=assigned)

    def handle_table(self, raw: dict[str, Any], key: str,
                     check: Callable[[str, Any], str | None]) -> dict[str, str] | None:
        if key not in raw:
            return None
        table = raw[key]
        if not isinstance(table, dict):
            raise self.fail(self.lines.table("expect", key), f"[expect] {key} must be a table")
        out: dict[str, str] = {}
        for handle, value in table.items():
            line = self.lines.table("expect", key, handle)
            if not _HANDLE.match(handle):
                raise self.fail(line, f"[expect] {key}: {handle!r} is not a handle")
            known = {"s": self.sims, "e": self.endpoints, "w": set()}[handle[0]]
            if handle not in known:
                raise self.fail(line, f"[expect] {key}: {handle!r} is not defined by any step"
                                if handle[0] != "w" else
                                f"[expect] {key}: {handle!r} is a workspace, which has no "
                                f"{key} entry")
            problem = check(handle, value)
            if problem:
                raise self.fail(line, f"[expect] {key}: {handle}: {problem}")
            out[handle] = value
        return out

    def final_value(self, handle: str, value: Any) -> str | None:
        table = SIM_STATUSES if handle[0] == "s" else ENDPOINT_STATUSES
        if not isinstance(value, str) or value not in table:
            return (f"{value!r} is not {_a(_kind(handle))} status "
                    f"(expected one of: {', '.join(table)})")
        return None

    def workspace_value(self, handle: str, value: Any) -> str | None:
        if handle[0] != "s":
            return "only SIMs belong to workspaces here"
        if not isinstance(value, str) or value not in self.workspaces:
            return f"{value!r} is not a workspace used by any step"
        return None

    def assigned_value(self, handle: str, value: Any) -> str | None:
        partner = self.endpoints if handle[0] == "s" else self.sims
        if not isinstance(value, str) or (value != NONE and value not in partner):
            want = "an endpoint" if handle[0] == "s" else "a SIM"
            return f"{value!r} must be {want} handle defined by a step, or {NONE!r}"
        return None

    def refused(self, raw: Any, steps: int) -> tuple[ExpectedRefusal, ...]:
        line = self.lines.table("expect", "refused")
        if not isinstance(raw, list):
            raise self.fail(line, "[expect] refused must be an array of step numbers "
                                  "or {step, status, error_code} tables")
        out: list[ExpectedRefusal] = []
        table_line = line
        for index, item in enumerate(raw):
            line = self.lines.array_item("expect.refused", index, "step") or table_line
            entry = item if isinstance(item, dict) else {"step": item}
            unknown = set(entry) - {"step", "status", "error_code"}
            if unknown:
                raise self.fail(line, f"[expect] refused: unknown key {sorted(unknown)[0]!r} "
                                      "(expected step, status, error_code)")
            step, status, code = entry.get("step"), entry.get("status"), entry.get("error_code")
            if not _is_int(step) or not 1 <= step <= steps:
                raise self.fail(line, f"[expect] refused: {step!r} is not a step number "
                                      f"(1..{steps})")
            if status is not None and not (_is_int(status) and 400 <= status <= 599):
                raise self.fail(line, f"[expect] refused: status {status!r} is not an HTTP "
                                      "error status (400..599)")
            if code is not None and not _is_int(code):
                raise self.fail(line, f"[expect] refused: error_code {code!r} must be an integer")
            if any(r.step == step for r in out):
                raise self.fail(line, f"[expect] refused: step {step} is listed twice")
            out.append(ExpectedRefusal(step=step, status=status, error_code=code))
        return tuple(sorted(out, key=lambda r: r.step))


NEW_SIM = "new SIM handle"


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _type_name(t: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        t, t.__name__)
