"""Reproducible plans: the same plan twice, and what it costs against the default (two lanes racing).

For each problem, ``vmatch.solve`` (or ``vmatch.menu_solve``) runs twice with ``reproducible=True``
and once without, with the same seed and time limit. Reported per run: wall time, the first level
(coverage) and its bound, the gap, a hash of the plan (volunteer or offer, task or order, start:
equal hashes, equal plans) and the violations ``vmatch.verify`` finds.

Usage::

    .venv/bin/python benchmarks/reproducible_bench.py                       # city 10k x 5k and menu 20k x 5k, 30 s
    .venv/bin/python benchmarks/reproducible_bench.py --kind city --size 2000 1000 --time-limit 20
    .venv/bin/python benchmarks/reproducible_bench.py --kind province --time-limit 60   # 20k x 10k, split
    .venv/bin/python benchmarks/reproducible_bench.py --kind pairing --time-limit 60    # 600 x 300, seeds 0-1

For pairings (``vmatch.pair``), each seed runs without ``reproducible`` twice (8 workers: proven
answers can differ) and with it twice, then once on 4 workers.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from vmatch import solve, verify
from vmatch.gen import generate_city, generate_province
from vmatch.gen.menu import generate_menu
from vmatch.menu import menu_solve


def _hash(rows: list[tuple[str, str, str]]) -> str:
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()[:10]


def city(v: int, t: int, limit: float, kind: str = "city") -> None:
    p = (generate_city if kind == "city" else generate_province)(v, t, seed=0)
    for rep in (True, True, False):
        t0 = time.perf_counter()
        r = solve(p, time_limit=limit, reproducible=rep)
        wall = time.perf_counter() - t0
        plan = _hash([(a.volunteer, a.task, a.start.isoformat()) for a in r.assignments])
        print(
            f"{kind} {v}x{t} reproducible={rep!s:5} wall {wall:5.1f} s  coverage {r.objective:.0f}  "
            f"bound {r.bound:.0f}  gap {r.gap:.2%}  plan {plan}  violations {len(verify(p, r))}  "
            f"flag {r.stats.get('reproducible')}",
            flush=True,
        )


def menu(orders: int, offers: int, limit: float) -> None:
    mp = generate_menu(orders, offers, seed=0)
    for rep in (True, True, False):
        t0 = time.perf_counter()
        r = menu_solve(mp, time_limit=limit, reproducible=rep)
        wall = time.perf_counter() - t0
        plan = _hash([(a.offer, a.order, a.start.isoformat()) for a in r.assignments])
        first = r.levels[0]
        assert r.compiled is not None and r.dispatch is not None
        print(
            f"menu {orders}x{offers} reproducible={rep!s:5} wall {wall:5.1f} s  coverage {first.value:.0f}  "
            f"bound {first.bound:.0f}  gap {abs(first.bound - first.value) / first.bound:.2%}  plan {plan}  "
            f"violations {len(verify(r.compiled, r.dispatch))}  flag {r.stats.get('reproducible')}",
            flush=True,
        )


def pairing(beneficiaries: int, volunteers: int, limit: float) -> None:
    from vmatch.gen.pairing import generate_pairing
    from vmatch.pairing import pair, verify_pairing

    for seed in (0, 1):
        p = generate_pairing(beneficiaries, volunteers, seed=seed)
        for rep, workers in ((False, 8), (False, 8), (True, 8), (True, 8), (True, 4)):
            t0 = time.perf_counter()
            r = pair(p, time_limit=limit, workers=workers, reproducible=rep)
            wall = time.perf_counter() - t0
            plan = _hash([(x.volunteer, x.beneficiary, f"{x.weekday} {x.start}") for x in r.pairs])
            print(
                f"pairing {beneficiaries}x{volunteers} seed {seed} reproducible={rep!s:5} workers {workers} "
                f"wall {wall:5.1f} s  {r.status.value}  pairs {len(r.pairs)}  plan {plan}  "
                f"violations {len(verify_pairing(p, r))}  flag {r.stats.get('reproducible')}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["city", "province", "menu", "pairing", "both"], default="both")
    ap.add_argument("--size", type=int, nargs=2, default=None, metavar=("A", "B"))
    ap.add_argument("--time-limit", type=float, default=30.0)
    a = ap.parse_args()
    if a.kind in ("city", "both"):
        city(*(a.size or (10_000, 5_000)), a.time_limit)
    if a.kind == "province":
        city(*(a.size or (20_000, 10_000)), a.time_limit, kind="province")
    if a.kind in ("menu", "both"):
        menu(*(a.size or (20_000, 5_000)), a.time_limit)
    if a.kind == "pairing":
        pairing(*(a.size or (600, 300)), a.time_limit)


if __name__ == "__main__":
    main()
