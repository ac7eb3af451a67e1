"""Seeded, realistic identities: ICCIDs, IMSIs, IMEIs, ids, names, addresses.

Faker costs 100-360 µs a value, so each kind of name is drawn into a pool once per seed (a Faker
reseeded per pool, so one pool's content never depends on which other pools were drawn first)
and then picked from with a seeded ``random.Random``. Numeric identities come from counters with
random gaps: unique, in realistic ranges, and identical for the same seed on any machine. Nothing
here reads the clock, ``hash()`` order or set iteration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

from lifecycle.codes import ICCID_PREFIX

# emnify's home networks: Liechtenstein (295 05) and the international range (901 43).
IMSI_PREFIXES = ("295050", "90143")
# Type Allocation Codes of common IoT modules (the first 8 IMEI digits).
TACS = (
    "35332510", "35473311", "86107303", "35684610", "86473104", "35290611", "86820004",
    "35922109", "86695404", "35815208",
)
_DEVICE_KINDS = (
    "GPS Tracker", "Smart Meter", "Vending Machine", "Fleet Telematics", "Cold Chain Sensor",
    "POS Terminal", "EV Charger", "Asset Tracker", "Water Meter", "Alarm Panel", "Router",
    "Parking Sensor", "Scooter", "Weather Station", "Gateway", "Pump Controller",
)
SIM_MODELS = (9, 11, 13, 24, 31)

_PERSONS = 48
_ORGS = 24
_DEVICE_NAMES = 256
_NETWORKS = 16


# Luhn over bytes: digits in odd positions from the right are doubled (digit sum), the rest kept.
_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))
_KEPT = bytes.maketrans(b"0123456789", bytes(range(10)))


def fast_luhn_digit(digits: str) -> str:
    """``lifecycle.codes.luhn_digit`` in C loops (~5x faster; a test holds them equal)."""
    raw = digits.encode("ascii")
    total = sum(raw[-1::-2].translate(_DOUBLED)) + sum(raw[-2::-2].translate(_KEPT))
    return "0123456789"[-total % 10]


def iccid_with_luhn(iccid19: str) -> str:
    """The 20-digit ICCID that events carry: the 19 digits and their Luhn check digit."""
    return iccid19 + fast_luhn_digit(iccid19)


# Luhn sums of every 3-digit group (index = its value), the group's last digit doubled (even
# position from the right of the body) or kept (odd): a number's sum is one look-up per group.
def _luhn_groups(last_doubled: bool) -> tuple[int, ...]:
    def doubled(d: int) -> int:
        return 2 * d - 9 if d >= 5 else 2 * d

    return tuple(
        doubled(x % 10) + x // 10 % 10 + doubled(x // 100) if last_doubled
        else x % 10 + doubled(x // 10 % 10) + x // 100
        for x in range(1000)
    )


_LUHN_EVEN, _LUHN_ODD = _luhn_groups(True), _luhn_groups(False)
_DIGITS = "0123456789"
# Numbers as strings from tables: a format spec ("{:06d}") costs ~250 ns a call.
_THREE_DIGITS = tuple(f"{x:03d}" for x in range(1000))
_OCTET = tuple(str(x) for x in range(256))
_OCTET_DOT = tuple(f"{x}." for x in range(256))


def _luhn_sum(body: int, first: int = 0) -> int:
    """Luhn sum of ``body``'s digits, its last digit at position ``first`` (even: doubled)."""
    total = 0
    tables = (_LUHN_EVEN, _LUHN_ODD) if first % 2 == 0 else (_LUHN_ODD, _LUHN_EVEN)
    group = 0
    while body:
        body, x = divmod(body, 1000)
        total += tables[group & 1][x]
        group += 1
    return total


_TAC_SUMS = tuple(_luhn_sum(int(tac), 6) for tac in TACS)  # a TAC precedes 6 serial digits


def iccids_with_luhn(first: int, count: int) -> list[tuple[str, str]]:
    """``count`` consecutive ICCIDs from ``first`` (19 digits as an integer): (19 digits, 20 with
    the Luhn digit) each; as ``iccid_with_luhn`` gives them (a test holds them equal), ~4x faster:
    the digits above the last six are summed once per million."""
    out = []
    high = -1
    high_sum = 0
    for n in range(first, first + count):
        if n // 1_000_000 != high:
            high = n // 1_000_000
            high_sum = _luhn_sum(high, 6)
        low = n % 1_000_000
        total = high_sum + _LUHN_EVEN[low % 1000] + _LUHN_ODD[low // 1000]
        digits = str(n)
        out.append((digits, digits + _DIGITS[-total % 10]))
    return out


def imei(tac: str, serial: int) -> str:
    """A 15-digit IMEI: TAC, 6-digit serial, Luhn check digit."""
    body = f"{tac}{serial:06d}"
    return body + fast_luhn_digit(body)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    username: str


@dataclass(frozen=True, slots=True)
class Pools:
    """The Faker-drawn values of one seed (immutable, so platforms of one seed share them)."""

    persons: tuple[tuple[str, str], ...]  # (full name, username)
    orgs: tuple[str, ...]
    device_names: tuple[str, ...]
    networks: tuple[tuple[int, int], ...]  # first two octets of the /16 networks endpoints use


def _faker(seed: int, pool: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed * 7919 + pool)
    return fake


@lru_cache(maxsize=16)
def pools(seed: int) -> Pools:
    """Draw every Faker pool of ``seed`` once (~30 ms); cached per seed."""
    fake = _faker(seed, 1)
    persons: list[tuple[str, str]] = []
    taken: set[str] = set()
    domains = [fake.free_email_domain() for _ in range(6)]
    while len(persons) < _PERSONS:
        first, last = fake.first_name(), fake.last_name()
        username = f"{first}.{last}@{domains[len(persons) % len(domains)]}".lower()
        if username in taken:
            continue
        taken.add(username)
        persons.append((f"{first} {last}", username))
    fake.seed_instance(seed * 7919 + 2)
    orgs: list[str] = []
    while len(orgs) < _ORGS:
        name = fake.company()
        if name not in orgs:
            orgs.append(name)
    fake.seed_instance(seed * 7919 + 3)
    device_names = tuple(
        f"{_DEVICE_KINDS[i % len(_DEVICE_KINDS)]} {fake.bothify('??-###').upper()}"
        for i in range(_DEVICE_NAMES)
    )
    fake.seed_instance(seed * 7919 + 4)
    networks: list[tuple[int, int]] = []
    while len(networks) < _NETWORKS:
        a, b = (int(x) for x in fake.ipv4_private().split(".")[:2])
        if (a, b) not in networks:
            networks.append((a, b))
    return Pools(tuple(persons), tuple(orgs), device_names, tuple(networks))


@dataclass(frozen=True, slots=True)
class Batch:
    """The identities of one registration batch: consecutive ids, ICCIDs and IMSIs."""

    id: int
    sim_model: int
    first_sim_id: int
    first_iccid: int  # 19-digit ICCID as an integer
    imsi_prefix: str
    first_imsi: int  # the IMSI digits after the prefix
    first_imsi_id: int
    count: int

    def iccid19(self, i: int) -> str:
        return str(self.first_iccid + i)

    def imsi(self, i: int) -> str:
        width = 15 - len(self.imsi_prefix)
        return f"{self.imsi_prefix}{self.first_imsi + i:0{width}d}"

    def imsis(self) -> list[str]:
        """Every IMSI of the batch, as ``imsi(i)`` gives them (a test holds them equal)."""
        prefix, width = self.imsi_prefix, 15 - len(self.imsi_prefix)
        return [prefix + str(n).zfill(width)
                for n in range(self.first_imsi, self.first_imsi + self.count)]

    def iccids(self) -> list[tuple[str, str]]:
        """Every ICCID of the batch: (``iccid19(i)``, ``iccid_with_luhn`` of it)."""
        return iccids_with_luhn(self.first_iccid, self.count)


class Identities:
    """Every identity of one simulated run, drawn from one seed in the order asked."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed * 1_000_003 + 17)
        self._random = self.rng.random
        self.pools = pools(seed)
        r = self.rng
        self._org_id = r.randrange(1_000, 60_000)
        self._org_names = list(self.pools.orgs)
        self._orgs = 0
        r.shuffle(self._org_names)
        self._person = r.randrange(len(self.pools.persons))
        self._user_id = r.randrange(10_000, 300_000)
        self._sim_id = r.randrange(200_000, 60_000_000)
        self._iccid = int(ICCID_PREFIX + f"{r.randrange(10**9, 6 * 10**11):012d}")
        self._imsi = {p: r.randrange(10 ** (14 - len(p))) for p in IMSI_PREFIXES}
        self._imsi_id = r.randrange(1_000_000, 300_000_000)
        self._batch_id = r.randrange(10_000, 90_000)
        self._endpoint_id = r.randrange(1_000_000, 900_000_000)
        self._serial = r.randrange(10**5, 5 * 10**5)
        self._host = r.randrange(256, 4096)
        self._networks = tuple(_OCTET_DOT[a] + _OCTET_DOT[b] for a, b in self.pools.networks)
        self.first_event_id = r.randrange(10**12, 9 * 10**12)

    def org(self) -> tuple[int, str]:
        """A new organisation: id and name (names cycle through the pool, then get a suffix)."""
        self._org_id += self.rng.randrange(1, 400)
        lap, n = divmod(self._orgs, len(self._org_names))
        self._orgs += 1
        name = self._org_names[n]
        return self._org_id, name if lap == 0 else f"{name} {lap + 1}"

    def person(self) -> Person:
        """A new user: unique id; name and username from the pool (unique within a run)."""
        self._user_id += self.rng.randrange(1, 900)
        name, username = self.pools.persons[self._person % len(self.pools.persons)]
        lap = self._person // len(self.pools.persons)
        self._person += 1
        if lap:
            local, _, domain = username.partition("@")
            username = f"{local}{lap + 1}@{domain}"
        return Person(self._user_id, name, username)

    def batch(self, count: int) -> Batch:
        """Identities for ``count`` new SIMs registered together."""
        r = self.rng
        prefix = IMSI_PREFIXES[0] if r.random() < 0.7 else IMSI_PREFIXES[1]
        batch = Batch(
            id=self._batch_id,
            sim_model=SIM_MODELS[r.randrange(len(SIM_MODELS))],
            first_sim_id=self._sim_id,
            first_iccid=self._iccid,
            imsi_prefix=prefix,
            first_imsi=self._imsi[prefix],
            first_imsi_id=self._imsi_id,
            count=count,
        )
        self._batch_id += r.randrange(1, 40)
        self._sim_id += count + r.randrange(1, 5_000)
        self._iccid += count + r.randrange(1, 20_000)
        self._imsi[prefix] += count + r.randrange(1, 20_000)
        self._imsi_id += count + r.randrange(1, 5_000)
        return batch

    def endpoint_id(self) -> int:
        self._endpoint_id += 1 + int(self._random() * 59)
        return self._endpoint_id

    def device_name(self) -> str:
        names = self.pools.device_names
        return names[int(self._random() * len(names))]

    def ip_address(self) -> str:
        """A fresh address in one of the pool's /16 networks (unique for 65k per network)."""
        host = self._host + 1 + int(self._random() * 6)
        if host & 0xFF in (0, 255):
            host += 2
        self._host = host
        networks = self._networks
        return (networks[(host >> 16) % len(networks)] + _OCTET_DOT[host >> 8 & 0xFF]
                + _OCTET[host & 0xFF])

    def imei(self) -> str:
        """A 15-digit IMEI with a valid Luhn digit (``imei()``, its sum from tables)."""
        random = self._random
        self._serial += 1 + int(random() * 299)
        tac = int(random() * len(TACS))
        high, low = divmod(self._serial % 1_000_000, 1000)
        return (TACS[tac] + _THREE_DIGITS[high] + _THREE_DIGITS[low]
                + _DIGITS[-(_TAC_SUMS[tac] + _LUHN_EVEN[low] + _LUHN_ODD[high]) % 10])

    def imeisv(self) -> str:
        """A 16-digit IMEISV: the IMEI without its check digit, then a 2-digit software version."""
        return f"{self.imei()[:14]}{1 + int(self._random() * 99):02d}"
