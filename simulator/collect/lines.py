"""Events as the platform sent them, one JSON value per line: parsed and written back unchanged
but for whitespace (key order and values kept).

orjson does it at C speed; an integer beyond 64 bits, which it refuses, takes the standard
library's slower path instead, so no event is lost for the width of a number.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def parse(data: bytes | str) -> Any:
    """The JSON value of ``data``; ValueError (orjson's or json's) when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data, parse_constant=_not_json)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def line(value: Any) -> bytes:
    """``value`` as one line of compact JSON, newline included."""
    try:
        return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
