"""Local re-planning: re-solve only the neighbourhood of the events, keep the rest of the plan.

For large problems compiling the whole problem again costs more than the answer is worth (the
10,000 x 5,000 city compiles in about 30 s); a decline touches a few tasks. The neighbourhood:

* **seed tasks**: tasks that lost an assignee (declined pairs, withdrawn volunteers), added tasks,
  tasks of pinned pairs not in the plan;
* **freed volunteers**: volunteers who lost an assignment (declined, cancelled tasks) or must take
  a pinned pair; with them, their other planned tasks and the unfilled tasks they could serve;
* **free tasks** ``F``: the seeds, then the planned tasks of the volunteers eligible for a seed
  (so that a volunteer can move to a seed and leave their task to someone else), then the
  unfilled tasks the freed volunteers could serve, up to ``max_free`` tasks;
* **sub-problem**: the free tasks as they are, the volunteers eligible for any of them (and the
  other volunteers of a same-person group), and each such volunteer's other planned tasks as
  *fixed* tasks: the planned occurrence only, with a head-count of its planned assignees among
  them, pinned to them (so nobody else can join), so that time conflicts, travel and workload
  stay exact. Only the pairs near the free tasks and the fixed pairs are compiled.

Its answer replaces the plan on ``F``; everything else stays as it was. Coverage is maximised
within the neighbourhood (lexicographically first, as globally), so the result is valid and
changes little, but is not proven optimal for the whole problem (status FEASIBLE, bound unknown).

Examples
--------
>>> from vmatch.gen import generate_city
>>> from vmatch.solve import solve
>>> from vmatch.verify import verify
>>> p = generate_city(60, 30, seed=1)
>>> r = solve(p, time_limit=5)
>>> a = r.assignments[0]
>>> from vmatch.replan import replan
>>> r2 = replan(p, r, declined=[(a.volunteer, a.task)], scope="local", time_limit=5)
>>> (a.volunteer, a.task) in {(x.volunteer, x.task) for x in r2.assignments}, r2.stats["scope"]
(False, 'local')
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch import eligibility as el
from vmatch.geo import haversine_km
from vmatch.menu.engine import solve_problem
from vmatch.menu.fastcompile import near_pairs
from vmatch.menu.people import person_groups
from vmatch.model import Problem, Task, TimeWindow
from vmatch.objective import TERMS, Objective, term_coefficients
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status
from vmatch.solve import load_spread

__all__ = ["Eligibility", "local_replan", "plan_result"]

log = logging.getLogger(__name__)

Plan = Sequence[tuple[str, str, datetime]]
I64 = npt.NDArray[np.int64]


class Eligibility:
    """Per-pair eligibility on one :class:`~vmatch.eligibility.Tables` of the whole problem.

    A pair is eligible when it passes every rule of a single (volunteer, task) pair for some start:
    skills, attributes, forbidden, distance, availability, certificates, single-task workload
    (the compiler's rule functions; time conflicts and cumulative workload are left to the solver).
    """

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.tb = el.Tables(p)
        self.vi = {v.id: i for i, v in enumerate(p.volunteers)}
        self.ti = {t.id: i for i, t in enumerate(p.tasks)}

    def pairs(self, vids: Collection[str] | None, tids: Collection[str]) -> list[tuple[str, str, float]]:
        """(volunteer, task, km) eligible pairs among ``vids`` (None: all) and ``tids``."""
        tb, p = self.tb, self.p
        if not tids or not tb.nv:
            return []
        vi = (
            np.arange(tb.nv, dtype=np.int64)
            if vids is None
            else np.asarray(sorted(self.vi[v] for v in vids if v in self.vi), np.int64)
        )
        ti = np.asarray(sorted(self.ti[t] for t in tids if t in self.ti), np.int64)
        if not len(vi) or not len(ti):
            return []
        v, t = near_pairs(tb, vi, ti)
        keep = el.skill_ok(tb, v, t) & el.attribute_ok(tb, v, t)
        v, t = v[keep], t[keep]
        keep = el.forbidden_ok(tb, v, t)
        v, t = v[keep], t[keep]
        km = el.distance_km(tb, v, t)
        keep = km <= tb.vradius[v] * (1 + 1e-9)
        v, t, km = v[keep], t[keep], km[keep]
        dur = tb.tdur[t]
        n_starts = (tb.twe[t] - dur - tb.tws[t]) // p.settings.time_step_minutes + 1
        ok = np.zeros(len(v), bool)
        for k in range(int(n_starts.max()) if len(v) else 0):
            live = np.flatnonzero((k < n_starts) & ~ok)
            st = tb.tws[t[live]] + k * p.settings.time_step_minutes
            ok[live] = el.available_ok(tb, v[live], st, st + dur[live]) & el.certificate_ok(
                tb, v[live], t[live], st + dur[live]
            )
        ok &= el.workload_ok(tb, v, dur)
        vs, ts = p.volunteers, p.tasks
        return [
            (vs[a].id, ts[b].id, float(d))
            for a, b, d in zip(v[ok].tolist(), t[ok].tolist(), km[ok].tolist(), strict=True)
        ]


def _neighbourhood(
    el_: Eligibility, plan: Plan, short: Collection[str], seeds: Iterable[str], freed: Iterable[str], max_free: int
) -> list[str]:
    by_vol: dict[str, list[str]] = {}
    for v, t, _ in plan:
        by_vol.setdefault(v, []).append(t)
    free: dict[str, None] = dict.fromkeys(seeds)
    freed = list(dict.fromkeys(freed))
    for v in freed:
        free.update(dict.fromkeys(by_vol.get(v, ())))
    near = sorted(el_.pairs(None, list(free)), key=lambda x: x[2])
    for v, _t, _ in near:
        if len(free) >= max_free:
            break
        free.update(dict.fromkeys(by_vol.get(v, ())[: max_free - len(free)]))
    if freed and len(free) < max_free:
        for _v, t, _ in sorted(el_.pairs(freed, [t for t in short if t not in free]), key=lambda x: x[2]):
            if len(free) >= max_free:
                break
            free[t] = None
    return list(free)


def _sub_problem(el_: Eligibility, plan: Plan, free: list[str]) -> tuple[Problem, set[str], tuple[I64, I64]]:
    p = el_.p
    fset = set(free)
    vols = {v for v, _t, _ in el_.pairs(None, free)} | {v for v, t, _ in plan if t in fset}
    for d in person_groups(p).values():
        if vols & set(d["volunteers"]):
            vols |= set(d["volunteers"])
    fixed: dict[str, list[tuple[str, datetime]]] = {}
    for v, t, s in plan:
        if v in vols and t not in fset:
            fixed.setdefault(t, []).append((v, s))
    volunteers = tuple(v for v in p.volunteers if v.id in vols)
    tasks: list[Task] = [t for t in p.tasks if t.id in fset]
    for task in p.tasks:
        if task.id in fixed:
            s = fixed[task.id][0][1]
            dur = task.window.end - task.window.start if task.duration is None else task.duration
            # the planned occurrence, full with its pinned assignees: nobody else can join it
            tasks.append(
                Task(
                    task.id,
                    task.location,
                    TimeWindow(s, s + dur),
                    headcount=len(fixed[task.id]),
                    priority=task.priority,
                    category=task.category,
                    requester=task.requester,
                )
            )
    pinned = [(v, t) for t, vs in fixed.items() for v, _ in vs]
    pinned += [(v, t) for v, t in p.pinned if v in vols and t in fset]
    forbidden = [(v, t) for v, t in p.forbidden if v in vols and t in fset]
    prefs = {k: s for k, s in p.preferences.items() if k[0] in vols and (k[1] in fset or k[1] in fixed)}
    extra = {"same_person": {k: d for k, d in person_groups(p).items() if vols & set(d["volunteers"])}}
    sub = Problem(
        volunteers,
        tuple(tasks),
        p.settings,
        tuple(pinned),
        tuple(forbidden),
        prefs,
        tuple(x for x in p.previous if x[0] in vols),
        extra,
    )
    # candidate pairs: volunteers near the free tasks, and the fixed pairs (nothing else can serve)
    vi = {v.id: i for i, v in enumerate(volunteers)}
    ti = {t.id: i for i, t in enumerate(tasks)}
    tb = el.Tables(sub)
    v0, t0 = near_pairs(tb, np.arange(len(volunteers), dtype=np.int64), np.arange(len(fset), dtype=np.int64))
    v1 = np.fromiter((vi[v] for v, _ in pinned[: sum(len(x) for x in fixed.values())]), np.int64)
    t1 = np.fromiter((ti[t] for _, t in pinned[: sum(len(x) for x in fixed.values())]), np.int64)
    return sub, fset, (np.concatenate([v0, v1]), np.concatenate([t0, t1]))


def plan_result(
    p: Problem,
    assignments: Sequence[Assignment],
    objective: Objective,
    unassigned: dict[str, Shortfall],
    stats: dict[str, Any],
) -> Result:
    """A FEASIBLE :class:`Result` for a plan assembled outside the solver: levels valued, bounds unknown."""
    vi = {v.id: i for i, v in enumerate(p.volunteers)}
    ti = {t.id: i for i, t in enumerate(p.tasks)}
    av = np.fromiter((vi[a.volunteer] for a in assignments), np.int64, len(assignments))
    at = np.fromiter((ti[a.task] for a in assignments), np.int64, len(assignments))
    vlat = np.array([p.volunteers[i].location.lat for i in av.tolist()])
    vlon = np.array([p.volunteers[i].location.lon for i in av.tolist()])
    tlat = np.array([p.tasks[i].location.lat for i in at.tolist()])
    tlon = np.array([p.tasks[i].location.lon for i in at.tolist()])
    km = np.asarray(haversine_km(vlat, vlon, tlat, tlon), np.float64) if len(av) else np.zeros(0)
    load = np.fromiter((p.tasks[i].duration_minutes for i in at.tolist()), np.int64, len(at))
    names = ("coverage", "travel", "preference", "continuity", "reliability", "equity", "keep")
    coef = term_coefficients(p, av, at, km, load, names, objective.keep)
    spread = load_spread(p, av, load)
    value = {k: float(v.sum()) for k, v in coef.items()}
    value["fairness"] = spread["load_max_share"]
    levels = tuple(
        LevelResult(name, TERMS[name][0], value.get(name, math.nan), math.nan) for (name,) in objective.levels()
    )
    filled = np.bincount(at, minlength=len(p.tasks))
    breakdown = {
        "coverage": value["coverage"],
        "places_filled": float(len(av)),
        "places_asked": float(sum(t.headcount for t in p.tasks)),
        "tasks_served": float((filled > 0).sum()),
        "tasks": float(len(p.tasks)),
        "travel_km": value["travel"],
        "preference": value["preference"],
        "continuity": value["continuity"],
        "reliability": value["reliability"],
        "equity": value["equity"],
        **spread,
    }
    obj = levels[0].value if levels else math.nan
    return Result(Status.FEASIBLE, obj, math.nan, tuple(assignments), unassigned, breakdown, levels, stats)


def local_replan(
    p: Problem,
    previous: Result,
    plan: Plan,
    seeds: Iterable[str],
    freed: Iterable[str],
    objective: Objective,
    *,
    time_limit: float,
    seed: int,
    workers: int | None,
    max_free: int = 60,
    merge: int = 1,
    reproducible: bool = False,
) -> Result:
    """Re-solve the neighbourhood of the events on ``p`` (the updated problem); see the module docstring.

    ``plan`` holds the previous assignments that survive the events; ``seeds`` the tasks that lost
    assignees or are new, ``freed`` the volunteers who lost assignments or must take a pinned pair.
    """
    t0 = time.perf_counter()
    short = [t.id for t in p.tasks if t.id in previous.unassigned]
    elig = Eligibility(p)
    free = _neighbourhood(elig, plan, short, seeds, freed, max_free)
    sub, fset, cand = _sub_problem(elig, plan, free)
    t1 = time.perf_counter()
    in_sub = {t.id for t in sub.tasks}
    res = solve_problem(
        sub,
        objective=objective,
        time_limit=time_limit if reproducible else max(0.2, time_limit - (t1 - t0)),  # (no wall time)
        seed=seed,
        workers=workers,
        hint=[x for x in plan if x[1] in in_sub],
        merge=merge,
        candidates=cand,
        reproducible=reproducible,
    )
    out = [Assignment(v, t, s) for v, t, s in plan if t not in fset]
    out += [a for a in res.assignments if a.task in fset]
    alive = {t.id for t in p.tasks}
    unassigned = {k: s for k, s in previous.unassigned.items() if k in alive and k not in fset}
    unassigned.update({k: s for k, s in res.unassigned.items() if k in fset})
    stats = {
        "scope": "local",
        "free_tasks": len(fset),
        "sub_volunteers": len(sub.volunteers),
        "sub_tasks": len(sub.tasks),
        "sub_status": res.status.value,
        "sub_arcs": res.stats.get("arcs"),
        "neighbourhood_seconds": t1 - t0,
        "solver": res.stats.get("solver"),
        "wall_seconds": time.perf_counter() - t0,
    }
    log.info(
        "local replan: %d free tasks, %d volunteers, %d fixed tasks, sub %s in %.2fs",
        len(fset),
        len(sub.volunteers),
        len(sub.tasks) - len(fset),
        res.status.value,
        time.perf_counter() - t0,
    )
    return plan_result(p, out, objective, unassigned, stats)
