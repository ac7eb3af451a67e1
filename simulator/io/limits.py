"""Bounds on what reading a log may cost, set by the user, never by what the log holds.

A log may be hostile: one line of gigabytes, a gzip bomb, an array that never closes. Memory is
bounded by ``record`` (the largest event read: a line, or an element of an array) and a few
blocks; disk by ``spool`` (the temporary copy that compressed or piped input needs when it must
be read twice: a log not in ascending time order, or a JSON array).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
_UNITS = {"": 1, "B": 1, "K": KIB, "KB": KIB, "KIB": KIB, "M": MIB, "MB": MIB, "MIB": MIB,
          "G": GIB, "GB": GIB, "GIB": GIB, "T": GIB << 10, "TB": GIB << 10, "TIB": GIB << 10}
_SIZE = re.compile(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([A-Za-z]*)\s*", re.ASCII)


@dataclass(frozen=True, slots=True)
class Limits:
    """What reading one log may take (``--spool-limit``, ``--max-event-size``)."""

    spool: int = GIB  # bytes of decompressed or piped input copied to a temporary file
    record: int = 16 * MIB  # bytes of one event: a line, or an element of a JSON array
    block: int = MIB  # bytes read at a time (small in tests, to exercise the seams)

    def __post_init__(self) -> None:
        if self.block < 1 or self.record < 1 or self.spool < 0:
            raise ValueError(f"limits must be positive: {self}")


def parse_size(text: str) -> int:
    """``16M``, ``1.5G``, ``500k``, ``1024`` (bytes; binary units) as a number of bytes.

    >>> parse_size("1.5G") == 3 * 512 * MIB
    True
    """
    match = _SIZE.fullmatch(text)
    unit = match[2].upper() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size, e.g. 500M or 2G")
    return int(float(match[1]) * _UNITS[unit])


def format_size(size: int) -> str:
    """``1 GiB``, ``16 MiB``, ``512 bytes``: the largest binary unit that reads well."""
    for unit, name in ((GIB << 10, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit:
            return f"{size / unit:,.4g} {name}"
    return f"{size:,} bytes"
