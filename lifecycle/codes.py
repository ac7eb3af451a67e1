"""The platform's codes: one table each, with the platform's exact descriptions.

Everything that names a status, an event type, a source or a severity reads it from here, so a
description is spelled once and a typo cannot drift between the generator and the validator.
"""

from __future__ import annotations

from enum import IntEnum


class SimStatus(IntEnum):
    ISSUED = 0
    ACTIVATED = 1
    SUSPENDED = 2
    DELETED = 3
    FACTORY_TEST = 4

    @property
    def label(self) -> str:
        """The platform's name, as status descriptions spell it: ``'Factory Test'``."""
        return SIM_STATUS_LABELS[self]

    @property
    def upper(self) -> str:
        """The upper-case form used in ``detail.transition``: ``'FACTORY TEST'``."""
        return SIM_STATUS_LABELS[self].upper()


class EndpointStatus(IntEnum):
    ENABLED = 0
    DISABLED = 1
    DELETED = 2

    @property
    def label(self) -> str:
        return ENDPOINT_STATUS_LABELS[self]


SIM_STATUS_LABELS: dict[SimStatus, str] = {
    SimStatus.ISSUED: "Issued",
    SimStatus.ACTIVATED: "Activated",
    SimStatus.SUSPENDED: "Suspended",
    SimStatus.DELETED: "Deleted",
    SimStatus.FACTORY_TEST: "Factory Test",
}

ENDPOINT_STATUS_LABELS: dict[EndpointStatus, str] = {
    EndpointStatus.ENABLED: "Enabled",
    EndpointStatus.DISABLED: "Disabled",
    EndpointStatus.DELETED: "Deleted",
}


class EventType(IntEnum):
    """The event types that take part in the lifecycle (spec §3)."""

    SIM_ACTIVATION = 8
    SIM_SUSPENSION = 9
    SIM_DELETION = 10
    ENDPOINT_ENABLED = 42
    ENDPOINT_DISABLED = 43
    SIM_FACTORY_TEST = 45
    SIM_REGISTRATION = 48
    SIM_RELEASED = 50
    SIM_ASSIGNED = 51
    RESET_CONNECTIVITY = 68
    SIM_MIGRATION = 69


class Source(IntEnum):
    NETWORK = 0
    POLICY_CONTROL = 1
    API = 2


class Severity(IntEnum):
    INFO = 0
    WARN = 1
    CRITICAL = 2


# Every event type the platform is known to emit (GET /api/v1/event/type is authoritative).
# Types outside LIFECYCLE_TYPES pass through replay: only their envelope is checked.
EVENT_TYPE_DESCRIPTIONS: dict[int, str] = {
    0: "Generic",
    1: "Update location",
    2: "Update GPRS location",
    3: "Create PDP Context",
    4: "Update PDP Context",
    5: "Delete PDP Context",
    6: "User authentication failed",
    7: "Application authentication failed",
    8: "SIM activation",
    9: "SIM suspension",
    10: "SIM deletion",
    11: "Endpoint blocked",
    12: "Organisation blocked",
    13: "Support Access",
    14: "Multi-factor Authentication",
    15: "Purge location",
    16: "Purge GPRS location",
    17: "Self-Signup",
    18: "Quota threshold reached",
    19: "Quota used up",
    20: "SMS quota threshold reached",
    21: "SMS quota used up",
    22: "CloudConnect TGW Resource Share created",
    23: "CloudConnect TGW available",
    25: "CloudConnect TGW breakout terminated",
    26: "CloudConnect VPN breakout terminated",
    27: "CloudConnect Connection State Changed",
    28: "OpenVPN connect",
    29: "OpenVPN disconnect",
    30: "OpenVPN authentication",
    31: "Organisation updated",
    32: "Billing configuration updated",
    33: "Tariff plan updated",
    34: "Usage tariff updated",
    36: "User invited",
    37: "Password reset requested",
    38: "Order submitted",
    39: "Order updated",
    40: "User verification requested",
    41: "User verified",
    42: "Endpoint enabled",
    43: "Endpoint disabled",
    44: "SIM issued",
    45: "SIM factory test",
    46: "User deleted",
    48: "SIM registration",
    49: "Device offline",
    50: "SIM Released",
    51: "SIM Assigned",
    52: "Data quota enabled",
    53: "Data quota disabled",
    54: "SMS quota enabled",
    55: "SMS quota disabled",
    56: "Data quota assigned",
    57: "Data quota deleted",
    58: "SMS quota assigned",
    59: "SMS quota deleted",
    60: "Data quota expired",
    67: "User switched workspaces",
    68: "Reset connectivity",
    69: "SIM migration",
}

LIFECYCLE_TYPES: frozenset[int] = frozenset(int(t) for t in EventType)

SOURCE_DESCRIPTIONS: dict[int, str] = {
    int(Source.NETWORK): "Network",
    int(Source.POLICY_CONTROL): "Policy Control",
    int(Source.API): "API",
}

SEVERITY_DESCRIPTIONS: dict[int, str] = {
    int(Severity.INFO): "Info",
    int(Severity.WARN): "Warn",
    int(Severity.CRITICAL): "Critical",
}

# emnify ICCIDs start with this issuer prefix (spec §1).
ICCID_PREFIX = "8988303"


def luhn_digit(digits: str) -> str:
    """The Luhn check digit that completes ``digits`` (an ICCID without its last digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when the last digit of ``number`` is the Luhn check digit of the rest."""
    return (len(number) > 1 and number.isascii() and number.isdigit()
            and luhn_digit(number[:-1]) == number[-1])
