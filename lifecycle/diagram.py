"""The Mermaid ``stateDiagram-v2`` of the machines, drawn from the compiled declaration."""

from __future__ import annotations

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, SOURCE_DESCRIPTIONS
from lifecycle.machines import ENDPOINT, SIM, SIM_REGISTRATION_EVENT, CompiledMachine


def _state_id(machine: CompiledMachine, status: int) -> str:
    return f"{machine.status.__name__}_{machine.status(status).name}"


def _label(event_type: int | None, event_source: int | None) -> str:
    if event_type is None:
        return "no event"
    text = f"{event_type} {EVENT_TYPE_DESCRIPTIONS[event_type]}"
    if event_source is not None and event_source != 2:
        text += f" ({SOURCE_DESCRIPTIONS[event_source]})"
    return text


def _machine_lines(machine: CompiledMachine, title: str, initial_label: str) -> list[str]:
    states = list(machine.status)
    lines = [f"    state \"{title}\" as {machine.status.__name__} {{"]
    for status in states:
        label = getattr(status, "label", status.name)
        lines.append(f"        state \"{label}\" as {_state_id(machine, status)}")
    lines.append(f"        [*] --> {_state_id(machine, states[0])} : {initial_label}")
    for step in machine.steps:
        for src in sorted(step.sources):
            lines.append(
                f"        {_state_id(machine, src)} --> {_state_id(machine, step.dest)} : "
                f"{_label(step.event_type, step.event_source)}"
            )
    terminal = {s.dest for s in machine.steps} - {src for s in machine.steps for src in s.sources}
    for end in sorted(terminal):
        lines.append(f"        {_state_id(machine, end)} --> [*]")
    lines.append("    }")
    return lines


def mermaid() -> str:
    """The lifecycle as Mermaid text; edges are labelled with the event each transition emits."""
    lines = ["stateDiagram-v2"]
    lines += _machine_lines(SIM, "SIM", _label(*SIM_REGISTRATION_EVENT))
    lines += _machine_lines(ENDPOINT, "Endpoint", "created (no event)")
    return "\n".join(lines) + "\n"
