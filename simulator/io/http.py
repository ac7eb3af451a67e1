"""What crosses HTTP from a stranger: a URL or a header given as an option, a request body.

The streamer and ``fetch`` send to URLs a user types and wait as a server's ``Retry-After``
says, the stand-in and ``listen`` read bodies anyone may send: each of those is read here
once, with one message for one mistake.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import Any

from simulator.io.errors import InputError

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP header name (RFC 9110 token)
_VALUE = re.compile(r"^[\x20-\x7e\t]*$")  # a header value sent as is: printable ASCII


def check_url(url: str, option: str = "--to", error: type[InputError] = InputError) -> str:
    """``url`` if it is an absolute http(s) URL with a host and a port of 1 to 65535; else
    ``error`` (exit 2) naming ``option``."""
    import httpx  # only commands that send over HTTP pay for it

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise error(f"{option} {url!r}: not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise error(f"{option} {url!r}: expected an http:// or https:// URL with a host")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise error(f"{option} {url!r}: port {parsed.port} is not 1 to 65535")
    return url


def parse_headers(specs: Sequence[str]) -> list[tuple[str, str]]:
    """``NAME:VALUE`` strings as header pairs; InputError (exit 2) for anything else."""
    out = []
    for spec in specs:
        name, sep, value = spec.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not _TOKEN.match(name):
            raise InputError(f"--header {spec!r}: expected NAME:VALUE, e.g. "
                             "'Authorization: Bearer abc'")
        if any(c in value for c in "\r\n\0"):
            raise InputError(f"--header {name}: the value must not contain line breaks")
        if not _VALUE.match(value):
            raise InputError(f"--header {name}: the value must be printable ASCII (encode "
                             "other text, e.g. as percent-escapes)")
        out.append((name, value))
    return out


async def read_body(receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
                    limit: int) -> bytes | None:
    """An ASGI request's body, or None as soon as it passes ``limit`` bytes (the rest is not
    read): a chunked body cannot lie about its size, so memory is bounded by the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def retry_after(value: str, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait that a ``Retry-After`` header asks for: a number of seconds, or an HTTP
    date (RFC 9110 §10.2.3; a date in the past means now). None if absent or unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value[:12])
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a time in UTC
        when = when.replace(tzinfo=UTC)
    moment = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - moment).total_seconds())
