"""Benchmarks of the menu front-end and of re-planning (issue 4 targets).

1. **Welfare matching** of a synthetic menu round (:func:`vmatch.gen.menu.generate_menu`,
   default 20,000 orders x 5,000 offers): :func:`vmatch.menu.menu_solve` (item-by-item compile,
   shared-person rows, greedy start + LNS, flow bound) within ``--time-limit`` seconds, against a
   **plain CP-SAT baseline** in the same run: the same arc problem as one CP-SAT model, coverage
   only, the same time limit. Reported: wall time, orders served, coverage, the best valid bound
   (the smaller of the flow bound and CP-SAT's own) and the gap to it; the result is verified
   (``vmatch.verify`` on the compiled problem, ``check_menu`` on the menu) outside the timing.
   With ``--colgen SECONDS``, column generation over providers' schedules
   (:mod:`vmatch.menu.colgen`, from the flow's order prices) then runs on the same arc problem for
   that long and its bound and master value are reported (a longer-run bound; ``menu_solve``
   runs it, restricted to the orders the flow prices wrongly, only when its search has a minute
   or more), with the master's floor (:meth:`vmatch.menu.colgen.Master.floor`: no bound from
   providers' schedules, at any prices, can be below it) and the coverage a solution needs to be
   within 0.5 % of that floor.
2. **Replan after one decline** on ``generate_city(V, T, seed=0)``: a previous plan from
   :func:`vmatch.solve`, then :func:`vmatch.replan` with one declined pair (``scope="local"``:
   the neighbourhood only), against re-solving the updated problem from scratch
   (``--resolve``) as the baseline. Reported: replan time, changed assignments
   (kept / removed / added / moved), coverage before and after.

Usage::

    .venv/bin/python benchmarks/menu_bench.py                          # both, issue sizes for part 1
    .venv/bin/python benchmarks/menu_bench.py --orders 5000 --offers 1250 --skip-replan
    .venv/bin/python benchmarks/menu_bench.py --skip-welfare --city 10000 5000 --plan-time 120
    .venv/bin/python benchmarks/menu_bench.py --skip-replan --colgen 120
    .venv/bin/python benchmarks/menu_bench.py --skip-replan --skip-baseline   # vmatch only (A/B runs)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

from vmatch.gen import generate_city
from vmatch.gen.menu import generate_menu
from vmatch.menu import check_menu, menu_solve, menu_to_problem
from vmatch.menu.people import compile_people
from vmatch.objective import Objective
from vmatch.replan import apply_events, replan
from vmatch.solve import solve
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.verify import verify


def _gap(value: float, bound: float) -> float:
    return abs(bound - value) / max(abs(bound), 1e-9) if math.isfinite(bound) else math.inf


def colgen(ap: Any, speed: float, seconds: float) -> dict[str, Any]:
    """Column generation per provider from the flow's order prices, for ``seconds``."""
    import dataclasses

    from vmatch.menu.bounds import flow_group_prices, provider_data
    from vmatch.menu.colgen import column_generation
    from vmatch.solvers.greedy import greedy

    t = time.perf_counter()
    ap1 = dataclasses.replace(ap, levels=ap.levels[:1])
    _, lam = flow_group_prices(ap1)
    cg = column_generation(
        ap1, provider_data(ap1, speed), greedy(ap1), deadline=t + seconds, prices=lam, by_person=True
    )
    seconds = time.perf_counter() - t
    floor = cg.master.floor()  # no bound of this decomposition can be below it
    return {
        "colgen_seconds": round(seconds, 2),
        "colgen_bound": cg.bound,
        "colgen_master": round(cg.master_value, 1),
        "colgen_master_floor": round(floor, 1),
        # a coverage below this is more than 0.5 % under every bound this decomposition can give
        # (integer coefficients: a bound rounds down to floor(floor) at best; gap = (bound - value) / bound)
        "coverage_needed_for_half_percent": round(0.995 * math.floor(floor), 1),
        "colgen_rounds": cg.rounds,
        "colgen_columns": len(cg.master),
    }


def welfare(
    n_orders: int,
    n_offers: int,
    time_limit: float,
    seed: int,
    workers: int | None,
    colgen_seconds: float = 0.0,
    baseline: bool = True,
) -> dict[str, Any]:
    """Part 1 (see the module docstring)."""
    t = time.perf_counter()
    mp = generate_menu(n_orders, n_offers, seed=seed)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    r = menu_solve(mp, time_limit=time_limit, seed=seed, workers=workers)
    wall = time.perf_counter() - t
    t = time.perf_counter()
    assert r.compiled is not None and r.dispatch is not None
    bad = verify(r.compiled, r.dispatch)
    bad_menu = check_menu(mp, r)
    check = time.perf_counter() - t
    # baseline: the same arc problem as one plain CP-SAT model, coverage only, same time
    p, _ = menu_to_problem(mp)
    t = time.perf_counter()
    c = compile_people(p, Objective(order=("coverage",)))
    base = None
    if baseline:
        base = solve_cpsat(
            c.arcs, time_limit=max(0.1, time_limit - (time.perf_counter() - t)), seed=seed, workers=workers
        )
    base_wall = time.perf_counter() - t
    base_val = base.values[0] if base is not None and base.values else math.nan
    base_bound = base.bounds[0] if base is not None and base.bounds else math.nan
    bound = min(x for x in (r.bound, base_bound, math.inf) if not math.isnan(x))
    extra = colgen(c.arcs, p.settings.travel_speed_kmh, colgen_seconds) if colgen_seconds > 0 else {}
    return {
        "orders": n_orders,
        "offers": n_offers,
        "items": len(mp.items),
        "generate_seconds": round(gen, 2),
        "vmatch_seconds": round(wall, 2),
        "vmatch_status": r.status.value,
        "served": len(r.assignments),
        "coverage": r.objective,
        "reported_bound": r.bound,
        "best_bound": bound,
        "gap_percent": round(100 * _gap(r.objective, bound), 3),
        "arcs": r.stats.get("arcs"),
        "solver": r.stats.get("solver"),
        "verify_violations": len(bad),
        "menu_violations": len(bad_menu),
        "check_seconds": round(check, 2),
        "baseline_seconds": round(base_wall, 2),
        "baseline_status": base.status.value if base else "skipped",
        "baseline_coverage": base_val,
        "baseline_bound": base_bound,
        "ratio_vs_baseline": (r.objective / base_val) if base_val and not math.isnan(base_val) else math.inf,
        **extra,
    }


def replan_after_decline(
    nv: int, nt: int, plan_time: float, time_limit: float, seed: int, workers: int | None, resolve: bool
) -> dict[str, Any]:
    """Part 2 (see the module docstring)."""
    p = generate_city(nv, nt, seed=seed)
    t = time.perf_counter()
    r = solve(p, time_limit=plan_time, seed=seed, workers=workers)
    plan = time.perf_counter() - t
    a = r.assignments[len(r.assignments) // 2]
    t = time.perf_counter()
    r2 = replan(
        p, r, declined=[(a.volunteer, a.task)], time_limit=time_limit, seed=seed, workers=workers, scope="local"
    )
    wall = time.perf_counter() - t
    q = apply_events(p, declined=[(a.volunteer, a.task)])
    bad = verify(q, r2)
    out: dict[str, Any] = {
        "volunteers": nv,
        "tasks": nt,
        "plan_seconds": round(plan, 2),
        "plan_status": r.status.value,
        "plan_assignments": len(r.assignments),
        "plan_coverage": r.objective,
        "replan_seconds": round(wall, 2),
        "changes": r2.stats["changes"],
        "changed_assignments": r2.stats["changes"]["removed"] + r2.stats["changes"]["added"],
        "free_tasks": r2.stats.get("free_tasks"),
        "sub_volunteers": r2.stats.get("sub_volunteers"),
        "replan_coverage": r2.objective,
        "verify_violations": len(bad),
    }
    if resolve:
        t = time.perf_counter()
        r3 = solve(q, time_limit=plan_time, seed=seed, workers=workers)
        out["resolve_seconds"] = round(time.perf_counter() - t, 2)
        out["resolve_coverage"] = r3.objective
        old = {(x.volunteer, x.task) for x in r.assignments}
        new = {(x.volunteer, x.task) for x in r3.assignments}
        out["resolve_changed_assignments"] = len(old - new) + len(new - old)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--offers", type=int, default=5_000)
    ap.add_argument("--time-limit", type=float, default=30.0, help="welfare solve seconds (and baseline)")
    ap.add_argument("--city", type=int, nargs=2, default=(2_000, 1_000), metavar=("VOLUNTEERS", "TASKS"))
    ap.add_argument("--plan-time", type=float, default=30.0, help="seconds for the previous plan")
    ap.add_argument("--replan-time", type=float, default=2.5)
    ap.add_argument("--resolve", action="store_true", help="also re-solve from scratch (baseline)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-welfare", action="store_true")
    ap.add_argument("--skip-replan", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true", help="welfare without the plain CP-SAT baseline")
    ap.add_argument("--json", default=None, help="write the results here too")
    ap.add_argument(
        "--colgen",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also run column generation per provider for this long (a longer-run bound)",
    )
    a = ap.parse_args(argv)
    res: dict[str, Any] = {}
    if not a.skip_welfare:
        res["welfare"] = welfare(a.orders, a.offers, a.time_limit, a.seed, a.workers, a.colgen, not a.skip_baseline)
        print("welfare:", json.dumps(res["welfare"]), flush=True)
    if not a.skip_replan:
        res["replan"] = replan_after_decline(
            a.city[0], a.city[1], a.plan_time, a.replan_time, a.seed, a.workers, a.resolve
        )
        print("replan:", json.dumps(res["replan"]), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
