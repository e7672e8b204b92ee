"""Hypothesis strategies that generate small dispatch problems with every rule in play."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from vmatch.arcs import ArcProblem, Level, csr_from_lists
from vmatch.model import (
    Location,
    Problem,
    Requirement,
    Settings,
    Task,
    TimeWindow,
    Volunteer,
    WeeklyRule,
)

DAY = date(2026, 12, 5)  # a Saturday
SKILLS = ("a", "b")


@st.composite
def volunteers(draw: st.DrawFn, vid: str, tz: ZoneInfo) -> Volunteer:
    """One volunteer near (0, 0) with random skills, certificates, times and limits."""
    lat = draw(st.floats(-0.03, 0.03))
    lon = draw(st.floats(-0.03, 0.03))
    skills = {s: draw(st.integers(0, 3)) for s in SKILLS if draw(st.booleans())}
    certs: dict[str, date | None] = {}
    if draw(st.booleans()):
        certs["c"] = draw(st.sampled_from([None, DAY, DAY - timedelta(days=1), DAY + timedelta(days=3)]))
    avail: list[TimeWindow] = []
    weekly: list[WeeklyRule] = []
    kind = draw(st.sampled_from(["always", "oneoff", "weekly", "both"]))
    if kind in ("oneoff", "both"):
        h0 = draw(st.integers(7, 12))
        h1 = draw(st.integers(h0 + 1, 15))
        avail.append(TimeWindow(datetime.combine(DAY, time(h0), tz), datetime.combine(DAY, time(h1), tz)))
    if kind in ("weekly", "both"):
        h0 = draw(st.integers(7, 12))
        h1 = draw(st.integers(h0 + 1, 16))
        days = draw(st.sampled_from([(6,), (6, 7), (1, 2, 3)]))
        weekly.append(WeeklyRule(days, time(h0), time(h1)))
    return Volunteer(
        vid,
        Location(lat, lon),
        skills=skills,
        certificates=certs,
        availability=tuple(avail),
        weekly=tuple(weekly),
        max_minutes=draw(st.sampled_from([None, None, 60, 120, 180])),
        max_minutes_per_day=draw(st.sampled_from([None, None, 90])),
        max_distance_km=draw(st.sampled_from([None, None, 2.0])),
        attributes={"lang": frozenset(draw(st.sampled_from([("zh",), ("en",), ("zh", "en")])))},
    )


@st.composite
def tasks(draw: st.DrawFn, tid: str, tz: ZoneInfo) -> Task:
    """One task on the Saturday with a random window, head-count and rules."""
    lat = draw(st.floats(-0.03, 0.03))
    lon = draw(st.floats(-0.03, 0.03))
    start_q = draw(st.integers(8 * 4, 13 * 4))  # quarter hours
    dur = draw(st.sampled_from([30, 45, 60, 90]))
    slack = draw(st.sampled_from([0, 0, 15, 30]))
    ws = datetime.combine(DAY, time(0), tz) + timedelta(minutes=15 * start_q)
    head = draw(st.integers(1, 3))
    mn = draw(st.integers(1, head))
    skills = {s: draw(st.integers(1, 2)) for s in SKILLS if draw(st.integers(0, 3)) == 0}
    reqs: tuple[Requirement, ...] = ()
    if head >= 2 and draw(st.booleans()):
        reqs = (Requirement(draw(st.sampled_from(SKILLS)), 1, 1),)
    return Task(
        tid,
        Location(lat, lon),
        TimeWindow(ws, ws + timedelta(minutes=dur + slack)),
        duration=timedelta(minutes=dur) if (slack or draw(st.booleans())) else None,
        headcount=head,
        min_headcount=mn,
        priority=draw(st.integers(1, 3)),
        skills=skills,
        requirements=reqs,
        certificates=("c",) if draw(st.integers(0, 3)) == 0 else (),
        attributes={"lang": frozenset({"en"})} if draw(st.integers(0, 4)) == 0 else {},
    )


@st.composite
def problems(draw: st.DrawFn, max_volunteers: int = 4, max_tasks: int = 3) -> Problem:
    """A small problem: 1-4 volunteers, 1-3 tasks, random settings."""
    tzname = draw(st.sampled_from(["UTC", "Asia/Shanghai"]))
    tz = ZoneInfo(tzname)
    nv = draw(st.integers(1, max_volunteers))
    nt = draw(st.integers(1, max_tasks))
    vs = tuple(draw(volunteers(f"v{i}", tz)) for i in range(nv))
    ts = tuple(draw(tasks(f"t{j}", tz)) for j in range(nt))
    forbidden: tuple[tuple[str, str], ...] = ()
    if draw(st.booleans()):
        forbidden = ((vs[0].id, ts[0].id),)
    settings = Settings(
        timezone=tzname,
        travel_speed_kmh=draw(st.sampled_from([5.0, 15.0])),
        max_distance_km=draw(st.sampled_from([None, 3.0])),
        time_step_minutes=15,
    )
    return Problem(vs, ts, settings, forbidden=forbidden)


@st.composite
def small_arc_problems(draw: st.DrawFn) -> ArcProblem:
    """Arc problems of up to 5 agents and 5 jobs with head-count ranges, a clique per agent (over
    two of its arcs) and a composition row on the first job."""
    n_agents = draw(st.integers(1, 5))
    n_jobs = draw(st.integers(1, 5))
    pair = st.tuples(st.integers(0, n_agents - 1), st.integers(0, n_jobs - 1))
    pairs = draw(st.lists(pair, min_size=1, max_size=15, unique=True))
    aa = [a for a, _ in pairs]
    jj = [j for _, j in pairs]
    jmax = draw(st.lists(st.integers(1, 3), min_size=n_jobs, max_size=n_jobs))
    jmin = [draw(st.integers(1, m)) for m in jmax]
    # one clique per agent over two of its arcs, when it has two
    cl = []
    for a in range(n_agents):
        mine = [i for i, x in enumerate(aa) if x == a]
        if len(mine) >= 2:
            cl.append(mine[:2])
    # a composition row on the first job: one of its first two arcs
    first = [i for i, j in enumerate(jj) if j == 0][:2]
    comp = csr_from_lists([first], rhs=[1], owner=[0]) if first else None
    return ArcProblem.build(
        n_agents=n_agents,
        n_jobs=n_jobs,
        arc_agent=aa,
        arc_job=jj,
        job_min=jmin,
        job_max=jmax,
        cliques=csr_from_lists(cl) if cl else None,
        composition=comp,
        levels=[Level("coverage", [1.0] * len(aa))],
    )
