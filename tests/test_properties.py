"""Hypothesis properties over small generated problems."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings

from strategies import problems
from vmatch.model import Problem
from vmatch.result import Assignment, Result, Shortfall, Status
from vmatch.solve import solve
from vmatch.verify import check_objective, verify

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_every_solution_passes_verify_and_objective_recomputes(p: Problem) -> None:
    r = solve(p, time_limit=5, workers=1)
    assert r.status == Status.OPTIMAL
    assert verify(p, r) == []
    again = check_objective(p, r)
    for k in ("coverage", "places_filled", "places_asked", "tasks_served", "tasks"):
        assert r.breakdown[k] == again[k], k
    assert abs(r.breakdown["travel_km"] - again["travel_km"]) < 1e-6
    assert r.objective == r.breakdown["coverage"] == r.bound


def _starts(p: Problem, tid: str) -> list:
    t = p.task(tid)
    step = timedelta(minutes=p.settings.time_step_minutes)
    dur = t.duration or (t.window.end - t.window.start)
    out, s = [], t.window.start
    while s + dur <= t.window.end:
        out.append(s)
        s += step
    return out


def brute_force_coverage(p: Problem) -> float:
    """Best coverage over every start choice and every volunteer-to-task subset, checked by verify."""
    tids = [t.id for t in p.tasks]
    best = 0.0
    for starts in itertools.product(*(_starts(p, t) for t in tids)):
        start_of = dict(zip(tids, starts, strict=True))
        per_vol = [
            list(itertools.chain.from_iterable(itertools.combinations(tids, k) for k in range(len(tids) + 1)))
            for _ in p.volunteers
        ]
        for choice in itertools.product(*per_vol):
            asg = [Assignment(v.id, t, start_of[t]) for v, ts in zip(p.volunteers, choice, strict=True) for t in ts]
            cov = sum(p.task(a.task).priority for a in asg)
            if cov <= best:
                continue
            filled = {t: 0 for t in tids}
            for a in asg:
                filled[a.task] += 1
            short = {t: Shortfall(t, p.task(t).headcount - n) for t, n in filled.items() if n < p.task(t).headcount}
            if not verify(p, Result(Status.FEASIBLE, assignments=tuple(asg), unassigned=short)):
                best = cov
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_volunteers=3, max_tasks=2))
def test_coverage_equals_brute_force_optimum(p: Problem) -> None:
    r = solve(p, time_limit=5, workers=1)
    assert r.breakdown["coverage"] == brute_force_coverage(p)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_lns_path_is_feasible_and_bounded(p: Problem) -> None:
    exact = solve(p, time_limit=5, workers=1, method="cpsat")
    r = solve(p, time_limit=0.5, workers=1, method="lns")
    assert r.status.has_solution
    assert verify(p, r) == []
    assert r.breakdown["coverage"] <= exact.breakdown["coverage"]
    assert r.bound >= exact.breakdown["coverage"]  # the bound is valid for the full problem
    assert r.stats["solver"] in ("lns", "cpsat")
