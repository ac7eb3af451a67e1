"""A synchronous httpx transport over an ASGI app: the apps run in process, no socket opened."""

from __future__ import annotations

from typing import Any

import anyio.from_thread
import httpx


class AppTransport(httpx.BaseTransport):
    """A synchronous httpx transport over an ASGI app (an anyio portal runs its event loop)."""

    def __init__(self, app: Any) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self.inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            answer = await self.inner.handle_async_request(request)
            return httpx.Response(answer.status_code, headers=answer.headers,
                                  content=await answer.aread(), request=request)

        return self.portal.call(send)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)
