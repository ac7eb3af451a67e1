"""Seeded identities: Luhn digits, prefixes, lengths, uniqueness, determinism."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.codes import ICCID_PREFIX, luhn_digit, luhn_valid
from simulator.platform.identities import (
    IMSI_PREFIXES,
    TACS,
    Identities,
    fast_luhn_digit,
    iccid_with_luhn,
    iccids_with_luhn,
    imei,
    pools,
)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_fast_luhn_equals_the_models_luhn(digits: str) -> None:
    assert fast_luhn_digit(digits) == luhn_digit(digits)


def test_known_luhn_digits() -> None:
    # The seed's migration example: 8988303000008013931 + 1 (spec §5).
    assert iccid_with_luhn("8988303000008013931") == "89883030000080139311"
    # A classic IMEI with its check digit.
    assert imei("49015420", 323751) == "490154203237518"
    assert luhn_valid("490154203237518") and not luhn_valid("490154203237519")


def test_batch_iccids_consecutive_prefixed_valid() -> None:
    ids = Identities(1)
    batch = ids.batch(50)
    iccids = [batch.iccid19(i) for i in range(50)]
    assert all(len(i) == 19 and i.startswith(ICCID_PREFIX) for i in iccids)
    assert [int(i) for i in iccids] == list(range(int(iccids[0]), int(iccids[0]) + 50))
    full = [iccid_with_luhn(i) for i in iccids]
    assert all(len(f) == 20 and luhn_valid(f) and f[-1] == luhn_digit(f[:-1]) for f in full)


@given(st.integers(0, 10**19), st.integers(1, 2_500))
def test_table_luhn_of_a_range_equals_luhn_per_iccid(first: int, count: int) -> None:
    got = iccids_with_luhn(first, count)
    assert got == [(str(n), iccid_with_luhn(str(n))) for n in range(first, first + count)]


@given(st.integers(0, 10_000), st.sampled_from([1, 2, 77, 400]))
def test_batch_lists_equal_per_index_values(seed: int, size: int) -> None:
    batch = Identities(seed).batch(size)
    assert batch.imsis() == [batch.imsi(i) for i in range(size)]
    assert batch.iccids() == [(batch.iccid19(i), iccid_with_luhn(batch.iccid19(i)))
                              for i in range(size)]


def test_table_imei_equals_imei_of_the_same_draws() -> None:
    fast, slow = Identities(6), Identities(6)
    for _ in range(3_000):
        slow._serial += 1 + int(slow._random() * 299)
        tac = TACS[int(slow._random() * len(TACS))]
        assert fast.imei() == imei(tac, slow._serial % 1_000_000)


def test_batches_do_not_overlap() -> None:
    ids = Identities(2)
    seen_iccid: set[str] = set()
    seen_sim: set[int] = set()
    seen_imsi: set[str] = set()
    for size in (1, 300, 7, 120, 1):
        batch = ids.batch(size)
        for i in range(size):
            seen_iccid.add(batch.iccid19(i))
            seen_sim.add(batch.first_sim_id + i)
            seen_imsi.add(batch.imsi(i))
    assert len(seen_iccid) == len(seen_sim) == len(seen_imsi) == 429


def test_imsi_shape() -> None:
    ids = Identities(3)
    prefixes = set()
    for _ in range(40):
        batch = ids.batch(3)
        for i in range(3):
            imsi = batch.imsi(i)
            assert len(imsi) == 15 and imsi.isdigit()
            assert imsi.startswith(batch.imsi_prefix) and batch.imsi_prefix in IMSI_PREFIXES
        prefixes.add(batch.imsi_prefix)
    assert prefixes == set(IMSI_PREFIXES)


def test_imei_imeisv_ip_names() -> None:
    ids = Identities(4)
    imeis = [ids.imei() for _ in range(500)]
    assert all(len(i) == 15 and i.isdigit() and luhn_valid(i) for i in imeis)
    assert len(set(imeis)) == 500
    sv = ids.imeisv()
    assert len(sv) == 16 and sv.isdigit()
    ips = [ids.ip_address() for _ in range(5000)]
    assert len(set(ips)) == 5000
    for ip in ips:
        octets = [int(o) for o in ip.split(".")]
        assert len(octets) == 4 and all(0 <= o <= 255 for o in octets) and 0 < octets[3] < 255
    endpoints = [ids.endpoint_id() for _ in range(1000)]
    assert endpoints == sorted(set(endpoints))
    assert all(ids.device_name() in pools(4).device_names for _ in range(20))


def test_people_and_organisations_unique() -> None:
    ids = Identities(5)
    people = [ids.person() for _ in range(120)]  # more than the pool: names repeat, not logins
    assert len({p.id for p in people}) == 120
    assert len({p.username for p in people}) == 120
    assert all("@" in p.username and " " in p.name for p in people)
    orgs = [ids.org() for _ in range(60)]
    assert len({o[0] for o in orgs}) == 60 and len({o[1] for o in orgs}) == 60


def _draw(seed: int) -> tuple[object, ...]:
    ids = Identities(seed)
    batch = ids.batch(10)
    return (ids.org(), ids.person(), batch, ids.endpoint_id(), ids.device_name(),
            ids.ip_address(), ids.imei(), ids.first_event_id)


def test_deterministic_per_seed() -> None:
    pools.cache_clear()
    first = _draw(9)
    pools.cache_clear()  # drawn again from Faker, not from the cache
    assert _draw(9) == first
    assert _draw(10) != first
