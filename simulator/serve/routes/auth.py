"""``POST /api/v1/authenticate``: an application token, or a user's name and SHA-1 password,
for an auth token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from simulator.serve.auth import AuthError, Credentials
from simulator.serve.deps import get_credentials, json
from simulator.serve.errors import EVERY_ROUTE, ApiError, responses
from simulator.serve.models import AuthRequest

router = APIRouter(tags=["auth"], responses=responses(*EVERY_ROUTE, 401, 422))


@router.post("/api/v1/authenticate")
def authenticate(body: AuthRequest,
                 credentials: Annotated[Credentials, Depends(get_credentials)]) -> Response:
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
    return json({"auth_token": credentials.issue(who)})
