"""Compile a domain :class:`~vmatch.model.Problem` into a sparse :class:`~vmatch.arcs.ArcProblem`.

* A task becomes one **job** per candidate start (window start + k x time step, while
  the occurrence fits the window); the jobs of one task form a group (one is served).
* Candidate (volunteer, task) pairs come from a k-d tree on the unit sphere (distance
  rule), then the skill, attribute and forbidden rules filter them; each surviving
  pair becomes one **arc** per occurrence that passes availability, certificate expiry
  and the single-task workload test.
* Time conflicts of one volunteer become **cliques** (maximal sets of arcs overlapping
  in time) plus pairwise rows for arcs that do not overlap but leave too little time to
  travel between the two sites.
* Per-day workload becomes capacity rows, composition rules become rows over the arcs
  of volunteers who hold the skill.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0)),), (Task("t", Location(0, 0.01), w, duration=timedelta(minutes=30)),))
>>> c = compile_problem(p)
>>> c.arcs.n_jobs, c.arcs.n_arcs   # 3 starts: 9:00, 9:15, 9:30
(3, 3)
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from vmatch import eligibility as el
from vmatch.arcs import ArcProblem, Level, Rows, csr_from_lists
from vmatch.errors import InfeasibleError
from vmatch.geo import EARTH_RADIUS_KM, haversine_km, travel_minutes, unit_xyz
from vmatch.model import Problem

__all__ = ["Compiled", "compile_problem", "candidate_pairs"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Compiled:
    """An arc problem with the maps back to the domain.

    ``job_task[j]`` is the task index of job j and ``job_start[j]`` its start minute;
    ``arc_km[a]`` the home-to-task km of arc a.
    """

    problem: Problem
    tables: el.Tables
    arcs: ArcProblem
    job_task: I64
    job_start: I64
    arc_km: npt.NDArray[np.float64]
    build_seconds: float


def candidate_pairs(tb: el.Tables) -> tuple[I64, I64]:
    """All (volunteer, task) index pairs within each volunteer's distance limit (k-d tree)."""
    finite = np.isfinite(tb.vradius)
    vs: list[I64] = []
    ts: list[I64] = []
    if tb.nt and finite.any():
        tree = cKDTree(unit_xyz(tb.tlat, tb.tlon))
        vi = np.flatnonzero(finite)
        ang = np.minimum(tb.vradius[vi] / EARTH_RADIUS_KM, np.pi)
        r = 2.0 * np.sin(ang / 2.0) * (1.0 + 1e-9) + 1e-12
        lists = tree.query_ball_point(unit_xyz(tb.vlat[vi], tb.vlon[vi]), r, return_sorted=False)
        lens = np.fromiter(map(len, lists), np.int64, len(lists))
        ts.append(np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(lens.sum())))
        vs.append(np.repeat(vi, lens))
    inf = np.flatnonzero(~finite)
    if tb.nt and len(inf):
        vs.append(np.repeat(inf, tb.nt))
        ts.append(np.tile(np.arange(tb.nt, dtype=np.int64), len(inf)))
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(vs), np.concatenate(ts)


def _jobs(tb: el.Tables, step: int) -> tuple[I64, I64, I64]:
    """Jobs (task occurrences): task index, start minute, and first job of each task."""
    n_starts = (tb.twe - tb.tdur - tb.tws) // step + 1
    first = np.concatenate([[0], np.cumsum(n_starts)]).astype(np.int64)
    job_task = np.repeat(np.arange(tb.nt, dtype=np.int64), n_starts)
    within = np.arange(len(job_task), dtype=np.int64) - first[job_task]
    return job_task, tb.tws[job_task] + step * within, first


def _expand(v: I64, t: I64, first: I64) -> tuple[I64, I64]:
    """Each pair (v, t) -> one arc per job of task t."""
    rep = first[t + 1] - first[t]
    arc_v = np.repeat(v, rep)
    offs = np.repeat(first[t] - np.concatenate([[0], np.cumsum(rep)[:-1]]), rep)
    return arc_v, offs + np.arange(len(arc_v), dtype=np.int64)


def _conflicts(tb: el.Tables, arc_v: I64, arc_task: I64, s: I64, e: I64, speed: float) -> Rows:
    """Maximal overlap cliques and travel-time pairs among each volunteer's arcs."""
    order = np.lexsort((e, s, arc_v))
    bounds = np.flatnonzero(np.diff(arc_v[order])) + 1
    rows: list[npt.NDArray[np.int64]] = []
    for grp in np.split(order, bounds):
        m = len(grp)
        if m < 2:
            continue
        gs, ge = s[grp], e[grp]
        active = (gs[None, :] <= gs[:, None]) & (ge[None, :] > gs[:, None])
        last_of_start = np.append(gs[1:] != gs[:-1], True)
        min_end = np.where(active, ge[None, :], np.iinfo(np.int64).max).min(axis=1)
        nxt = np.append(gs[1:], np.iinfo(np.int64).max)
        maximal = last_of_start & (min_end <= nxt)
        sizes = active.sum(axis=1)
        for i in np.flatnonzero(maximal & (sizes > 1)):
            rows.append(grp[active[i]])
        # travel pairs: i before k without overlap, but the gap is shorter than the trip
        gap = gs[None, :] - ge[:, None]  # gap[i, k] = start_k - end_i
        t = arc_task[grp]
        cand = (gap >= 0) & (t[:, None] != t[None, :])
        if cand.any():
            ii, kk = np.nonzero(cand)
            km = haversine_km(tb.tlat[t[ii]], tb.tlon[t[ii]], tb.tlat[t[kk]], tb.tlon[t[kk]])
            bad = gap[ii, kk] < travel_minutes(km, speed)
            for i, k in zip(ii[bad], kk[bad], strict=True):
                rows.append(np.array([grp[i], grp[k]], np.int64))
    return csr_from_lists(rows)


def _by_key(keys: I64) -> tuple[I64, I64, I64]:
    """Sort order of integer keys, and where each run of equal keys starts and ends in it."""
    order = np.argsort(keys, kind="stable")
    if not len(keys):
        return order, order[:0].astype(np.int64), order[:0].astype(np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(keys[order])) + 1]).astype(np.int64)
    return order, starts, np.append(starts[1:], len(keys)).astype(np.int64)


def _day_rows(tb: el.Tables, arc_v: I64, arc_start: I64, load: I64) -> Rows:
    """Per-day workload rows, where a volunteer's arcs on one local day could exceed the limit."""
    lim = tb.vmaxday[arc_v] >= 0
    idx = np.flatnonzero(lim)
    if not len(idx):
        return Rows.empty()
    day = tb.local_date_ordinal(arc_start[idx])
    key = arc_v[idx] * 100000 + (day - day.min())
    order, starts, _ = _by_key(key)
    rows, rhs, owner = [], [], []
    for g in np.split(idx[order], starts[1:]):
        v = int(arc_v[g[0]])
        if load[g].sum() > tb.vmaxday[v]:
            rows.append(g)
            rhs.append(int(tb.vmaxday[v]))
            owner.append(v)
    return csr_from_lists(rows, rhs, owner)


def _composition(tb: el.Tables, arc_v: I64, arc_job: I64, job_task: I64) -> Rows:
    p = tb.problem
    need = [j for j, t in enumerate(p.tasks) if t.requirements]
    if not need:
        return Rows.empty()
    order, starts, ends = _by_key(arc_job)
    first_of_job = np.full(len(job_task), -1, np.int64)
    last_of_job = np.full(len(job_task), -1, np.int64)
    jobs_present = arc_job[order[starts]]
    first_of_job[jobs_present] = starts
    last_of_job[jobs_present] = ends
    need_set = np.zeros(tb.nt, bool)
    need_set[need] = True
    rows, rhs, owner = [], [], []
    for j in np.flatnonzero(need_set[job_task]):
        arcs = order[first_of_job[j]:last_of_job[j]] if first_of_job[j] >= 0 else np.zeros(0, np.int64)
        for r in p.tasks[job_task[j]].requirements:
            col = tb.skill_col[r.skill]
            rows.append(arcs[tb.vskill[arc_v[arcs], col] >= r.level])
            rhs.append(r.count)
            owner.append(int(j))
    return csr_from_lists(rows, rhs, owner)


def compile_problem(problem: Problem) -> Compiled:
    """Build the arc problem of ``problem`` (see the module docstring).

    Raises
    ------
    InfeasibleError
        When a pinned pair breaks a hard rule by itself.
    """
    t0 = time.perf_counter()
    tb = el.Tables(problem)
    st = problem.settings
    job_task, job_start, first = _jobs(tb, st.time_step_minutes)
    job_end = job_start + tb.tdur[job_task]

    v, t = candidate_pairs(tb)
    keep = el.skill_ok(tb, v, t) & el.attribute_ok(tb, v, t) & el.forbidden_ok(tb, v, t)
    v, t = v[keep], t[keep]
    km = el.distance_km(tb, v, t)
    keep = km <= tb.vradius[v] * (1 + 1e-9)
    v, t, km = v[keep], t[keep], km[keep]

    arc_v, arc_job = _expand(v, t, first)
    arc_km = np.repeat(km, first[t + 1] - first[t])
    arc_t = job_task[arc_job]
    s, e = job_start[arc_job], job_end[arc_job]
    dur = e - s
    keep = (el.available_ok(tb, arc_v, s, e) & el.workload_ok(tb, arc_v, dur)
            & el.certificate_ok(tb, arc_v, arc_t, e))
    arc_v, arc_job, arc_km, arc_t, s, e, dur = (x[keep] for x in (arc_v, arc_job, arc_km, arc_t, s, e, dur))

    pinned_rows = []
    if problem.pinned:
        pair_key = arc_v * tb.nt + arc_t
        order, starts, ends = _by_key(pair_key)
        keys = pair_key[order[starts]]
        for vid, tid in problem.pinned:
            k = problem.volunteer_index(vid) * tb.nt + problem.task_index(tid)
            i = int(np.searchsorted(keys, k))
            if i >= len(keys) or keys[i] != k:
                raise InfeasibleError(f"pinned pair ({vid!r}, {tid!r}) breaks a hard rule",
                                      (f"pinned {vid}->{tid}",))
            pinned_rows.append(order[starts[i]:ends[i]])

    cliques = _conflicts(tb, arc_v, arc_t, s, e, st.travel_speed_kmh)
    capacity = _day_rows(tb, arc_v, s, dur)
    composition = _composition(tb, arc_v, arc_job, job_task)
    required = np.zeros(tb.nt, bool)
    levels = (
        Level("coverage", tb.tprio[arc_t].astype(np.float64), "max", 1.0),
        Level("travel_km", arc_km, "min", 1000.0),
    )
    ap = ArcProblem.build(
        n_agents=tb.nv, n_jobs=len(job_task), arc_agent=arc_v, arc_job=arc_job, arc_load=dur,
        agent_capacity=tb.vmax, job_min=tb.tmin[job_task], job_max=tb.thead[job_task],
        job_group=job_task, required=required, levels=levels, cliques=cliques,
        composition=composition, capacity=capacity, pinned=csr_from_lists(pinned_rows),
        meta={"kind": "dispatch"},
    )
    return Compiled(problem, tb, ap, job_task, job_start, arc_km, time.perf_counter() - t0)
