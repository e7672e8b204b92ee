"""Several volunteers that are one person: the dispatch pipeline plus shared-person rows.

A compiled menu problem has one volunteer per offer; the offers of one provider are one
person (or one team). ``Problem.extra["same_person"]`` lists them (see
:mod:`vmatch.menu.compile`). :func:`with_people` adds to a compiled arc problem what that
means: time-conflict rows over all the person's arcs (overlap and travel, computed by the
compiler's own conflict routine on arcs relabelled by person) and capacity rows for the
person's workload over the horizon and per local day; :func:`compile_people` compiles a
problem with them. :func:`vmatch.menu.engine.solve_problem` solves it.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> p, m = menu_to_problem(generate_menu(40, 15, seed=2))
>>> from vmatch.menu.engine import solve_problem
>>> r = solve_problem(p, time_limit=5)
>>> r.status.has_solution, person_violations(p, r)
(True, [])
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch.arcs import Rows, csr_from_lists
from vmatch.compile import Compiled, _conflicts
from vmatch.errors import ModelError
from vmatch.geo import haversine_km, travel_minutes
from vmatch.menu.fastcompile import by_item, compile_by_item
from vmatch.model import Problem
from vmatch.objective import Objective
from vmatch.result import Result

__all__ = ["compile_people", "person_groups", "person_violations", "with_people"]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]


def person_groups(problem: Problem) -> dict[str, dict[str, Any]]:
    """``Problem.extra["same_person"]`` checked: person -> {"volunteers", "max_minutes", "max_minutes_per_day"}."""
    raw = problem.extra.get("same_person") or {}
    if not isinstance(raw, Mapping):
        raise ModelError("problem: field 'extra.same_person' must map a person to their volunteers")
    out: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    for person, d in raw.items():
        vids = d.get("volunteers") if isinstance(d, Mapping) else d
        if not isinstance(vids, (list, tuple)) or not all(isinstance(v, str) for v in vids):
            raise ModelError(f"problem: field 'extra.same_person.{person}' must list volunteer ids")
        for v in vids:
            if v in seen:
                raise ModelError(
                    f"problem: field 'extra.same_person.{person}' repeats volunteer {v!r} (also in {seen[v]!r})"
                )
            seen[v] = person
        lims = {k: (d.get(k) if isinstance(d, Mapping) else None) for k in ("max_minutes", "max_minutes_per_day")}
        out[str(person)] = {"volunteers": tuple(vids), **lims}
    return out


def _person_index(problem: Problem, groups: Mapping[str, Mapping[str, Any]]) -> tuple[I64, list[tuple[int, Any]]]:
    """Each volunteer's person (the index of the person's first volunteer), and per person (rep, limits)."""
    person = np.arange(len(problem.volunteers), dtype=np.int64)
    reps: list[tuple[int, Any]] = []
    index = {v.id: i for i, v in enumerate(problem.volunteers)}
    for d in groups.values():
        idx = sorted(index[v] for v in d["volunteers"] if v in index)
        if len(idx) > 1:
            person[idx] = idx[0]
            reps.append((idx[0], d))
    return person, reps


def with_people(c: Compiled, groups: Mapping[str, Mapping[str, Any]], *, conflicts_done: bool = False) -> Compiled:
    """``c`` with the shared-person rows of ``groups`` (see the module docstring).

    ``conflicts_done``: the conflict rows of ``c`` already span each person's arcs
    (:func:`vmatch.menu.fastcompile.compile_by_item` with ``person``); only workload rows are added.
    """
    p = c.problem
    person, reps = _person_index(p, groups)
    if not reps:
        return c
    ap = c.arcs
    start = c.job_start[ap.arc_job]
    arc_p = person[ap.arc_agent]
    cliques = ap.cliques
    if not conflicts_done:
        end = np.asarray(ap.meta["job_end"], np.int64)[ap.arc_job]
        cliques = _conflicts(c.tables, arc_p, c.job_task[ap.arc_job], start, end, c.arc_km, p.settings.travel_speed_kmh)
    rows: list[I64] = []
    rhs: list[int] = []
    owner: list[int] = []
    day = c.tables.local_date_ordinal(start) if len(start) else np.zeros(0, np.int64)
    order = np.argsort(arc_p, kind="stable")
    bounds = (
        np.searchsorted(arc_p[order], [r for r, _ in reps]),
        np.searchsorted(arc_p[order], [r for r, _ in reps], side="right"),
    )
    for (rep, d), lo, hi in zip(reps, bounds[0].tolist(), bounds[1].tolist(), strict=True):
        mine = order[lo:hi]
        load = ap.arc_load[mine]
        if d.get("max_minutes") is not None and int(load.sum()) > int(d["max_minutes"]):
            rows.append(mine)
            rhs.append(int(d["max_minutes"]))
            owner.append(rep)
        if d.get("max_minutes_per_day") is not None:
            for dd in np.unique(day[mine]):
                sel = mine[day[mine] == dd]
                if int(ap.arc_load[sel].sum()) > int(d["max_minutes_per_day"]):
                    rows.append(sel)
                    rhs.append(int(d["max_minutes_per_day"]))
                    owner.append(rep)
    extra = csr_from_lists(rows, rhs, owner)
    cap = ap.capacity
    capacity = Rows(
        np.concatenate([cap.indptr, cap.indptr[-1] + extra.indptr[1:]]),
        np.concatenate([cap.indices, extra.indices]),
        np.concatenate([cap.rhs, extra.rhs]),
        np.concatenate([cap.owner, extra.owner]),
    )
    log.info("shared-person rows: %d people, %d conflict rows, %d workload rows", len(reps), len(cliques), len(extra))
    return dataclasses.replace(c, arcs=dataclasses.replace(ap, cliques=cliques, capacity=capacity))


def compile_people(
    problem: Problem, objective: Objective | None = None, candidates: tuple[I64, I64] | None = None
) -> Compiled:
    """Compile ``problem`` (item by item when it is a menu's, or from ``candidates`` pairs) with its
    shared-person rows."""
    groups = person_groups(problem)
    person, _ = _person_index(problem, groups)
    c = compile_by_item(problem, objective, person, candidates)
    return with_people(c, groups, conflicts_done=candidates is not None or by_item(problem) is not None)


def person_violations(problem: Problem, result: Result) -> list[str]:
    """Breaches of the shared-person rules by ``result`` (an independent check on domain objects).

    One line per breach: two tasks of one person overlapping (travel between sites included),
    or a person's minutes over their horizon or per-day limit.
    """
    groups = person_groups(problem)
    if not groups:
        return []
    st = problem.settings
    tz = st.tz
    who = {v: person for person, d in groups.items() for v in d["volunteers"]}
    jobs: dict[str, list[tuple[datetime, datetime, Any]]] = {}
    for a in result.assignments:
        if a.volunteer in who:
            t = problem.task(a.task)
            end = a.start + (t.window.end - t.window.start if t.duration is None else t.duration)
            jobs.setdefault(who[a.volunteer], []).append((a.start, end, t))
    out: list[str] = []
    for person, js in jobs.items():
        js.sort(key=lambda x: (x[0], x[1]))
        for i, (_s1, e1, t1) in enumerate(js):
            for s2, _e2, t2 in js[i + 1 :]:
                km = float(haversine_km(t1.location.lat, t1.location.lon, t2.location.lat, t2.location.lon))
                gap = (s2 - e1).total_seconds() / 60
                need = 0 if t1.id == t2.id else int(travel_minutes(km, st.travel_speed_kmh))
                if s2 < e1 or gap < need:
                    out.append(f"person {person!r}: tasks {t1.id!r} and {t2.id!r} overlap (travel included)")
        d = groups[person]
        total = sum((e - s).total_seconds() / 60 for s, e, _ in js)
        if d.get("max_minutes") is not None and total > d["max_minutes"]:
            out.append(f"person {person!r}: {total:.0f} min over the limit of {d['max_minutes']}")
        if d.get("max_minutes_per_day") is not None:
            per: dict[Any, float] = {}
            for s, e, _ in js:
                day = s.astimezone(tz).date()
                per[day] = per.get(day, 0.0) + (e - s).total_seconds() / 60
            for day, m in sorted(per.items()):
                if m > d["max_minutes_per_day"]:
                    out.append(f"person {person!r}: {m:.0f} min on {day} over the daily limit")
    return out
