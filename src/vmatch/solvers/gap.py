"""A generalised assignment problem (GAP) solver: LP bound, LP-guided start, CP-SAT LNS, HiGHS core.

:func:`solve_gap` handles arc problems that hold only agent capacities and required
single jobs (every job served by exactly one arc), minimising level 0 (a "max" level is
negated). It works in phases:

1. the LP relaxation (HiGHS) gives capacity duals, a Lagrangian lower bound and reduced
   costs;
2. the LP solution is rounded and its fractional jobs placed by a regret greedy (jobs that
   do not fit are placed by CP-SAT on a few agents);
3. small problems (``n_arcs <= SMALL_ARCS``) are then solved by one full CP-SAT model
   (single-threaded with LP linearisation: deterministic, and the fastest proof there);
4. larger ones go to large-neighbourhood search: the jobs of a few related (or random)
   agents are freed and re-solved by CP-SAT while the other jobs stay, each sub-solve
   single-threaded under a deterministic-time limit; the neighbourhood size adapts (it
   grows on stagnation and, once it covers every agent, the sub-solve is the full model
   and can prove optimality);
5. with two or more workers, one thread runs HiGHS branch-and-cut beside the LNS (after a
   short warm-up) on a *core* of the problem: the arcs of smallest reduced cost, about two
   per job at first, growing each round; its solutions join the incumbent, and once the
   core holds every arc left by reduced-cost fixing its bound counts too;
6. throughout, arcs whose reduced cost shows that they cannot be in a solution cheaper
   than the incumbent are dropped from every model (reduced-cost fixing).

The reported bound is the best of the LP (Lagrangian) bound and the bounds of CP-SAT or
HiGHS on the full (reduced-cost filtered) model; status OPTIMAL means value == bound. With non-integral
costs (after ``Level.scale``) CP-SAT optimises rounded costs: the status is then at most
FEASIBLE and the bound is loosened by the rounding error.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=3, arc_agent=[0, 0, 0, 1, 1, 1],
...     arc_job=[0, 1, 2, 0, 1, 2], arc_load=[2, 2, 2, 1, 1, 1], agent_capacity=[4, 1],
...     required=[True] * 3, levels=[Level("cost", [1, 1, 1, 3, 2, 3], "min")])
>>> sol = solve_gap(ap, time_limit=5)
>>> sol.status.value, sol.values, sol.bounds, sorted(sol.arcs.tolist())
('OPTIMAL', (4.0,), (4.0,), [0, 2, 4])
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.solvers._gap_cpsat import construct
from vmatch.solvers._gap_data import GapData, lp_relax
from vmatch.solvers._gap_mip import MIP_WARMUP, MipSide
from vmatch.solvers._gap_search import FULL_PARAMS, SMALL_ARCS, State, full, lns, repair

__all__ = ["solve_gap"]

logger = logging.getLogger(__name__)


def _solution(ap: ArcProblem, st: State, t0: float) -> ArcSolution:
    g = st.g
    n_lv = len(ap.levels)
    nan = float("nan")
    if not math.isfinite(st.ub):
        status = SolveStatus.INFEASIBLE if st.proven else SolveStatus.UNKNOWN
        return ArcSolution(
            status,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            (nan,) * n_lv,
            (nan,) * n_lv,
            time.monotonic() - t0,
            "gap",
            {"cpsat_calls": st.calls},
        )
    arcs = np.sort(st.assign)
    values = tuple(lv.value(arcs) for lv in ap.levels)
    slack = 0.0 if g.exact else 0.5 * g.n  # rounding error of the integer costs
    lb = min(st.lb, st.ub) - slack
    optimal = g.exact and (st.proven or st.ub <= lb)
    bound = g.to_level(st.ub if optimal else lb) if math.isfinite(lb) else nan
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    stats = {
        "cpsat_calls": st.calls,
        "lp_bound": g.to_level(st.lp.bound - slack) if st.lp else nan,
        "lns_k": st.k_final,
    }
    return ArcSolution(
        status,
        arcs,
        np.arange(g.n, dtype=np.int64),
        values,
        (bound,) + (nan,) * (n_lv - 1),
        time.monotonic() - t0,
        "gap",
        stats,
    )


def solve_gap(
    ap: ArcProblem, *, time_limit: float = 10.0, seed: int = 0, workers: int | None = None, log: bool = False
) -> ArcSolution:
    """Solve a generalised assignment problem given as an arc problem.

    Parameters
    ----------
    ap : ArcProblem
        Agent capacities and required single jobs only (``job_min == job_max == 1``, one job
        per group, no clique/composition/capacity/pinned rows). Level 0 is optimised; the
        values of further levels are reported, not optimised.
    time_limit : float
        Wall-clock seconds.
    seed : int
        Random seed (neighbourhood choice and CP-SAT seeds).
    workers : int, optional
        Threads (default 2): parallel LNS sub-solves, one of them given to HiGHS on the
        core after the warm-up; also the CP-SAT workers when construction finds no
        solution. Small problems use one deterministic thread.
    log : bool
        Log progress at INFO level on ``vmatch.solvers.gap`` (otherwise DEBUG).

    Returns
    -------
    ArcSolution
        ``values[0]`` the cost, ``bounds[0]`` a proven bound (level units); status OPTIMAL
        when they meet, FEASIBLE, INFEASIBLE (proven) or UNKNOWN (no solution found in time).

    Raises
    ------
    ValueError
        When ``ap`` is not a GAP.
    """
    t0 = time.monotonic()
    g = GapData.from_arc_problem(ap)
    st = State(g, t0 + float(time_limit), 2 if workers is None else max(1, int(workers)), int(seed), log)
    rng = np.random.default_rng(seed)
    if g.n == 0:
        st.ub = 0
        st.lb = 0
        return _solution(ap, st, t0)
    st.lp = lp_relax(g, time_limit=max(0.1, 0.5 * st.left()))
    if not st.lp.feasible:
        st.proven = True
        return _solution(ap, st, t0)
    st.raise_lb(st.lp.bound)
    logger.log(st.level, "gap: LP bound %.2f after %.2fs", st.lp.bound, time.monotonic() - t0)
    assign = construct(g, st.lp.x, st.lp.rc)
    small = g.n_arcs <= SMALL_ARCS
    if np.any(assign < 0) and not small:
        assign = repair(st, assign, rng)
    st.offer(assign, "LP rounding")
    if small:  # one deterministic single-threaded CP-SAT run proves these fastest
        full(st, st.left(), workers=1, params=FULL_PARAMS)
    elif not math.isfinite(st.ub):
        full(st, st.left(), workers=st.workers, params={})
    if not st.done() and math.isfinite(st.ub):
        side = MipSide(st, MIP_WARMUP * time_limit) if st.workers >= 2 else None
        lns(st, rng, side)
    return _solution(ap, st, t0)
