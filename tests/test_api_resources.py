"""The stand-in's resources beyond events: the shapes the platform's recorded answers have, the
routes the official SDK calls, and the events each change appends (httpx on the ASGI app).

The key sets below are those of the answers the official SDK's tests recorded against the real
platform (``recorded-answers.json``, see ../shared/reference/README.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle.codes import SimStatus
from simulator.replay.driver import validate
from simulator.serve.auth import RateLimiter
from tests.test_server import Env, assert_error, new_events

SIM_KEYS = {"activation_date", "customer_org", "iccid", "id", "imsi", "issuer_org", "model",
            "msisdn", "production_date", "status"}
SIM_NESTED = {"customer_org": {"country", "id", "name"}, "issuer_org": {"country", "id", "name"},
              "model": {"description", "formfactor", "id", "manufacturer", "memory_size"},
              "status": {"description", "id"}}
SIM_ENDPOINT = {"created", "id", "imei", "ip_address", "ip_address_space_id", "last_updated",
                "name", "organisation_id", "service_profile_id", "tags", "tariff_profile_id"}
DEVICE_KEYS = {"created", "id", "imei", "imei_lock", "ip_address", "ip_address_space",
               "last_updated", "name", "service_profile", "sim", "status", "tags",
               "tariff_profile"}
DEVICE_NESTED = {"ip_address_space": {"id", "ip_address_space", "ip_address_version"},
                 "service_profile": {"id", "name"}, "sim": {"iccid", "id", "imsi", "msisdn",
                                                            "status"},
                 "status": {"description", "id"},
                 "tariff_profile": {"id", "name", "satellite_capable"}}
SMS_KEYS = {"called_party_prefix", "dcs", "delivery_date", "dlr_status_id", "endpoint_id",
            "esme_interface_type", "expiry_date", "final_date", "gsm_map_error", "iccid", "id",
            "imsi", "last_delivery_attempt", "msc", "msisdn", "organisation_id", "p2p_ext",
            "payload", "pid", "registered_delivery", "retry_count", "retry_date", "sim_id",
            "smpp_bind_id", "smpp_dlr_bind_id", "sms_type", "source_address",
            "source_address_type", "status", "submit_date", "udh"}
OPERATOR_KEYS = {"country", "country_name", "id", "inbound_roamers_allowed", "mnc", "name",
                 "name_and_country", "tapcode"}
BLACKLIST_KEYS = {"country", "id", "mnc", "name", "tapcode"}


def types(events: list[dict[str, Any]]) -> list[int]:
    return [e["event_type"]["id"] for e in events]


def valid(env: Env) -> None:
    """Every workspace's served events validate with no error."""
    for workspace in (env.w1, env.w2):
        served = env.all_events(env.app_headers(workspace), sort="timestamp")
        report = validate(served)
        assert report.errors == 0, [(f.rule, f.message) for f in report.findings]


# --------------------------------------------------------------------------- SIMs


def test_sim_resource_has_the_recorded_shape(env: Env) -> None:
    headers = env.app_headers()
    sim = env.api.get(f"/api/v1/sim/{env.sims[0]}", headers=headers).json()
    assert set(sim) >= SIM_KEYS | {"endpoint"}
    for key, nested in SIM_NESTED.items():
        assert set(sim[key]) >= nested, key
    assert set(sim["endpoint"]) == SIM_ENDPOINT and sim["endpoint"]["id"] == env.e_active
    assert isinstance(sim["imsi"], str) and isinstance(sim["msisdn"], str)
    assert sim["msisdn"].isdigit() and len(sim["msisdn"]) == 15
    assert sim["production_date"].endswith("+0000")
    issued = env.api.get(f"/api/v1/sim/{env.sims[3]}", headers=headers).json()
    assert "activation_date" not in issued and "endpoint" not in issued
    assert issued["status"] == {"id": 0, "description": "Issued"}


def test_sim_list_is_paged_filtered_and_sorted(env: Env) -> None:
    headers = env.app_headers()
    answer = env.api.get("/api/v1/sim", headers=headers)
    sims = answer.json()
    assert [s["id"] for s in sims] == sorted(env.sims)  # by id, the workspace's only
    assert answer.headers["x-count-per-page"] == "2000" and answer.headers["x-total-pages"] == "1"
    assert all(set(s) >= SIM_KEYS - {"activation_date"} for s in sims)

    def ids(**params: str) -> list[int]:
        got = env.api.get("/api/v1/sim", headers=headers, params=params)
        assert got.status_code == 200, got.text
        return [s["id"] for s in got.json()]

    assert ids(q="status:1") == ids(q="status:Activated") == sorted(env.sims[:2])
    assert ids(q="endpoint:null") == env.sims[3:]  # what get_sim_list(without_device=True) asks
    assert ids(q=f"endpoint:{env.e_ft}") == [env.sims[2]]
    assert ids(q="status:0,status:4") == [env.sims[2], *env.sims[3:]]
    assert ids(sort="-id") == sorted(env.sims, reverse=True)
    assert ids(sort="-status") == [env.sims[2], env.sims[0], env.sims[1], *env.sims[3:]]
    assert ids(per_page="3", page="2") == sorted(env.sims)[3:6]
    for q in ("colour:red", "status", "id:x", "production_date:2025-02-30"):
        assert_error(env.api.get("/api/v1/sim", headers=headers, params={"q": q}), 422, 1301)
    # The SDK sends its sort enum as str(member): the platform's grammar has no "SimSort.id".
    assert_error(env.api.get("/api/v1/sim", headers=headers, params={"sort": "SimSort.id"}),
                 422, 1302)


def test_sim_status_takes_what_the_sdk_sends(env: Env) -> None:
    headers = env.app_headers()
    before = env.count(env.w1)
    url = f"/api/v1/sim/{env.sims[0]}"
    body = {"status": {"id": 2, "description": "Suspended"}}
    assert env.api.patch(url, headers=headers, json=body).status_code == 204
    assert env.api.patch(url, headers=headers, json={"status": {"id": 1.0}}).status_code == 204
    same = env.api.patch(url, headers=headers, json={"status": {"id": 1, "description": "x"}})
    assert same.status_code == 204  # Activated already: nothing happens
    assert types(new_events(env, env.w1, before)) == [9, 8]
    for bad in (1.5, True, "1", None):
        assert_error(env.api.patch(url, headers=headers, json={"status": {"id": bad}}), 422)
    infinite = env.api.patch(url, headers=headers | {"Content-Type": "application/json"},
                             content=b'{"status": {"id": 1e999}}')
    assert_error(infinite, 422)
    for bad_body in ({"status": {"id": 1}, "customer_organisation": {"id": 1}}, {}):
        assert_error(env.api.patch(url, headers=headers, json=bad_body), 422)
    assert env.count(env.w1) == before + 2


# --------------------------------------------------------------------------- registration


def test_registration_by_bic(env: Env) -> None:
    env.world.ledger.add_batches(1, [(env.w1, 3), (env.w2, 1), (env.w1, 2)])
    bics = {(b.workspace, b.size): b.bic for b in env.world.ledger.pending.values()}
    headers = env.app_headers()
    before = env.count(env.w1)
    url = f"/api/v1/sim_batch/bic/{bics[(env.w1, 3)]}"
    answer = env.api.patch(url, headers=headers, json={"sim_status": {"id": 1}})
    assert answer.status_code == 200, answer.text
    sims = answer.json()["sim"]
    assert len(sims) == 3 and all(set(s) == {"id", "iccid"} for s in sims)
    assert types(new_events(env, env.w1, before)) == [48, 8, 8, 8]
    listed = {s["id"]: s for s in env.api.get("/api/v1/sim", headers=headers).json()}
    assert all(listed[s["id"]]["status"]["id"] == 1 for s in sims)
    assert all(listed[s["id"]]["iccid"] == s["iccid"] for s in sims)
    # Registered, unknown, another workspace's or an impossible status: 422, and no event.
    before = env.count(env.w1)
    for bic, body in [(bics[(env.w1, 3)], {"sim_status": {"id": 1}}),
                      ("NO-SUCH-BIC", {"sim_status": {"id": 1}}),
                      (bics[(env.w2, 1)], {"sim_status": {"id": 1}}),
                      (bics[(env.w1, 2)], {"sim_status": {"id": 2}}),
                      (bics[(env.w1, 2)], {"sim_status": {"id": 9}})]:
        assert_error(env.api.patch(f"/api/v1/sim_batch/bic/{bic}", headers=headers, json=body),
                     422)
    assert env.count(env.w1) == before
    # The SDK 0.5.3 sends the status itself as the body; with nothing, the SIMs stay Issued.
    sdk = env.api.patch(f"/api/v1/sim_batch/bic/{bics[(env.w1, 2)]}", headers=headers,
                        json={"id": 4, "description": "Factory Test"})
    assert sdk.status_code == 200, sdk.text
    other = env.api.patch(f"/api/v1/sim_batch/bic/{bics[(env.w2, 1)]}",
                          headers=env.app_headers(env.w2), json={})
    assert other.status_code == 200, other.text
    assert types(new_events(env, env.w1, before)) == [48, 45, 45]
    valid(env)


# --------------------------------------------------------------------------- devices


def test_device_resource_has_the_recorded_shape(env: Env) -> None:
    headers = env.app_headers()
    device = env.api.get(f"/api/v1/endpoint/{env.e_active}", headers=headers).json()
    assert set(device) >= DEVICE_KEYS
    for key, nested in DEVICE_NESTED.items():
        assert set(device[key]) >= nested, key
    assert device["sim"]["id"] == env.sims[0] and device["sim"]["status"]["id"] == 1
    assert device["created"] <= device["last_updated"]
    empty = env.api.get(f"/api/v1/endpoint/{env.e_empty}", headers=headers).json()
    assert "sim" not in empty
    listed = env.api.get("/api/v1/endpoint", headers=headers)
    items = listed.json()
    assert [d["id"] for d in items] == sorted([env.e_active, env.e_ft, env.e_empty,
                                               env.e_disabled])
    assert all(set(d["ip_address_space"]) == {"id"} for d in items)
    assert all(set(d) >= DEVICE_KEYS - {"sim"} for d in items)

    def ids(**params: str) -> list[int]:
        got = env.api.get("/api/v1/endpoint", headers=headers, params=params)
        assert got.status_code == 200, got.text
        return [d["id"] for d in got.json()]

    assert ids(q="status:1") == [env.e_disabled]
    assert ids(q="sim_status:4") == [env.e_ft]
    assert ids(sort="-id")[0] == max(ids())
    assert_error(env.api.get("/api/v1/endpoint", headers=headers, params={"q": "x:1"}), 422,
                 1301)


def test_create_device(env: Env) -> None:
    headers = env.app_headers()
    profiles = env.api.get("/api/v1/service_profile", headers=headers).json()
    tariffs = env.api.get("/api/v1/tariff_profile", headers=headers).json()
    assert len(profiles) == 2 and len(tariffs) == 2
    body = {"name": "Meter 1", "status": {"id": 0}, "service_profile": {"id": profiles[1]["id"]},
            "tariff_profile": {"id": tariffs[0]["id"]}, "tags": "north", "imei_lock": True}
    before = env.count(env.w1)
    answer = env.api.post("/api/v1/endpoint", headers=headers, json=body)
    assert answer.status_code == 201 and answer.content == b""
    location = answer.headers["location"]
    assert location.startswith("/api/v1/endpoint/")
    device = env.api.get(location, headers=headers).json()
    assert device["name"] == "Meter 1" and device["tags"] == "north"
    assert device["imei"] is None and device["imei_lock"] is True
    assert device["service_profile"]["id"] == profiles[1]["id"]
    assert env.count(env.w1) == before  # creating a device emits nothing
    # With a SIM: what the SDK sends ({"id": X, "status": {"id": 1.0}}) activates it first.
    sim_body = body | {"name": "Meter 2", "sim": {"id": env.sims[3], "status": {"id": 1.0}}}
    made = env.api.post("/api/v1/endpoint", headers=headers, json=sim_body)
    assert made.status_code == 201, made.text
    series = new_events(env, env.w1, before)
    assert types(series) == [8, 51]
    assert all("endpoint" not in e and "user" not in e for e in series)
    assert series[1]["description"].endswith(made.headers["location"].rsplit("/", 1)[1])
    before = env.count(env.w1)
    for sim, extra, expected in [(env.sims[4], {"activate": True}, [8, 51]),
                                 (env.sims[5], {"status": {"id": 4}}, [45, 51]),
                                 (env.sims[6], {}, [51])]:
        answer = env.api.post("/api/v1/endpoint", headers=headers,
                              json=body | {"sim": {"id": sim, **extra}})
        assert answer.status_code == 201, answer.text
        assert types(new_events(env, env.w1, before)) == expected
        before = env.count(env.w1)
    # Refusals emit nothing.
    for bad, status in [(body | {"service_profile": {"id": -1}}, 422),
                        (body | {"status": {"id": 2}}, 422),
                        (body | {"sim": {"id": env.sims[0]}}, 409),
                        (body | {"sim": {"id": env.others[1]}}, 404),
                        (body | {"sim": {"id": env.sims[7], "status": {"id": 2}}}, 422),
                        (body | {"ip_address": "10.0.0.1"}, 422),
                        (body | {"imei": "12345"}, 422),
                        ({k: v for k, v in body.items() if k != "tariff_profile"}, 422)]:
        assert_error(env.api.post("/api/v1/endpoint", headers=headers, json=bad), status)
    refusal = env.api.post("/api/v1/endpoint", headers=headers,
                           json=body | {"tariff_profile": {"id": 7}}).json()
    assert refusal["errors"][0]["error_code"] == 1401
    assert env.count(env.w1) == before
    valid(env)


def test_patch_device_several_fields_at_once(env: Env) -> None:
    headers = env.app_headers()
    url = f"/api/v1/endpoint/{env.e_active}"
    tariffs = env.api.get("/api/v1/tariff_profile", headers=headers).json()
    before = env.count(env.w1)
    change = {"name": "Pump 7", "tags": "a,b", "imei": "3567890123456789", "imei_lock": True,
              "status": {"id": 1.0, "description": "Disabled"},
              "tariff_profile": {"id": tariffs[1]["id"]}}
    assert env.api.patch(url, headers=headers, json=change).status_code == 204
    (disabled,) = new_events(env, env.w1, before)
    assert disabled["event_type"]["id"] == 43
    assert disabled["endpoint"] | {} == {"id": env.e_active, "imei": "3567890123456789",
                                         "ip_address": disabled["endpoint"]["ip_address"],
                                         "name": "Pump 7", "tags": "a,b"}
    device = env.api.get(url, headers=headers).json()
    assert (device["name"], device["tags"], device["imei_lock"]) == ("Pump 7", "a,b", True)
    assert device["tariff_profile"]["id"] == tariffs[1]["id"]
    # All or nothing: a refused part leaves the rest unchanged and emits nothing.
    before = env.count(env.w1)
    for bad, status in [({"name": "Nope", "sim": {"id": env.sims[1]}}, 409),
                        ({"name": "Nope", "service_profile": {"id": 1}}, 422),
                        ({"name": "Nope", "status": {"id": 2}}, 422),
                        ({"name": "Nope", "ip_address_space": {"id": 1}}, 422)]:
        assert_error(env.api.patch(url, headers=headers, json=bad), status)
    assert env.api.get(url, headers=headers).json()["name"] == "Pump 7"
    # The SIM it holds already, the status it has already: 204 and nothing.
    same = {"sim": {"id": env.sims[0]}, "status": {"id": 1}}
    assert env.api.patch(url, headers=headers, json=same).status_code == 204
    assert env.count(env.w1) == before
    # Release and re-enable in one request: 50, then 42.
    both = {"sim": None, "status": {"id": 0}}
    assert env.api.patch(url, headers=headers, json=both).status_code == 204
    assert types(new_events(env, env.w1, before)) == [50, 42]
    valid(env)


def test_unknown_ids_answer_as_recorded(env: Env) -> None:
    headers = env.app_headers()
    body = assert_error(env.api.patch("/api/v1/endpoint/-1", headers=headers, json={}), 404,
                        1401)
    assert body["message"] == "Endpoint with Id '-1' not found."
    bad = assert_error(env.api.patch("/api/v1/endpoint/None", headers=headers, json={}), 400,
                       1000)
    assert bad["error_token"] == "BadRequest" and "Cannot parse parameter" in bad["message"]


# --------------------------------------------------------------------------- connectivity, SMS


def test_connectivity(env: Env) -> None:
    headers = env.app_headers()

    def status(endpoint: int) -> str:
        answer = env.api.get(f"/api/v1/endpoint/{endpoint}/connectivity", headers=headers)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == {"status", "services"}
        return str(answer.json()["status"]["description"])

    assert [status(e) for e in (env.e_active, env.e_ft, env.e_empty, env.e_disabled)] == [
        "ATTACHED", "ATTACHED", "OFFLINE", "OFFLINE"]
    assert_error(env.api.get(f"/api/v1/endpoint/{env.e_other}/connectivity", headers=headers),
                 404, 1401)
    before = env.count(env.w1)
    for body in ({"location": None}, {"pdp_context": None}):
        url = f"/api/v1/endpoint/{env.e_active}/connectivity"
        assert env.api.patch(url, headers=headers, json=body).status_code == 204
    assert types(new_events(env, env.w1, before)) == [68, 9, 5, 43, 42, 8, 1] * 2
    assert_error(env.api.patch(f"/api/v1/endpoint/{env.e_active}/connectivity",
                               headers=headers, json={"colour": 1}), 422)


def test_sms_counts_toward_auto_activation(env: Env) -> None:
    headers = env.app_headers()
    url = f"/api/v1/endpoint/{env.e_ft}/sms"
    before = env.count(env.w1)
    locations = []
    for n in range(10):
        answer = env.api.post(url, headers=headers, json={"payload": f"test {n}"})
        assert answer.status_code == 201, answer.text
        locations.append(answer.headers["location"])
        if n < 9:
            assert env.count(env.w1) == before  # an SMS itself is no event
    (activation,) = new_events(env, env.w1, before)
    assert activation["event_type"]["id"] == 8 and activation["event_source"]["id"] == 1
    assert activation["detail"]["transition"]["reason"] == "SIM reached factory test SMS limit."
    listed = env.api.get(url, headers=headers).json()
    assert [s["payload"] for s in listed] == [f"test {n}" for n in reversed(range(10))]
    assert all(set(s) >= SMS_KEYS for s in listed)
    assert listed[0]["status"] == {"description": "DELIVERED", "id": 4}
    one = env.api.get(locations[0], headers=headers).json()
    assert one["payload"] == "test 0"
    # A disabled device's SIM gets nothing: accepted, failed; a device without SIM: 422.
    failed = env.api.post(f"/api/v1/endpoint/{env.e_disabled}/sms", headers=headers,
                          json={"payload": "x", "source_address": "12345"})
    assert failed.status_code == 201
    shown = env.api.get(f"/api/v1/endpoint/{env.e_disabled}/sms", headers=headers).json()
    assert shown[0]["status"]["description"] == "FAILED" and shown[0]["source_address"] == "12345"
    assert_error(env.api.post(f"/api/v1/endpoint/{env.e_empty}/sms", headers=headers,
                              json={"payload": "x"}), 422)
    assert_error(env.api.post(url, headers=headers, json={}), 422)
    assert_error(env.api.get(f"/api/v1/endpoint/{env.e_other}/sms", headers=headers), 404)
    valid(env)


# --------------------------------------------------------------------------- operators


def test_operators_and_blacklist(env: Env) -> None:
    headers = env.app_headers()
    operators = env.api.get("/api/v1/operator", headers=headers).json()
    assert operators and all(set(o) == OPERATOR_KEYS for o in operators)
    first, second = operators[0]["id"], operators[1]["id"]
    url = f"/api/v1/endpoint/{env.e_active}/operator_blacklist"
    assert env.api.get(url, headers=headers).json() == []
    before = env.count(env.w1)
    for op in (second, first):
        assert env.api.request("PUT", f"{url}/{op}", headers=headers).status_code == 204
    duplicate = assert_error(env.api.request("PUT", f"{url}/{first}", headers=headers), 409, 1405)
    assert duplicate["error_token"] == "Duplicated"
    listed = env.api.get(url, headers=headers).json()
    assert [o["id"] for o in listed] == sorted([first, second])
    assert all(set(o) == BLACKLIST_KEYS for o in listed)
    assert env.api.delete(f"{url}/{first}", headers=headers).status_code == 204
    assert_error(env.api.delete(f"{url}/{first}", headers=headers), 404)
    assert_error(env.api.request("PUT", f"{url}/999999", headers=headers), 404, 1401)
    assert [o["id"] for o in env.api.get(url, headers=headers).json()] == [second]
    assert env.count(env.w1) == before  # blacklists emit no event


# --------------------------------------------------------------------------- HTTP itself


def test_options_and_405_list_every_method_of_the_path(env: Env) -> None:
    for path, methods in [(f"/api/v1/sim/{env.sims[0]}", "DELETE, GET, OPTIONS, PATCH"),
                          ("/api/v1/endpoint", "GET, OPTIONS, POST"),
                          (f"/api/v1/endpoint/{env.e_active}/operator_blacklist/2",
                           "DELETE, OPTIONS, PUT")]:
        answer = env.api.request("OPTIONS", path)
        assert answer.status_code == 204 and answer.headers["allow"] == methods
        wrong = env.api.request("PUT" if "PUT" not in methods else "POST", path,
                                headers=env.app_headers())
        assert_error(wrong, 405)
        assert wrong.headers["allow"] == methods
    assert_error(env.api.request("OPTIONS", "/api/v1/nowhere"), 404)


def test_openapi_lists_the_statuses_routes_answer(env: Env) -> None:
    spec = env.api.get("/openapi.json").json()
    paths = spec["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert statuses("/api/v1/sim/{sim_id}", "patch") >= {"204", "400", "401", "404", "409",
                                                         "422", "429"}
    assert statuses("/api/v1/endpoint", "post") >= {"201", "400", "401", "409", "422", "429"}
    assert statuses("/api/v1/authenticate", "post") >= {"200", "400", "401", "422", "429"}
    assert statuses("/api/v1/sim/migration/workspace", "post") >= {"403", "409"}
    error = paths["/api/v1/sim/{sim_id}"]["patch"]["responses"]["422"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_rate_limiter_buckets_expire_and_are_bounded() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0], max_clients=100)
    for n in range(5000):
        limiter.acquire(f"10.0.{n // 256}.{n % 256}")
        assert len(limiter) <= 100
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0 and limiter.acquire("a") > 0
    now[0] += limiter.refill + 0.01  # every bucket has refilled: the next request sweeps them
    assert limiter.acquire("b") == 0
    assert len(limiter) == 1


def test_events_q_dates_are_real_instants(env: Env) -> None:
    headers = env.app_headers()
    for until in ("2025-13-45", "2025-02-30", "2025-02-28T10:00:61Z", "2025-02-28T10:00:60Z",
                  "2025-02-28T24:00:00Z", "0000-01-01", "2025-01-0١"):
        answer = env.api.get("/api/v1/event", headers=headers,
                             params={"q": f"from:2025-01-01,until:{until}"})
        body = assert_error(answer, 422, 1301)
        assert until in body["message"]
    leap = env.api.get("/api/v1/event", headers=headers,
                       params={"q": "from:2016-12-31,until:2016-12-31T23:59:60Z"})
    assert leap.status_code == 200


def test_a_status_change_the_lifecycle_forbids_is_still_refused(env: Env) -> None:
    headers = env.app_headers()
    assert env.world.platform is not None
    assert env.world.platform.sims[env.sims[0]].status == SimStatus.ACTIVATED
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[0]}", headers=headers,
                               json={"status": {"id": 4}}), 400)
    assert env.api.delete(f"/api/v1/sim/{env.sims[7]}", headers=headers).status_code == 204
    assert_error(env.api.patch(f"/api/v1/sim/{env.sims[7]}", headers=headers,
                               json={"status": {"id": 3}}), 400)  # deleted stays refused


def test_activate_on_assign_is_a_setting(env: Env) -> None:
    headers = env.app_headers()
    profiles = env.api.get("/api/v1/service_profile", headers=headers).json()
    tariffs = env.api.get("/api/v1/tariff_profile", headers=headers).json()
    body = {"status": {"id": 0}, "service_profile": {"id": profiles[0]["id"]},
            "tariff_profile": {"id": tariffs[0]["id"]}}
    before = env.count(env.w1)
    env.world.activate_on_assign = True
    for sim, extra, expected in [(env.sims[3], {}, [8, 51]),
                                 (env.sims[4], {"status": {"id": 4}}, [45, 51])]:
        answer = env.api.post("/api/v1/endpoint", headers=headers,
                              json=body | {"sim": {"id": sim, **extra}})
        assert answer.status_code == 201, answer.text
        assert types(new_events(env, env.w1, before)) == expected
        before = env.count(env.w1)
    valid(env)


def test_what_clients_add_is_bounded(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.serve import ledger as ledger_module

    monkeypatch.setattr(ledger_module, "SMS_KEPT", 5)
    monkeypatch.setattr(ledger_module, "SMS_KEPT_IN_ALL", 8)
    monkeypatch.setattr("simulator.serve.operations.DEVICES_PER_WORKSPACE", 2)
    headers = env.app_headers()
    for device in (env.e_active, env.e_disabled):
        for n in range(7):
            sent = env.api.post(f"/api/v1/endpoint/{device}/sms", headers=headers,
                                json={"payload": f"{device} {n}"})
            assert sent.status_code == 201
    kept = {device: [s["payload"] for s in env.api.get(f"/api/v1/endpoint/{device}/sms",
                                                       headers=headers).json()]
            for device in (env.e_active, env.e_disabled)}
    # 7 to one device, then 7 to another: at most 5 per device, the last 8 in all.
    assert kept == {env.e_active: [f"{env.e_active} 6"],
                    env.e_disabled: [f"{env.e_disabled} {n}" for n in (6, 5, 4, 3, 2)]}
    profiles = env.api.get("/api/v1/service_profile", headers=headers).json()
    tariffs = env.api.get("/api/v1/tariff_profile", headers=headers).json()
    body = {"status": {"id": 0}, "service_profile": {"id": profiles[0]["id"]},
            "tariff_profile": {"id": tariffs[0]["id"]}}
    for _ in range(2):
        assert env.api.post("/api/v1/endpoint", headers=headers, json=body).status_code == 201
    full = assert_error(env.api.post("/api/v1/endpoint", headers=headers, json=body), 404, 1601)
    assert full["message"] == "No IP Address available."


def test_serve_help_names_the_default_batches() -> None:
    from click.testing import CliRunner

    from simulator.cli import cli
    from simulator.serve import DEFAULT_UNREGISTERED

    shown = " ".join(CliRunner().invoke(cli, ["serve", "--help"]).output.split())
    assert f"(default {DEFAULT_UNREGISTERED})" in shown


def test_describe_a_recorded_log(seed_lines: list[bytes]) -> None:
    import orjson

    from simulator.serve import World, describe

    world = World.from_events(orjson.loads(line) for line in seed_lines)
    data = describe(world, world.credentials(first_token="t"), "http://127.0.0.1:1")
    assert data["base_url"] == "http://127.0.0.1:1" and data["unregistered_batches"] == []
    assert [w["id"] for w in data["workspaces"]] == list(world.workspaces)
    assert data["workspaces"][0]["application_token"] == "t"
    assert all(w["user"] is None for w in data["workspaces"])
