"""Rebuild the example files from the generator (``python examples/make_examples.py``).

The docs run their commands on these files, and ``tests/test_docs.py`` holds them equal to what
this script writes, so an example can only change together with the code that explains it.

* ``recorded.jsonl``: one workspace's log as a Data Streamer capture could hold it: a generated
  fleet (3 SIMs, seed 2) with a few things a real capture shows: an event about a deleted SIM,
  an assignment of a SIM that a device already holds, a line cut short, a repeated delivery, and
  an event source written as ``name`` instead of ``description``.
* ``recorded.jsonl.gz``: the same, gzipped.
* ``page.json``: a page of ``GET /api/v1/event`` as the API answers it: a JSON array, newest
  first, of a clean fleet (2 SIMs, seed 5).
"""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson

from lifecycle.events import dumps
from simulator import generate

HERE = Path(__file__).resolve().parent


def recorded() -> bytes:
    events: list[Any] = list(generate(sims=3, seed=2))
    lines = [dumps(e) for e in events]
    # the SIM deleted at line 22 is activated again two days later
    deleted, revived = events[21], copy.deepcopy(events[6])
    revived.update(id=deleted["id"] + 7, timestamp="2025-01-22T10:00:00.000Z",
                   description="Status of SIM changed from 'Suspended' to 'Activated'")
    # a device that holds a SIM is given another one
    double = copy.deepcopy(events[4])
    double.update(id=events[4]["id"] + 3, timestamp="2025-01-03T03:03:45.900Z",
                  sim=events[1]["sim"], imsi=events[1]["imsi"],
                  description=events[4]["description"].replace(
                      str(events[4]["sim"]["id"]), str(events[1]["sim"]["id"])))
    # the source as the Data Streamer sometimes spells it
    lenient = orjson.loads(lines[9])
    lenient["event_source"] = {"id": 2, "name": "API"}
    out = [*lines[:5], dumps(double), *lines[5:9], orjson.dumps(lenient), *lines[10:]]
    out.insert(8, lines[6])  # delivered twice
    out.insert(14, lines[13][:57])  # the connection dropped mid-line
    out.insert(out.index(lines[21]) + 1, dumps(revived))
    return b"".join(line + b"\n" for line in out)


def page() -> bytes:
    events = list(generate(sims=2, seed=5))
    return orjson.dumps(events[::-1], option=orjson.OPT_INDENT_2) + b"\n"


def files() -> dict[str, bytes]:
    text = recorded()
    return {"recorded.jsonl": text, "recorded.jsonl.gz": gzip.compress(text, mtime=0),
            "page.json": page()}


if __name__ == "__main__":
    for name, data in files().items():
        (HERE / name).write_bytes(data)
        print(f"wrote examples/{name} ({len(data)} bytes)")
