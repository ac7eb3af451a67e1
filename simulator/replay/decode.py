"""The validator's fast path: a canonical event's envelope decoded and type-checked in C.

A typed ``msgspec`` decode checks what ``Replay.feed`` would otherwise check by hand on an
``orjson``-parsed dict (integer ids, a known code with its own description for the type, source
and severity, a boolean alert, no nulls, no unknown keys) and costs less than ``orjson.loads``
alone. It accepts a strict subset of the lines whose parsed value takes ``feed``'s canonical
path, and yields the same values for what replay reads: integers only in the range that orjson
keeps as integers, ``detail`` parsed by orjson itself. The structs hold no cycle, so the garbage
collector does not track them. Every other line (another form, a null, an unknown key, invalid
JSON) raises one of ``REFUSED`` and is parsed by orjson instead, so the verdict is the same
either way (a property test holds the two paths equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

import msgspec
from msgspec import UNSET, Raw, UnsetType

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, SEVERITY_DESCRIPTIONS, SOURCE_DESCRIPTIONS

__all__ = ["REFUSED", "UNSET", "Envelope", "decode"]

# Signed 64 bits: orjson parses these as int (and larger ones as float): others are refused.
_Int = Annotated[int, msgspec.Meta(ge=-(1 << 63), le=(1 << 63) - 1)]


def _coded(kind: str, table: dict[int, str]) -> Any:
    """One struct per code of ``table``, tagged by its id: the description must be the code's
    own (else refused, and the dict path reports the mismatch). ``.code`` is the id."""
    members = tuple(
        msgspec.defstruct(f"{kind}{ident}", [("description", Literal[text])], tag_field="id",
                          tag=ident, namespace={"code": ident}, module=__name__, gc=False)
        for ident, text in table.items()
    )
    return Union[members]  # noqa: UP007 (a union built at run time)


if TYPE_CHECKING:  # built at run time from the code tables; each has ``.code: int``
    TypeCode: TypeAlias = Any
    SourceCode: TypeAlias = Any
    SeverityCode: TypeAlias = Any
else:
    TypeCode = _coded("Type", EVENT_TYPE_DESCRIPTIONS)
    SourceCode = _coded("Source", SOURCE_DESCRIPTIONS)
    SeverityCode = _coded("Severity", SEVERITY_DESCRIPTIONS)


class Ref(msgspec.Struct, gc=False):
    """``organisation`` or ``endpoint``: replay reads only the id."""

    id: _Int


class Sim(msgspec.Struct, gc=False):
    id: _Int
    iccid: str | UnsetType = UNSET


class Present(msgspec.Struct, gc=False):
    """An object whose content replay never reads (``user``, ``imsi``): skipped, not built."""


class Envelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The keys the platform writes (seeds); ``user`` and ``imsi`` only for their presence."""

    id: _Int
    timestamp: str
    event_type: TypeCode
    event_source: SourceCode
    event_severity: SeverityCode
    organisation: Ref
    alert: bool = False
    description: str | UnsetType = UNSET
    user: Present | UnsetType = UNSET
    sim: Sim | UnsetType = UNSET
    endpoint: Ref | UnsetType = UNSET
    imsi: Present | UnsetType = UNSET
    detail: Raw = Raw(b"")  # parsed by orjson when present: its values exactly as orjson's


decode = msgspec.json.Decoder(Envelope).decode
REFUSED = (msgspec.ValidationError, msgspec.DecodeError)
