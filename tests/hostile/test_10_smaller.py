"""Item 10, the smaller ones: ``stream --timeout`` is a deadline per request, an HTTP-date
``Retry-After`` is honoured, ports out of range are refused, ``-o x.gz`` writes gzip. (Bad
numbers and headers for ``stream``: ``test_6_one_error_path``.)"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from simulator.io import InputError, check_url
from simulator.serve import Streamer
from tests.hostile.conftest import cli, simlife, unchanged

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"  # 40 bytes


@pytest.fixture
def trickler() -> Iterator[str]:
    """A webhook that answers one byte every 0.5 s: 20 s for a whole answer."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(1 << 16)
                for byte in ANSWER:
                    if stop.wait(0.5):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                pass

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join()
    server.close()


def test_the_timeout_is_a_deadline_for_the_whole_request(trickler: str) -> None:
    started = time.monotonic()
    with Streamer(trickler, timeout=1.0, retries=0) as streamer:
        report = streamer.run([b'{"id": 1}'])
    took = time.monotonic() - started
    assert (report.delivered, report.failed) == (0, 1)
    assert report.errors[0].startswith("gave up after 0 retries: timeout")
    assert took < 10, took  # the trickle would hold it for 20 s; per read, for ever


def test_stream_command_gives_up_at_the_deadline(trickler: str) -> None:
    out = simlife("stream", "--to", trickler, "--sims", "1", "--bulk", "1000", "--timeout", "1",
                  "--retries", "0", timeout=60)
    assert out.code == 1
    assert out.stdout.decode().startswith("delivered 0 of 11 events to ")
    assert out.stderr == "  gave up after 0 retries: timeout (TimeoutException)\n"


def _answers_429(retry_after: str) -> list[float]:
    sleeps: list[float] = []
    calls = iter([httpx.Response(429, headers={"Retry-After": retry_after}),
                  httpx.Response(200)])
    transport = httpx.MockTransport(lambda request: next(calls))
    with Streamer("http://127.0.0.1:9/x", transport=transport, sleep=sleeps.append,
                  retries=1) as streamer:
        assert streamer.run([b"{}"]).delivered == 1
    return sleeps


def test_retry_after_as_an_http_date_is_honoured() -> None:
    now = datetime.now(UTC)
    (wait,) = _answers_429(format_datetime(now + timedelta(seconds=12), usegmt=True))
    assert 9 <= wait <= 12
    assert _answers_429(format_datetime(now - timedelta(hours=1), usegmt=True)) == [0.0]
    assert _answers_429(format_datetime(now + timedelta(days=1), usegmt=True)) == [30.0]
    assert _answers_429("7") == [7.0]


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/x", "http://127.0.0.1:0/x",
                                 "https://example.org:65536/"])
def test_ports_out_of_range_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="is not 1 to 65535"):
        check_url(url)


def test_an_output_named_gz_is_gzip_and_the_same_bytes_each_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    assert cli("generate", "--sims", "40", "--seed", "3", "-o", first).code == 0
    assert cli("generate", "--sims", "40", "--seed", "3", "-o", second).code == 0
    assert first.read_bytes()[:2] == b"\x1f\x8b"
    assert first.read_bytes() == second.read_bytes()
    plain = cli("generate", "--sims", "40", "--seed", "3").stdout
    assert gzip.decompress(first.read_bytes()) == plain
    with unchanged(first):
        validated = cli("validate", first, "-o", tmp_path / "report.json.gz", "--format", "json")
    assert validated.code == 0
    assert gzip.decompress((tmp_path / "report.json.gz").read_bytes()).startswith(b"{")
