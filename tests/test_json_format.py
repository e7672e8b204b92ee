"""The vmatch/1 JSON format: the design examples, round trips, refusals, and the bundled schemas."""

from __future__ import annotations

import io
import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmatch.errors import FormatError, ModelError
from vmatch.io import _json_util
from vmatch.io._json_read import FIELDS
from vmatch.io._json_solution import SOLUTION_FIELDS
from vmatch.io.json_format import (
    dumps_problem,
    dumps_solution,
    json_schema,
    loads_problem,
    loads_solution,
    problem_from_dict,
    problem_to_dict,
    read_problem,
    read_solution,
    result_from_dict,
    result_to_dict,
    write_problem,
    write_solution,
)
from vmatch.model import Location, Problem, Requirement, Settings, Task, TimeWindow, Volunteer, WeeklyRule
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
CST = timezone(timedelta(hours=8))
DELETE = object()


def design_doc() -> dict[str, Any]:
    """DESIGN §4's problem, verbatim."""
    return json.loads((DATA / "design4_problem.json").read_text(encoding="utf-8"))


def full_doc() -> dict[str, Any]:
    """DESIGN §4's problem completed with the v2 and t2 it names, and extra data at every level."""
    d = design_doc()
    d["volunteers"].append(
        {
            "id": "v2",
            "location": [30.62, 114.30],
            "certificates": {"safety": None},
            "weekly": [{"days": [1, 5], "start": "18:00", "end": "24:00"}],
            "extra": {"source": "roster", "n": [1, 2.5, None, True]},
        }
    )
    d["tasks"].append(
        {
            "id": "t2",
            "location": [30.60, 114.35],
            "window": ["2026-12-05T14:00+08:00", "2026-12-05T16:00+08:00"],
            "requester": "r-9",
            "extra": {"requester": {"ref": "r-9"}},
        }
    )
    d["preferences"] = [["v1", "t2", 2.5]]
    d["previous"] = [["v1", "r-9"]]
    d["extra"] = {"source": "test"}
    return d


def edit(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set (or with DELETE remove) the value at a dotted path such as ``tasks.0.headcount``."""
    *head, last = path.split(".")
    node: Any = d
    for k in head:
        node = node[int(k)] if isinstance(node, list) else node[k]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return d


# ---------------------------------------------------------------- the DESIGN §4 examples


def test_design_problem_names_undefined_ids_and_is_refused_for_it() -> None:
    with pytest.raises(FormatError, match=r"^problem: field 'forbidden\[0\]' names unknown volunteer 'v2'$"):
        problem_from_dict(design_doc())


def test_design_problem_completed_gives_the_written_values() -> None:
    p = problem_from_dict(full_doc())
    s = p.settings
    assert (s.timezone, s.travel_speed_kmh, s.max_distance_km, s.time_step_minutes) == (
        "Asia/Shanghai",
        15,
        10,
        15,
    )
    v = p.volunteer("v1")
    assert v.location == Location(30.66, 114.31)
    assert dict(v.skills) == {"first_aid": 2}
    assert dict(v.certificates) == {"safety": date(2027, 6, 30)}
    assert v.availability == (TimeWindow(datetime(2026, 12, 5, 8, tzinfo=CST), datetime(2026, 12, 5, 12, tzinfo=CST)),)
    assert v.availability[0].start.utcoffset() == timedelta(hours=8)
    assert v.weekly == (WeeklyRule((6, 7), time(9), time(17)),)
    assert (v.max_minutes, v.max_minutes_per_day, v.max_distance_km) == (480, 240, 8)
    assert dict(v.attributes) == {"language": frozenset({"zh", "yue"})}
    assert (v.team, v.rating, v.hours_served) == ("team-3", 4.6, 120)
    t = p.task("t1")
    assert t.location == Location(30.61, 114.28)
    assert t.window == TimeWindow(datetime(2026, 12, 5, 9, tzinfo=CST), datetime(2026, 12, 5, 11, tzinfo=CST))
    assert t.duration == timedelta(minutes=60) and t.duration_minutes == 60
    assert (t.headcount, t.min_headcount, t.priority) == (2, 1, 3)
    assert dict(t.skills) == {"elderly_care": 1}
    assert t.requirements == (Requirement("first_aid", 1, 1),)
    assert t.certificates == ("safety",)
    assert dict(t.attributes) == {"language": frozenset({"yue"})}
    assert t.category == "elderly-care"
    assert p.pinned == (("v1", "t1"),) and p.forbidden == (("v2", "t1"),)
    # the completion: defaults, null expiry, 24:00, extra carried through
    t2 = p.task("t2")
    assert (t2.duration, t2.duration_minutes, t2.headcount, t2.min_headcount, t2.priority) == (
        None,
        120,
        1,
        1,
        1,
    )
    assert dict(t2.extra) == {"requester": {"ref": "r-9"}}
    v2 = p.volunteer("v2")
    assert dict(v2.certificates) == {"safety": None}
    assert v2.weekly == (WeeklyRule((1, 5), time(18), time(0)),) and v2.weekly[0].end_minute == 1440
    assert dict(v2.extra) == {"source": "roster", "n": [1, 2.5, None, True]}
    assert dict(p.extra) == {"source": "test"}


def test_design_solution_gives_the_written_values() -> None:
    p = problem_from_dict(full_doc())
    r = read_solution(DATA / "design4_solution.json", p)
    assert r.status is Status.OPTIMAL
    assert (r.objective, r.bound, r.gap) == (123.0, 123.0, 0.0)
    assert r.assignments == (Assignment("v1", "t1", datetime(2026, 12, 5, 9, tzinfo=CST)),)
    assert r.unassigned["t2"].missing == 1
    assert dict(r.unassigned["t2"].reasons) == {"skill": 14, "distance": 3}
    assert dict(r.stats) == {"wall_seconds": 0.8, "arcs": 1234}
    assert dict(r.breakdown) == {} and r.levels == ()


def test_docs_examples_parse() -> None:
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    # the pairing and menu sections have their own readers and tests
    blocks = [b for b in blocks if isinstance(b, dict) and "format" in b and not {"pairing", "menu"} & set(b)]
    problems = [problem_from_dict(b) for b in blocks if b["format"] == "vmatch/1"]
    solutions = [result_from_dict(b, problems[0]) for b in blocks if b["format"] == "vmatch-solution/1"]
    assert len(problems) == 1 and len(solutions) == 1
    p = problems[0]
    assert [v.id for v in p.volunteers] == ["v1", "v2"] and [t.id for t in p.tasks] == ["t1", "t2"]
    assert p.volunteer("v2").weekly[0].end == time(0)
    assert solutions[0].unassigned["t2"].missing == 1


def test_defaults() -> None:
    p = loads_problem(
        '{"format": "vmatch/1", "tasks": [{"id": "t", "location": [0, 0], '
        '"window": ["2026-01-01T00:00Z", "2026-01-01T02:00Z"]}], '
        '"volunteers": [{"id": "v", "location": [1, 1]}]}'
    )
    assert p.settings == Settings("UTC", 15, None, 15)
    t, v = p.tasks[0], p.volunteers[0]
    assert (t.duration, t.headcount, t.min_headcount, t.priority, t.category) == (None, 1, 1, 1, None)
    assert t.window.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert (v.max_minutes, v.max_distance_km, v.rating, v.hours_served, v.team) == (
        None,
        None,
        None,
        0.0,
        None,
    )
    assert (p.pinned, p.forbidden, dict(p.extra)) == ((), (), {})
    assert loads_problem('{"format": "vmatch/1"}') == Problem()


def test_lenient_where_documented() -> None:
    d = full_doc()
    edit(d, "tasks.0.headcount", 2.0)  # an integral number is an integer
    edit(d, "volunteers.1.weekly.0.end", "00:00")  # midnight end, like 24:00
    edit(d, "tasks.1.duration", None)
    edit(d, "volunteers.0.max_minutes", None)
    p = problem_from_dict(d)
    assert p.task("t1").headcount == 2 and isinstance(p.task("t1").headcount, int)
    assert p.volunteer("v2").weekly[0].end == time(0)
    assert p.volunteer("v1").max_minutes is None
    b = ("\ufeff" + json.dumps(full_doc())).encode("utf-8")  # byte-order mark
    assert loads_problem(b) == problem_from_dict(full_doc())


# ---------------------------------------------------------------- round trips


def test_round_trip_full_example_and_files(tmp_path: Path) -> None:
    p = problem_from_dict(full_doc())
    assert problem_from_dict(problem_to_dict(p)) == p
    assert loads_problem(dumps_problem(p)) == p
    write_problem(p, tmp_path / "p.json")
    assert read_problem(tmp_path / "p.json") == p
    assert read_problem(str(tmp_path / "p.json")) == p
    buf = io.StringIO()
    write_problem(p, buf)
    assert read_problem(io.StringIO(buf.getvalue())) == p
    raw = io.BytesIO()
    write_problem(p, raw)
    assert read_problem(io.BytesIO(raw.getvalue())) == p
    assert dumps_problem(p).endswith("}\n") and "NaN" not in dumps_problem(p)


def test_round_trip_model_built_problem_with_zoneinfo_and_seconds() -> None:
    tz = ZoneInfo("Europe/Berlin")
    w = TimeWindow(datetime(2026, 7, 1, 9, 0, 30, 250, tzinfo=tz), datetime(2026, 7, 1, 12, tzinfo=tz))
    p = Problem(
        volunteers=(
            Volunteer(
                "v",
                Location(-33.9, 151.2),
                availability=(w,),
                hours_served=3.5,
                weekly=(WeeklyRule((3,), time(8), time(0)),),
                extra={"k": {"x": [1]}},
            ),
        ),
        tasks=(Task("t", Location(0.0, -0.0), w, duration=timedelta(minutes=30), priority=0),),
        settings=Settings("Europe/Berlin", 4.5, 12.5, 5),
    )
    d = problem_to_dict(p)
    assert d["tasks"][0]["window"][0] == "2026-07-01T09:00:30.000250+02:00"
    assert d["volunteers"][0]["weekly"][0]["end"] == "24:00"
    assert problem_from_dict(d) == p
    assert loads_problem(dumps_problem(p)) == p


ids = st.text("abcxyz-_1", min_size=1, max_size=4)
offsets = st.sampled_from([UTC, CST, timezone(timedelta(hours=-5, minutes=-30))])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3)
)
json_values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    max_leaves=6,
)
extras = st.dictionaries(st.text(max_size=4), json_values, max_size=2)


@st.composite
def windows(draw: st.DrawFn) -> TimeWindow:
    start = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=offsets))
    return TimeWindow(
        start, start + timedelta(minutes=draw(st.integers(1, 600)), seconds=draw(st.sampled_from([0, 7])))
    )


@st.composite
def weekly_rules(draw: st.DrawFn) -> WeeklyRule:
    days = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=3)))
    s = draw(st.integers(0, 1438))
    e = draw(st.integers(s + 1, 1440))
    return WeeklyRule(days, time(s // 60, s % 60), time(0) if e == 1440 else time(e // 60, e % 60))


def locations() -> st.SearchStrategy[Location]:
    return st.builds(Location, st.floats(-90, 90), st.floats(-180, 180))


@st.composite
def gen_volunteer(draw: st.DrawFn, vid: str) -> Volunteer:
    opt_int = st.none() | st.integers(0, 1000)
    return Volunteer(
        vid,
        draw(locations()),
        skills=draw(st.dictionaries(ids, st.integers(0, 5), max_size=2)),
        certificates=draw(st.dictionaries(ids, st.none() | st.dates(), max_size=2)),
        availability=tuple(draw(st.lists(windows(), max_size=2))),
        weekly=tuple(draw(st.lists(weekly_rules(), max_size=2))),
        max_minutes=draw(opt_int),
        max_minutes_per_day=draw(opt_int),
        max_distance_km=draw(st.none() | st.floats(0, 100)),
        attributes=draw(st.dictionaries(ids, st.frozensets(ids, max_size=2), max_size=2)),
        team=draw(st.none() | ids),
        rating=draw(st.none() | st.floats(0, 5)),
        hours_served=draw(st.integers(0, 50) | st.floats(0, 1e6)),
        extra=draw(extras),
    )


@st.composite
def gen_task(draw: st.DrawFn, tid: str) -> Task:
    w = draw(windows())
    head = draw(st.integers(1, 4))
    dur = draw(st.none() | st.integers(1, w.minutes).map(lambda m: timedelta(minutes=m)))
    reqs = draw(st.lists(st.builds(Requirement, ids, st.integers(1, 5), st.integers(1, head)), max_size=2))
    return Task(
        tid,
        draw(locations()),
        w,
        duration=dur,
        headcount=head,
        min_headcount=draw(st.integers(1, head)),
        priority=draw(st.integers(0, 9)),
        skills=draw(st.dictionaries(ids, st.integers(1, 5), max_size=2)),
        requirements=tuple(reqs),
        certificates=tuple(draw(st.lists(ids, max_size=2))),
        attributes=draw(st.dictionaries(ids, st.frozensets(ids, min_size=1, max_size=2), max_size=2)),
        category=draw(st.none() | ids),
        extra=draw(extras),
    )


@st.composite
def gen_problem(draw: st.DrawFn) -> Problem:
    vids = draw(st.lists(ids, unique=True, max_size=3))
    tids = draw(st.lists(ids, unique=True, max_size=3))
    pairs = [(v, t) for v in vids for t in tids]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4)) if pairs else []
    cut = draw(st.integers(0, len(chosen)))
    return Problem(
        volunteers=tuple(draw(gen_volunteer(v)) for v in vids),
        tasks=tuple(draw(gen_task(t)) for t in tids),
        settings=Settings(
            draw(st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"])),
            draw(st.floats(0.5, 120)),
            draw(st.none() | st.floats(0, 50)),
            draw(st.integers(1, 60)),
        ),
        pinned=tuple(chosen[:cut]),
        forbidden=tuple(chosen[cut:]),
        extra=draw(extras),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_problem())
def test_round_trip_generated_problems(p: Problem) -> None:
    assert problem_from_dict(problem_to_dict(p)) == p
    text = dumps_problem(p)
    q = loads_problem(text)
    assert q == p
    assert dumps_problem(q) == text  # the writer is stable


# ---------------------------------------------------------------- refusals of problem documents

CASES: list[tuple[str, Any, str]] = [
    ("format", DELETE, r"^problem: field 'format' is missing"),
    ("format", "vmatch/2", r"^problem: field 'format' must be 'vmatch/1', got 'vmatch/2'"),
    ("format", "vmatch-solution/1", r"^problem: field 'format' .*this is a solution document"),
    ("colour", "red", r"^problem: field 'colour' is unknown .*extra"),
    ("settings.speed", 3, r"^settings: field 'speed' is unknown"),
    ("volunteers.0.name", "Li", r"^volunteer 'v1': field 'name' is unknown"),
    ("tasks.0.colour", "red", r"^task 't1': field 'colour' is unknown"),
    ("volunteers.0.weekly.0.tz", "UTC", r"^volunteer 'v1': field 'weekly\[0\]\.tz' is unknown"),
    ("tasks.0.requirements.0.min", 1, r"^task 't1': field 'requirements\[0\]\.min' is unknown"),
    ("settings", [], r"^problem: field 'settings' must be an object, got an array"),
    ("volunteers", {}, r"^problem: field 'volunteers' must be an array, got an object"),
    ("tasks.0", "t1", r"^problem: field 'tasks\[0\]' must be an object, got a string"),
    ("volunteers.1.id", DELETE, r"^volunteers\[1\]: field 'id' is missing \(required\)"),
    ("tasks.0.id", "", r"^tasks\[0\]: field 'id' must not be empty"),
    ("tasks.1.id", 7, r"^tasks\[1\]: field 'id' must be a string, got a number"),
    ("volunteers.0.location", DELETE, r"^volunteer 'v1': field 'location' is missing \(required\)"),
    ("tasks.0.window", DELETE, r"^task 't1': field 'window' is missing \(required\)"),
    ("tasks.1.location", DELETE, r"^task 't2': field 'location' is missing"),
    (
        "volunteers.1.id",
        "v1",
        r"^volunteer 'v1': field 'id' is a duplicate \(volunteers\[0\] and volunteers\[1\]\)",
    ),
    ("tasks.1.id", "t1", r"^task 't1': field 'id' is a duplicate"),
    ("pinned.0.0", "v9", r"^problem: field 'pinned\[0\]' names unknown volunteer 'v9'"),
    ("forbidden.0.1", "t9", r"^problem: field 'forbidden\[0\]' names unknown task 't9'"),
    ("pinned.0", ["v1"], r"^problem: field 'pinned\[0\]' must be a \[volunteer id, task id\] pair"),
    ("pinned", "v1", r"^problem: field 'pinned' must be an array"),
    ("forbidden.0.0", "v1", r"^problem: field 'pinned' pair \('v1', 't1'\) is also forbidden"),
    ("tasks.0.headcount", "2", r"^task 't1': field 'headcount' must be an integer, got '2'"),
    ("tasks.0.headcount", True, r"^task 't1': field 'headcount' must be an integer, got True"),
    ("tasks.0.headcount", 1.5, r"^task 't1': field 'headcount' must be an integer, got 1.5"),
    ("tasks.0.headcount", 0, r"^task 't1': field 'headcount' must be in \[1, 100000\], got 0"),
    ("tasks.0.headcount", -3, r"^task 't1': field 'headcount' must be in \[1, 100000\], got -3"),
    ("tasks.0.min_headcount", 0, r"^task 't1': field 'min_headcount' must be in \[1, 100000\], got 0"),
    (
        "tasks.0.min_headcount",
        3,
        r"^task 't1': field 'min_headcount' \(3\) must not exceed 'headcount' \(2\)",
    ),
    ("tasks.0.requirements.0.count", 3, r"^task 't1': field 'requirements\[0\]\.count' exceeds headcount 2"),
    ("tasks.0.requirements.0.level", 0, r"^task 't1': field 'requirements\[0\]\.level' must be in \[1, 5\]"),
    ("tasks.0.requirements.0.skill", DELETE, r"^task 't1': field 'requirements\[0\]\.skill' is missing"),
    ("tasks.0.priority", -1, r"^task 't1': field 'priority' must be in \[0, 1000000\]"),
    ("tasks.0.duration", 0, r"^task 't1': field 'duration' must be >= 1, got 0"),
    ("tasks.0.duration", "60", r"^task 't1': field 'duration' must be an integer"),
    (
        "tasks.0.duration",
        180,
        r"^task 't1': field 'duration' \(180 min\) must not exceed the window \(120 min\)",
    ),
    (
        "tasks.0.skills.elderly_care",
        0,
        r"^task 't1': field 'skills\.elderly_care' must be in \[1, 5\], got 0",
    ),
    (
        "tasks.0.skills.elderly_care",
        6,
        r"^task 't1': field 'skills\.elderly_care' must be in \[1, 5\], got 6",
    ),
    (
        "volunteers.0.skills.first_aid",
        6,
        r"^volunteer 'v1': field 'skills\.first_aid' must be in \[0, 5\], got 6",
    ),
    ("volunteers.0.skills.first_aid", -1, r"^volunteer 'v1': field 'skills\.first_aid' must be in \[0, 5\]"),
    ("volunteers.0.skills", {"": 1}, r"^volunteer 'v1': field 'skills' has an empty skill name"),
    (
        "volunteers.0.location.0",
        91,
        r"^volunteer 'v1': field 'location\[0\] \(latitude\)' must be in \[-90, 90\], got 91",
    ),
    (
        "tasks.0.location.1",
        -180.5,
        r"^task 't1': field 'location\[1\] \(longitude\)' must be in \[-180, 180\]",
    ),
    (
        "volunteers.0.location.0",
        "30.6",
        r"^volunteer 'v1': field 'location\[0\] \(latitude\)' must be a number",
    ),
    (
        "volunteers.0.location",
        [1, 2, 3],
        r"^volunteer 'v1': field 'location' must be \[lat, lon\] in degrees, got an array of 3",
    ),
    (
        "tasks.0.window.0",
        "2026-12-05T09:00",
        r"^task 't1': field 'window\[0\]' has no UTC offset: '2026-12-05T09:00' \(naive",
    ),
    (
        "volunteers.0.availability.0.1",
        "2026-12-05 12:00:00",
        r"^volunteer 'v1': field 'availability\[0\]\[1\]' has no UTC offset",
    ),
    ("tasks.0.window.1", "tomorrow", r"^task 't1': field 'window\[1\]' must be an ISO 8601 date-time"),
    (
        "tasks.0.window.1",
        1733400000,
        r"^task 't1': field 'window\[1\]' must be an ISO 8601 date-time string, got a number",
    ),
    (
        "tasks.0.window.1",
        "2026-13-05T09:00+08:00",
        r"^task 't1': field 'window\[1\]' is not a valid date-time",
    ),
    (
        "tasks.0.window.0",
        "0001-01-01T00:00+05:00",
        r"^task 't1': field 'window\[0\]' is not a valid date-time: .*range",
    ),
    (
        "tasks.0.window.1",
        "2026-12-05T08:00+08:00",
        r"^task 't1': field 'window' ends \(2026-12-05T08:00\+08:00\) before",
    ),
    (
        "tasks.0.window.1",
        "2026-12-05T09:00+08:00",
        r"^task 't1': field 'window' ends .* before or at its start",
    ),
    (
        "tasks.0.window",
        ["2026-12-05T09:00+08:00"],
        r"^task 't1': field 'window' must be a \[start, end\] pair",
    ),
    (
        "volunteers.0.availability.0.0",
        "2026-12-05T13:00+08:00",
        r"^volunteer 'v1': field 'availability\[0\]' ends",
    ),
    (
        "volunteers.0.weekly.0.end",
        "08:00",
        r"^volunteer 'v1': field 'weekly\[0\]\.end' \(08:00\) must be after start",
    ),
    (
        "volunteers.0.weekly.0.start",
        "24:00",
        r"^volunteer 'v1': field 'weekly\[0\]\.start' must be a clock time HH:MM",
    ),
    (
        "volunteers.0.weekly.0.start",
        "9am",
        r"^volunteer 'v1': field 'weekly\[0\]\.start' must be a clock time",
    ),
    (
        "volunteers.0.weekly.0.days",
        [8],
        r"^volunteer 'v1': field 'weekly\[0\]\.days\[0\]' must be in \[1, 7\], got 8",
    ),
    ("volunteers.0.weekly.0.days", [], r"^volunteer 'v1': field 'weekly\[0\]\.days' must list at least one"),
    ("volunteers.0.weekly.0.days", DELETE, r"^volunteer 'v1': field 'weekly\[0\]\.days' is missing"),
    (
        "volunteers.0.certificates.safety",
        "30/06/2027",
        r"^volunteer 'v1': field 'certificates\.safety' must be a date",
    ),
    (
        "volunteers.0.certificates.safety",
        "2027-02-30",
        r"^volunteer 'v1': field 'certificates\.safety' is not a valid date",
    ),
    ("volunteers.0.certificates", ["safety"], r"^volunteer 'v1': field 'certificates' must be an object"),
    ("tasks.0.certificates", "safety", r"^task 't1': field 'certificates' must be an array"),
    ("tasks.0.certificates.0", 3, r"^task 't1': field 'certificates\[0\]' must be a string"),
    (
        "tasks.0.attributes.language",
        [],
        r"^task 't1': field 'attributes\.language' must list at least one value",
    ),
    (
        "volunteers.0.attributes.language",
        "zh",
        r"^volunteer 'v1': field 'attributes\.language' must be an array",
    ),
    ("volunteers.0.rating", 6, r"^volunteer 'v1': field 'rating' must be in \[0, 5\], got 6"),
    ("volunteers.0.hours_served", None, r"^volunteer 'v1': field 'hours_served' must be a number, got None"),
    ("volunteers.0.max_minutes", -5, r"^volunteer 'v1': field 'max_minutes' must be in \[0, 10000000\], got -5"),
    ("volunteers.0.max_distance_km", "8", r"^volunteer 'v1': field 'max_distance_km' must be a number"),
    ("volunteers.0.team", 3, r"^volunteer 'v1': field 'team' must be a string"),
    ("tasks.0.category", ["a"], r"^task 't1': field 'category' must be a string"),
    ("volunteers.1.extra", [1], r"^volunteer 'v2': field 'extra' must be an object"),
    ("extra", "x", r"^problem: field 'extra' must be an object"),
    (
        "settings.timezone",
        "Mars/Olympus",
        r"^settings: field 'timezone' is not a known time zone: 'Mars/Olympus'",
    ),
    ("settings.timezone", "America", r"^settings: field 'timezone' is not a known time zone: 'America'"),
    ("settings.timezone", "", r"^settings: field 'timezone' must not be empty"),
    ("settings.time_step_minutes", 0, r"^settings: field 'time_step_minutes' must be in \[1, 1440\], got 0"),
    ("settings.travel_speed_kmh", 0, r"^settings: field 'travel_speed_kmh' must be in"),
    ("settings.max_distance_km", -1, r"^settings: field 'max_distance_km' must be in \[0, 40075\]"),
]


@pytest.mark.parametrize(("path", "value", "pattern"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_refusal_names_object_and_field(path: str, value: Any, pattern: str) -> None:
    d = edit(full_doc(), path, value)
    with pytest.raises(FormatError, match=pattern) as exc:
        problem_from_dict(d)
    assert "\n" not in str(exc.value)
    assert exc.value.__context__ is None or exc.value.__suppress_context__  # no chained traceback
    with pytest.raises(FormatError, match=pattern):  # the same through the JSON text reader
        loads_problem(json.dumps(d))


def test_unknown_fields_are_fine_under_extra() -> None:
    d = full_doc()
    edit(d, "tasks.0.extra", {"colour": "red", "deep": {"any": ["thing", 1, None]}})
    assert dict(problem_from_dict(d).task("t1").extra) == {
        "colour": "red",
        "deep": {"any": ["thing", 1, None]},
    }


TEXT_CASES: list[tuple[str, str]] = [
    ('{"format": "vmatch/1",\n "tasks": [}', r"^problem: malformed JSON at line 2, column 12: "),
    ("", r"^problem: malformed JSON at line 1, column 1: Expecting value"),
    ('[{"format": "vmatch/1"}]', r"^problem: the document must be a JSON object, got list"),
    ('"vmatch/1"', r"^problem: the document must be a JSON object, got str"),
    ('{"format": "vmatch/1", "extra": {"x": NaN}}', r"^problem: malformed JSON: NaN is not allowed"),
    (
        '{"format": "vmatch/1", "extra": {"x": Infinity}}',
        r"^problem: malformed JSON: Infinity is not allowed",
    ),
    (
        '{"format": "vmatch/1", "extra": {"x": -Infinity}}',
        r"^problem: malformed JSON: -Infinity is not allowed",
    ),
    (
        '{"format": "vmatch/1", "extra": {"x": 1e999}}',
        r"^problem: malformed JSON: number 1e999 is out of range",
    ),
    (
        '{"format": "vmatch/1", "extra": {"x": "\\ud800"}}',
        r"^problem: malformed JSON: a string holds an unpaired",
    ),
    ('{"format": "vmatch/1", "format": "vmatch/1"}', r"^problem: malformed JSON: key 'format' appears twice"),
    ('{"format": "vmatch/1", "extra": {"x": 1' + "0" * 5000 + "}}", r"^problem: malformed JSON: "),
    (
        '{"format": "vmatch/1", "extra": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}",
        r"^problem: malformed JSON: nesting is too deep",
    ),
    (
        '{"format": "vmatch/1", "extra": {"a": ' + "[" * 200 + "]" * 200 + "}}",
        r"^problem: field 'extra\.a(\[0\])+' is nested deeper than 64 levels",
    ),
]


@pytest.mark.parametrize(("text", "pattern"), TEXT_CASES, ids=[c[1][:40] for c in TEXT_CASES])
def test_refusal_of_bad_text(text: str, pattern: str) -> None:
    with pytest.raises(FormatError, match=pattern) as exc:
        loads_problem(text)
    assert "\n" not in str(exc.value)


def test_refusal_of_bad_bytes_and_types() -> None:
    with pytest.raises(FormatError, match=r"^problem: input is not valid UTF-8 \(byte 1\)"):
        loads_problem(b"{\xff}")
    with pytest.raises(FormatError, match=r"^problem: the document must be a JSON object, got NoneType"):
        problem_from_dict(None)  # type: ignore[arg-type]
    with pytest.raises(FormatError, match=r"^problem: field '\(document\)' has a key that is not a string: 3"):
        problem_from_dict({"format": "vmatch/1", 3: 1})  # type: ignore[dict-item]
    with pytest.raises(FormatError, match=r"^volunteer 'v': field 'location\[0\] \(latitude\)' must be a finite"):
        problem_from_dict({"format": "vmatch/1", "volunteers": [{"id": "v", "location": [math.nan, 0]}]})
    with pytest.raises(FormatError, match=r"^problem: field 'extra\.x' must hold finite numbers only"):
        problem_from_dict({"format": "vmatch/1", "extra": {"x": math.inf}})
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(FormatError, match=r"^problem: field 'extra(\.a)+' is nested deeper than 64 levels"):
        problem_from_dict({"format": "vmatch/1", "extra": deep})
    assert issubclass(FormatError, ModelError) and issubclass(FormatError, ValueError)


def test_oversized_input_is_refused_before_parsing(tmp_path: Path) -> None:
    junk = "{" * 500  # malformed: the size limit must answer first
    with pytest.raises(FormatError, match=r"^problem: input is larger than the limit of 100 bytes"):
        loads_problem(junk, max_bytes=100)
    with pytest.raises(FormatError, match=r"^problem: input is larger than the limit of 100 bytes"):
        loads_problem("é" * 60, max_bytes=100)  # 60 characters, 120 bytes
    path = tmp_path / "big.json"
    path.write_text(junk, encoding="utf-8")
    with pytest.raises(FormatError, match=r"^problem: file is 500 bytes, over the limit of 100 bytes"):
        read_problem(path, max_bytes=100)
    with pytest.raises(FormatError, match=r"^problem: input is larger than the limit of 100 bytes"):
        read_problem(io.StringIO(junk), max_bytes=100)
    with pytest.raises(FormatError, match=r"^problem: malformed JSON"):  # under the limit: parsed
        read_problem(path, max_bytes=1000)
    with pytest.raises(FileNotFoundError):
        read_problem(tmp_path / "missing.json")


def test_writer_refuses_what_the_format_cannot_hold() -> None:
    w = TimeWindow(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(FormatError, match=r"^volunteer 'v': field 'weekly\[0\]\.start' cannot be written"):
        problem_to_dict(
            Problem(volunteers=(Volunteer("v", Location(0, 0), weekly=(WeeklyRule((1,), time(8, 0, 5), time(9)),)),))
        )
    with pytest.raises(FormatError, match=r"^task 't': field 'extra\.f' must be JSON data, got object"):
        problem_to_dict(Problem(tasks=(Task("t", Location(0, 0), w, extra={"f": object()}),)))


@st.composite
def mutated_docs(draw: st.DrawFn) -> Any:
    """The full example with one value replaced, one key removed, or one key added, anywhere."""
    d = full_doc()
    paths: list[list[Any]] = []
    stack: list[tuple[list[Any], Any]] = [([], d)]
    while stack:
        path, node = stack.pop()
        paths.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend(([*path, k], v) for k, v in items)
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(json_values)
    parent: Any = d
    for k in path[:-1]:
        parent = parent[k]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["zz", "id", "extra", "days"]))] = draw(json_values)
    else:
        parent[path[-1]] = draw(json_values)
    return d


@settings(max_examples=300, deadline=None)
@given(mutated_docs())
def test_mutated_documents_give_a_problem_or_one_named_format_error(d: Any) -> None:
    try:
        p = problem_from_dict(d)
    except FormatError as e:
        msg = str(e)
        assert "\n" not in msg and "cannot be read" not in msg
        assert re.match(r"(problem|settings|volunteer '|task '|volunteers\[|tasks\[)", msg), msg
    else:
        assert loads_problem(dumps_problem(p)) == p


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60) | st.text(max_size=60))
def test_random_input_gives_only_format_errors(data: bytes | str) -> None:
    try:
        loads_problem(data)
    except FormatError as e:
        assert "cannot be read" not in str(e)


# ---------------------------------------------------------------- solutions


def example_result() -> Result:
    return Result(
        Status.FEASIBLE,
        objective=7.0,
        bound=math.nan,
        assignments=(
            Assignment("v2", "t2", datetime(2026, 12, 5, 6, tzinfo=UTC)),
            Assignment("v1", "t1", datetime(2026, 12, 5, 9, 15, tzinfo=CST)),
        ),
        unassigned={"t1": Shortfall("t1", 1, {"skill": 1, "busy": 0})},
        breakdown={"coverage": 7.0, "travel_km": 3.25, "odd": math.inf},
        levels=(LevelResult("coverage", "max", 7.0, math.nan), LevelResult("travel", "min", 3.25, 3.0)),
        stats={
            "wall_seconds": 0.5,
            "solver": "cpsat",
            "bad": math.nan,
            "per": (1, 2),
            "nested": {"x": [math.inf]},
        },
    )


def test_solution_round_trip(tmp_path: Path) -> None:
    p = problem_from_dict(full_doc())
    r = example_result()
    d = result_to_dict(r, p)
    assert d["format"] == "vmatch-solution/1" and d["status"] == "FEASIBLE"
    assert (d["objective"], d["bound"], d["gap"]) == (7.0, None, None)
    assert d["assignments"] == [
        {"volunteer": "v1", "task": "t1", "start": "2026-12-05T09:15+08:00"},
        {"volunteer": "v2", "task": "t2", "start": "2026-12-05T14:00+08:00"},  # in the problem's zone
    ]
    assert d["unassigned"] == {"t1": {"missing": 1, "reasons": {"skill": 1, "busy": 0}}}
    assert d["breakdown"] == {"coverage": 7.0, "travel_km": 3.25, "odd": None}
    assert d["levels"][0] == {"name": "coverage", "sense": "max", "value": 7.0, "bound": None}
    assert d["stats"] == {
        "wall_seconds": 0.5,
        "solver": "cpsat",
        "bad": None,
        "per": [1, 2],
        "nested": {"x": [None]},
    }
    json.dumps(d, allow_nan=False)  # strict JSON
    back = result_from_dict(json.loads(json.dumps(d)), p)
    assert back.status is r.status and back.objective == 7.0 and math.isnan(back.bound)
    assert back.assignments == r.assignments and back.unassigned == r.unassigned
    assert back.levels[1] == r.levels[1] and math.isnan(back.levels[0].bound)
    assert math.isnan(back.breakdown["odd"]) and back.breakdown["travel_km"] == 3.25
    write_solution(r, tmp_path / "s.json", p)
    again = read_solution(tmp_path / "s.json", p)
    assert again.assignments == r.assignments and dumps_solution(again, p) == dumps_solution(r, p)
    assert loads_solution(dumps_solution(r, p), p).assignments == r.assignments


SOLUTION_CASES: list[tuple[str, Any, str]] = [
    (
        "format",
        "vmatch/1",
        r"^solution: field 'format' must be 'vmatch-solution/1', got 'vmatch/1' \(this is a problem",
    ),
    ("format", DELETE, r"^solution: field 'format' is missing"),
    ("status", DELETE, r"^solution: field 'status' is missing"),
    ("status", "GOOD", r"^solution: field 'status' must be one of OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN"),
    ("objective", "high", r"^solution: field 'objective' must be a number"),
    ("colour", 1, r"^solution: field 'colour' is unknown"),
    ("assignments.0.volunteer", "v9", r"^solution: field 'assignments\[0\]' names unknown volunteer 'v9'"),
    ("assignments.0.task", "t9", r"^solution: field 'assignments\[0\]' names unknown task 't9'"),
    (
        "assignments.0.start",
        "2026-12-05T09:00",
        r"^solution: field 'assignments\[0\]\.start' has no UTC offset",
    ),
    ("assignments.0.start", DELETE, r"^solution: field 'assignments\[0\]\.start' is missing"),
    ("assignments.0.seat", 1, r"^solution: field 'assignments\[0\]\.seat' is unknown"),
    ("assignments", {}, r"^solution: field 'assignments' must be an array"),
    ("unassigned.t9", {"missing": 1}, r"^solution: field 'unassigned' names unknown task 't9'"),
    ("unassigned.t2.missing", -1, r"^solution: field 'unassigned\.t2\.missing' must be >= 0"),
    (
        "unassigned.t2.reasons.skill",
        "many",
        r"^solution: field 'unassigned\.t2\.reasons\.skill' must be an integer",
    ),
    ("stats", [], r"^solution: field 'stats' must be an object"),
    (
        "levels",
        [{"name": "x", "sense": "up"}],
        r"^solution: field 'levels\[0\]\.sense' must be 'min' or 'max'",
    ),
]


@pytest.mark.parametrize(("path", "value", "pattern"), SOLUTION_CASES, ids=[f"{c[0]}={c[1]!r}" for c in SOLUTION_CASES])
def test_solution_refusal(path: str, value: Any, pattern: str) -> None:
    p = problem_from_dict(full_doc())
    d = edit(json.loads((DATA / "design4_solution.json").read_text(encoding="utf-8")), path, value)
    with pytest.raises(FormatError, match=pattern) as exc:
        result_from_dict(d, p)
    assert "\n" not in str(exc.value)


def test_solution_writer_refuses_unknown_ids_and_reader_bad_text() -> None:
    p = problem_from_dict(full_doc())
    r = Result(Status.OPTIMAL, assignments=(Assignment("v9", "t1", datetime(2026, 12, 5, 9, tzinfo=CST)),))
    with pytest.raises(FormatError, match=r"^solution: field 'assignments\[0\]' names unknown volunteer 'v9'"):
        result_to_dict(r, p)
    with pytest.raises(FormatError, match=r"^solution: malformed JSON at line 1"):
        loads_solution("{", p)
    with pytest.raises(FormatError, match=r"^solution: the document must be a JSON object"):
        loads_solution("[]", p)


# ---------------------------------------------------------------- the bundled JSON Schemas


def schema_objects(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Property names of every object schema, keyed by its $defs name ("" for the root)."""
    out = {"": set(schema["properties"])}
    for name, sub in schema["$defs"].items():
        if "properties" in sub:
            out[name] = set(sub["properties"])
    return out


def walk(node: Any) -> list[dict[str, Any]]:
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            found.append(n)
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return found


SCHEMA_FILES = {
    "problem": ("vmatch-1.schema.json", "vmatch/1"),
    "solution": ("vmatch-solution-1.schema.json", "vmatch-solution/1"),
    "menu-solution": ("vmatch-menu-solution-1.schema.json", "vmatch-menu-solution/1"),
    "pairing-solution": ("vmatch-pairing-solution-1.schema.json", "vmatch-pairing-solution/1"),
}


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_schema_files_are_valid_json_and_package_data(kind: str) -> None:
    name, fmt = SCHEMA_FILES[kind]
    on_disk = json.loads((ROOT / "src" / "vmatch" / "schema" / name).read_text(encoding="utf-8"))
    s = json_schema(kind)
    assert s == on_disk
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["properties"]["format"]["const"] == fmt
    for node in walk(s):  # every $ref resolves; every object with properties is closed
        if "$ref" in node:
            assert node["$ref"].startswith("#/$defs/") and node["$ref"][8:] in s["$defs"], node["$ref"]
        if "properties" in node:
            assert node.get("additionalProperties") is False
            assert set(node.get("required", [])) <= set(node["properties"])
    with pytest.raises(ValueError, match="kind"):
        json_schema("other")


def test_schema_and_reader_accept_the_same_field_names() -> None:
    from vmatch.io.menu_json import MENU_FIELDS
    from vmatch.io.pairing_json import FIELDS as PAIRING_FIELDS

    problem = schema_objects(json_schema("problem"))
    assert problem == {
        "": {*FIELDS["problem"], "menu", "pairing"},
        "settings": set(FIELDS["settings"]),
        "volunteer": set(FIELDS["volunteer"]),
        "task": set(FIELDS["task"]),
        "weekly": set(FIELDS["weekly"]),
        "requirement": set(FIELDS["requirement"]),
        **{k: set(MENU_FIELDS[k]) for k in ("menu", "item", "offer", "order", "rating")},
        "pairing": set(PAIRING_FIELDS["pairing"]),
        "beneficiary": set(PAIRING_FIELDS["beneficiary"]),
        "pairing_weights": set(PAIRING_FIELDS["weights"]),
    }
    # a menu document's own top level: the schema's, less what only a dispatch problem has
    assert set(MENU_FIELDS["document"]) == {"format", "settings", "volunteers", "menu", "extra"}
    problem = {k: v - {"menu", "pairing"} if k == "" else v for k, v in problem.items() if k in FIELDS or k == ""}
    solution = schema_objects(json_schema("solution"))
    assert solution == {
        "": set(SOLUTION_FIELDS["solution"]),
        "assignment": set(SOLUTION_FIELDS["assignment"]),
        "shortfall": set(SOLUTION_FIELDS["shortfall"]),
        "level": set(SOLUTION_FIELDS["level"]),
    }
    # the reader accepts every schema property: the full example (read above) uses each one
    d = full_doc()
    d["settings"]["max_distance_km"] = None
    used = {
        "": set(d),
        "settings": set(d["settings"]),
        "volunteer": set().union(*map(set, d["volunteers"])),
        "task": set().union(*map(set, d["tasks"])),
        "weekly": set().union(*(set(r) for v in d["volunteers"] for r in v.get("weekly", []))),
        "requirement": set().union(*(set(r) for t in d["tasks"] for r in t.get("requirements", []))),
    }
    assert used == problem
    problem_from_dict(d)
    sol = result_to_dict(example_result(), problem_from_dict(full_doc()))
    assert set(sol) == solution[""] and set(sol["assignments"][0]) == solution["assignment"]
    assert set(sol["unassigned"]["t1"]) == solution["shortfall"] and set(sol["levels"][0]) == solution["level"]


def test_schema_defaults_and_patterns_match_the_reader() -> None:
    s = json_schema("problem")
    defs = s["$defs"]
    settings_defaults = {k: v["default"] for k, v in defs["settings"]["properties"].items()}
    d0 = Settings()
    assert settings_defaults == {
        "timezone": d0.timezone,
        "travel_speed_kmh": d0.travel_speed_kmh,
        "max_distance_km": d0.max_distance_km,
        "time_step_minutes": d0.time_step_minutes,
    }
    task = problem_from_dict(
        {
            "format": "vmatch/1",
            "tasks": [{"id": "t", "location": [0, 0], "window": ["2026-01-01T00:00Z", "2026-01-01T01:00Z"]}],
        }
    ).tasks[0]
    for key in ("headcount", "min_headcount", "priority", "duration", "category"):
        assert defs["task"]["properties"][key]["default"] == getattr(task, key), key
    assert defs["datetime"]["pattern"] == f"^{_json_util._DT_RE.pattern}$"
    assert defs["date"]["pattern"] == f"^{_json_util._DATE_RE.pattern}$"
    assert defs["clock"]["pattern"] == f"^{_json_util._CLOCK_RE.pattern}$"
    sol = json_schema("solution")
    assert sol["$defs"]["assignment"]["properties"]["start"]["pattern"] == defs["datetime"]["pattern"]
    assert sol["properties"]["status"]["enum"] == [x.value for x in Status]


def test_documents_of_every_kind_validate_against_the_bundled_schema() -> None:
    """The schema is checked with a JSON Schema validator (jsonschema, a test dependency) on what
    the writers produce and on the documented examples, and it refuses what the readers refuse
    at the level of shape."""
    import jsonschema

    from vmatch.gen.menu import generate_menu
    from vmatch.generate import GENERATORS
    from vmatch.io.menu_json import menu_problem_to_dict
    from vmatch.io.pairing_json import pairing_problem_to_dict
    from vmatch.pairing import generate_pairing

    s = json_schema("problem")
    jsonschema.Draft202012Validator.check_schema(s)
    v = jsonschema.Draft202012Validator(s)
    bundled = json.loads((ROOT / "src" / "vmatch" / "examples" / "district-weekend.json").read_text(encoding="utf-8"))
    docs = {
        "full": full_doc(),
        "bundled": bundled,
        "city": problem_to_dict(GENERATORS["city"](60, 25, seed=2)),
        "menu": menu_problem_to_dict(generate_menu(120, 40, seed=2)),
        "pairing": pairing_problem_to_dict(generate_pairing(60, 30, seed=2)),
    }
    for name, d in docs.items():
        d = json.loads(json.dumps(d))
        assert [e.message for e in v.iter_errors(d)] == [], name
    menu = json.loads(json.dumps(docs["menu"]))
    assert menu["menu"]["items"] and menu["menu"]["offers"] and menu["menu"]["orders"] and menu["menu"]["ratings"]
    refused = [
        ("tasks", []),  # a menu document has no tasks ...
        ("pairing", json.loads(json.dumps(docs["pairing"]["pairing"]))),  # ... nor a pairing section
    ]
    for key, value in refused:
        assert not v.is_valid({**menu, key: value}), key
    for path, value in (
        ("menu.orders.0.priority", 1_000_001),
        ("menu.items.0.colour", "red"),
        ("menu.offers.0.capacity", -1),
        ("menu.ratings.0.stars", 6),
    ):
        d = edit(json.loads(json.dumps(menu)), path, value)
        assert not v.is_valid(d), path
    pairing = json.loads(json.dumps(docs["pairing"]))
    for path, value in (("pairing.beneficiaries.0.weekly", []), ("pairing.max_beneficiaries", {"v0": 1001})):
        d = edit(json.loads(json.dumps(pairing)), path, value)
        assert not v.is_valid(d), path


def test_menu_and_pairing_solutions_validate_against_their_schemas() -> None:
    import jsonschema

    from vmatch.gen.menu import generate_menu
    from vmatch.io._pairing_json_result import SOLUTION_FIELDS as PAIRING_SOLUTION_FIELDS
    from vmatch.io.menu_json import MENU_FIELDS
    from vmatch.io.pairing_json import dumps_pairing_result
    from vmatch.menu import menu_replan, menu_result_to_dict, menu_solve
    from vmatch.pairing import generate_pairing, pair

    menu_s, pairing_s = json_schema("menu-solution"), json_schema("pairing-solution")
    assert set(menu_s["properties"]) == set(MENU_FIELDS["solution"])
    assert set(menu_s["$defs"]["assignment"]["properties"]) == set(MENU_FIELDS["assignment"])
    assert set(pairing_s["properties"]) == set(PAIRING_SOLUTION_FIELDS)
    mv, pv = jsonschema.Draft202012Validator(menu_s), jsonschema.Draft202012Validator(pairing_s)
    mp = generate_menu(60, 20, seed=4)
    for mode in ("welfare", "stable"):
        d = json.loads(json.dumps(menu_result_to_dict(menu_solve(mp, mode=mode, time_limit=3))))  # type: ignore[arg-type]
        assert d["assignments"] and d["unserved"]
        assert [e.message for e in mv.iter_errors(d)] == [], mode
    r = menu_solve(mp, time_limit=3)
    a = r.assignments[0]
    d = menu_result_to_dict(menu_replan(mp, r, declined=[(a.provider, a.order)], cancelled=[a.order], time_limit=3))
    d = json.loads(json.dumps(d))
    assert d["unserved"][a.order] == {"cancelled": 1}
    assert [e.message for e in mv.iter_errors(d)] == []
    assert not mv.is_valid({**d, "mode": "other"})
    pp = generate_pairing(40, 25, seed=4)
    d = json.loads(dumps_pairing_result(pair(pp, time_limit=3)))
    assert d["pairs"] and d["levels"]
    assert [e.message for e in pv.iter_errors(d)] == []
    d["pairs"][0]["day"] = 8
    assert not pv.is_valid(d)


def test_schema_field_names_all_appear_in_the_docs() -> None:
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    names = {n for props in schema_objects(json_schema("problem")).values() for n in props}
    names |= {n for props in schema_objects(json_schema("solution")).values() for n in props}
    missing = sorted(n for n in names if f"`{n}`" not in text and f'"{n}"' not in text)
    assert missing == []


# ---------------------------------------------------------------- repeated values, refused alike


def test_repeated_rules_and_times_read_alike_and_look_alike_bad_ones_refused() -> None:
    """A weekly rule or date-time given twice reads to equal values; a good value read before does
    not let a look-alike bad one through (true is not 1, 1.5 is not a weekday), and errors name
    the object and field where they are."""
    d = full_doc()
    rule = {"days": [1, 5], "start": "18:00", "end": "24:00"}
    d["volunteers"][0]["weekly"] = [dict(rule)]
    p = problem_from_dict(d)
    assert p.volunteer("v1").weekly[0] == p.volunteer("v2").weekly[0]
    assert p.volunteer("v1").weekly[0] == WeeklyRule((1, 5), time(18), time(0))
    for days, msg in (
        ([True, 5], r"weekly\[0\]\.days\[0\]"),
        ([1.5, 5], r"weekly\[0\]\.days\[0\]"),
        ([8], r"weekly\[0\]\.days\[0\]"),
    ):
        bad = full_doc()
        bad["volunteers"][0]["weekly"] = [dict(rule)]
        bad["volunteers"][1]["weekly"] = [dict(rule, days=days)]
        with pytest.raises(FormatError, match=r"^volunteer 'v2': field '" + msg):
            problem_from_dict(bad)
    bad = full_doc()
    bad["volunteers"][1]["weekly"] = [dict(rule, end="17:00")]  # after a good 18:00-24:00
    with pytest.raises(FormatError, match=r"^volunteer 'v2': field 'weekly\[0\]\.end'"):
        problem_from_dict(bad)
    ok = full_doc()
    start = ok["tasks"][0]["window"][0]
    ok["tasks"][1]["window"] = [start, ok["tasks"][0]["window"][1]]
    q = problem_from_dict(ok)
    assert q.task("t2").window.start == q.task("t1").window.start
    naive = full_doc()
    naive["tasks"][1]["window"] = [start[:16], naive["tasks"][1]["window"][1]]  # no offset, after a good one
    with pytest.raises(FormatError, match=r"^task 't2': field 'window\[0\]' has no UTC offset"):
        problem_from_dict(naive)
