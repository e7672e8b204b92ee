"""GAP internals: HiGHS branch-and-cut on a core of the GAP, run beside the LNS.

The *core* is the set of arcs of small LP reduced cost (about two per job): HiGHS' LP-based
branch-and-cut finds near-optimal solutions there within seconds, where a local search
over all arcs needs much longer, and where HiGHS on all arcs often finds nothing good in
time. :func:`solve_gap` runs it in a second thread (HiGHS releases the GIL), with growing
cores, and keeps the better of its solutions and the LNS incumbent. When the core holds
every arc that reduced-cost fixing keeps, the HiGHS bound is valid for the whole problem.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> from vmatch.solvers._gap_data import GapData
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 0, 1],
...     arc_load=[2, 2, 1, 1], agent_capacity=[2, 2], required=[True, True],
...     levels=[Level("cost", [1, 1, 5, 5], "min")])
>>> g = GapData.from_arc_problem(ap)
>>> r = solve_mip(g, np.arange(4), time_limit=5.0, ub_filter=math.inf)
>>> r.status, g.total(r.assign), r.bound
('OPTIMAL', 6, 6.0)
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from vmatch.solvers._gap_data import GapData, IntArray

if TYPE_CHECKING:
    from vmatch.solvers._gap_search import State

__all__ = ["CORE_PER_JOB", "MIP_WARMUP", "ROUND_SHARE", "MipResult", "MipSide", "solve_mip"]

logger = logging.getLogger("vmatch.solvers.gap")

MIP_WARMUP = 0.05  # HiGHS starts beside the LNS after this share of the time limit
CORE_PER_JOB = 2.0  # arcs per job in HiGHS' first core (doubled each round)
ROUND_SHARE = 0.5  # share of the time left that a (non-exact) core round may use


@dataclass(frozen=True, slots=True)
class MipResult:
    """HiGHS outcome: an arc per job (or None) and a lower bound valid for the whole GAP."""

    status: str  # "OPTIMAL" (proven for the whole GAP), "FEASIBLE" or "UNKNOWN"
    assign: IntArray | None
    bound: float


def solve_mip(g: GapData, arcs: IntArray, time_limit: float, ub_filter: float | None) -> MipResult:
    """Solve the GAP restricted to ``arcs`` with HiGHS (:func:`scipy.optimize.milp`).

    When ``ub_filter`` is a number, ``arcs`` must hold every arc of a solution cheaper than
    ``ub_filter`` (reduced-cost fixing) plus the incumbent's, and the returned bound and an
    "OPTIMAL" status then hold for the whole problem. ``None`` marks a heuristic core (a
    subset of promising arcs): only the solution counts.
    """
    arcs = np.asarray(arcs, dtype=np.int64)
    ii = np.arange(len(arcs))
    a_eq = sp.csr_matrix((np.ones(len(arcs)), (g.job[arcs], ii)), shape=(g.n, len(arcs)))
    a_ub = sp.csr_matrix((g.load[arcs].astype(np.float64), (g.agent[arcs], ii)), shape=(g.m, len(arcs)))
    res = milp(
        g.cost[arcs].astype(np.float64),
        integrality=np.ones(len(arcs)),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(a_eq, 1, 1), LinearConstraint(a_ub, -np.inf, g.cap.astype(np.float64))],
        options={"time_limit": max(0.05, float(time_limit)), "mip_rel_gap": 0.0},
    )
    assign = None
    if res.x is not None:
        pick = arcs[np.asarray(res.x) > 0.5]
        cand = np.full(g.n, -1, np.int64)
        cand[g.job[pick]] = pick
        if len(pick) == g.n and g.feasible(cand):
            assign = cand
    if ub_filter is None:
        return MipResult("FEASIBLE" if assign is not None else "UNKNOWN", assign, -math.inf)
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(dual) if dual is not None and math.isfinite(float(dual)) else -math.inf
    if res.status == 0 and assign is not None:
        return MipResult("OPTIMAL", assign, min(float(g.total(assign)), ub_filter))
    if res.status == 2:  # no solution among these arcs: none cheaper than ub_filter
        return MipResult("OPTIMAL" if math.isfinite(ub_filter) else "INFEASIBLE", None, ub_filter)
    return MipResult("FEASIBLE" if assign is not None else "UNKNOWN", assign, min(bound, ub_filter))


class MipSide:
    """HiGHS on growing cores of the GAP in a side thread, started after a warm-up.

    Round r solves the arcs of reduced cost at most ``delta_r`` (plus the incumbent's),
    with ``delta_r`` the larger of ``2**r`` cost units and the reduced cost that admits
    about ``CORE_PER_JOB * 2**r`` arcs per job, for at most ``ROUND_SHARE`` of the time
    left; once the core covers every arc kept by reduced-cost fixing, the round is exact
    (it may use all the time left) and its bound counts.
    """

    def __init__(self, st: State, start_after: float) -> None:
        self.start_at = time.monotonic() + start_after
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.future: Future[MipResult] | None = None
        self.per_job = CORE_PER_JOB
        self.unit = 1.0
        self.exact = False
        self.done = False

    def _core(self, st: State) -> tuple[IntArray, bool]:
        g, rc = st.g, st.rc
        kept = st.kept_arcs()
        want = int(self.per_job * g.n)
        if 2 * want >= len(kept):  # the core would be most of it: go exact
            return kept, True
        delta = max(float(np.partition(rc[kept], want)[want]), self.unit * g.scale)
        keep = np.zeros(g.n_arcs, bool)
        keep[kept[rc[kept] <= delta]] = True
        keep[st.assign] = True
        arcs = np.flatnonzero(keep)
        return (kept, True) if len(arcs) == len(kept) else (arcs, False)

    def poll(self, st: State) -> bool:
        """Start or collect a round; True while one runs."""
        if self.done or st.done():
            return False
        if self.future is None:
            if time.monotonic() < self.start_at:
                return False
            if st.left() < 0.5 or self.exact:
                self.done = True
                return False
            arcs, self.exact = self._core(st)
            ub = float(st.ub) if self.exact else None
            limit = st.left() - 0.05 if self.exact else ROUND_SHARE * st.left()
            self.future = self.pool.submit(solve_mip, st.g, arcs, limit, ub)
            logger.log(
                st.level,
                "gap: HiGHS on %d arcs (%s, %.2fs left)",
                len(arcs),
                "exact" if self.exact else "core",
                st.left(),
            )
            return True
        if not self.future.done():
            return True
        self._collect(st)
        return False

    def _collect(self, st: State) -> None:
        assert self.future is not None
        r = self.future.result()
        self.future = None
        self.per_job *= 2
        self.unit *= 2
        if r.assign is not None:
            st.offer(r.assign, "HiGHS")
        st.raise_lb(min(r.bound, st.ub))
        st.proven |= r.status == "OPTIMAL"

    def finish(self, st: State) -> None:
        """Wait for a running round (bounded by its time limit) and take its results."""
        if self.future is not None:
            self._collect(st)
        self.pool.shutdown()
        self.done = True
