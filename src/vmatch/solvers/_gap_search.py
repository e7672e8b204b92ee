"""GAP internals: the search state, full-model solves, repair and large-neighbourhood search.

See :mod:`vmatch.solvers.gap` for the overall method. Everything here works on
:class:`~vmatch.solvers._gap_data.GapData` (integer min-sense costs) and keeps the
incumbent as one arc per job.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> from vmatch.solvers._gap_data import GapData
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 0, 1],
...     arc_load=[2, 2, 1, 1], agent_capacity=[2, 2], required=[True, True],
...     levels=[Level("cost", [1, 1, 5, 5], "min")])
>>> st = State(GapData.from_arc_problem(ap), time.monotonic() + 5, workers=1, seed=0, log=False)
>>> full(st, 5.0, workers=1, params={})
>>> st.ub, st.proven
(6, True)
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from vmatch.solvers._gap_cpsat import SubResult, neighbours, relatedness, solve_sub
from vmatch.solvers._gap_data import FloatArray, GapData, IntArray, LpInfo

if TYPE_CHECKING:
    from vmatch.solvers._gap_mip import MipSide

__all__ = ["FULL_PARAMS", "SMALL_ARCS", "State", "full", "lns", "repair"]

logger = logging.getLogger("vmatch.solvers.gap")

SMALL_ARCS = 1200  # full CP-SAT model straight away (after the LP)
FULL_PARAMS: dict[str, object] = {"linearization_level": 2}
K_START = 4  # agents per LNS neighbourhood at the start
DET_LIMIT = 0.5  # CP-SAT deterministic time per LNS sub-solve
DET_MAX = 2.0  # ... raised up to this when sub-solves stop at the limit
MIN_GAIN = 1  # apply sub-solutions that gain at least this (0: also sideways moves)
# extra CP-SAT parameters for LNS sub-solves, cycled over the parallel sub-solves of a round
SUB_PARAMS: list[dict[str, object]] = [{"linearization_level": 2}, {}]


class State:
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
        self.k_final = 0
        self._weights: FloatArray | None = None

    @property
    def weights(self) -> FloatArray:
        """Arc weights for choosing related agents (computed once)."""
        if self._weights is None:
            self._weights = relatedness(self.rc)
        return self._weights

    @property
    def rc(self) -> FloatArray:
        """Reduced costs of the arcs (zeros before the LP)."""
        return self.lp.rc if self.lp is not None else np.zeros(self.g.n_arcs)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def offer(self, assign: IntArray, source: str) -> bool:
        """Take ``assign`` if feasible and no worse than the incumbent; True when strictly better."""
        if not self.g.feasible(assign):
            return False
        v = self.g.total(assign)
        if v < self.ub:
            self.assign, self.ub = assign.copy(), v
            logger.log(self.level, "gap: %s -> %s (bound %s, %.2fs left)", source, v, self.lb, self.left())
            return True
        if v == self.ub:
            self.assign = assign.copy()  # a sideways move
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


def full(st: State, time_limit: float, workers: int, params: dict[str, object]) -> None:
    """Solve the full (reduced-cost filtered) model with CP-SAT."""
    g = st.g
    arcs = st.kept_arcs()
    hint = st.assign if math.isfinite(st.ub) else None
    r = solve_sub(
        g, arcs, np.arange(g.n), g.cap, hint=hint, time_limit=time_limit, workers=workers, seed=st.seed, params=params
    )
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


def repair(st: State, assign: IntArray, rng: np.random.Generator) -> IntArray:
    """Place unassigned jobs by CP-SAT on growing sets of agents (their jobs freed too)."""
    g = st.g
    rc = st.rc
    k = max(2, min(g.m, 4))
    while np.any(assign < 0) and st.left() > 0.05 and k < g.m:
        open_jobs = np.flatnonzero(assign < 0)
        arcs_open = np.flatnonzero(np.isin(g.job, open_jobs))
        score = np.bincount(g.agent[arcs_open], weights=np.exp(-rc[arcs_open]), minlength=g.m).astype(float)
        score = score * rng.uniform(0.8, 1.2, g.m)
        agents = np.argsort(-score, kind="stable")[:k]
        in_s = np.zeros(g.m, bool)
        in_s[agents] = True
        placed = assign >= 0
        owner = np.where(placed, g.agent[np.maximum(assign, 0)], -1)
        jobs = np.flatnonzero(~placed | (in_s[np.maximum(owner, 0)] & placed))
        arcs = np.flatnonzero(in_s[g.agent] & np.isin(g.job, jobs))
        r = solve_sub(g, arcs, jobs, g.cap, hint=assign[jobs], time_limit=min(2.0, st.left()), seed=st.seed + st.calls)
        st.calls += 1
        if r.status in ("OPTIMAL", "FEASIBLE"):
            assign = assign.copy()
            assign[jobs] = r.assign
        else:
            k = min(g.m, 2 * k)
    return assign


_Task = tuple[IntArray, IntArray, IntArray]  # agents, arcs, jobs of one neighbourhood


def _tasks(st: State, k: int, rounds: int, rng: np.random.Generator, count: int) -> list[_Task]:
    """``count`` neighbourhoods of ``k`` agents, disjoint while enough agents remain."""
    g = st.g
    keep = np.zeros(g.n_arcs, bool)
    keep[st.kept_arcs()] = True
    owner = g.agent[st.assign]
    free = np.ones(g.m, bool)
    tasks: list[_Task] = []
    for i in range(count):
        if free.sum() < k:
            free[:] = True  # overlapping sets: only one of them is applied
        agents = neighbours(g, st.assign, st.weights, k, rng, free, related=(rounds + i) % 2 == 0)
        free[agents] = False
        in_s = np.zeros(g.m, bool)
        in_s[agents] = True
        jobs = np.flatnonzero(in_s[owner])
        tasks.append((agents, np.flatnonzero(keep & in_s[g.agent] & in_s[owner[g.job]]), jobs))
    return tasks


def _run(st: State, tasks: list[_Task], det: float, pool: ThreadPoolExecutor | None) -> list[SubResult]:
    """Solve the neighbourhoods (in parallel threads when a pool is given)."""
    base = st.assign
    limit = min(st.left(), 10 * det)
    seeds = [st.seed * 7919 + st.calls + i for i in range(len(tasks))]

    def one(i: int) -> SubResult:
        _, sub, jobs = tasks[i]
        return solve_sub(
            st.g,
            sub,
            jobs,
            st.g.cap,
            hint=base[jobs],
            time_limit=limit,
            det_limit=det,
            seed=seeds[i],
            params=SUB_PARAMS[i % len(SUB_PARAMS)],
        )

    st.calls += len(tasks)
    idx = range(len(tasks))
    return list(pool.map(one, idx)) if pool is not None else [one(i) for i in idx]


def _merge(st: State, tasks: list[_Task], results: list[SubResult], k: int) -> bool:
    """Apply the improving sub-solutions (disjoint agent sets, largest gain first)."""
    g = st.g
    base = st.assign
    gains = []
    for (agents, _, jobs), r in zip(tasks, results, strict=True):
        if len(agents) == g.m:  # the whole (reduced-cost filtered) model
            st.raise_lb(min(r.bound, st.ub))
            st.proven |= r.status == "OPTIMAL"
        if r.status in ("OPTIMAL", "FEASIBLE"):
            gains.append((int(g.cost[base[jobs]].sum()) - r.obj, agents, jobs, r.assign))
    new = base.copy()
    used = np.zeros(g.m, bool)
    for gain, agents, jobs, sub_assign in sorted(gains, key=lambda t: -t[0]):
        if gain >= MIN_GAIN and not used[agents].any():
            new[jobs] = sub_assign
            used[agents] = True
    return st.offer(new, f"lns k={k}")


def lns(st: State, rng: np.random.Generator, side: MipSide | None = None) -> None:
    """Large-neighbourhood search over sets of agents, until done or out of time.

    Each round frees the jobs of ``workers`` agent sets and re-solves them with
    single-threaded CP-SAT under a deterministic-time limit, in parallel threads (one
    thread fewer while the ``side`` HiGHS solve runs). ``k``
    (agents per set) grows when rounds stop improving although solved to optimality; when
    sub-solves hit their limit, the limit doubles up to ``DET_MAX``, then ``k`` shrinks.
    """
    g = st.g
    k = min(g.m, max(2, K_START))
    stale = 0
    rounds = 0
    det = DET_LIMIT
    pool = ThreadPoolExecutor(max_workers=st.workers) if st.workers > 1 else None
    try:
        while not st.done():
            rounds += 1
            busy = side is not None and side.poll(st)
            tasks = _tasks(st, k, rounds, rng, max(1, st.workers - busy))
            results = _run(st, tasks, det, pool)
            improved = _merge(st, tasks, results, k)
            n_opt = sum(r.status == "OPTIMAL" for r in results)
            if improved:
                stale = 0
            elif n_opt < len(results):
                if det < DET_MAX:
                    det = min(DET_MAX, 2 * det)
                else:
                    k, det = max(2, k - 1), DET_LIMIT
                stale = 0
            else:
                stale += 1
                if stale >= max(2, g.m // (k * len(tasks))):
                    k = min(g.m, k + 1)
                    stale = 0
    finally:
        if pool is not None:
            pool.shutdown()
        if side is not None:
            side.finish(st)
    st.k_final = k
