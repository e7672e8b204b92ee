"""Where the time goes on a generated city, phase by phase, in one process (no time limit shared).

Phases: generate, compile (and its conflict rows), greedy start, the min-cost flow with its
Lagrangian bound, the regional LPs priced into one Lagrangian bound (every region, no deadline),
and ``--lns`` seconds of large-neighbourhood search from the greedy start. Each line is JSON.

Usage::

    python benchmarks/city_phases.py --volunteers 10000 --tasks 5000 --lns 20
"""

from __future__ import annotations

import argparse
import json
import time

from vmatch import compile as vcompile
from vmatch.generate import generate_city
from vmatch.solvers.greedy import greedy
from vmatch.solvers.lagrange import flow_prices, lagrangian_bound
from vmatch.solvers.lns import lex_key, solve_lns
from vmatch.solvers.lp_regions import regional_lp_bound


def main() -> None:
    ap_ = argparse.ArgumentParser()
    ap_.add_argument("--volunteers", type=int, default=10000)
    ap_.add_argument("--tasks", type=int, default=5000)
    ap_.add_argument("--seed", type=int, default=0)
    ap_.add_argument("--lns", type=float, default=20.0)
    a = ap_.parse_args()

    def emit(phase: str, t0: float, **kw: object) -> None:
        print(json.dumps({"phase": phase, "seconds": round(time.perf_counter() - t0, 2), **kw}), flush=True)

    t = time.perf_counter()
    p = generate_city(a.volunteers, a.tasks, seed=a.seed)
    emit("generate", t)
    spent = {"conflicts": 0.0}
    inner = vcompile._conflicts

    def timed_conflicts(*args, **kw):  # type: ignore[no-untyped-def]
        t1 = time.perf_counter()
        out = inner(*args, **kw)
        spent["conflicts"] += time.perf_counter() - t1
        return out

    vcompile._conflicts = timed_conflicts
    t = time.perf_counter()
    c = vcompile.compile_problem(p)
    emit("compile", t, arcs=c.arcs.n_arcs, conflict_rows=len(c.arcs.cliques), conflicts_s=round(spent["conflicts"], 2))
    ap = c.arcs
    t = time.perf_counter()
    start = greedy(ap)
    emit("greedy", t, coverage=lex_key(ap, start)[0])
    t = time.perf_counter()
    fl = flow_prices(ap, 0)
    emit("flow", t, flow_bound=fl[0], lagrangian_at_flow_duals=lagrangian_bound(ap, fl[1], 0)[0])
    t = time.perf_counter()
    emit("regional_lps", t, bound=regional_lp_bound(ap, 0, flow=fl))
    t = time.perf_counter()
    sol = solve_lns(ap, time_limit=a.lns, start=start, seed=a.seed)
    emit("lns", t, coverage=sol.values[0], steps=sol.stats["lns_steps"])


if __name__ == "__main__":
    main()
