"""Option types the commands share: numbers that must be finite, sizes with units.

click's ``FloatRange`` lets ``nan`` through every bound (a comparison with nan is false) and takes
``inf``; these refuse both, as usage errors (exit 2, one line).
"""

from __future__ import annotations

import math
from typing import Any

import click

from simulator.io import format_size, parse_size


class Finite(click.FloatRange):
    """A finite number within the range: ``nan`` and ``inf`` are refused."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = click.FloatRange.convert(self, value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Size(click.ParamType[int]):
    """A number of bytes: ``1024``, ``500K``, ``16M``, ``1.5G`` (binary units)."""

    name = "size"

    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            size = value
        else:
            try:
                size = parse_size(str(value))
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        if size < self.minimum:
            self.fail(f"{value!r} is less than {format_size(self.minimum)}", param, ctx)
        return size
