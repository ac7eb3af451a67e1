"""The webhook streamer: against httpx.MockTransport receivers and a real HTTP server on
127.0.0.1 (no other traffic)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.io import check_url, parse_headers
from simulator.io.errors import InputError
from simulator.serve.stream import Streamer

SEEDS = Path(__file__).resolve().parent / "data" / "seed-examples.jsonl"
URL = "http://127.0.0.1:9/hook"  # never reached: MockTransport answers


@dataclass
class Receiver:
    """A scripted webhook: ``answers`` are consumed first (a status code or an exception),
    then every request gets ``default``."""

    answers: list[int | Exception] = field(default_factory=list)
    default: int = 200
    requests: list[httpx.Request] = field(default_factory=list)
    refuse: Callable[[bytes], bool] = lambda body: False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(answer, headers={"Retry-After": "7"} if answer == 429 else {})
        if self.refuse(request.content):
            return httpx.Response(400, text="no thanks")
        return httpx.Response(self.default)

    def bodies(self) -> list[Any]:
        return [orjson.loads(r.content) for r in self.requests]


def events(n: int) -> list[bytes]:
    return [orjson.dumps({"id": i, "n": "x" * (i % 3)}) for i in range(n)]


def streamer(receiver: Receiver, sleeps: list[float] | None = None, **options: Any) -> Streamer:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return Streamer(URL, transport=httpx.MockTransport(receiver), sleep=record, **options)


def test_one_event_per_request_with_the_callers_headers() -> None:
    rx = Receiver()
    bodies = events(13)
    with streamer(rx, headers=[("X-Token", "abc"), ("user-agent", "mine")]) as s:
        report = s.run(bodies)
    assert report.ok and report.delivered == report.events == 13 and report.requests == 13
    assert [r.content for r in rx.requests] == bodies
    for r in rx.requests:
        assert r.method == "POST" and str(r.url) == URL
        assert r.headers["x-token"] == "abc" and r.headers["user-agent"] == "mine"
        assert r.headers["content-type"] == "application/json"


def test_bulk_sends_arrays_of_up_to_n() -> None:
    rx = Receiver()
    bodies = events(13)
    with streamer(rx, bulk=5) as s:
        report = s.run(bodies)
    assert report.ok and report.requests == 3
    sent = rx.bodies()
    assert [len(b) for b in sent] == [5, 5, 3]
    assert [e for batch in sent for e in batch] == [orjson.loads(b) for b in bodies]


def test_duplicates_are_injected_with_probability_p() -> None:
    bodies = events(200)
    rx = Receiver()
    with streamer(rx, duplicates=1.0) as s:
        report = s.run(bodies)
    assert report.ok and report.duplicates == 200 and report.requests == 400
    contents = [r.content for r in rx.requests]
    assert contents[0::2] == contents[1::2] == bodies  # each sent again at once

    runs = []
    for seed in (1, 1, 2):
        rx = Receiver()
        with streamer(rx, duplicates=0.3, seed=seed, bulk=2) as s:
            report = s.run(bodies)
        assert report.ok and report.delivered == 200
        assert report.requests == 100 + report.duplicates // 2
        runs.append([r.content for r in rx.requests])
    assert runs[0] == runs[1] != runs[2]  # seeded
    assert 10 < (len(runs[0]) - 100) < 60  # about 30 of the 100 requests repeated

    rx = Receiver()
    with streamer(rx, duplicates=0.0) as s:
        assert s.run(bodies).duplicates == 0
    assert len(rx.requests) == 200


def test_retries_on_5xx_timeouts_and_connection_errors_then_success() -> None:
    rx = Receiver(answers=[500, 503, httpx.ReadTimeout("slow"), httpx.ConnectError("down")])
    sleeps: list[float] = []
    with streamer(rx, sleeps, retries=4, backoff=0.5) as s:
        report = s.run(events(3))
    assert report.ok and report.delivered == 3
    assert report.retries == 4 and report.requests == 7
    assert len(rx.requests[0].content) and rx.requests[0].content == rx.requests[4].content
    # Exponential with up to half again of jitter: 0.5, 1, 2, 4 (+ 0..50%).
    for attempt, slept in enumerate(sleeps):
        base = 0.5 * 2**attempt
        assert base <= slept <= base * 1.5
    assert sleeps == sorted(sleeps)


def test_retry_after_is_honoured() -> None:
    rx = Receiver(answers=[429])
    sleeps: list[float] = []
    with streamer(rx, sleeps) as s:
        assert s.run(events(1)).ok
    assert sleeps == [7.0]


def test_jitter_is_seeded() -> None:
    def delays(seed: int) -> list[float]:
        sleeps: list[float] = []
        with streamer(Receiver(answers=[500] * 3), sleeps, seed=seed) as s:
            s.run(events(1))
        return sleeps

    assert delays(3) == delays(3) != delays(4)


def test_receiver_down_is_reported_and_stops_the_stream() -> None:
    rx = Receiver(default=500)
    sleeps: list[float] = []
    with streamer(rx, sleeps, retries=2, bulk=4) as s:
        report = s.run(events(10))
    assert not report.ok
    assert report.delivered == 0 and report.failed == report.events == 10
    assert report.requests == 3 and report.retries == 2 and len(sleeps) == 2
    assert any("gave up after 2 retries: HTTP 500" in e for e in report.errors)
    assert "0 of 10 events" in report.summary() and "10 failed" in report.summary()


def test_a_refused_request_fails_alone_without_retries() -> None:
    rx = Receiver(refuse=lambda body: orjson.loads(body)["id"] == 4)
    with streamer(rx) as s:
        report = s.run(events(10))
    assert not report.ok and report.failed == 1 and report.delivered == 9
    assert report.retries == 0 and report.requests == 10
    assert any("HTTP 400" in e for e in report.errors)


def test_progress_counts_every_event() -> None:
    seen: list[int] = []
    with streamer(Receiver(), bulk=3) as s:
        s.run(events(10), progress=seen.append)
    assert sum(seen) == 10
    seen.clear()
    with streamer(Receiver(default=503), retries=0, bulk=3) as s:
        s.run(events(10), progress=seen.append)
    assert sum(seen) == 10


def test_bad_urls_and_headers_are_usage_errors() -> None:
    for url in ("ftp://127.0.0.1/x", "127.0.0.1:8080/hook", "http://", "", "http://[::1"):
        with pytest.raises(InputError):
            check_url(url)
    assert check_url("https://127.0.0.1:8443/h?x=1") == "https://127.0.0.1:8443/h?x=1"
    for spec in ("NoColon", ": empty-name", "Bad Name: x", "X-Ok: a\nb"):
        with pytest.raises(InputError):
            parse_headers([spec])
    assert parse_headers(["Authorization: Bearer a:b", "X-Empty:"]) == [
        ("Authorization", "Bearer a:b"), ("X-Empty", "")]


def test_streamer_rejects_bad_options() -> None:
    for options in ({"bulk": 0}, {"duplicates": 1.5}, {"retries": -1}, {"timeout": 0}):
        with pytest.raises(ValueError):
            Streamer(URL, **options)


# --------------------------------------------------------------------------- the command


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Any = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with server.lock:
            server.received.append((dict(self.headers), body))
            status = server.status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Any]:
    """A real webhook receiver on 127.0.0.1 (a port the OS picks)."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []
    server.status = 200
    server.lock = threading.Lock()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_cli_streams_a_log_in_bulk_with_headers(hook: Any, seed_lines: list[bytes]) -> None:
    result = CliRunner().invoke(cli, ["stream", "--to", hook.url, "--log", str(SEEDS),
                                      "--bulk", "4", "--header", "X-Token: abc"])
    assert result.exit_code == 0, result.output
    assert "delivered 13 of 13 events" in result.output and "0 failed" in result.output
    assert [len(json.loads(body)) for _, body in hook.received] == [4, 4, 4, 1]
    assert all(h["X-Token"] == "abc" for h, _ in hook.received)
    sent = [e for _, body in hook.received for e in json.loads(body)]
    assert sorted(e["id"] for e in sent) == sorted(orjson.loads(x)["id"] for x in seed_lines)
    stamps = [e["timestamp"] for e in sent]
    assert stamps == sorted(stamps)  # ascending, as a stream delivers


def test_cli_streams_a_generated_fleet(hook: Any) -> None:
    from simulator.platform.fleet import generate

    result = CliRunner().invoke(cli, ["stream", "--to", hook.url, "--sims", "20", "--seed", "3",
                                      "--duplicates", "0.1"])
    assert result.exit_code == 0, result.output
    expected = [orjson.loads(orjson.dumps(e)) for e in generate(sims=20, seed=3)]
    sent = [json.loads(body) for _, body in hook.received]
    deduped = [e for i, e in enumerate(sent) if i == 0 or e != sent[i - 1]]
    assert deduped == expected
    assert len(sent) > len(expected)  # some delivered twice
    assert f"{len(sent) - len(expected)} duplicates injected" in result.output


def test_cli_skips_records_that_are_not_json(hook: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(SEEDS.read_bytes() + b"{not json\n")
    result = CliRunner().invoke(cli, ["stream", "--to", hook.url, "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert "1 log record skipped" in result.output and len(hook.received) == 13


def test_cli_exit_1_when_the_receiver_fails(hook: Any) -> None:
    hook.status = 500
    result = CliRunner().invoke(cli, ["stream", "--to", hook.url, "--log", str(SEEDS),
                                      "--retries", "1", "--backoff", "0"])
    assert result.exit_code == 1, result.output
    assert "delivered 0 of 13 events" in result.output and "13 failed" in result.output
    assert len(hook.received) == 2  # one request and its retry, then it stopped


def test_cli_exit_1_when_nothing_listens() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, closed now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(cli, ["stream", "--to", f"http://127.0.0.1:{port}/x",
                                      "--log", str(SEEDS), "--retries", "0", "--timeout", "5"])
    assert result.exit_code == 1, result.output
    assert "13 failed" in result.output and "connection error" in result.output


@pytest.mark.parametrize("args", [
    ["--to", "ftp://127.0.0.1/x", "--log", str(SEEDS)],
    ["--to", "http://127.0.0.1:1/x", "--log", str(SEEDS), "--header", "NoColon"],
    ["--to", "http://127.0.0.1:1/x", "--log", "/nonexistent/log.jsonl"],
    ["--to", "http://127.0.0.1:1/x", "--log", str(SEEDS), "--sims", "3"],
    ["--to", "http://127.0.0.1:1/x", "--log", str(SEEDS), "--duplicates", "2"],
    ["--to", "http://127.0.0.1:1/x", "--log", str(SEEDS), "--bulk", "0"],
    ["--log", str(SEEDS)],
])
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["stream", *args])
    assert result.exit_code == 2, result.output


def test_cli_bulk_alone_is_the_platforms_bulk_mode(hook: Any) -> None:
    """``--bulk`` without N: arrays of 100 events, as the bulk stream posts them."""
    result = CliRunner().invoke(cli, ["stream", "--to", hook.url, "--sims", "40", "--seed", "1",
                                      "--bulk"])
    assert result.exit_code == 0, result.output
    sizes = [len(json.loads(body)) for _, body in hook.received]
    assert len(sizes) > 2 and set(sizes[:-1]) == {100} and 1 <= sizes[-1] <= 100


def test_interval_waits_between_requests_not_before_the_first() -> None:
    rx = Receiver()
    sleeps: list[float] = []
    with streamer(rx, sleeps, bulk=5, interval=2.5) as s:
        report = s.run(events(13))
    assert report.ok and report.requests == 3 and sleeps == [2.5, 2.5]
