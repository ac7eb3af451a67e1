"""Collecting a real platform's events into a log: pulled from the events API, or pushed to us.

``fetch`` copies a workspace's events out of the API (``Fetcher`` is the authenticated, patient
client: stable paging in a fixed window, 429 and 401 handled), oldest first, each once, into a
JSON Lines file written all or nothing, or appended to with ``resume``. ``Receiver`` is the other
direction: the ASGI app that takes the Data Streamer's webhook deliveries and appends each to a
file before acknowledging it. This wing is the platform's consumer side; ``simulator.serve`` is
its stand-in.
"""

from simulator.collect.fetch import (
    DEFAULT_API,
    TOKEN_ENV,
    Cursor,
    Fetcher,
    FetchError,
    FetchReport,
    fetch,
    parse_moment,
)
from simulator.collect.listen import DEFAULT_MAX_BODY, Receiver, bind

__all__ = [
    "DEFAULT_API",
    "DEFAULT_MAX_BODY",
    "TOKEN_ENV",
    "Cursor",
    "FetchError",
    "FetchReport",
    "Fetcher",
    "Receiver",
    "bind",
    "fetch",
    "parse_moment",
]
