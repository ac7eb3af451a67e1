"""A plain install works everywhere: the wheel carries the scenarios, the licence and every
dependency the commands need, and its commands run from an empty folder.

The wheel is built once and unpacked with ``pip install --no-deps --target``; it runs on this
environment's interpreter with the target first on PYTHONPATH, so it is the wheel's code that
runs, not the checkout's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([*PIP, "wheel", "--no-deps", "-w", str(out), str(ROOT)], check=True,
                   capture_output=True)
    (found,) = out.glob("simlife-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    target = tmp_path_factory.mktemp("site")
    subprocess.run([*PIP, "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    yield dict(os.environ, PYTHONPATH=str(target), NO_COLOR="1")


def simlife(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from simulator.cli import main; sys.argv[0] = 'simlife'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_the_wheel_needs_no_extra_for_any_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [line.split(":", 1)[1].strip() for line in
                    archive.read(meta).decode().splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    for package in ("fastapi", "uvicorn", "httpx", "click", "pydantic", "transitions"):
        assert any(r.startswith(package) for r in core), (package, core)
    assert any(n.endswith("licenses/LICENSE") for n in names)
    shipped = sorted(Path(n).name for n in names if n.startswith("simulator/scenarios/library/"))
    assert shipped == sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))


def test_the_installed_code_is_the_wheels(installed: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import simulator; print(simulator.__file__)"],
                          cwd=tmp_path, env=installed, text=True, capture_output=True, check=True)
    assert done.stdout.startswith(installed["PYTHONPATH"])


def test_scenarios_list_and_run_from_an_empty_folder(installed: dict[str, str],
                                                     tmp_path: Path) -> None:
    listed = simlife(installed, tmp_path, "scenario", "list")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == len(list((ROOT / "scenarios").glob("*.toml")))
    assert "(scenarios/05-factory-test-tenth-sms.toml)" in listed.stdout
    ran = simlife(installed, tmp_path, "scenario", "run")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.rstrip().endswith("19 passed, 0 failed")


def test_serve_and_stream_run_after_a_plain_install(installed: dict[str, str],
                                                    tmp_path: Path) -> None:
    code = "import sys; from simulator.cli import main; sys.argv[0] = 'simlife'; main()"
    server = subprocess.Popen([sys.executable, "-c", code, "serve", "--sims", "5", "--port", "0",
                               "--quiet"], cwd=tmp_path, env=installed, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(2)]
        while not banner[-1].startswith("listening on") and banner[-1]:
            banner.append(server.stdout.readline())
        assert banner[-1].startswith("listening on http://127.0.0.1:"), banner
        url = banner[-1].split()[-1]
        # The stand-in takes no webhook: every delivery is refused, which stream reports (exit 1)
        streamed = simlife(installed, tmp_path, "stream", "--to", url, "--sims", "1",
                           "--retries", "0")
        assert streamed.returncode == 1, streamed.stdout + streamed.stderr
        assert "Traceback" not in streamed.stderr
        assert streamed.stdout.startswith("delivered 0 of ")
    finally:
        server.terminate()
        server.wait(timeout=10)
