"""Each reason kind from a hand-built problem where it is the only cause (issue 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmatch import Location, Problem, Settings, Task, TimeWindow, Volunteer, WeeklyRule
from vmatch.explain import explain, explain_volunteers
from vmatch.solve import solve

HOME = Location(30.6, 114.3)


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 12, 5, h, m, tzinfo=UTC)


W = TimeWindow(at(9), at(10))


def one(p: Problem, tid: str = "t"):  # type: ignore[no-untyped-def]
    r = solve(p, time_limit=5)
    (e,) = explain(p, r, tid)
    return e


@pytest.mark.parametrize(
    ("vol", "task_kw", "settings", "rule"),
    [
        (Volunteer("v", HOME, skills={"care": 1}), {"skills": {"care": 2}}, Settings(), "skill"),
        (
            Volunteer("v", HOME, certificates={"safety": date(2026, 12, 4)}),
            {"certificates": ("safety",)},
            Settings(),
            "certificate",
        ),
        (
            Volunteer("v", HOME, attributes={"language": {"zh"}}),
            {"attributes": {"language": frozenset({"en"})}},
            Settings(),
            "attribute",
        ),
        (Volunteer("v", HOME, weekly=(WeeklyRule((7,), time(9), time(17)),)), {}, Settings(), "availability"),
        (Volunteer("v", Location(30.6, 114.5)), {}, Settings(max_distance_km=10.0), "distance"),
        (Volunteer("v", HOME, max_minutes=30), {}, Settings(), "workload"),
    ],
)
def test_single_rule_is_the_only_reason(vol: Volunteer, task_kw: dict, settings: Settings, rule: str) -> None:
    p = Problem((vol,), (Task("t", HOME, W, **task_kw),), settings)
    e = one(p)
    assert e.missing == 1
    assert e.reasons == {rule: 1}
    assert [r.rule for r in e.relaxations] == [rule]
    assert e.relaxations[0].gain == 1


def test_forbidden_is_the_only_reason() -> None:
    p = Problem((Volunteer("v", HOME),), (Task("t", HOME, W),), forbidden=(("v", "t"),))
    e = one(p)
    assert e.reasons == {"forbidden": 1}
    assert "forbidden pairs were lifted" in e.relaxations[0].detail


def test_distance_relaxation_names_the_limit() -> None:
    vs = (Volunteer("near", Location(30.6, 114.41)), Volunteer("far", Location(30.6, 114.43)))
    p = Problem(vs, (Task("t", HOME, W, headcount=2),), Settings(max_distance_km=10.0))
    e = one(p)
    assert e.reasons == {"distance": 2}
    (rx,) = e.relaxations
    assert rx.gain == 2
    assert "if the distance limit were 12.5 km (the first at 10.6 km)" in rx.detail


def test_competition_names_the_other_task() -> None:
    vs = (Volunteer("v", HOME),)
    ts = (Task("low", HOME, W, priority=1), Task("high", HOME, W, priority=5))
    p = Problem(vs, ts)
    e = one(p, "low")
    assert e.reasons == {}
    assert e.competition == {"v": ("high",)}
    assert "busy: v is eligible but serves high at that time" in e.text()


def test_at_workload_limit() -> None:
    vs = (Volunteer("v", HOME, max_minutes=60),)
    ts = (Task("a", HOME, TimeWindow(at(8), at(9)), priority=5), Task("t", HOME, W))
    e = one(Problem(vs, ts))
    assert e.at_limit == ("v",) and e.competition == {}


def test_unused_because_min_headcount() -> None:
    vs = (Volunteer("v", HOME),)
    e = one(Problem(vs, (Task("t", HOME, W, headcount=2, min_headcount=2),)))
    assert e.unused == ("v",) and e.missing == 2


def test_no_one_with_skill_free_note() -> None:
    vs = (
        Volunteer("v", HOME, skills={"sign_language": 2}, weekly=(WeeklyRule((7,), time(9), time(17)),)),
        Volunteer("w", HOME),
    )
    e = one(Problem(vs, (Task("t", HOME, W, skills={"sign_language": 2}),)))
    assert e.note == "no volunteer with sign_language level 2 is available on Saturday 09:00-10:00"


def test_idle_volunteer_explanation() -> None:
    vs = (Volunteer("busy", HOME), Volunteer("idle", HOME, skills={}))
    ts = (Task("t", HOME, W, skills={"care": 1}),)
    p = Problem((Volunteer("busy", HOME, skills={"care": 1}), vs[1]), ts)
    r = solve(p, time_limit=5)
    (ve,) = explain_volunteers(p, r)
    assert ve.volunteer == "idle" and ve.closed == {"skill": 1} and ve.eligible == ()
    (vb,) = explain_volunteers(p, r, "busy")
    assert vb.assigned == ("t",)


def test_many_task_reasons_equals_one_by_one() -> None:
    from vmatch.eligibility import Tables
    from vmatch.generate import generate_city
    from vmatch.reasons import many_task_reasons, task_reasons

    p = generate_city(150, 60, seed=4, days=2)
    r = solve(p, time_limit=5)
    tb = Tables(p)
    by_task = {p.task_index(t): [p.volunteer_index(v) for v in vs] for t, vs in r.by_task().items()}
    short = [p.task_index(t) for t in r.unassigned]
    assert short
    many = many_task_reasons(tb, short, by_task)
    for t in short:
        assert many[t] == task_reasons(tb, t, by_task.get(t, [])), p.tasks[t].id
        assert many[t] == dict(r.unassigned[p.tasks[t].id].reasons)


def test_explain_in_blocks_equals_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule masks computed for several tasks at once explain each task as one at a time does."""
    import importlib

    from vmatch.generate import generate_city

    ex = importlib.import_module("vmatch.explain")  # (vmatch.explain is also the function)

    p = generate_city(150, 60, seed=4, days=2)
    r = solve(p, time_limit=5)
    monkeypatch.setattr(ex, "MASK_BLOCK", 7)
    blocked = explain(p, r)
    assert len(blocked) >= 8  # more than one block
    monkeypatch.setattr(ex, "MASK_BLOCK", 1)
    assert explain(p, r) == blocked
    assert [e.task for e in blocked] == [t.id for t in p.tasks if t.id in r.unassigned]


@st.composite
def many_windows(draw: st.DrawFn) -> Problem:
    """Volunteers with several (possibly overlapping) windows and certificates that expire; tasks
    with long windows, many starts, on one of several time steps."""
    day = datetime(2026, 12, 5, tzinfo=UTC)

    def at(q: int) -> datetime:
        return day + timedelta(minutes=5 * q)

    vols = []
    for i in range(draw(st.integers(1, 4))):
        wins = []
        for _ in range(draw(st.integers(0, 5))):
            a = draw(st.integers(0, 400))
            wins.append(TimeWindow(at(a), at(a + draw(st.integers(1, 60)))))
        exp = draw(st.sampled_from([None, date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)]))
        certs = {"c": exp} if draw(st.booleans()) else {}
        vols.append(Volunteer(f"v{i}", Location(0, 0), availability=tuple(wins), certificates=certs))
    tasks = []
    for j in range(draw(st.integers(1, 4))):
        a = draw(st.integers(0, 300))
        length = draw(st.integers(1, 200))
        dur = draw(st.integers(1, length))
        certs = ("c",) if draw(st.booleans()) else ()
        tasks.append(
            Task(
                f"t{j}",
                Location(0, 0),
                TimeWindow(at(a), at(a + length)),
                duration=timedelta(minutes=5 * dur),
                certificates=certs,
            )
        )
    step = draw(st.sampled_from([5, 15, 30, 60]))
    return Problem(tuple(vols), tuple(tasks), Settings(time_step_minutes=step))


@settings(max_examples=300, deadline=None)
@given(many_windows())
def test_any_occurrence_equals_trying_every_start(p: Problem) -> None:
    """Availability and certificates "for some occurrence" (``vmatch.reasons``, by windows and by
    the first occurrence) equal trying every start of the task one by one."""
    from vmatch import eligibility as el
    from vmatch.reasons import _any_occurrence

    tb = el.Tables(p)
    step = p.settings.time_step_minutes
    v = np.repeat(np.arange(tb.nv, dtype=np.int64), tb.nt)
    t = np.tile(np.arange(tb.nt, dtype=np.int64), tb.nv)
    avail, cert = _any_occurrence(tb, v, t)  # (the problem's own step)
    want_a, want_c = np.zeros(len(v), bool), np.zeros(len(v), bool)
    n_starts = (tb.twe[t] - tb.tdur[t] - tb.tws[t]) // step + 1
    for k in range(int(n_starts.max())):
        on = k < n_starts
        s = tb.tws[t] + k * step
        want_a |= on & el.available_ok(tb, v, s, s + tb.tdur[t])
        want_c |= on & el.certificate_ok(tb, v, t, s + tb.tdur[t])
    assert avail.tolist() == want_a.tolist()
    assert cert.tolist() == want_c.tolist()
