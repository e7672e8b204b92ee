"""Writing a :class:`Problem` as a ``vmatch/1`` document (a plain dict ready for :func:`json.dumps`).

Required fields and the task's head-count fields are always written; other fields only
when they differ from their default, so documents stay short and read back equal.

Examples
--------
>>> from vmatch.model import Location, Problem, Volunteer
>>> problem_to_dict(Problem(volunteers=(Volunteer("v1", Location(30.6, 114.3)),)))["volunteers"]
[{'id': 'v1', 'location': [30.6, 114.3]}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmatch.io._json_read import FORMAT
from vmatch.io._json_util import Ctx, fmt_clock, fmt_datetime, fmt_num, json_data
from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer, WeeklyRule

__all__ = ["problem_to_dict"]


def _loc(x: Location) -> list[float | None]:
    return [fmt_num(x.lat), fmt_num(x.lon)]


def _window(w: TimeWindow) -> list[str]:
    return [fmt_datetime(w.start), fmt_datetime(w.end)]


def _weekly(ctx: Ctx, n: int, r: WeeklyRule) -> dict[str, Any]:
    return {
        "days": list(r.days),
        "start": fmt_clock(ctx, f"weekly[{n}].start", r.start),
        "end": fmt_clock(ctx, f"weekly[{n}].end", r.end, end=True),
    }


def _attrs(m: Mapping[str, frozenset[str]]) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in m.items()}


def _volunteer(v: Volunteer) -> dict[str, Any]:
    ctx = Ctx(f"volunteer {v.id!r}")
    d: dict[str, Any] = {"id": v.id, "location": _loc(v.location)}
    if v.skills:
        d["skills"] = dict(v.skills)
    if v.certificates:
        d["certificates"] = {c: None if e is None else e.isoformat() for c, e in v.certificates.items()}
    if v.availability:
        d["availability"] = [_window(w) for w in v.availability]
    if v.weekly:
        d["weekly"] = [_weekly(ctx, n, r) for n, r in enumerate(v.weekly)]
    for key in ("max_minutes", "max_minutes_per_day"):
        if getattr(v, key) is not None:
            d[key] = getattr(v, key)
    if v.max_distance_km is not None:
        d["max_distance_km"] = fmt_num(v.max_distance_km)
    if v.attributes:
        d["attributes"] = _attrs(v.attributes)
    if v.team is not None:
        d["team"] = v.team
    if v.rating is not None:
        d["rating"] = fmt_num(v.rating)
    if v.hours_served != 0:
        d["hours_served"] = fmt_num(v.hours_served)
    if v.extra:
        d["extra"] = json_data(ctx, "extra", v.extra)
    return d


def _task(t: Task) -> dict[str, Any]:
    ctx = Ctx(f"task {t.id!r}")
    d: dict[str, Any] = {"id": t.id, "location": _loc(t.location), "window": _window(t.window)}
    if t.duration is not None:
        d["duration"] = t.duration_minutes
    d["headcount"] = t.headcount
    d["min_headcount"] = t.min_headcount
    d["priority"] = t.priority
    if t.skills:
        d["skills"] = dict(t.skills)
    if t.requirements:
        d["requirements"] = [{"skill": r.skill, "level": r.level, "count": r.count} for r in t.requirements]
    if t.certificates:
        d["certificates"] = list(t.certificates)
    if t.attributes:
        d["attributes"] = _attrs(t.attributes)
    if t.category is not None:
        d["category"] = t.category
    if t.requester is not None:
        d["requester"] = t.requester
    if t.extra:
        d["extra"] = json_data(ctx, "extra", t.extra)
    return d


def problem_to_dict(p: Problem) -> dict[str, Any]:
    """The ``vmatch/1`` document of ``p`` as plain JSON data.

    ``problem_from_dict(problem_to_dict(p)) == p`` for every problem whose ``extra``
    data is JSON data and whose weekly rules fall on whole minutes.

    Raises
    ------
    FormatError
        When a value cannot be written (non-JSON ``extra`` data, a weekly time with seconds).
    """
    s = p.settings
    d: dict[str, Any] = {
        "format": FORMAT,
        "settings": {
            "timezone": s.timezone,
            "travel_speed_kmh": fmt_num(s.travel_speed_kmh),
            "max_distance_km": None if s.max_distance_km is None else fmt_num(s.max_distance_km),
            "time_step_minutes": s.time_step_minutes,
        },
        "volunteers": [_volunteer(v) for v in p.volunteers],
        "tasks": [_task(t) for t in p.tasks],
    }
    if p.pinned:
        d["pinned"] = [list(pair) for pair in p.pinned]
    if p.forbidden:
        d["forbidden"] = [list(pair) for pair in p.forbidden]
    if p.preferences:
        d["preferences"] = [[a, b, s] for (a, b), s in p.preferences.items()]
    if p.previous:
        d["previous"] = [list(pair) for pair in p.previous]
    if p.extra:
        d["extra"] = json_data(Ctx("problem"), "extra", p.extra)
    return d
