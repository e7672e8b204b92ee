"""The LP relaxation of the whole arc problem (HiGHS through ``scipy.optimize.linprog``).

Variables: one per arc (x, in [0, 1]), one per job (served, y in [0, 1]) and, for a level
with a max-share part, the share z. Rows: every clique row, head-counts ``min y <= sum x <=
max y``, ``x <= y``, capacity rows and agent capacities with the arcs' loads, composition
rows, at most one job per optional group, exactly one per required group, pinned rows.
It is tighter than :func:`vmatch.solvers.bound.flow_bound` (it keeps every conflict and the
loads) but its size grows with the conflict rows, so :func:`vmatch.solve` runs it beside the
search only when it fits the time (:func:`lp_relaxation_later`), and uses its solution to
guide the search.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level, csr_from_lists
>>> ap = ArcProblem.build(n_agents=2, n_jobs=3, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 1, 2],
...                       cliques=csr_from_lists([[0, 1]]), agent_capacity=[-1, 1],
...                       levels=[Level("coverage", [1.0, 2.0, 2.0, 1.0])])
>>> lp_bound(ap)
3.0
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from vmatch.arcs import ArcProblem, Level
from vmatch.solvers.bound import _entries, _share_floor

__all__ = ["lp_bound", "lp_nonzeros", "lp_relaxation", "lp_relaxation_later", "rounded_bound"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def _lp(
    ap: ArcProblem,
    level: int,
    blocks: dict[str, tuple[int, npt.NDArray[np.int64]]] | None = None,
) -> tuple[F64, sp.csr_matrix, F64, sp.csr_matrix, F64, F64]:
    """(c, A_ub, b_ub, A_eq, b_eq, bounds) of the LP relaxation, minimising ``c``.

    ``blocks``, when given, is filled with each row block's first row and what its rows
    stand for (jobs, arcs, agents or row indices): keys ``cliques``, ``head``, ``min``,
    ``xy``, ``capacity``, ``agent``, ``composition``, ``group``, ``share`` (rows of
    ``A_ub``), ``required`` and ``pinned`` (rows of ``A_eq``).
    """
    n, nj = ap.n_arcs, ap.n_jobs
    lv = ap.levels[level]
    sign = -1.0 if lv.sense == "max" else 1.0
    nv = n + nj + int(lv.has_share)  # x, y and the max share z
    c = np.zeros(nv)
    c[:n] = sign * lv.coef
    if lv.job_coef is not None:
        c[n : n + nj] = sign * lv.job_coef
    ub_r: list[npt.NDArray[np.int64]] = []
    ub_c: list[npt.NDArray[np.int64]] = []
    ub_v: list[npt.NDArray[np.float64]] = []
    b_ub: list[npt.NDArray[np.float64]] = []
    nrow = 0

    def add(
        rows: I64,
        cols: I64,
        vals: npt.ArrayLike,
        rhs: npt.ArrayLike,
        count: int,
        name: str = "",
        what: I64 | None = None,
    ) -> None:
        nonlocal nrow
        if blocks is not None:
            blocks[name] = (nrow, np.arange(count, dtype=np.int64) if what is None else what)
        ub_r.append(rows + nrow)
        ub_c.append(cols)
        ub_v.append(np.broadcast_to(np.asarray(vals, np.float64), rows.shape).copy())
        b_ub.append(np.broadcast_to(np.asarray(rhs, np.float64), (count,)).copy())
        nrow += count

    arcs = np.arange(n, dtype=np.int64)
    jobs = np.arange(nj, dtype=np.int64)
    r, a = _entries(ap.cliques)
    add(r, a, 1.0, 1.0, len(ap.cliques), "cliques")
    add(
        np.concatenate([ap.arc_job, jobs]),
        np.concatenate([arcs, n + jobs]),
        np.concatenate([np.ones(n), -ap.job_max]),
        0.0,
        nj,
        "head",
    )  # sum x <= max*y
    # sum x >= min*y; left out where it cannot cut: min <= 1 and y worth nothing itself (no job
    # coefficient, optional group, no composition row), so y > 0 with no arc only uses up its group
    loose = (ap.job_min <= 1) & ~ap.group_required[ap.job_group]
    if lv.job_coef is not None:
        loose &= np.asarray(lv.job_coef) == 0
    if len(ap.composition):
        loose[ap.composition.owner] = False
    rm = np.flatnonzero(~loose)
    mr = np.full(nj, -1, np.int64)
    mr[rm] = np.arange(len(rm))
    ma = mr[ap.arc_job] >= 0
    add(
        np.concatenate([mr[ap.arc_job[ma]], mr[rm]]),
        np.concatenate([arcs[ma], n + rm]),
        np.concatenate([-np.ones(int(ma.sum())), ap.job_min[rm]]),
        0.0,
        len(rm),
        "min",
        rm,
    )
    # x <= y, implied by sum x <= max*y where max is 1
    xa = arcs[ap.job_max[ap.arc_job] > 1]
    add(
        np.concatenate([np.arange(len(xa)), np.arange(len(xa))]),
        np.concatenate([xa, n + ap.arc_job[xa]]),
        np.concatenate([np.ones(len(xa)), -np.ones(len(xa))]),
        0.0,
        len(xa),
        "xy",
        xa,
    )
    r, a = _entries(ap.capacity)
    add(r, a, ap.arc_load[a], ap.capacity.rhs, len(ap.capacity), "capacity")
    capped = np.flatnonzero(ap.agent_capacity >= 0)
    row_of = np.full(ap.n_agents, -1, np.int64)
    row_of[capped] = np.arange(len(capped))
    m = row_of[ap.arc_agent] >= 0
    add(row_of[ap.arc_agent[m]], arcs[m], ap.arc_load[m], ap.agent_capacity[capped], len(capped), "agent", capped)
    r, a = _entries(ap.composition)
    nc = len(ap.composition)
    add(
        np.concatenate([r, np.arange(nc)]),
        np.concatenate([a, n + ap.composition.owner]),
        np.concatenate([-np.ones(len(a)), ap.composition.rhs]),
        0.0,
        nc,
        "composition",
    )
    req = ap.group_required[ap.job_group]
    opt = np.flatnonzero(~ap.group_required)
    g_row = np.full(ap.n_groups, -1, np.int64)
    g_row[opt] = np.arange(len(opt))
    add(g_row[ap.job_group[~req]], n + jobs[~req], 1.0, 1.0, len(opt), "group", opt)
    z_lo = 0.0
    if lv.has_share:  # 1000 (base + load) <= den z for each agent with a denominator and arcs
        c[nv - 1] = sign * lv.share_weight
        z_lo = float(_share_floor(lv))
        den = np.asarray(lv.share_den, np.int64)
        sa = np.asarray(lv.share_agent, np.int64)
        base = np.zeros(len(den), np.int64) if lv.share_base is None else np.asarray(lv.share_base, np.int64)
        who = np.flatnonzero((den > 0) & (np.bincount(sa, minlength=len(den)) > 0))
        s_row = np.full(len(den), -1, np.int64)
        s_row[who] = np.arange(len(who))
        m = s_row[sa] >= 0
        add(
            np.concatenate([s_row[sa[m]], np.arange(len(who))]),
            np.concatenate([arcs[m], np.full(len(who), nv - 1)]),
            np.concatenate([1000.0 * np.asarray(lv.share_load)[m], -den[who]]),
            -1000.0 * base[who],
            len(who),
            "share",
            who,
        )
    a_ub = sp.csr_matrix((np.concatenate(ub_v), (np.concatenate(ub_r), np.concatenate(ub_c))), shape=(nrow, nv))
    rq = np.flatnonzero(ap.group_required)
    e_row = np.full(ap.n_groups, -1, np.int64)
    e_row[rq] = np.arange(len(rq))
    r, a = _entries(ap.pinned)
    eq_r = np.concatenate([e_row[ap.job_group[req]], len(rq) + r])
    eq_c = np.concatenate([n + jobs[req], a])
    a_eq = sp.csr_matrix((np.ones(len(eq_r)), (eq_r, eq_c)), shape=(len(rq) + len(ap.pinned), nv))
    b_eq = np.ones(a_eq.shape[0])
    if blocks is not None:
        blocks["required"] = (0, rq.astype(np.int64))
        blocks["pinned"] = (len(rq), np.arange(len(ap.pinned), dtype=np.int64))
    bounds = np.zeros((nv, 2))
    bounds[:n, 1] = 1.0
    bounds[n : n + nj, 1] = (np.bincount(ap.arc_job, minlength=nj) >= ap.job_min) & (ap.job_max >= ap.job_min)
    if lv.has_share:
        bounds[nv - 1] = (z_lo, np.inf)
    return c, a_ub, np.concatenate(b_ub), a_eq, b_eq, bounds


def lp_nonzeros(ap: ArcProblem) -> int:
    """Non-zeros of the LP relaxation that :func:`lp_bound` solves (its size, for deciding whether to)."""
    return int(
        len(ap.cliques.indices)
        + len(ap.capacity.indices)
        + len(ap.composition.indices)
        + len(ap.pinned.indices)
        + 6 * ap.n_arcs
    )


def lp_relaxation_later(ap: ArcProblem, level: int = 0, time_limit: float = 30.0) -> Future[tuple[float, F64 | None]]:
    """:func:`lp_relaxation` started in a thread (HiGHS releases the GIL, so a search can run meanwhile)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vmatch-lp")
    fut = pool.submit(lp_relaxation, ap, level, time_limit)
    pool.shutdown(wait=False)
    return fut


def lp_bound(ap: ArcProblem, level: int = 0, time_limit: float = 30.0, max_nonzeros: int = 20_000_000) -> float:
    """Bound on level ``level`` from the LP relaxation of the full model (HiGHS).

    An upper bound for a "max" level and a lower bound for a "min" level, in level units;
    ``inf`` (``-inf`` for "min") when HiGHS does not prove the LP optimum in ``time_limit``
    seconds, or at once when the model would have more than ``max_nonzeros`` nonzeros
    (HiGHS needs about 150 bytes per nonzero), or when the level rewards a larger max share.
    With integer coefficients (after ``Level.scale``) the LP value is rounded towards the
    integers it bounds.
    """
    return lp_relaxation(ap, level, time_limit, max_nonzeros)[0]


def lp_relaxation(
    ap: ArcProblem, level: int = 0, time_limit: float = 30.0, max_nonzeros: int = 20_000_000
) -> tuple[float, F64 | None]:
    """:func:`lp_bound` and the LP's value of each arc (None when the LP was not solved)."""
    t0 = time.perf_counter()
    lv = ap.levels[level]
    inf = math.inf if lv.sense == "max" else -math.inf
    if lv.has_share and (lv.share_weight > 0) == (lv.sense == "max"):
        return inf, None
    nnz = lp_nonzeros(ap)
    if nnz > max_nonzeros:
        log.info("lp bound %s: %d nonzeros > %d, skipped", lv.name, nnz, max_nonzeros)
        return inf, None
    c, a_ub, b_ub, a_eq, b_eq, bounds = _lp(ap, level)
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=bounds,
        method="highs",
        options={"time_limit": float(time_limit), "presolve": True},
    )
    log.info("lp bound %s: status %s in %.2fs", lv.name, res.status, time.perf_counter() - t0)
    if res.status == 2:  # infeasible LP: no solution at all
        return -inf, None
    if res.status != 0:
        return inf, None
    x = np.asarray(res.x[: ap.n_arcs], np.float64)
    v = -float(res.fun) if lv.sense == "max" else float(res.fun)
    return rounded_bound(lv, v, 1e-6), x


def rounded_bound(lv: Level, v: float, rel_tol: float) -> float:
    """A relaxation's value ``v`` of level ``lv`` as a bound: rounded towards the integers it
    bounds when the level's coefficients are integral (after ``Level.scale``), else widened by
    the tolerance ``rel_tol`` (relative, at least absolute)."""
    integral = (
        np.all(lv.int_coef() == lv.coef * lv.scale)
        and (lv.job_coef is None or np.all(np.rint(lv.job_coef * lv.scale) == lv.job_coef * lv.scale))
        and (float(lv.share_weight * lv.scale).is_integer())
    )
    tol = rel_tol * max(1.0, abs(v) * lv.scale)
    if integral:
        u = math.floor(v * lv.scale + tol) if lv.sense == "max" else math.ceil(v * lv.scale - tol)
        return u / lv.scale
    return v + tol / lv.scale if lv.sense == "max" else v - tol / lv.scale
