"""A local stand-in of the platform's events API: ``create_app(world, credentials)`` (FastAPI).

Serves the events of a simulated fleet (or of a recorded log) per workspace, paged, filtered and
sorted as the platform does, and takes the changes that drive the simulated platform (SIM and
endpoint status, assignment, connectivity reset, deletion, migration between workspaces), whose
events are then served too. Errors are the platform's JSON ``{error_code, error_token,
message}``; malformed or oversized requests get 400 or 422, never 500.

FastAPI is imported only here and in the modules that ``simlife serve`` loads, so ``simlife
validate`` never pays for it. Routes are plain functions (run in the thread pool); the world's
lock makes concurrent changes safe.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, EndpointStatus, SimStatus
from simulator.serve.auth import AuthError, Credentials, Principal, RateLimiter
from simulator.serve.migration import MigrationRefused, migrate
from simulator.serve.models import AuthRequest, EndpointPatch, MigrationRequest, SimPatch
from simulator.serve.paging import page_of, paging_headers
from simulator.serve.store import QueryError, parse_q, parse_sort
from simulator.serve.world import ReadOnly, World

log = logging.getLogger("simlife.serve")

MAX_BODY = 1 << 20  # bytes; 500 SIMs to migrate take ~20 KB

ERROR_TOKENS: dict[int, str] = {
    1101: "InvalidCredentials",
    1102: "InvalidToken",
    1103: "TokenExpired",
    1104: "Forbidden",
    1105: "TooManyRequests",
    1201: "NotFound",
    1301: "InvalidQueryCriteria",
    1302: "InvalidSortCriteria",
    1400: "InputValidationFailed",
    1401: "InvalidReference",
    1402: "Required",
    1403: "InvalidFormat",
    1406: "NotAllowed",
    1502: "DevicesAttached",  # ours: the platform's token for 1502 is not documented
}
STATUS_TOKENS: dict[int, str] = {
    400: "BadRequest", 401: "InvalidToken", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 422: "InputValidationFailed",
    429: "TooManyRequests", 500: "InternalError",
}
STATUS_CODES: dict[int, int] = {401: 1102, 403: 1104, 404: 1201, 422: 1400, 429: 1105}


class ApiError(Exception):
    """Any refusal, answered as the platform's JSON error."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: int | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code if error_code is not None else STATUS_CODES.get(status)
        self.headers = headers
        self.errors = errors


def error_body(status: int, message: str, error_code: int | None,
               errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    token = ERROR_TOKENS.get(error_code or 0) or STATUS_TOKENS.get(status, "Error")
    body: dict[str, Any] = {"error_code": error_code, "error_token": token, "message": message}
    if errors:
        body["errors"] = errors
    return body


def error_response(exc: ApiError) -> Response:
    return Response(
        orjson.dumps(error_body(exc.status, exc.message, exc.error_code, exc.errors)),
        status_code=exc.status,
        media_type="application/json",
        headers=exc.headers,
    )


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json",
                    headers=headers)


def refused(exc: Exception) -> ApiError:
    """platform.Refused(http_status, message, error_code) as an ApiError."""
    return ApiError(int(getattr(exc, "http_status", 400)), str(getattr(exc, "message", exc)),
                    getattr(exc, "error_code", None))


# --------------------------------------------------------------------------- ASGI guard

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """Rate limiting (429 + Retry-After), the body size limit and trailing slashes, before any
    routing."""

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
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = ApiError(400, f"Request body larger than {self.max_body} bytes")
        if declared is not None:
            if not declared.isdigit():
                await error_response(ApiError(400, "Malformed Content-Length"))(
                    scope, receive, send)
                return
            if int(declared) > self.max_body:
                await error_response(too_big)(scope, receive, send)
                return
        # Read the body here (bounded), then hand it on: a chunked body cannot lie about its size.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await error_response(too_big)(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# --------------------------------------------------------------------------- the app


def create_app(
    world: World,
    credentials: Credentials,
    *,
    rate_limit: float | None = None,
    limiter: RateLimiter | None = None,
    max_body: int = MAX_BODY,
) -> FastAPI:
    """The stand-in for ``world``; ``rate_limit`` in requests per second per client (or a
    ready ``limiter``, e.g. with a test clock)."""
    app = FastAPI(
        title="simlife events API stand-in",
        description="A local stand-in of the platform's events API, driven by a simulated "
        "platform.",
        version="1",
    )
    app.state.world = world
    app.state.credentials = credentials
    if limiter is None and rate_limit:
        limiter = RateLimiter(rate_limit)
    app.add_middleware(Guard, limiter=limiter, max_body=max_body)
    _handlers(app)

    def principal(request: Request) -> Principal:
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

    Caller = Depends(principal)

    @app.post("/api/v1/authenticate", tags=["auth"])
    def authenticate(body: AuthRequest) -> Response:
        """Exchange an application token (or username and SHA-1 password) for an auth_token."""
        try:
            if body.application_token is not None:
                who = credentials.by_application_token(body.application_token)
            elif body.username is not None and body.password is not None:
                who = credentials.by_password(body.username, body.password)
            else:
                raise ApiError(422, "application_token (or username and password) is required",
                               1402)
        except AuthError as exc:
            raise ApiError(401, exc.message, exc.error_code) from None
        return _json({"auth_token": credentials.issue(who)})

    def page(request: Request, who: Principal, *, sim: int | None = None,
             endpoint: int | None = None) -> Response:
        params = request.query_params
        number = _int_param(params.get("page"), "page")
        per_page = _int_param(params.get("per_page"), "per_page")
        try:
            query = parse_q(params.get("q"))
            sort = parse_sort(params.get("sort"))
        except QueryError as exc:
            raise ApiError(422, exc.message, exc.error_code) from None
        rows = world.store.select(who.workspace, query, sort, sim=sim, endpoint=endpoint)
        chosen = page_of(len(rows), number, per_page)
        headers = paging_headers(str(request.url.replace(query="")),
                                 params.multi_items(), chosen)
        if params.get("q"):
            headers["X-Filter"] = _header_text(params["q"])
        if params.get("sort"):
            headers["X-Sort"] = _header_text(params["sort"])
        body = b"[" + b",".join(row.body for row in chosen.slice(rows)) + b"]"
        return Response(body, media_type="application/json", headers=headers)

    @app.get("/api/v1/event", tags=["events"])
    def events(request: Request, who: Principal = Caller) -> Response:
        """The workspace's events, newest first; ``page``, ``per_page``, ``sort``, ``q``."""
        return page(request, who)

    @app.get("/api/v1/event/type", tags=["events"])
    def event_types(who: Principal = Caller) -> Response:
        return _json([{"id": i, "description": d} for i, d in EVENT_TYPE_DESCRIPTIONS.items()])

    @app.get("/api/v1/sim/status", tags=["sim"])
    def sim_statuses(who: Principal = Caller) -> Response:
        return _json([{"id": int(s), "description": s.label} for s in SimStatus])

    @app.get("/api/v1/endpoint/status", tags=["endpoint"])
    def endpoint_statuses(who: Principal = Caller) -> Response:
        return _json([{"id": int(s), "description": s.label} for s in EndpointStatus])

    @app.get("/api/v1/sim/{sim_id}/event", tags=["sim"])
    def sim_events(sim_id: int, request: Request, who: Principal = Caller) -> Response:
        """A SIM's events (an unknown SIM has none: 200 ``[]``, as on the platform)."""
        return page(request, who, sim=sim_id)

    @app.get("/api/v1/endpoint/{endpoint_id}/event", tags=["endpoint"])
    def endpoint_events(endpoint_id: int, request: Request, who: Principal = Caller) -> Response:
        return page(request, who, endpoint=endpoint_id)

    @app.get("/api/v1/sim/{sim_id}", tags=["sim"])
    def sim(sim_id: int, who: Principal = Caller) -> Response:
        view = world.sim_view(who.workspace, sim_id)
        if view is None:
            raise ApiError(404, f"SIM with id {sim_id} not found")
        return _json(view)

    @app.get("/api/v1/endpoint/{endpoint_id}", tags=["endpoint"])
    def endpoint(endpoint_id: int, who: Principal = Caller) -> Response:
        view = world.endpoint_view(who.workspace, endpoint_id)
        if view is None:
            raise ApiError(404, f"Endpoint with id {endpoint_id} not found")
        return _json(view)

    def owned(platform: Any, kind: str, ident: int, who: Principal) -> None:
        table = platform.sims if kind == "SIM" else platform.endpoints
        record = table.get(ident)
        if record is None or record.workspace != who.workspace:
            raise ApiError(404, f"{kind} with id {ident} not found")

    def act(who: Principal, kind: str, ident: int, op: Callable[[Any], None]) -> Response:
        refusal = _refusal_type()
        try:
            with world.change(who.user) as platform:
                owned(platform, kind, ident, who)
                op(platform)
        except ReadOnly as exc:
            raise ApiError(405, str(exc)) from None
        except refusal as exc:
            raise refused(exc) from None
        return Response(status_code=204)

    @app.patch("/api/v1/sim/{sim_id}", status_code=204, tags=["sim"])
    def patch_sim(sim_id: int, body: SimPatch, who: Principal = Caller) -> Response:
        """Change a SIM's status: ``{"status": {"id": N}}``."""
        status = _enum(SimStatus, body.status.id, "status")
        return act(who, "SIM", sim_id, lambda p: p.set_status(sim_id, status))

    @app.delete("/api/v1/sim/{sim_id}", status_code=204, tags=["sim"])
    def delete_sim(sim_id: int, who: Principal = Caller) -> Response:
        return act(who, "SIM", sim_id, lambda p: p.delete_sim(sim_id))

    @app.patch("/api/v1/endpoint/{endpoint_id}", status_code=204, tags=["endpoint"])
    def patch_endpoint(endpoint_id: int, body: EndpointPatch,
                       who: Principal = Caller) -> Response:
        """``{"status": {"id": N}}``, or ``{"sim": {"id": X}}`` / ``{"sim": null}``."""
        given = body.model_fields_set & {"status", "sim"}
        if len(given) != 1:
            raise ApiError(422, "give exactly one of status and sim (change them in separate "
                           "requests)", 1400)
        if "status" in given:
            if body.status is None:
                raise ApiError(422, 'status must be {"id": N}', 1403)
            status = _enum(EndpointStatus, body.status.id, "status")
            return act(who, "Endpoint", endpoint_id,
                       lambda p: p.set_endpoint_status(endpoint_id, status))
        target = body.sim.id if body.sim is not None else None
        if target is None:
            return act(who, "Endpoint", endpoint_id, lambda p: p.release(endpoint_id))

        def assign(platform: Any) -> None:
            owned(platform, "SIM", target, who)
            platform.assign(endpoint_id, target)

        return act(who, "Endpoint", endpoint_id, assign)

    @app.delete("/api/v1/endpoint/{endpoint_id}", status_code=204, tags=["endpoint"])
    def delete_endpoint(endpoint_id: int, who: Principal = Caller) -> Response:
        return act(who, "Endpoint", endpoint_id, lambda p: p.delete_endpoint(endpoint_id))

    @app.patch("/api/v1/endpoint/{endpoint_id}/connectivity", status_code=204,
               tags=["endpoint"])
    def reset_connectivity(endpoint_id: int, who: Principal = Caller) -> Response:
        """Reset the device's connectivity (the body, if any, is not needed)."""
        return act(who, "Endpoint", endpoint_id, lambda p: p.reset_connectivity(endpoint_id))

    @app.post("/api/v1/sim/migration/workspace", tags=["sim"])
    def migration(body: MigrationRequest, who: Principal = Caller) -> Response:
        """Move up to 500 SIMs to another workspace; a dry run unless ``dry_run`` is false."""
        if who.user is None:
            raise ApiError(403, "Migrating SIMs needs user credentials: application tokens are "
                           "scoped to a single workspace", 1104)
        try:
            answer = migrate(world, who, body)
        except MigrationRefused as exc:
            raise ApiError(exc.http_status, exc.message, exc.error_code,
                           errors=exc.errors) from None
        except ReadOnly as exc:
            raise ApiError(405, str(exc)) from None
        except _refusal_type() as exc:
            raise refused(exc) from None
        return _json(answer)

    return app


_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def _header_text(value: str) -> str:
    """``value`` as a header can carry it: printable ASCII as is, anything else %-encoded."""
    return quote(value, safe=_PRINTABLE)


def _int_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(422, f"{name} must be an integer, not {value[:40]!r}", 1403) from None


def _enum(table: type[SimStatus] | type[EndpointStatus], value: int, name: str) -> Any:
    try:
        return table(value)
    except ValueError:
        known = ", ".join(f"{int(s)} {s.label}" for s in table)
        raise ApiError(422, f"{name}.id {value} is not one of {known}", 1401) from None


def _refusal_type() -> type[Exception]:
    from simulator.platform import Refused

    return Refused


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error_response(ApiError(400, "The request body is not valid JSON", 1403))
        errors = [
            {"error_code": 1403, "error_token": "InvalidFormat",
             "message": "/".join(str(part) for part in p.get("loc", ())) + ": "
             + str(p.get("msg", "invalid"))}
            for p in problems
        ]
        return error_response(ApiError(422, "Input validation failed", 1400, errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        return error_response(ApiError(exc.status_code, message,
                                       headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(ApiError(500, "Internal error in the stand-in (logged)"))
