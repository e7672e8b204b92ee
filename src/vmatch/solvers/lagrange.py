"""Lagrangian bounds: the job rows priced, each agent's own schedule solved exactly.

For multipliers ``λ >= 0`` on the job rows of the LP relaxation (head-counts ``Σx <= max
y``, minimums ``Σx >= min y``, ``x <= y``, composition rows) and free ones on the pinned
rows, the Lagrangian function

    L(λ) = Σ_groups max(0, max_{job k of g} ȳ_k) + Σ_agents best_a(w̄) + Σ_pinned ν

is an upper bound on a "max" level for **any** multipliers (weak duality), where ``w̄`` are
the arcs' reduced weights, ``ȳ`` the jobs' and ``best_a`` the best schedule of agent a
alone: arcs that do not overlap in time whose load fits the agent's capacity (travel
rows and per-day rows are relaxed; that only raises the bound). ``best_a`` is an exact
dynamic programme over the agent's arcs in end order and its capacity in load units
(:func:`schedule_values`), vectorised over agents.

Good multipliers come from the LP relaxation of a **restricted** problem (the incumbent's
arcs and each job's best candidates), which is far smaller than the whole LP; the arcs
that the agents' best schedules pick at those prices and the restricted LP lacks are
added, and the LP solved again (column generation, :func:`lagrangian_bound_cg`). Every
round gives a valid bound; the smallest is kept. The bound is integral-aware: with
integer coefficients it is rounded down.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level, csr_from_lists
>>> ap = ArcProblem.build(n_agents=2, n_jobs=3, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 1, 2],
...                       cliques=csr_from_lists([[0, 1]]), agent_capacity=[-1, 1],
...                       levels=[Level("coverage", [1.0, 2.0, 2.0, 1.0])],
...                       meta={"job_start": [0, 0, 0], "job_end": [60, 60, 60]})
>>> zero = Prices.zero(ap)
>>> lagrangian_bound(ap, zero)[0]    # no prices: each agent alone takes its best arc
4.0
>>> bound, x = lagrangian_bound_cg(ap, np.zeros(4, bool), deadline=time.perf_counter() + 5)
>>> bound
3.0
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.pdlp import solvers_pb2
from ortools.pdlp.python import pdlp
from scipy.optimize import linprog

from vmatch.arcs import ArcProblem, Level
from vmatch.solvers.bound import _entries, _network, _solve_net, feasible_arcs
from vmatch.solvers.lp import _lp, lp_nonzeros, rounded_bound

__all__ = [
    "Prices",
    "flow_prices",
    "lagrangian_bound",
    "lagrangian_bound_cg",
    "lp_prices",
    "prices_from_duals",
    "restricted_lp",
    "schedule_values",
    "with_agent_rows",
]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Capacity is counted in at most this many load units per agent in the dynamic programme
#: (loads are rounded down and capacities too when a finer unit would need more: a relaxation).
MAX_UNITS = 48
#: Restricted LPs with at most this many arcs go to HiGHS's simplex, larger ones to PDLP.
HIGHS_MAX_ARCS = 30_000
#: Cells of the dynamic programme's table held at once (agents are taken in chunks).
DP_CELLS = 12_000_000


@dataclass(frozen=True)
class Prices:
    """Multipliers of the job rows, indexed as in the full problem."""

    head: F64  # per job: sum x <= max y
    minimum: F64  # per job: sum x >= min y
    xy: F64  # per arc: x <= y
    composition: F64  # per composition row
    pinned: F64  # per pinned row (free sign)
    #: Agent-side rows priced too (optional): multipliers ``ν >= 0`` of valid rows ``Σ c x <= b``
    #: (capacity, clique, one arc per agent and group), folded into a penalty per arc (``Σ ν c``)
    #: and a constant (``Σ ν b``).
    arc_penalty: F64 | None = None
    penalty_const: float = 0.0

    @staticmethod
    def zero(ap: ArcProblem) -> Prices:
        """All multipliers zero (the bound of each agent and each group on its own)."""
        return Prices(
            np.zeros(ap.n_jobs),
            np.zeros(ap.n_jobs),
            np.zeros(ap.n_arcs),
            np.zeros(len(ap.composition)),
            np.zeros(len(ap.pinned)),
        )


def _max_level(ap: ArcProblem, level: int) -> Level | None:
    lv = ap.levels[level] if level < len(ap.levels) else None
    if lv is None or lv.sense != "max" or lv.has_share:
        return None
    return lv


def reduced_weights(ap: ArcProblem, prices: Prices, level: int = 0) -> tuple[F64, F64, float]:
    """Arcs' and jobs' weights after the job rows are priced, and the constant part."""
    lv = ap.levels[level]
    w = np.asarray(lv.coef, np.float64) - prices.head[ap.arc_job] + prices.minimum[ap.arc_job] - prices.xy
    yw = ap.job_max * prices.head - ap.job_min * prices.minimum
    yw = yw + np.bincount(ap.arc_job, weights=prices.xy, minlength=ap.n_jobs)
    if lv.job_coef is not None:
        yw = yw + np.asarray(lv.job_coef, np.float64)
    if len(ap.composition):
        r, a = _entries(ap.composition)
        np.add.at(w, a, prices.composition[r])
        yw = yw - np.bincount(
            ap.composition.owner, weights=ap.composition.rhs * prices.composition, minlength=ap.n_jobs
        )
    const = 0.0
    if prices.arc_penalty is not None:
        w = w - prices.arc_penalty
        const += prices.penalty_const
    if len(ap.pinned):
        r, a = _entries(ap.pinned)
        np.subtract.at(w, a, prices.pinned[r])
        const = float(prices.pinned.sum())
    return w, yw, const


def _units(load: I64, cap: I64, agent: I64, n_agents: int, max_units: int) -> tuple[I64, I64]:
    """Loads and capacities in whole units of each agent's own size (rounded down: a relaxation);
    0 and 0 where no limit.

    An agent's unit is the greatest common divisor of its loads and its capacity (so the
    count is exact) unless that needs more than ``max_units`` units, then the capacity over
    ``max_units``, rounded up.
    """
    capped = cap[agent] >= 0
    tot = np.bincount(agent[capped], weights=load[capped], minlength=n_agents).astype(np.int64)
    eff = np.where(cap >= 0, np.minimum(cap, tot), 0)
    if not (eff > 0).any():
        return np.zeros(len(load), np.int64), np.zeros(n_agents, np.int64)
    q = np.ones(n_agents, np.int64)
    la, ll = agent[capped], load[capped].astype(np.int64)
    ag = np.concatenate([la, np.flatnonzero(eff > 0)])
    vals = np.concatenate([ll, eff[eff > 0]])
    order = np.argsort(ag, kind="stable")
    ag, vals = ag[order], vals[order]
    starts = np.flatnonzero(np.concatenate([[True], ag[1:] != ag[:-1]]))
    q[ag[starts]] = np.gcd.reduceat(vals, starts)
    q = np.maximum(q, 1)
    coarse = eff // q > max_units
    q[coarse] = -(-eff[coarse] // max_units)
    lu = np.where(capped, load // q[agent], 0).astype(np.int64)
    return lu, (eff // q).astype(np.int64)


def schedule_values(
    agent: I64,
    start: I64,
    end: I64,
    load: I64,
    weight: F64,
    cap: I64,
    n_agents: int,
    *,
    max_units: int = MAX_UNITS,
    cells: int = DP_CELLS,
) -> tuple[F64, B]:
    """Each agent's best schedule alone: the largest total weight of arcs that do not overlap in
    time (``[start, end)``) and whose loads fit the agent's capacity (``cap < 0``: no limit).

    Returns the value per agent and which arcs the best schedules take. Arcs of weight 0 or
    less are never taken. Loads and capacities are counted in at most ``max_units`` units
    (both rounded down when a finer unit would need more), so the value is at least the
    exact one: it is meant for bounds.

    Examples
    --------
    >>> v, take = schedule_values(np.array([0, 0, 0]), np.array([0, 30, 60]), np.array([60, 90, 120]),
    ...                           np.array([60, 60, 60]), np.array([2.0, 3.0, 2.0]), np.array([120]), 1)
    >>> float(v[0]), take.tolist()
    (4.0, [True, False, True])
    """
    n = len(agent)
    value = np.zeros(n_agents)
    taken = np.zeros(n, bool)
    pos = np.flatnonzero(weight > 1e-12)
    if not len(pos):
        return value, taken
    a, s, e, w = agent[pos], start[pos], end[pos], weight[pos]
    lu, capu = _units(load[pos], cap, a, n_agents, max_units)
    order = np.lexsort((s, e, a))
    a, s, e, w, lu, pos = a[order], s[order], e[order], w[order], lu[order], pos[order]
    t0 = int(min(s.min(), e.min()))
    big = int(max(s.max(), e.max())) - t0 + 2
    key = a * big + (e - t0)
    m = len(a)
    first = np.searchsorted(key, a * big, side="left")
    p = np.searchsorted(key, a * big + (s - t0), side="right") - 1
    idx = np.arange(m, dtype=np.int64)
    p = np.minimum(p, idx - 1)
    p[p < first] = -1
    rank = idx - first
    agent_first = np.searchsorted(a, np.arange(n_agents + 1))
    # chunks of whole agents, each with its own width (largest capacity in units + 1)
    bounds = [0]
    width = 0
    for ag in np.unique(a).tolist():
        lo, hi = int(agent_first[ag]), int(agent_first[ag + 1])
        wd = max(width, int(capu[ag]) + 1)
        if hi - bounds[-1] > 0 and (hi - bounds[-1]) * wd > cells and lo > bounds[-1]:
            bounds.append(lo)
            wd = int(capu[ag]) + 1
        width = wd
    bounds.append(m)
    for c0, c1 in itertools.pairwise(bounds):
        _dp_chunk(c0, c1, a, w, lu, capu, p, rank, value, taken, pos)
    return value, taken


def _dp_chunk(
    c0: int, c1: int, a: I64, w: F64, lu: I64, capu: I64, p: I64, rank: I64, value: F64, taken: B, pos: I64
) -> None:
    """The dynamic programme over the sorted arcs ``c0:c1`` (whole agents), in place."""
    u_max = int(capu[a[c0:c1]].max())
    cols = np.arange(u_max + 1, dtype=np.int64)
    m = c1 - c0
    f = np.empty((m + 1, u_max + 1))
    f[0] = 0.0  # row 0: nothing taken; row q + 1: the best over the agent's arcs up to q
    lp_ = np.where(p[c0:c1] >= 0, p[c0:c1] - c0 + 1, 0)  # row of the last arc ending by the start
    rk = rank[c0:c1]
    by_rank = np.argsort(rk, kind="stable")
    cuts = np.searchsorted(rk[by_rank], np.arange(int(rk.max()) + 2))
    wl, ll = w[c0:c1], lu[c0:c1]
    for r in range(len(cuts) - 1):
        q = by_rank[cuts[r] : cuts[r + 1]]
        prev = f[q] if r > 0 else np.zeros((len(q), u_max + 1))
        src = cols[None, :] - ll[q][:, None]
        take = f[lp_[q][:, None], np.maximum(src, 0)] + wl[q][:, None]
        take[src < 0] = -np.inf
        f[q + 1] = np.maximum(prev, take)
    # the value at each agent's capacity, then walk back to the arcs taken
    ag = a[c0:c1]
    last = np.flatnonzero(np.append(ag[1:] != ag[:-1], True))
    agents = ag[last]
    u = capu[agents]
    value[agents] = f[last + 1, u]
    ptr = last + 1
    while True:
        live = ptr > 0
        if not live.any():
            break
        ptr, u = ptr[live], u[live]
        q = ptr - 1
        prev_row = np.where(rk[q] > 0, q, 0)
        prev_val = np.where(rk[q] > 0, f[prev_row, u], 0.0)
        took = f[ptr, u] > prev_val
        taken[pos[c0 + q[took]]] = True
        u = np.where(took, u - ll[q], u)
        ptr = np.where(took, lp_[q], prev_row)


def _job_times(ap: ArcProblem) -> tuple[I64, I64]:
    js, je = ap.meta.get("job_start"), ap.meta.get("job_end")
    if js is None or je is None or len(js) != ap.n_jobs:
        z = np.zeros(ap.n_arcs, np.int64)
        return z, z  # no times known: no overlaps (the conflict rows are relaxed)
    return np.asarray(js, np.int64)[ap.arc_job], np.asarray(je, np.int64)[ap.arc_job]


def lagrangian_bound(ap: ArcProblem, prices: Prices, level: int = 0, usable: B | None = None) -> tuple[float, B]:
    """``L(prices)``: an upper bound on "max" level ``level`` (see the module docstring), and the
    arcs the agents' best schedules take at those prices.

    ``usable`` (default :func:`~vmatch.solvers.bound.feasible_arcs`) leaves out arcs that no
    solution can hold. ``inf`` when the level is not a "max" level without a max-share part.
    """
    lv = _max_level(ap, level)
    if lv is None:
        return math.inf, np.zeros(ap.n_arcs, bool)
    ok = feasible_arcs(ap) if usable is None else usable
    w, yw, const = reduced_weights(ap, prices, level)
    w = np.where(ok, w, 0.0)
    s, e = _job_times(ap)
    per_agent, take = schedule_values(ap.arc_agent, s, e, ap.arc_load, w, ap.agent_capacity, ap.n_agents)
    n_ok = np.bincount(ap.arc_job[ok], minlength=ap.n_jobs)
    alive = (n_ok >= ap.job_min) & (ap.job_max >= ap.job_min)
    yv = np.where(alive, yw, -np.inf)
    gmax = np.full(ap.n_groups, -np.inf)
    np.maximum.at(gmax, ap.job_group, yv)
    gval = np.where(ap.group_required, gmax, np.maximum(gmax, 0.0))
    if np.isneginf(gval).any():
        return -math.inf, take  # a required group cannot be served: no solution
    return rounded_bound(lv, const + float(gval.sum()) + float(per_agent.sum()), 1e-7), take


def _restrict_arcs(ap: ArcProblem, keep: B, level: int) -> tuple[ArcProblem, I64]:
    """``ap`` with only the arcs ``keep`` (every agent, job, group and row index stays)."""
    idx = np.flatnonzero(keep).astype(np.int64)
    new = np.full(ap.n_arcs, -1, np.int64)
    new[idx] = np.arange(len(idx))
    cl = ap.cliques.take_arcs(keep, new)
    cl = cl.select(np.diff(cl.indptr) >= 2)
    lv = ap.levels[level]
    sub = ArcProblem(
        ap.n_agents,
        ap.n_jobs,
        ap.arc_agent[idx],
        ap.arc_job[idx],
        ap.arc_load[idx],
        ap.agent_capacity,
        ap.job_min,
        ap.job_max,
        ap.job_group,
        ap.group_required,
        (Level(lv.name, lv.coef[idx], lv.sense, lv.scale, lv.job_coef),),
        cl,
        ap.composition.take_arcs(keep, new),
        ap.capacity.take_arcs(keep, new),
        ap.pinned.take_arcs(keep, new),
        {},
    )
    return sub, idx


def restricted_lp(
    ap: ArcProblem, keep: B, level: int = 0, time_limit: float = 30.0, solver: str = "highs"
) -> tuple[float, F64, Prices] | None:
    """The LP relaxation over the arcs ``keep`` only (HiGHS): its value, its arc values (zero
    outside ``keep``) and the multipliers of its job rows as :class:`Prices` of the full
    problem; None when HiGHS does not solve it in ``time_limit`` seconds.

    The value is *not* a bound on the full problem (arcs are missing); :func:`lagrangian_bound`
    with the prices is. ``solver="pdlp"`` uses OR-Tools' first-order PDLP for at most
    ``time_limit`` seconds instead of HiGHS's simplex: its multipliers need not be optimal,
    but any multipliers give a valid Lagrangian bound, and on large restricted LPs, where the
    simplex stalls in degenerate pivots, they come far sooner.
    """
    if _max_level(ap, level) is None:
        return None
    sub, idx = _restrict_arcs(ap, keep, level)
    blocks: dict[str, tuple[int, I64]] = {}
    c, a_ub, b_ub, a_eq, b_eq, bnd = _lp(sub, 0, blocks)
    if solver == "pdlp":
        got = _pdlp(c, a_ub, b_ub, a_eq, b_eq, bnd, time_limit)
        if got is None:
            return None
        fun, xs, lam, nu = got
    else:
        res = linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=b_eq if a_eq.shape[0] else None,
            bounds=bnd,
            method="highs",
            options={"time_limit": float(max(0.1, time_limit)), "presolve": True},
        )
        if res.status != 0:
            return None
        fun, xs = float(res.fun), np.asarray(res.x, np.float64)
        lam = np.maximum(0.0, -np.asarray(res.ineqlin.marginals, np.float64))
        nu = -np.asarray(res.eqlin.marginals, np.float64) if a_eq.shape[0] else np.zeros(0)

    x = np.zeros(ap.n_arcs)
    x[idx] = np.clip(xs[: len(idx)], 0.0, 1.0)
    return -fun, x, prices_from_duals(ap, blocks, idx, lam, nu)


def prices_from_duals(ap: ArcProblem, blocks: dict[str, tuple[int, I64]], idx: I64, lam: F64, nu: F64) -> Prices:
    """:class:`Prices` of the full problem from the duals of a restricted LP built by
    :func:`~vmatch.solvers.lp._lp` with ``blocks``: ``lam >= 0`` of its ``A_ub`` rows, ``nu`` of
    its ``A_eq`` rows; ``idx[k]`` is the full problem's index of the restricted LP's arc k."""

    def block(name: str) -> tuple[F64, I64]:
        first, what = blocks[name]
        return lam[first : first + len(what)], what

    pr = Prices.zero(ap)
    v, _ = block("head")
    pr.head[:] = v
    v, jobs = block("min")
    pr.minimum[jobs] = v
    v, arcs = block("xy")
    pr.xy[idx[arcs]] = v
    v, _ = block("composition")
    pr.composition[:] = v
    f, what = blocks["pinned"]
    pr.pinned[:] = nu[f : f + len(what)]
    return pr


def with_agent_rows(ap: ArcProblem, pr: Prices, blocks: dict[str, tuple[int, I64]], lam: F64) -> Prices:
    """``pr`` with the capacity and clique rows of an LP of ``ap`` itself (built by
    :func:`~vmatch.solvers.lp._lp` with ``blocks``) priced by its duals ``lam``."""
    pen = np.zeros(ap.n_arcs)
    const = 0.0
    for name, rows in (("capacity", ap.capacity), ("cliques", ap.cliques)):
        f, what = blocks[name]
        v = np.maximum(lam[f : f + len(what)], 0.0)
        r, a = _entries(rows)
        coef = ap.arc_load[a] if name == "capacity" else 1.0
        pen += np.bincount(a, weights=v[r] * coef, minlength=ap.n_arcs)
        const += float(v @ rows.rhs) if name == "capacity" else float(v.sum())
    return replace(pr, arc_penalty=pen, penalty_const=const)


#: Rounds of the shortest-path search for the flow's node potentials (it stops sooner when settled;
#: unsettled potentials still give valid, if weaker, multipliers).
POTENTIAL_ROUNDS = 2_000


def _potentials(tails: I64, heads: I64, costs: I64, n: int, rounds: int) -> I64:
    """Shortest distances from a virtual root joined to every node (Bellman-Ford, vectorised)."""
    d = np.zeros(n, np.int64)
    if not len(tails):
        return d
    order = np.argsort(heads, kind="stable")
    t, h, c = tails[order], heads[order], costs[order]
    starts = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]]))
    hu = h[starts]
    for _ in range(rounds):
        cand = np.minimum(d[hu], np.minimum.reduceat(d[t] + c, starts))
        if np.array_equal(cand, d[hu]):
            break
        d[hu] = cand
    return d


def flow_prices(ap: ArcProblem, level: int = 0) -> tuple[float, Prices, F64]:
    """The min-cost-flow bound (:func:`~vmatch.solvers.bound.flow_bound`) and its duals as
    :class:`Prices`, with the share of the prices' constant that belongs to each group.

    Head prices are the duals of the groups' capacities (the same for every job of a group);
    the rows "at most one arc of an agent per group, and per conflict cluster" are priced by
    the duals of the network's unit edges and folded into arc penalties. The schedules of
    :func:`lagrangian_bound` keep the agents' own rules, so at these prices it gives about the
    flow bound; the prices are the starting point that better ones (:func:`lp_prices`) replace
    where they are known.
    """
    pr = Prices.zero(ap)
    pen = np.zeros(ap.n_arcs)
    g_const = np.zeros(ap.n_groups)
    net = _network(ap, level)
    if isinstance(net, float):
        return net, replace(pr, arc_penalty=pen), g_const
    mcf = _solve_net(net)
    lv = ap.levels[level]
    value = (-int(mcf.optimal_cost()) + net.extra) / lv.scale + net.share
    f = np.asarray(mcf.flows(np.arange(len(net.tails), dtype=np.int64)), np.int64)
    fw, bw = f < net.caps, f > 0
    d = _potentials(
        np.concatenate([net.tails[fw], net.heads[bw]]),
        np.concatenate([net.heads[fw], net.tails[bw]]),
        np.concatenate([net.costs[fw], -net.costs[bw]]),
        net.n_nodes,
        POTENTIAL_ROUNDS,
    )
    dual = np.maximum(0, d[net.heads] - d[net.tails] - net.costs) / lv.scale  # of each edge's capacity
    g_price = np.zeros(ap.n_groups)
    to_sink = np.flatnonzero((net.heads == 1) & (net.tails >= net.group0))
    g_price[net.tails[to_sink] - net.group0] = dual[to_sink]
    pr.head[:] = g_price[ap.job_group]
    arc_group = ap.job_group[ap.arc_job[net.arcs]]
    has_pair = net.pair_edge >= 0
    pen[net.arcs] = dual[net.combo_edge] + np.where(has_pair, dual[np.maximum(net.pair_edge, 0)], 0.0)
    for edge, m in ((net.combo_edge, np.ones(len(net.arcs), bool)), (net.pair_edge, has_pair)):
        e, first = np.unique(edge[m], return_index=True)
        np.add.at(g_const, arc_group[m][first], dual[e])
    return value, replace(pr, arc_penalty=pen, penalty_const=float(g_const.sum())), g_const


def lp_prices(
    ap: ArcProblem, level: int = 0, time_limit: float = 30.0, max_nonzeros: int = 20_000_000
) -> tuple[float, F64, Prices] | None:
    """The LP relaxation of ``ap`` (HiGHS): its bound, its arc values and its duals as
    :class:`Prices`, every row priced (agent-side rows folded into arc penalties: see
    :func:`with_agent_rows`); None when not solved in ``time_limit`` seconds, too big, or
    the level does not qualify."""
    lv = _max_level(ap, level)
    if lv is None or lp_nonzeros(ap) > max_nonzeros:
        return None
    blocks: dict[str, tuple[int, I64]] = {}
    c, a_ub, b_ub, a_eq, b_eq, bnd = _lp(ap, level, blocks)
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=bnd,
        method="highs",
        options={"time_limit": float(max(0.1, time_limit)), "presolve": False},
    )
    if res.status != 0:
        return None
    lam = np.maximum(0.0, -np.asarray(res.ineqlin.marginals, np.float64))
    nu = -np.asarray(res.eqlin.marginals, np.float64) if a_eq.shape[0] else np.zeros(0)
    pr = with_agent_rows(ap, prices_from_duals(ap, blocks, np.arange(ap.n_arcs, dtype=np.int64), lam, nu), blocks, lam)
    return rounded_bound(lv, -float(res.fun), 1e-6), np.clip(np.asarray(res.x[: ap.n_arcs]), 0.0, 1.0), pr


def _pdlp(
    c: F64, a_ub: sp.csr_matrix, b_ub: F64, a_eq: sp.csr_matrix, b_eq: F64, bnd: F64, time_limit: float
) -> tuple[float, F64, F64, F64] | None:
    """PDLP on ``min c x, A_ub x <= b_ub, A_eq x = b_eq, bounds``: (value, x, λ >= 0, ν)."""
    a = sp.vstack([a_ub, a_eq]).tocsc() if a_eq.shape[0] else a_ub.tocsc()
    qp = pdlp.QuadraticProgram()
    qp.objective_vector = c
    qp.constraint_matrix = a
    qp.constraint_lower_bounds = np.concatenate([np.full(a_ub.shape[0], -np.inf), b_eq])
    qp.constraint_upper_bounds = np.concatenate([b_ub, b_eq])
    qp.variable_lower_bounds = bnd[:, 0]
    qp.variable_upper_bounds = bnd[:, 1]
    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.termination_criteria.time_sec_limit = float(max(0.1, time_limit))
    params.termination_criteria.simple_optimality_criteria.eps_optimal_relative = 1e-6
    params.num_threads = 1
    res = pdlp.primal_dual_hybrid_gradient(qp, params)
    y = np.asarray(res.dual_solution, np.float64)
    x = np.asarray(res.primal_solution, np.float64)
    if len(y) != a.shape[0] or len(x) != len(c):
        return None
    nu = y[a_ub.shape[0] :]
    return float(c @ x), x, np.maximum(0.0, -y[: a_ub.shape[0]]), nu


def candidate_arcs(ap: ArcProblem, per_job: int, level: int = 0) -> B:
    """Each job's ``max(per_job, 2 x head-count)`` best arcs by the level's coefficient, fewest
    other jobs per agent first (a start for the restricted LP)."""
    lv = ap.levels[level]
    load_agent = np.bincount(ap.arc_agent, minlength=ap.n_agents)[ap.arc_agent]
    order = np.lexsort((load_agent, -np.asarray(lv.coef), ap.arc_job))
    first = np.searchsorted(ap.arc_job[order], np.arange(ap.n_jobs))
    rank = np.empty(ap.n_arcs, np.int64)
    rank[order] = np.arange(ap.n_arcs) - first[ap.arc_job[order]]
    return np.asarray(rank < np.maximum(per_job, 2 * ap.job_max[ap.arc_job]))


def lagrangian_bound_cg(
    ap: ArcProblem,
    start: B,
    *,
    deadline: float,
    level: int = 0,
    per_job: int = 6,
    max_new: int = 200_000,
    solver: str = "auto",
    round_seconds: float = 4.0,
    on_round: Callable[[float, F64], None] | None = None,
) -> tuple[float, F64 | None]:
    """The smallest Lagrangian bound over rounds of column generation, and the last restricted
    LP's arc values (None when no round finished).

    The first restricted LP has the arcs ``start`` (e.g. the incumbent's), each job's best
    candidates (:func:`candidate_arcs`) and every pinned arc; each round adds the arcs that the
    agents' best schedules take at the LP's prices and the LP lacks, at most ``max_new``. It
    stops at ``deadline`` (``time.perf_counter()``), or when no arc is missing (the bound is
    then as good as these prices give). ``on_round(bound, x)`` is called after each round.
    """
    if _max_level(ap, level) is None or ap.n_arcs == 0:
        return math.inf, None
    usable = feasible_arcs(ap)
    keep = (start | candidate_arcs(ap, per_job, level)) & usable
    keep[ap.pinned.indices] = True
    best, best_x = math.inf, None
    rounds = 0
    while time.perf_counter() < deadline - 0.2:
        t = time.perf_counter()
        kind = solver if solver != "auto" else ("highs" if keep.sum() <= HIGHS_MAX_ARCS else "pdlp")
        limit = deadline - t - 0.2 if kind == "highs" else min(round_seconds * (1 + rounds), deadline - t - 0.2)
        got = restricted_lp(ap, keep, level, time_limit=limit, solver=kind)
        if got is None:
            break
        val, x, prices = got
        b, take = lagrangian_bound(ap, prices, level, usable)
        rounds += 1
        best = min(best, b)
        best_x = x
        new = take & ~keep
        log.info(
            "lagrange round %d: %d arcs, restricted LP %.6g, bound %.6g (best %.6g), %d new, %.2fs",
            rounds,
            int(keep.sum()),
            val,
            b,
            best,
            int(new.sum()),
            time.perf_counter() - t,
        )
        if on_round is not None:
            on_round(best, x)
        if not new.any():
            break
        if new.sum() > max_new:
            w, _, _ = reduced_weights(ap, prices, level)
            cand = np.flatnonzero(new)
            new = np.zeros(ap.n_arcs, bool)
            new[cand[np.argsort(-w[cand], kind="stable")[:max_new]]] = True
        keep |= new
    return best, best_x
