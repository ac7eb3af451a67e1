"""Receive the Data Streamer's webhook and append every event it delivers to a JSON Lines file.

The platform POSTs one event object per request, or in bulk mode a JSON array of events (spec
§9); events that pass through Keen carry an extra ``keen`` object, which is kept like any other
key. Delivery is at least once: a sender that gets no 2xx sends again. So each delivery is
appended, one event per line as received, flushed and fsynced *before* the 2xx: an event that
was acknowledged is on disk, and one that was not will come again. Duplicates are kept
(``simlife validate`` counts them once, as ``duplicate-delivery``). A body that is not JSON, or
not an object or an array of objects, gets 400 and nothing is written; a body over
``max_body`` bytes gets 413; a request without the required headers gets 401.

A plain ASGI application (one route, no framework); ``simlife listen`` serves it with uvicorn.
"""

from __future__ import annotations

import hmac
import os
import socket
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from simulator.collect.lines import line, parse
from simulator.io import InputError, read_body

DEFAULT_MAX_BODY = 32 << 20  # bytes: a bulk delivery of several thousand events

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Receiver:
    """The webhook receiver (an ASGI app) appending to ``path``; ``close()`` when done.

    ``headers``: (name, value) pairs every request must carry, compared in constant time.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 headers: Sequence[tuple[str, str]] = (),
                 max_body: int = DEFAULT_MAX_BODY) -> None:
        self.path = Path(path)
        self.required = [(name.lower().encode(), value.encode()) for name, value in headers]
        self.max_body = max_body
        self.events = 0  # events written
        self.deliveries = 0  # requests acknowledged with a 2xx
        self.refused = 0  # requests answered 4xx or 5xx
        self.dropped = 0  # bytes of a torn last line found at start (see ``_open``)
        self._file = self._open()

    def _open(self) -> BinaryIO:
        """Open for appending. A last line without its newline is a delivery that a crash cut
        short: it was never acknowledged, so it comes again; it is cut off here."""
        try:
            f = self.path.open("a+b")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        torn = _torn_tail(f)
        if torn:
            f.truncate(f.seek(0, os.SEEK_END) - torn)
            self.dropped = torn
        f.seek(0, os.SEEK_END)
        return f

    def close(self) -> None:
        self._file.close()

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        status, answer = await self._handle(scope, receive)
        if status >= 300:
            self.refused += 1
        body = orjson.dumps(answer)
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        if status == 405:
            headers.append((b"allow", b"POST"))
        if status == 401:
            headers.append((b"www-authenticate", b"Header"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        if scope["method"] != "POST":
            return 405, {"error": "POST the events here"}
        given = dict(scope.get("headers") or [])
        for name, value in self.required:
            if not hmac.compare_digest(given.get(name, b""), value):
                return 401, {"error": f"header {name.decode()} missing or wrong"}
        body = await read_body(receive, self.max_body)
        if body is None:
            return 413, {"error": f"body larger than {self.max_body} bytes"}
        try:
            value = parse(body)
        except ValueError as exc:
            return 400, {"error": f"not JSON: {str(exc)[:200]}"}
        events = value if isinstance(value, list) else [value]
        if not all(isinstance(event, dict) for event in events):
            return 400, {"error": "expected an event object, or an array of event objects"}
        try:
            self._append(events)
        except OSError as exc:
            return 507, {"error": f"cannot write: {exc.strerror or exc}"}
        self.deliveries += 1
        self.events += len(events)
        return 200, {"received": len(events)}

    def _append(self, events: list[Any]) -> None:
        """All of a delivery's lines, on disk before the answer; on failure none of them."""
        if not events:
            return
        data = b"".join(map(line, events))
        f = self._file
        start = f.tell()
        try:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            f.truncate(start)
            f.seek(start)
            raise


def _torn_tail(f: BinaryIO) -> int:
    """How many bytes follow the file's last newline (read backwards, 64 KiB at a time)."""
    end = pos = f.seek(0, os.SEEK_END)
    while pos > 0:
        start = max(0, pos - 65536)
        f.seek(start)
        newline = f.read(pos - start).rfind(b"\n")
        if newline >= 0:
            return end - (start + newline + 1)
        pos = start
    return end


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: a free one); InputError when it cannot be had."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock
