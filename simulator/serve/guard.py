"""What the stand-in checks before any route: rate limit, body size, trailing slash, OPTIONS.

A plain ASGI middleware, so a refused request costs no routing, no body parsing and no
authentication. The rate limit keys on ``scope["client"]``: the socket's peer, unless the
server was started to trust a proxy's ``X-Forwarded-For`` (``simlife serve --trust-proxy``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import Response

from simulator.io import read_body
from simulator.serve.auth import RateLimiter
from simulator.serve.errors import ApiError, error_response
from simulator.serve.methods import allowed_methods

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """Rate limiting (429 + Retry-After), the body size limit (400), trailing slashes (served,
    not redirected) and OPTIONS (204 with ``Allow``), before any routing."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter | None, max_body: int) -> None:
        self.app = app
        self.limiter = limiter
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if len(path) > 1 and path.endswith("/"):  # /api/v1/event/ is /api/v1/event: no redirect
            scope = dict(scope, path=path.rstrip("/") or "/",
                         raw_path=scope.get("raw_path", b"").rstrip(b"/") or b"/")
        if self.limiter is not None:
            client = scope.get("client") or ("?", 0)
            wait = self.limiter.acquire(str(client[0]))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                await error_response(ApiError(
                    429, f"Too many requests: at most {self.limiter.rate:g} a second; "
                    f"retry after {retry} s", headers={"Retry-After": retry},
                ))(scope, receive, send)
                return
        if scope.get("method") == "OPTIONS" and "app" in scope:
            methods = allowed_methods(scope["app"], scope)
            if methods:
                await Response(status_code=204, headers={"Allow": ", ".join(methods)})(
                    scope, receive, send)
                return
        refusal = self._declared_size(scope)
        if refusal is not None:
            await error_response(refusal)(scope, receive, send)
            return
        # Read the body here (bounded), then hand it on: a chunked body cannot lie about its size.
        body = await read_body(receive, self.max_body)
        if body is None:
            await error_response(self._too_big())(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_big(self) -> ApiError:
        return ApiError(400, f"Request body larger than {self.max_body} bytes")

    def _declared_size(self, scope: Scope) -> ApiError | None:
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return ApiError(400, "Malformed Content-Length")
        return self._too_big() if int(declared) > self.max_body else None
