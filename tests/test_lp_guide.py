"""The LP relaxation beside the search: its solution, the bound it gives, and the parts it guides."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from vmatch.arcs import ArcSolution, SolveStatus
from vmatch.compile import compile_problem
from vmatch.generate import generate_city
from vmatch.objective import Objective
from vmatch.solvers.bound import flow_bound
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.greedy import greedy
from vmatch.solvers.lns import solve_lns
from vmatch.solvers.lp import lp_bound, lp_relaxation, lp_relaxation_later
from vmatch.verify import verify

solve_mod = importlib.import_module("vmatch.solve")


def _city(seed: int, nv: int = 150, nt: int = 70):  # type: ignore[no-untyped-def]
    p = generate_city(nv, nt, seed=seed, days=2)
    return p, compile_problem(p, Objective(order=("coverage",)))


@pytest.mark.parametrize("seed", [0, 1])
def test_lp_relaxation_solution_matches_its_bound(seed: int) -> None:
    _, c = _city(seed)
    ap = c.arcs
    b, x = lp_relaxation(ap)
    assert x is not None and x.shape == (ap.n_arcs,)
    assert np.all(x >= -1e-9) and np.all(x <= 1 + 1e-9)
    v = float(ap.levels[0].coef @ x)
    assert math.floor(v + 1e-6) == b  # integer coefficients: the bound is the LP value rounded down
    assert b == lp_bound(ap) <= flow_bound(ap)
    # every clique row holds in the LP solution
    rows = ap.cliques
    sums = np.add.reduceat(x[rows.indices], rows.indptr[:-1]) if len(rows.indices) else np.zeros(0)
    assert np.all(sums[np.diff(rows.indptr) > 0] <= 1 + 1e-6)
    later = lp_relaxation_later(ap).result()
    assert later[0] == b


def test_tighten_takes_the_smaller_bound_and_proves_optimality() -> None:
    _, c = _city(0)
    ap = c.arcs
    arcs = np.flatnonzero(greedy(ap))
    v = float(ap.levels[0].coef[arcs].sum())
    sol = ArcSolution(SolveStatus.FEASIBLE, arcs, np.unique(ap.arc_job[arcs]), (v,), (v + 10.0,))
    t = solve_mod.tighten(ap, sol, v + 3.0)
    assert t.bounds == (v + 3.0,) and t.status == SolveStatus.FEASIBLE
    assert solve_mod.tighten(ap, sol, v + 20.0).bounds == (v + 10.0,)
    assert solve_mod.tighten(ap, sol, v).status == SolveStatus.OPTIMAL
    assert solve_mod.tighten(ap, sol, math.inf) is sol


@pytest.mark.parametrize("seed", [0, 1])
def test_background_bound_is_the_flow_lagrangian_then_regions(seed: int) -> None:
    import time

    from vmatch.solvers.lagrange import flow_prices, lagrangian_bound
    from vmatch.solvers.lp_regions import regional_lp_bound

    _, c = _city(seed)
    ap = c.arcs
    opt = solve_cpsat(ap, time_limit=20, workers=2)
    fb, pr, _ = flow_prices(ap)
    first = min(fb, lagrangian_bound(ap, pr)[0])
    # no time for regions: the flow's Lagrangian bound; with time: the regions' bound too
    assert solve_mod.background_bound(ap, time.perf_counter()).smallest(wait=60) == first  # type: ignore[union-attr]
    later = solve_mod.background_bound(ap, time.perf_counter() + 60).smallest(wait=90)  # type: ignore[union-attr]
    assert later == min(first, regional_lp_bound(ap))
    assert opt.values[0] <= later


def _lp_city():  # type: ignore[no-untyped-def]
    """A city with its LP relaxation's arc values and the greedy start, for the LP-guided searches."""
    p, c = _city(2, 300, 150)
    _, x = lp_relaxation(c.arcs)
    assert x is not None
    return p, c, c.arcs, x, greedy(c.arcs)


@pytest.mark.parametrize("lanes", [1, 2])
def test_lns_guided_by_the_lp_stays_feasible_and_uses_lp_parts(lanes: int) -> None:
    p, c, ap, x, start = _lp_city()
    sol = solve_lns(ap, time_limit=3, seed=0, workers=2, start=start, lanes=lanes, guide=lambda: x)
    assert ap.check(sol.arcs) == []
    assert sol.values[0] >= ap.levels[0].coef[start].sum()
    assert sol.stats["lns_lp_parts"] >= 1
    assert verify(p, solve_mod.decode(c, sol)) == []


def test_solve_reports_the_lp_bound_when_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    p, c = _city(3, 200, 90)
    monkeypatch.setattr(solve_mod, "FULL_MODEL_ARCS", 10)  # force the LNS path
    r = solve_mod.solve(p, time_limit=6, objective=Objective(order=("coverage",)), workers=2)
    lb = lp_bound(c.arcs)
    assert r.stats["solver"] == "lns"
    assert r.bound == min(lb, solve_mod.level_bounds(c.arcs)[0])
    assert r.objective <= r.bound
    assert verify(p, r) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regional_lp_bound_is_valid_and_between_lp_and_task_bounds(seed: int) -> None:
    from vmatch.solvers.cpsat import solve_cpsat
    from vmatch.solvers.lp_regions import group_bounds, regional_lp_bound, without_travel_rows

    _, c = _city(seed, 60, 25)
    ap = c.arcs
    opt = solve_cpsat(ap, time_limit=20, workers=1)
    assert opt.status == SolveStatus.OPTIMAL
    full = lp_bound(ap)
    assert lp_bound(without_travel_rows(ap)) >= full  # only rows are left out
    task = float(group_bounds(ap).sum())
    for k in (1, 2, 3):
        sent: list[float] = []
        b = regional_lp_bound(ap, n_regions=k, send=sent.append)
        assert opt.values[0] <= b <= task + 1e-9
        # one value per Lagrangian evaluation, never rising, the last one returned
        assert len(sent) >= 1 and sent == sorted(sent, reverse=True) and sent[-1] == b
        if k == 1:
            assert b == lp_bound(without_travel_rows(ap))
    # no time at all: no region's LP, the sum is the tasks' bounds, and the Lagrangian bound at the
    # min-cost flow's prices is at most the flow bound
    import time

    nothing = regional_lp_bound(ap, n_regions=3, deadline=time.perf_counter() - 1)
    assert opt.values[0] <= nothing <= min(task, flow_bound(ap))


def test_region_labels_are_balanced() -> None:
    from vmatch.solvers.lp_regions import region_labels

    rng = np.random.default_rng(0)
    lat, lon = rng.random(1000), rng.random(1000)
    w = rng.integers(1, 5, 1000).astype(float)
    lab = region_labels(lat, lon, w, 6)
    assert set(lab.tolist()) == set(range(6))
    load = np.bincount(lab, weights=w)
    assert load.max() <= 1.2 * load.min()


@pytest.mark.parametrize("seed", [0, 3])
def test_regions_first_gives_the_same_bound_as_flow_first(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The regions' LPs before the min-cost flow (the flow only for regions left unsolved) price
    every job as the flow-first order does; with no time at all, the tasks' bounds."""
    import time

    import vmatch.solvers.lp_regions as lr
    from vmatch.solvers.cpsat import solve_cpsat
    from vmatch.solvers.lagrange import flow_prices, lagrangian_bound

    _, c = _city(seed, 60, 25)
    ap = c.arcs
    opt = solve_cpsat(ap, time_limit=20, workers=1).values[0]
    fl = flow_prices(ap)
    task = float(lr.group_bounds(ap).sum())
    # every region solved: the flow's prices are all overwritten, only its bound remains in the min
    first = lr.regional_lp_bound(ap, n_regions=3, regions_first=True)
    assert lr.regional_lp_bound(ap, n_regions=3, flow=fl) == min(first, fl[0])
    assert opt <= first
    # one region left unsolved: its jobs take the flow's prices in both orders
    real = lr.lp_prices
    calls: list[int] = []

    def second_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return None if len(calls) % 3 == 2 else real(*args, **kwargs)

    monkeypatch.setattr(lr, "lp_prices", second_fails)
    sent: list[float] = []
    lazy = lr.regional_lp_bound(ap, n_regions=3, regions_first=True, send=sent.append)
    eager = lr.regional_lp_bound(ap, n_regions=3, regions_first=False)
    assert lazy == eager
    assert opt <= lazy <= fl[0]
    assert sent[0] == pytest.approx(task) and sent[-1] == lazy
    # no time: no LP and no flow, the tasks' bounds or the Lagrangian bound at the ceiling prices
    late = lr.regional_lp_bound(ap, n_regions=3, regions_first=True, deadline=time.perf_counter() - 1)
    assert late == pytest.approx(min(task, lagrangian_bound(ap, lr.ceiling_prices(ap))[0]))
    assert opt <= late


def test_regions_send_their_lp_values_per_group() -> None:
    from vmatch.solvers.lp_regions import regional_lp_bound

    _, c = _city(4, 80, 40)
    ap = c.arcs
    x = np.zeros(ap.n_arcs)
    got: list[tuple[np.ndarray, np.ndarray]] = []
    regional_lp_bound(ap, n_regions=3, x=x, on_region=lambda g, v: got.append((g, v)))
    assert len(got) == 3
    groups = np.concatenate([g for g, _ in got])
    assert sorted(groups.tolist()) == list(range(ap.n_groups))  # every group once
    per_group = np.bincount(ap.job_group[ap.arc_job], weights=ap.levels[0].coef * x, minlength=ap.n_groups)
    for g, v in got:
        assert np.allclose(v, per_group[g])
    assert per_group.sum() > 0


@pytest.mark.parametrize("lanes", [1, 2])
def test_lns_seeded_where_the_lp_does_better_stays_feasible(lanes: int) -> None:
    p, c, ap, x, start = _lp_city()
    lp_groups = np.bincount(ap.job_group[ap.arc_job], weights=ap.levels[0].coef * x, minlength=ap.n_groups)
    start_groups = np.bincount(ap.job_group[ap.arc_job], weights=ap.levels[0].coef * start, minlength=ap.n_groups)
    assert np.allclose(ap.group_values(np.flatnonzero(start)), start_groups)
    assert (lp_groups > start_groups + 0.5).any()  # some groups are hot at the start
    calls: list[int] = []

    def group_lp() -> np.ndarray | None:
        calls.append(1)
        return None if len(calls) < 3 else lp_groups  # known only after a few parts

    sol = solve_lns(ap, time_limit=3, seed=0, workers=2, start=start, lanes=lanes, group_lp=group_lp)
    assert len(calls) >= 3
    assert ap.check(sol.arcs) == []
    assert sol.values[0] >= ap.levels[0].coef[start].sum()
    assert verify(p, solve_mod.decode(c, sol)) == []


def test_seeds_go_to_hot_groups_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import vmatch.solvers.lns as lns

    rng = np.random.default_rng(0)
    seeds = np.arange(6, dtype=np.int64)
    visits = np.array([0, 0, 5, 0, 9, 0], np.int64)
    current = np.array([1.0, 2.0, 0.0, 3.0, 0.0, 1.0])
    lp = np.array([1.2, np.nan, 1.0, 3.0, 2.0, 1.4])  # hot: 2 and 4 (more than 0.5 above)
    monkeypatch.setattr(lns, "HOT_SHARE", 1.0)
    monkeypatch.setattr(lns, "HOT_MARGIN", 0.5)
    picks = {lns._pick_seed(seeds, visits, rng, lp, current) for _ in range(50)}
    assert picks == {2}  # the less visited of the hot ones
    # nothing hot, or no LP values: the least visited of all
    assert {lns._pick_seed(seeds, visits, rng, lp, current + 5) for _ in range(50)} == {0, 1, 3, 5}
    assert {lns._pick_seed(seeds, visits, rng, None, current) for _ in range(50)} == {0, 1, 3, 5}
    monkeypatch.setattr(lns, "HOT_SHARE", 0.0)
    assert 2 not in {lns._pick_seed(seeds, visits, rng, lp, current) for _ in range(50)}


def test_regions_behind_their_plan_get_the_flow_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regions first, but slower than planned: the flow's prices are computed while there is
    time, and the regions left unsolved take them (the bound stays valid)."""
    import time

    import vmatch.solvers.lp_regions as lr
    from vmatch.solvers.cpsat import solve_cpsat
    from vmatch.solvers.lagrange import flow_prices

    _, c = _city(5, 60, 25)
    ap = c.arcs
    opt = solve_cpsat(ap, time_limit=20, workers=1).values[0]
    real_lp, flows = lr.lp_prices, []

    def slow_lp(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return real_lp(*args, **kwargs)

    def counted_flow(*args, **kwargs):  # type: ignore[no-untyped-def]
        flows.append(1)
        return flow_prices(*args, **kwargs)

    monkeypatch.setattr(lr, "lp_prices", slow_lp)
    monkeypatch.setattr(lr, "flow_prices", counted_flow)
    sent: list[float] = []
    b = lr.regional_lp_bound(ap, n_regions=4, regions_first=True, deadline=time.perf_counter() + 2.6, send=sent.append)
    assert flows == [1]  # once, in the middle (after the first region, the rest would not fit)
    assert opt <= b <= sent[0]
    assert sent == sorted(sent, reverse=True) and sent[-1] == b
    # with time to spare, no flow at all
    flows.clear()
    lr.regional_lp_bound(ap, n_regions=2, regions_first=True, deadline=time.perf_counter() + 60)
    assert flows == []


def test_solve_gives_the_search_the_lp_values_per_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the LNS path with the whole LP in-process, the search's ``group_lp`` gives the LP's
    coverage per group once the LP is solved."""
    p, _ = _city(3, 200, 90)
    monkeypatch.setattr(solve_mod, "FULL_MODEL_ARCS", 10)  # force the LNS path
    real, seen = solve_mod.solve_lns, []

    def spy(ap, **kw):  # type: ignore[no-untyped-def]
        sol = real(ap, **kw)
        seen.append((ap, kw["group_lp"]()))  # after the search: the LP has been solved
        return sol

    monkeypatch.setattr(solve_mod, "solve_lns", spy)
    r = solve_mod.solve(p, time_limit=6, objective=Objective(order=("coverage",)), workers=2)
    assert verify(p, r) == []
    ((ap, values),) = seen
    _, x = lp_relaxation(ap)
    assert values is not None and x is not None
    expect = np.bincount(ap.job_group[ap.arc_job], weights=ap.levels[0].coef * x, minlength=ap.n_groups)
    assert values.sum() == pytest.approx(expect.sum(), rel=1e-6)  # the LP's value, spread over the groups
    assert values.sum() == pytest.approx(lp_bound(ap), abs=1.0)
