"""``simlife listen``: the webhook receiver in process (its ASGI app behind a sync httpx
transport) and as a process on 127.0.0.1 that ``simlife stream`` delivers to."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from simulator.collect import Receiver
from simulator.platform import generate
from simulator.replay import validate_path
from simulator.serve import Streamer, encode_events
from tests.asgi import AppTransport

SIMLIFE = [sys.executable, "-c", "from simulator.cli import main; main()"]
URL = "http://listener.test/hook"
SEEDS = Path(__file__).resolve().parent / "data" / "seed-examples.jsonl"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    rx = Receiver(tmp_path / "stream.jsonl", headers=[("X-Token", "abc")], max_body=4096)
    yield rx
    rx.close()


@pytest.fixture
def client(receiver: Receiver) -> Iterator[httpx.Client]:
    transport = AppTransport(receiver)
    with httpx.Client(transport=transport, headers={"X-Token": "abc"}) as c:
        yield c
    transport.close()


def _seed_events() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in SEEDS.read_bytes().splitlines()]


def _lines(path: Path) -> list[Any]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_one_event_per_post_is_appended_as_received(receiver: Receiver,
                                                    client: httpx.Client) -> None:
    first, second = _seed_events()[:2]
    pretty = orjson.dumps(first, option=orjson.OPT_INDENT_2)  # as a sender may format it
    for body in (pretty, orjson.dumps(second), pretty):
        answer = client.post(URL, content=body)
        assert answer.status_code == 200 and answer.json() == {"received": 1}
    assert _lines(receiver.path) == [first, second, first]  # the duplicate is kept
    assert receiver.path.read_bytes().count(b"\n") == 3
    assert (receiver.events, receiver.deliveries, receiver.refused) == (3, 3, 0)


def test_a_bulk_array_is_one_line_per_event_and_a_keen_key_is_kept(
        receiver: Receiver, client: httpx.Client) -> None:
    events = _seed_events()[:3]
    events[1] = {**events[1], "keen": {"timestamp": "2021-10-27T08:44:46.267Z", "id": "k1"}}
    answer = client.post(URL, content=orjson.dumps(events))
    assert answer.status_code == 200 and answer.json() == {"received": 3}
    assert client.post(URL, content=b"[]").json() == {"received": 0}
    assert _lines(receiver.path) == events
    assert list(_lines(receiver.path)[1]) == list(events[1])  # key order kept


@pytest.mark.parametrize("body", [b"", b"{not json", b"42", b'"text"', b"[1, 2]",
                                  b'[{"id": 1}, null]', b"NaN", b'{"id": 1}{"id": 2}'])
def test_malformed_bodies_get_400_and_nothing_is_written(
        receiver: Receiver, client: httpx.Client, body: bytes) -> None:
    answer = client.post(URL, content=body)
    assert answer.status_code == 400 and answer.json()["error"]
    assert receiver.path.read_bytes() == b"" and receiver.refused == 1


def test_the_required_header_and_the_size_limit(receiver: Receiver,
                                                client: httpx.Client) -> None:
    event = orjson.dumps(_seed_events()[0])
    assert client.post(URL, content=event, headers={"X-Token": "abd"}).status_code == 401
    bare = httpx.Client(transport=client._transport)
    assert bare.post(URL, content=event).status_code == 401
    assert client.post(URL, content=b"[" + b",".join([event] * 10) + b"]").status_code == 413
    assert client.get(URL).status_code == 405
    assert receiver.path.read_bytes() == b""
    assert client.post(URL, content=event).status_code == 200
    assert receiver.refused == 4 and receiver.events == 1


def test_each_delivery_is_on_disk_before_its_answer(
        receiver: Receiver, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        order.append(f"fsync {os.fstat(fd).st_size}")

    monkeypatch.setattr(os, "fsync", fsync)
    event = orjson.dumps(_seed_events()[0])
    for _ in range(2):
        client.post(URL, content=event)
        order.append(f"answer {receiver.path.stat().st_size}")
    size = len(event) + 1
    assert order == [f"fsync {size}", f"answer {size}", f"fsync {2 * size}", f"answer {2 * size}"]


def test_a_delivery_that_cannot_be_written_is_not_acknowledged_nor_half_written(
        receiver: Receiver, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    event = orjson.dumps(_seed_events()[0])
    client.post(URL, content=event)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    answer = client.post(URL, content=b"[" + event + b"," + event + b"]")
    assert answer.status_code == 507 and "No space left" in answer.json()["error"]
    monkeypatch.undo()
    assert receiver.path.read_bytes() == event + b"\n"
    assert client.post(URL, content=event).status_code == 200  # the sender's retry
    assert receiver.path.read_bytes() == (event + b"\n") * 2


def test_a_torn_last_line_left_by_a_crash_is_cut_at_start(tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b'{"id":1}\n{"id":2,"timest')
    rx = Receiver(path)
    rx.close()
    assert path.read_bytes() == b'{"id":1}\n' and rx.dropped == len(b'{"id":2,"timest')
    path.write_bytes(b"x" * 100_000)  # no newline at all: all of it is torn
    rx = Receiver(path)
    rx.close()
    assert path.read_bytes() == b"" and rx.dropped == 100_000


@pytest.mark.parametrize("bulk", [None, 7])
def test_every_event_the_streamer_sends_is_captured_duplicates_kept(
        tmp_path: Path, bulk: int | None) -> None:
    path = tmp_path / "stream.jsonl"
    rx = Receiver(path, headers=[("Authorization", "Bearer s3cret")])
    transport = AppTransport(rx)
    events = list(generate(sims=25, seed=4))
    try:
        with Streamer(URL, headers=[("Authorization", "Bearer s3cret")], bulk=bulk,
                      duplicates=0.3, seed=2, transport=transport) as streamer:
            report = streamer.run(encode_events(events))
    finally:
        transport.close()
        rx.close()
    assert report.ok and report.duplicates > 0
    got = _lines(path)
    assert len(got) == len(events) + report.duplicates
    unique = [e for i, e in enumerate(got) if e not in got[max(0, i - (bulk or 1)):i]]
    assert unique == [orjson.loads(orjson.dumps(e)) for e in events]
    result = validate_path(path)
    assert result.conformant and result.events == len(got)
    assert result.counts_by_rule["duplicate-delivery"] == report.duplicates


# --------------------------------------------------------------------------- as a process


def _start(path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*SIMLIFE, "listen", "--port", "0", "-o", str(path), "--quiet",
                                *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
    assert found, line + process.stderr.read() if process.stderr else line
    url = found.group(1) + "/hook"
    deadline = time.monotonic() + 60
    while True:  # is uvicorn answering yet? (a GET is refused, and writes nothing)
        try:
            if httpx.get(url, timeout=2).status_code == 405:
                return process, url
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_listen_captures_simlife_stream_and_stops_cleanly(tmp_path: Path, stop: int) -> None:
    path = tmp_path / "captured.jsonl"
    process, url = _start(path, "--header", "X-Token: abc")
    try:
        sent = subprocess.run([*SIMLIFE, "stream", "--to", url, "--sims", "15", "--seed", "6",
                               "--bulk", "--duplicates", "0.5", "--header", "X-Token: abc"],
                              capture_output=True, text=True, timeout=120)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        refused = httpx.post(url, content=b"{}", timeout=10)  # no header
        assert refused.status_code == 401
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
    found = re.search(r"delivered (\d+) of (\d+) events .*: (\d+) duplicates injected",
                      sent.stdout)
    assert found, sent.stdout
    delivered, total, duplicates = map(int, found.groups())
    assert delivered == total and len(_lines(path)) == total + duplicates
    assert process.returncode == 0, err
    assert re.search(rf"received {total + duplicates} event\(s\) in \d+ deliveries into "
                     rf".*captured\.jsonl; 2 request\(s\) refused", out), out  # the GET, the 401
    assert "Traceback" not in err


def test_listen_refuses_stdout_and_an_unwritable_file(tmp_path: Path) -> None:
    for target, message in (("-", "-o needs a file"), (str(tmp_path), "cannot write")):
        done = subprocess.run([*SIMLIFE, "listen", "--port", "0", "-o", target],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
