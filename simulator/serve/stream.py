"""A webhook streamer like the platform's Data Streamer: POST events to a URL, at least once.

Each request carries one event (a JSON object) or, in bulk mode, a JSON array of up to ``bulk``
events, with the caller's headers, ``interval`` seconds apart (bulk mode sends at intervals,
spec §9). ``timeout`` is a deadline for the whole request (connecting, sending, the answer's
head and up to ``MAX_ANSWER`` bytes of its body), not for each read: a receiver that trickles
a byte at a time is cut off at the deadline. A request that times out, cannot connect, or gets
a 5xx (or 429) is sent again, at most ``MAX_RETRIES`` times, after an exponential backoff with
jitter (``backoff * 2**attempt``, at most ``max_backoff``, plus up to half of it again, drawn
from a seeded RNG; a ``Retry-After`` in seconds or as an HTTP date is
honoured up to ``max_backoff``). Other answers (4xx) fail that request at once. A request that
still fails after ``retries`` retries means the receiver is down: the streamer stops, and the
events not sent count as failed. With probability ``duplicates`` a delivered request is sent a
second time, as an at-least-once delivery may do.

httpx is imported here only, so ``simlife validate`` never loads it.
"""

from __future__ import annotations

import math
import random
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import orjson

from lifecycle.events import dumps
from simulator.io import InputError, check_url, retry_after

USER_AGENT = "simlife-stream/1"
_OK, _REFUSED, _DOWN = "delivered", "refused", "down"
# Bounds on one request, whatever the options say: retries, the deadline, the first backoff.
MAX_RETRIES = 20
MAX_TIMEOUT = 3600.0
MAX_BACKOFF = 60.0
MAX_ANSWER = 64 * 1024  # bytes of an answer's body read (kept for the report's first errors)


@dataclass
class StreamReport:
    """What the streamer did; ``ok`` when every event was delivered."""

    url: str
    events: int = 0  # events taken from the source
    delivered: int = 0  # events acknowledged with a 2xx
    requests: int = 0  # POSTs made, retries and duplicates included
    duplicates: int = 0  # events delivered a second time on purpose
    retries: int = 0  # requests sent again after a timeout, connection error, 5xx or 429
    failed: int = 0  # events not delivered
    skipped: int = 0  # records of a log that are not JSON: nothing to send
    errors: list[str] = field(default_factory=list)  # the first few failures, for the report

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.delivered == self.events

    def summary(self) -> str:
        text = (f"delivered {self.delivered} of {self.events} events to {self.url} in "
                f"{self.requests} requests: {self.duplicates} duplicates injected, "
                f"{self.retries} retries, {self.failed} failed")
        if self.skipped:
            records = "record" if self.skipped == 1 else "records"
            text += f", {self.skipped} log {records} skipped (not JSON)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url, "events": self.events, "delivered": self.delivered,
            "requests": self.requests, "duplicates": self.duplicates, "retries": self.retries,
            "failed": self.failed, "skipped": self.skipped, "errors": self.errors,
        }


class Streamer:
    """Deliver events to ``url``; see the module docstring for the delivery rules."""

    def __init__(
        self,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        bulk: int | None = None,
        duplicates: float = 0.0,
        retries: int = 3,
        timeout: float = 10.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        interval: float = 0.0,
        seed: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if bulk is not None and bulk < 1:
            raise InputError(f"--bulk {bulk}: at least 1")
        if not 0.0 <= duplicates <= 1.0:  # nan fails too
            raise InputError(f"--duplicates {duplicates}: a probability, 0 to 1")
        if not 0 <= retries <= MAX_RETRIES:
            raise InputError(f"--retries {retries}: 0 to {MAX_RETRIES}")
        if not 0 < timeout <= MAX_TIMEOUT:
            raise InputError(f"--timeout {timeout}: more than 0 and at most {MAX_TIMEOUT:g} s")
        if not 0 <= backoff <= MAX_BACKOFF or not 0 <= max_backoff <= MAX_TIMEOUT:
            raise InputError(f"--backoff {backoff}: 0 to {MAX_BACKOFF:g} s")
        if not 0 <= interval <= MAX_TIMEOUT:
            raise InputError(f"--interval {interval}: 0 to {MAX_TIMEOUT:g} s")
        self.url = check_url(url)
        self.bulk = bulk
        self.duplicates = duplicates
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.interval = interval
        self.sleep = sleep
        # Separate streams: whether an event is duplicated must not depend on retries.
        self._dup = random.Random(seed * 2 + 1)
        self._jitter = random.Random(seed * 2 + 2)
        sent = {name.lower() for name, _ in headers}
        defaults = [("Content-Type", "application/json"), ("User-Agent", USER_AGENT)]
        self.headers = [*headers, *((k, v) for k, v in defaults if k.lower() not in sent)]
        self._clock = _Deadline(timeout)
        if transport is None:
            transport = _DeadlineTransport(self._clock)
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Streamer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ delivery

    def run(
        self,
        bodies: Iterable[bytes],
        *,
        progress: Callable[[int], None] | None = None,
        report: StreamReport | None = None,
    ) -> StreamReport:
        """POST every body (one encoded event each); ``progress(n)`` after n more are done."""
        report = report or StreamReport(self.url)
        source = iter(bodies)
        for number, batch in enumerate(self._batches(source)):
            if number and self.interval:
                self.sleep(self.interval)
            report.events += len(batch)
            payload = batch[0] if self.bulk is None else b"[" + b",".join(batch) + b"]"
            outcome = self._deliver(payload, report)
            if outcome is _OK:
                report.delivered += len(batch)
                if (self.duplicates and self._dup.random() < self.duplicates
                        and self._deliver(payload, report) is _OK):
                    report.duplicates += len(batch)
            else:
                report.failed += len(batch)
                if outcome is _DOWN:
                    rest = sum(1 for _ in source)  # the receiver is down: stop, count the rest
                    report.events += rest
                    report.failed += rest
                    if progress:
                        progress(len(batch) + rest)
                    break
            if progress:
                progress(len(batch))
        return report

    def _batches(self, source: Iterator[bytes]) -> Iterator[list[bytes]]:
        size = self.bulk or 1
        batch: list[bytes] = []
        for body in source:
            batch.append(body)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _deliver(self, payload: bytes, report: StreamReport) -> str:
        """One request, retried as the rules say: _OK (a 2xx), _REFUSED (4xx) or _DOWN."""
        for attempt in range(self.retries + 1):
            if attempt:
                report.retries += 1
            report.requests += 1
            wait: float | None = None
            self._clock.start()
            try:
                answer = self.client.post(self.url, content=payload, headers=self.headers)
            except httpx.TimeoutException as exc:
                problem = f"timeout ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"connection error ({type(exc).__name__}: {exc})"
            else:
                if 200 <= answer.status_code < 300:
                    return _OK
                problem = f"HTTP {answer.status_code}"
                if answer.status_code != 429 and answer.status_code < 500:
                    self._note(report, f"refused: {problem} {answer.text[:200]!r}")
                    return _REFUSED
                wait = retry_after(answer.headers.get("retry-after", ""))
            if attempt < self.retries:
                self.sleep(self._delay(attempt, wait))
        self._note(report, f"gave up after {self.retries} retries: {problem}")
        return _DOWN

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        base = min(self.max_backoff, self.backoff * 2.0**attempt)
        return base + self._jitter.uniform(0, base / 2)

    @staticmethod
    def _note(report: StreamReport, message: str) -> None:
        if len(report.errors) < 20:
            report.errors.append(message)
        else:
            report.errors[-1] = message  # keep the last one: it may be why the stream stopped


class _Deadline:
    """The end of the request under way: what every network step of it may still wait."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.end = math.inf

    def start(self) -> None:
        self.end = time.monotonic() + self.timeout

    def left(self, timeout: float | None) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout(f"no answer within {self.timeout:g} s")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, clock: _Deadline) -> None:
        self._stream, self._clock = stream, clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._clock.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._clock.left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, self._clock.left(timeout))
        return _DeadlineStream(tls, self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, clock: _Deadline) -> None:
        self._backend, self._clock = httpcore.SyncBackend(), clock

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, self._clock.left(timeout), local_address,
                                           socket_options)
        return _DeadlineStream(stream, self._clock)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(path, self._clock.left(timeout),
                                                   socket_options)
        return _DeadlineStream(stream, self._clock)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.BaseTransport):
    """httpx over httpcore with ``_DeadlineBackend``: the request's deadline bounds every
    network step, and at most ``MAX_ANSWER`` bytes of an answer are read."""

    def __init__(self, clock: _Deadline) -> None:
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=_DeadlineBackend(clock))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw, content=request.read(), extensions=request.extensions)
        try:
            answer = self._pool.handle_request(core)
            try:
                body = b""
                for part in answer.iter_stream():
                    body += part[:MAX_ANSWER - len(body)]
                    if len(body) >= MAX_ANSWER:
                        break
            finally:
                answer.close()
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc), request=request) from None
        except httpcore.ConnectError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}") from None
        return httpx.Response(answer.status, headers=answer.headers, content=body,
                              request=request)

    def close(self) -> None:
        self._pool.close()


def encode_events(events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Canonical bytes of generated events (platform key order)."""
    for event in events:
        yield dumps(event)


def encode_records(records: Iterable[Any], report: StreamReport) -> Iterator[bytes]:
    """Bytes of a recorded log's JSON values, as recorded; records that are not JSON are
    counted as skipped (``simulator.io.logs`` hands them out as ``Malformed``)."""
    from simulator.io import Malformed

    for record in records:
        if isinstance(record, Malformed):
            report.skipped += 1
            continue
        value, _line = record
        yield orjson.dumps(value)
