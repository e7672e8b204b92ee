"""Independent checker of every hard rule of DESIGN §3 on the domain model.

:func:`verify` re-checks a :class:`~vmatch.result.Result` against its
:class:`~vmatch.model.Problem` with plain datetime / zoneinfo arithmetic on the domain
objects; it shares no code with the compiler. :func:`check_objective` recomputes the
objective terms the solver reports in ``Result.breakdown``.

Rule names of a :class:`Violation`: ``unknown_id``, ``start``, ``skill``, ``composition``,
``certificate``, ``attribute``, ``availability``, ``double_booking``, ``workload``,
``workload_day``, ``distance``, ``headcount``, ``min_headcount``, ``pinned``,
``forbidden``, ``duplicate``, ``unassigned``.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> from vmatch.result import Assignment, Result, Status
>>> t0 = datetime(2026, 12, 5, 9, tzinfo=timezone.utc)
>>> p = Problem(volunteers=(Volunteer("v1", Location(30.0, 114.0), skills={"first_aid": 1}),),
...             tasks=(Task("t1", Location(30.0, 114.0), TimeWindow(t0, t0 + timedelta(hours=2)),
...                         duration=timedelta(hours=1), skills={"first_aid": 2}),))
>>> r = Result(Status.FEASIBLE, assignments=(Assignment("v1", "t1", t0),))
>>> [(x.rule, x.volunteer, x.task) for x in verify(p, r)]
[('skill', 'v1', 't1')]
>>> check_objective(p, r)["places_filled"]
1.0
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np

from vmatch._verify_rules import Violation, check_pair, check_task, check_volunteers
from vmatch._verify_time import td_us, to_us
from vmatch.geo import haversine_km
from vmatch.model import Problem, Task, Volunteer
from vmatch.result import Result

__all__ = ["RULES", "Violation", "check_objective", "verify"]

_log = logging.getLogger(__name__)

RULES = (
    "unknown_id",
    "start",
    "skill",
    "composition",
    "certificate",
    "attribute",
    "availability",
    "double_booking",
    "workload",
    "workload_day",
    "distance",
    "headcount",
    "min_headcount",
    "pinned",
    "forbidden",
    "duplicate",
    "unassigned",
)

DISTANCE_RTOL = 1e-9
"""Relative tolerance of the distance rule."""


def _aware(dt: object) -> bool:
    return isinstance(dt, datetime) and dt.tzinfo is not None and dt.utcoffset() is not None


def _known_pairs(
    problem: Problem, result: Result, out: list[Violation] | None
) -> list[tuple[Volunteer, Task, datetime]]:
    """Assignments naming known ids, first occurrence of each (volunteer, task) pair."""
    vols = {v.id: v for v in problem.volunteers}
    tasks = {t.id: t for t in problem.tasks}
    seen: set[tuple[str, str]] = set()
    pairs = []
    for a in result.assignments:
        v = vols.get(a.volunteer)
        t = tasks.get(a.task)
        if v is None or t is None:
            if out is not None:
                what = f"volunteer {a.volunteer}" if v is None else f"task {a.task}"
                out.append(
                    Violation(
                        "unknown_id",
                        a.volunteer,
                        a.task,
                        f"assignment {a.volunteer}->{a.task} names unknown {what}",
                    )
                )
            continue
        key = (a.volunteer, a.task)
        if key in seen:
            if out is not None:
                out.append(
                    Violation(
                        "duplicate",
                        a.volunteer,
                        a.task,
                        f"volunteer {a.volunteer} is assigned to task {a.task} twice",
                    )
                )
            continue
        seen.add(key)
        pairs.append((v, t, a.start))
    return pairs


def _home_km(pairs: list[tuple[Volunteer, Task, datetime]]) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    a = np.array([(v.location.lat, v.location.lon, t.location.lat, t.location.lon) for v, t, _ in pairs])
    return np.asarray(haversine_km(a[:, 0], a[:, 1], a[:, 2], a[:, 3]), dtype=np.float64)


def verify(problem: Problem, result: Result) -> list[Violation]:
    """Every hard rule the result breaks (an empty list when it keeps them all).

    Parameters
    ----------
    problem : Problem
        The problem the result answers.
    result : Result
        Checked when its status has a solution, or whenever it carries assignments.

    Returns
    -------
    list of Violation
        In a stable order: unknown ids, duplicates and the rules of each assignment (in the
        order of ``result.assignments``), then per task (in problem order, the ``unassigned``
        report included), per volunteer, double booking, pinned and forbidden pairs, and
        unknown task ids in ``result.unassigned``.
    """
    if not result.status.has_solution and not result.assignments:
        return []
    out: list[Violation] = []
    s = problem.settings
    tz = s.tz
    pairs = _known_pairs(problem, result, out)
    km = _home_km(pairs)
    by_task: dict[str, list[tuple[Volunteer, int | None]]] = {}
    by_vol: dict[str, list[tuple[int, int, Task]]] = {}
    for (v, t, start), d in zip(pairs, km.tolist(), strict=True):
        limit = v.max_distance_km if v.max_distance_km is not None else s.max_distance_km
        if limit is not None and d > limit * (1.0 + DISTANCE_RTOL):
            out.append(
                Violation(
                    "distance",
                    v.id,
                    t.id,
                    f"task {t.id} is beyond the {limit:g} km limit of volunteer {v.id}",
                )
            )
        if not _aware(start):
            out.append(Violation("start", v.id, t.id, f"assignment {v.id}->{t.id} has no timezone-aware start"))
            by_task.setdefault(t.id, []).append((v, None))
            continue
        s_us = to_us(start)
        e_us = s_us + td_us(t.duration or (t.window.end - t.window.start))
        out.extend(check_pair(v, t, s_us, e_us, s.time_step_minutes, tz))
        by_task.setdefault(t.id, []).append((v, s_us))
        by_vol.setdefault(v.id, []).append((s_us, e_us, t))
    for t in problem.tasks:
        out.extend(check_task(t, by_task.get(t.id, []), result.unassigned.get(t.id)))
    vols = {v.id: v for v in problem.volunteers}
    out.extend(check_volunteers(vols, by_vol, s.travel_speed_kmh, tz))
    present = {(v.id, t.id) for v, t, _ in pairs}
    for vid, tid in problem.pinned:
        if (vid, tid) not in present:
            out.append(Violation("pinned", vid, tid, f"pinned pair {vid}->{tid} is missing"))
    for vid, tid in problem.forbidden:
        if (vid, tid) in present:
            out.append(Violation("forbidden", vid, tid, f"forbidden pair {vid}->{tid} is assigned"))
    known = {t.id for t in problem.tasks}
    for tid in result.unassigned:
        if tid not in known:
            out.append(Violation("unknown_id", None, tid, f"unassigned report names unknown task {tid}"))
    _log.debug("verify: %d assignments, %d violations", len(result.assignments), len(out))
    return out


def check_objective(problem: Problem, result: Result) -> dict[str, float]:
    """Recompute the objective terms of ``result`` from the domain model.

    Assignments naming unknown ids are skipped and a repeated (volunteer, task) pair counts
    once.

    Returns
    -------
    dict of str to float
        ``coverage`` (sum over assignments of the task's priority), ``places_filled``
        (assignments), ``places_asked`` (sum of head-counts), ``tasks_served`` (tasks with
        an assignee), ``tasks`` (all tasks) and ``travel_km`` (sum of home-to-task km).
    """
    pairs = _known_pairs(problem, result, None)
    return {
        "coverage": float(sum(t.priority for _, t, _ in pairs)),
        "places_filled": float(len(pairs)),
        "places_asked": float(sum(t.headcount for t in problem.tasks)),
        "tasks_served": float(len({t.id for _, t, _ in pairs})),
        "tasks": float(len(problem.tasks)),
        "travel_km": float(_home_km(pairs).sum()),
    }
