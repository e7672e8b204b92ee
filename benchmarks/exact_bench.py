"""Exact fast paths and bounds against a plain CP-SAT model, on 2 cores.

Usage::

    .venv/bin/python benchmarks/exact_bench.py assign   # one-to-one, sparse and dense
    .venv/bin/python benchmarks/exact_bench.py bmatch   # capacity-only b-matching
    .venv/bin/python benchmarks/exact_bench.py bound --lns --cpsat   # bounds on a compiled city

Each row prints the wall seconds of our solver and of the baseline, their ratio, and the
first-level values (equal values mean the baseline also reached the optimum).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from vmatch.arcs import ArcProblem, ArcSolution, Level
from vmatch.solvers.bound import flow_bound, lp_bound
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.exact import classify, solve_assignment, solve_bmatching


def timed(f: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def row(name: str, ours: ArcSolution, t_ours: float, base: ArcSolution | None, t_base: float) -> None:
    b_vals = base.values if base is not None else ()
    b_stat = base.status.value if base is not None else "-"
    print(f"{name:<30} ours  {t_ours:7.2f}s {ours.status.value:<10} {ours.values}", flush=True)
    print(f"{'':<30} cpsat {t_base:7.2f}s {b_stat:<10} {b_vals}  ratio cpsat/ours {t_base / t_ours:.1f}", flush=True)


def sparse_one_to_one(n: int, degree: int, seed: int) -> ArcProblem:
    """n agents x n jobs, ``degree`` random jobs per agent; capacity one; coverage then km."""
    rng = np.random.default_rng(seed)
    aa = np.repeat(np.arange(n), degree)
    jj = np.concatenate([rng.choice(n, degree, replace=False) for _ in range(n)])
    prio = rng.integers(1, 4, n)
    return ArcProblem.build(
        n_agents=n,
        n_jobs=n,
        arc_agent=aa,
        arc_job=jj,
        agent_capacity=np.ones(n),
        levels=[
            Level("coverage", prio[jj].astype(float)),
            Level("travel_km", rng.uniform(0.1, 20.0, len(aa)), "min", scale=1000.0),
        ],
    )


def dense_lap(n: int, seed: int) -> tuple[ArcProblem, np.ndarray]:
    """A classic n x n linear assignment problem (costs 1..1000, every job required)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 1001, (n, n))
    aa, jj = np.divmod(np.arange(n * n), n)
    ap = ArcProblem.build(
        n_agents=n,
        n_jobs=n,
        arc_agent=aa,
        arc_job=jj,
        agent_capacity=np.ones(n),
        required=np.ones(n, bool),
        levels=[Level("cost", cost.ravel(), "min")],
    )
    return ap, cost


def b_matching(n_agents: int, n_jobs: int, degree: int, seed: int) -> ArcProblem:
    """Agents with 1-3 one-hour slots, jobs wanting 1-4 people, ``degree`` jobs per agent."""
    rng = np.random.default_rng(seed)
    aa = np.repeat(np.arange(n_agents), degree)
    jj = np.concatenate([rng.choice(n_jobs, degree, replace=False) for _ in range(n_agents)])
    prio = rng.integers(1, 4, n_jobs)
    return ArcProblem.build(
        n_agents=n_agents,
        n_jobs=n_jobs,
        arc_agent=aa,
        arc_job=jj,
        arc_load=np.full(len(aa), 60),
        agent_capacity=60 * rng.integers(1, 4, n_agents),
        job_max=rng.integers(1, 5, n_jobs),
        levels=[
            Level("coverage", prio[jj].astype(float)),
            Level("travel_km", rng.uniform(0.1, 20.0, len(aa)), "min", scale=1000.0),
        ],
    )


def dense_vs_bare(n: int, seed: int) -> None:
    big, cost = dense_lap(n, seed)
    ours, t = timed(lambda: solve_assignment(big))
    (r, c), t_lsa = timed(lambda: linear_sum_assignment(cost))
    print(
        f"dense LAP {n}x{n}: solve_assignment {t:.2f}s cost {ours.values[0]:.0f}; "
        f"bare linear_sum_assignment {t_lsa:.2f}s cost {cost[r, c].sum()}",
        flush=True,
    )


def bench_assign(a: argparse.Namespace) -> None:
    ap = sparse_one_to_one(a.n, a.degree, a.seed)
    (kind, t_cls) = timed(lambda: classify(ap))
    print(f"sparse one-to-one {a.n} x {a.n}, {ap.n_arcs} arcs: classify {kind} in {t_cls:.2f}s")
    for method in ("flow", "sparse", "dense"):
        ours, t = timed(functools.partial(solve_assignment, ap, method))
        print(f"  solve_assignment({method!r}) {t:.2f}s {ours.values}", flush=True)
    ours, t = timed(lambda: solve_assignment(ap))
    base, tb = timed(lambda: solve_cpsat(ap, time_limit=a.time_limit, workers=2))
    row(f"one-to-one sparse {a.n}x{a.n}", ours, t, base, tb)

    dense_vs_bare(a.n, a.seed)
    small, _ = dense_lap(a.dense_cpsat_n, a.seed)
    ours, t = timed(lambda: solve_assignment(small))
    base, tb = timed(lambda: solve_cpsat(small, time_limit=a.time_limit, workers=2))
    row(f"dense LAP {a.dense_cpsat_n}x{a.dense_cpsat_n}", ours, t, base, tb)


def bench_bmatch(a: argparse.Namespace) -> None:
    ap = b_matching(a.agents, a.jobs, a.degree, a.seed)
    print(f"b-matching {a.agents} agents x {a.jobs} jobs, {ap.n_arcs} arcs: classify {classify(ap)}")
    ours, t = timed(lambda: solve_bmatching(ap))
    base, tb = timed(lambda: solve_cpsat(ap, time_limit=a.time_limit, workers=2))
    row(f"b-matching {a.agents}x{a.jobs}", ours, t, base, tb)


def bench_bound(a: argparse.Namespace) -> None:
    from vmatch.compile import compile_problem
    from vmatch.generate import generate_city
    from vmatch.solvers.greedy import greedy
    from vmatch.solvers.lns import solve_lns

    c, t_c = timed(lambda: compile_problem(generate_city(a.volunteers, a.tasks, seed=a.seed)))
    ap = dataclasses.replace(c.arcs, levels=c.arcs.levels[:1])  # coverage only
    print(f"city {a.volunteers} x {a.tasks}: {ap.n_arcs} arcs, {len(ap.cliques)} cliques, compiled in {t_c:.1f}s")
    fb, t_f = timed(lambda: flow_bound(ap))
    print(f"  flow bound {fb:.0f} in {t_f:.2f}s", flush=True)
    lb, t_l = timed(lambda: lp_bound(ap, time_limit=a.time_limit))
    print(f"  LP bound {lb} in {t_l:.2f}s", flush=True)
    g, t_g = timed(lambda: greedy(ap))
    print(f"  greedy {ap.levels[0].value(np.flatnonzero(g)):.0f} in {t_g:.2f}s", flush=True)
    if a.lns:
        sol, t_s = timed(lambda: solve_lns(ap, time_limit=a.time_limit, workers=2))
        print(f"  LNS {a.time_limit:.0f}s: {sol.status.value} coverage {sol.values[0]} in {t_s:.1f}s", flush=True)
    if a.cpsat:
        sol, t_s = timed(lambda: solve_cpsat(ap, time_limit=a.time_limit, workers=2))
        print(f"  CP-SAT {a.time_limit:.0f}s: {sol.status.value} coverage {sol.values[0]} in {t_s:.1f}s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("assign")
    s.add_argument("--n", type=int, default=5000)
    s.add_argument("--degree", type=int, default=20)
    s.add_argument("--dense-cpsat-n", type=int, default=1000)
    s = sub.add_parser("bmatch")
    s.add_argument("--agents", type=int, default=10000)
    s.add_argument("--jobs", type=int, default=5000)
    s.add_argument("--degree", type=int, default=30)
    s = sub.add_parser("bound")
    s.add_argument("--volunteers", type=int, default=2000)
    s.add_argument("--tasks", type=int, default=1000)
    s.add_argument("--cpsat", action="store_true", help="also run plain CP-SAT for the time limit")
    s.add_argument("--lns", action="store_true", help="also run vmatch's LNS for the time limit")
    for s in sub.choices.values():
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--time-limit", type=float, default=60.0)
    a = p.parse_args()
    {"assign": bench_assign, "bmatch": bench_bmatch, "bound": bench_bound}[a.what](a)


if __name__ == "__main__":
    main()
