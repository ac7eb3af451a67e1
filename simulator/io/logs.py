"""Reading recorded event logs in replay order with bounded memory, disk and time.

A log is JSON Lines (one event per line, blank lines ignored, ``simulator.io.lines``) or one
JSON array (several arrays one after another, as pages saved in a row, are read as one log:
``simulator.io.arrays``); either may be gzipped, which is recognised by its magic bytes, not by
the file name, and either may come from standard input (``-``). The platform's API returns
pages newest first, so the order is detected from the timestamps (``simulator.io.order``) and
the events are handed out in ascending ``(timestamp, file order)``; a descending log is handed
out exactly reversed, so ties keep file order in an ascending log and reverse file order in a
descending one (spec §6). A log in neither order is sorted (stable) and says so in
``EventLog.order_note`` (the ``time-order`` warning).

What reading may take is bounded by ``Limits``, whatever the log holds: an event (a line or an
array element) longer than ``Limits.record``, or input that needs a temporary copy larger than
``Limits.spool``, is an input error, and so are a missing file, a directory, unreadable or
truncated gzip data, and binary data (a NUL byte or invalid UTF-8 after decompression). Each
raises ``InputError`` with a one-line message naming the file, before any event is handed out
(from ``stream``: before the block that holds them). The input file is never written to.
"""

from __future__ import annotations

import os

from simulator.io.arrays import ArrayLog
from simulator.io.limits import Limits
from simulator.io.lines import LinesLog
from simulator.io.order import Order, line_stamp
from simulator.io.records import Batch, EventLog, Malformed, Record, not_json
from simulator.io.sources import Source

__all__ = [
    "Batch", "EventLog", "Limits", "Malformed", "Order", "Record", "line_stamp", "not_json",
    "open_log",
]

DEFAULT_LIMITS = Limits()


def open_log(source: str | os.PathLike[str], *, scan: bool = True,
             limits: Limits = DEFAULT_LIMITS) -> EventLog:
    """Open a log file, ``-`` for standard input; pass 1 (checks, order) runs here.

    ``scan=False``: a JSON Lines log skips pass 1 until ``batches`` (or iteration) needs it, so
    that ``stream`` can hand its lines out in file order first (a JSON array always runs it).

    >>> with open_log("tests/data/seed-examples.jsonl") as log:   # doctest: +SKIP
    ...     for record in log:                       # (value, line) or Malformed(line, message)
    ...         ...
    """
    data = Source(source, limits)
    try:
        if data.peek(limits.record) == b"[":
            return ArrayLog(data, limits)
        return LinesLog(data, limits, scan=scan)
    except BaseException:
        data.close()
        raise
