"""One test per hard rule: a problem where that rule alone decides who serves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from vmatch import (
    InfeasibleError,
    Location,
    Problem,
    Requirement,
    Settings,
    Task,
    TimeWindow,
    Volunteer,
    WeeklyRule,
)
from vmatch.result import Status
from vmatch.solve import solve
from vmatch.verify import verify

UTC = UTC
CST = timezone(timedelta(hours=8))
HOME = Location(30.60, 114.30)


def at(h: int, m: int = 0, day: int = 5, tz: timezone = UTC) -> datetime:
    return datetime(2026, 12, day, h, m, tzinfo=tz)


def win(h0: int, h1: int, day: int = 5, tz: timezone = UTC) -> TimeWindow:
    return TimeWindow(at(h0, day=day, tz=tz), at(h1, day=day, tz=tz))


def task(tid: str, h0: int = 9, h1: int = 10, **kw: object) -> Task:
    kw.setdefault("location", HOME)
    return Task(tid, window=win(h0, h1), **kw)  # type: ignore[arg-type]


def vol(vid: str, **kw: object) -> Volunteer:
    kw.setdefault("location", HOME)
    return Volunteer(vid, **kw)  # type: ignore[arg-type]


def run(p: Problem) -> dict[str, list[str]]:
    r = solve(p, time_limit=5)
    assert r.status == Status.OPTIMAL
    assert verify(p, r) == []
    return {k: sorted(v) for k, v in r.by_task().items()}


def test_skill_level_decides() -> None:
    p = Problem((vol("low", skills={"care": 1}), vol("high", skills={"care": 2})), (task("t", skills={"care": 2}),))
    assert run(p) == {"t": ["high"]}


def test_composition_needs_one_first_aider() -> None:
    # two places, one must hold first_aid; only one of the three has it
    vs = (vol("a"), vol("b"), vol("fa", skills={"first_aid": 1}, location=Location(30.62, 114.30)))
    p = Problem(vs, (task("t", headcount=2, min_headcount=2, requirements=(Requirement("first_aid", 1, 1),)),))
    got = run(p)
    assert "fa" in got["t"] and len(got["t"]) == 2


def test_composition_impossible_leaves_task_empty() -> None:
    p = Problem((vol("a"), vol("b")), (task("t", headcount=2, requirements=(Requirement("x", 1, 1),)),))
    r = solve(p, time_limit=5)
    assert r.assignments == ()
    assert r.unassigned["t"].missing == 2


def test_certificate_expiry_on_end_date() -> None:
    # the task ends 2026-12-05 10:00 UTC; expiring that day is still valid
    vs = (
        vol("exp_before", certificates={"safety": date(2026, 12, 4)}),
        vol("exp_same_day", certificates={"safety": date(2026, 12, 5)}, location=Location(30.7, 114.3)),
    )
    p = Problem(vs, (task("t", certificates=("safety",)),))
    assert run(p) == {"t": ["exp_same_day"]}


def test_certificate_local_date_in_time_zone() -> None:
    # 23:00-23:30 UTC on the 5th is 07:00 on the 6th in Shanghai: expiry on the 5th is too early
    p = Problem(
        (vol("v", certificates={"safety": date(2026, 12, 5)}),),
        (Task("t", HOME, TimeWindow(at(23), at(23, 30)), certificates=("safety",)),),
        Settings(timezone="Asia/Shanghai"),
    )
    r = solve(p, time_limit=5)
    assert r.assignments == ()
    assert r.unassigned["t"].reasons["certificate"] == 1


def test_attribute_any_allowed_value() -> None:
    vs = (
        vol("zh", attributes={"language": {"zh"}}),
        vol("yue", attributes={"language": {"zh", "yue"}}, location=Location(30.7, 114.3)),
    )
    p = Problem(vs, (task("t", attributes={"language": frozenset({"yue", "en"})}),))
    assert run(p) == {"t": ["yue"]}


def test_availability_weekly_rule_in_problem_zone() -> None:
    # Saturday 09:00-12:00 Shanghai is 01:00-04:00 UTC
    vs = (
        vol("sat_morning", weekly=(WeeklyRule((6,), time(9), time(12)),)),
        vol("sun_only", weekly=(WeeklyRule((7,), time(0), time(0)),)),
    )
    p = Problem(vs, (Task("t", HOME, TimeWindow(at(2), at(3))),), Settings(timezone="Asia/Shanghai"))
    assert run(p) == {"t": ["sat_morning"]}


def test_availability_touching_windows_join() -> None:
    # 9-10 and 10-11 join into 9-11, so a 9:30-10:30 task fits
    v = vol("v", availability=(win(9, 10), win(10, 11)))
    p = Problem((v,), (Task("t", HOME, TimeWindow(at(9, 30), at(10, 30))),))
    assert run(p) == {"t": ["v"]}


def test_no_double_booking_overlap() -> None:
    p = Problem((vol("v"),), (task("a", 9, 11, priority=1), task("b", 10, 12, priority=2)))
    assert run(p) == {"b": ["v"]}


def test_travel_time_between_sites() -> None:
    far = Location(30.60, 114.40)  # ~9.6 km east: 39 minutes at 15 km/h
    vs = (vol("v", location=Location(30.60, 114.35)),)
    p = Problem(
        vs,
        (
            task("a", 9, 10),
            Task("b", far, TimeWindow(at(10, 15), at(11))),
        ),
    )
    r = solve(p, time_limit=5)
    assert len(r.assignments) == 1
    p2 = Problem(
        vs,
        (
            task("a", 9, 10),
            Task("b", far, TimeWindow(at(10, 45), at(11, 30))),
        ),
    )
    assert run(p2) == {"a": ["v"], "b": ["v"]}


def test_workload_horizon_and_day() -> None:
    ts = (task("a", 9, 10), task("b", 11, 12), task("c", 13, 14, priority=2))
    assert run(Problem((vol("v", max_minutes=60),), ts)) == {"c": ["v"]}
    got = run(Problem((vol("v", max_minutes_per_day=120),), ts))
    assert sum(len(x) for x in got.values()) == 2 and "c" in got


def test_distance_own_limit_and_problem_limit() -> None:
    site = Location(30.60, 114.40)  # 9.6 km from HOME
    vs = (vol("own8", max_distance_km=8.0), vol("default", location=Location(30.6, 114.31)))
    p = Problem(vs, (Task("t", site, win(9, 10), headcount=2),), Settings(max_distance_km=10.0))
    assert run(p) == {"t": ["default"]}
    p2 = Problem(vs, (Task("t", site, win(9, 10), headcount=2),), Settings(max_distance_km=5.0))
    assert run(p2) == {}


def test_min_headcount_all_or_nothing() -> None:
    p = Problem((vol("a"), vol("b")), (task("t", headcount=3, min_headcount=3),))
    r = solve(p, time_limit=5)
    assert r.assignments == () and r.unassigned["t"].missing == 3
    p2 = Problem((vol("a"), vol("b"), vol("c")), (task("t", headcount=3, min_headcount=3),))
    assert run(p2) == {"t": ["a", "b", "c"]}


def test_headcount_upper_bound() -> None:
    p = Problem(tuple(vol(f"v{i}") for i in range(5)), (task("t", headcount=2),))
    assert len(run(p)["t"]) == 2


def test_flexible_start_shared_by_assignees() -> None:
    # a available 9-10, b available 9:30-10:30; the 9-11 window, 30 minutes, two people: 9:30 only
    vs = (vol("a", availability=(win(9, 10),)), vol("b", availability=(TimeWindow(at(9, 30), at(10, 30)),)))
    t = Task("t", HOME, win(9, 11), duration=timedelta(minutes=30), headcount=2, min_headcount=2)
    p = Problem(vs, (t,))
    r = solve(p, time_limit=5)
    assert {a.start for a in r.assignments} == {at(9, 30)}
    assert len(r.assignments) == 2 and verify(p, r) == []


def test_pinned_and_forbidden() -> None:
    vs = (vol("near"), vol("far", location=Location(30.65, 114.30)))
    ts = (task("t"),)
    assert run(Problem(vs, ts)) == {"t": ["near"]}  # less travel
    assert run(Problem(vs, ts, pinned=(("far", "t"),))) == {"t": ["far"]}
    assert run(Problem(vs, ts, forbidden=(("near", "t"),))) == {"t": ["far"]}


def test_pinned_pair_breaking_a_rule_is_infeasible() -> None:
    p = Problem((vol("v"),), (task("t", skills={"x": 1}),), pinned=(("v", "t"),))
    with pytest.raises(InfeasibleError) as e:
        solve(p)
    assert "pinned v->t" in e.value.conflict


def test_priority_first_then_travel() -> None:
    # one volunteer, two overlapping tasks: the higher priority wins despite being farther
    far = Location(30.65, 114.30)
    p = Problem((vol("v"),), (task("near", priority=1), Task("far", far, win(9, 10), priority=2)))
    r = solve(p, time_limit=5)
    assert r.by_task() == {"far": ["v"]}
    assert r.breakdown["coverage"] == 2.0
    assert r.unassigned["near"].reasons == {"busy": 1}
