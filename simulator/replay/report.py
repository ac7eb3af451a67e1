"""The result of a validation and its renderings: text for people, JSON for tools, JUnit for CI.

The JSON shape is a public interface (spec §7): ``{"events": int, "violations": [{"rule",
"severity", "event_id", "line", "message"}, ...], ...}``; keys may be added, never removed.
Rule codes, severities and summaries come from ``lifecycle.rules.RULES``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import click
import orjson

from lifecycle.codes import EventType
from lifecycle.events import id_of
from lifecycle.rules import RULES, Finding, Level
from lifecycle.state import FleetState

LOG_ENTITY = "log"  # where findings about no SIM or endpoint go (malformed lines, time order)
_ENDPOINT_STATUS = (EventType.ENDPOINT_ENABLED, EventType.ENDPOINT_DISABLED)  # a tuple: any
# value may be tested against it, hashable or not


def entity_of(event: Any) -> str | None:
    """What an event is about, for grouping its findings: ``"SIM 12"``, ``"endpoint 7"``, ...

    Endpoint status changes (enabled, disabled) are about the endpoint; other events about
    their SIM if they name one; migrations and registrations about themselves.
    """
    if not isinstance(event, dict):
        return None
    kind = event.get("event_type")
    tid = kind.get("id") if isinstance(kind, dict) else kind
    sim, endpoint = id_of(event.get("sim")), id_of(event.get("endpoint"))
    if tid in _ENDPOINT_STATUS and endpoint is not None:
        return f"endpoint {endpoint}"
    if sim is not None:
        return f"SIM {sim}"
    if endpoint is not None:
        return f"endpoint {endpoint}"
    detail = event.get("detail")
    if tid == EventType.SIM_MIGRATION and type(event.get("id")) is int:
        return f"migration {event['id']}"
    if tid == EventType.SIM_REGISTRATION and isinstance(detail, dict):
        batch = id_of(detail.get("sim_batch"))
        if batch is not None:
            return f"SIM batch {batch}"
    return None


def _named(entity: str | None, kind: str) -> int | None:
    """The id in an entity name of that kind: ``_named("SIM 12", "SIM") == 12``."""
    if entity is None:
        return None
    named, _, ident = entity.rpartition(" ")
    return int(ident) if named == kind and ident.isdigit() else None


@dataclass(slots=True)
class Report:
    """What a validation found. ``conformant`` honours ``strict`` (warnings count as failures)."""

    events: int
    findings: list[Finding]
    counts_by_type: Counter[int] = field(default_factory=Counter)
    strict: bool = False
    source: str | None = None  # the file name, "<stdin>", or None for events given in memory
    order: str = "given"  # ascending, descending, sorted (time-order), or given (API input)
    sims: Sequence[int] = ()  # every SIM and endpoint replay met, ascending (JUnit lists them)
    endpoints: Sequence[int] = ()
    # Past ``max_findings`` a rule's findings are counted here instead of kept in ``findings``;
    # every count and the verdict include them.
    omitted: Counter[str] = field(default_factory=Counter)
    max_findings: int | None = None
    files: tuple[str, ...] = ()  # the files of a log of several (each finding names its own)
    # What replay knew at the end of the log (``state``), built when first asked for.
    state_of: Callable[[], FleetState] | None = field(default=None, repr=False, compare=False)
    _state: FleetState | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def state(self) -> FleetState | None:
        """Every SIM's and device's status (or the possible ones), workspace and holder as the
        log leaves them (``simulator.replay.final_state``); None for a report made without."""
        if self._state is None and self.state_of is not None:
            self._state = self.state_of()
        return self._state

    @property
    def counts_by_rule(self) -> Counter[str]:
        return Counter(f.rule for f in self.findings) + self.omitted

    @property
    def errors(self) -> int:
        return sum(n for rule, n in self.counts_by_rule.items()
                   if RULES[rule].level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return self.counts_by_rule.total() - self.errors

    @property
    def conformant(self) -> bool:
        return self.is_conformant()

    def is_conformant(self, strict: bool | None = None) -> bool:
        """No errors (and, when strict, no warnings); ``strict=None`` uses the report's own."""
        strict = self.strict if strict is None else strict
        return not (self.findings or self.omitted) if strict else self.errors == 0

    def filtered(self, select: Iterable[str] | None = None,
                 ignore: Iterable[str] = ()) -> Report:
        """The report with only the ``select``-ed rules (None: all) less the ``ignore``-d ones,
        as ruff's options: what is left out is neither shown nor counted. ValueError names an
        unknown rule code."""
        chosen = set(RULES) if select is None else set(select)
        dropped = set(ignore)
        unknown = sorted((chosen | dropped) - set(RULES))
        if unknown:
            raise ValueError(f"unknown rule {', '.join(map(repr, unknown))}")
        kept = chosen - dropped
        return replace(self, findings=[f for f in self.findings if f.rule in kept],
                       omitted=Counter({r: n for r, n in self.omitted.items() if r in kept}))

    def failures(self) -> list[Finding]:
        """The kept findings that make the log non-conformant under the report's strictness."""
        if self.strict:
            return list(self.findings)
        return [f for f in self.findings if f.level is Level.ERROR]

    def to_dict(self) -> dict[str, Any]:
        by_rule = self.counts_by_rule
        return {
            "source": self.source,
            "events": self.events,
            "order": self.order,
            "conformant": self.conformant,
            "strict": self.strict,
            "errors": self.errors,
            "warnings": self.warnings,
            "violations": [
                {
                    "rule": f.rule,
                    "severity": str(f.level),
                    "event_id": f.event_id,
                    "line": f.line,
                    "message": f.message,
                    "entity": f.entity,
                    "sim": f.sim if f.sim is not None else _named(f.entity, "SIM"),
                    "endpoint": (f.endpoint if f.endpoint is not None
                                 else _named(f.entity, "endpoint")),
                    "element": f.element,
                    **({"file": f.file} if self.files else {}),
                }
                for f in self.findings
            ],
            "counts_by_rule": {code: by_rule[code] for code in RULES if by_rule[code]},
            # findings counted but not listed in "violations" (past max_findings per rule)
            "omitted": {code: self.omitted[code] for code in RULES if self.omitted[code]},
            "max_findings": self.max_findings,
            "counts_by_event_type": {
                str(tid): n for tid, n in sorted(self.counts_by_type.items())
            },
            **({"files": list(self.files)} if self.files else {}),
        }

    def to_json(self, *, indent: bool = True) -> str:
        option = orjson.OPT_INDENT_2 if indent else 0
        return orjson.dumps(self.to_dict(), option=option).decode() + "\n"


# --------------------------------------------------------------------------- text

# Log content reaches messages: keep control characters (terminal escapes) out of the output.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _where(f: Finding) -> str:
    parts = []
    if f.line is not None:
        parts.append(f"line {f.line}" if f.file is None else f"{f.file} line {f.line}")
    elif f.file is not None:
        parts.append(f.file)
    if f.element is not None:
        parts.append(f"element {f.element}")
    if f.event_id is not None:
        parts.append(f"event {f.event_id}")
    if f.entity is not None:
        parts.append(f.entity)
    return ", ".join(parts) or "log"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _omitted(report: Report, code: str) -> str:
    """What a rule's count says beyond the findings listed: how many, and why."""
    cap = "" if report.max_findings is None else f"{report.max_findings:,} "
    return (f"{report.omitted[code]:,} more not listed (only the first {cap}findings of a "
            "rule are kept: --max-findings)")


def render_text(report: Report, *, color: bool = False) -> str:
    """Findings grouped by rule (catalogue order), a count per rule, and the verdict."""

    def style(text: str, **how: Any) -> str:
        return click.style(text, **how) if color else text

    out: list[str] = []
    head = report.source or "events"
    order = "" if report.order == "given" else f", {report.order}"
    out.append(style(f"{_clean(head)}: {_plural(report.events, 'event')}{order}", bold=True))
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.rule, []).append(f)
    by_rule = report.counts_by_rule
    ranked = sorted(by_rule, key=lambda code: list(RULES).index(code) if code in RULES else 999)
    for code in ranked:
        rule = RULES[code]
        fg = "red" if rule.level is Level.ERROR else "yellow"
        out.append("")
        out.append(style(f"{rule.level} {code}", fg=fg, bold=True)
                   + f" ({by_rule[code]:,}): {rule.summary}")
        out.extend(f"  {_where(f)}: {_clean(f.message)}" for f in groups.get(code, ()))
        if report.omitted[code]:
            out.append(f"  ... and {_omitted(report, code)}")
    if ranked:
        out.append("")
        width = max(len(code) for code in ranked)
        out.append(style("summary", bold=True))
        for code in ranked:
            out.append(f"  {code:<{width}}  {RULES[code].level:<7}  {by_rule[code]:>9,}")
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    if report.strict:
        verdict += " (strict)"
    counts = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    out.append("")
    out.append(style(verdict, fg="green" if report.conformant else "red", bold=True)
               + f": {counts} in {_plural(report.events, 'event')}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- JSON


def render_json(report: Report, *, color: bool = False) -> str:
    return report.to_json()


# --------------------------------------------------------------------------- JUnit

# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _entity_key(name: str) -> tuple[int, str, int]:
    if name == LOG_ENTITY:
        return (0, "", 0)
    kind, _, ident = name.rpartition(" ")
    rank = {"SIM": 1, "endpoint": 2}.get(kind, 3)
    return (rank, kind, int(ident)) if ident.isdigit() else (rank, name, 0)


def render_junit(report: Report, *, color: bool = False) -> str:
    """One testcase per entity (every SIM and endpoint met, plus ``log``); a failure per error.

    Warnings go to the testcase's ``system-out``; with ``strict`` they are failures too, so the
    XML agrees with the exit code.
    """
    cases: dict[str, list[Finding]] = {LOG_ENTITY: []}
    for sim in report.sims:
        cases.setdefault(f"SIM {sim}", [])
    for endpoint in report.endpoints:
        cases.setdefault(f"endpoint {endpoint}", [])
    for f in report.findings:
        cases.setdefault(f.entity or LOG_ENTITY, []).append(f)
    failing = set(map(id, report.failures()))
    suite_name = _xml(report.source or "events")
    root = ET.Element("testsuites", name="simlife validate")
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="events", value=str(report.events))
    if report.omitted:
        ET.SubElement(properties, "property", name="findings_omitted",
                      value=str(report.omitted.total()))
    total_failures = 0
    for name in sorted(cases, key=_entity_key):
        case = ET.SubElement(suite, "testcase", classname="simlife.validate", name=_xml(name))
        notes = []
        for f in cases[name]:
            text = _xml(f"{_where(f)}: {f.message}")
            if id(f) in failing:
                total_failures += 1
                failure = ET.SubElement(case, "failure", type=f.rule, message=_xml(f.message))
                failure.text = f"{f.level} {f.rule} {text}"
            else:
                notes.append(f"{f.level} {f.rule} {text}")
        if name == LOG_ENTITY:  # findings counted past the cap: one line (or failure) per rule
            for code in sorted(report.omitted, key=list(RULES).index):
                text = f"{RULES[code].level} {code} {_omitted(report, code)}"
                if report.strict or RULES[code].level is Level.ERROR:
                    total_failures += 1
                    ET.SubElement(case, "failure", type=code, message=text).text = text
                else:
                    notes.append(text)
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    counts = {"tests": str(len(cases)), "failures": str(total_failures), "errors": "0",
              "skipped": "0"}
    root.attrib.update(counts)
    suite.attrib.update(counts)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """``report`` as ``fmt`` (a key of ``RENDERERS``); colour applies to text only."""
    return RENDERERS[fmt](report, color=color)


def with_entities(findings: Iterable[Finding], event: Any) -> list[Finding]:
    """``findings`` with the entity of ``event`` and the SIM and endpoint ids it names filled in
    where replay left them out."""
    if not isinstance(event, dict):
        return list(findings)
    name = entity_of(event)
    sim, endpoint = id_of(event.get("sim")), id_of(event.get("endpoint"))
    return [f if f.entity is not None else replace(f, entity=name, sim=sim, endpoint=endpoint)
            for f in findings]


def at_elements(findings: Iterable[Finding], element: int) -> list[Finding]:
    """``findings`` placed at a JSON array input's element (its 0-based index)."""
    return [f if f.element is not None else replace(f, element=element) for f in findings]
