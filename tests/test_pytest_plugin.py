"""The pytest plugin: seeded logs as fixtures, set by marker or options, without hypothesis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SAME_AS_GENERATE = """
import orjson
from lifecycle.events import dumps
from simulator.platform.fleet import generate

def expected(**kw):
    return [orjson.loads(dumps(e)) for e in generate(**kw)]
"""


def test_default_log_is_the_generators(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SAME_AS_GENERATE + """
def test_default(simlife_log):
    assert simlife_log == expected(sims=20, seed=0)
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_then_options_then_defaults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SAME_AS_GENERATE + """
import pytest

@pytest.mark.simlife(sims=3, seed=5, workspaces=1)
def test_marker_wins(simlife_log):
    assert simlife_log == expected(sims=3, seed=5, workspaces=1)

@pytest.mark.simlife(workspaces=1)
def test_marker_keeps_options(simlife_log):
    assert simlife_log == expected(sims=4, seed=9, workspaces=1)

def test_options(simlife_log):
    assert simlife_log == expected(sims=4, seed=9)
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "--simlife-sims", "4",
                                "--simlife-seed", "9")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["simlife: simlife_log defaults sims=4 seed=9"])


def test_factory_and_fresh_copies(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SAME_AS_GENERATE + """
def test_factory(simlife_fleet):
    log = simlife_fleet(sims=2, seed=1, workspaces=1, start="2024-06-01T00:00:00+00:00")
    assert log[0]["timestamp"].startswith("2024-06-01")
    log.clear()
    again = simlife_fleet(sims=2, seed=1, workspaces=1, start="2024-06-01T00:00:00+00:00")
    assert again and again[0]["timestamp"].startswith("2024-06-01")

def test_a_changed_log_does_not_leak_1(simlife_log):
    simlife_log[0]["id"] = -1

def test_a_changed_log_does_not_leak_2(simlife_log):
    assert simlife_log[0]["id"] != -1
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_bad_arguments_fail_the_test_with_a_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import pytest

@pytest.mark.simlife(sims=2, colour="red")
def test_unknown(simlife_log):
    pass

@pytest.mark.simlife(2)
def test_positional(simlife_log):
    pass

def test_bad_start(simlife_fleet):
    simlife_fleet(start="yesterday")
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2, failed=1)
    result.stdout.fnmatch_lines([
        "*simlife: unknown option(s) colour*",
        "*simlife: the marker takes keyword arguments only*",
        "*simlife: start='yesterday' is not an ISO date-time*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_works_without_hypothesis(tmp_path: Path) -> None:
    """simlife's plugin loads in every pytest run; a user without hypothesis must not notice."""
    (tmp_path / "test_uses_log.py").write_text(
        "import sys\n"
        "def test_log(simlife_log):\n"
        "    assert simlife_log and not any(m.startswith('hypothesis') for m in sys.modules)\n"
    )
    blocker = (
        "import sys\n"
        "class NoHypothesis:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('hypothesis', '_hypothesis_pytestplugin'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoHypothesis())\n"
        "import pytest\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:hypothesispytest', '-p', 'no:cacheprovider',\n"
        "                      '--simlife-sims', '2']))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_simlife_server_serves_the_marked_fleet(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import hashlib

import httpx
import pytest


def test_default(simlife_server):
    data = simlife_server.description
    assert data["base_url"] == simlife_server.base_url
    assert simlife_server.api_url == simlife_server.base_url + "/api"
    assert len(data["workspaces"]) == 2 and len(data["unregistered_batches"]) == 4
    with httpx.Client(base_url=simlife_server.base_url) as client:
        auth = client.post("/api/v1/authenticate",
                           json={"application_token": simlife_server.token})
        headers = {"Authorization": "Bearer " + auth.json()["auth_token"]}
        served = client.get("/api/v1/event", params={"sort": "timestamp"}, headers=headers)
    assert served.json() == simlife_server.events()


@pytest.mark.simlife(sims=5, seed=2, workspaces=1, unregistered=1)
def test_marked(simlife_server, simlife_log):
    data = simlife_server.description
    assert [w["id"] for w in data["workspaces"]] == list(simlife_server.world.workspaces)
    assert len(data["workspaces"]) == 1 and len(data["unregistered_batches"]) == 1
    assert len(simlife_server.world.platform.sims) == 5
    assert simlife_server.events() == simlife_log
    user = data["workspaces"][0]["user"]
    digest = hashlib.sha1(user["password"].encode()).hexdigest()
    answer = httpx.post(simlife_server.base_url + "/api/v1/authenticate",
                        json={"username": user["username"], "password": digest})
    assert answer.status_code == 200


@pytest.mark.simlife(colour="red")
def test_unknown(simlife_server):
    pass
""")
    # In a process of its own: an in-process run drops the modules it imported (httpx among
    # them) when it ends, and the web stack must not be half-forgotten by later tests.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*simlife: unknown option(s) colour*"])


def test_the_plugin_does_not_load_the_web_stack() -> None:
    code = ("import sys\n"
            "import simulator.testing.pytest_plugin\n"
            "heavy = {'fastapi', 'starlette', 'uvicorn', 'httpx', 'hypothesis'}\n"
            "loaded = heavy & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
