"""Options the commands share: numbers that must be finite, sizes with units, reading limits.

click's ``FloatRange`` lets ``nan`` through every bound (a comparison with nan is false) and takes
``inf``; these refuse both, as usage errors (exit 2, one line).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import click

from simulator.io import Limits, format_size, parse_size


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


_DEFAULT = Limits()


def reading_limits(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--spool-limit`` and ``--max-event-size``, handed to ``command`` as one ``limits``:
    every command that reads a log is bounded the same way (README, Limits)."""

    @functools.wraps(command)
    def with_limits(*args: Any, spool_limit: int, max_event_size: int, **kwargs: Any) -> Any:
        return command(*args, limits=Limits(spool=spool_limit, record=max_event_size), **kwargs)

    with_limits = click.option(
        "--max-event-size", type=Size(minimum=1024), default=_DEFAULT.record, metavar="SIZE",
        help="Largest event (a line, or an element of an array); a longer one makes the input "
             f"unreadable (exit 2) [default: {format_size(_DEFAULT.record)}].")(with_limits)
    return click.option(
        "--spool-limit", type=Size(), default=_DEFAULT.spool, metavar="SIZE",
        help="Largest temporary copy a log may need (a JSON array; compressed or piped input "
             "not in ascending time order), e.g. 500M, 4G "
             f"[default: {format_size(_DEFAULT.spool)}].")(with_limits)
