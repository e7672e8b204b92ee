"""A generalised assignment problem (GAP) solver: LP bound, LP-guided start, CP-SAT LNS.

:func:`solve_gap` handles arc problems that hold only agent capacities and required
single jobs (every job served by exactly one arc), minimising level 0 (a "max" level is
negated). It works in phases:

1. small problems (``n_arcs <= 1500``) go straight to a full CP-SAT model;
2. the LP relaxation (HiGHS) gives capacity duals, a Lagrangian lower bound and reduced
   costs;
3. the LP solution is rounded and its fractional jobs placed by a regret greedy (jobs that
   do not fit are placed by CP-SAT on a few agents);
4. large-neighbourhood search: the jobs of a few related agents are freed and re-solved
   by CP-SAT (the other jobs stay), ``workers`` disjoint neighbourhoods at a time in
   threads, each sub-solve single-threaded with a deterministic-time limit;
5. arcs whose reduced cost proves they cannot improve the incumbent are dropped; once the
   remaining model is small, the full model is solved by CP-SAT to close the gap.

The reported bound is the best of the LP (Lagrangian) bound and CP-SAT's bound on the full
(reduced-cost filtered) model; status OPTIMAL means value == bound.

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
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.solvers._gap_cpsat import SubResult, construct, neighbours, solve_sub
from vmatch.solvers._gap_data import GapData, IntArray, LpInfo, lp_relax

__all__ = ["solve_gap"]

logger = logging.getLogger(__name__)

SMALL_ARCS = 1500  # full CP-SAT model straight away (and once reduced-cost fixing leaves this few)
FULL_SLICE = 2.0  # seconds for a full-model attempt during the search
K_START = 4  # agents per LNS neighbourhood at the start
DET_LIMIT = 0.5  # CP-SAT deterministic time per LNS sub-solve


class _State:
    """Incumbent, bounds and clock shared by the phases."""

    def __init__(self, g: GapData, deadline: float, workers: int, seed: int, log: bool) -> None:
        self.g = g
        self.deadline = deadline
        self.workers = workers
        self.seed = seed
        self.level = logging.INFO if log else logging.DEBUG
        self.assign: IntArray = np.full(g.n, -1, np.int64)
        self.ub = math.inf
        self.lb = -math.inf
        self.proven = False
        self.lp: LpInfo | None = None
        self.calls = 0
        self.full_tried_at = math.inf
        self.k_final = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def offer(self, assign: IntArray, source: str) -> bool:
        if not self.g.feasible(assign):
            return False
        v = self.g.total(assign)
        if v < self.ub:
            self.assign, self.ub = assign.copy(), v
            logger.log(self.level, "gap: %s -> %s (bound %s, %.2fs left)", source, v, self.lb, self.left())
            return True
        return False

    def raise_lb(self, b: float) -> None:
        self.lb = max(self.lb, self.g.int_bound(b))

    def done(self) -> bool:
        return self.proven or (self.g.exact and self.ub <= self.lb) or self.left() <= 0.02

    def kept_arcs(self) -> IntArray:
        """Arcs that can appear in a solution cheaper than the incumbent (plus the incumbent's)."""
        g, lp = self.g, self.lp
        if lp is None or not math.isfinite(self.ub):
            return np.arange(g.n_arcs)
        slack = (self.ub - 1 if g.exact else self.ub) - lp.bound + 1e-6
        keep = lp.rc <= slack
        keep[self.assign[self.assign >= 0]] = True
        return np.flatnonzero(keep)


def _full(st: _State, time_limit: float) -> None:
    """Solve the full (reduced-cost filtered) model with CP-SAT using every worker."""
    g = st.g
    arcs = st.kept_arcs()
    hint = st.assign if math.isfinite(st.ub) else None
    r = solve_sub(g, arcs, np.arange(g.n), g.cap, hint=hint, time_limit=time_limit,
                  workers=st.workers, seed=st.seed)
    st.calls += 1
    if r.status in ("OPTIMAL", "FEASIBLE"):
        st.offer(r.assign, f"full model ({len(arcs)} arcs)")
    if r.status == "INFEASIBLE" and not math.isfinite(st.ub):
        st.proven = True  # no solution at all (every arc was in the model)
        return
    bound = min(r.bound, st.ub) if r.status != "INFEASIBLE" else st.ub
    if r.status == "OPTIMAL" or r.status == "INFEASIBLE":
        bound = st.ub
        st.proven = True
    st.raise_lb(bound)


def _repair(st: _State, assign: IntArray, rng: np.random.Generator) -> IntArray:
    """Place unassigned jobs by CP-SAT on growing sets of agents (their jobs freed too)."""
    g = st.g
    rc = st.lp.rc if st.lp is not None else np.zeros(g.n_arcs)
    k = max(2, min(g.m, 4))
    while np.any(assign < 0) and st.left() > 0.05 and k < g.m:
        open_jobs = np.flatnonzero(assign < 0)
        arcs_open = np.flatnonzero(np.isin(g.job, open_jobs))
        score = np.bincount(g.agent[arcs_open], weights=np.exp(-rc[arcs_open]), minlength=g.m)
        score *= rng.uniform(0.8, 1.2, g.m)
        agents = np.argsort(-score, kind="stable")[:k]
        in_s = np.zeros(g.m, bool)
        in_s[agents] = True
        placed = assign >= 0
        owner = np.where(placed, g.agent[np.maximum(assign, 0)], -1)
        jobs = np.flatnonzero(~placed | in_s[np.maximum(owner, 0)] & placed)
        arcs = np.flatnonzero(in_s[g.agent] & np.isin(g.job, jobs))
        r = solve_sub(g, arcs, jobs, g.cap, hint=assign[jobs], time_limit=min(2.0, st.left()),
                      seed=st.seed + st.calls)
        st.calls += 1
        if r.status in ("OPTIMAL", "FEASIBLE"):
            assign = assign.copy()
            assign[jobs] = r.assign
        else:
            k = min(g.m, 2 * k)
    return assign


def _lns(st: _State, rng: np.random.Generator) -> None:
    """Large-neighbourhood search over sets of agents, until done or out of time.

    Each round frees the jobs of ``workers`` (disjoint when possible) agent sets and
    re-solves each set with single-threaded CP-SAT under a deterministic-time limit, in
    parallel threads. ``k`` (agents per set) grows when rounds stop improving although
    solved to optimality, and shrinks when sub-solves hit their limit.
    """
    g = st.g
    assert st.lp is not None
    rc = st.lp.rc
    k = min(g.m, max(2, K_START))
    stale = 0
    rounds = 0
    pool = ThreadPoolExecutor(max_workers=st.workers) if st.workers > 1 else None
    try:
        while not st.done():
            rounds += 1
            arcs = st.kept_arcs()
            if len(arcs) <= SMALL_ARCS and st.ub < st.full_tried_at:
                st.full_tried_at = st.ub
                _full(st, min(st.left(), FULL_SLICE))
                continue
            keep = np.zeros(g.n_arcs, bool)
            keep[arcs] = True
            owner = g.agent[st.assign]
            free = np.ones(g.m, bool)
            tasks: list[tuple[IntArray, IntArray, IntArray]] = []
            for i in range(st.workers):
                if free.sum() < k:
                    free[:] = True  # overlapping sets: only the best result is kept
                agents = neighbours(g, st.assign, rc, k, rng, free, related=(rounds + i) % 2 == 0)
                free[agents] = False
                in_s = np.zeros(g.m, bool)
                in_s[agents] = True
                jobs = np.flatnonzero(in_s[owner])
                sub = np.flatnonzero(keep & in_s[g.agent] & in_s[owner[g.job]])
                tasks.append((agents, sub, jobs))
            base = st.assign
            seeds = [st.seed * 7919 + st.calls + i for i in range(len(tasks))]
            limit = min(st.left(), 10 * DET_LIMIT)

            def run(i: int, base: IntArray = base, limit: float = limit) -> SubResult:
                _, sub, jobs = tasks[i]
                return solve_sub(g, sub, jobs, g.cap, hint=base[jobs], time_limit=limit, det_limit=DET_LIMIT,
                                 seed=seeds[i])

            idx = range(len(tasks))
            results = list(pool.map(run, idx)) if pool is not None else [run(i) for i in idx]
            st.calls += len(tasks)
            gains = []
            for (agents, _, jobs), r in zip(tasks, results, strict=True):
                if r.status in ("OPTIMAL", "FEASIBLE"):
                    gains.append((int(g.cost[base[jobs]].sum()) - r.obj, agents, jobs, r.assign))
            new = base.copy()
            used = np.zeros(g.m, bool)
            for gain, agents, jobs, sub_assign in sorted(gains, key=lambda t: -t[0]):
                if gain > 0 and not used[agents].any():
                    new[jobs] = sub_assign
                    used[agents] = True
            improved = st.offer(new, f"lns k={k}")
            n_opt = sum(r.status == "OPTIMAL" for r in results)
            if improved:
                stale = 0
            elif n_opt < len(results):
                k = max(2, k - 1)
                stale = 0
            else:
                stale += 1
                if stale >= max(2, g.m // (k * len(tasks))):
                    k = min(g.m, k + 1)
                    stale = 0
    finally:
        if pool is not None:
            pool.shutdown()
    st.k_final = k


def _solution(ap: ArcProblem, st: _State, t0: float) -> ArcSolution:
    g = st.g
    n_lv = len(ap.levels)
    nan = float("nan")
    if not math.isfinite(st.ub):
        status = SolveStatus.INFEASIBLE if st.proven else SolveStatus.UNKNOWN
        return ArcSolution(status, np.zeros(0, np.int64), np.zeros(0, np.int64), (nan,) * n_lv,
                           (nan,) * n_lv, time.monotonic() - t0, "gap", {"cpsat_calls": st.calls})
    arcs = np.sort(st.assign)
    values = tuple(lv.value(arcs) for lv in ap.levels)
    lb = min(st.lb, st.ub)
    optimal = g.exact and (st.proven or st.ub <= lb)
    bound = g.to_level(st.ub if optimal else lb) if math.isfinite(lb) else nan
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    stats = {"cpsat_calls": st.calls, "lp_bound": g.to_level(st.lp.bound) if st.lp else nan,
             "lns_k": st.k_final}
    return ArcSolution(status, arcs, np.arange(g.n, dtype=np.int64), values, (bound,) + (nan,) * (n_lv - 1),
                       time.monotonic() - t0, "gap", stats)


def solve_gap(ap: ArcProblem, *, time_limit: float = 10.0, seed: int = 0, workers: int | None = None,
              log: bool = False) -> ArcSolution:
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
        CP-SAT workers / parallel sub-solves (default 2).
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
    st = _State(g, t0 + float(time_limit), 2 if workers is None else max(1, int(workers)), int(seed), log)
    rng = np.random.default_rng(seed)
    if g.n == 0:
        st.ub = 0
        st.lb = 0
        return _solution(ap, st, t0)
    if g.n_arcs <= SMALL_ARCS:
        _full(st, st.left())
        return _solution(ap, st, t0)
    st.lp = lp_relax(g, time_limit=max(0.1, 0.5 * st.left()))
    if not st.lp.feasible:
        st.proven = True
        return _solution(ap, st, t0)
    st.raise_lb(st.lp.bound)
    logger.log(st.level, "gap: LP bound %.2f after %.2fs", st.lp.bound, time.monotonic() - t0)
    assign = construct(g, st.lp.x, st.lp.rc)
    if np.any(assign < 0):
        assign = _repair(st, assign, rng)
    if not st.offer(assign, "LP rounding"):
        _full(st, st.left())
    if not st.done() and math.isfinite(st.ub):
        _lns(st, rng)
    return _solution(ap, st, t0)
