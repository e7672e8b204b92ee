"""Tests of the menu's schedule programme, its Lagrangian bound and column generation.

The programme is checked against brute force (every subset of a few arcs per agent, the rules
written out again here), the bounds against CP-SAT optima of small menus (never below them, at
any prices).
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmatch.gen.menu import generate_menu
from vmatch.geo import haversine_km, travel_minutes
from vmatch.menu.bounds import (
    DEPTH,
    BoundJob,
    arc_data,
    colgen_bound,
    flow_group_prices,
    menu_bounds,
    menu_bounds_and_wanted,
    menu_shaped,
    persons,
    provider_data,
    schedule_bound,
    schedule_bound_and_wanted,
)
from vmatch.menu.colgen import FINAL, column_generation
from vmatch.menu.compile import menu_to_problem
from vmatch.menu.elementary import ArcData, elementary_schedules
from vmatch.menu.people import compile_people
from vmatch.menu.respond import best_responses
from vmatch.menu.schedules import best_schedules
from vmatch.solve import level_bounds
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.greedy import greedy

SPEED = 15.0


@st.composite
def arc_sets(draw: st.DrawFn) -> ArcData:
    """Up to three agents with up to seven arcs each: 30-min grid starts, 30-90 min, sites within
    about 6 km, a few orders (some with several starts), loads 1-2 and capacities 1-4 or none; or
    agents that are providers with two offers, each with its own capacity."""
    n_agents = draw(st.integers(1, 3))
    providers = draw(st.booleans())  # agents with one or two offers, each with its own capacity
    agent, offer, start, dur, lat, lon, group, load = [], [], [], [], [], [], [], []
    for a in range(n_agents):
        for _ in range(draw(st.integers(0, 7))):
            agent.append(a)
            offer.append(2 * a + (draw(st.integers(0, 1)) if providers else 0))
            start.append(30 * draw(st.integers(0, 12)))
            dur.append(draw(st.sampled_from([30, 45, 60, 90])))
            g = draw(st.integers(0, 5))
            group.append(g)
            lat.append(30.5 + 0.01 * g)  # one site per order
            lon.append(114.3 + 0.02 * (g % 3))
            load.append(draw(st.integers(1, 2)))
    cap = [draw(st.sampled_from([-1, 1, 2, 3, 4])) for _ in range(2 * n_agents if providers else n_agents)]
    s = np.asarray(start, np.int64)
    off = np.asarray(offer, np.int64) if providers else None
    if not providers:
        cap = cap[:n_agents]
    return ArcData(
        np.asarray(agent, np.int64),
        s,
        s + np.asarray(dur, np.int64),
        np.asarray(lat, np.float64),
        np.asarray(lon, np.float64),
        np.asarray(group, np.int64),
        np.asarray(load, np.int64),
        np.asarray(cap, np.int64),
        n_agents,
        SPEED,
        off,
    )


def _fits(data: ArcData, arcs: tuple[int, ...], repeats: bool) -> bool:
    """One agent's arcs as a schedule: each order once (unless ``repeats``), the load within the
    capacity, and one after another with the trip between the sites in between."""
    if not arcs:
        return True
    owner = data.agent if data.offer is None else data.offer
    for o in {int(owner[i]) for i in arcs}:
        mine = [i for i in arcs if owner[i] == o]
        if data.capacity[o] >= 0 and int(data.load[mine].sum()) > data.capacity[o]:
            return False
    if not repeats and len({int(data.group[i]) for i in arcs}) < len(arcs):
        return False
    for i, j in itertools.combinations(arcs, 2):
        first, then = (i, j) if data.start[i] <= data.start[j] else (j, i)
        gap = int(data.start[then] - data.end[first])
        km = haversine_km(data.lat[first], data.lon[first], data.lat[then], data.lon[then])
        same = data.group[first] == data.group[then]
        if gap < (0 if same else int(travel_minutes(km, SPEED))):
            return False
    return True


def _brute(data: ArcData, w: np.ndarray, repeats: bool) -> np.ndarray:
    out = np.zeros(data.n_agents)
    for a in range(data.n_agents):
        mine = np.flatnonzero(data.agent == a).tolist()
        for k in range(len(mine) + 1):
            for sub in itertools.combinations(mine, k):
                if _fits(data, sub, repeats):
                    out[a] = max(out[a], float(w[list(sub)].sum()))
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arc_sets(), st.randoms(use_true_random=False))
def test_schedules_equal_brute_force(data, rnd):  # type: ignore[no-untyped-def]
    w = np.asarray([rnd.uniform(-1.0, 3.0) for _ in range(len(data.agent))])
    if not len(w):
        return
    plain, _ = best_schedules(data.timeline(), w)
    value, taken = elementary_schedules(data, w)
    assert np.allclose(value, _brute(data, w, repeats=False))
    assert np.all(plain >= value - 1e-9)  # the programme with repeats only relaxes
    for a in range(data.n_agents):
        arcs = tuple(np.flatnonzero(taken & (data.agent == a)).tolist())
        assert _fits(data, arcs, repeats=False)
        assert np.isclose(w[list(arcs)].sum() if arcs else 0.0, value[a])


def _menu(n_orders: int, n_offers: int, seed: int):  # type: ignore[no-untyped-def]
    c = compile_people(menu_to_problem(generate_menu(n_orders, n_offers, seed=seed))[0])
    return c, dataclasses.replace(c.arcs, levels=c.arcs.levels[:1])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(40, 90), st.randoms(use_true_random=False))
def test_schedule_bound_never_below_the_optimum(seed, n_orders, rnd):  # type: ignore[no-untyped-def]
    c, ap = _menu(n_orders, n_orders // 3, seed)
    assert menu_shaped(ap)
    opt = solve_cpsat(ap, time_limit=20, workers=2)
    assert opt.status.value == "OPTIMAL"
    data = arc_data(ap, c.problem.settings.travel_speed_kmh)
    for prices in (np.zeros(ap.n_groups), np.asarray([rnd.uniform(0, 4) for _ in range(ap.n_groups)])):
        assert schedule_bound(ap, data, prices) >= opt.values[0]
    mb = menu_bounds(ap, c.problem.settings.travel_speed_kmh)[0]
    assert opt.values[0] <= mb <= level_bounds(ap)[0]


def test_column_generation_bounds_the_optimum_per_offer_and_per_person() -> None:
    c, ap = _menu(150, 50, 3)
    opt = solve_cpsat(ap, time_limit=30, workers=2)
    assert opt.status.value == "OPTIMAL"
    speed = c.problem.settings.travel_speed_kmh
    n, person = persons(ap)
    assert n < ap.n_agents  # some provider has several offers
    for data, by_person in ((arc_data(ap, speed), False), (arc_data(ap, speed, person, n), True)):
        cg = column_generation(
            ap, data, np.zeros(ap.n_arcs, bool), deadline=time.perf_counter() + 20, by_person=by_person
        )
        assert opt.values[0] <= cg.bound  # the flow bound may be smaller when few rounds fit
        assert cg.master.tolerance == FINAL  # converged (long before the deadline) at the final tolerance
        # the whole master reaches its floor: between the columns' best packing and the bound
        floor = cg.master.floor(30)
        assert floor <= cg.bound + 1e-6
        assert floor >= 0.995 * opt.values[0]  # the optimum's schedules are columns or beaten by them


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_restricted_column_generation_keeps_most_prices_and_bounds_the_optimum(seed) -> None:  # type: ignore[no-untyped-def]
    """With ``restrict``, the master prices only the orders the flow's prices get wrong; the others
    keep those prices in every bound, which stays at or above the optimum and at or below the bound
    at the flow's prices."""
    _, ap = _menu(150, 50, seed)
    opt = solve_cpsat(ap, time_limit=30, workers=2)
    assert opt.status.value == "OPTIMAL"
    data = provider_data(ap, SPEED)
    _, lam = flow_group_prices(ap)
    first = schedule_bound(ap, data, lam, max_depth=DEPTH)
    cg = column_generation(
        ap,
        data,
        greedy(ap),
        deadline=time.perf_counter() + 15,
        prices=lam,
        by_person=True,
        restrict=True,
        layers=0,
        max_depth=DEPTH,
    )
    assert 0 < cg.master.n_groups < ap.n_groups  # some orders are priced, most are not
    assert opt.values[0] <= cg.bound <= first
    assert cg.duals is not None
    kept = np.isclose(cg.duals, lam)
    assert kept.sum() >= ap.n_groups - cg.master.n_groups  # the fixed ones keep the flow's prices
    with pytest.raises(ValueError, match="restrict"):
        cg.master.floor()
    assert colgen_bound(ap, SPEED, time.perf_counter() + 15) >= opt.values[0]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_best_responses_keep_the_rules_and_never_lose(seed):  # type: ignore[no-untyped-def]
    _, ap = _menu(200, 60, seed)
    start = greedy(ap)
    for data in (arc_data(ap, SPEED), provider_data(ap, SPEED)):
        out = best_responses(ap, data, start)
        assert ap.check(np.flatnonzero(out)) == []
        assert ap.levels[0].coef[out].sum() >= ap.levels[0].coef[start].sum()


def test_bound_job_gives_the_bounds_of_the_caller() -> None:
    _, ap = _menu(120, 40, 11)
    assert BoundJob(ap, SPEED).result() == menu_bounds(ap, SPEED)
    job = BoundJob(ap, SPEED)
    job.cancel()  # the process stopped: the bounds are computed in the caller
    assert job.result() == menu_bounds(ap, SPEED)


def test_wanted_orders_are_those_of_the_agents_best_schedules() -> None:
    """At zero prices each agent takes its best schedule alone: an order is wanted (at its value)
    when one of those schedules takes it, and the wanted values add up to at most the bound (an
    order two agents want counts once there, twice in the bound). At each order's full value no
    schedule gains, so nothing is wanted and the bound is the orders' total value."""
    _, ap = _menu(150, 50, 3)
    data = provider_data(ap, SPEED)
    c = ap.levels[0].coef
    value_of = np.zeros(ap.n_groups)
    np.maximum.at(value_of, ap.job_group[ap.arc_job], c)
    bound, wanted = schedule_bound_and_wanted(ap, data, np.zeros(ap.n_groups))
    assert bound == schedule_bound(ap, data, np.zeros(ap.n_groups))
    on = wanted > 0
    assert on.sum() > 10
    assert np.array_equal(wanted[on], value_of[on])
    assert wanted.sum() <= bound + 1e-9
    val, take = elementary_schedules(data, np.asarray(c, np.float64))
    assert set(np.flatnonzero(on).tolist()) == set(data.group[take].tolist())
    assert wanted.sum() >= val.max() - 1e-9  # the best agent's orders are all wanted
    full, none = schedule_bound_and_wanted(ap, data, value_of)
    assert not none.any()
    assert full == value_of.sum()


def test_bound_job_sends_the_wanted_orders_without_waiting() -> None:
    _, ap = _menu(120, 40, 11)
    bounds, wanted = menu_bounds_and_wanted(ap, SPEED)
    assert wanted is not None and wanted.any()
    job = BoundJob(ap, SPEED)
    got = None
    for _ in range(600):  # polled, as the search does between parts
        got = job.wanted()
        if got is not None:
            break
        time.sleep(0.05)
    assert got is not None and np.array_equal(got, wanted)
    assert job.result() == bounds and job.latest() == bounds[0]
    stopped = BoundJob(ap, SPEED)
    stopped.cancel()
    assert stopped.wanted() is None  # nothing was sent, and nothing is computed without being asked
    assert stopped.result() == bounds
    got = stopped.wanted()
    assert got is not None and np.array_equal(got, wanted)


def test_bound_job_goes_on_with_column_generation_on_long_runs(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With ``until`` far enough, the process sends the column generation's better bounds after
    the first ones; without the time for it, only the first; asked early, the bound so far."""
    import vmatch.menu.bounds as bounds_mod

    _, ap = _menu(600, 150, 1)
    first = menu_bounds(ap, SPEED)
    better = colgen_bound(ap, SPEED, time.perf_counter() + 20)
    assert better < first[0]  # 523 against 525 on this menu
    monkeypatch.setattr(bounds_mod, "COLGEN_SECONDS", 0.0)  # (the process is forked: it sees this)
    job = BoundJob(ap, SPEED, until=time.perf_counter() + 6)
    for _ in range(600):
        if job.wanted() is not None:
            break
        time.sleep(0.05)
    assert job.wanted() is not None
    now = job.latest()  # without waiting: the first bound, or a better one already
    assert now is not None and better <= now <= first[0]
    time.sleep(7)
    assert job.latest() == better
    got = job.result()
    assert got[0] == better and got[1:] == first[1:]
    early = BoundJob(ap, SPEED, until=time.perf_counter() + 600)
    assert better <= early.result()[0] <= first[0]  # whatever was sent when asked; the process stops
    assert early._proc is None or not early._proc.is_alive()
    monkeypatch.setattr(bounds_mod, "COLGEN_SECONDS", 60.0)
    short = BoundJob(ap, SPEED, until=time.perf_counter() + 6)
    time.sleep(2)
    assert short.result() == first


def test_menu_search_starts_parts_from_the_wanted_orders(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The menu's search path gives the LNS the wanted orders of the bound's process."""
    from vmatch.menu import engine

    problem, _ = menu_to_problem(generate_menu(300, 90, seed=2))
    real, seen = engine.solve_lns, []

    def spy(ap, **kw):  # type: ignore[no-untyped-def]
        sol = real(ap, **kw)
        seen.append((ap, kw["group_lp"]))
        return sol

    monkeypatch.setattr(engine, "solve_lns", spy)
    engine.solve_problem(problem, time_limit=4, method="lns", workers=2)
    ((ap, group_lp),) = seen
    got = None
    for _ in range(600):
        got = group_lp()
        if got is not None:
            break
        time.sleep(0.05)
    _, wanted = menu_bounds_and_wanted(ap, problem.settings.travel_speed_kmh)
    assert got is not None and wanted is not None and np.array_equal(got, wanted)


def test_menu_search_path_keeps_the_rules_and_its_bound_holds() -> None:
    from vmatch.menu.engine import solve_problem
    from vmatch.menu.people import person_violations
    from vmatch.verify import verify

    problem, _ = menu_to_problem(generate_menu(300, 90, seed=2))
    res = solve_problem(problem, time_limit=4, method="lns", workers=2)
    assert verify(problem, res) == []
    assert person_violations(problem, res) == []
    _, ap = _menu(300, 90, 2)
    opt = solve_cpsat(ap, time_limit=30, workers=2)
    assert opt.status.value == "OPTIMAL"
    assert res.objective <= opt.values[0] <= res.bound
