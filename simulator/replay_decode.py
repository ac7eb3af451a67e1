"""The validator's fast path: a canonical event's envelope decoded and type-checked in C.

A typed ``msgspec`` decode checks what ``Replay.feed`` would otherwise check by hand on an
``orjson``-parsed dict (integer ids, coded objects with a description, a boolean alert, no nulls,
no unknown keys) and costs less than ``orjson.loads`` alone. It accepts a strict subset of the
lines whose parsed value takes ``feed``'s canonical path, and yields the same values for what
replay reads: integers only in the range that orjson keeps as integers, ``detail`` parsed by
orjson itself. Every other line (another form, a null, an unknown key, invalid JSON) raises one
of ``REFUSED`` and is parsed by orjson instead, so the verdict is the same either way (a
property test holds the two paths equal).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

__all__ = ["REFUSED", "UNSET", "Envelope", "decode"]

# Signed 64 bits: orjson parses these as int (and larger ones as float): others are refused.
_Int = Annotated[int, msgspec.Meta(ge=-(1 << 63), le=(1 << 63) - 1)]


class Code(msgspec.Struct):
    """``event_type``, ``event_source`` or ``event_severity``."""

    id: _Int
    description: str


class Ref(msgspec.Struct):
    """``organisation`` or ``endpoint``: replay reads only the id."""

    id: _Int


class Sim(msgspec.Struct):
    id: _Int
    iccid: str | UnsetType = UNSET


class Envelope(msgspec.Struct, forbid_unknown_fields=True):
    """The keys the platform writes (seeds); ``user`` and ``imsi`` only for their presence."""

    id: _Int
    timestamp: str
    event_type: Code
    event_source: Code
    event_severity: Code
    organisation: Ref
    alert: bool = False
    description: str | UnsetType = UNSET
    user: dict[str, Any] | UnsetType = UNSET
    sim: Sim | UnsetType = UNSET
    endpoint: Ref | UnsetType = UNSET
    imsi: dict[str, Any] | UnsetType = UNSET
    detail: Raw = Raw(b"")  # parsed by orjson when present: its values exactly as orjson's


decode = msgspec.json.Decoder(Envelope).decode
REFUSED = (msgspec.ValidationError, msgspec.DecodeError)
