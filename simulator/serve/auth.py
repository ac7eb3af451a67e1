"""Credentials, auth tokens and rate limiting of the stand-in. No FastAPI here.

As on the platform, an application token is scoped to one workspace and its calls carry no user;
user credentials (username and the SHA-1 hex of the password, as the platform expects) act in
the user's default workspace and are what a migration needs. Each workspace's first user has an
account (its password drawn at start), so a migration can start from any workspace without a
workspace switch. Tokens that are not
given are drawn with ``secrets`` at start and printed: a token derived from a public seed would
be no secret, and a stand-in should not teach integrations to treat tokens as guessable.

``auth_token`` is an HS256 JWT signed with a key drawn at start, valid for 240 minutes like the
platform's; verification recomputes the signature and compares in constant time, so no table of
issued tokens grows. Secrets are always compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

TOKEN_LIFETIME = 240 * 60  # seconds, as the platform's auth_token


@dataclass(frozen=True)
class User:
    """A person's account: the first user of ``workspace`` on the simulated platform."""

    id: int
    name: str
    username: str
    workspace: int  # the user's default workspace, where their auth_token acts
    password: str  # clear text, printed at start; the API takes its SHA-1 hex

    def as_event_user(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "username": self.username}


@dataclass(frozen=True)
class Principal:
    """Who calls: the workspace it acts in and, for user credentials, the user."""

    workspace: int
    user: User | None


class AuthError(Exception):
    """401 with the platform's code: 1101 InvalidCredentials, 1102 InvalidToken, 1103 expired."""

    def __init__(self, message: str, error_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass
class Credentials:
    """Application tokens by workspace (in workspace order) and the user accounts."""

    tokens: dict[int, str]
    users: list[User] = field(default_factory=list)
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clock: Callable[[], float] = time.time

    @classmethod
    def create(
        cls,
        workspaces: Sequence[int],
        *,
        first_token: str | None = None,
        users: Sequence[User] = (),
    ) -> Credentials:
        """One fresh application token per workspace; ``first_token`` for the first one."""
        tokens = {ws: secrets.token_urlsafe(32) for ws in workspaces}
        if first_token is not None and workspaces:
            tokens[workspaces[0]] = first_token
        return cls(tokens=tokens, users=list(users))

    # ------------------------------------------------------------------ authenticate

    def by_application_token(self, given: str) -> Principal:
        found: int | None = None
        for workspace, token in self.tokens.items():  # no early exit: constant time per token
            if _same(given, token):
                found = workspace
        if found is None:
            raise AuthError("Invalid application token", 1101)
        return Principal(found, None)

    def by_password(self, username: str, password_sha1: str) -> Principal:
        found: User | None = None
        for user in self.users:
            digest = hashlib.sha1(user.password.encode("utf-8")).hexdigest()
            name_ok = _same(username.lower(), user.username.lower())
            if _same(password_sha1.lower(), digest) & name_ok:
                found = user
        if found is None or found.workspace not in self.tokens:
            raise AuthError("Invalid username or password", 1101)
        return Principal(found.workspace, found)

    # ------------------------------------------------------------------ auth tokens

    def issue(self, principal: Principal) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "esc": principal.workspace,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": secrets.token_hex(8),
        }
        if principal.user is not None:
            claims["usr"] = principal.user.id
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._sign(header, payload)}"

    def _sign(self, header: str, payload: str) -> str:
        digest = hmac.new(self.key, f"{header}.{payload}".encode("ascii"), hashlib.sha256)
        return _b64(digest.digest())

    def verify(self, token: str) -> Principal:
        parts = token.split(".")
        if len(parts) != 3 or not all(p.isascii() for p in parts):
            raise AuthError("Invalid auth token", 1102)
        header, payload, signature = parts
        if not _same(signature, self._sign(header, payload)):
            raise AuthError("Invalid auth token", 1102)
        try:
            claims = json.loads(_unb64(payload))
            workspace, expires = int(claims["esc"]), int(claims["exp"])
            user_id = claims.get("usr")
        except (ValueError, KeyError, TypeError):
            raise AuthError("Invalid auth token", 1102) from None
        if expires <= self.clock():
            raise AuthError("Auth token expired: authenticate again", 1103)
        if workspace not in self.tokens:
            raise AuthError("Invalid auth token", 1102)
        user = next((u for u in self.users if u.id == user_id and u.workspace == workspace),
                    None)
        if user_id is not None and user is None:
            raise AuthError("Invalid auth token", 1102)
        return Principal(workspace, user)


# --------------------------------------------------------------------------- rate limiting


def parse_rate(text: str) -> float:
    """``N/s``, ``N/m`` or ``N`` (per second) as requests per second; ValueError otherwise."""
    number, _, unit = text.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}.get(unit.strip().lower())
    try:
        rate = float(number)
    except ValueError:
        rate = math.nan
    if per is None or not rate > 0 or math.isinf(rate):
        raise ValueError(f"rate limit {text!r}: expected N/s or N/m with N > 0, e.g. 20/s")
    return rate / per


class RateLimiter:
    """A token bucket per client: ``rate`` requests a second, bursts up to max(1, rate).

    Buckets live in least-recently-used order; a bucket that has refilled is the same as no
    bucket, so each request drops the refilled ones at the old end (amortised O(1)), and past
    ``max_clients`` the least recently used goes too: memory is bounded however many client
    addresses a caller can show.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 10_000) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.clock = clock
        self.max_clients = max_clients
        self.refill = self.capacity / rate  # seconds for an empty bucket to be full again
        self._buckets: dict[str, tuple[float, float]] = {}  # oldest use first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, client: str) -> float:
        """0 when the request may go ahead, otherwise the seconds until it could."""
        with self._lock:
            now = self.clock()
            buckets = self._buckets
            tokens, then = buckets.pop(client, (self.capacity, now))
            self._expire(now)
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            buckets[client] = (tokens, now)
            return wait

    def _expire(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            oldest = next(iter(buckets))
            if len(buckets) < self.max_clients and now - buckets[oldest][1] < self.refill:
                return
            del buckets[oldest]
