"""Infeasible requests: solve raises InfeasibleError with an irreducible conflicting set."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from vmatch import InfeasibleError, Location, Problem, Requirement, Task, TimeWindow, Volunteer
from vmatch.solve import solve
from vmatch.verify import verify

HOME = Location(30.6, 114.3)
W = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=UTC), datetime(2026, 12, 5, 10, tzinfo=UTC))


def conflict_of(p: Problem) -> tuple[str, ...]:
    with pytest.raises(InfeasibleError) as e:
        solve(p, time_limit=5)
    return e.value.conflict


def feasible(p: Problem) -> bool:
    r = solve(p, time_limit=5)
    return r.status.has_solution and verify(p, r) == []


def test_pinned_volunteer_in_two_places_at_once() -> None:
    vs = (Volunteer("v", HOME), Volunteer("w", HOME))
    ts = (Task("a", HOME, W), Task("b", HOME, W), Task("c", HOME, W))
    p = Problem(vs, ts, pinned=(("v", "a"), ("v", "b"), ("w", "c")))
    got = conflict_of(p)
    assert got == ("pinned v->a", "pinned v->b")
    for drop in (("v", "a"), ("v", "b")):
        assert feasible(replace(p, pinned=tuple(x for x in p.pinned if x != drop)))


def test_pinned_with_unreachable_min_headcount() -> None:
    vs = (Volunteer("v", HOME), Volunteer("w", HOME))
    t = Task("t", HOME, W, headcount=3, min_headcount=3)
    p = Problem(vs, (t,), pinned=(("v", "t"),))
    got = conflict_of(p)
    assert set(got) == {"pinned v->t", "min_headcount t (3)"}
    assert feasible(replace(p, pinned=()))
    assert feasible(replace(p, tasks=(replace(t, min_headcount=1),)))


def test_pinned_with_impossible_composition() -> None:
    vs = (Volunteer("v", HOME), Volunteer("w", HOME))
    t = Task("t", HOME, W, headcount=2, requirements=(Requirement("first_aid", 1, 1),))
    p = Problem(vs, (t,), pinned=(("v", "t"),))
    got = conflict_of(p)
    assert set(got) == {"pinned v->t", "composition t: 1 x first_aid>=1"}
    assert feasible(replace(p, pinned=()))
    assert feasible(replace(p, tasks=(replace(t, requirements=()),)))
