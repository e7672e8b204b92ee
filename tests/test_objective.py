"""Objective terms, lexicographic order and weights (issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import problems
from vmatch import Location, ModelError, Problem, Task, TimeWindow, Volunteer
from vmatch.objective import Objective
from vmatch.result import Status
from vmatch.solve import solve
from vmatch.verify import verify

HOME = Location(30.6, 114.3)


def at(h: int, d: int = 5) -> datetime:
    return datetime(2026, 12, d, h, tzinfo=UTC)


def shifts(n: int) -> tuple[Task, ...]:
    return tuple(Task(f"t{i}", HOME, TimeWindow(at(8 + 2 * i), at(9 + 2 * i))) for i in range(n))


def test_fairness_spreads_load_over_equal_volunteers() -> None:
    vs = (Volunteer("a", HOME, max_minutes=240), Volunteer("b", HOME, max_minutes=240))
    p = Problem(vs, shifts(4))
    r = solve(p, time_limit=5)
    assert r.breakdown["coverage"] == 4
    loads = {v: len(ts) for v, ts in r.by_volunteer().items()}
    assert loads == {"a": 2, "b": 2}
    assert r.breakdown["load_max_share"] == 500  # 120 of 240 minutes
    assert [lv.name for lv in r.levels] == ["coverage", "fairness", "equity", "travel"]


def test_equity_prefers_fewer_hours_served() -> None:
    vs = (Volunteer("veteran", HOME, hours_served=900), Volunteer("newcomer", HOME, hours_served=10))
    p = Problem(vs, shifts(1))
    r = solve(p, time_limit=5)
    assert r.by_task() == {"t0": ["newcomer"]}


def test_weighted_travel_can_outweigh_coverage() -> None:
    far = Location(30.6, 114.5)  # ~19 km
    p = Problem((Volunteer("v", far),), shifts(1))
    assert len(solve(p, time_limit=5).assignments) == 1  # coverage first by default
    r = solve(p, time_limit=5, objective=Objective(weights={"coverage": 1, "travel": 1}))
    assert r.assignments == ()
    r = solve(p, time_limit=5, objective=Objective(weights={"coverage": 100, "travel": 1}))
    assert len(r.assignments) == 1


def test_preference_continuity_reliability_terms() -> None:
    vs = tuple(Volunteer(v, HOME, rating=rt) for v, rt in (("a", 3.0), ("b", 4.9), ("c", 2.0)))
    t = Task("t0", HOME, TimeWindow(at(8), at(9)), requester="r1")
    base = Problem(vs, (t,))
    assert solve(base, objective=Objective(("coverage", "reliability"))).by_task() == {"t0": ["b"]}
    p = Problem(vs, (t,), previous=(("c", "r1"),))
    r = solve(p, objective=Objective(("coverage", "continuity", "reliability")))
    assert r.by_task() == {"t0": ["c"]} and r.breakdown["continuity"] == 1
    p = Problem(vs, (t,), preferences={("a", "t0"): 5.0})
    r = solve(p, objective=Objective(("coverage", "preference")))
    assert r.by_task() == {"t0": ["a"]} and r.breakdown["preference"] == 5.0
    assert r.terms_by_volunteer["preference"] == {"a": 5.0}
    assert r.terms_by_task["coverage"] == {"t0": 1.0}


def test_objective_parse_and_refusals() -> None:
    assert Objective.parse("coverage,travel").levels() == (("coverage",), ("travel",))
    assert Objective.parse(weights="coverage=1000,travel=1").weights == {"coverage": 1000.0, "travel": 1.0}
    with pytest.raises(ModelError, match="unknown term 'speed'"):
        Objective.parse("coverage,speed")
    with pytest.raises(ModelError, match="weights"):
        Objective.parse(weights="coverage=lots")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_later_levels_never_cost_coverage(p: Problem) -> None:
    only = solve(p, time_limit=5, workers=1, objective=Objective(("coverage",)))
    full = solve(p, time_limit=5, workers=1)
    assert full.status == Status.OPTIMAL and only.status == Status.OPTIMAL
    assert full.breakdown["coverage"] == only.breakdown["coverage"]
    assert verify(p, full) == []
    for lv in full.levels:
        assert lv.gap == 0.0, lv


def test_fairness_level_reports_value_and_bound() -> None:
    vs = (Volunteer("a", HOME, max_minutes=600), Volunteer("b", HOME, max_minutes=120))
    p = Problem(vs, shifts(3))
    r = solve(p, time_limit=5)
    fair = r.levels[1]
    assert fair.name == "fairness" and fair.value == fair.bound
    # three one-hour shifts: all on a is 180/600 = 300 per-mille; any on b is >= 500
    assert fair.value == 300 and r.breakdown["coverage"] == 3
    assert r.by_volunteer() == {"a": ["t0", "t1", "t2"]}
    assert timedelta(hours=1) == p.tasks[0].window.end - p.tasks[0].window.start
