"""GAP internals: CP-SAT (sub-)models and the LP-guided construction.

:func:`solve_sub` solves the GAP restricted to some jobs, some agents (with their residual
capacities) and some arcs, optionally with a hint; the full model is the special case of
all of them. :func:`construct` rounds the LP solution and places the fractional jobs by a
regret greedy; :func:`neighbours` picks the agent sets of the LNS.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> from vmatch.solvers._gap_data import GapData
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 0, 1],
...     arc_load=[2, 2, 1, 1], agent_capacity=[2, 2], required=[True, True],
...     levels=[Level("cost", [1, 1, 5, 5], "min")])
>>> g = GapData.from_arc_problem(ap)
>>> r = solve_sub(g, np.arange(4), np.arange(2), g.cap, time_limit=5.0)
>>> r.status, r.obj, sorted(r.assign.tolist())
('OPTIMAL', 6, [1, 2])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from vmatch.solvers._gap_data import FloatArray, GapData, IntArray

__all__ = ["SubResult", "construct", "neighbours", "relatedness", "solve_sub"]


@dataclass(frozen=True, slots=True)
class SubResult:
    """Outcome of a CP-SAT (sub-)solve: ``assign[k]`` is the arc chosen for ``jobs[k]``."""

    status: str  # "OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"
    assign: IntArray  # arc per job of the sub-problem (empty when no solution)
    obj: int  # internal cost of the sub-problem's jobs
    bound: float  # CP-SAT lower bound on that cost
    seconds: float


def _join(v: IntArray) -> str:
    return ",".join(map(str, v.tolist()))


def _model_text(
    g: GapData, arcs: IntArray, lj: IntArray, cap: IntArray, hint: IntArray | None, upper: int | None
) -> str:
    """The CP-SAT model in protobuf text format (much faster to build than through the Python API).

    Variable k is arc ``arcs[k]``; ``lj`` gives its job's local index.
    """
    nv = len(arcs)
    parts = ["variables { domain: [0, 1] }\n" * nv]
    order = np.argsort(lj, kind="stable")
    for grp in np.split(order, np.flatnonzero(np.diff(lj[order])) + 1):
        parts.append(f"constraints {{ exactly_one {{ literals: [{_join(grp)}] }} }}\n")
    ag = g.agent[arcs]
    loads = g.load[arcs]
    order = np.argsort(ag, kind="stable")
    for grp in np.split(order, np.flatnonzero(np.diff(ag[order])) + 1):
        c = int(cap[ag[grp[0]]])
        if int(loads[grp].sum()) > c:
            parts.append(
                f"constraints {{ linear {{ vars: [{_join(grp)}] coeffs: [{_join(loads[grp])}] domain: [0, {c}] }} }}\n"
            )
    every = _join(np.arange(nv))
    costs = _join(g.cost[arcs])
    parts.append(f"objective {{ vars: [{every}] coeffs: [{costs}] }}\n")
    if upper is not None:
        lo = int(np.minimum(g.cost[arcs], 0).sum())
        parts.append(f"constraints {{ linear {{ vars: [{every}] coeffs: [{costs}] domain: [{lo}, {int(upper)}] }} }}\n")
    if hint is not None:
        chosen = np.zeros(g.n_arcs, np.int64)
        chosen[hint[hint >= 0]] = 1
        parts.append(f"solution_hint {{ vars: [{every}] values: [{_join(chosen[arcs])}] }}\n")
    return "".join(parts)


def solve_sub(
    g: GapData,
    arcs: IntArray,
    jobs: IntArray,
    cap: IntArray,
    *,
    hint: IntArray | None = None,
    time_limit: float = 1.0,
    det_limit: float | None = None,
    workers: int = 1,
    seed: int = 0,
    upper: int | None = None,
    params: dict[str, object] | None = None,
) -> SubResult:
    """Solve the GAP over ``jobs`` using only ``arcs``; ``cap`` is the residual capacity per agent.

    ``hint`` (arc per job of ``jobs``) seeds the search; ``upper`` asks for a cost <= upper.
    """
    arcs = np.asarray(arcs, dtype=np.int64)
    jobs = np.asarray(jobs, dtype=np.int64)
    local = np.full(g.n, -1, np.int64)
    local[jobs] = np.arange(len(jobs))
    arcs = arcs[local[g.job[arcs]] >= 0]
    e = np.zeros(0, np.int64)
    lj = local[g.job[arcs]]
    if len(jobs) == 0:
        return SubResult("OPTIMAL", e, 0, 0.0, 0.0)
    if np.bincount(lj, minlength=len(jobs)).min() == 0:
        return SubResult("INFEASIBLE", e, 0, float("inf"), 0.0)
    model = cp_model.CpModel()
    if not model.proto.parse_text_format(_model_text(g, arcs, lj, cap, hint, upper)):  # pragma: no cover
        raise RuntimeError("CP-SAT could not parse the GAP model")
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, int(workers))
    p.random_seed = int(seed)
    p.max_time_in_seconds = max(0.01, float(time_limit))
    if det_limit is not None:
        p.max_deterministic_time = float(det_limit)
    for key, val in (params or {}).items():
        setattr(p, key, val)
    st = solver.solve(model)
    name = solver.status_name(st)
    if name == "MODEL_INVALID":  # pragma: no cover - the model is built from checked arrays
        raise RuntimeError("CP-SAT rejected the GAP model")
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        pick = arcs[np.asarray(solver.response_proto.solution, dtype=np.int64) > 0]
        out = np.full(len(jobs), -1, np.int64)
        out[local[g.job[pick]]] = pick
        return SubResult(name, out, round(solver.objective_value), float(solver.best_objective_bound), solver.wall_time)
    bound = float("inf") if st == cp_model.INFEASIBLE else -float("inf")
    return SubResult(name, e, 0, bound, solver.wall_time)


def construct(g: GapData, x: FloatArray, score: FloatArray) -> IntArray:
    """Round an LP solution ``x`` and place the rest by regret on ``score`` (lower is better).

    Returns the arc per job, ``-1`` for jobs that did not fit.
    """
    assign = np.full(g.n, -1, np.int64)
    whole = np.flatnonzero(x > 1.0 - 1e-6)
    assign[g.job[whole]] = whole
    used = g.usage(assign)
    while True:
        over = np.flatnonzero(used > g.cap)
        if len(over) == 0:
            break
        # numerical noise in x overfilled an agent: drop its smallest job
        a = int(over[0])
        mine = np.flatnonzero((assign >= 0) & (g.agent[np.maximum(assign, 0)] == a))
        j = int(mine[np.argmin(g.load[assign[mine]])])
        used[a] -= g.load[assign[j]]
        assign[j] = -1
    cand = np.flatnonzero(assign[g.job] < 0)
    cand = cand[np.lexsort((score[cand], g.job[cand]))]  # by job, then score
    while len(cand):
        cand = cand[g.load[cand] <= g.cap[g.agent[cand]] - used[g.agent[cand]]]
        if len(cand) == 0:
            break
        cj = g.job[cand]
        first = np.flatnonzero(np.r_[True, cj[1:] != cj[:-1]])
        nxt = first + 1
        has2 = nxt < len(cand)
        has2[has2] = cj[nxt[has2]] == cj[first[has2]]
        regret = np.full(len(first), np.inf)
        regret[has2] = score[cand[nxt[has2]]] - score[cand[first[has2]]]
        best = int(cand[first[int(np.argmax(regret))]])
        j = int(g.job[best])
        assign[j] = best
        used[g.agent[best]] += g.load[best]
        cand = cand[cj != j]
    return assign


def relatedness(rc: FloatArray) -> FloatArray:
    """Per-arc weights for :func:`neighbours`: near 1 for arcs of small reduced cost."""
    return np.exp(-rc / (1.0 + float(np.median(rc)))) if len(rc) else rc


def neighbours(
    g: GapData,
    assign: IntArray,
    w: FloatArray,
    k: int,
    rng: np.random.Generator,
    free: npt.NDArray[np.bool_],
    related: bool,
) -> IntArray:
    """``k`` free agents: random ones, or a random seed agent and the agents most related to it.

    Two agents are related when jobs of one have arcs of large weight ``w`` (see
    :func:`relatedness`) to the other.
    """
    cand = np.flatnonzero(free)
    k = min(k, len(cand))
    if not related or k == len(cand):
        return np.sort(rng.choice(cand, size=k, replace=False)).astype(np.int64)
    seed_agent = int(rng.choice(cand))
    owner = g.agent[assign]
    mine = owner[g.job] == seed_agent  # arcs of the seed agent's jobs to any agent
    theirs = g.agent == seed_agent  # arcs from the seed agent to other agents' jobs
    score = np.asarray(
        np.bincount(g.agent[mine], weights=w[mine], minlength=g.m)
        + np.bincount(owner[g.job[theirs]], weights=w[theirs], minlength=g.m),
        dtype=np.float64,
    )
    score = score * rng.uniform(0.5, 1.5, g.m)
    score[~free] = -1.0
    score[seed_agent] = np.inf
    return np.sort(np.argsort(-score, kind="stable")[:k]).astype(np.int64)
