"""Variants of the menu's restricted column generation, for the 30-s bound (issue 4; none kept).

Runs :func:`vmatch.menu.colgen.column_generation` as the bound's process does
(:func:`vmatch.menu.bounds.colgen_bound`: per provider, from the min-cost flow's order prices,
``restrict``, no layers, ``DEPTH`` splits) on ``generate_menu(ORDERS, OFFERS, seed=0)`` for
``--seconds``, and prints each round's master value, the Lagrangian value at the master's duals
("here") and the best bound so far. Variants:

* ``--master ipm``: the master solved by HiGHS' interior point method without crossover
  (central duals, the idea of ACCPM and of primal-dual column generation), through scipy's
  bundled HiGHS (a private scipy module: for this experiment only), stopping at a relative gap
  of ``--gap``; the default ``pdlp`` is the library's.
* ``--singles K``: before the first round, one single-order column for each re-priced order and
  each of the ``K`` providers whose best schedule at the flow's prices is worth least (0: none;
  -1: every provider that can serve the order).

Usage (the figures in ``docs/benchmarks.md``, 2026-12-08)::

    .venv/bin/python benchmarks/colgen_variants.py --seconds 60                       # the library's
    .venv/bin/python benchmarks/colgen_variants.py --master ipm --gap 1e-2 --seconds 45
    .venv/bin/python benchmarks/colgen_variants.py --singles 5 --seconds 150
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from typing import Any

import numpy as np

from vmatch.gen.menu import generate_menu
from vmatch.menu import colgen as cgm
from vmatch.menu.bounds import DEPTH, flow_group_prices, provider_data
from vmatch.menu.compile import menu_to_problem
from vmatch.menu.elementary import elementary_schedules
from vmatch.menu.people import compile_people
from vmatch.solvers.greedy import greedy


def ipm_master(gap: float) -> Any:
    """A :meth:`vmatch.menu.colgen.Master.solve` by HiGHS' interior point method, no crossover."""
    from scipy.optimize._highspy import _core as highs  # private: an experiment, not the library

    def solve(self: cgm.Master, time_limit: float = 30.0) -> tuple[float, Any, Any, Any, Any]:
        n = len(self.col_agent)
        if n == 0:
            return 0.0, np.zeros(self.n_agents), np.zeros(self.n_groups), np.zeros(len(self.rhs)), np.zeros(0)
        obj = np.asarray(self.col_value)
        a, upper = self._matrix()
        a = a.tocsc()
        lp = highs.HighsLp()
        lp.num_col_ = lp.a_matrix_.num_col_ = n
        lp.num_row_ = lp.a_matrix_.num_row_ = a.shape[0]
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = -obj, np.zeros(n), np.ones(n)
        lp.row_lower_, lp.row_upper_ = np.full(a.shape[0], -highs.kHighsInf), upper
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        h = highs._Highs()
        opt = highs.HighsOptions()
        opt.solver, opt.run_crossover, opt.presolve, opt.output_flag = "ipm", "off", "off", False
        opt.ipm_optimality_tolerance = gap if self.tolerance > 1e-5 else 1e-6
        opt.time_limit, opt.threads = float(max(0.05, time_limit)), 1
        h.passOptions(opt)
        h.passModel(lp)
        h.run()
        sol = h.getSolution()
        x = np.clip(np.array(sol.col_value), 0.0, 1.0)
        y = np.maximum(0.0, -np.array(sol.row_dual))
        k = self.n_agents + self.n_groups
        return float(obj @ x), y[: self.n_agents], y[self.n_agents : k], y[k:], x

    return solve


def with_singles(k: int, provider_value: Any) -> type[cgm.Master]:
    """A master that adds single-order columns with its first columns (see the module docstring)."""

    class Singles(cgm.Master):
        done = False

        def add(self, agent: Any, group: Any, value: Any, arcs: Any) -> int:
            n = super().add(agent, group, value, arcs)
            if Singles.done:
                return n
            Singles.done = True
            t = time.perf_counter()
            sel = np.flatnonzero(group >= 0)  # arcs of re-priced orders
            _, first = np.unique(group[sel] * (int(agent.max()) + 2) + agent[sel], return_index=True)
            sel = sel[first]  # one arc per (order, provider)
            if k > 0:  # the k providers of least value per order
                order = np.lexsort((provider_value[agent[sel]], group[sel]))
                g = group[sel][order]
                new = np.ones(len(g), bool)
                new[1:] = g[1:] != g[:-1]
                idx = np.arange(len(g))
                sel = sel[order][idx - np.maximum.accumulate(np.where(new, idx, 0)) < k]
            sel = sel[np.argsort(agent[sel], kind="stable")]
            ag = agent[sel]
            new = np.ones(len(ag), bool)
            new[1:] = ag[1:] != ag[:-1]
            idx = np.arange(len(ag))
            rank = idx - np.maximum.accumulate(np.where(new, idx, 0))
            added = sum(
                super(Singles, self).add(agent, group, value, sel[rank == r]) for r in range(int(rank.max()) + 1)
            )
            print(f"single-order columns: {added} in {time.perf_counter() - t:.1f} s", flush=True)
            return n + added

    return Singles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--offers", type=int, default=5_000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--master", choices=["pdlp", "ipm"], default="pdlp")
    ap.add_argument("--gap", type=float, default=1e-3, help="--master ipm: relative gap (default: %(default)s)")
    ap.add_argument("--singles", type=int, default=0)
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("vmatch.menu.colgen").setLevel(logging.INFO)  # one line a round
    problem = menu_to_problem(generate_menu(a.orders, a.offers, seed=0))[0]
    arcs = compile_people(problem).arcs
    ap1 = dataclasses.replace(arcs, levels=arcs.levels[:1])
    t = time.perf_counter()
    _, prices = flow_group_prices(ap1)
    data = provider_data(ap1, problem.settings.travel_speed_kmh)
    start = greedy(ap1)
    print(f"flow prices, provider data, greedy start: {time.perf_counter() - t:.1f} s", flush=True)
    if a.master == "ipm":
        cgm.Master.solve = ipm_master(a.gap)
    if a.singles:
        coef = np.asarray(ap1.levels[0].coef, np.float64)
        value, _ = elementary_schedules(data, coef - prices[data.group], max_depth=DEPTH)
        cgm.Master = with_singles(a.singles, value)
    t0 = time.perf_counter()
    cg = cgm.column_generation(
        ap1,
        data,
        start,
        deadline=t0 + a.seconds,
        prices=prices,
        by_person=True,
        restrict=True,
        layers=0,
        max_depth=DEPTH,
    )
    print(f"bound {cg.bound:.0f} after {cg.rounds} rounds, {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
