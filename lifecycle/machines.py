"""The SIM and endpoint state machines, declared once with ``transitions``.

Each transition names the event it emits (type and source). Everything else — replay, the
simulated platform, the diagram — reads the tables compiled below from these declarations, so the
transition table is written exactly once. A ``transitions`` machine per SIM would cost ~10 KB and
~30 µs a trigger; the compiled tables cost a dict lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from transitions import Machine, Transition

from lifecycle.codes import EndpointStatus, EventType, SimStatus, Source

logging.getLogger("transitions").setLevel(logging.WARNING)


class EmittingTransition(Transition):
    """A transition that knows the platform event it emits (``None``: it emits nothing)."""

    def __init__(
        self,
        *args: Any,
        event_type: int | None = None,
        event_source: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        self.event_source = event_source


class LifecycleMachine(Machine):
    transition_cls = EmittingTransition


_ISSUED, _ACTIVATED, _SUSPENDED, _DELETED, _FACTORY_TEST = (
    SimStatus.ISSUED,
    SimStatus.ACTIVATED,
    SimStatus.SUSPENDED,
    SimStatus.DELETED,
    SimStatus.FACTORY_TEST,
)
_API, _POLICY = Source.API, Source.POLICY_CONTROL

# The declaration. Registration (48) creates a SIM in the initial state, Issued.
SIM_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "activate", "source": [_ISSUED, _SUSPENDED, _FACTORY_TEST], "dest": _ACTIVATED,
     "event_type": EventType.SIM_ACTIVATION, "event_source": _API},
    {"trigger": "auto_activate", "source": [_FACTORY_TEST], "dest": _ACTIVATED,
     "event_type": EventType.SIM_ACTIVATION, "event_source": _POLICY},
    {"trigger": "suspend", "source": [_ACTIVATED], "dest": _SUSPENDED,
     "event_type": EventType.SIM_SUSPENSION, "event_source": _API},
    {"trigger": "start_factory_test", "source": [_ISSUED], "dest": _FACTORY_TEST,
     "event_type": EventType.SIM_FACTORY_TEST, "event_source": _API},
    {"trigger": "delete", "source": [_ISSUED, _ACTIVATED, _SUSPENDED, _FACTORY_TEST],
     "dest": _DELETED, "event_type": EventType.SIM_DELETION, "event_source": _API},
]

# Creating and deleting an endpoint emit no event (spec §2).
ENDPOINT_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "enable", "source": [EndpointStatus.DISABLED], "dest": EndpointStatus.ENABLED,
     "event_type": EventType.ENDPOINT_ENABLED, "event_source": _API},
    {"trigger": "disable", "source": [EndpointStatus.ENABLED], "dest": EndpointStatus.DISABLED,
     "event_type": EventType.ENDPOINT_DISABLED, "event_source": _API},
    {"trigger": "delete", "source": [EndpointStatus.ENABLED, EndpointStatus.DISABLED],
     "dest": EndpointStatus.DELETED},
]

SIM_REGISTRATION_EVENT = (EventType.SIM_REGISTRATION, _API)


def sim_machine(model: Any = None, initial: SimStatus = SimStatus.ISSUED) -> Machine:
    """A SIM machine (no auto transitions: every move must be a declared one)."""
    return LifecycleMachine(
        model=model if model is not None else Machine.self_literal,
        states=list(SimStatus),
        transitions=SIM_TRANSITIONS,
        initial=initial,
        auto_transitions=False,
        send_event=True,
    )


def endpoint_machine(
    model: Any = None, initial: EndpointStatus = EndpointStatus.ENABLED
) -> Machine:
    """An endpoint machine; a new endpoint is Enabled unless created Disabled."""
    return LifecycleMachine(
        model=model if model is not None else Machine.self_literal,
        states=list(EndpointStatus),
        transitions=ENDPOINT_TRANSITIONS,
        initial=initial,
        auto_transitions=False,
        send_event=True,
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One compiled transition: a trigger, its event, the states it leaves and the one it enters."""

    trigger: str
    event_type: int | None
    event_source: int | None
    sources: frozenset[int]
    dest: int


@dataclass(frozen=True)
class CompiledMachine:
    """Plain lookup tables compiled from a declared machine, for replay and simulation.

    ``next_mask[(type, source)][mask]`` maps a set of possible states (bit ``1 << status``) to the
    set they may be in after the event; 0 means no possible state allows it.
    """

    status: type[IntEnum]
    steps: tuple[Step, ...]
    by_event: dict[tuple[int, int], dict[int, int]]
    by_trigger: dict[str, Step]
    next_mask: dict[tuple[int, int], tuple[int, ...]]

    def step_to(self, dest: int, source: int) -> Step | None:
        """The step that enters ``dest`` when requested from ``source`` (API, Policy Control)."""
        for step in self.steps:
            if step.dest == dest and step.event_source == source:
                return step
        return None

    @property
    def all_mask(self) -> int:
        return sum(1 << int(s) for s in self.status)


def mask_of(states: Iterable[int]) -> int:
    mask = 0
    for s in states:
        mask |= 1 << int(s)
    return mask


def states_of(mask: int) -> list[int]:
    return [s for s in range(mask.bit_length()) if mask >> s & 1]


def compile_machine(machine: Machine, status: type[IntEnum]) -> CompiledMachine:
    """Read the declared transitions back out of a ``transitions`` machine into plain tables."""
    steps: list[Step] = []
    for trigger, event in machine.events.items():
        by_dest: dict[str, list[Any]] = {}
        for transitions in event.transitions.values():
            for transition in transitions:
                by_dest.setdefault(str(transition.dest), []).append(transition)
        for dest_name, emitting in by_dest.items():
            first: EmittingTransition = emitting[0]
            steps.append(
                Step(
                    trigger=trigger,
                    event_type=None if first.event_type is None else int(first.event_type),
                    event_source=None if first.event_source is None else int(first.event_source),
                    sources=frozenset(int(status[t.source]) for t in emitting),
                    dest=int(status[dest_name]),
                )
            )
    by_event: dict[tuple[int, int], dict[int, int]] = {}
    for step in steps:
        if step.event_type is not None and step.event_source is not None:
            table = by_event.setdefault((step.event_type, step.event_source), {})
            for src in step.sources:
                table[src] = step.dest
    width = 1 << len(status)
    next_mask = {
        key: tuple(
            mask_of(table[s] for s in states_of(mask) if s in table) for mask in range(width)
        )
        for key, table in by_event.items()
    }
    return CompiledMachine(
        status=status,
        steps=tuple(steps),
        by_event=by_event,
        by_trigger={s.trigger: s for s in steps},
        next_mask=next_mask,
    )


SIM = compile_machine(sim_machine(), SimStatus)
ENDPOINT = compile_machine(endpoint_machine(), EndpointStatus)
