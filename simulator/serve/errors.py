"""The stand-in's refusals: the platform's JSON error, one table of codes, and the OpenAPI
``responses`` every router declares from that one table.

Every refusal, whatever raised it (a route, the simulated platform, FastAPI's validation, the
guard in front of the routes), is answered as ``{"error_code", "error_token", "message"}`` plus
``errors`` for validation details, never as a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from simulator.platform import Refused
from simulator.serve.methods import allowed_methods

log = logging.getLogger("simlife.serve")

ERROR_TOKENS: dict[int, str] = {
    1000: "BadRequest",
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
    1405: "Duplicated",
    1406: "NotAllowed",
    1502: "DevicesAttached",  # ours: the platform's token for 1502 is not documented
    1601: "Unavailable",
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


def refused(exc: Refused) -> ApiError:
    """The simulated platform's refusal, with its HTTP status and error code."""
    return ApiError(exc.http_status, exc.message, exc.error_code,
                    errors=getattr(exc, "errors", None))


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


# --------------------------------------------------------------------------- OpenAPI


class ErrorDetail(BaseModel):
    error_code: int | None
    error_token: str
    message: str


class ErrorBody(BaseModel):
    """The platform's error answer."""

    error_code: int | None
    error_token: str
    message: str
    errors: list[ErrorDetail] | None = None


MEANINGS: dict[int, str] = {
    400: "Malformed request: body not JSON or over the size limit, an id that is not a "
         "number, or a change the lifecycle forbids",
    401: "No, invalid or expired auth token (1102, 1103) or wrong credentials (1101)",
    403: "Needs user credentials (1104)",
    404: "No such resource in the caller's workspace (1401), or no such route",
    405: "The stand-in serves a recorded log: it takes no changes",
    409: "Conflict with the current state: a SIM or device taken, a duplicate",
    422: "Input validation failed (1400-1406), unknown filter or sort (1301, 1302)",
    429: "Rate limit exceeded (1105); Retry-After says when to come back",
}
EVERY_ROUTE = (400, 429)  # the guard answers these before any route
AUTHENTICATED = (*EVERY_ROUTE, 401)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a router: the statuses its routes answer, all in one shape."""
    return {status: {"model": ErrorBody, "description": MEANINGS[status]}
            for status in sorted(set(statuses))}


# --------------------------------------------------------------------------- handlers


def _bad_path(problems: list[dict[str, Any]]) -> str | None:
    """The recorded 400 for an id that is not a number (``Cannot parse parameter id``)."""
    for problem in problems:
        loc = problem.get("loc", ())
        if len(loc) == 2 and loc[0] == "path":
            return f"Cannot parse parameter {loc[1]} as Long: {str(problem.get('input'))[:40]!r}"
    return None


def install_handlers(app: FastAPI) -> None:
    """Every exception a request can raise becomes the platform's JSON error."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(Refused)
    async def platform_refusal(request: Request, exc: Refused) -> Response:
        return error_response(refused(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = list(exc.errors())
        if any(p.get("type") == "json_invalid" for p in problems):
            return error_response(ApiError(400, "The request body is not valid JSON", 1403))
        path = _bad_path(problems)
        if path is not None:
            return error_response(ApiError(400, path, 1000))
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
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path takes, not only one route's
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return error_response(ApiError(exc.status_code, message, headers=headers))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(ApiError(500, "Internal error in the stand-in (logged)"))
