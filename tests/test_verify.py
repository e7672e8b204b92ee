"""Tests of vmatch.verify: one broken and one corrected instance per hard rule, edge cases,
and a hypothesis recount of the head-count, forbidden and distance rules."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmatch.geo import haversine_km
from vmatch.model import Location, Problem, Requirement, Settings, Task, TimeWindow, Volunteer, WeeklyRule
from vmatch.result import Assignment, Result, Shortfall, Status
from vmatch.verify import RULES, Violation, check_objective, verify

SH = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST: a fixed offset gives the same instants
T9 = datetime(2026, 12, 5, 9, tzinfo=UTC)  # a Saturday
A = Location(30.0, 114.0)
B = Location(30.04, 114.0)  # 4.448 km north of A: 18 min at 15 km/h


def at(hh: int, mm: int = 0, day: int = 5, tz: Any = UTC) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=tz)


def vol(vid: str = "v1", **kw: Any) -> Volunteer:
    kw.setdefault("location", A)
    return Volunteer(vid, **kw)


def task(tid: str = "t1", start: datetime = T9, dur: int | None = 60, window: int | None = None, **kw: Any) -> Task:
    kw.setdefault("location", A)
    span = window if window is not None else (dur or 60)
    return Task(
        tid,
        window=TimeWindow(start, start + timedelta(minutes=span)),
        duration=None if dur is None else timedelta(minutes=dur),
        **kw,
    )


def prob(vols: list[Volunteer], tasks: list[Task], **kw: Any) -> Problem:
    st_kw = {k: kw.pop(k) for k in list(kw) if k in ("timezone", "max_distance_km", "time_step_minutes")}
    return Problem(tuple(vols), tuple(tasks), Settings(**st_kw), **kw)


def res(
    *asg: tuple[str, str, datetime], missing: dict[str, int] | None = None, status: Status = Status.FEASIBLE
) -> Result:
    return Result(
        status,
        assignments=tuple(Assignment(v, t, s) for v, t, s in asg),
        unassigned={t: Shortfall(t, m) for t, m in (missing or {}).items()},
    )


def got(p: Problem, r: Result) -> list[tuple[str, str | None, str | None]]:
    out = verify(p, r)
    assert all(isinstance(x, Violation) and x.rule in RULES and x.message for x in out)
    return [(x.rule, x.volunteer, x.task) for x in out]


# --- unknown ids, duplicates, status -------------------------------------------------------------


def test_unknown_ids() -> None:
    p = prob([vol()], [task()])
    assert got(p, res(("v1", "t1", T9), ("v9", "t1", T9))) == [("unknown_id", "v9", "t1")]
    assert got(p, res(("v1", "t1", T9), ("v1", "t9", T9))) == [("unknown_id", "v1", "t9")]
    assert got(p, res(("v1", "t1", T9), missing={"t9": 1})) == [("unknown_id", None, "t9")]
    assert got(p, res(("v1", "t1", T9))) == []


def test_duplicate_pair_counts_once() -> None:
    p = prob([vol()], [task()])
    assert got(p, res(("v1", "t1", T9), ("v1", "t1", T9))) == [("duplicate", "v1", "t1")]


def test_status_without_solution() -> None:
    p = prob([vol()], [task()], pinned=(("v1", "t1"),))
    assert got(p, res(status=Status.INFEASIBLE)) == []
    assert got(p, res(status=Status.UNKNOWN)) == []
    assert got(p, res(status=Status.OPTIMAL)) == [("unassigned", None, "t1"), ("pinned", "v1", "t1")]
    # assignments are checked whatever the status
    p2 = prob([vol(skills={})], [task(skills={"x": 1})])
    assert got(p2, res(("v1", "t1", T9), status=Status.UNKNOWN)) == [("skill", "v1", "t1")]


# --- start -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "ok"),
    [
        (at(9), True),
        (at(9, 15), True),
        (at(11), True),
        (at(9, 10), False),
        (at(8, 45), False),
        (at(11, 15), False),
    ],
)
def test_flexible_start_on_grid_and_inside_window(start: datetime, ok: bool) -> None:
    p = prob([vol()], [task(dur=60, window=180)])  # window 09:00-12:00, step 15
    assert got(p, res(("v1", "t1", start))) == ([] if ok else [("start", "v1", "t1")])


def test_start_grid_counts_from_window_start_in_any_offset() -> None:
    p = prob([vol()], [task(start=at(9, 5, tz=SH), dur=30, window=120)], time_step_minutes=20)
    assert got(p, res(("v1", "t1", at(1, 45)))) == []  # 09:45+08:00 = 09:05 + 2 * 20 min
    assert got(p, res(("v1", "t1", at(1, 35)))) == [("start", "v1", "t1")]


def test_whole_window_task_starts_at_window_start() -> None:
    p = prob([vol()], [task(dur=None, window=120)])
    assert got(p, res(("v1", "t1", at(9)))) == []
    assert got(p, res(("v1", "t1", at(9, 15)))) == [("start", "v1", "t1")]


def test_assignees_share_one_start() -> None:
    p = prob([vol("v1"), vol("v2")], [task(dur=60, window=180, headcount=2)])
    assert got(p, res(("v1", "t1", at(9)), ("v2", "t1", at(9, 15)))) == [("start", None, "t1")]
    assert got(p, res(("v1", "t1", at(9, 15)), ("v2", "t1", at(9, 15)))) == []
    # the same instant written in two offsets is one start
    assert got(p, res(("v1", "t1", at(9, 15)), ("v2", "t1", at(17, 15, tz=SH)))) == []


def test_naive_start_is_reported() -> None:
    p = prob([vol()], [task()])
    assert got(p, res(("v1", "t1", datetime(2026, 12, 5, 9)))) == [("start", "v1", "t1")]


# --- skills, composition, certificates, attributes ---------------------------------------------------


def test_skill_levels() -> None:
    t = task(skills={"first_aid": 2, "driving": 1})
    assert got(prob([vol(skills={"first_aid": 1, "driving": 1})], [t]), res(("v1", "t1", T9))) == [
        ("skill", "v1", "t1")
    ]
    assert got(prob([vol(skills={"first_aid": 3})], [t]), res(("v1", "t1", T9))) == [("skill", "v1", "t1")]
    assert got(prob([vol(skills={"first_aid": 2, "driving": 5})], [t]), res(("v1", "t1", T9))) == []


def test_composition() -> None:
    t = task(headcount=2, requirements=(Requirement("first_aid", 2, 1),))
    r = res(("v1", "t1", T9), ("v2", "t1", T9))
    bad = prob([vol("v1", skills={"first_aid": 1}), vol("v2")], [t])
    assert got(bad, r) == [("composition", None, "t1")]
    good = prob([vol("v1", skills={"first_aid": 2}), vol("v2")], [t])
    assert got(good, r) == []
    # an unserved task needs no composition, only its shortfall report
    assert got(bad, res(missing={"t1": 2})) == []


@pytest.mark.parametrize(
    ("expiry", "ok"),
    [(None, True), (date(2026, 12, 5), True), (date(2027, 1, 1), True), (date(2026, 12, 4), False)],
)
def test_certificate_expiry_on_end_date(expiry: date | None, ok: bool) -> None:
    p = prob([vol(certificates={"safety": expiry})], [task(certificates=("safety",))])
    assert got(p, res(("v1", "t1", T9))) == ([] if ok else [("certificate", "v1", "t1")])


def test_certificate_missing() -> None:
    p = prob([vol(certificates={"other": None})], [task(certificates=("safety",))])
    assert got(p, res(("v1", "t1", T9))) == [("certificate", "v1", "t1")]


def test_certificate_local_end_date() -> None:
    # 23:00-00:00 local (Shanghai) ends at local midnight: the end date is Dec 6
    t = task(start=at(23, tz=SH), dur=60, certificates=("safety",))
    r = res(("v1", "t1", at(15)))
    for expiry, tz, ok in [
        (date(2026, 12, 5), "Asia/Shanghai", False),
        (date(2026, 12, 6), "Asia/Shanghai", True),
        (date(2026, 12, 5), "UTC", True),  # 15:00-16:00 UTC ends on Dec 5 in UTC
    ]:
        p = prob([vol(certificates={"safety": expiry})], [t], timezone=tz)
        assert got(p, r) == ([] if ok else [("certificate", "v1", "t1")]), (expiry, tz)


def test_attributes() -> None:
    t = task(attributes={"language": frozenset({"yue", "en"})})
    r = res(("v1", "t1", T9))
    assert got(prob([vol()], [t]), r) == [("attribute", "v1", "t1")]
    assert got(prob([vol(attributes={"language": {"zh"}})], [t]), r) == [("attribute", "v1", "t1")]
    assert got(prob([vol(attributes={"gender": {"f"}})], [t]), r) == [("attribute", "v1", "t1")]
    assert got(prob([vol(attributes={"language": {"zh", "yue"}})], [t]), r) == []


# --- availability -----------------------------------------------------------------------------------


def tw(a: datetime, b: datetime) -> TimeWindow:
    return TimeWindow(a, b)


def test_always_available_without_windows() -> None:
    assert got(prob([vol()], [task()]), res(("v1", "t1", T9))) == []


def test_touching_one_off_windows_join() -> None:
    t = task(start=at(9, 30), dur=60)
    r = res(("v1", "t1", at(9, 30)))
    joined = vol(availability=(tw(at(9), at(10)), tw(at(10), at(11))))
    assert got(prob([joined], [t]), r) == []
    gap = vol(availability=(tw(at(9), at(10)), tw(at(10, 1), at(11))))
    assert got(prob([gap], [t]), r) == [("availability", "v1", "t1")]
    short = vol(availability=(tw(at(9), at(10, 29)),))
    assert got(prob([short], [t]), r) == [("availability", "v1", "t1")]


def test_weekly_plus_one_off_joined_across_pieces() -> None:
    v = vol(weekly=(WeeklyRule((6,), time(9), time(17)),), availability=(tw(at(17), at(20)),))
    t = task(start=at(16), dur=120)  # Sat 16:00-18:00
    assert got(prob([v], [t]), res(("v1", "t1", at(16)))) == []
    t2 = task(start=at(16), dur=300)  # Sat 16:00-21:00 runs past 20:00
    assert got(prob([v], [t2]), res(("v1", "t1", at(16)))) == [("availability", "v1", "t1")]
    v_sun = vol(weekly=(WeeklyRule((7,), time(9), time(17)),), availability=(tw(at(17), at(20)),))
    assert got(prob([v_sun], [t]), res(("v1", "t1", at(16)))) == [("availability", "v1", "t1")]


def test_weekly_rule_in_shanghai_with_task_in_utc() -> None:
    v = vol(weekly=(WeeklyRule((6,), time(9), time(17)),))
    p = prob([v], [task(start=at(1), dur=60)], timezone="Asia/Shanghai")  # 09:00-10:00 Shanghai, Saturday
    assert got(p, res(("v1", "t1", at(1)))) == []
    p_utc = prob([v], [task(start=at(1), dur=60)])  # 01:00 UTC is before 09:00 UTC
    assert got(p_utc, res(("v1", "t1", at(1)))) == [("availability", "v1", "t1")]
    late = prob([v], [task(start=at(8, 30), dur=60)], timezone="Asia/Shanghai")  # 16:30-17:30 local
    assert got(late, res(("v1", "t1", at(8, 30)))) == [("availability", "v1", "t1")]


def test_weekly_rule_to_midnight_joins_next_day() -> None:
    v = vol(weekly=(WeeklyRule((6,), time(20), time(0)), WeeklyRule((7,), time(0), time(2))))
    p = prob([v], [task(start=at(23), dur=120)])  # Sat 23:00 - Sun 01:00
    assert got(p, res(("v1", "t1", at(23)))) == []
    v2 = vol(weekly=(WeeklyRule((6,), time(20), time(23, 59)), WeeklyRule((7,), time(0), time(2))))
    assert got(prob([v2], [task(start=at(23), dur=120)]), res(("v1", "t1", at(23)))) == [("availability", "v1", "t1")]


def test_weekly_rule_on_a_dst_day() -> None:
    # Europe/Berlin springs forward on Sunday 2026-03-29 at 02:00 CET -> 03:00 CEST
    v = vol(weekly=(WeeklyRule((7,), time(9), time(17)), WeeklyRule((7,), time(1), time(4))))
    day = datetime(2026, 3, 29, tzinfo=UTC)
    for start, minutes, ok in [
        (day + timedelta(hours=7), 60, True),  # 09:00-10:00 CEST
        (day + timedelta(hours=6, minutes=30), 60, False),  # 08:30-09:30 CEST
        (day, 120, True),  # 01:00 CET - 04:00 CEST: two real hours
        (day, 135, False),
    ]:
        p = prob([v], [task(start=start, dur=minutes)], timezone="Europe/Berlin")
        assert got(p, res(("v1", "t1", start))) == ([] if ok else [("availability", "v1", "t1")]), start


def test_long_task_across_several_weekly_days() -> None:
    v = vol(weekly=(WeeklyRule((1, 2, 3, 4, 5, 6, 7), time(0), time(0)),))
    p = prob([v], [task(start=at(12), dur=3 * 1440)])
    assert got(p, res(("v1", "t1", at(12)))) == []
    v_gap = vol(weekly=(WeeklyRule((1, 2, 3, 4, 5, 6), time(0), time(0)),))  # no Sunday
    assert got(prob([v_gap], [task(start=at(12), dur=3 * 1440)]), res(("v1", "t1", at(12)))) == [
        ("availability", "v1", "t1")
    ]


# --- double booking, workload -----------------------------------------------------------------------


def test_double_booking_with_travel() -> None:
    v = vol()
    t1 = task("t1", start=at(9), dur=60)
    same = task("t2", start=at(10), dur=60)
    assert got(prob([v], [t1, same]), res(("v1", "t1", at(9)), ("v1", "t2", at(10)))) == []
    far = task("t2", start=at(10), dur=60, location=B)
    assert got(prob([v], [t1, far]), res(("v1", "t1", at(9)), ("v1", "t2", at(10)))) == [("double_booking", "v1", "t2")]
    for mm, ok in [(17, False), (18, True)]:  # 4.448 km at 15 km/h: 17.8 -> 18 min
        far2 = task("t2", start=at(10, mm), dur=60, location=B)
        r = res(("v1", "t1", at(9)), ("v1", "t2", at(10, mm)))
        assert got(prob([v], [t1, far2]), r) == ([] if ok else [("double_booking", "v1", "t2")]), mm


def test_overlap_at_same_site() -> None:
    p = prob([vol()], [task("t1", start=at(9), dur=60), task("t2", start=at(9, 30), dur=60)])
    assert got(p, res(("v1", "t1", at(9)), ("v1", "t2", at(9, 30)))) == [("double_booking", "v1", "t2")]
    # another volunteer may take the overlapping task
    p2 = prob([vol("v1"), vol("v2")], list(p.tasks))
    assert got(p2, res(("v1", "t1", at(9)), ("v2", "t2", at(9, 30)))) == []


def test_workload_total() -> None:
    tasks = [task("t1", start=at(9), dur=60), task("t2", start=at(11), dur=60)]
    r = res(("v1", "t1", at(9)), ("v1", "t2", at(11)))
    assert got(prob([vol(max_minutes=90)], tasks), r) == [("workload", "v1", None)]
    assert got(prob([vol(max_minutes=120)], tasks), r) == []


def test_workload_per_local_start_date() -> None:
    # 15:00 UTC = 23:00 Dec 5 Shanghai; 16:30 UTC = 00:30 Dec 6 Shanghai
    tasks = [task("t1", start=at(15), dur=60), task("t2", start=at(16, 30), dur=60)]
    r = res(("v1", "t1", at(15)), ("v1", "t2", at(16, 30)))
    v = vol(max_minutes_per_day=60)
    assert got(prob([v], tasks, timezone="Asia/Shanghai"), r) == []
    assert got(prob([v], tasks), r) == [("workload_day", "v1", None)]
    # an occurrence crossing midnight counts wholly on its start date
    cross = [
        task("t1", start=at(15, 30), dur=90),
        task("t2", start=at(17), dur=30),
    ]  # 23:30-01:00, 01:00-01:30
    r2 = res(("v1", "t1", at(15, 30)), ("v1", "t2", at(17)))
    assert got(prob([vol(max_minutes_per_day=60)], cross, timezone="Asia/Shanghai"), r2) == [
        ("workload_day", "v1", None)
    ]
    assert got(prob([vol(max_minutes_per_day=90)], cross, timezone="Asia/Shanghai"), r2) == []


# --- distance, head-counts, pinned, forbidden, unassigned ----------------------------------------------


def test_distance_limits() -> None:
    t = task(location=B)  # 4.448 km from A
    r = res(("v1", "t1", T9))
    assert got(prob([vol(max_distance_km=4.0)], [t]), r) == [("distance", "v1", "t1")]
    assert got(prob([vol()], [t], max_distance_km=4.0), r) == [("distance", "v1", "t1")]
    assert got(prob([vol(max_distance_km=5.0)], [t], max_distance_km=4.0), r) == []  # own limit replaces
    assert got(prob([vol(max_distance_km=4.0)], [t], max_distance_km=5.0), r) == [("distance", "v1", "t1")]
    assert got(prob([vol()], [t]), r) == []  # no limit at all
    exact = float(haversine_km(A.lat, A.lon, B.lat, B.lon))
    assert got(prob([vol(max_distance_km=exact)], [t]), r) == []


def test_headcount() -> None:
    p = prob([vol("v1"), vol("v2")], [task(headcount=1)])
    assert got(p, res(("v1", "t1", T9), ("v2", "t1", T9))) == [("headcount", None, "t1")]
    assert got(p, res(("v1", "t1", T9))) == []


def test_min_headcount() -> None:
    p = prob([vol("v1"), vol("v2")], [task(headcount=3, min_headcount=2)])
    assert got(p, res(("v1", "t1", T9), missing={"t1": 2})) == [("min_headcount", None, "t1")]
    assert got(p, res(("v1", "t1", T9), ("v2", "t1", T9), missing={"t1": 1})) == []
    assert got(p, res(missing={"t1": 3})) == []  # all or nothing: nothing is fine


def test_pinned_and_forbidden() -> None:
    vs, ts = [vol("v1"), vol("v2")], [task()]
    pinned = prob(vs, ts, pinned=(("v1", "t1"),))
    assert got(pinned, res(("v2", "t1", T9))) == [("pinned", "v1", "t1")]
    assert got(pinned, res(("v1", "t1", T9))) == []
    forbidden = prob(vs, ts, forbidden=(("v1", "t1"),))
    assert got(forbidden, res(("v1", "t1", T9))) == [("forbidden", "v1", "t1")]
    assert got(forbidden, res(("v2", "t1", T9))) == []


def test_unassigned_report() -> None:
    p = prob([vol("v1")], [task("t1", headcount=2), task("t2", start=at(12))])
    full = ("v1", "t2", at(12))
    assert got(p, res(full)) == [("unassigned", None, "t1")]  # t1 not reported
    assert got(p, res(full, missing={"t1": 1})) == [("unassigned", None, "t1")]  # wrong count
    assert got(p, res(full, missing={"t1": 2, "t2": 1})) == [("unassigned", None, "t2")]  # t2 is full
    assert got(p, res(full, missing={"t1": 2})) == []
    assert got(p, res(("v1", "t1", T9), missing={"t1": 1, "t2": 1})) == []


# --- objective ---------------------------------------------------------------------------------------


def test_check_objective() -> None:
    p = prob(
        [vol("v1"), vol("v2", location=B)],
        [task("t1", headcount=2, priority=3), task("t2", start=at(12), priority=5), task("t3", headcount=4)],
    )
    r = res(("v1", "t1", T9), ("v2", "t1", T9), ("v1", "t2", at(12)), ("v9", "t2", at(12)))
    o = check_objective(p, r)
    km = float(haversine_km(A.lat, A.lon, B.lat, B.lon))
    assert o == pytest.approx(
        {
            "coverage": 11.0,
            "places_filled": 3.0,
            "places_asked": 7.0,
            "tasks_served": 2.0,
            "tasks": 3.0,
            "travel_km": km,
        }
    )
    assert check_objective(p, res()) == {
        "coverage": 0.0,
        "places_filled": 0.0,
        "places_asked": 7.0,
        "tasks_served": 0.0,
        "tasks": 3.0,
        "travel_km": 0.0,
    }


# --- hypothesis: recount head-count, forbidden and distance by brute force ------------------------------


@st.composite
def instances(draw: Any) -> tuple[Problem, Result]:
    nv = draw(st.integers(1, 6))
    nt = draw(st.integers(1, 5))
    coord = st.floats(-0.05, 0.05, allow_nan=False)
    lim = st.one_of(st.none(), st.floats(0.0, 8.0, allow_nan=False))
    vols = [
        Volunteer(f"v{i}", Location(30 + draw(coord), 114 + draw(coord)), max_distance_km=draw(lim)) for i in range(nv)
    ]
    tasks = [
        Task(
            f"t{j}",
            Location(30 + draw(coord), 114 + draw(coord)),
            TimeWindow(at(9), at(10)),
            headcount=draw(st.integers(1, 3)),
        )
        for j in range(nt)
    ]
    pairs = [(v.id, t.id) for v in vols for t in tasks]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    forbidden = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4))
    p = Problem(tuple(vols), tuple(tasks), Settings(max_distance_km=draw(lim)), forbidden=tuple(forbidden))
    return p, res(*[(v, t, at(9)) for v, t in chosen])


@settings(max_examples=80, deadline=None)
@given(instances())
def test_recount_headcount_forbidden_distance(inst: tuple[Problem, Result]) -> None:
    p, r = inst
    out = verify(p, r)
    count: dict[str, int] = {}
    for a in r.assignments:
        count[a.task] = count.get(a.task, 0) + 1
    want_head = {t.id for t in p.tasks if count.get(t.id, 0) > t.headcount}
    want_forb = {(a.volunteer, a.task) for a in r.assignments if (a.volunteer, a.task) in set(p.forbidden)}
    want_dist = set()
    for a in r.assignments:
        v, t = p.volunteer(a.volunteer), p.task(a.task)
        limit = v.max_distance_km if v.max_distance_km is not None else p.settings.max_distance_km
        d = (
            2
            * 6371.0
            * math.asin(
                math.sqrt(
                    math.sin(math.radians(t.location.lat - v.location.lat) / 2) ** 2
                    + math.cos(math.radians(v.location.lat))
                    * math.cos(math.radians(t.location.lat))
                    * math.sin(math.radians(t.location.lon - v.location.lon) / 2) ** 2
                )
            )
        )
        if limit is not None and d > limit * (1 + 1e-9):
            want_dist.add((a.volunteer, a.task))
    assert {x.task for x in out if x.rule == "headcount"} == want_head
    assert {(x.volunteer, x.task) for x in out if x.rule == "forbidden"} == want_forb
    assert {(x.volunteer, x.task) for x in out if x.rule == "distance"} == want_dist
    # with these instances nothing else can break except the shortfall report (not given)
    assert {x.rule for x in out} <= {"headcount", "forbidden", "distance", "unassigned", "double_booking"}


# --- scale (timing lives in benchmarks/, not here) ---


def test_ten_thousand_assignments_only_expected_rules() -> None:
    rng = random.Random(7)
    base = at(0, tz=SH)
    vols = [
        Volunteer(
            f"v{i}",
            Location(30 + rng.random() / 10, 114 + rng.random() / 10),
            weekly=(WeeklyRule((1, 2, 3, 4, 5, 6, 7), time(6), time(22)),) if i % 2 else (),
            max_minutes=6000,
            max_minutes_per_day=600,
        )
        for i in range(5000)
    ]
    tasks = []
    for j in range(2500):
        s = base + timedelta(days=rng.randrange(7), hours=8 + rng.randrange(10))
        tasks.append(task(f"t{j}", start=s, dur=60, window=120, headcount=4, location=Location(30.05, 114.05)))
    asg = [(f"v{(4 * j + k) % 5000}", t.id, t.window.start) for j, t in enumerate(tasks) for k in range(4)]
    p = prob(vols, tasks, timezone="Asia/Shanghai", max_distance_km=20.0)
    r = res(*asg)
    out = verify(p, r)
    assert {x.rule for x in out} <= {"double_booking", "workload_day", "availability"}
