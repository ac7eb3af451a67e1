"""``simlife fetch``: against the events-API stand-in in process (its ASGI app behind a sync httpx
transport, no socket), against ``simlife serve`` in a subprocess on 127.0.0.1, and against
scripted answers (httpx.MockTransport) for what the stand-in does not do on demand."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.collect import Cursor, Fetcher, FetchError, fetch
from simulator.serve import World, create_app
from simulator.serve.auth import TOKEN_LIFETIME, RateLimiter
from simulator.serve.store import parse_q, parse_sort
from tests.asgi import AppTransport

TOKEN = "tok-1"
SIMLIFE = [sys.executable, "-c", "from simulator.cli import main; main()"]
API = "http://testserver"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _world() -> World:
    world = World.from_fleet(sims=60, seed=5)
    world.realtime = False  # timestamps move only when a test makes them
    return world


def _expected(world: World, workspace: int) -> list[dict[str, Any]]:
    """The workspace's events oldest first, as the stand-in orders them (timestamp, id)."""
    rows = world.store.select(workspace, parse_q(None), parse_sort("timestamp,id"))
    return [orjson.loads(r.body) for r in rows]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


OPEN: list[AppTransport] = []


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def _client(world: World, *, hook: Callable[[httpx.Response], None] | None = None,
            rate: float | None = None, clock: Callable[[], float] | None = None
            ) -> httpx.Client:
    creds = world.credentials(first_token=TOKEN)
    if clock is not None:
        creds.clock = clock
    limiter = RateLimiter(rate, clock=clock) if rate and clock else None
    transport = AppTransport(create_app(world, creds, limiter=limiter))
    OPEN.append(transport)
    return httpx.Client(transport=transport, event_hooks={"response": [hook] if hook else []})


def _fetcher(client: httpx.Client, sleeps: list[float] | None = None, **options: Any) -> Fetcher:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return Fetcher(API, TOKEN, client=client, sleep=record, seed=1, **options)


# --------------------------------------------------------------------------- the stand-in


def test_copies_every_event_of_the_workspace_once_oldest_first(tmp_path: Path) -> None:
    world = _world()
    client = _client(world)
    out = tmp_path / "events.jsonl"
    report = fetch(_fetcher(client), out, per_page=37)
    expected = _expected(world, next(iter(world.workspaces)))
    assert len(expected) > 200  # several pages
    assert _lines(out) == expected
    assert report.written == len(expected) and report.repeats == 0
    assert report.pages == -(-len(expected) // 37)
    stamps = [e["timestamp"] for e in _lines(out)]
    assert stamps == sorted(stamps)


def test_events_arriving_meanwhile_shift_pages_but_nothing_repeats_or_goes_missing(
        tmp_path: Path) -> None:
    """Between pages, events land before the cursor (late, old timestamps), inside the rest of
    the window and after it: the copy holds the window's events once each, in order."""
    world = _world()
    workspace = next(iter(world.workspaces))
    before = _expected(world, workspace)
    until = before[-40]["timestamp"]
    window = [e for e in before if e["timestamp"] <= until]
    template = before[0]
    next_id = [10**15]
    pages = [0]

    def inject(response: httpx.Response) -> None:
        if "/api/v1/event" not in str(response.request.url):
            return
        pages[0] += 1
        for stamp in (before[3]["timestamp"],  # before the cursor: shifts every later page
                      "2000-01-01T00:00:00.000Z",  # outside the window, at the start
                      "2099-01-01T00:00:00.000Z"):  # after it
            next_id[0] += 1
            world.store.append(dict(template, id=next_id[0], timestamp=stamp))

    client = _client(world, hook=inject)
    out = tmp_path / "events.jsonl"
    report = fetch(_fetcher(client), out, until=until, per_page=25)
    assert pages[0] > 5
    got = _lines(out)
    ids = [e["id"] for e in got]
    assert len(ids) == len(set(ids))
    assert [e for e in got if e["id"] < 10**15] == window
    assert report.repeats > 0  # the shifts were seen, and skipped


def test_a_page_past_the_end_is_the_last_page_again_and_adds_nothing(tmp_path: Path) -> None:
    """Without Link and page headers, the pager stops on a short page or on a page that only
    repeats: asking past the end gives the last page again (the stand-in, headers removed)."""
    world = _world()
    expected = _expected(world, next(iter(world.workspaces)))
    per_page = len(expected) // 4  # the last page is full only by chance: make it so
    while len(expected) % per_page:
        per_page += 1

    def strip(response: httpx.Response) -> None:
        for name in ("link", "x-current-page", "x-total-pages", "x-total-count"):
            if name in response.headers:
                del response.headers[name]

    client = _client(world, hook=strip)
    out = tmp_path / "events.jsonl"
    report = fetch(_fetcher(client), out, per_page=per_page)
    assert _lines(out) == expected
    assert report.repeats == per_page  # the last page, handed out again, once


def test_since_until_and_one_sims_events(tmp_path: Path) -> None:
    world = _world()
    client = _client(world)
    expected = _expected(world, next(iter(world.workspaces)))
    since, until = expected[100]["timestamp"], expected[200]["timestamp"]
    out = tmp_path / "window.jsonl"
    fetch(_fetcher(client), out, since=since, until=until)
    assert _lines(out) == [e for e in expected if since <= e["timestamp"] <= until]
    sim = next(e["sim"]["id"] for e in expected if "sim" in e)
    out = tmp_path / "sim.jsonl"
    fetch(_fetcher(client), out, sim=sim)
    mine = _lines(out)
    assert mine and all(e.get("sim", {}).get("id") == sim or any(
        s["id"] == sim for s in e.get("detail", {}).get("sims", ())) for e in mine)
    endpoint = next(e["endpoint"]["id"] for e in expected if "endpoint" in e)
    out = tmp_path / "endpoint.jsonl"
    fetch(_fetcher(client), out, endpoint=endpoint)
    assert _lines(out) and all(e["endpoint"]["id"] == endpoint for e in _lines(out)
                               if "endpoint" in e)


def test_resume_appends_only_newer_events_and_keeps_the_bytes_there(tmp_path: Path) -> None:
    world = _world()
    workspace = next(iter(world.workspaces))
    client = _client(world)
    expected = _expected(world, workspace)
    out = tmp_path / "events.jsonl"
    fetch(_fetcher(client), out, until=expected[-30]["timestamp"])
    first = out.read_bytes()
    assert _lines(out) == [e for e in expected if e["timestamp"] <= expected[-30]["timestamp"]]
    # New events on the platform: a SIM changes status through the API.
    with world.change(None) as platform:
        platform.advance_time(3600)
        sim = next(s for s in platform.sims.values()
                   if s.workspace == workspace and s.status.label == "Activated")
        platform.set_status(sim.id, type(sim.status)(2))
    report = fetch(_fetcher(client), out, resume=True)
    assert out.read_bytes().startswith(first)
    assert _lines(out) == _expected(world, workspace)
    assert report.kept == len(first.splitlines())
    assert report.written == len(_lines(out)) - report.kept == 29 + 1  # after [-30], and a 9
    # Nothing new: the file is not even rewritten.
    inode, mtime = out.stat().st_ino, out.stat().st_mtime_ns
    report = fetch(_fetcher(client), out, resume=True)
    assert report.written == 0 and (out.stat().st_ino, out.stat().st_mtime_ns) == (inode, mtime)


def test_resume_skips_the_events_of_its_last_millisecond_it_holds(tmp_path: Path) -> None:
    """Several events share the file's newest timestamp: those it has are not added again,
    one it lacks is."""
    world = _world()
    workspace = next(iter(world.workspaces))
    client = _client(world)
    expected = _expected(world, workspace)
    template = expected[-1]
    stamp = "2025-06-01T00:00:00.000Z"  # after the fleet, before now
    for ident in (10**15 + 1, 10**15 + 2):
        world.store.append(dict(template, id=ident, timestamp=stamp))
    out = tmp_path / "events.jsonl"
    fetch(_fetcher(client), out)
    world.store.append(dict(template, id=10**15 + 3, timestamp=stamp))
    report = fetch(_fetcher(client), out, resume=True)
    assert report.written == 1
    assert [e["id"] for e in _lines(out)][-3:] == [10**15 + 1, 10**15 + 2, 10**15 + 3]


def test_rate_limited_fetch_waits_for_retry_after(tmp_path: Path) -> None:
    world = _world()
    clock = Clock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    client = _client(world, rate=2, clock=clock)
    out = tmp_path / "events.jsonl"
    fetcher = Fetcher(API, TOKEN, client=client, sleep=sleep, seed=1)
    report = fetch(fetcher, out, per_page=100)
    assert _lines(out) == _expected(world, next(iter(world.workspaces)))
    assert report.retries > 0 and sleeps and all(s >= 1 for s in sleeps)


def test_an_expired_auth_token_is_renewed(tmp_path: Path) -> None:
    world = _world()
    clock = Clock()

    def expire(response: httpx.Response) -> None:
        if "/api/v1/event" in str(response.request.url):
            clock.now += TOKEN_LIFETIME + 1  # every token issued so far has expired

    client = _client(world, hook=expire, clock=clock)
    out = tmp_path / "events.jsonl"
    report = fetch(_fetcher(client), out, per_page=100)
    assert _lines(out) == _expected(world, next(iter(world.workspaces)))
    assert report.authentications == report.pages  # once at the start, then after each page


def test_a_bad_token_fails_before_any_file_is_written(tmp_path: Path) -> None:
    world = _world()
    client = _client(world)
    out = tmp_path / "events.jsonl"
    with pytest.raises(FetchError, match="refused the application token"):
        fetch(Fetcher(API, "wrong", client=client), out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- scripted answers


def _page(events: list[dict[str, Any]], status: int = 200,
          headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=orjson.dumps(events), headers=headers)


def _auth(request: httpx.Request) -> httpx.Response | None:
    if request.url.path == "/api/v1/authenticate":
        return httpx.Response(200, json={"auth_token": "t"})
    return None


def _scripted(answers: Iterator[httpx.Response]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return _auth(request) or next(answers)
    return httpx.Client(transport=httpx.MockTransport(handler))


def _event(ident: int, second: int) -> dict[str, Any]:
    return {"timestamp": f"2025-01-01T00:00:{second:02d}.000Z", "id": ident}


def test_429_with_an_http_date_and_5xx_are_retried_with_backoff(tmp_path: Path) -> None:
    answers = iter([
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        _page([_event(1, 1), _event(2, 2)]),
    ])
    sleeps: list[float] = []
    out = tmp_path / "e.jsonl"
    report = fetch(Fetcher("http://api.test", "t", client=_scripted(answers), sleep=sleeps.append,
                           seed=1), out)
    assert [e["id"] for e in _lines(out)] == [1, 2]
    assert report.retries == 3 and sleeps[0] == 3
    assert 2 <= sleeps[1] <= 3  # backoff 2 s (second attempt) plus up to half of it
    assert sleeps[2] == 0  # a date in the past: at once


def test_gives_up_after_the_retries_and_leaves_no_file(tmp_path: Path) -> None:
    answers = iter([httpx.Response(500)] * 10)
    out = tmp_path / "e.jsonl"
    with pytest.raises(FetchError, match=r"HTTP 500 \(gave up after 2 retries\)"):
        fetch(Fetcher("http://api.test", "t", client=_scripted(answers), retries=2,
                      sleep=lambda s: None), out)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_resume_leaves_the_old_file_intact(tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    out.write_bytes(orjson.dumps(_event(1, 1)) + b"\n")
    answers = iter([_page([_event(1, 1), _event(2, 2)], headers={"Link": '<x>; rel="next"'}),
                    httpx.Response(500)])
    with pytest.raises(FetchError):
        fetch(Fetcher("http://api.test", "t", client=_scripted(answers), retries=0), out,
              resume=True, per_page=2)
    assert out.read_bytes() == orjson.dumps(_event(1, 1)) + b"\n"
    assert [p.name for p in tmp_path.iterdir()] == ["e.jsonl"]


def test_an_api_that_ignores_the_sort_is_an_error_not_a_short_copy(tmp_path: Path) -> None:
    answers = iter([_page([_event(2, 2), _event(1, 1)])])
    with pytest.raises(FetchError, match="not oldest first"):
        fetch(Fetcher("http://api.test", "t", client=_scripted(answers)), tmp_path / "e.jsonl")


def test_a_cursor_admits_each_event_once_whatever_the_order_within_a_millisecond() -> None:
    cursor = Cursor()
    stamp = "2025-01-01T00:00:00.000Z"
    assert [cursor.admits(stamp, i) for i in (3, 1, 3, 2, 1)] == [True, True, False, True, False]
    assert not cursor.admits("2024-12-31T23:59:59.999Z", 9)
    assert cursor.admits("2025-01-01T00:00:00.001Z", 1)


def test_an_unreachable_api_fails_at_once(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    sleeps: list[float] = []
    with pytest.raises(FetchError, match=r"cannot reach http://api\.test"):
        fetch(Fetcher("http://api.test", "t", client=client, sleep=sleeps.append),
              tmp_path / "e.jsonl")
    assert sleeps == [] and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- the command line


def test_cli_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "e.jsonl")
    env = {"EMNIFY_APPLICATION_TOKEN": ""}
    cases = [
        (["fetch", "-o", out], "no application token"),
        (["fetch", "-o", out, "--token", "t", "--sim", "1", "--endpoint", "2"], "not both"),
        (["fetch", "-o", out, "--token", "t", "--since", "yesterday"], "--since 'yesterday'"),
        (["fetch", "-o", out, "--token", "t", "--api", "ftp://x"], "http:// or https://"),
        (["fetch", "-o", "-", "--token", "t", "--resume"], "--resume appends to a file"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``simlife serve`` in a subprocess on 127.0.0.1 (a free port), stopped afterwards."""
    process = subprocess.Popen(
        [*SIMLIFE, "serve", "--port", "0", "--sims", "40",
         "--seed", "2", "--token", TOKEN, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        url = found.group(1) if found else None
        if not line and process.poll() is not None:
            break
    try:
        assert url is not None, "simlife serve did not start"
        while True:  # bound: is uvicorn answering yet?
            try:
                if httpx.get(f"{url}/api/v1/event", timeout=2).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_fetches_from_simlife_serve_then_resumes(served: str, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    env = {**os.environ, "EMNIFY_APPLICATION_TOKEN": TOKEN}
    command = [*SIMLIFE, "fetch", "--api", served, "-o", str(out),
               "--per-page", "50"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"fetched (\d+) event\(s\)", done.stderr)
    got = _lines(out)
    ids = [e["id"] for e in got]
    assert len(got) > 100 and len(set(ids)) == len(ids)
    assert [e["timestamp"] for e in got] == sorted(e["timestamp"] for e in got)
    validated = subprocess.run([*SIMLIFE, "validate", str(out)],
                               capture_output=True, text=True, timeout=120)
    assert validated.returncode == 0, validated.stdout
    before = out.read_bytes()
    again = subprocess.run([*command, "--resume"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert again.returncode == 0 and "is up to date" in again.stderr
    assert out.read_bytes() == before


def test_cli_bad_token_against_simlife_serve_exits_2_with_no_file(served: str,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    done = subprocess.run([*SIMLIFE, "fetch", "--api", served,
                           "-o", str(out), "--token", "wrong"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "refused the application token" in done.stderr
    assert not out.exists()
