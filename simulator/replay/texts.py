"""What replay reads out of the platform's human texts, and how its messages name states.

The platform's descriptions repeat the states and ids of an event (spec §3): these precompiled
patterns pull them out so replay can compare them with the envelope. Labels come from
``lifecycle.codes``; nothing here restates the transition table.
"""

from __future__ import annotations

import re

from lifecycle.codes import (
    ENDPOINT_STATUS_LABELS,
    EVENT_TYPE_DESCRIPTIONS,
    SIM_STATUS_LABELS,
    EndpointStatus,
    SimStatus,
)

# ASCII digits, at most 30 (ids are 64-bit): int() of other digits, or of thousands, fails.
SIM_STATUS_CHANGE = re.compile(r"Status of SIM changed from '([^']*)' to '([^']*)'\Z", re.ASCII)
ENDPOINT_STATUS_CHANGE = re.compile(r"Status of Endpoint (\d{1,30}) changed to (\w+)\Z", re.ASCII)
SIM_DELETED = re.compile(
    r"SIM (\d{1,30}) \((\d{1,30})\) has been deleted by (.*)\Z", re.DOTALL | re.ASCII)
SIM_RELEASED = re.compile(r"SIM (\d{1,30}) released from endpoint (\d{1,30})\Z", re.ASCII)
SIM_ASSIGNED = re.compile(r"SIM (\d{1,30}) assigned to endpoint (\d{1,30})\Z", re.ASCII)
# A value the platform's documentation leaves for the reader to fill in: ``<iccid>``.
PLACEHOLDER = re.compile(r"<[\w. -]+>\Z")


# The same texts built from their parts: building the expected text and comparing costs a quarter
# of a regex match, so replay reaches for the patterns only when a text differs (an f-string
# builds it in two thirds of the time ``str.format`` takes).
def endpoint_status_text(endpoint: int, label: str) -> str:
    return f"Status of Endpoint {endpoint} changed to {label}"


def sim_released_text(sim: int, endpoint: int) -> str:
    return f"SIM {sim} released from endpoint {endpoint}"


def sim_assigned_text(sim: int, endpoint: int) -> str:
    return f"SIM {sim} assigned to endpoint {endpoint}"


BATCH_REGISTERED = re.compile(r"Batch of (\d{1,30}) SIM\(s\) registered\.\Z", re.ASCII)
MIGRATED_FROM = re.compile(
    r"SIM\(s\) migrated from workspace (\d{1,30}) to workspace (\d{1,30}) by user ", re.ASCII)
MIGRATED_TO = re.compile(r"SIM\(s\) migrated to workspace (\d{1,30}) by user ", re.ASCII)

SIM_STATUS_BY_LABEL: dict[str, int] = {label: int(s) for s, label in SIM_STATUS_LABELS.items()}
SIM_STATUS_BY_UPPER: dict[str, int] = {s.upper: int(s) for s in SimStatus}
ENDPOINT_STATUS_BY_LABEL: dict[str, int] = {
    label: int(s) for s, label in ENDPOINT_STATUS_LABELS.items()
}


def _labels(mask: int, names: dict[int, str]) -> str:
    found = [names[s] for s in sorted(names) if mask >> s & 1]
    if not found:
        return "nothing"
    if len(found) == 1:
        return found[0]
    return ", ".join(found[:-1]) + " or " + found[-1]


_SIM_NAMES = {int(s): label for s, label in SIM_STATUS_LABELS.items()}
_ENDPOINT_NAMES = {int(s): label for s, label in ENDPOINT_STATUS_LABELS.items()}


def sim_states(mask: int) -> str:
    """``'Activated or Suspended'`` for a mask of SIM states."""
    return _labels(mask, _SIM_NAMES)


def endpoint_states(mask: int) -> str:
    return _labels(mask, _ENDPOINT_NAMES)


def sim_label(status: int) -> str:
    return SIM_STATUS_LABELS[SimStatus(status)]


def endpoint_label(status: int) -> str:
    return ENDPOINT_STATUS_LABELS[EndpointStatus(status)]


def sim_status_text(old: int, new: int) -> str:
    """The platform's text of a SIM status change (the form ``SIM_STATUS_CHANGE`` reads)."""
    return f"Status of SIM changed from '{sim_label(old)}' to '{sim_label(new)}'"


def type_name(event_type: int) -> str:
    """``"'SIM activation' (8)"``: how messages name an event type."""
    return f"'{EVENT_TYPE_DESCRIPTIONS.get(event_type, '?')}' ({event_type})"


def where(event_id: int | None, line: int | None) -> str:
    """``'event 123 at line 4'``, for messages that point back at an earlier event."""
    if line is None:
        return f"event {event_id}"
    return f"event {event_id} at line {line}"
