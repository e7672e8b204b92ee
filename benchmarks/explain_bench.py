"""Explaining every unserved task of a city problem (issue 5 target: <= 5 s at 10k x 5k).

Usage::

    python benchmarks/explain_bench.py --volunteers 10000 --tasks 5000 --time-limit 30

Prints the solve time, the number of tasks short of their head-count, and the time that
``vmatch.explain`` takes to explain all of them (per-rule counts, competition, limits and
smallest relaxations), next to the time of the shortfall counts alone (``many_task_reasons``)
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import time

from vmatch.eligibility import Tables
from vmatch.explain import explain
from vmatch.generate import generate_city
from vmatch.reasons import many_task_reasons
from vmatch.solve import solve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volunteers", type=int, default=10000)
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    p = generate_city(a.volunteers, a.tasks, seed=a.seed)
    t0 = time.perf_counter()
    r = solve(p, time_limit=a.time_limit, workers=2)
    t_solve = time.perf_counter() - t0
    tb = Tables(p)
    short = [p.task_index(t) for t in r.unassigned]
    by_task = {p.task_index(t): [p.volunteer_index(v) for v in vs] for t, vs in r.by_task().items()}
    t0 = time.perf_counter()
    many_task_reasons(tb, short, by_task)
    t_counts = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = explain(p, r, tables=tb)
    t_explain = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "size": f"{a.volunteers}x{a.tasks}",
                "solve_s": round(t_solve, 1),
                "short_tasks": len(ex),
                "explain_all_s": round(t_explain, 2),
                "counts_only_s": round(t_counts, 2),
                "relaxations": sum(len(e.relaxations) for e in ex),
            }
        )
    )


if __name__ == "__main__":
    main()
