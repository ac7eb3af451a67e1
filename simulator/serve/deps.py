"""What every router shares, as FastAPI dependencies: the world, the caller, a change on the
simulated platform, a page of a list, and JSON answers.

Routes are plain functions (FastAPI runs them in its thread pool); the world's lock makes
concurrent changes safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response

from lifecycle.codes import EndpointStatus, SimStatus
from simulator.platform import Platform
from simulator.serve.auth import AuthError, Credentials, Principal
from simulator.serve.errors import ApiError
from simulator.serve.paging import page_of, paging_headers
from simulator.serve.store import QueryError
from simulator.serve.world import ReadOnly, World

T = TypeVar("T")


def get_world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def get_credentials(request: Request) -> Credentials:
    credentials: Credentials = request.app.state.credentials
    return credentials


def principal(request: Request,
              credentials: Annotated[Credentials, Depends(get_credentials)]) -> Principal:
    """Who calls, from ``Authorization: Bearer <auth_token>`` (401 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization: Bearer <auth_token> is required; get one from "
                       "POST /api/v1/authenticate", 1102,
                       headers={"WWW-Authenticate": "Bearer"})
    try:
        return credentials.verify(token.strip())
    except AuthError as exc:
        raise ApiError(401, exc.message, exc.error_code,
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


WorldDep = Annotated[World, Depends(get_world)]
Caller = Annotated[Principal, Depends(principal)]


@contextmanager
def changing(world: World, who: Principal) -> Iterator[Platform]:
    """The platform, locked, with the caller acting; a recorded log answers 405."""
    try:
        with world.change(who.user) as platform:
            yield platform
    except ReadOnly as exc:
        raise ApiError(405, str(exc)) from None


def json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json",
                    headers=headers)


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)


def status_of(table: type[SimStatus] | type[EndpointStatus], value: int) -> Any:
    """A status id as the enum member; 422 (1401) naming the statuses there are."""
    try:
        return table(value)
    except ValueError:
        known = ", ".join(f"{int(s)} {s.label}" for s in table)
        raise ApiError(422, f"status.id {value} is not one of {known}", 1401) from None


def int_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        if value.isascii() and value.lstrip("-").isdigit():
            return int(value)
    except ValueError:  # more digits than int() reads
        pass
    raise ApiError(422, f"{name} must be an integer, not {value[:40]!r}", 1403)


_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def header_text(value: str) -> str:
    """``value`` as a header can carry it: printable ASCII as is, anything else %-encoded."""
    return quote(value, safe=_PRINTABLE)


def page(request: Request, select: Callable[[str | None, str | None], Sequence[T]], *,
         default: int = 1000, maximum: int = 1000) -> tuple[Sequence[T], dict[str, str]]:
    """One page of what ``select(q, sort)`` gives, and the paging headers (platform rules)."""
    params = request.query_params
    number = int_param(params.get("page"), "page")
    per_page = int_param(params.get("per_page"), "per_page")
    try:
        rows = select(params.get("q"), params.get("sort"))
    except QueryError as exc:
        raise ApiError(422, exc.message, exc.error_code) from None
    chosen = page_of(len(rows), number, per_page, default=default, maximum=maximum)
    headers = paging_headers(str(request.url.replace(query="")), params.multi_items(), chosen)
    if params.get("q"):
        headers["X-Filter"] = header_text(params["q"])
    if params.get("sort"):
        headers["X-Sort"] = header_text(params["sort"])
    return chosen.slice(rows), headers
