"""Every public method of the official emnify SDK (emnify-sdk 0.5.3), unmodified, against a
running ``simlife serve``: the results it returns and the events that follow each call.

Runs in the SDK's own virtual environment (the SDK needs pydantic 1; simlife needs pydantic 2):
``make sdk-check`` starts the stand-in, runs this with EMNIFY_SDK_API_ENDPOINT_URL pointing at
it, then validates the events every workspace holds. Nothing of the SDK or of ``requests`` is
patched. Plain ``requests`` calls only read events and register a batch as Issued (a status the
SDK's ``register_sim`` cannot ask for), so that the workflows have fresh SIMs to work on.

    python workflow.py DESCRIBE.json
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

DESCRIBE = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
BASE = DESCRIBE["base_url"]
os.environ["EMNIFY_SDK_API_ENDPOINT_URL"] = BASE + "/api"  # read when the SDK is imported

from emnify import EMnify  # noqa: E402
from emnify import constants as const  # noqa: E402
from emnify.errors import UnauthorisedException, ValidationErrorException  # noqa: E402

WORKSPACE = DESCRIBE["workspaces"][0]
TOKEN = WORKSPACE["application_token"]
BATCHES = [b for b in DESCRIBE["unregistered_batches"] if b["workspace"] == WORKSPACE["id"]]
ACTIVATED, SUSPENDED, FACTORY_TEST, ISSUED = 1, 2, 4, 0
RESET = [68, 9, 5, 43, 42, 8, 1]  # a reset of an Enabled device with an Activated SIM
done: list[str] = []


class Events:
    """The workspace's events through the events API (the SDK has no call for them)."""

    def __init__(self) -> None:
        auth = requests.post(f"{BASE}/api/v1/authenticate", json={"application_token": TOKEN},
                             timeout=10)
        auth.raise_for_status()
        self.headers = {"Authorization": f"Bearer {auth.json()['auth_token']}"}
        self.seen = len(self.all())

    def all(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = requests.get(f"{BASE}/api/v1/event", headers=self.headers, timeout=10,
                            params={"sort": "timestamp", "per_page": 1000})
        while True:
            page.raise_for_status()
            out.extend(page.json())
            following = page.links.get("next")
            if following is None:
                return out
            page = requests.get(following["url"], headers=self.headers, timeout=10)

    def new(self) -> list[dict[str, Any]]:
        everything = self.all()
        fresh, self.seen = everything[self.seen:], len(everything)
        return fresh


EVENTS = Events()


@contextmanager
def step(name: str, *types: int) -> Iterator[None]:
    """A workflow step: what it does must be followed by exactly these event types."""
    try:
        yield
        got = EVENTS.new()
        assert [e["event_type"]["id"] for e in got] == list(types), (
            f"events {[(e['event_type']['id'], e['description']) for e in got]}, "
            f"expected {list(types)}")
    except AssertionError as exc:
        raise SystemExit(f"sdk-check: FAILED at {name!r}: {exc}") from None
    done.append(name)


def refused(call: Callable[[], Any], error: type[Exception] = ValidationErrorException) -> str:
    """The SDK's own error for a call the platform refuses, as its message."""
    try:
        call()
    except error as exc:
        return str(exc)
    raise AssertionError(f"{call} was not refused with {error.__name__}")


def issued_batch() -> list[int]:
    """Register a delivered batch as Issued (plain HTTP: the SDK always asks for Activated)."""
    batch = BATCHES.pop()
    answer = requests.patch(f"{BASE}/api/v1/sim_batch/bic/{batch['bic']}",
                            headers=EVENTS.headers, json={"sim_status": {"id": ISSUED}},
                            timeout=10)
    answer.raise_for_status()
    return [sim["id"] for sim in answer.json()["sim"]]


emnify = EMnify(app_token=TOKEN)
devices, sims, operators = emnify.devices, emnify.sim, emnify.operator

# --------------------------------------------------------------------------- reading

with step("the SDK authenticates on its first 401, and lists devices"):
    listed = list(devices.get_devices_list())
    assert listed and all(isinstance(d, devices.device_model) for d in listed)
    profile = devices.service_profile_model(id=listed[0].service_profile.id)
    tariff = devices.tariff_profile_model(id=listed[0].tariff_profile.id)
    assert emnify.token is not None

with step("a wrong application token is the SDK's UnauthorisedException"):
    refused(lambda: list(EMnify(app_token="wrong").devices.get_devices_list()),
            UnauthorisedException)

with step("devices filtered and sorted"):
    enabled = list(devices.get_devices_list(
        filter_model=devices.get_device_filter_model(status=0)))
    assert enabled and all(d.status.id == 0 for d in enabled)
    by_name = list(devices.get_devices_list(sort_enum=const.DeviceSort.NAME.value))
    assert [d.name for d in by_name] == sorted(d.name for d in by_name)
    # The SDK sends a sort enum member as "DeviceSort.NAME": the platform's grammar refuses it.
    refused(lambda: list(devices.get_devices_list(sort_enum=devices.get_device_sort_enum.NAME)))

with step("SIMs listed, without a device, filtered; one SIM retrieved"):
    every = list(sims.get_sim_list())
    assert every and all(isinstance(s, sims.get_sim_list_model) for s in every)
    free = list(sims.get_sim_list(without_device=True))
    assert free and all(s.device is None for s in free)
    one = every[0]
    found = list(sims.get_sim_list(filter_model=sims.get_sim_filter_model(iccid=one.iccid)))
    assert [s.id for s in found] == [one.id]
    again = sims.retrieve_sim(one.id)
    assert (again.iccid, again.imsi, again.msisdn) == (one.iccid, one.imsi, one.msisdn)
    assert isinstance(again.imsi, str) and again.status.id == one.status.id
    refused(lambda: list(sims.get_sim_list(sort_enum=sims.get_sim_sort_enum.id)))

with step("operators"):
    known = list(operators.get_operators())
    assert known and all(o.id and o.name and o.country for o in known)

# --------------------------------------------------------------------------- registration

activated = min(BATCHES, key=lambda b: b["size"])
BATCHES.remove(activated)
with step("register_sim: a batch by BIC, Activated", 48, *[8] * activated["size"]):
    registered = sims.register_sim(bic=activated["bic"])
    assert isinstance(registered, list) and len(registered) == activated["size"]
    new_sim = registered[0].id
    assert sims.retrieve_sim(new_sim).status.id == ACTIVATED
with step("register_sim again, or an unknown BIC: the SDK's 'Invalid bic number'"):
    assert refused(lambda: sims.register_sim(bic=activated["bic"])) == "Invalid bic number"
    assert refused(lambda: sims.register_sim(bic="NO-SUCH-BIC")) == "Invalid bic number"

fresh = issued_batch()
while len(fresh) < 5 and BATCHES:
    fresh += issued_batch()
EVENTS.new()
assert len(fresh) >= 5, f"the served fleet left too few SIMs to register: {fresh}"

# --------------------------------------------------------------------------- devices


def new_device(name: str, **extra: Any) -> int:
    model = devices.device_create_model(name=name, status=devices.status_model(id=0),
                                        service_profile=profile, tariff_profile=tariff, **extra)
    ident = devices.create_device(device=model)
    assert isinstance(ident, int)
    return ident


with step("create_device without a SIM (the SDK makes it Disabled): no event"):
    bare = new_device("sdk bare")
    shown = devices.retrieve_device(bare)
    assert shown.name == "sdk bare" and shown.sim is None and shown.status.id == 1
    assert shown.service_profile.id == profile.id and shown.created is not None
    assert bare in [d.id for d in devices.get_devices_list()]

with step("create_device with an Issued SIM and status Activated: 8, then 51", 8, 51):
    sim_status = devices.status_model(id=ACTIVATED, description="Activated")
    with_sim = new_device("sdk with sim", sim=sims.get_sim_list_model(id=fresh[0],
                                                                      status=sim_status))
    shown = devices.retrieve_device(with_sim)
    assert shown.sim.id == fresh[0] and shown.sim.status.id == ACTIVATED
    assert shown.status.id == 0 and isinstance(shown.sim.msisdn, str)

with step("create_device with an Issued SIM into Factory Test: 45, then 51", 45, 51):
    ft_status = devices.status_model(id=FACTORY_TEST)
    tester = new_device("sdk factory test",
                        sim=sims.get_sim_list_model(id=fresh[1], status=ft_status))
    assert devices.retrieve_device(tester).sim.status.id == FACTORY_TEST

with step("create_device refusals: a held SIM, an unknown profile"):
    held = sims.get_sim_list_model(id=fresh[0], status=sim_status)
    refused(lambda: new_device("sdk dup", sim=held))
    model = devices.device_create_model(name="x", status=devices.status_model(id=0),
                                        service_profile=devices.service_profile_model(id=-1),
                                        tariff_profile=tariff)
    refused(lambda: devices.create_device(device=model))

with step("assign_sim without enabling: an Issued SIM into a bare device", 51):
    devices.assign_sim(bare, fresh[2], enable=False)
    assert devices.retrieve_device(bare).sim.id == fresh[2]

with step("assign_sim with enabling, the SIM it holds: 8 and 42, then nothing more", 8, 42):
    devices.assign_sim(bare, fresh[2], enable=True)
    shown = devices.retrieve_device(bare)
    assert shown.status.id == 0 and shown.sim.status.id == ACTIVATED

with step("assign_sim with enabling, all done already: nothing at all"):
    devices.assign_sim(with_sim, fresh[0], enable=True)

with step("assign_sim with enabling to a device without SIM: the SDK's own error, after "
          "it activated the SIM and enabled the device", 8, 42):
    empty = new_device("sdk empty")
    message = refused(lambda: devices.assign_sim(empty, fresh[3], enable=True))
    assert "without sim" in message

with step("change_status disable: 43, then 9", 43, 9):
    devices.change_status(bare, disable=True)
    shown = devices.retrieve_device(bare)
    assert (shown.status.id, shown.sim.status.id) == (1, SUSPENDED)

with step("change_status enable (a device model): 42, then 8", 42, 8):
    assert devices.change_status(devices.retrieve_device(bare), enable=True) is True

with step("change_status enable of a Factory Test SIM's device: 42 auto-activates the SIM, "
          "so its own activation has nothing left to do", 42, 8):
    devices.change_status(tester, enable=True)
    assert sims.retrieve_sim(fresh[1]).status.id == ACTIVATED
    assert EVENTS.all()[-1]["event_source"]["id"] == 1  # Policy Control

with step("change_status refusals: neither or both of enable and disable"):
    refused(lambda: devices.change_status(bare))
    refused(lambda: devices.change_status(bare, enable=True, disable=True))

with step("disable_device: 43", 43):
    devices.disable_device(bare)
    assert devices.retrieve_device(bare).status.id == 1

with step("suspend_sim and activate_sim: 9, 8", 9, 8):
    assert sims.suspend_sim(sim_id=fresh[2]) is True
    assert sims.activate_sim(sim_id=fresh[2]) is True

with step("update_sim: a status model", 9):
    update = sims.get_sim_update_model(status={"id": SUSPENDED, "description": "Suspended"})
    assert sims.update_sim(sim_id=fresh[2], sim=update) is True

with step("a status the lifecycle forbids: the SDK's ValidationErrorException"):
    refused(lambda: sims.update_sim(sim_id=fresh[2],
                                    sim=sims.get_sim_update_model(status={"id": FACTORY_TEST})))

with step("update_device: name, tags, profile at once; then the refusals"):
    change = devices.device_update_model(name="sdk renamed", tags="north,pump",
                                         service_profile=profile)
    assert devices.update_device(device_id=bare, device=change) is True
    shown = devices.retrieve_device(bare)
    assert (shown.name, shown.tags) == ("sdk renamed", "north,pump")
    unknown = devices.device_update_model(service_profile=devices.service_profile_model(id=-1))
    refused(lambda: devices.update_device(device_id=bare, device=unknown))
    for missing in (-1, None):
        refused(lambda m=missing: devices.update_device(
            device_id=m, device=devices.device_update_model()))
    refused(lambda: devices.retrieve_device(0), Exception)

# --------------------------------------------------------------------------- connectivity, SMS

with step("connectivity: ATTACHED, OFFLINE, and an unknown device"):
    assert devices.get_device_connectivity_status(with_sim).status.description == "ATTACHED"
    assert devices.get_device_connectivity_status(empty).status.description == "OFFLINE"
    assert refused(lambda: devices.get_device_connectivity_status(1)) == "device_id is not valid"

with step("reset_connectivity_network and reset_connectivity_data", *RESET, *RESET):
    assert devices.reset_connectivity_network(with_sim) is True
    assert devices.reset_connectivity_data(with_sim) is True

with step("send_sms and get_device_sms_list"):
    sms = devices.sms_create_model(payload="hello", source_address="simlife")
    assert devices.send_sms(device=with_sim, sms=sms) is True
    listed_sms = list(devices.get_device_sms_list(device=with_sim))
    assert [s.payload for s in listed_sms] == ["hello"]
    assert isinstance(listed_sms[0], devices.list_sms_model)
    assert listed_sms[0].status["description"] == "DELIVERED"
    refused(lambda: devices.send_sms(device=empty, sms=sms))
    refused(lambda: devices.send_sms(device=with_sim, sms="hello"), Exception)

ft_sim, ft_device = fresh[4], empty  # an Enabled device without SIM
with step("a SIM into Factory Test, into an Enabled device: 45, 51", 45, 51):
    sims.update_sim(sim_id=ft_sim, sim=sims.get_sim_update_model(status={"id": FACTORY_TEST}))
    devices.assign_sim(ft_device, ft_sim)
with step("the 10th SMS to a Factory Test SIM auto-activates it", 8):
    for n in range(10):
        devices.send_sms(device=devices.retrieve_device(ft_device),
                         sms=devices.sms_create_model(payload=f"test {n}"))
    assert sims.retrieve_sim(ft_sim).status.id == ACTIVATED
    assert len(list(devices.get_device_sms_list(device=ft_device))) == 10

# --------------------------------------------------------------------------- blacklist

with step("the operator blacklist: add, list, duplicate, remove"):
    first, second = known[0].id, known[1].id
    assert devices.add_device_blacklist_operator(with_sim, second) is True
    assert devices.add_device_blacklist_operator(with_sim, first) is True
    assert "already blacklisted" in refused(
        lambda: devices.add_device_blacklist_operator(with_sim, first))
    blacklist = list(devices.get_device_operator_blacklist(with_sim))
    assert [o.id for o in blacklist] == sorted([first, second])
    assert blacklist[0].country.name and blacklist[0].mnc and blacklist[0].tapcode
    assert devices.delete_device_blacklist_operator(with_sim, first) is True
    refused(lambda: devices.delete_device_blacklist_operator(with_sim, first))
    assert [o.id for o in devices.get_device_operator_blacklist(with_sim)] == [second]

# --------------------------------------------------------------------------- events, release

with step("get_device_events_list: the device's events"):
    device_events = list(devices.get_device_events_list(with_sim))
    assert device_events and all(isinstance(e, devices.event_model) for e in device_events)
    assert {e.event_type.id for e in device_events} >= {51, 68}

with step("release_sim: 9, 43, 50", 9, 43, 50):
    devices.release_sim(with_sim)
    shown = devices.retrieve_device(with_sim)
    assert shown.sim is None and shown.status.id == 1
    assert sims.retrieve_sim(fresh[0]).status.id == SUSPENDED
    assert "must have sim" in refused(lambda: devices.release_sim(with_sim))

with step("delete_device holding a SIM: it releases first (9, 43, 50), then deletes",
          9, 43, 50):
    before = len(list(devices.get_devices_list()))
    assert devices.delete_device(ft_device) is True
    assert len(list(devices.get_devices_list())) == before - 1
    refused(lambda: devices.retrieve_device(ft_device))
    assert sims.retrieve_sim(ft_sim).status.id == SUSPENDED

with step("delete_device without a SIM: no event"):
    assert devices.delete_device(with_sim) is True

with step("the models and helpers"):
    for model in (devices.device_model, devices.list_sms_model, devices.device_detailed_model,
                  devices.sms_create_model, devices.event_model, devices.status_model,
                  devices.device_create_model, devices.device_update_model,
                  devices.service_profile_model, devices.tariff_profile_model,
                  sims.get_sim_list_model, sims.get_sim_update_model,
                  sims.get_sim_filter_model):
        assert isinstance(model, type)
    assert devices.validate_device(7) == 7
    assert devices.validate_device(devices.retrieve_device(bare)) == bare

print(f"sdk-check: {len(done)} workflow steps of emnify-sdk passed against {BASE}")
