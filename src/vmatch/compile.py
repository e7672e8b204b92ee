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
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from vmatch import eligibility as el
from vmatch.arcs import ArcProblem, Rows, csr_from_lists
from vmatch.errors import InfeasibleError, ModelError
from vmatch.geo import EARTH_RADIUS_KM, travel_minutes, unit_xyz
from vmatch.model import Problem
from vmatch.objective import Objective, build_levels

__all__ = ["Compiled", "candidate_pairs", "compile_problem"]

I64 = npt.NDArray[np.int64]

#: Threads for the conflict rows (chunks of whole volunteers): the machine's cores, at most 4.
COMPILE_THREADS = max(1, min(4, os.cpu_count() or 1))
#: The most starts one task may have (its window less its duration, on the time step): a week at
#: 15-min steps is 672, so this is about 100 days.
MAX_STARTS = 10_000
#: The most starts all tasks together may have.
MAX_JOBS = 50_000_000


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


def candidate_pairs(tb: el.Tables, *, chunk: int = 10_000) -> tuple[I64, I64]:
    """(volunteer, task) index pairs within each volunteer's distance limit that pass the skill,
    attribute and forbidden rules (k-d tree on the unit sphere, volunteers in chunks of at most
    ``chunk``, at least one per thread, on ``COMPILE_THREADS`` threads: the tree search and
    numpy release the GIL; a 100k x 50k province takes 6.9-7.1 s instead of 13.7 s on 2 cores)."""
    finite = np.isfinite(tb.vradius)
    vs: list[I64] = []
    ts: list[I64] = []
    if tb.nt and finite.any():
        ttree = cKDTree(unit_xyz(tb.tlat, tb.tlon))
        fin = np.flatnonzero(finite)

        def near_pairs(vi: I64) -> tuple[I64, I64]:
            chord = 2.0 * np.sin(np.minimum(tb.vradius[vi] / EARTH_RADIUS_KM, np.pi) / 2.0) * (1.0 + 1e-9) + 1e-12
            vtree = cKDTree(unit_xyz(tb.vlat[vi], tb.vlon[vi]))
            res = vtree.sparse_distance_matrix(ttree, float(chord.max()), output_type="ndarray")
            near = res["v"] <= chord[res["i"]]
            v = vi[res["i"][near]].astype(np.int64)
            t = res["j"][near].astype(np.int64)
            del res, near
            keep = el.skill_ok(tb, v, t) & el.attribute_ok(tb, v, t) & el.forbidden_ok(tb, v, t)
            return v[keep], t[keep]

        step = max(1000, min(chunk, -(-len(fin) // COMPILE_THREADS)))  # a chunk per thread at least
        chunks = [fin[c0 : c0 + step] for c0 in range(0, len(fin), step)]
        with ThreadPoolExecutor(max_workers=max(1, min(COMPILE_THREADS, len(chunks)))) as pool:
            for v, t in pool.map(near_pairs, chunks):  # in order: the same pairs, the same order
                vs.append(v)
                ts.append(t)
    inf = np.flatnonzero(~finite)
    if tb.nt and len(inf):
        v = np.repeat(inf, tb.nt)
        t = np.tile(np.arange(tb.nt, dtype=np.int64), len(inf))
        keep = el.skill_ok(tb, v, t) & el.attribute_ok(tb, v, t) & el.forbidden_ok(tb, v, t)
        vs.append(v[keep])
        ts.append(t[keep])
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(vs), np.concatenate(ts)


def _jobs(tb: el.Tables, step: int) -> tuple[I64, I64, I64]:
    """Jobs (task occurrences): task index, start minute, and first job of each task.

    Raises
    ------
    ModelError
        When a task has more than :data:`MAX_STARTS` starts, or all tasks more than :data:`MAX_JOBS`.
    """
    n_starts = el.start_counts(tb, step)
    if len(n_starts) and int(n_starts.max()) > MAX_STARTS:
        k = int(np.argmax(n_starts))
        task = tb.problem.tasks[k]
        if tb.problem.extra.get("menu"):  # a compiled menu's tasks are its orders, of one item each
            what, item, ways = "order", f" ({task.extra.get('item')!r})", "a shorter window or"
        else:
            what, item, ways = "task", "", "a shorter window, a duration closer to it, or"
        raise ModelError(
            f"{what} {task.id!r}: field 'window' gives {int(n_starts[k]):,} starts of {int(tb.tdur[k])} min{item} "
            f"every {step} min, more than {MAX_STARTS:,} (give {ways} a larger 'settings.time_step_minutes')"
        )
    if int(n_starts.sum()) > MAX_JOBS:
        raise ModelError(
            f"problem: field 'tasks' gives {int(n_starts.sum()):,} task starts in all, more than {MAX_JOBS:,} "
            "(give shorter windows or a larger 'settings.time_step_minutes')"
        )
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


def _rows_from_groups(head: I64, members: I64, grp_start: I64) -> tuple[I64, I64]:
    """CSR (lengths, indices) of rows ``[head[g], members of group g...]``; groups are runs in ``members``."""
    cnt = np.diff(np.append(grp_start, len(members)))
    lens = cnt + 1
    indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    out = np.empty(int(indptr[-1]), np.int64)
    out[indptr[:-1]] = head
    pos = np.arange(len(members), dtype=np.int64) - np.repeat(grp_start, cnt)
    out[np.repeat(indptr[:-1] + 1, cnt) + pos] = members
    return lens, out


def _spans(lo: I64, hi: I64) -> tuple[I64, I64]:
    """For each ``i``, the positions ``lo[i] .. hi[i] - 1`` (empty when ``hi <= lo``): (which i, position)."""
    cnt = np.maximum(hi - lo, 0)
    which = np.repeat(np.arange(len(lo), dtype=np.int64), cnt)
    first = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    return which, np.repeat(lo - first, cnt) + np.arange(len(which), dtype=np.int64)


def _conflicts(
    tb: el.Tables,
    arc_v: I64,
    arc_task: I64,
    s: I64,
    e: I64,
    arc_km: npt.NDArray[np.float64],
    speed: float,
    chunk: int = 400_000,
) -> Rows:
    """Conflict rows among each volunteer's arcs (vectorised, in chunks of whole volunteers).

    * Maximal overlap cliques: for each arc k, the arcs of the same volunteer running at
      its start; kept when no later start contains the same set (some of them ends by the
      next start), so only those starts are walked.
    * Travel rows: for an arc i and a later task B of the same volunteer that starts after
      i ends but sooner than the trip from i's site to B's site takes, the row
      ``[i, arcs of B that are too soon]`` (arcs of one task are exclusive anyway).
    Only arcs that start in ``[end, end + T)`` are paired, where T is the longest trip from
    the arc's site to another site of the volunteer: at most the arc's own distance from
    home plus the volunteer's farthest arc (the triangle inequality).
    """
    n = len(arc_v)
    if n == 0:
        return Rows.empty()
    order = np.lexsort((e, s, arc_v))
    v, so, eo, to, ko = arc_v[order], s[order], e[order], arc_task[order], arc_km[order]
    reach = np.zeros(tb.nv)
    np.maximum.at(reach, arc_v, arc_km)
    tmax = travel_minutes(ko + reach[v], speed)
    t0 = min(int(so.min()), 0)
    big = int(max(so.max(), eo.max()) - t0 + tmax.max() + 10)
    key = v * big + (so - t0)
    ends = np.sort(v * big + (eo - t0))
    longest = np.zeros(tb.nv, np.int64)
    np.maximum.at(longest, v, eo - so)
    last_of_v = np.append(v[1:] != v[:-1], True)
    nxt_start = np.where(last_of_v, eo.max() + 1, np.append(so[1:], 0))
    lens_all: list[I64] = []
    idx_all: list[I64] = []
    vb = np.flatnonzero(np.diff(v)) + 1
    cuts = [0]
    at = np.searchsorted(vb, np.arange(chunk, n, chunk))  # the first volunteer boundary past each chunk
    for c in vb[at[at < len(vb)]].tolist():
        if c > cuts[-1]:
            cuts.append(int(c))
    cuts.append(n)

    def chunk_rows(c0: int, c1: int) -> tuple[list[I64], list[I64]]:
        lens: list[I64] = []
        idx: list[I64] = []
        pos = np.arange(c0, c1, dtype=np.int64)
        vk, sk = v[c0:c1], so[c0:c1] - t0
        # maximal overlap cliques: an end of the volunteer's arcs in (start, next start]
        ended = np.searchsorted(ends, vk * big + sk, side="right")
        by_next = np.searchsorted(ends, vk * big + (nxt_start[c0:c1] - t0), side="right")
        running = np.searchsorted(key, vk * big + sk, side="right") - ended  # arcs j <= k still running
        heads = pos[(by_next > ended) & (running >= 2)]
        if len(heads):
            lo = np.searchsorted(key, v[heads] * big + np.maximum(so[heads] - t0 - longest[v[heads]], -1), side="right")
            w, j = _spans(lo, heads)
            live = eo[j] > so[heads[w]]
            w, j = w[live], j[live]
            gs = np.searchsorted(w, np.arange(len(heads)))
            ln, ix = _rows_from_groups(heads, j, gs)
            lens.append(ln)
            idx.append(ix)
        # pairs (i, k) of one volunteer with k starting in [end of i, end of i + T)
        lo = np.searchsorted(key, vk * big + (eo[c0:c1] - t0), side="left")
        hi = np.searchsorted(key, vk * big + (eo[c0:c1] - t0) + tmax[c0:c1], side="left")
        w, kk = _spans(lo, hi)
        ii = pos[w]
        # travel rows
        cand = to[ii] != to[kk]
        ti, tk = ii[cand], kk[cand]
        if len(ti):
            # the trip via home is at least as long: only pairs it does not fit need the distance
            gap = so[tk] - eo[ti]
            near = gap < travel_minutes(ko[ti] + ko[tk] + 1e-6, speed)
            ti, tk, gap = ti[near], tk[near], gap[near]
            a_, b_ = to[ti], to[tk]
            km = tb.tsites.km(a_, tb.tsites, b_)
            bad = gap < travel_minutes(km, speed)
            ti, tk = ti[bad], tk[bad]
            if len(ti):
                # one row [i, all too-soon arcs] when those arcs share a moment (pairwise overlap);
                # otherwise one row per later task
                srt = np.lexsort((tk, ti))
                ti, tk = ti[srt], tk[srt]
                gs = np.concatenate([[0], np.flatnonzero(np.diff(ti)) + 1]).astype(np.int64)
                one = np.maximum.reduceat(so[tk], gs) < np.minimum.reduceat(eo[tk], gs)
                one |= np.maximum.reduceat(to[tk], gs) == np.minimum.reduceat(to[tk], gs)
                sizes = np.diff(np.append(gs, len(ti)))
                in_one = np.repeat(one, sizes)
                if one.any():
                    gs1 = np.concatenate([[0], np.cumsum(sizes[one])[:-1]]).astype(np.int64)
                    ln, ix = _rows_from_groups(ti[gs[one]], tk[in_one], gs1)
                    lens.append(ln)
                    idx.append(ix)
                ti, tk = ti[~in_one], tk[~in_one]
                if len(ti):
                    srt = np.lexsort((tk, to[tk], ti))
                    ti, tk = ti[srt], tk[srt]
                    gkey = ti * (tb.nt + 1) + to[tk]
                    gs = np.concatenate([[0], np.flatnonzero(np.diff(gkey)) + 1]).astype(np.int64)
                    ln, ix = _rows_from_groups(ti[gs], tk, gs)
                    lens.append(ln)
                    idx.append(ix)
        return lens, idx

    # numpy releases the GIL in its sorts, searches and gathers: chunks run on every core
    with ThreadPoolExecutor(max_workers=max(1, min(COMPILE_THREADS, len(cuts) - 1))) as pool:
        for ln_, ix_ in pool.map(lambda c: chunk_rows(*c), itertools.pairwise(cuts)):
            lens_all += ln_
            idx_all += ix_
    if not lens_all:
        return Rows.empty()
    lens = np.concatenate(lens_all)
    indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    indices = order[np.concatenate(idx_all)]
    n_rows = len(lens)
    return Rows(indptr, indices.astype(np.int64, copy=False), np.ones(n_rows, np.int64), -np.ones(n_rows, np.int64))


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
        arcs = order[first_of_job[j] : last_of_job[j]] if first_of_job[j] >= 0 else np.zeros(0, np.int64)
        for r in p.tasks[job_task[j]].requirements:
            col = tb.skill_col[r.skill]
            rows.append(arcs[tb.vskill[arc_v[arcs], col] >= r.level])
            rhs.append(r.count)
            owner.append(int(j))
    return csr_from_lists(rows, rhs, owner)


def compile_problem(
    problem: Problem,
    objective: Objective | None = None,
    *,
    pairs: Callable[[el.Tables], tuple[I64, I64]] | None = None,
    person: I64 | None = None,
) -> Compiled:
    """Build the arc problem of ``problem`` (see the module docstring).

    ``objective`` chooses the levels (default: :class:`~vmatch.objective.Objective`).
    ``pairs`` replaces the k-d tree search for candidate (volunteer, task) pairs (the rules
    still filter them; the caller vouches that no other pair could serve). ``person[v]``
    groups volunteers who are one person: their arcs share the conflict rows.

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

    if pairs is None:
        v, t = candidate_pairs(tb)
    else:
        v, t = pairs(tb)
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
    keep = el.available_ok(tb, arc_v, s, e) & el.workload_ok(tb, arc_v, dur) & el.certificate_ok(tb, arc_v, arc_t, e)
    arc_v, arc_job, arc_t, s, e, dur = arc_v[keep], arc_job[keep], arc_t[keep], s[keep], e[keep], dur[keep]
    arc_km = arc_km[keep]

    pinned_rows = []
    if problem.pinned:
        pair_key = arc_v * tb.nt + arc_t
        order, starts, ends = _by_key(pair_key)
        keys = pair_key[order[starts]]
        for vid, tid in problem.pinned:
            k = problem.volunteer_index(vid) * tb.nt + problem.task_index(tid)
            i = int(np.searchsorted(keys, k))
            if i >= len(keys) or keys[i] != k:
                raise InfeasibleError(f"pinned pair ({vid!r}, {tid!r}) breaks a hard rule", (f"pinned {vid}->{tid}",))
            pinned_rows.append(order[starts[i] : ends[i]])

    cliques = _conflicts(tb, arc_v if person is None else person[arc_v], arc_t, s, e, arc_km, st.travel_speed_kmh)
    capacity = _day_rows(tb, arc_v, s, dur)
    composition = _composition(tb, arc_v, arc_job, job_task)
    required = np.zeros(tb.nt, bool)
    levels = build_levels(problem, objective or Objective(), arc_v, arc_t, arc_km, dur)
    ap = ArcProblem.build(
        n_agents=tb.nv,
        n_jobs=len(job_task),
        arc_agent=arc_v,
        arc_job=arc_job,
        arc_load=dur,
        agent_capacity=tb.vmax,
        job_min=tb.tmin[job_task],
        job_max=tb.thead[job_task],
        job_group=job_task,
        required=required,
        levels=levels,
        cliques=cliques,
        composition=composition,
        capacity=capacity,
        pinned=csr_from_lists(pinned_rows),
        meta={
            "kind": "dispatch",
            "job_start": job_start,
            "job_end": job_end,
            "group_lat": tb.tlat,
            "group_lon": tb.tlon,
        },
    )
    return Compiled(problem, tb, ap, job_task, job_start, arc_km, time.perf_counter() - t0)
