"""Item 6, tracebacks: whatever input or options cause, the answer is an exit code and at most
one line on stderr naming the file, line or option and what was expected; never a traceback.

A deeply nested line, or a timestamp that leaves the calendar, is an event that is not valid:
a ``malformed-event`` finding (exit 1), as spec §6 has it for every line that is not JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.hostile.conftest import cli, simlife, unchanged

DEEP = 100_000


def _write(tmp_path: Path, name: str | bytes, data: bytes) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path),
                                         name if isinstance(name, bytes) else name.encode())))
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("name", "data", "message"), [
    ("deep.jsonl", b'{"a":' + b"[" * DEEP + b"]" * DEEP + b"}\n",
     "not JSON: depth limit exceeded at column 1030"),
    ("deep.json", b"[" * DEEP + b"]" * DEEP, "not JSON: nested too deeply; rest ignored"),
    ("deep-array.json", b"[" + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"]",
     "not JSON: nested too deeply; rest ignored"),
])
def test_json_nested_100000_deep_is_a_malformed_event(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path, name, data)
    with unchanged(path):
        out = cli("validate", path, "--format", "json")
    assert out.code == 1, out.stderr
    assert [v["message"] for v in json.loads(out.stdout)["violations"]] == [message]


@pytest.mark.parametrize("command", ["serve", "stream"])
def test_json_nested_deep_in_serve_and_stream_logs(tmp_path: Path, command: str) -> None:
    path = _write(tmp_path, "deep.json", b"[" * DEEP + b"]" * DEEP)
    args = ["--to", "http://127.0.0.1:9/x"] if command == "stream" else []
    out = cli(command, "--log", path, *args)
    if command == "serve":  # nothing to serve: refused before it listens
        assert out.code == 2
        assert out.one_line() == f"simlife: error: {path}: no events to serve"
    else:  # nothing to send: the record is skipped and counted
        assert out.code == 0, out.stderr
        assert "1 log record skipped (not JSON)" in out.stdout.decode()


def test_a_timestamp_at_year_1_with_an_offset(tmp_path: Path, seeds: list[Any]) -> None:
    event = dict(seeds[0], timestamp="0001-01-01T00:00:00+14:00")
    path = _write(tmp_path, "y1.jsonl", orjson.dumps(event) + b"\n")
    out = cli("validate", path, "--format", "json")
    assert out.code == 1
    assert "outside the years 0001 to 9999 in UTC" in out.stdout.decode()


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_a_file_name_that_is_not_utf8(tmp_path: Path, fleet: bytes, fmt: str) -> None:
    path = _write(tmp_path, b"log\xff\x1b[31m.jsonl", fleet[:3000].rsplit(b"\n", 1)[0] + b"\n")
    out = cli("validate", path, "--format", fmt)
    assert out.code == 0, out.stderr
    text = out.stdout.decode()
    shown = json.loads(text)["source"] if fmt == "json" else text
    assert "log\\xff\\x1b[31m.jsonl" in shown and "\x1b" not in text
    missing = cli("validate", Path(str(path) + "x"))
    assert missing.code == 2
    assert missing.one_line().endswith("log\\xff\\x1b[31m.jsonlx: no such file")


def test_output_to_a_full_disk(tmp_path: Path, fleet: bytes) -> None:
    path = _write(tmp_path, "log.jsonl", fleet)
    with unchanged(path):
        to_file = cli("validate", path, "-o", "/dev/full")
    assert to_file.code == 2
    assert to_file.one_line() == "simlife: error: /dev/full: cannot write: No space left on device"
    with open("/dev/full", "wb") as full:
        to_stdout = simlife("validate", path, stdout=full.fileno())
        generated = simlife("generate", "--sims", "50", stdout=full.fileno())
    for out in (to_stdout, generated):
        assert out.code == 2
        assert out.one_line() == ("simlife: error: <stdout>: cannot write: No space left on "
                                  "device")


@pytest.mark.parametrize(("args", "expected"), [
    (["generate", "--start", "9999-12-25"],
     "simlife: error: --start 9999-12-25: a log of 30 days must start between 1900-01-01 and "
     "9999-12-01 (timestamps end with year 9999)"),
    (["generate", "--start", "0001-01-01"],
     "simlife: error: --start 0001-01-01: a log of 30 days must start between 1900-01-01 and "
     "9999-12-01 (timestamps end with year 9999)"),
    (["generate", "--start", "0001-01-01T00:00:00+14:00"],
     "simlife: error: --start '0001-01-01T00:00:00+14:00' is not an ISO date between years "
     "1900 and 9999, e.g. 2025-01-01 or 2025-01-01T08:00:00Z"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--duplicates", "nan"],
     "simlife stream: error: Invalid value for '--duplicates': 'nan' is not a finite number "
     "(see 'simlife stream --help')"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--timeout", "inf"],
     "simlife stream: error: Invalid value for '--timeout': 'inf' is not a finite number "
     "(see 'simlife stream --help')"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--retries", "5000", "--backoff", "0"],
     "simlife: error: --retries 5000: 0 to 20"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--timeout", "99999"],
     "simlife: error: --timeout 99999.0: more than 0 and at most 3600 s"),
    (["stream", "--to", "http://127.0.0.1:9/x", "--header", "X-Name: Zoë"],
     "simlife: error: --header X-Name: the value must be printable ASCII (encode other "
     "text, e.g. as percent-escapes)"),
    (["stream", "--to", "http://127.0.0.1:99999/x"],
     "simlife: error: --to 'http://127.0.0.1:99999/x': port 99999 is not 1 to 65535"),
    (["validate", "--spool-limit", "1e400", "-"],
     "simlife validate: error: Invalid value for '--spool-limit': '1e400' is not a size, "
     "e.g. 500M or 2G (see 'simlife validate --help')"),
])
def test_bad_options_are_one_line(args: list[str], expected: str) -> None:
    out = cli(*args)
    assert out.code == 2
    assert out.one_line() == expected


@pytest.mark.parametrize("args", [
    ["validate", "--bogus"], ["validate"], ["generate", "--sims", "0"], ["nonsense"],
    ["scenario", "run", "--emit"], ["serve", "--port", "99999"], ["stream"],
    ["validate", "-", "--format", "yaml"],
])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    out = cli(*args)
    assert out.code == 2
    line = out.one_line()
    assert line.startswith("simlife") and ": error: " in line and "--help" in line, line


def test_unreadable_inputs_are_one_line(tmp_path: Path) -> None:
    binary = _write(tmp_path, "bin.jsonl", b'{"id": 1}\n\x00\x01')
    cases = {
        tmp_path / "absent.jsonl": "no such file",
        tmp_path: "is a directory, expected a log file",
        binary: "binary data (a NUL byte) on line 2",
    }
    for path, what in cases.items():
        for command in (["validate", path], ["serve", "--log", path],
                        ["stream", "--to", "http://127.0.0.1:9/x", "--log", path]):
            out = cli(*command)
            assert out.code == 2, (command, out.stderr)
            assert out.one_line() == f"simlife: error: {path}: {what}"


def test_odd_numbers_anywhere_in_an_event_are_findings(
    tmp_path: Path, seeds: list[Any]
) -> None:
    big = "9" * 5000
    texts = [
        json.dumps(dict(seeds[0], id=0)).replace('"id": 0', f'"id": {big}', 1),
        json.dumps(dict(seeds[0], event_type={"id": big, "description": "x"})),
        json.dumps(dict(seeds[0], description=f"SIM {big} assigned to endpoint 2",
                        event_type={"id": 51, "description": "SIM Assigned"})),
        json.dumps(dict(seeds[0], sim=dict(seeds[0]["sim"], iccid="²" * 19))),
        '{"a": 1e999999}', '"\\ud800"', "[" * 5000 + "]" * 5000,
    ]
    for name, data in [("odd.jsonl", "\n".join(texts)), ("odd.json", f"[{','.join(texts)}]")]:
        path = _write(tmp_path, name, data.encode())
        for fmt in ("text", "json", "junit"):
            out = cli("validate", path, "--format", fmt)
            assert out.code == 1, out.stderr
            assert out.stderr == ""


def test_the_last_resort_is_one_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error no root cause was found for still ends as one line and exit 2."""
    import simulator.cli.model as model

    def broken() -> str:
        raise ValueError("something deep\nwent wrong")

    monkeypatch.setattr(model, "mermaid", broken)
    out = cli("diagram")
    assert out.code == 2
    assert out.one_line() == ("simlife: error: something deep went wrong (ValueError; "
                              "SIMLIFE_DEBUG=1 shows where)")


def test_a_log_out_of_order_with_stamps_of_canonical_shape_but_not_digits(
    tmp_path: Path, seeds: list[Any]
) -> None:
    """Sorting keys are read from the line's shape: letters where digits belong are no key."""
    stamps = ["2025-01-01T00:00:05.000Z", "2025-01-01T00:00:02.00ZZ", "2025-01-01T00:00:01.000Z",
              "2025-01-01T00:00:09.000Z", "2025-xx-01T00:00:03.000Z"]
    body = b"".join(orjson.dumps(dict(seeds[i], timestamp=s)) + b"\n"
                    for i, s in enumerate(stamps))
    path = _write(tmp_path, "odd-order.jsonl", body)
    out = cli("validate", path, "--format", "json")
    assert out.code == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["order"] == "sorted"
    assert data["counts_by_rule"]["malformed-event"] == 2
