"""Copy a workspace's events out of the platform's events API into a JSON Lines file.

The API pages newest first and puts new events at the top, and a page past the last returns the
last page again (spec §9): a naive pager repeats and misses events. So the copy pages in a
stable order (``sort=timestamp,id``, oldest first) inside a window fixed before the first
request (``q=from:...,until:...``), and keeps a cursor, the newest timestamp written and the ids
written at it, so that a page that repeats (a shift, or the page past the end) adds nothing
twice. ``from`` and ``until`` go to the API to the second, as it takes them; the exact bounds
are applied here.

A 429 waits for its ``Retry-After`` (at most ``max_wait``), a 5xx or a connection error for an
exponential backoff with jitter, up to ``retries`` times (but an API that refuses the very first
connection is a wrong URL, reported at once); a 401 is answered by authenticating again, once
per request. Anything else the API refuses, and failing to authenticate at all,
raise ``FetchError`` (exit code 2, one line). Events are written as the API gives them, one
JSON value per line; nothing is written until the whole copy succeeds (``simulator.io``).
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from lifecycle.events import EnvelopeError, canonical_timestamp, format_timestamp
from simulator.collect.lines import line, parse
from simulator.io import InputError, atomic_write, check_url, retry_after

DEFAULT_API = "https://cdn.emnify.net"
TOKEN_ENV = "EMNIFY_APPLICATION_TOKEN"
USER_AGENT = "simlife-fetch/1"
PER_PAGE = 1000  # the platform's maximum
EARLIEST = "1970-01-01T00:00:00.000Z"  # ``from`` when no --since: the API needs both bounds
MAX_LINE = 16 << 20  # bytes: an event is a few hundred; a longer line is no event
STALE_PAGES = 3  # full pages in a row that add nothing: the API is handing out old events


class FetchError(InputError):
    """The API cannot be reached, refuses the token, or refuses a request: exit 2."""


@dataclass
class Cursor:
    """Where the copy stands: the newest timestamp written, and the event ids written at it."""

    stamp: str = ""
    ids: set[Any] = field(default_factory=set)

    def admits(self, stamp: str, ident: Any) -> bool:
        """Is an event at ``stamp`` with ``ident`` new? (Then it moves the cursor.)"""
        if stamp < self.stamp or (stamp == self.stamp and ident in self.ids):
            return False
        if stamp > self.stamp:
            self.stamp, self.ids = stamp, set()
        self.ids.add(ident)
        return True


@dataclass
class FetchReport:
    """What a fetch did."""

    api: str
    written: int = 0  # events added to the file
    kept: int = 0  # events the file held before (--resume)
    repeats: int = 0  # events handed out again (page shifts, the page past the end)
    pages: int = 0
    requests: int = 0
    retries: int = 0
    authentications: int = 0
    first: str | None = None  # timestamps of the first and last event written
    last: str | None = None

    def summary(self, output: str) -> str:
        span = f" ({self.first} .. {self.last})" if self.first else ""
        if self.kept:
            head = (f"appended {self.written} new event(s){span} to {output}, which held "
                    f"{self.kept}" if self.written else
                    f"{output} is up to date: no event after its newest ({self.kept} kept)")
        else:
            head = f"fetched {self.written} event(s){span} into {output}"
        return (f"{head}: {self.pages} page(s), {self.requests} request(s), "
                f"{self.retries} retries, {self.repeats} repeat(s) skipped, from {self.api}")


def parse_moment(value: str, option: str, *, end_of_day: bool = False) -> str:
    """A bound given by the user, in canonical form; a date alone is that day's start, or with
    ``end_of_day`` its last millisecond (``--until 2025-01-31`` includes the 31st)."""
    text = value.strip()
    if len(text) == len("2025-01-31"):
        text += "T23:59:59.999Z" if end_of_day else "T00:00:00Z"
    try:
        return canonical_timestamp(text)[0]
    except EnvelopeError:
        raise FetchError(f"{option} {value!r} is not a date or an ISO date-time, e.g. "
                         "2025-01-31 or 2025-01-31T08:00:00Z") from None


def _api_second(stamp: str, *, up: bool) -> str:
    """A canonical timestamp as the API's ``YYYY-MM-DDTHH:mm:ssZ``, rounded down or up."""
    whole = stamp[:19]
    if up and stamp[20:23] != "000":
        moment = datetime.fromisoformat(whole).replace(tzinfo=UTC) + timedelta(seconds=1)
        whole = format_timestamp(moment)[:19]
    return whole + "Z"


def _key(event: Any) -> tuple[str, Any] | None:
    """(canonical timestamp, id) of an event, or None when it has no readable timestamp."""
    if not isinstance(event, dict) or not isinstance(event.get("timestamp"), str):
        return None
    try:
        stamp = canonical_timestamp(event["timestamp"])[0]
    except EnvelopeError:
        return None
    ident = event.get("id")
    return stamp, ident if isinstance(ident, int | str) else repr(ident)


def newest_of(path: Path) -> tuple[Cursor, int, bool]:
    """The cursor after the events a JSON Lines file holds, their count, and whether it ends
    in a newline. InputError if it is not a plain JSON Lines log."""
    cursor, count, ends_clean = Cursor(), 0, True
    try:
        with path.open("rb") as f:
            if f.read(2) == b"\x1f\x8b":
                raise FetchError(f"{path}: gzipped; --resume appends to a plain JSON Lines file")
            f.seek(0)
            number = 0
            while text := f.readline(MAX_LINE + 1):
                number += 1
                ends_clean = text.endswith(b"\n")
                if not text.strip():
                    continue
                try:
                    value = parse(text) if len(text) <= MAX_LINE else None
                except ValueError:
                    value = None
                if not isinstance(value, dict):
                    raise FetchError(f"{path}, line {number}: not an event; --resume appends "
                                     "to a JSON Lines log, one event per line") from None
                key = _key(value)
                count += 1
                if key is not None:
                    cursor.admits(*key)
    except OSError as exc:
        raise FetchError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return cursor, count, ends_clean


class Fetcher:
    """An authenticated, patient client of one workspace's events API."""

    def __init__(
        self,
        api: str,
        token: str,
        *,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        if not token.strip():
            raise FetchError(f"no application token: set {TOKEN_ENV} or give --token")
        self.api = check_url(api, "--api", FetchError).rstrip("/")
        self.token = token.strip()
        self.client = client or httpx.Client(timeout=timeout)
        self._own_client = client is None
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.sleep = sleep
        self._jitter = random.Random(seed)
        self._auth: str | None = None
        self._reached = False  # has the API answered once? (a first connection error is final)
        self.report = FetchReport(self.api)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def authenticate(self) -> None:
        """Exchange the application token for an auth token; FetchError when refused."""
        answer = self._send("POST", "/api/v1/authenticate",
                            json={"application_token": self.token})
        if answer.status_code in (401, 403, 422):
            raise FetchError(f"{self.api} refused the application token "
                             f"(HTTP {answer.status_code}{_said(answer)})")
        self._check(answer, "/api/v1/authenticate")
        try:
            self._auth = str(orjson.loads(answer.content)["auth_token"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise FetchError(f"{self.api}/api/v1/authenticate answered without an "
                             "auth_token") from None
        self.report.authentications += 1

    def get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """GET with the auth token; a 401 authenticates again (once), then FetchError."""
        if self._auth is None:
            self.authenticate()
        answer = self._send("GET", path, params=params)
        if answer.status_code == 401:
            self.authenticate()
            answer = self._send("GET", path, params=params)
            if answer.status_code == 401:
                raise FetchError(f"{self.api}{path}: 401 even after authenticating again"
                                 f"{_said(answer)}")
        self._check(answer, path)
        return answer

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, sent again after a 429, a 5xx or a connection error (see the module)."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self._auth is not None:
            headers["Authorization"] = f"Bearer {self._auth}"
        for attempt in range(self.retries + 1):
            self.report.requests += 1
            wait: float | None = None
            try:
                answer = self.client.request(method, self.api + path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                problem = f"cannot reach {self.api}: {type(exc).__name__}: {exc}"
                if isinstance(exc, httpx.ConnectError) and not self._reached:
                    raise FetchError(problem) from None  # a wrong URL: say so at once
            else:
                self._reached = True
                if answer.status_code != 429 and answer.status_code < 500:
                    return answer
                problem = f"{self.api}{path}: HTTP {answer.status_code}{_said(answer)}"
                wait = (retry_after(answer.headers.get("retry-after", ""))
                        if answer.status_code == 429 else None)
            if attempt == self.retries:
                break
            self.report.retries += 1
            if wait is None:
                base = self.backoff * 2.0**attempt
                wait = base + self._jitter.uniform(0, base / 2)
            self.sleep(min(wait, self.max_wait))
        raise FetchError(problem if self.retries == 0 else
                         f"{problem} (gave up after {self.retries} retries)")

    def _check(self, answer: httpx.Response, path: str) -> None:
        if not 200 <= answer.status_code < 300:
            raise FetchError(f"{self.api}{path}: HTTP {answer.status_code}{_said(answer)}")

    # ------------------------------------------------------------------ paging

    def events(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        sim: int | None = None,
        endpoint: int | None = None,
        cursor: Cursor | None = None,
        per_page: int = PER_PAGE,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Any]:
        """Every event in ``[since, until]`` (canonical timestamps; ``until`` defaults to now)
        after ``cursor``, oldest first, each once. ``progress(done, total)`` after each page.
        """
        until = until or format_timestamp(datetime.now(UTC))
        low = max(since or EARLIEST, cursor.stamp if cursor else "")
        if low > until:
            return
        path = ("/api/v1/event" if sim is None and endpoint is None
                else f"/api/v1/sim/{sim}/event" if sim is not None
                else f"/api/v1/endpoint/{endpoint}/event")
        params = {"per_page": str(per_page), "sort": "timestamp,id",
                  "q": f"from:{_api_second(low, up=False)},until:{_api_second(until, up=True)}"}
        cursor = cursor or Cursor()
        unreadable: set[bytes] = set()  # events without a readable timestamp, seen so far
        done, stale, page = 0, 0, 1
        last_shape: tuple[int, Any, Any] | None = None  # size, first and last key of a page
        while True:
            answer = self.get(path, {**params, "page": str(page)})
            self.report.pages += 1
            try:
                items = parse(answer.content)
            except ValueError:
                raise FetchError(f"{self.api}{path}: page {page} is not JSON") from None
            if not isinstance(items, list):
                raise FetchError(f"{self.api}{path}: page {page} is not a JSON array of events")
            fresh = self._admit(items, low, until, cursor, unreadable, f"{path}, page {page}")
            yield from fresh
            done += len(items)
            if progress is not None:
                progress(done, _int_header(answer, "x-total-count") or done)
            if not items or _past_the_end(answer, page) or _last(answer, len(items), per_page):
                return
            shape = (len(items), _key(items[0]), _key(items[-1]))
            if not fresh and shape == last_shape:
                return  # the last page again: the API's answer to a page past the end
            last_shape = shape
            stale = 0 if fresh else stale + 1
            if stale >= STALE_PAGES:
                return
            page += 1

    def _admit(self, items: list[Any], low: str, until: str, cursor: Cursor,
               unreadable: set[bytes], where: str) -> list[Any]:
        """The events of a page that are in the window and new; repeats are counted."""
        report = self.report
        fresh: list[Any] = []
        previous = ""
        for event in items:
            key = _key(event)
            if key is None:  # no timestamp to place it by: kept once, as the API gave it
                raw = line(event)
                if raw in unreadable:
                    report.repeats += 1
                else:
                    unreadable.add(raw)
                    fresh.append(event)
                continue
            stamp, ident = key
            if stamp < previous:
                raise FetchError(f"{self.api}{where} is not oldest first: the API did not "
                                 "honour sort=timestamp,id")
            previous = stamp
            if stamp < low or stamp > until:
                continue  # outside the window: the API rounds its bounds to the second
            if not cursor.admits(stamp, ident):
                report.repeats += 1
                continue
            fresh.append(event)
            report.first = report.first or stamp
            report.last = stamp
        return fresh


def _said(answer: httpx.Response) -> str:
    """The API's error message, if its JSON body has one."""
    try:
        message = orjson.loads(answer.content).get("message")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return f": {str(message)[:200]}" if message else ""


def _int_header(answer: httpx.Response, name: str) -> int | None:
    value = answer.headers.get(name, "")
    return int(value) if value.isdigit() else None


def _past_the_end(answer: httpx.Response, page: int) -> bool:
    """The API clamped the page number: this is the last page again."""
    current = _int_header(answer, "x-current-page")
    return current is not None and current < page


def _last(answer: httpx.Response, size: int, per_page: int) -> bool:
    """No further page: ``Link`` has no ``next`` (when the API sends ``Link``), or, without
    one, the page is not full."""
    if "link" in answer.headers:
        return "next" not in answer.links
    return size < per_page


# --------------------------------------------------------------------------- into a file


def fetch(
    fetcher: Fetcher,
    output: str | Path,
    *,
    since: str | None = None,
    until: str | None = None,
    sim: int | None = None,
    endpoint: int | None = None,
    resume: bool = False,
    per_page: int = PER_PAGE,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Copy the events into ``output`` (JSON Lines, oldest first), all or nothing.

    ``resume``: keep what ``output`` holds and append only events newer than its newest (a
    missing file is fetched whole); with nothing new the file is left as it was. A failure
    leaves ``output`` as it was, or absent.
    """
    path = Path(output)
    cursor: Cursor | None = None
    ends_clean = True
    report = fetcher.report
    if resume and path.exists():
        cursor, report.kept, ends_clean = newest_of(path)
    fetcher.authenticate()  # a bad token fails here, before any file is touched
    events = fetcher.events(since=since, until=until, sim=sim, endpoint=endpoint, cursor=cursor,
                            per_page=per_page, progress=progress)
    try:
        with atomic_write(path) as out:
            if cursor is not None:
                _copy(path, out, ends_clean)
            for event in events:
                out.write(line(event))
                report.written += 1
            if cursor is not None and not report.written:
                raise _NothingNew
    except _NothingNew:
        pass
    return report


class _NothingNew(Exception):
    """A resume found nothing to add: the file stays as it is (not even rewritten)."""


def _copy(path: Path, out: IO[bytes], ends_clean: bool) -> None:
    with path.open("rb") as old:
        shutil.copyfileobj(old, out, 1 << 20)
    if not ends_clean:
        out.write(b"\n")
