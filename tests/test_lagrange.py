"""The Lagrangian bound: exact per-agent schedules, and never below a proven optimum."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from strategies import problems
from vmatch.arcs import SolveStatus
from vmatch.compile import compile_problem
from vmatch.generate import generate_city
from vmatch.solvers.bound import flow_bound
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.greedy import greedy
from vmatch.solvers.lagrange import (
    Prices,
    flow_prices,
    lagrangian_bound,
    lagrangian_bound_cg,
    lp_prices,
    restricted_lp,
    schedule_values,
)
from vmatch.solvers.lp import lp_bound


def brute_schedule(s, e, load, w, cap):
    best = 0.0
    n = len(s)
    for k in range(n + 1):
        for sub in itertools.combinations(range(n), k):
            if cap >= 0 and sum(load[i] for i in sub) > cap:
                continue
            if any(s[i] < e[j] and s[j] < e[i] for i, j in itertools.combinations(sub, 2)):
                continue
            best = max(best, sum(max(w[i], -1e9) for i in sub if w[i] > 0) if all(w[i] > 0 for i in sub) else best)
    return best


def test_schedule_values_match_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n_agents = 3
        n = int(rng.integers(1, 9))
        agent = rng.integers(0, n_agents, n)
        s = rng.integers(0, 10, n) * 30
        load = rng.integers(1, 5, n) * 30
        e = s + load
        w = np.round(rng.normal(1.0, 1.5, n), 2)
        cap = rng.choice([-1, 60, 90, 150, 240], n_agents)
        val, take = schedule_values(agent, s, e, load, w, cap, n_agents)
        for a in range(n_agents):
            m = agent == a
            want = brute_schedule(s[m], e[m], load[m], w[m], int(cap[a]))
            assert abs(val[a] - want) < 1e-9
            # the arcs taken are a schedule worth that value
            t = take & m
            assert abs(w[t].sum() - val[a]) < 1e-9
            idx = np.flatnonzero(t)
            assert all(not (s[i] < e[j] and s[j] < e[i]) for i, j in itertools.combinations(idx, 2))
            assert cap[a] < 0 or load[t].sum() <= cap[a]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_volunteers=5, max_tasks=4))
def test_lagrangian_bound_never_below_optimum(problem):
    ap = compile_problem(problem).arcs
    opt = solve_cpsat(ap, time_limit=10, workers=1)
    if opt.status != SolveStatus.OPTIMAL:
        return
    rng = np.random.default_rng(0)
    for prices in (
        Prices.zero(ap),
        Prices(
            rng.random(ap.n_jobs) * 3,
            rng.random(ap.n_jobs),
            rng.random(ap.n_arcs),
            rng.random(len(ap.composition)),
            rng.normal(size=len(ap.pinned)),
        ),
    ):
        b, _ = lagrangian_bound(ap, prices)
        assert b >= opt.values[0] - 1e-9
    b, _ = lagrangian_bound_cg(ap, np.zeros(ap.n_arcs, bool), deadline=time.perf_counter() + 10)
    assert b >= opt.values[0] - 1e-9


def test_cg_bound_between_optimum_and_flow_on_a_city():
    ap = compile_problem(generate_city(120, 60, seed=2)).arcs
    opt = solve_cpsat(ap, time_limit=30)
    b, x = lagrangian_bound_cg(ap, greedy(ap), deadline=time.perf_counter() + 30)
    assert x is not None and x.min() >= 0 and x.max() <= 1
    assert b >= opt.bounds[0] - 1e-9 if opt.status == SolveStatus.OPTIMAL else b >= opt.values[0]
    # as tight as the whole LP here (column generation converges), and far below the zero-price bound
    assert b <= lp_bound(ap) + 1.0
    assert b < lagrangian_bound(ap, Prices.zero(ap))[0]


def test_restricted_lp_pdlp_prices_give_a_valid_bound():
    ap = compile_problem(generate_city(120, 60, seed=4)).arcs
    opt = solve_cpsat(ap, time_limit=30)
    keep = greedy(ap)
    for solver in ("highs", "pdlp"):
        got = restricted_lp(ap, keep, solver=solver, time_limit=5)
        assert got is not None
        b, _ = lagrangian_bound(ap, got[2])
        assert b >= opt.values[0] - 1e-9


def test_schedule_units_are_each_agents_own():
    # agent 0 counts in 15 minutes (20 units), agent 1 in 7: one unit for both would have to be
    # 1 minute (300 units, too many) or coarse, and agent 0's three 105-minute arcs would fit 300
    s = np.array([0, 200, 400, 0, 100])
    load = np.array([105, 105, 105, 35, 35])
    agent = np.array([0, 0, 0, 1, 1])
    w = np.ones(5)
    val, take = schedule_values(agent, s, s + load, load, w, np.array([300, 70]), 2)
    assert val.tolist() == [2.0, 2.0]
    assert take.tolist() == [True, True, False, True, True] or take[:3].sum() == 2


def _city_ap(seed: int, nv: int = 60, nt: int = 25):
    from test_bound import with_times

    return with_times(compile_problem(generate_city(nv, nt, seed=seed)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flow_prices_are_the_flow_duals(seed):
    ap = _city_ap(seed)
    opt = solve_cpsat(ap, time_limit=20, workers=1)
    assert opt.status == SolveStatus.OPTIMAL
    fb, pr, g_const = flow_prices(ap)
    assert fb == flow_bound(ap)
    assert abs(g_const.sum() - pr.penalty_const) < 1e-9
    b, _ = lagrangian_bound(ap, pr)
    # valid, and at the flow's duals about the flow bound (the schedules are exact, per-day rows relaxed)
    assert opt.values[0] - 1e-9 <= b <= fb * 1.01
    assert lagrangian_bound(ap, Prices.zero(ap))[0] > fb * 1.01  # (which no prices at all are not)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lp_prices_give_a_bound_between_optimum_and_lp(seed):
    ap = _city_ap(seed)
    opt = solve_cpsat(ap, time_limit=20, workers=1)
    assert opt.status == SolveStatus.OPTIMAL
    got = lp_prices(ap)
    assert got is not None
    lb, x, pr = got
    assert lb == lp_bound(ap)
    assert x.min() >= 0 and x.max() <= 1
    b, _ = lagrangian_bound(ap, pr)
    # every row priced at LP-optimal duals: the exact schedules can only gain integrality
    assert opt.values[0] - 1e-9 <= b <= lb + 1e-6


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_volunteers=5, max_tasks=4))
def test_flow_and_lp_prices_never_below_optimum(problem):
    from test_bound import with_times

    c = compile_problem(problem)
    ap = with_times(c)
    opt = solve_cpsat(ap, time_limit=10, workers=1)
    if opt.status != SolveStatus.OPTIMAL:
        return
    lv = ap.levels[0]
    if lv.sense != "max" or lv.has_share or (lv.coef < 0).any():
        return
    _, pr, _ = flow_prices(ap)
    assert lagrangian_bound(ap, pr)[0] >= opt.values[0] - 1e-9
    got = lp_prices(ap)
    if got is not None:
        assert lagrangian_bound(ap, got[2])[0] >= opt.values[0] - 1e-9
