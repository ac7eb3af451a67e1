"""Replay's fast paths agree with the slow definitions they stand in for.

The compact id -> hash table behaves as a dict's ``setdefault``/``get`` through growth; the
timestamp shape test is never looser than ``CANONICAL_TIMESTAMP``.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.events import CANONICAL_TIMESTAMP
from simulator.replay import _DIGITS_TO_ZERO, _TIMESTAMP_SHAPE
from simulator.replay_ids import EventIdTable

_EDGES = [-(1 << 63), -(1 << 63) + 1, (1 << 63) - 1, 1 << 63, 1 << 64, -(1 << 70), 0, -1]


@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(min_value=-(1 << 65), max_value=1 << 65),
                      st.integers(min_value=0, max_value=64), st.sampled_from(_EDGES)),
            st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1),
        ),
        max_size=300,
    )
)
def test_table_agrees_with_a_dict(pairs: list[tuple[int, int]]) -> None:
    table, reference = EventIdTable(bits=2), {}
    for key, value in pairs:
        assert table.setdefault(key, value) == reference.get(key)
        reference.setdefault(key, value)
    for key, value in reference.items():
        assert table.get(key) == value
    assert table.get(12345678901) == reference.get(12345678901)
    assert len(table) == len(reference)


def test_sequential_and_strided_ids_grow_the_table_and_stay_findable() -> None:
    table = EventIdTable(bits=4)
    keys = [10**12 + 4096 * i for i in range(5000)] + list(range(5000))
    for i, key in enumerate(keys):
        assert table.setdefault(key, i) is None
    assert all(table.get(key) == i for i, key in enumerate(keys))
    assert len(table) == len(keys)
    # at most half full: 16 bytes a slot, so between 32 and 64 bytes an id
    assert 32 * len(keys) <= table.nbytes() <= 64 * len(keys)


@given(st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z?\Z"),
))
def test_fast_timestamp_shape_is_never_looser_than_the_canonical_pattern(stamp: str) -> None:
    fast = stamp.encode().translate(_DIGITS_TO_ZERO) == _TIMESTAMP_SHAPE
    if fast:
        assert re.match(CANONICAL_TIMESTAMP, stamp)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", stamp):
        assert fast  # and every ASCII canonical stamp takes the fast path
