"""Great-circle distances: the indexed form used by compile equals the plain haversine."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vmatch.geo import Sites, haversine_km

Pt = tuple[float, float]
coords = st.tuples(st.floats(-90, 90), st.floats(-180, 180))


@settings(max_examples=60, deadline=None)
@given(st.lists(coords, min_size=1, max_size=30), st.lists(coords, min_size=1, max_size=30), st.integers(0, 2**32 - 1))
def test_sites_km_is_haversine_bit_for_bit(a: list[Pt], b: list[Pt], seed: int) -> None:
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(a), 200)
    j = rng.integers(0, len(b), 200)
    la, lo = np.array(a).T
    lb, lob = np.array(b).T
    got = Sites(la, lo).km(i, Sites(lb, lob), j)
    want = haversine_km(la[i], lo[i], lb[j], lob[j])
    assert got.dtype == np.float64
    assert np.array_equal(got, want)  # equal floats, not merely close: verify recomputes them


def test_sites_km_known_distance() -> None:
    s = Sites([30.0, 30.0], [114.0, 114.1])
    km = s.km(np.array([0]), s, np.array([1]))
    assert round(float(km[0]), 3) == 9.63
