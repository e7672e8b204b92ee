"""GAP internals: the arrays a GAP solver works on, the LP relaxation, bounds and reduced costs.

The LP relaxation (HiGHS through :func:`scipy.optimize.linprog`) gives capacity duals
``lam >= 0``. For any ``lam >= 0`` the Lagrangian relaxation of the capacity rows decomposes
into per-job minima, so

``L(lam) = sum_j min_{a in job j} (c_a + lam_{agent a} w_a) - sum_i lam_i cap_i``

is a valid lower bound, computed exactly from the arrays (no trust in solver tolerances).
The reduced cost of arc ``a`` is ``rc_a = c_a + lam w_a - min over its job``, and every
feasible solution using arc ``a`` costs at least ``L(lam) + rc_a`` (reduced-cost fixing).

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 0, 1],
...     arc_load=[2, 2, 1, 1], agent_capacity=[2, 2], required=[True, True],
...     levels=[Level("cost", [1, 1, 5, 5], "min")])
>>> g = GapData.from_arc_problem(ap)
>>> lp = lp_relax(g)
>>> lp.bound
6.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from vmatch.arcs import ArcProblem

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

COLGEN_ARCS = 20000  # above this many arcs the LP is solved by column generation


@dataclass(frozen=True, slots=True)
class GapData:
    """A GAP in arc form with integer min-sense costs (``cost = sign * round(coef * scale)``)."""

    m: int
    n: int
    agent: IntArray
    job: IntArray
    load: IntArray
    cost: IntArray
    cap: IntArray
    sign: int  # +1: level is "min"; -1: "max" (internal cost is the negated coefficient)
    scale: float
    exact: bool  # coef * scale is integral, so integer costs are the true costs

    @staticmethod
    def from_arc_problem(ap: ArcProblem) -> GapData:
        """Check that ``ap`` is a GAP (capacity + required single jobs) and extract its arrays.

        Raises
        ------
        ValueError
            When ``ap`` has rows, groups, head-counts or levels a GAP has not.
        """
        if not ap.levels:
            raise ValueError("solve_gap needs at least one objective level")
        for what, rows in (
            ("clique", ap.cliques),
            ("composition", ap.composition),
            ("capacity", ap.capacity),
            ("pinned", ap.pinned),
        ):
            if len(rows):
                raise ValueError(f"solve_gap does not handle {what} rows ({len(rows)} given)")
        if np.any(ap.job_min != 1) or np.any(ap.job_max != 1):
            raise ValueError("solve_gap needs job_min == job_max == 1 for every job")
        if not np.array_equal(ap.job_group, np.arange(ap.n_jobs)) or not np.all(ap.group_required):
            raise ValueError("solve_gap needs one required job per group")
        if np.any(ap.arc_load < 0):
            raise ValueError("solve_gap needs non-negative arc loads")
        lv = ap.levels[0]
        sign = 1 if lv.sense == "min" else -1
        scaled = np.asarray(lv.coef, dtype=np.float64) * lv.scale
        cost = np.rint(scaled).astype(np.int64)
        exact = bool(np.all(np.abs(scaled - cost) <= 1e-9 * np.maximum(1.0, np.abs(scaled))))
        cap = ap.agent_capacity.copy()
        total = np.bincount(ap.arc_agent, weights=ap.arc_load, minlength=ap.n_agents).astype(np.int64)
        cap[cap < 0] = total[cap < 0]
        return GapData(
            ap.n_agents,
            ap.n_jobs,
            ap.arc_agent,
            ap.arc_job,
            ap.arc_load,
            sign * cost,
            cap,
            sign,
            float(lv.scale),
            exact,
        )

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.agent)

    def to_level(self, internal: float) -> float:
        """An internal (scaled, min-sense) objective in level units."""
        return self.sign * internal / self.scale

    def int_bound(self, lb: float) -> float:
        """Round a lower bound up when costs are integral."""
        if not math.isfinite(lb):
            return lb
        return float(math.ceil(lb - 1e-6)) if self.exact else lb

    def usage(self, assign: IntArray) -> IntArray:
        """Load per agent of a job -> arc assignment (``-1``: unassigned)."""
        a = assign[assign >= 0]
        return np.bincount(self.agent[a], weights=self.load[a], minlength=self.m).astype(np.int64)

    def total(self, assign: IntArray) -> int:
        """Internal cost of a complete assignment (job -> arc)."""
        return int(self.cost[assign].sum())

    def feasible(self, assign: IntArray) -> bool:
        """Whether a job -> arc assignment is complete and within capacity."""
        return bool(
            np.all(assign >= 0)
            and np.all(self.job[assign] == np.arange(self.n))
            and np.all(self.usage(assign) <= self.cap)
        )


@dataclass(frozen=True, slots=True)
class LpInfo:
    """LP relaxation results: solution, capacity duals, a valid bound and reduced costs."""

    feasible: bool
    x: FloatArray
    lam: FloatArray
    bound: float  # Lagrangian bound L(lam), internal units (not rounded)
    rc: FloatArray  # per-arc reduced cost (>= 0)


def lagrangian(g: GapData, lam: FloatArray) -> tuple[float, FloatArray]:
    """The bound ``L(lam)`` and per-arc reduced costs for capacity multipliers ``lam >= 0``."""
    lam = np.maximum(lam, 0.0)
    v = g.cost + lam[g.agent] * g.load
    best = np.full(g.n, np.inf)
    np.minimum.at(best, g.job, v)
    bound = float(best.sum() - lam @ g.cap)
    return bound, v - best[g.job]


def _cheapest_per_job(g: GapData, k: int) -> npt.NDArray[np.bool_]:
    """Mask of the ``k`` cheapest arcs of every job."""
    order = np.lexsort((g.cost, g.job))
    starts = np.searchsorted(g.job[order], np.arange(g.n))
    rank = np.empty(g.n_arcs, np.int64)
    rank[order] = np.arange(g.n_arcs) - np.repeat(starts, np.diff(np.r_[starts, g.n_arcs]))
    return rank < k


def _lp(g: GapData, idx: IntArray, time_limit: float | None) -> Any:
    ii = np.arange(len(idx))
    a_eq = sp.csr_matrix((np.ones(len(idx)), (g.job[idx], ii)), shape=(g.n, len(idx)))
    a_ub = sp.csr_matrix((g.load[idx].astype(np.float64), (g.agent[idx], ii)), shape=(g.m, len(idx)))
    opts = {"time_limit": max(0.01, float(time_limit))} if time_limit else {}
    return linprog(
        g.cost[idx].astype(np.float64),
        A_ub=a_ub,
        b_ub=g.cap.astype(np.float64),
        A_eq=a_eq,
        b_eq=np.ones(g.n),
        bounds=(0, None),
        method="highs-ds",
        options=opts,
    )


def lp_relax(g: GapData, time_limit: float | None = None, first_k: int = 8) -> LpInfo:
    """Solve the LP relaxation with HiGHS and derive the Lagrangian bound and reduced costs.

    Large problems are solved by column generation: the LP over the ``first_k`` cheapest
    arcs of every job, then arcs of negative reduced cost are added until none is left
    (the LP optimum of the whole problem). Whatever the LP returns, the bound is
    recomputed over all arcs from the capacity duals, so it is always valid.
    """
    t0 = time.monotonic()
    n_per_job = np.bincount(g.job, minlength=g.n)
    k = first_k if g.n_arcs > COLGEN_ARCS else int(n_per_job.max(initial=0))
    keep = _cheapest_per_job(g, k)
    while True:
        left = None if time_limit is None else time_limit - (time.monotonic() - t0)
        res = _lp(g, np.flatnonzero(keep), left)
        restricted = not keep.all()
        if res.status == 2 and restricted:  # infeasible with few arcs: widen
            k *= 4
            keep |= _cheapest_per_job(g, k)
            continue
        if res.status == 2:
            z = np.zeros(g.n_arcs)
            return LpInfo(False, z, np.zeros(g.m), math.inf, z)
        if res.status != 0 or res.x is None:
            bound, rc = lagrangian(g, np.zeros(g.m))
            return LpInfo(True, np.zeros(g.n_arcs), np.zeros(g.m), bound, rc)
        lam = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0)
        u = np.asarray(res.eqlin.marginals, dtype=np.float64)
        price = g.cost + lam[g.agent] * g.load - u[g.job]
        enter = ~keep & (price < -1e-6)
        if not enter.any():
            break
        keep |= enter
    x = np.zeros(g.n_arcs)
    x[np.flatnonzero(keep)] = res.x
    bound, rc = lagrangian(g, lam)
    return LpInfo(True, x, lam, bound, rc)
