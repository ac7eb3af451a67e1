"""The events-API stand-in: httpx against the ASGI app, and against a real uvicorn process.

No traffic leaves 127.0.0.1: the ASGI tests never open a socket, the process tests bind to
127.0.0.1 on a port the OS picks.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle.codes import EVENT_TYPE_DESCRIPTIONS, EndpointStatus, SimStatus
from simulator.platform.core import Platform
from simulator.replay.driver import validate
from simulator.serve.app import create_app
from simulator.serve.auth import TOKEN_LIFETIME, Credentials, RateLimiter, User, parse_rate
from simulator.serve.world import World

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "data" / "seed-examples.jsonl"


class Api:
    """A synchronous httpx client over the ASGI app (thread-safe: one portal for all calls)."""

    def __init__(self, app: Any) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                        base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self.portal.call(self.client.aclose)
        self._portal_cm.__exit__(None, None, None)


@dataclass
class Env:
    world: World
    creds: Credentials
    api: Api
    w1: int
    w2: int
    sims: list[int]  # workspace 1: 0 Activated in e_active, 1 Activated in e_disabled,
    # 2 Factory Test in e_ft, 3.. Issued and free
    others: list[int]  # workspace 2: 0 Issued in e_other
    e_active: int
    e_ft: int
    e_empty: int
    e_disabled: int
    e_other: int

    def app_headers(self, workspace: int | None = None) -> dict[str, str]:
        token = self.creds.tokens[workspace or self.w1]
        answer = self.api.post("/api/v1/authenticate", json={"application_token": token})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['auth_token']}"}

    def user(self, workspace: int | None = None) -> User:
        return next(u for u in self.creds.users if u.workspace == (workspace or self.w1))

    def user_headers(self, workspace: int | None = None) -> dict[str, str]:
        user = self.user(workspace)
        digest = hashlib.sha1(user.password.encode()).hexdigest()
        answer = self.api.post("/api/v1/authenticate",
                               json={"username": user.username, "password": digest})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['auth_token']}"}

    def all_events(self, headers: dict[str, str], url: str = "/api/v1/event",
                   **params: Any) -> list[dict[str, Any]]:
        """Every page, following Link rel="next" until it is absent."""
        out: list[dict[str, Any]] = []
        answer = self.api.get(url, headers=headers, params=params)
        for _ in range(10_000):
            assert answer.status_code == 200, answer.text
            out.extend(answer.json())
            nxt = answer.links.get("next")
            if nxt is None:
                return out
            answer = self.api.get(nxt["url"], headers=headers)
        raise AssertionError("paging did not end")

    def count(self, workspace: int) -> int:
        return self.world.store.count(workspace)


def build_platform(seed: int = 3, *, slow: bool = False) -> tuple[Platform, dict[str, Any]]:
    """Two workspaces with SIMs and devices in every state. ``slow``: each emitted event takes
    a moment (the sink sleeps), so a change that is not serialised would interleave."""
    made: list[Platform] = []

    def sink(event: dict[str, Any]) -> None:
        time.sleep(0.0005)
        made[0].events.append(event)

    p = Platform(seed=seed, sink=sink if slow else None)
    made.append(p)
    w1 = p.add_workspace("Alpha")
    w2 = p.add_workspace("Beta")
    p.set_actor(0)
    sims = p.register(8, workspace=w1)
    p.set_status(sims[0], SimStatus.ACTIVATED)
    p.set_status(sims[1], SimStatus.ACTIVATED)
    p.set_status(sims[2], SimStatus.FACTORY_TEST)
    ids = {
        "w1": w1, "w2": w2, "sims": sims,
        "e_active": p.create_endpoint(workspace=w1, sim=sims[0]),
        "e_ft": p.create_endpoint(workspace=w1, sim=sims[2]),
        "e_empty": p.create_endpoint(workspace=w1),
        "e_disabled": p.create_endpoint(workspace=w1, sim=sims[1],
                                        status=EndpointStatus.DISABLED),
    }
    others = p.register(3, workspace=w2)
    ids["others"] = others
    ids["e_other"] = p.create_endpoint(workspace=w2, sim=others[0])
    return p, ids


def make_env(*, slow: bool = False, **app_options: Any) -> Env:
    platform, ids = build_platform(slow=slow)
    world = World.from_platform(platform)
    world.realtime = False
    creds = world.credentials(first_token="alpha-token")
    return Env(world=world, creds=creds, api=Api(create_app(world, creds, **app_options)), **ids)


def assert_error(answer: httpx.Response, status: int, code: int | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) >= {"error_code", "error_token", "message"}
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["error_code"] == code
    return body


def new_events(env: Env, workspace: int, before: int) -> list[dict[str, Any]]:
    """Events appended since the workspace held ``before`` of them, in emission order."""
    headers = env.app_headers(workspace)
    served = env.all_events(headers, sort="timestamp")
    return served[before:]


# --------------------------------------------------------------------------- auth


def test_every_call_needs_a_bearer_token(env: Env) -> None:
    for method, url in [("GET", "/api/v1/event"), ("GET", "/api/v1/event/type"),
                        ("GET", f"/api/v1/sim/{env.sims[0]}"),
                        ("PATCH", f"/api/v1/sim/{env.sims[3]}"),
                        ("POST", "/api/v1/sim/migration/workspace")]:
        answer = env.api.request(method, url, json={"status": {"id": 1}})
        assert_error(answer, 401, 1102)
        assert answer.headers["www-authenticate"].startswith("Bearer")
    for bad in ["Bearer", "Bearer nonsense", "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
                "Bearer a.b.c", "Bearer " + "x" * 5000]:
        assert_error(env.api.get("/api/v1/event", headers={"Authorization": bad}), 401)
    assert env.count(env.w1) > 0  # there was something to hide


def test_application_token_authenticates_and_wrong_ones_do_not(env: Env) -> None:
    assert_error(env.api.post("/api/v1/authenticate", json={"application_token": "nope"}),
                 401, 1101)
    assert_error(env.api.post("/api/v1/authenticate", json={"application_token": "ålpha"}),
                 401, 1101)
    assert_error(env.api.post("/api/v1/authenticate", json={}), 422, 1402)
    headers = env.app_headers()
    assert env.api.get("/api/v1/event", headers=headers).status_code == 200


def test_tampered_and_expired_auth_tokens_are_refused(env: Env) -> None:
    token = env.app_headers()["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert_error(env.api.get("/api/v1/event",
                             headers={"Authorization": f"Bearer {header}.{forged}.{signature}"}),
                 401, 1102)
    now = time.time()
    env.creds.clock = lambda: now + TOKEN_LIFETIME + 1
    assert_error(env.api.get("/api/v1/event", headers={"Authorization": f"Bearer {token}"}),
                 401, 1103)


def test_user_credentials_take_the_sha1_of_the_password(env: Env) -> None:
    user = env.user()
    plain = env.api.post("/api/v1/authenticate",
                         json={"username": user.username, "password": user.password})
    assert_error(plain, 401, 1101)
    headers = env.user_headers()
    assert env.api.get("/api/v1/event", headers=headers).status_code == 200


# --------------------------------------------------------------------------- paging


def test_paging_headers_and_links(env: Env) -> None:
    headers = env.app_headers()
    total = env.count(env.w1)
    assert total >= 7
    first = env.api.get("/api/v1/event", headers=headers, params={"per_page": 2})
    assert first.status_code == 200
    assert first.headers["x-total-count"] == str(total)
    assert first.headers["x-total-pages"] == str(-(-total // 2))
    assert first.headers["x-current-page"] == "1"
    assert first.headers["x-count-per-page"] == "2"
    assert set(first.links) == {"first", "next", "last"}
    second = env.api.get(first.links["next"]["url"], headers=headers)
    assert second.headers["x-current-page"] == "2"
    assert set(second.links) == {"first", "prev", "next", "last"}
    assert "per_page=2" in second.links["prev"]["url"]
    last = env.api.get(first.links["last"]["url"], headers=headers)
    assert "next" not in last.links and "prev" in last.links
    assert len(last.json()) == total - 2 * (-(-total // 2) - 1)
    # Following next from the first page yields every event once, as one big page does.
    paged = env.all_events(headers, per_page=3)
    whole = env.api.get("/api/v1/event", headers=headers).json()
    assert [e["id"] for e in paged] == [e["id"] for e in whole]
    assert len(whole) == total


def test_link_keeps_q_and_sort(env: Env) -> None:
    headers = env.app_headers()
    answer = env.api.get("/api/v1/event", headers=headers,
                         params={"per_page": 1, "q": "type:8", "sort": "id"})
    nxt = httpx.URL(answer.links["next"]["url"])
    assert nxt.params["q"] == "type:8" and nxt.params["sort"] == "id"
    assert nxt.params["page"] == "2" and nxt.params["per_page"] == "1"
    assert answer.headers["x-filter"] == "type:8" and answer.headers["x-sort"] == "id"
    odd = env.api.get("/api/v1/event", headers=headers,
                      params={"q": "description:€ä\x01%", "sort": "-id"})
    assert odd.status_code == 200 and odd.json() == []
    assert odd.headers["x-filter"] == "description:%E2%82%AC%C3%A4%01%25"


def test_page_past_the_end_is_the_last_and_below_one_the_first(env: Env) -> None:
    headers = env.app_headers()
    total = env.count(env.w1)
    pages = -(-total // 3)
    last = env.api.get("/api/v1/event", headers=headers, params={"per_page": 3, "page": pages})
    for page in (pages + 1, 10**6, 10**30):
        past = env.api.get("/api/v1/event", headers=headers,
                           params={"per_page": 3, "page": page})
        assert past.status_code == 200
        assert past.headers["x-current-page"] == str(pages)
        assert past.json() == last.json()
    first = env.api.get("/api/v1/event", headers=headers, params={"per_page": 3, "page": 1})
    for page in (0, -1, -(10**20)):
        below = env.api.get("/api/v1/event", headers=headers,
                            params={"per_page": 3, "page": page})
        assert below.headers["x-current-page"] == "1"
        assert below.json() == first.json()


def test_per_page_default_and_bounds(env: Env) -> None:
    headers = env.app_headers()
    for asked, effective in [(None, "1000"), (0, "1000"), (-5, "1000"), (5000, "1000"),
                             (1, "1")]:
        params = {} if asked is None else {"per_page": asked}
        answer = env.api.get("/api/v1/event", headers=headers, params=params)
        assert answer.headers["x-count-per-page"] == effective
    for bad in ("abc", "1.5", "9" * 5000):
        params = {"per_page": bad} if bad != "9" * 5000 else {"page": "x" + bad}
        assert_error(env.api.get("/api/v1/event", headers=headers, params=params), 422)


def test_empty_result_is_one_empty_page(env: Env) -> None:
    headers = env.app_headers()
    answer = env.api.get("/api/v1/event", headers=headers, params={"q": "type:0"})
    assert answer.json() == []
    assert answer.headers["x-total-count"] == "0" and answer.headers["x-total-pages"] == "1"
    assert set(answer.links) == {"first", "last"}


# --------------------------------------------------------------------------- sorting


def test_default_order_is_newest_first_and_sort_changes_it(env: Env) -> None:
    headers = env.app_headers()
    newest = env.all_events(headers)
    stamps = [e["timestamp"] for e in newest]
    assert stamps == sorted(stamps, reverse=True)
    oldest = env.all_events(headers, sort="timestamp")
    assert [e["id"] for e in oldest] == [e["id"] for e in reversed(newest)]
    by_id = env.all_events(headers, sort="id")
    assert [e["id"] for e in by_id] == sorted(e["id"] for e in newest)
    by_id_desc = env.all_events(headers, sort="-id")
    assert [e["id"] for e in by_id_desc] == sorted((e["id"] for e in newest), reverse=True)
    by_type = env.all_events(headers, sort="type,-timestamp")
    keys = [(e["event_type"]["id"], e["timestamp"]) for e in by_type]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    for a, b in itertools.pairwise(keys):
        if a[0] == b[0]:
            assert a[1] >= b[1]


def test_unknown_sort_field_is_422(env: Env) -> None:
    headers = env.app_headers()
    for bad in ("colour", "-", "id,,timestamp", "timestamp;drop"):
        assert_error(env.api.get("/api/v1/event", headers=headers, params={"sort": bad}),
                     422, 1302)


# --------------------------------------------------------------------------- filters


def test_filters(env: Env) -> None:
    headers = env.app_headers()
    everything = env.all_events(headers)

    def served(q: str) -> list[int]:
        return [e["id"] for e in env.all_events(headers, q=q)]

    def expected(pred: Any) -> list[int]:
        return [e["id"] for e in everything if pred(e)]

    assert served("type:48") == expected(lambda e: e["event_type"]["id"] == 48) != []
    assert served("type:8,type:45") == expected(
        lambda e: e["event_type"]["id"] in (8, 45))
    assert served("source:2") == served("source:API") == expected(
        lambda e: e["event_source"]["id"] == 2)
    assert served("severity:Info") == [e["id"] for e in everything]
    sim = env.sims[0]
    assert served(f"sim:{sim}") == expected(lambda e: e.get("sim", {}).get("id") == sim) != []
    iccid = env.world.platform.sims[sim].iccid  # type: ignore[union-attr]
    assert served(f"iccid:{iccid}") == served(f"iccid:{iccid[:19]}") == served(f"sim:{sim}")
    assert served(f"endpoint:{env.e_active}") == expected(
        lambda e: e.get("endpoint", {}).get("id") == env.e_active
        or e["description"].endswith(f"assigned to endpoint {env.e_active}")) != []
    assert served("description:assigned TO endpoint") == expected(
        lambda e: "assigned to endpoint" in e["description"]) != []
    stamps = sorted(e["timestamp"] for e in everything)
    low, high = stamps[2], stamps[-3]
    assert served(f"from:{low},until:{high}") == expected(
        lambda e: low <= e["timestamp"] <= high)
    assert served(f"from:{stamps[0][:10]},until:{stamps[-1][:10]}") == [
        e["id"] for e in everything]


def test_bad_filters_are_422(env: Env) -> None:
    headers = env.app_headers()
    for q in ("colour:red", "type", "type:eight", "from:2025-01-01", "until:2025-01-01",
              "from:yesterday,until:2025-01-01", "from:2025-02-01,until:2025-01-01",
              "severity:Loud", "sim:x", "iccid:89x", ","):
        assert_error(env.api.get("/api/v1/event", headers=headers, params={"q": q}),
                     422, 1301)


# --------------------------------------------------------------------------- isolation, views


def test_workspaces_are_isolated(env: Env) -> None:
    one = env.all_events(env.app_headers(env.w1))
    two = env.all_events(env.app_headers(env.w2))
    assert one and two
    assert {e["organisation"]["id"] for e in one} == {env.w1}
    assert {e["organisation"]["id"] for e in two} == {env.w2}
    h2 = env.app_headers(env.w2)
    # The platform answers an id that names nothing with 404 and 1401 InvalidReference
    # (recorded: "Endpoint with Id '-1' not found.").
    missing = assert_error(env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=h2), 404, 1401)
    assert missing["message"] == f"SIM with Id '{env.sims[0]}' not found."
    missing = assert_error(env.api.get(f"/api/v1/endpoint/{env.e_active}", headers=h2), 404,
                           1401)
    assert missing["message"] == f"Endpoint with Id '{env.e_active}' not found."
    assert env.api.get(f"/api/v1/sim/{env.sims[0]}/event", headers=h2).json() == []
    before = env.count(env.w1)
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[3]}", headers=h2,
                               json={"status": {"id": 1}}), 404)
    assert_error(env.api.patch(f"/api/v1/endpoint/{env.e_active}/connectivity", headers=h2),
                 404)
    assert env.count(env.w1) == before


def test_event_types_and_status_lookups(env: Env) -> None:
    headers = env.app_headers()
    types = env.api.get("/api/v1/event/type", headers=headers).json()
    assert {t["id"]: t["description"] for t in types} == EVENT_TYPE_DESCRIPTIONS
    statuses = env.api.get("/api/v1/sim/status", headers=headers).json()
    assert [s["description"] for s in statuses] == [s.label for s in SimStatus]


def test_sim_and_endpoint_events_and_views(env: Env) -> None:
    headers = env.app_headers()
    sim = env.sims[0]
    events = env.all_events(headers, url=f"/api/v1/sim/{sim}/event")
    assert events and all(e["sim"]["id"] == sim for e in events)
    ep_events = env.all_events(headers, url=f"/api/v1/endpoint/{env.e_disabled}/event")
    assert ep_events and all(
        e.get("endpoint", {}).get("id") == env.e_disabled
        or e["description"].endswith(f"endpoint {env.e_disabled}")  # 51 at creation
        for e in ep_events)
    assert ep_events[-1]["event_type"]["id"] == 51
    for url in ("/api/v1/sim/999/event", "/api/v1/endpoint/999/event"):
        answer = env.api.get(url, headers=headers)
        assert answer.status_code == 200 and answer.json() == []
    # An id that is not a number: 400 and 1000, as recorded ("Cannot parse parameter id").
    assert_error(env.api.get("/api/v1/sim/abc/event", headers=headers), 400, 1000)
    view = env.api.get(f"/api/v1/sim/{sim}", headers=headers).json()
    assert view["status"] == {"id": 1, "description": "Activated"}
    assert view["endpoint"]["id"] == env.e_active
    assert view["iccid_with_luhn"].startswith(view["iccid"]) and len(view["iccid"]) == 19
    ep = env.api.get(f"/api/v1/endpoint/{env.e_disabled}", headers=headers).json()
    assert ep["status"]["description"] == "Disabled" and ep["sim"]["id"] == env.sims[1]
    assert_error(env.api.get("/api/v1/sim/999", headers=headers), 404, 1401)
    assert_error(env.api.get(f"/api/v1/sim/{10**40}", headers=headers), 404)


# --------------------------------------------------------------------------- changes


def test_patch_sim_status_emits_without_user_for_an_application_token(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    answer = env.api.patch(f"/api/v1/sim/{env.sims[3]}", headers=headers,
                           json={"status": {"id": 1}})
    assert answer.status_code == 204 and answer.content == b""
    (event,) = new_events(env, env.w1, before)
    assert event["event_type"]["id"] == 8 and event["sim"]["id"] == env.sims[3]
    assert "user" not in event
    shown = env.api.get(f"/api/v1/sim/{env.sims[3]}", headers=headers).json()
    assert shown["status"]["id"] == 1


def test_changes_with_user_credentials_name_the_user(env: Env) -> None:
    before = env.count(env.w1)
    answer = env.api.patch(f"/api/v1/sim/{env.sims[0]}", headers=env.user_headers(),
                           json={"status": {"id": 2}})
    assert answer.status_code == 204
    (event,) = new_events(env, env.w1, before)
    user = env.user()
    assert event["event_type"]["id"] == 9
    assert event["user"] == {"id": user.id, "name": user.name, "username": user.username}


def test_patch_sim_refusals_emit_nothing(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[0]}", headers=headers,
                               json={"status": {"id": 4}}), 400)  # Activated -> Factory Test
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[1]}", headers=headers,
                               json={"status": {"id": 0}}), 400)  # nothing returns to Issued
    # The status it has already (Issued): accepted, and nothing is emitted.
    assert env.api.patch(f"/api/v1/sim/{env.sims[3]}", headers=headers,
                         json={"status": {"id": 0}}).status_code == 204
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[3]}", headers=headers,
                               json={"status": {"id": 99}}), 422, 1401)
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[3]}", headers=headers,
                               json={"status": {"id": 1}, "colour": "red"}), 422)
    assert_error(env.api.patch("/api/v1/sim/999", headers=headers,
                               json={"status": {"id": 1}}), 404, 1401)
    assert env.count(env.w1) == before


def test_delete_sim(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    assert_error(env.api.delete(f"/api/v1/sim/{env.sims[0]}", headers=headers), 409)
    assert env.count(env.w1) == before
    assert env.api.delete(f"/api/v1/sim/{env.sims[4]}", headers=headers).status_code == 204
    (event,) = new_events(env, env.w1, before)
    assert event["event_type"]["id"] == 10 and event["sim"]["id"] == env.sims[4]
    assert_error(env.api.delete(f"/api/v1/sim/{env.sims[4]}", headers=headers), 400)
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[4]}", headers=headers,
                               json={"status": {"id": 1}}), 400)
    assert env.count(env.w1) == before + 1


def test_patch_endpoint_status(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    url = f"/api/v1/endpoint/{env.e_active}"
    assert env.api.patch(url, headers=headers, json={"status": {"id": 1}}).status_code == 204
    # The status it has already: 204 and no event (the SDK's assign_sim relies on it).
    again = env.api.patch(url, headers=headers, json={"status": {"id": 1.0}})
    assert again.status_code == 204 and again.content == b""
    assert env.api.patch(url, headers=headers, json={"status": {"id": 0}}).status_code == 204
    assert [e["event_type"]["id"] for e in new_events(env, env.w1, before)] == [43, 42]
    # A Factory Test SIM's endpoint changing status auto-activates it at once (Policy Control).
    before = env.count(env.w1)
    answer = env.api.patch(f"/api/v1/endpoint/{env.e_ft}", headers=headers,
                           json={"status": {"id": 1}})
    assert answer.status_code == 204
    series = new_events(env, env.w1, before)
    assert [(e["event_type"]["id"], e["event_source"]["id"]) for e in series] == [(43, 2), (8, 1)]


def test_assign_and_release(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    free, empty = env.sims[5], env.e_empty
    url = f"/api/v1/endpoint/{empty}"
    assert env.api.patch(url, headers=headers, json={"sim": {"id": free}}).status_code == 204
    assert_error(env.api.patch(url, headers=headers, json={"sim": {"id": env.sims[6]}}), 409)
    assert_error(env.api.patch(f"/api/v1/endpoint/{env.e_active}", headers=headers,
                               json={"sim": {"id": free}}), 409)  # held elsewhere
    assert_error(env.api.patch(url, headers=headers, json={"sim": {"id": env.others[1]}}), 404)
    assert env.api.patch(url, headers=headers, json={"sim": None}).status_code == 204
    assert_error(env.api.patch(url, headers=headers, json={"sim": {"id": None}}), 409)
    # Several fields at once are all or nothing: the release is refused, so is the status.
    assert_error(env.api.patch(url, headers=headers,
                               json={"sim": None, "status": {"id": 1}}), 409)
    assert_error(env.api.patch(url, headers=headers, json={}), 422)
    assert_error(env.api.patch(url, headers=headers, json={"status": None}), 422)
    assert [e["event_type"]["id"] for e in new_events(env, env.w1, before)] == [51, 50]


def test_reset_connectivity_series(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    url = f"/api/v1/endpoint/{env.e_active}/connectivity"
    assert env.api.patch(url, headers=headers).status_code == 204
    series = new_events(env, env.w1, before)
    assert [e["event_type"]["id"] for e in series] == [68, 9, 5, 43, 42, 8, 1]
    assert env.api.patch(url, headers=headers, json={"location": None}).status_code == 204
    assert_error(env.api.patch(f"/api/v1/endpoint/{env.e_empty}/connectivity",
                               headers=headers), 409)
    shown = env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=headers).json()
    assert shown["status"]["id"] == 1  # as it was


def test_delete_endpoint(env: Env) -> None:
    """DELETE of a device that holds a SIM is 409 (the platform documents it); the SDK's
    delete_device suspends, disables and releases first (9, 43, 50), then deletes silently."""
    headers = env.app_headers()
    before = env.count(env.w1)
    url = f"/api/v1/endpoint/{env.e_active}"
    assert_error(env.api.delete(url, headers=headers), 409)
    assert env.count(env.w1) == before
    for call, body in [(f"/api/v1/sim/{env.sims[0]}", {"status": {"id": 2}}),
                       (url, {"status": {"id": 1.0, "description": "Disabled"}}),
                       (url, {"sim": {"id": None}})]:
        assert env.api.patch(call, headers=headers, json=body).status_code == 204
    assert env.api.delete(url, headers=headers).status_code == 204
    assert [e["event_type"]["id"] for e in new_events(env, env.w1, before)] == [9, 43, 50]
    assert_error(env.api.get(url, headers=headers), 404, 1401)
    assert_error(env.api.delete(url, headers=headers), 404, 1401)


# --------------------------------------------------------------------------- migration


def test_migration_needs_user_credentials(env: Env) -> None:
    body = {"sims": [{"id": env.sims[3]}], "target_workspace": {"id": env.w2}}
    assert_error(env.api.post("/api/v1/sim/migration/workspace", headers=env.app_headers(),
                              json=body), 403, 1104)


def test_migration_dry_run_emits_nothing(env: Env) -> None:
    headers = env.user_headers()
    before = (env.count(env.w1), env.count(env.w2))
    body = {"sims": [{"id": env.sims[0]}, {"id": env.sims[3]}],
            "target_workspace": {"id": env.w2}, "auto_detach_devices": True}
    for dry in ({}, {"dry_run": True}):
        answer = env.api.post("/api/v1/sim/migration/workspace", headers=headers,
                              json=body | dry)
        assert answer.status_code == 200, answer.text
        summary = answer.json()
        assert summary["dry_run"] is True
        assert [s["id"] for s in summary["sims"]] == [env.sims[0], env.sims[3]]
        assert summary["sims"][0]["suspend"] is True
        assert summary["sims"][0]["detach_from_endpoint"] == env.e_active
    assert (env.count(env.w1), env.count(env.w2)) == before
    shown = env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=headers).json()
    assert shown["customer_org"]["id"] == env.w1


def test_migration_refusals(env: Env) -> None:
    headers = env.user_headers()
    url = "/api/v1/sim/migration/workspace"
    before = (env.count(env.w1), env.count(env.w2))
    held = {"sims": [{"id": env.sims[0]}], "target_workspace": {"id": env.w2}}
    for dry in (True, False):
        assert_error(env.api.post(url, headers=headers, json=held | {"dry_run": dry}),
                     409, 1502)
    many = {"sims": [{"id": i} for i in range(501)], "target_workspace": {"id": env.w2}}
    assert_error(env.api.post(url, headers=headers, json=many), 422)
    for body in (
        {"sims": [{"id": env.sims[3]}], "target_workspace": {"id": 999}},
        {"sims": [{"id": env.sims[3]}], "target_workspace": {"id": env.w1}},
        {"sims": [{"id": env.others[1]}], "target_workspace": {"id": env.w2}},
        {"sims": [], "target_workspace": {"id": env.w2}},
        {"sims": [{"id": env.sims[3]}], "iccids": ["1"], "target_workspace": {"id": env.w2}},
        {"sims": [{"id": env.sims[3]}]},
        {"sims": [{"id": env.sims[3]}], "target_workspace": {"id": env.w2}, "dry_run": "no"},
    ):
        assert_error(env.api.post(url, headers=headers, json=body), 422)
    assert (env.count(env.w1), env.count(env.w2)) == before


def test_migration_moves_sims_and_emits_the_pair(env: Env) -> None:
    headers = env.user_headers()
    before = (env.count(env.w1), env.count(env.w2))
    body = {"sims": [{"id": env.sims[0]}, {"id": env.sims[3]}],
            "target_workspace": {"id": env.w2}, "auto_detach_devices": True,
            "dry_run": False}
    answer = env.api.post("/api/v1/sim/migration/workspace", headers=headers, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["dry_run"] is False
    source = new_events(env, env.w1, before[0])
    target = new_events(env, env.w2, before[1])
    assert [e["event_type"]["id"] for e in source] == [9, 50, 69]
    assert [e["event_type"]["id"] for e in target] == [69]
    assert source[-1]["id"] == target[0]["id"]
    assert source[-1]["detail"]["type"] == "source" and target[0]["detail"]["type"] == "target"
    assert source[-1]["user"]["username"] == env.user().username
    assert_error(env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=headers), 404)
    moved = env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=env.app_headers(env.w2)).json()
    assert moved["customer_org"]["id"] == env.w2 and moved["status"]["id"] == 2
    # By ICCID too, from the other workspace back.
    iccid = moved["iccid_with_luhn"]
    back = env.api.post("/api/v1/sim/migration/workspace", headers=env.user_headers(env.w2),
                        json={"iccids": [iccid], "target_workspace": {"id": env.w1},
                              "dry_run": False})
    assert back.status_code == 200, back.text
    assert [s["id"] for s in back.json()["sims"]] == [env.sims[0]]


# --------------------------------------------------------------------------- robustness


def test_rate_limit_answers_429_with_retry_after() -> None:
    now = [100.0]
    made = make_env(limiter=RateLimiter(2, clock=lambda: now[0]))
    try:
        token = made.creds.tokens[made.w1]
        ok = made.api.post("/api/v1/authenticate", json={"application_token": token})
        headers = {"Authorization": f"Bearer {ok.json()['auth_token']}"}
        assert made.api.get("/api/v1/event/type", headers=headers).status_code == 200
        limited = made.api.get("/api/v1/event/type", headers=headers)
        assert_error(limited, 429, 1105)
        assert int(limited.headers["retry-after"]) >= 1
        now[0] += 0.5  # one token back at 2/s
        assert made.api.get("/api/v1/event/type", headers=headers).status_code == 200
        assert made.api.get("/api/v1/event/type", headers=headers).status_code == 429
    finally:
        made.api.close()


def test_parse_rate() -> None:
    assert parse_rate("20/s") == 20 and parse_rate("60/m") == 1 and parse_rate("5") == 5
    for bad in ("", "0/s", "-1/s", "x/s", "5/h", "inf/s", "nan"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_malformed_and_oversized_requests_get_json_errors(env: Env) -> None:
    headers = env.app_headers() | {"Content-Type": "application/json"}
    url = f"/api/v1/sim/{env.sims[3]}"
    for body in (b"{nope", b"", b"\xff\xfe", b"[" * 100_000, b'{"status": {"id": 1}'):
        answer = env.api.patch(url, headers=headers, content=body)
        assert answer.status_code in (400, 422), (body[:20], answer.text)
        assert_error(answer, answer.status_code)
    for body_json in ([1, 2], "status", {"status": 1}, {"status": {"id": True}}, None):
        assert_error(env.api.patch(url, headers=headers, json=body_json), 422)
    big = b'{"status": {"id": 1}, "pad": "' + b"x" * (2 << 20) + b'"}'
    assert_error(env.api.patch(url, headers=headers, content=big), 400)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(40):
            yield b"x" * 65536

    assert_error(env.api.patch(url, headers=headers, content=chunks()), 400)
    assert_error(env.api.post("/api/v1/authenticate", content=b"{",
                              headers={"Content-Type": "application/json"}), 400)
    assert_error(env.api.post("/api/v1/authenticate",
                              json={"application_token": "x" * 5000}), 422)
    assert_error(env.api.get("/api/v1/nowhere", headers=headers), 404)
    slashed = env.api.get("/api/v1/event/", headers=headers)  # served, not redirected
    assert slashed.status_code == 200 and slashed.json()
    assert_error(env.api.get("/api/v1/sim/0/", headers=headers), 404)
    assert_error(env.api.request("PUT", "/api/v1/event", headers=headers), 405)
    assert env.api.patch(url, headers=headers, json={"status": {"id": 1}}).status_code == 204


@pytest.fixture
def slow_env() -> Iterator[Env]:
    made = make_env(slow=True)
    try:
        yield made
    finally:
        made.api.close()


@pytest.fixture(scope="module")
def shared_env() -> Iterator[Env]:
    made = make_env()
    try:
        yield made
    finally:
        made.api.close()


_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
_BODIES = st.one_of(
    st.none(),
    st.binary(max_size=60),
    st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                 lambda kids: st.lists(kids, max_size=3)
                 | st.dictionaries(st.sampled_from(["status", "sim", "id", "sims",
                                                    "target_workspace", "dry_run",
                                                    "auto_detach_devices", "iccids",
                                                    "application_token", "name", "tags",
                                                    "imei", "payload", "sim_status",
                                                    "service_profile", "activate"]),
                                   kids, max_size=3),
                 max_leaves=8),
)


@given(method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"]),
       path=st.sampled_from(["/api/v1/event", "/api/v1/event/type", "/api/v1/sim/{sim}",
                             "/api/v1/sim/{sim}/event", "/api/v1/endpoint/{ep}",
                             "/api/v1/endpoint/{ep}/connectivity", "/api/v1/sim/{junk}",
                             "/api/v1/sim/migration/workspace", "/api/v1/authenticate",
                             "/api/v1/sim", "/api/v1/endpoint", "/api/v1/endpoint/{ep}/sms",
                             "/api/v1/endpoint/{ep}/operator_blacklist/2",
                             "/api/v1/sim_batch/bic/{junk}", "/api/v1/operator",
                             "/api/v1/service_profile"]),
       params=st.dictionaries(st.sampled_from(["page", "per_page", "sort", "q"]) | _ASCII,
                              _TEXT, max_size=3),
       body=_BODIES, as_user=st.booleans(), junk=_ASCII)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_no_request_crashes_the_app(shared_env: Env, method: str, path: str,
                                    params: dict[str, str], body: Any, as_user: bool,
                                    junk: str) -> None:
    """Any method, path, query and body: a JSON answer below 500 (a crash would raise here:
    the ASGI transport re-raises the app's exceptions)."""
    env = shared_env
    headers = env.user_headers() if as_user else env.app_headers()
    url = path.format(sim=env.sims[3], ep=env.e_empty, junk=httpx.URL(junk or "x").path)
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
    answer = env.api.request(method, url, headers=headers, params=params, **kwargs)
    assert answer.status_code < 500, answer.text
    if answer.status_code in (201, 204):  # no body: created (with Location), or done
        assert answer.content == b""
        assert answer.status_code == 204 or answer.headers["location"].startswith("/api/v1/")
    else:
        assert answer.headers["content-type"].startswith("application/json")
        answer.json()


def test_concurrent_changes_are_serialised(slow_env: Env) -> None:
    """Threads toggle the same SIMs and read pages at once: every answer is expected, and the
    served log is a valid history (no change interleaved inside another's series)."""
    env = slow_env
    headers = env.app_headers()
    user = env.user_headers()
    sims = [env.sims[0], env.sims[1]]
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(12):
            sim = sims[(n + i) % 2]
            which = user if i % 3 == 0 else headers
            if i % 4 == 3:
                answer = env.api.patch(f"/api/v1/endpoint/{env.e_active}/connectivity",
                                       headers=which)
            elif i % 4 == 2:
                answer = env.api.get("/api/v1/event", headers=which, params={"per_page": 7})
            else:
                answer = env.api.patch(f"/api/v1/sim/{sim}", headers=which,
                                       json={"status": {"id": 1 + (n + i) % 2}})
            with lock:
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert len(statuses) == 96 and set(statuses) <= {200, 204, 400, 409}
    assert statuses.count(204) > 10
    served = env.all_events(headers, sort="timestamp")
    assert len(served) == env.count(env.w1)
    report = validate(served)
    assert report.errors == 0, [f.message for f in report.findings]


def test_every_served_event_validates_after_every_kind_of_change(env: Env) -> None:
    headers, user = env.app_headers(), env.user_headers()
    for method, url, body in [
        ("PATCH", f"/api/v1/sim/{env.sims[3]}", {"status": {"id": 4}}),
        ("PATCH", f"/api/v1/endpoint/{env.e_empty}", {"sim": {"id": env.sims[3]}}),
        ("PATCH", f"/api/v1/endpoint/{env.e_empty}/connectivity", None),
        ("PATCH", f"/api/v1/endpoint/{env.e_disabled}", {"status": {"id": 0}}),
        ("PATCH", f"/api/v1/endpoint/{env.e_ft}", {"sim": None}),
        ("DELETE", f"/api/v1/sim/{env.sims[2]}", None),
        ("PATCH", f"/api/v1/endpoint/{env.e_active}", {"sim": None}),
        ("DELETE", f"/api/v1/endpoint/{env.e_active}", None),
        ("PATCH", f"/api/v1/sim/{env.sims[7]}", {"status": {"id": 1}}),
    ]:
        answer = env.api.request(method, url, headers=headers, json=body)
        assert answer.status_code == 204, (url, answer.text)
    answer = env.api.post("/api/v1/sim/migration/workspace", headers=user, json={
        "sims": [{"id": env.sims[1]}, {"id": env.sims[7]}], "target_workspace": {"id": env.w2},
        "auto_detach_devices": True, "dry_run": False})
    assert answer.status_code == 200, answer.text
    for workspace in (env.w1, env.w2):
        served = env.all_events(env.app_headers(workspace))
        served.reverse()  # replay order
        report = validate(served)
        assert report.errors == 0, [(f.rule, f.message) for f in report.findings]
        assert report.events == len(served) == env.count(workspace)


def test_validate_never_imports_the_web_stack() -> None:
    code = ("import sys\n"
            "from click.testing import CliRunner\n"
            "from simulator.cli import cli\n"
            f"result = CliRunner().invoke(cli, ['validate', {str(SEEDS)!r}])\n"
            "assert result.exit_code in (0, 1), result.output\n"
            "loaded = {'fastapi', 'starlette', 'uvicorn', 'httpx'} & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- recorded logs


def test_a_recorded_log_is_served_read_only(seed_lines: list[bytes]) -> None:
    import orjson

    world = World.from_events(orjson.loads(line) for line in seed_lines)
    creds = world.credentials(first_token="t")
    assert creds.users == []  # no platform, no accounts
    api = Api(create_app(world, creds))
    try:
        total = 0
        for workspace, token in creds.tokens.items():
            ok = api.post("/api/v1/authenticate", json={"application_token": token})
            headers = {"Authorization": f"Bearer {ok.json()['auth_token']}"}
            served = api.get("/api/v1/event", headers=headers).json()
            assert {e["organisation"]["id"] for e in served} == {workspace}
            total += len(served)
        assert total == len(seed_lines)
        first = next(iter(creds.tokens))
        ok = api.post("/api/v1/authenticate", json={"application_token": "t"})
        headers = {"Authorization": f"Bearer {ok.json()['auth_token']}"}
        assert api.get("/api/v1/event", headers=headers).json()[0]["organisation"]["id"] == first
        sim_event = api.get("/api/v1/event", headers=headers).json()[0]
        assert_error(api.patch(f"/api/v1/sim/{sim_event['sim']['id']}", headers=headers,
                               json={"status": {"id": 1}}), 405)
    finally:
        api.close()


def test_served_bytes_are_canonical(seed_lines: list[bytes]) -> None:
    import orjson

    from lifecycle.events import dumps
    from simulator.serve.store import parse_q, parse_sort

    world = World.from_events(orjson.loads(line) for line in seed_lines)
    rows = [row for ws in world.store.workspaces()
            for row in world.store.select(ws, parse_q(""), parse_sort("timestamp"))]
    assert sorted(orjson.loads(r.body)["id"] for r in rows) == sorted(
        orjson.loads(line)["id"] for line in seed_lines)
    for row in rows:
        value = orjson.loads(row.body)
        assert row.body == dumps(value)  # canonical: reading and writing again is identity
        assert value in [orjson.loads(line) for line in seed_lines]


def test_fleet_world_serves_exactly_the_generated_log() -> None:
    from lifecycle.events import dumps
    from simulator.platform.fleet import generate
    from simulator.serve.store import parse_q, parse_sort

    world = World.from_fleet(sims=40, seed=5)
    expected = [dumps(e) for e in generate(sims=40, seed=5)]
    served = sorted((row for ws in world.store.workspaces()
                     for row in world.store.select(ws, parse_q(""), parse_sort("timestamp"))),
                    key=lambda row: row.seq)
    assert [row.body for row in served] == expected
    assert world.platform is not None and len(world.platform.sims) == 40


# --------------------------------------------------------------------------- a real process


@contextmanager
def serve_process(tmp_path: Path, *args: str) -> Iterator[tuple[str, str]]:
    """``simlife serve --port 0 ...`` as a subprocess; yields (base URL, its start-up text)."""
    out = tmp_path / "serve.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from simulator.cli import main; main()", "serve",
             "--host", "127.0.0.1", "--port", "0", "--quiet", *args],
            stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 60
        base = None
        while base is None:
            text = out.read_text(errors="replace")
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
            if found:
                base = found.group(1)
                break
            assert proc.poll() is None, f"serve exited early:\n{text}"
            assert time.monotonic() < deadline, f"serve did not start:\n{text}"
            time.sleep(0.05)
        while True:  # bound, but is uvicorn answering yet?
            try:
                if httpx.get(f"{base}/api/v1/event", timeout=2).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, out.read_text(errors="replace")
            assert time.monotonic() < deadline, "serve never answered"
            time.sleep(0.05)
        yield base, out.read_text(errors="replace")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tokens(text: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^workspace (\d+) .*: application token (\S+)$", text, re.M)}


def test_real_server_with_a_fleet(tmp_path: Path) -> None:
    with serve_process(tmp_path, "--sims", "60", "--seed", "4", "--token", "first-token") as (
            base, text):
        tokens = _tokens(text)
        assert len(tokens) == 2 and next(iter(tokens.values())) == "first-token"
        assert re.search(r"^  user \S+@\S+ password \S+", text, re.M)
        with httpx.Client(base_url=base, timeout=10) as client:
            total = 0
            for workspace, token in tokens.items():
                auth = client.post("/api/v1/authenticate", json={"application_token": token})
                headers = {"Authorization": f"Bearer {auth.json()['auth_token']}"}
                events: list[dict[str, Any]] = []
                url: str | None = "/api/v1/event?per_page=100"
                while url:
                    page = client.get(url, headers=headers)
                    assert page.status_code == 200
                    events.extend(page.json())
                    url = page.links.get("next", {}).get("url")
                assert len(events) == int(page.headers["x-total-count"]) > 0
                assert {e["organisation"]["id"] for e in events} == {workspace}
                assert validate(list(reversed(events))).errors == 0
                total += len(events)
                # Concurrent reads and a change, over real sockets.
                sim = next(e["sim"]["id"] for e in events if "sim" in e and client.get(
                    f"/api/v1/sim/{e['sim']['id']}", headers=headers).json().get(
                    "status", {}).get("id") in (1, 2))  # Activated or Suspended: toggles
                results: list[int] = []

                def hit(sim: int = sim, headers: dict[str, str] = headers,
                        results: list[int] = results) -> None:
                    with httpx.Client(base_url=base, timeout=10) as own:
                        for k in range(5):
                            results.append(own.get(f"/api/v1/sim/{sim}/event",
                                                   headers=headers).status_code)
                            results.append(own.patch(f"/api/v1/sim/{sim}", headers=headers,
                                                     json={"status": {"id": 1 + k % 2}}
                                                     ).status_code)

                threads = [threading.Thread(target=hit) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=60)
                assert len(results) == 40 and set(results) <= {200, 204, 400}
                assert results.count(204) >= 1
                after = client.get("/api/v1/event", headers=headers,
                                   params={"sort": "timestamp"}).json()
                assert len(after) > len(events)
                assert after[-1]["timestamp"] > events[0]["timestamp"]  # the clock ran on
                assert validate(after).errors == 0
            assert total > 100
            assert client.get("/api/v1/event", headers={"Authorization": "Bearer x"}
                              ).status_code == 401


def test_real_server_with_a_recorded_log_and_a_rate_limit(tmp_path: Path) -> None:
    with serve_process(tmp_path, "--log", str(SEEDS), "--token", "tok",
                       "--rate-limit", "3/s") as (base, text):
        assert "rate limit: 3 requests a second" in text
        with httpx.Client(base_url=base, timeout=10) as client:
            codes = [client.post("/api/v1/authenticate",
                                 json={"application_token": "tok"}) for _ in range(6)]
            limited = [r for r in codes if r.status_code == 429]
            assert limited and int(limited[0].headers["retry-after"]) >= 1
            assert limited[0].json()["error_code"] == 1105


def test_forged_forwarded_for_does_not_escape_the_rate_limit(tmp_path: Path) -> None:
    """The limit keys on the socket's peer: 40 requests from loopback, each claiming another
    address in X-Forwarded-For, share one bucket. With --trust-proxy a local proxy's header is
    the client (so each forged address gets its own)."""
    for trusted in (False, True):
        extra = ("--trust-proxy",) if trusted else ()
        with serve_process(tmp_path, "--log", str(SEEDS), "--rate-limit", "1/s", *extra) as (
                base, text):
            assert ("X-Forwarded-For" in text) is trusted
            with httpx.Client(base_url=base, timeout=10) as client:
                codes = [client.get("/api/v1/event/type",
                                    headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                         for n in range(40)]
        if trusted:
            assert 429 not in codes and set(codes) == {401}
        else:
            assert codes.count(429) >= 30, codes


def test_describe_is_written_before_listening(tmp_path: Path) -> None:
    import json

    described = tmp_path / "describe.json"
    with serve_process(tmp_path, "--sims", "30", "--seed", "3", "--token", "tok",
                       "--unregistered-batches", "3", "--describe", str(described)) as (
            base, text):
        data = json.loads(described.read_text())
        assert data["base_url"] == base
        first = data["workspaces"][0]
        assert first["application_token"] == "tok" and len(data["workspaces"]) == 2
        assert set(first["user"]) == {"username", "password"} and first["user"]["password"] in text
        assert [set(b) for b in data["unregistered_batches"]] == [
            {"bic", "size", "workspace"}] * 3
        with httpx.Client(base_url=base, timeout=10) as client:
            digest = hashlib.sha1(first["user"]["password"].encode()).hexdigest()
            auth = client.post("/api/v1/authenticate", json={
                "username": first["user"]["username"], "password": digest})
            assert auth.status_code == 200
            headers = {"Authorization": f"Bearer {auth.json()['auth_token']}"}
            batch = next(b for b in data["unregistered_batches"]
                         if b["workspace"] == first["id"])
            registered = client.patch(f"/api/v1/sim_batch/bic/{batch['bic']}", headers=headers,
                                      json={"sim_status": {"id": 1}})
            assert registered.status_code == 200 and len(registered.json()["sim"]) == batch["size"]


def test_the_documented_paging_example_runs(tmp_path: Path) -> None:
    """The httpx example of docs/serve.md, run as it is against a real stand-in."""
    text = (ROOT / "docs" / "serve.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    script = tmp_path / "example.py"
    script.write_text(code)
    with serve_process(tmp_path, "--sims", "300", "--seed", "2", "--token", "doc-token") as (
            base, _):
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=120, env={"SIMLIFE_URL": base,
                                                "SIMLIFE_TOKEN": "doc-token"})
        assert done.returncode == 0, done.stderr
        with httpx.Client(base_url=base, timeout=10) as client:
            auth = client.post("/api/v1/authenticate", json={"application_token": "doc-token"})
            headers = {"Authorization": f"Bearer {auth.json()['auth_token']}"}
            total = client.get("/api/v1/event", headers=headers,
                               params={"q": "type:8", "per_page": 1}).headers["x-total-count"]
    assert int(total) > 100  # more than one page of 100
    assert done.stdout == f"{total} SIM activations, oldest first\n"


def test_serve_usage_errors(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from simulator.cli import cli

    runner = CliRunner()
    for args in (["--log", str(tmp_path / "missing.jsonl")],
                 ["--log", str(SEEDS), "--sims", "3"],
                 ["--rate-limit", "fast"],
                 ["--token", " "],
                 ["--port", "70000"],
                 ["--log", str(SEEDS), "--unregistered-batches", "2"],
                 ["--unregistered-batches", "-1"],
                 ["--describe", str(tmp_path / "missing" / "d.json"), "--port", "0"]):
        result = runner.invoke(cli, ["serve", *args])
        assert result.exit_code == 2, (args, result.output)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert runner.invoke(cli, ["serve", "--log", str(empty)]).exit_code == 2
