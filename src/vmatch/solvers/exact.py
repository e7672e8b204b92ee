"""Exact fast paths: one-to-one assignment and capacity-only b-matching.

:func:`classify` names the structure of an arc problem:

* ``"one_to_one"``: every agent can take at most one arc (one usable arc, two smallest
  usable loads above its capacity, or one clique row holding all its usable arcs), every
  job takes at most one arc, one job per group, ``job_min == 1``, no composition or
  capacity rows, every clique row within one agent, pinned rows of single arcs;
* ``"b_matching"``: no clique, composition or capacity rows, one job per group,
  ``job_min == 1``, and each capped agent's usable arcs share one load (its capacity is
  a count); pinned rows of single arcs; per-job coefficients only when ``job_max <= 1``;
* ``"general"``: anything else (also any level with a max-share part).

:func:`solve_assignment` (SciPy's ``linear_sum_assignment`` or the sparse
``min_weight_full_bipartite_matching``) and :func:`solve_bmatching` (OR-Tools min-cost
flow) return the exact lexicographic optimum: the levels are combined into one integer
weight with multipliers large enough that a unit of an earlier level outweighs every
later one (a leading level counts served required groups). They raise ``ValueError``
when the combined weights do not fit the solver's integer range.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1], arc_job=[0, 1, 1],
...                       levels=[Level("coverage", [1, 1, 1]), Level("km", [5.0, 1.0, 2.0], "min")])
>>> classify(ap)
'b_matching'
>>> sol = solve_bmatching(ap)
>>> sol.status.value, sol.arcs.tolist(), sol.values
('OPTIMAL', [0, 1], (2.0, 6.0))
>>> one = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1], arc_job=[0, 1, 1],
...                        agent_capacity=[1, 1], levels=ap.levels)
>>> classify(one), solve_assignment(one).arcs.tolist(), solve_assignment(one).values
('one_to_one', [0, 2], (2.0, 7.0))
"""

from __future__ import annotations

import logging
import time

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.solvers.subproblem import unique_ints

__all__ = ["classify", "solve_assignment", "solve_bmatching"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
DENSE_MAX = 25_000_000


def _usable(ap: ArcProblem) -> B:
    cap = ap.agent_capacity[ap.arc_agent]
    return np.asarray(((cap < 0) | (ap.arc_load <= cap)) & (ap.job_max[ap.arc_job] >= 1))


def _row_agents(ap: ArcProblem) -> tuple[I64, I64, B]:
    """Per clique row: its (only) agent, its number of distinct usable arcs, whether it is single-agent."""
    rows = ap.cliques
    nr = len(rows)
    r = np.repeat(np.arange(nr, dtype=np.int64), np.diff(rows.indptr))
    ag = ap.arc_agent[rows.indices]
    lo = np.full(nr, np.iinfo(np.int64).max)
    hi = np.full(nr, -1)
    np.minimum.at(lo, r, ag)
    np.maximum.at(hi, r, ag)
    u = _usable(ap)[rows.indices]
    ra = unique_ints(r[u] * (ap.n_arcs + 1) + rows.indices[u])
    distinct = np.bincount(ra // (ap.n_arcs + 1), minlength=nr).astype(np.int64)
    return np.where(hi >= 0, hi, -1), distinct, (lo == hi) | (hi < 0)


def _common(ap: ArcProblem) -> bool:
    return (
        not any(lv.has_share for lv in ap.levels)
        and len(ap.composition) == 0
        and len(ap.capacity) == 0
        and bool(np.all(np.diff(ap.pinned.indptr) == 1))
        and bool(np.all(np.bincount(ap.job_group, minlength=ap.n_groups) <= 1))
        and bool(np.all(ap.job_min == 1))
    )


def _two_smallest(agent: I64, load: I64, n: int) -> I64:
    """Per agent, the sum of its two smallest loads (huge when it has fewer than two)."""
    big = np.iinfo(np.int64).max // 4
    m1 = np.full(n, big)
    np.minimum.at(m1, agent, load)
    at_min = load == m1[agent]
    m2 = np.where(np.bincount(agent[at_min], minlength=n) >= 2, m1, big)
    np.minimum.at(m2, agent[~at_min], load[~at_min])
    return np.where(m2 < big, m1 + m2, big)


def _compress(v: I64, n: int) -> tuple[int, I64]:
    """Number of distinct values of ``v`` (in ``range(n)``) and each value's rank among them."""
    present = np.bincount(v, minlength=n) > 0
    rank = np.cumsum(present) - 1
    return int(present.sum()), rank[v]


def classify(ap: ArcProblem) -> str:
    """``"one_to_one"``, ``"b_matching"`` or ``"general"`` (see the module docstring)."""
    if not _common(ap):
        return "general"
    use = _usable(ap)
    n_use = np.bincount(ap.arc_agent[use], minlength=ap.n_agents)
    if np.all(ap.job_max <= 1):
        r_agent, distinct, single = _row_agents(ap)
        if np.all(single):
            one = n_use <= 1
            full = r_agent[(r_agent >= 0) & (distinct == n_use[np.maximum(r_agent, 0)])]
            one[full] = True
            capped = (ap.agent_capacity >= 0) & ~one
            if capped.any():
                idx = np.flatnonzero(use & capped[ap.arc_agent])
                one |= capped & (_two_smallest(ap.arc_agent[idx], ap.arc_load[idx], ap.n_agents) > ap.agent_capacity)
            if np.all(one):
                return "one_to_one"
    if len(ap.cliques) and np.any(np.diff(ap.cliques.indptr) > 1):
        return "general"
    if np.any(ap.job_max > 1) and any(lv.job_coef is not None and np.any(lv.job_coef) for lv in ap.levels):
        return "general"
    idx = np.flatnonzero(use & (ap.agent_capacity[ap.arc_agent] >= 0))
    lo = np.full(ap.n_agents, np.iinfo(np.int64).max)
    hi = np.full(ap.n_agents, -1)
    np.minimum.at(lo, ap.arc_agent[idx], ap.arc_load[idx])
    np.maximum.at(hi, ap.arc_agent[idx], ap.arc_load[idx])
    return "b_matching" if np.all((hi < 0) | (lo == hi)) else "general"


def _top_span(v: I64, k: int) -> int:
    """The largest change of a sum of at most ``k`` entries of ``v`` (as a Python int)."""
    total = 0
    for part in (v[v > 0], -v[v < 0]):
        if len(part) > k:
            part = np.partition(part, len(part) - k)[len(part) - k :] if k else part[:0]
        total += sum(int(x) for x in part.tolist())
    return total


def _arc_weights(ap: ArcProblem, k: int, fold_jobs: bool, limit: int) -> tuple[I64, int]:
    """Combined lexicographic weight per arc and the largest change of their sum (at most ``k`` arcs)."""
    cs: list[I64] = []
    spans: list[int] = []
    for lv in ap.levels:
        c = lv.int_coef()
        if fold_jobs and lv.job_coef is not None:
            c = c + np.rint(lv.job_coef * lv.scale).astype(np.int64)[ap.arc_job]
        cs.append(-c if lv.sense == "min" else c)
        spans.append(_top_span(cs[-1], k))
    mult = 1
    mults: list[int] = []
    for span in reversed(spans):
        mults.append(mult)
        mult += mult * span
    if mult - 1 >= limit:
        raise ValueError("levels too wide for an exact combined integer weight")
    w = np.zeros(ap.n_arcs, np.int64)
    for c, m_, span in zip(cs, reversed(mults), spans, strict=True):
        if span:
            w += m_ * c
    return w, mult - 1


def _solution(ap: ArcProblem, chosen: I64, t0: float, solver: str, **stats: object) -> ArcSolution:
    chosen = np.unique(chosen).astype(np.int64)
    served = np.unique(ap.arc_job[chosen]).astype(np.int64)
    if np.any(ap.group_required & (np.bincount(ap.job_group[served], minlength=ap.n_groups) == 0)):
        return ArcSolution.none(len(ap.levels), SolveStatus.INFEASIBLE, solver)
    vals = tuple(lv.value(chosen, served) for lv in ap.levels)
    return ArcSolution(SolveStatus.OPTIMAL, chosen, served, vals, vals, time.perf_counter() - t0, solver, dict(stats))


def _pins(ap: ArcProblem) -> I64:
    return np.unique(ap.pinned.indices).astype(np.int64)


def _flow(n_a: int, n_j: int, agent: I64, job: I64, w: I64, a_cap: I64, j_cap: I64, j_bonus: I64) -> I64 | None:
    """Flow on each edge (agent, job, weight ``w``) of a max-weight b-matching by min-cost flow.

    Agent a takes at most ``a_cap[a]`` edges, job j at most ``j_cap[j]``, and its first edge
    earns ``j_bonus[j]`` (>= 0) more. None when the costs are too wide for OR-Tools.
    """
    src, snk = 0, 1
    jn = 2 + n_a + np.arange(n_j, dtype=np.int64)
    bon = np.flatnonzero((j_bonus > 0) & (j_cap >= 1))
    has = np.zeros(n_j, np.int64)
    has[bon] = 1
    supply = int(a_cap.sum())
    tails = np.concatenate([np.zeros(n_a, np.int64), 2 + agent, jn[bon], jn, [src]])
    heads = np.concatenate([2 + np.arange(n_a), jn[job], np.full(len(bon) + n_j, snk), [snk]])
    caps = np.concatenate([a_cap, np.ones(len(w), np.int64), np.ones(len(bon), np.int64), j_cap - has, [supply]])
    costs = np.concatenate([np.zeros(n_a, np.int64), -w, -j_bonus[bon], np.zeros(n_j + 1, np.int64)])
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps.astype(np.int64), costs.astype(np.int64))
    mcf.set_nodes_supplies(np.array([src, snk]), np.array([supply, -supply]))
    st = mcf.solve()
    if st == mcf.BAD_COST_RANGE:
        return None
    if st != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {st}")
    return np.asarray(mcf.flows(n_a + np.arange(len(w), dtype=np.int64)), np.int64)


def _match(agent: I64, job: I64, w: I64, method: str) -> I64:
    """Positions of a maximum-weight matching among edges (agent, job, w > 0)."""
    n, ia = _compress(agent, int(agent.max()) + 1)
    m, ij = _compress(job, int(job.max()) + 1)
    if method == "auto":
        method = "dense" if n * m <= DENSE_MAX and len(w) * 20 >= n * m else "flow"
    if method == "flow":
        one = np.ones(max(n, m), np.int64)
        flows = _flow(n, m, ia, ij, w, one[:n], one[:m], 0 * one[:m])
        if flows is not None:
            return np.flatnonzero(flows > 0)
        method = "sparse"
    wf = w.astype(np.float64)
    if method == "dense":
        pos = np.full((n, m), -1, np.int64)
        pos[ia, ij] = np.arange(len(w))
        if np.count_nonzero(pos >= 0) < len(w):  # repeated pairs: keep the heaviest
            order = np.argsort(w, kind="stable")
            pos[ia[order], ij[order]] = order
        mat = np.where(pos >= 0, wf[np.maximum(pos, 0)], 0.0)
        r, c = linear_sum_assignment(mat, maximize=True)
        sel = mat[r, c] > 0
        return pos[r[sel], c[sel]]
    pair = ia * m + ij
    order = np.lexsort((-w, pair))
    first = np.concatenate([[True], np.diff(pair[order]) != 0])
    best = order[first]  # the heaviest edge of each (agent, job)
    key = pair[best]
    # agents + job dummies (rows) x jobs + agent dummies (cols); weights shifted by `top` > 0
    top = float(wf.max()) + 1.0
    e = len(best)
    rows = np.concatenate([ia[best], np.arange(n), n + ij[best], n + np.arange(m)])
    cols = np.concatenate([ij[best], m + np.arange(n), m + ia[best], np.arange(m)])
    vals = np.concatenate([top - wf[best], np.full(n, top), np.full(e, top), np.full(m, top)])
    r, c = min_weight_full_bipartite_matching(sp.csr_matrix((vals, (rows, cols)), shape=(n + m, n + m)))
    sel = (r < n) & (c < m)
    o = np.argsort(key)
    return np.asarray(best[o[np.searchsorted(key[o], r[sel] * m + c[sel])]], np.int64)


def solve_assignment(ap: ArcProblem, method: str = "auto") -> ArcSolution:
    """Exact lexicographic optimum of a one-to-one problem (see :func:`classify`).

    ``method``: ``"dense"`` (``linear_sum_assignment`` on an agents x jobs matrix),
    ``"sparse"`` (``min_weight_full_bipartite_matching`` with dummy nodes), ``"flow"``
    (OR-Tools min-cost flow; falls back to ``"sparse"`` when the weights are too wide for
    it) or ``"auto"`` (dense when the matrix has at most 25 million cells and is at least
    5 % full, else flow).
    """
    t0 = time.perf_counter()
    pins = _pins(ap)
    use = _usable(ap)
    if (
        not np.all(use[pins])
        or len(np.unique(ap.arc_agent[pins])) < len(pins)
        or len(np.unique(ap.arc_job[pins])) < len(pins)
    ):
        return ArcSolution.none(len(ap.levels), SolveStatus.INFEASIBLE, "assignment")
    taken_a = np.zeros(ap.n_agents, bool)
    taken_a[ap.arc_agent[pins]] = True
    taken_j = np.zeros(ap.n_jobs, bool)
    taken_j[ap.arc_job[pins]] = True
    free = np.flatnonzero(use & ~taken_a[ap.arc_agent] & ~taken_j[ap.arc_job])
    k = min(ap.n_agents, ap.n_jobs, len(free))  # at most this many arcs are chosen
    req = ap.group_required[ap.job_group[ap.arc_job[free]]]
    w, span = _arc_weights(ap, k, True, 2**52 // (int(req.sum()) + 2))
    wf = w[free] + (span + 1) * req
    pos = wf > 0
    chosen = pins
    if pos.any():
        got = _match(ap.arc_agent[free][pos], ap.arc_job[free][pos], wf[pos], method)
        chosen = np.concatenate([pins, free[pos][got]])
    log.info("assignment: %d arcs, %d chosen, %.2fs", len(free), len(chosen), time.perf_counter() - t0)
    return _solution(ap, chosen, t0, "assignment", method=method)


def solve_bmatching(ap: ArcProblem) -> ArcSolution:
    """Exact lexicographic optimum of a capacity-only b-matching (see :func:`classify`) by min-cost flow."""
    t0 = time.perf_counter()
    na, nj = ap.n_agents, ap.n_jobs
    pins = _pins(ap)
    use = _usable(ap)
    none = ArcSolution.none(len(ap.levels), SolveStatus.INFEASIBLE, "bmatching")
    if not np.all(use[pins]):
        return none
    n_use = np.bincount(ap.arc_agent[use], minlength=na)
    unit = np.zeros(na, np.int64)
    unit[ap.arc_agent[use]] = ap.arc_load[use]
    cap = ap.agent_capacity
    count = np.where((cap < 0) | (unit == 0), n_use, cap // np.maximum(unit, 1))
    count = np.minimum(count, n_use) - np.bincount(ap.arc_agent[pins], minlength=na)
    jcap = ap.job_max - np.bincount(ap.arc_job[pins], minlength=nj)
    if np.any(count < 0) or np.any(jcap < 0):
        return none
    is_pin = np.zeros(ap.n_arcs, bool)
    is_pin[pins] = True
    free = np.flatnonzero(use & ~is_pin)
    k = int(min(len(free), count.sum(), jcap.sum()))
    need = ap.group_required[ap.job_group] & (jcap >= 1)
    need[ap.arc_job[pins]] = False
    w, span = _arc_weights(ap, k, True, 2**60 // ((na + nj + 3) * (int(need.sum()) + 2)))
    free = free[(w[free] > 0) | need[ap.arc_job[free]]]
    flows = _flow(na, nj, ap.arc_agent[free], ap.arc_job[free], w[free], count, jcap, need * (span + 1))
    if flows is None:
        raise ValueError("levels too wide for an exact integer min-cost flow")
    chosen = np.concatenate([pins, free[flows > 0]])
    log.info("b-matching: %d arcs, %d chosen, %.2fs", len(free), len(chosen), time.perf_counter() - t0)
    return _solution(ap, chosen, t0, "bmatching")
