"""Vectorised eligibility: the hard rules that decide whether a volunteer may take a task.

:class:`Tables` turns the domain objects into numpy tables once; the ``*_ok`` functions
test many (volunteer, task) pairs or (volunteer, occurrence) arcs at once and return
boolean masks. The compiler uses them to build arcs; :mod:`vmatch.explain` uses the same
functions per rule to count who each rule excluded. (:mod:`vmatch.verify` is written
apart and does not use this module.)

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0), skills={"x": 2}), Volunteer("b", Location(0, 0))),
...             (Task("t", Location(0, 0), w, skills={"x": 1}),))
>>> tb = Tables(p)
>>> skill_ok(tb, np.array([0, 1]), np.array([0, 0])).tolist()
[True, False]
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch.geo import Sites
from vmatch.model import Problem
from vmatch.timeaxis import TimeAxis, expand_weekly, merge_intervals

__all__ = [
    "RULES",
    "Tables",
    "attribute_ok",
    "available_any",
    "available_ok",
    "certificate_ok",
    "distance_km",
    "forbidden_ok",
    "skill_ok",
    "start_counts",
    "workload_ok",
]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: Hard rules counted in shortfall reasons, in the order they are reported.
RULES = ("skill", "certificate", "attribute", "availability", "distance", "workload", "forbidden")

_NO_EXPIRY = np.iinfo(np.int32).max
_NOT_HELD = -1


class Tables:
    """Numpy tables of a problem's volunteers and tasks (built once, read-only)."""

    def __init__(self, problem: Problem) -> None:
        p = problem
        self.problem = p
        self.axis = TimeAxis.for_problem(p)
        vs, ts = p.volunteers, p.tasks
        nv, nt = len(vs), len(ts)
        self.nv, self.nt = nv, nt
        self.vlat = np.fromiter((v.location.lat for v in vs), np.float64, nv)
        self.vlon = np.fromiter((v.location.lon for v in vs), np.float64, nv)
        self.tlat = np.fromiter((t.location.lat for t in ts), np.float64, nt)
        self.tlon = np.fromiter((t.location.lon for t in ts), np.float64, nt)
        self.vsites, self.tsites = Sites(self.vlat, self.vlon), Sites(self.tlat, self.tlon)
        default_r = p.settings.max_distance_km
        self.vradius = np.fromiter(
            (
                v.max_distance_km if v.max_distance_km is not None else (default_r if default_r is not None else np.inf)
                for v in vs
            ),
            np.float64,
            nv,
        )
        self.vmax = np.fromiter((-1 if v.max_minutes is None else v.max_minutes for v in vs), np.int64, nv)
        self.vmaxday = np.fromiter(
            (-1 if v.max_minutes_per_day is None else v.max_minutes_per_day for v in vs), np.int64, nv
        )
        ax = self.axis
        self.tws = np.fromiter((ax.minute(t.window.start) for t in ts), np.int64, nt)
        self.twe = np.fromiter((ax.minute(t.window.end) for t in ts), np.int64, nt)
        self.tdur = np.fromiter((t.duration_minutes for t in ts), np.int64, nt)
        self.tprio = np.fromiter((t.priority for t in ts), np.int64, nt)
        self.thead = np.fromiter((t.headcount for t in ts), np.int64, nt)
        self.tmin = np.fromiter((t.min_headcount for t in ts), np.int64, nt)
        self._skills(p)
        self._certificates(p)
        self._attributes(p)
        self._availability(p)
        # forbidden pairs as sorted keys volunteer * nt + task, and which tasks have any (forbidden_ok)
        self.forbidden_keys = np.unique(
            np.fromiter((p.volunteer_index(a) * self.nt + p.task_index(b) for a, b in p.forbidden), np.int64)
        )
        self.t_forbidden = np.zeros(self.nt, bool)
        self.t_forbidden[self.forbidden_keys % max(self.nt, 1)] = True

    # -- tables -------------------------------------------------------------------------
    def _skills(self, p: Problem) -> None:
        names = sorted({s for t in p.tasks for s in t.skills} | {r.skill for t in p.tasks for r in t.requirements})
        self.skill_names = names
        col = {s: i for i, s in enumerate(names)}
        self.vskill = np.zeros((self.nv, len(names)), np.int8)
        for i, v in enumerate(p.volunteers):
            for s, lvl in v.skills.items():
                if s in col:
                    self.vskill[i, col[s]] = lvl
        self.tskill = np.zeros((self.nt, len(names)), np.int8)
        for j, t in enumerate(p.tasks):
            for s, lvl in t.skills.items():
                self.tskill[j, col[s]] = lvl
        self.skill_col = col
        # each task's asked skill columns first (a task asks for few): skill_ok compares only those
        need = self.tskill > 0
        self.tskill_k = int(need.sum(axis=1).max()) if self.nt else 0
        self.tskill_cols = np.argsort(~need, axis=1, kind="stable")[:, : self.tskill_k]

    def _certificates(self, p: Problem) -> None:
        names = sorted({c for t in p.tasks for c in t.certificates})
        col = {c: i for i, c in enumerate(names)}
        self.vcert = np.full((self.nv, len(names)), _NOT_HELD, np.int64)
        for i, v in enumerate(p.volunteers):
            for c, exp in v.certificates.items():
                if c in col:
                    self.vcert[i, col[c]] = _NO_EXPIRY if exp is None else exp.toordinal()
        self.tcert = np.zeros((self.nt, len(names)), bool)
        for j, t in enumerate(p.tasks):
            for c in t.certificates:
                self.tcert[j, col[c]] = True
        self.tcert_any: B = np.asarray(self.tcert.any(axis=1), bool)
        self.cert_names = names

    def _attributes(self, p: Problem) -> None:
        keys = sorted({k for t in p.tasks for k in t.attributes})
        self.attr: dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]] = {}
        for k in keys:
            vals = sorted({x for t in p.tasks for x in t.attributes.get(k, ())})
            bit = {x: i for i, x in enumerate(vals)}
            words = max(1, (len(vals) + 63) // 64)
            vm = np.zeros((self.nv, words), np.uint64)
            tm = np.zeros((self.nt, words), np.uint64)
            pairs: tuple[tuple[Any, tuple[Any, ...]], ...] = ((vm, p.volunteers), (tm, p.tasks))
            for arr, objs in pairs:
                for i, o in enumerate(objs):
                    for x in o.attributes.get(k, ()):
                        if x in bit:
                            arr[i, bit[x] // 64] |= np.uint64(1) << np.uint64(bit[x] % 64)
            self.attr[k] = (vm, tm)

    def _availability(self, p: Problem) -> None:
        lo = int(self.tws.min()) - 1 if self.nt else 0
        hi = int(self.twe.max()) + 1 if self.nt else 1
        self.span = hi - lo + 2
        self.lo = lo
        starts: list[int] = []
        ends: list[int] = []
        owner: list[int] = []
        cache: dict[Any, list[tuple[int, int]]] = {}
        for i, v in enumerate(p.volunteers):
            if not v.availability and not v.weekly:
                iv = [(lo, hi)]
            else:
                key = v.weekly
                if key not in cache:
                    cache[key] = expand_weekly(v.weekly, self.axis, lo, hi)
                one = [self.axis.window(w) for w in v.availability]
                iv = merge_intervals(cache[key] + one)
            for s, e in iv:
                s, e = max(s, lo), min(e, hi)
                if s < e:
                    starts.append(s)
                    ends.append(e)
                    owner.append(i)
        o = np.asarray(owner, np.int64)
        self.av_owner = o
        self.av_start = o * self.span + (np.asarray(starts, np.int64) - lo)
        self.av_end = o * self.span + (np.asarray(ends, np.int64) - lo)

    def local_date_ordinal(self, minutes: I64) -> I64:
        """Local date (proleptic ordinal) of each instant in ``minutes``; vectorised via a day table."""
        if len(minutes) == 0:
            return np.zeros(0, np.int64)
        mlo, mhi = int(minutes.min()), int(minutes.max())
        d0 = self.axis.local_date(mlo)
        d1 = self.axis.local_date(mhi)
        days = [date.fromordinal(o) for o in range(d0.toordinal() - 1, d1.toordinal() + 2)]
        bounds = np.array(
            [self.axis.minute(self.axis.epoch.replace(year=d.year, month=d.month, day=d.day)) for d in days], np.int64
        )
        k = np.searchsorted(bounds, minutes, side="right") - 1
        return days[0].toordinal() + k.astype(np.int64)


# -- per-rule masks over pairs (volunteer index v, task index t) ----------------------------
def skill_ok(tb: Tables, v: I64, t: I64) -> B:
    """Every per-assignee skill of the task held at its level or above."""
    if tb.vskill.shape[1] == 0:
        return np.ones(len(v), bool)
    # a task asks for few skills: compare only those columns (k-th asked skill of each task)
    ok = np.ones(len(v), bool)
    for k in range(tb.tskill_k):
        col = tb.tskill_cols[t, k]
        ok &= tb.vskill[v, col] >= tb.tskill[t, col]
    return ok


def certificate_ok(tb: Tables, v: I64, t: I64, end_minute: I64) -> B:
    """Every certificate the task lists held, valid on the local date the occurrence ends."""
    if tb.vcert.shape[1] == 0:
        return np.ones(len(v), bool)
    ok = np.ones(len(v), bool)
    rows = np.flatnonzero(tb.tcert_any[t])  # only the pairs of tasks that list a certificate
    if len(rows):
        end_day = tb.local_date_ordinal(end_minute[rows])
        held = tb.vcert[v[rows]]
        valid = held >= end_day[:, None]
        ok[rows] = np.all(valid | ~tb.tcert[t[rows]], axis=1)
    return ok


def attribute_ok(tb: Tables, v: I64, t: I64) -> B:
    """For each restricted attribute key, the volunteer holds an allowed value."""
    ok = np.ones(len(v), bool)
    for vm, tm in tb.attr.values():
        allowed = tm[t]
        restricted = allowed.any(axis=1)
        hit = (vm[v] & allowed).any(axis=1)
        ok &= hit | ~restricted
    return ok


def distance_km(tb: Tables, v: I64, t: I64) -> npt.NDArray[np.float64]:
    """Home-to-task great-circle km for each pair."""
    return tb.vsites.km(v, tb.tsites, t)


def forbidden_ok(tb: Tables, v: I64, t: I64) -> B:
    """Pair not in the problem's forbidden list."""
    ok = np.ones(len(v), bool)
    on = np.flatnonzero(tb.t_forbidden[t])  # only pairs of tasks with some forbidden pair
    if len(on):
        keys = v[on] * tb.nt + t[on]
        fk = tb.forbidden_keys
        at = np.minimum(np.searchsorted(fk, keys), len(fk) - 1)
        ok[on] = fk[at] != keys
    return ok


# -- per-arc masks over (volunteer, occurrence start, end) --------------------------------
def available_ok(tb: Tables, v: I64, start: I64, end: I64) -> B:
    """The whole occurrence lies inside one joined availability window."""
    ks = v * tb.span + (start - tb.lo)
    ke = v * tb.span + (end - tb.lo)
    i = np.searchsorted(tb.av_start, ks, side="right") - 1
    ok = i >= 0
    ic = np.clip(i, 0, None)
    if len(tb.av_owner) == 0:
        return np.zeros(len(v), bool)
    return ok & (tb.av_owner[ic] == v) & (tb.av_end[ic] >= ke)


def start_counts(tb: Tables, step: int, t: I64 | None = None) -> I64:
    """How many starts each task (all, or those of ``t``) has: its window start + k x ``step``
    while the occurrence fits the window."""
    if t is None:
        return (tb.twe - tb.tdur - tb.tws) // step + 1
    return (tb.twe[t] - tb.tdur[t] - tb.tws[t]) // step + 1


def available_any(tb: Tables, v: I64, t: I64, step: int) -> B:
    """Some occurrence of task ``t`` (its window start + k x ``step`` while the occurrence fits the
    window) lies inside one joined availability window of volunteer ``v``: :func:`available_ok`
    over all occurrences, walking the volunteer's windows that meet the task's window instead of
    the task's starts (a volunteer has few windows there, a task many starts)."""
    ok = np.zeros(len(v), bool)
    if len(tb.av_owner) == 0 or len(v) == 0:
        return ok
    dur = tb.tdur[t]
    n_starts = start_counts(tb, step, t)
    first = v * tb.span + (tb.tws[t] - tb.lo)  # the first start, as a key like av_start's
    last = first + (n_starts - 1) * step
    lo = np.maximum(np.searchsorted(tb.av_start, first, side="right") - 1, 0)
    hi = np.searchsorted(tb.av_start, last, side="right") - 1  # windows starting by the last start
    todo = np.flatnonzero((n_starts > 0) & (hi >= lo))
    j = 0
    while len(todo):
        w = lo[todo] + j
        a, b = tb.av_start[w], tb.av_end[w]
        f = first[todo]
        k = np.maximum(0, -((f - a) // step))  # the first start at or after the window's start
        s = f + k * step
        ok[todo] |= (tb.av_owner[w] == v[todo]) & (k < n_starts[todo]) & (s + dur[todo] <= b)
        j += 1
        todo = todo[~ok[todo] & (lo[todo] + j <= hi[todo])]
    return ok


def workload_ok(tb: Tables, v: I64, dur: I64) -> B:
    """The occurrence alone fits the volunteer's horizon and per-day limits."""
    cap = tb.vmax[v]
    day = tb.vmaxday[v]
    return ((cap < 0) | (dur <= cap)) & ((day < 0) | (dur <= day))
