"""Column generation for a menu's first level: schedules priced by the exact programme.

A menu's arc problem is a packing of *schedules*: each offer (or each provider, with all its
offers) takes one set of its arcs that keeps its own time, travel and capacity rules, and each
order is in at most one chosen schedule. The LP over schedules (the master; Dantzig-Wolfe) is far
tighter than the LP over arcs: at 2,000 orders x 500 offers, where CP-SAT proves the optimum
2,245, the arc LP bounds it by 2,256, the flow by 2,267, and the schedule LP by 2,249 (per offer)
or 2,246 (per provider).

:func:`column_generation` solves the master by columns: OR-Tools' PDLP (warm-started; the simplex
stalls on this degenerate packing) prices the orders; each agent's best schedule at those prices
comes from :func:`vmatch.menu.elementary.elementary_schedules`; schedules worth more than their
agent's dual join the master, with the schedules the agents would turn to next when the orders
they just took cost more (layered pricing: fewer rounds). The rules a schedule does not see are
rows of the master (:func:`provider_rows`), priced in the programme's weights. At every round the
duals give a **valid bound** (Lagrangian duality, see :mod:`vmatch.menu.bounds`):

    L(λ, π) = Σ_orders λ_o + Σ_rows π_r b_r + Σ_agents max(0, best schedule at c - λ - Aᵀπ)

and the smallest is kept. Early duals are poor (the bound is far above the flow bound until the
master holds the schedules that compete for each order), so the bound pays only after several
rounds: at 20,000 x 5,000, per offer 25,180 after about 20 s and 25,164 at convergence (the
provider's offers relaxed: above :func:`vmatch.menu.bounds.menu_bounds`' 25,094 at the flow's
prices); per provider 25,075 after 40 s, still falling (master 24,680). A building block for
longer runs: :func:`vmatch.menu.engine.solve_problem` runs it in the bound's process when the
search has at least a minute (:func:`vmatch.menu.bounds.colgen_bound`, ``restrict``: far faster
there). :meth:`Master.floor` tells how low any bound of this decomposition can go (24,747.7
there after 305 s: every bound from providers' schedules, at any prices, is at least that).

Examples
--------
>>> import time
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> from vmatch.menu.people import compile_people
>>> c = compile_people(menu_to_problem(generate_menu(60, 20, seed=1))[0])
>>> from vmatch.menu.bounds import arc_data, menu_bounds
>>> data = arc_data(c.arcs, c.problem.settings.travel_speed_kmh)
>>> cg = column_generation(c.arcs, data, np.zeros(c.arcs.n_arcs, bool), deadline=time.perf_counter() + 10)
>>> from vmatch.solvers.cpsat import solve_cpsat
>>> solve_cpsat(c.arcs, time_limit=10).values[0] <= cg.bound <= menu_bounds(c.arcs, 15.0)[0]
True
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.pdlp import solvers_pb2
from ortools.pdlp.python import pdlp

from vmatch.arcs import ArcProblem
from vmatch.menu.elementary import ArcData, elementary_schedules
from vmatch.solvers.lp import rounded_bound
from vmatch.solvers.subproblem import incidence

__all__ = ["ColumnResult", "Master", "column_generation", "provider_rows"]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Rounds of layered pricing after the master's own (see :func:`column_generation`).
LAYERS = 2
#: PDLP's relative tolerance in the first two rounds and later, and once no column is added at
#: ``TIGHT`` (20,000 x 5,000 per provider: after 280 s, no new column at 1e-4, but the duals of the
#: same master at 1e-5 give a bound of 24,840 instead of 24,891, and they price new columns).
LOOSE, TIGHT, FINAL = 1e-3, 1e-4, 1e-5
#: With ``restrict``, the programme keeps repeated orders (cheaper, a weaker value) only while the
#: values with them exceed the best bound by this factor.
RESTRICTED_CUT = 1.05


class Master:
    """The master LP over schedule columns: at most one column per agent, each group in at most
    one chosen column. Solved by OR-Tools' first-order PDLP, warm-started from the last solution
    (the simplex stalls on this degenerate packing LP: 118 s for GLOP against 1.2 s for PDLP on
    the 29k columns of a 20,000-order round)."""

    def __init__(
        self,
        n_agents: int,
        n_groups: int,
        *,
        rows: sp.csr_matrix | None = None,
        rhs: F64 | None = None,
        tolerance: float = 1e-4,
        threads: int = 1,
    ) -> None:
        self.n_agents, self.n_groups = n_agents, n_groups
        self.rows = rows  # more rows over arcs (a column's coefficient: the sum over its arcs)
        self.rhs = np.zeros(0) if rhs is None else np.asarray(rhs, np.float64)
        self.tolerance, self.threads = tolerance, threads
        self.col_agent: list[int] = []
        self.col_arcs: list[I64] = []
        self.col_value: list[float] = []
        self._groups: list[I64] = []
        self._extra: list[sp.csr_matrix] = []
        self.seen: set[tuple[int, ...]] = set()
        #: Some orders' prices are fixed (``column_generation(restrict=True)``): no floor of the whole.
        self.restricted = False
        self._warm: tuple[F64, F64] | None = None

    def __len__(self) -> int:
        return len(self.col_agent)

    def add(self, agent: I64, group: I64, value: F64, arcs: I64) -> int:
        """Add the schedules in ``arcs`` (sorted by agent; ``agent``, ``group``, ``value`` per arc;
        a group of -1 has no row); returns how many were new."""
        if not len(arcs):
            return 0
        added = 0
        for part in np.split(arcs, np.flatnonzero(np.diff(agent[arcs])) + 1):
            key = tuple(sorted(part.tolist()))
            if key in self.seen:
                continue
            self.seen.add(key)
            self.col_agent.append(int(agent[part[0]]))
            self.col_arcs.append(part)
            self.col_value.append(float(value[part].sum()))
            gp = group[part]
            self._groups.append(gp[gp >= 0])  # (-1: an order whose price is fixed has no row)
            added += 1
        if self.rows is not None and added:
            lens = np.fromiter((len(x) for x in self.col_arcs[-added:]), np.int64, added)
            pick = sp.csr_matrix(
                (np.ones(int(lens.sum())), (np.repeat(np.arange(added), lens), np.concatenate(self.col_arcs[-added:]))),
                shape=(added, self.rows.shape[1]),
            )
            self._extra.append((pick @ self.rows.T).tocsr())
        return added

    def _matrix(self) -> tuple[sp.csc_matrix, F64]:
        """The master's rows over its columns (agents, groups, then the other rows) and their
        right-hand sides."""
        n = len(self.col_agent)
        lens = np.fromiter((len(x) for x in self._groups), np.int64, n)
        rows = np.concatenate([np.asarray(self.col_agent, np.int64), self.n_agents + np.concatenate(self._groups)])
        cols = np.concatenate([np.arange(n), np.repeat(np.arange(n), lens)])
        m = self.n_agents + self.n_groups
        a = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, n))
        upper = np.ones(m)
        if self.rows is not None:
            a = sp.vstack([a, sp.vstack(self._extra).T]).tocsc()
            upper = np.concatenate([upper, self.rhs])
        return a, upper

    def solve(self, time_limit: float = 30.0) -> tuple[float, F64, F64, F64, F64]:
        """(value, agent duals, group duals, duals of the other rows, column values); the value is
        the objective at PDLP's primal point (close to the LP optimum at the tolerance)."""
        n = len(self.col_agent)
        if n == 0:
            return 0.0, np.zeros(self.n_agents), np.zeros(self.n_groups), np.zeros(len(self.rhs)), np.zeros(0)
        obj = np.asarray(self.col_value)
        a, upper = self._matrix()
        qp = pdlp.QuadraticProgram()
        qp.objective_vector = -obj
        qp.constraint_matrix = a
        qp.constraint_lower_bounds = np.full(len(upper), -np.inf)
        qp.constraint_upper_bounds = upper
        qp.variable_lower_bounds = np.zeros(n)
        qp.variable_upper_bounds = np.ones(n)
        params = solvers_pb2.PrimalDualHybridGradientParams()
        params.termination_criteria.time_sec_limit = float(max(0.05, time_limit))
        params.termination_criteria.simple_optimality_criteria.eps_optimal_relative = self.tolerance
        params.termination_criteria.simple_optimality_criteria.eps_optimal_absolute = self.tolerance
        params.num_threads = self.threads
        init = None
        if self._warm is not None:
            x0, y0 = self._warm
            init = pdlp.PrimalAndDualSolution()
            init.primal_solution = np.concatenate([x0, np.zeros(n - len(x0))])
            init.dual_solution = y0
        res = pdlp.primal_dual_hybrid_gradient(qp, params, initial_solution=init)
        x = np.clip(np.asarray(res.primal_solution, np.float64), 0.0, 1.0)
        y = np.asarray(res.dual_solution, np.float64)
        self._warm = (x, y)
        duals = np.maximum(0.0, -y)
        k = self.n_agents + self.n_groups
        return float(obj @ x), duals[: self.n_agents], duals[self.n_agents : k], duals[k:], x

    def floor(self, time_limit: float = 120.0) -> float:
        """A value the whole master LP (every schedule, not only the columns here) reaches: the
        master over these columns solved tightly, its solution made feasible (each row over its
        right-hand side scales its columns down, which only lowers the other rows). No bound of
        this decomposition (:func:`column_generation`'s, or any Lagrangian one at any prices)
        can be below it before rounding down to the level's integers, since each is at least the
        whole master's optimum."""
        if self.restricted:
            raise ValueError("floor: the master prices only some orders (restrict=True): no floor of the whole LP")
        if not self.col_agent:
            return 0.0
        tol, self.tolerance = self.tolerance, 1e-7
        try:
            x = self.solve(time_limit)[4].copy()  # (the solve keeps its own as the next warm start)
        finally:
            self.tolerance = tol
        a, rhs = self._matrix()
        a = a.tocsr()
        for r in np.flatnonzero(a @ x > rhs).tolist():
            cj, cv = a.indices[a.indptr[r] : a.indptr[r + 1]], a.data[a.indptr[r] : a.indptr[r + 1]]
            act = float(cv @ x[cj])
            if act > rhs[r]:
                x[cj] *= max(0.0, rhs[r]) / act
        return float(np.asarray(self.col_value) @ x)


@dataclass
class ColumnResult:
    """What :func:`column_generation` found."""

    bound: float  # valid bound on the level (rounded down for integer coefficients)
    master_value: float  # the last master LP's value (not a bound: columns are missing)
    prices: F64  # per group: the prices of the best bound
    master: Master
    z: F64  # the last master's column values
    rounds: int = 0
    duals: F64 | None = None  # the last master's group duals
    history: list[tuple[float, float, float]] = field(default_factory=list)  # (seconds, master, bound)

    def support(self, n_arcs: int, min_z: float = 1e-6) -> B:
        """Arcs of the columns the last master uses."""
        out = np.zeros(n_arcs, bool)
        for k in np.flatnonzero(self.z > min_z).tolist():
            out[self.master.col_arcs[k]] = True
        return out

    def column_arcs(self, n_arcs: int) -> B:
        """Arcs of every column generated."""
        out = np.zeros(n_arcs, bool)
        if self.master.col_arcs:
            out[np.concatenate(self.master.col_arcs)] = True
        return out


def provider_rows(ap: ArcProblem, by_person: bool) -> tuple[sp.csr_matrix, F64]:
    """The rows the schedule programme leaves out, over arcs, with their right-hand sides: the
    capacity rows (loads) and, per agent, conflict rows that span several agents (0/1); per
    person, each agent's capacity (loads) instead."""
    cap = incidence(ap.capacity, ap.n_arcs).multiply(ap.arc_load[None, :].astype(np.float64))
    if by_person:
        tot = np.bincount(ap.arc_agent, weights=ap.arc_load, minlength=ap.n_agents)
        lim = np.flatnonzero((ap.agent_capacity >= 0) & (tot > ap.agent_capacity))
        on = np.isin(ap.arc_agent, lim)
        own = sp.csr_matrix(
            (ap.arc_load[on].astype(np.float64), (np.searchsorted(lim, ap.arc_agent[on]), np.flatnonzero(on))),
            shape=(len(lim), ap.n_arcs),
        )
        return sp.vstack([own, cap]).tocsr(), np.concatenate(
            [ap.agent_capacity[lim].astype(np.float64), ap.capacity.rhs.astype(np.float64)]
        )
    cl = ap.cliques
    rid = cl.row_ids()
    who = ap.arc_agent[cl.indices]
    lo = np.full(len(cl), np.iinfo(np.int64).max)
    hi = np.full(len(cl), -1)
    np.minimum.at(lo, rid, who)
    np.maximum.at(hi, rid, who)
    cross = np.flatnonzero(lo != hi)
    q = incidence(cl, ap.n_arcs)[cross]
    return sp.vstack([q, cap]).tocsr(), np.concatenate([np.ones(len(cross)), ap.capacity.rhs.astype(np.float64)])


def _sorted(data: ArcData, take: B) -> I64:
    """The arcs ``take``, sorted by agent (as :meth:`Master.add` takes them)."""
    new = np.flatnonzero(take)
    return new[np.argsort(data.agent[new], kind="stable")]


def column_generation(
    ap: ArcProblem,
    data: ArcData,
    start: B,
    *,
    deadline: float,
    level: int = 0,
    layers: int = LAYERS,
    max_rounds: int = 200,
    prices: F64 | None = None,
    by_person: bool = False,
    on_round: Callable[[ColumnResult], None] | None = None,
    max_depth: int = 12,
    restrict: bool = False,
) -> ColumnResult:
    """Column generation for level ``level`` of a menu-shaped ``ap`` (see the module docstring)
    until ``deadline`` (``time.perf_counter()``) or convergence.

    ``start`` (a feasible set of arcs) gives the first columns and ``prices`` (per group, e.g.
    the flow bound's duals) a first bound and the schedules at those prices. Each round solves
    the master, prices every agent at its duals (the bound), then ``layers`` times raises the
    price of the orders the agents just took to 90 % of their value and prices the agents that
    took them again: the schedules they would turn to next join the master in the same round (a
    price-discovery shortcut; the bound comes from the master's own duals only). ``on_round``
    sees the result after every round; ``max_depth`` is the programme's (fewer splits of repeated
    orders: cheaper rounds, a weaker bound per round).

    ``restrict`` (with ``prices``): only the orders those prices get wrong are priced by the
    master -- those two or more agents' best schedules take, and those with a price that no
    schedule takes -- and every other order keeps its price from ``prices`` (no row in the master;
    its price comes off its arcs' values). The bound stays valid (any prices give one) and comes
    much sooner: 20,000 x 5,000 per provider from the flow's prices, 7,472 orders priced, without
    layers, at depth 3: 24,881 after 60 s and 24,820 after 144 s, where the whole master passes
    the flow's 25,094 only after 150-200 s and reaches 24,829 after 430 s. The repeats are then
    removed unless the values with them exceed the best bound by ``RESTRICTED_CUT``.
    :meth:`Master.floor` does not apply to the restricted master.
    """
    t0 = time.perf_counter()
    lv = ap.levels[level]
    c = np.asarray(lv.coef, np.float64)
    g = data.group
    value_of = np.zeros(ap.n_groups)
    np.maximum.at(value_of, g, c)
    rows, rhs = provider_rows(ap, by_person)
    na = data.n_agents
    tl = data.timeline()
    first: tuple[float, B] | None = None
    fixed = np.zeros(ap.n_groups, bool)  # orders whose price stays at ``prices``
    base = np.zeros(ap.n_groups)  # and that price
    if prices is not None:
        val, take = elementary_schedules(data, c - prices[g], tl, max_depth=max_depth)
        first = (float(prices.sum() + val.sum()), take)
        if restrict:
            n_take = np.bincount(g[take], minlength=ap.n_groups)
            fixed = ~((n_take > 1) | ((prices > 1e-9) & (n_take == 0)))
            base = np.where(fixed, prices, 0.0)
    free = np.flatnonzero(~fixed)
    row_of = np.full(ap.n_groups, -1, np.int64)
    row_of[free] = np.arange(len(free))
    gr = row_of[g]  # each arc's order row (-1: fixed)
    cv = c - base[g]  # each arc's value in a column
    fixed_sum = float(base.sum())
    master = Master(na, len(free), rows=rows, rhs=rhs)
    master.restricted = bool(restrict and prices is not None)
    master.add(data.agent, gr, cv, _sorted(data, start))
    out = ColumnResult(math.inf, 0.0, np.zeros(ap.n_groups), master, np.zeros(0))
    if first is not None and prices is not None:
        out.bound, out.prices = first[0], prices.copy()
        master.add(data.agent, gr, cv, _sorted(data, first[1]))
        log.info(
            "colgen: bound %.6g at the first prices, %d columns, %d orders priced",
            out.bound,
            len(master),
            len(free),
        )
    final = False
    for rnd in range(max_rounds):
        t_lp = time.perf_counter()
        master.tolerance = FINAL if final else LOOSE if rnd < 2 else TIGHT
        value, mu, lam_free, pi, z = master.solve(max(0.05, deadline - time.perf_counter()))
        t_lp = time.perf_counter() - t_lp
        lam = base.copy()
        lam[free] = lam_free
        out.master_value, out.z, out.duals = value + fixed_sum, z, lam
        if time.perf_counter() > deadline:
            break
        red_w = c - lam[g] - rows.T @ pi  # each arc's weight with every row priced
        const = float(lam.sum() + pi @ rhs)
        # far above the master (early rounds), the repeats are not worth removing; at the final
        # tolerance they always are (the values with repeats can be above the best bound while
        # those without are below it: 24,891 against 24,840 at 20,000 x 5,000)
        # restricted: the repeats are removed unless the values with them are 5 % above the best
        # bound (the early rounds); removing them took 24,9xx "here" values below 25,094
        cut = math.inf if final else (RESTRICTED_CUT * out.bound if restrict else min(out.bound, 1.1 * value)) - const
        val, take = elementary_schedules(data, red_w, tl, cutoff=cut, max_depth=max_depth)
        bound = const + float(val.sum())
        if bound < out.bound:
            out.bound, out.prices = bound, lam.copy()
        viol = val - mu > 1e-6
        added = master.add(data.agent, gr, cv, _sorted(data, take & viol[data.agent]))
        price = lam.copy()
        for _ in range(layers):
            if not viol.any() or time.perf_counter() > deadline:
                break
            grabbed = np.unique(g[take & viol[data.agent]])
            price[grabbed] = np.maximum(price[grabbed], 0.9 * value_of[grabbed])
            near = np.zeros(na, bool)
            near[data.agent[np.isin(g, grabbed)]] = True
            w = np.where(near[data.agent], red_w + lam[g] - price[g], 0.0)
            _, take = elementary_schedules(data, w, tl, cutoff=0.0)  # columns only: repeats dropped
            red = np.bincount(data.agent[take], weights=red_w[take], minlength=na) - mu
            viol = near & (red > 1e-6)
            added += master.add(data.agent, gr, cv, _sorted(data, take & viol[data.agent]))
        out.rounds = rnd + 1
        out.history.append((time.perf_counter() - t0, value, out.bound))
        log.info(
            "colgen round %d: master %.6g, bound %.6g (%.6g here), %d columns (+%d), LP %.2fs, %.2fs",
            rnd,
            value,
            out.bound,
            bound,
            len(master),
            added,
            t_lp,
            time.perf_counter() - t0,
        )
        if on_round is not None:
            on_round(out)
        if not added and not final:  # no column at these duals: the master's exact duals may price some
            final = True
            continue
        if not added:
            break
    out.bound = rounded_bound(lv, out.bound, 1e-7)
    return out
