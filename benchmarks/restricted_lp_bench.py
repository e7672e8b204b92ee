"""Which LP solver gives the Lagrangian bound its first multipliers fast enough (issue 3)?

For one generated city: compile, greedy start, then the first restricted LP of
:func:`vmatch.solvers.lagrange.lagrangian_bound_cg` (the greedy's arcs and each job's best
candidates). That LP is solved by each method below, in the same run, and its row duals are
turned into :class:`~vmatch.solvers.lagrange.Prices`; each row reports the LP's value, the solve
time, the Lagrangian bound those prices give on the **whole** problem (valid for any prices),
and how many arcs the agents' best schedules take that the restricted LP lacks (what the next
column-generation round would add). The flow bound of the whole problem is the baseline.

Methods: ``scipy``, HiGHS through ``scipy.optimize.linprog`` (what ``restricted_lp`` uses), and,
when the optional ``highspy`` package is installed (it is not a vmatch dependency), HiGHS
directly: IPM without crossover, dual simplex, primal simplex, and HiGHS's PDLP.

Usage::

    python benchmarks/restricted_lp_bench.py --volunteers 10000 --tasks 5000 --time-limit 60
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from vmatch.compile import compile_problem
from vmatch.gen.city import generate_city
from vmatch.solve import level_bounds
from vmatch.solvers import lagrange as lg
from vmatch.solvers.bound import feasible_arcs
from vmatch.solvers.greedy import greedy
from vmatch.solvers.lp import _lp


def _highs(c, a_ub, b_ub, a_eq, b_eq, bnd, opts):  # type: ignore[no-untyped-def]
    import highspy  # optional, benchmark only

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in opts.items():
        h.setOptionValue(k, v)
    a = sp.vstack([a_ub, a_eq]).tocsc() if a_eq.shape[0] else a_ub.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(c), a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, bnd[:, 0], bnd[:, 1]
    lp.row_lower_ = np.concatenate([np.full(a_ub.shape[0], -np.inf), b_eq])
    lp.row_upper_ = np.concatenate([b_ub, b_eq])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h.passModel(lp)
    h.run()
    y = np.asarray(h.getSolution().row_dual, np.float64)
    status = h.modelStatusToString(h.getModelStatus())
    return -h.getInfo().objective_function_value, np.maximum(0.0, -y[: a_ub.shape[0]]), -y[a_ub.shape[0] :], status


def main() -> None:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--volunteers", type=int, default=2000)
    ap_.add_argument("--tasks", type=int, default=1000)
    ap_.add_argument("--seed", type=int, default=0)
    ap_.add_argument("--time-limit", type=float, default=60.0)
    ap_.add_argument("--per-job", type=int, default=6)
    args = ap_.parse_args()
    c0 = compile_problem(generate_city(args.volunteers, args.tasks, seed=args.seed))
    ap = c0.arcs
    st = greedy(ap)
    t = time.perf_counter()
    flow = level_bounds(ap)[0]
    print(
        f"{ap.n_arcs} arcs; greedy {ap.levels[0].coef[st].sum():.0f}; flow bound {flow:.0f} "
        f"({time.perf_counter() - t:.1f}s)",
        flush=True,
    )
    keep = (st | lg.candidate_arcs(ap, args.per_job)) & feasible_arcs(ap)
    sub, idx = lg._restrict_arcs(ap, keep, 0)
    blocks: dict[str, tuple[int, np.ndarray]] = {}
    c, a_ub, b_ub, a_eq, b_eq, bnd = _lp(sub, 0, blocks)
    print(f"restricted LP: {int(keep.sum())} arcs, {a_ub.shape[0] + a_eq.shape[0]} rows, {a_ub.nnz + a_eq.nnz} nnz")
    print("| method | status | LP value | LP seconds | Lagrangian bound | arcs to add |")
    print("|---|---|---|---|---|---|")

    def report(name: str, status: str, val: float, secs: float, pr: lg.Prices) -> None:
        b, take = lg.lagrangian_bound(ap, pr)
        print(f"| {name} | {status} | {val:.1f} | {secs:.1f} | {b:.0f} | {int((take & ~keep).sum())} |", flush=True)

    t = time.perf_counter()
    got = lg.restricted_lp(ap, keep, 0, time_limit=args.time_limit)
    dt = time.perf_counter() - t
    if got is None:
        print(f"| scipy linprog (highs) | not solved | - | {dt:.1f} | - | - |")
    else:
        report("scipy linprog (highs)", "optimal", got[0], dt, got[2])
    try:
        import highspy  # noqa: F401
    except ImportError:
        print("(highspy not installed: its rows are skipped)")
        return
    for name, opts in (
        ("highspy IPM, no crossover", {"solver": "ipm", "run_crossover": "off"}),
        ("highspy dual simplex", {"solver": "simplex", "simplex_strategy": 1}),
        ("highspy primal simplex", {"solver": "simplex", "simplex_strategy": 4}),
        ("highspy PDLP", {"solver": "pdlp"}),
    ):
        t = time.perf_counter()
        val, lam, nu, status = _highs(c, a_ub, b_ub, a_eq, b_eq, bnd, {**opts, "time_limit": args.time_limit})
        dt = time.perf_counter() - t
        pr = lg.prices_from_duals(ap, blocks, idx, lam, nu)
        report(name, status, val, dt, pr)


if __name__ == "__main__":
    main()
