"""``make sdk-check``: the official emnify SDK against ``simlife serve``, unmodified.

Starts ``simlife serve`` (this project's environment) with ``--describe``, runs
``workflow.py`` with the SDK's own Python (its virtual environment holds emnify-sdk 0.5.3 and
pydantic 1), then downloads every workspace's events and validates them: no error allowed.
Then runs the SDK example of docs/testing.md, as written, the same way.

    .venv/bin/python sdk-check/run.py --sdk-python .venv-sdk/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from simulator import validate
from simulator.collect import Fetcher

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVE = ("--sims", "200", "--seed", "14", "--unregistered-batches", "8")


@contextmanager
def stand_in(folder: Path) -> Iterator[dict[str, Any]]:
    """``simlife serve`` on a free port until the block ends; its --describe data."""
    described = folder / "describe.json"
    log = (folder / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from simulator.cli import main; main()", "serve", "--port", "0",
         "--quiet", "--describe", str(described), *SERVE],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if described.exists():
                data: dict[str, Any] = json.loads(described.read_text())
                try:
                    httpx.get(data["base_url"] + "/api/v1/event/type", timeout=2)
                    break
                except httpx.TransportError:
                    pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("sdk-check: simlife serve did not start:\n"
                                 + (folder / "serve.log").read_text(errors="replace"))
            time.sleep(0.1)
        yield data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def events(base: str, token: str) -> list[Any]:
    """The workspace's events as ``simlife fetch`` reads them: its own client, not a copy."""
    with Fetcher(base, token) as fetcher:
        return list(fetcher.events())


def check_events(data: dict[str, Any]) -> None:
    for workspace in data["workspaces"]:
        served = events(data["base_url"], workspace["application_token"])
        report = validate(served)
        problems = [f"{f.rule}: {f.message}" for f in report.findings]
        if report.errors:
            raise SystemExit(f"sdk-check: workspace {workspace['id']}'s events do not "
                             f"validate: {problems[:5]}")
        warned = Counter(f.rule for f in report.findings)
        print(f"sdk-check: workspace {workspace['id']}: {len(served)} events validate, 0 errors"
              + "".join(f", {n} {rule}" for rule, n in sorted(warned.items())))


def docs_example(sdk_python: str, folder: Path) -> None:
    """The SDK example of docs/testing.md, run as a pytest test with the fixture."""
    text = (ROOT / "docs" / "testing.md").read_text()
    blocks = re.findall(r"<!-- docs-test: skip \(runs in the SDK's [^\n]*-->\n```python\n"
                        r"(.*?)```", text, re.S)
    if len(blocks) != 1:
        raise SystemExit("sdk-check: docs/testing.md should hold one SDK example")
    test = folder / "test_sdk_example.py"
    test.write_text(blocks[0])
    env = dict(os.environ, SDK_PYTHON=os.path.abspath(sdk_python))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(test)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit("sdk-check: the SDK example of docs/testing.md failed:\n"
                         + done.stdout[-3000:] + done.stderr[-2000:])
    print("sdk-check: the SDK example of docs/testing.md passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdk-python", required=True,
                        help="the Python of the virtual environment that holds emnify-sdk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sdk-check-") as tmp:
        folder = Path(tmp)
        with stand_in(folder) as data:
            done = subprocess.run([args.sdk_python, str(HERE / "workflow.py"),
                                   str(folder / "describe.json")], timeout=600)
            if done.returncode != 0:
                raise SystemExit(done.returncode)
            check_events(data)
        docs_example(args.sdk_python, folder)


if __name__ == "__main__":
    main()
