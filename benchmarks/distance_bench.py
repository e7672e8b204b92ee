"""Distances of a province's candidate pairs: ``geo.Sites.km`` against ``geo.haversine_km``.

Usage::

    python benchmarks/distance_bench.py --volunteers 100000 --tasks 50000 --rounds 3

``Sites.km`` (each site's latitude radians and cosine computed once, what compile uses for the
home-to-task and task-to-task distances) against ``haversine_km`` on gathered coordinates (what
``eligibility.distance_km`` did before), alternating in one run over the problem's candidate
pairs; the floats must be equal bit for bit. Prints one JSON line with the median seconds of
each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from vmatch.compile import candidate_pairs
from vmatch.eligibility import Tables
from vmatch.generate import generate_province
from vmatch.geo import haversine_km


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volunteers", type=int, default=100000)
    ap.add_argument("--tasks", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    tb = Tables(generate_province(a.volunteers, a.tasks, seed=a.seed))
    v, t = candidate_pairs(tb)
    sites_s, haversine_s = [], []
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        x = tb.vsites.km(v, tb.tsites, t)
        sites_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        y = np.asarray(haversine_km(tb.vlat[v], tb.vlon[v], tb.tlat[t], tb.tlon[t]), np.float64)
        haversine_s.append(time.perf_counter() - t0)
        assert np.array_equal(x, y)
    med = statistics.median
    line = {
        "size": f"{a.volunteers}x{a.tasks}",
        "pairs": len(v),
        "sites_km_s": round(med(sites_s), 3),
        "haversine_km_s": round(med(haversine_s), 3),
        "ratio": round(med(haversine_s) / med(sites_s), 2),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
