"""What the API keeps beside the simulated platform: device settings that no event carries
(profiles, IMEI lock), operator blacklists, SMS, batches not registered yet, and what the
resources show that is read off the events (activation dates, last updates, SIM models).

No FastAPI here, and no lock: the world holds its lock around every use. Everything a client
can add is bounded: SMS (per device and in all), devices created through the API (per
workspace, as an IP address space runs out), a blacklist by the operator table.
"""

from __future__ import annotations

import bisect
import random
import string
from collections import deque
from dataclasses import dataclass
from typing import Any

from simulator.serve.catalogue import profile_ids
from simulator.serve.store import Row

SMS_KEPT = 1000  # per device: older SMS are forgotten, as a bounded log must
SMS_KEPT_IN_ALL = 100_000  # and over every device (the oldest go first)
DEVICES_PER_WORKSPACE = 65_534  # created through the API: the hosts of one /16 address space
_REGISTRATION, _ACTIVATION = 48, 8


@dataclass
class DeviceSettings:
    """A device's settings that the platform keeps but no event carries."""

    service_profile: int
    tariff_profile: int
    imei_lock: bool = False


@dataclass(frozen=True)
class PendingBatch:
    """A batch of SIMs delivered to a workspace and not registered yet (``PATCH
    /api/v1/sim_batch/bic/{bic}`` registers it)."""

    bic: str
    size: int
    workspace: int


class Ledger:
    def __init__(self) -> None:
        self.devices: dict[int, DeviceSettings] = {}
        self.blacklists: dict[int, set[int]] = {}
        self.sms: dict[int, deque[dict[str, Any]]] = {}
        self._sms_order: deque[tuple[int, int]] = deque()  # (device, SMS id), oldest first
        self.next_sms = 19_000_001
        self.created: dict[int, int] = {}  # workspace -> devices created through the API
        self.pending: dict[str, PendingBatch] = {}
        self.registered: dict[str, int] = {}  # BIC -> workspace that registered it
        self.activated: dict[int, str] = {}  # SIM id -> its first activation (canonical time)
        self.touched: dict[int, str] = {}  # endpoint id -> its latest event (canonical time)
        self._batches: list[tuple[int, int, int]] = []  # (first, last ICCID as ints, model)

    # ------------------------------------------------------------------ read off the events

    def index(self, row: Row, event: dict[str, Any]) -> None:
        """Note what the resources show of one appended event."""
        if row.endpoint_id is not None:
            self.touched[row.endpoint_id] = row.timestamp
        if row.type == _ACTIVATION:
            for sim in row.sim_ids:
                self.activated.setdefault(sim, row.timestamp)
        elif row.type == _REGISTRATION:
            detail = event.get("detail")
            batch: Any = detail.get("sim_batch") if isinstance(detail, dict) else None
            try:
                first = int(str(batch["first_iccid"])[:19])
                last = int(str(batch["last_iccid"])[:19])
                model = int(batch["sim_model"]["id"])
            except (KeyError, TypeError, ValueError):
                return  # a recorded log's odd registration: no model shown
            bisect.insort(self._batches, (first, last, model))

    def model_of(self, iccid19: str) -> int | None:
        """The SIM model of the batch that registered this ICCID, if a registration says."""
        number = int(iccid19)
        at = bisect.bisect_right(self._batches, (number, 1 << 70, 0)) - 1
        if at >= 0 and self._batches[at][0] <= number <= self._batches[at][1]:
            return self._batches[at][2]
        return None

    # ------------------------------------------------------------------ devices

    def device(self, endpoint: int, workspace: int) -> DeviceSettings:
        """A device's settings; a device made by the fleet has its workspace's defaults."""
        found = self.devices.get(endpoint)
        if found is None:
            found = DeviceSettings(profile_ids(workspace, 0)[0], profile_ids(workspace, 1)[0])
            self.devices[endpoint] = found
        return found

    def record_sms(self, endpoint: int, sms: dict[str, Any]) -> None:
        kept = self.sms.setdefault(endpoint, deque(maxlen=SMS_KEPT))
        kept.append(sms)
        self._sms_order.append((endpoint, sms["id"]))
        while len(self._sms_order) > SMS_KEPT_IN_ALL:  # the oldest, unless maxlen dropped it
            device, ident = self._sms_order.popleft()
            oldest = self.sms.get(device)
            if oldest and oldest[0]["id"] == ident:
                oldest.popleft()

    def new_sms_id(self) -> int:
        self.next_sms += 1
        return self.next_sms

    # ------------------------------------------------------------------ batches

    def add_batches(self, seed: int, sizes_by_workspace: list[tuple[int, int]]) -> None:
        """Batches delivered and not registered, with BICs drawn from ``seed``."""
        rng = random.Random(seed * 1_000_003 + 71)
        alphabet = string.ascii_uppercase + string.digits
        for workspace, size in sizes_by_workspace:
            bic = "".join(rng.choice(alphabet) for _ in range(12))
            while bic in self.pending or bic in self.registered:
                bic = "".join(rng.choice(alphabet) for _ in range(12))
            self.pending[bic] = PendingBatch(bic, size, workspace)
