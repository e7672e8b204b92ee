"""How hard is a generated problem? Candidate pairs per rule, time overlap, supply and demand.

A measurement tool for generators and benchmarks, written apart from the compiler:
pairs are enumerated with a :class:`scipy.spatial.cKDTree` over chunks of volunteers
and filtered by vectorised rule checks, so memory stays bounded by one chunk (no
dense volunteer x task matrix).

Examples
--------
>>> from vmatch.gen import generate_city
>>> p = generate_city(60, 30, seed=1)
>>> vi, ti = static_pairs(p, ("distance", "skills"))
>>> len(vi) == len(ti) and len(vi) > 0
True
>>> s = pair_stats(p)
>>> s.pairs == len(vi)
True
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from vmatch.geo import chord_for_km, haversine_km, unit_xyz
from vmatch.model import Problem
from vmatch.timeaxis import TimeAxis, expand_weekly, merge_intervals

__all__ = [
    "RULES",
    "PairStats",
    "iter_pairs",
    "overlap_counts",
    "pair_stats",
    "static_pairs",
    "supply_demand",
]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: Per-pair rules this module checks ("distance" is always applied).
RULES = ("distance", "skills", "certificates", "attributes", "availability")
_BIG = 1 << 40


class _Tables:
    """Numpy tables of a problem for the rule checks."""

    def __init__(self, p: Problem) -> None:
        vs, ts = p.volunteers, p.tasks
        self.nv, self.nt = len(vs), len(ts)
        self.vlat = np.array([v.location.lat for v in vs], dtype=np.float64)
        self.vlon = np.array([v.location.lon for v in vs], dtype=np.float64)
        self.tlat = np.array([t.location.lat for t in ts], dtype=np.float64)
        self.tlon = np.array([t.location.lon for t in ts], dtype=np.float64)
        dflt = p.settings.max_distance_km
        lim = [v.max_distance_km if v.max_distance_km is not None else dflt for v in vs]
        self.vkm = np.array([np.inf if x is None else x for x in lim], dtype=np.float64)
        ax = TimeAxis.for_problem(p)
        self.ax, self.step = ax, p.settings.time_step_minutes
        self.ws = np.array([ax.minute(t.window.start) for t in ts], dtype=np.int64)
        self.we = np.array([ax.minute(t.window.end) for t in ts], dtype=np.int64)
        self.dur = np.array([t.duration_minutes for t in ts], dtype=np.int64)
        sk = sorted({s for t in ts for s in t.skills})
        self.tsk = np.array([[t.skills.get(s, 0) for s in sk] for t in ts], dtype=np.int8).reshape(self.nt, -1)
        self.vsk = np.array([[v.skills.get(s, 0) for s in sk] for v in vs], dtype=np.int8).reshape(self.nv, -1)
        certs = sorted({c for t in ts for c in t.certificates})
        d0 = ax.epoch.date()
        self.tcert = np.array([[c in t.certificates for c in certs] for t in ts], bool).reshape(self.nt, -1)
        self.tend_day = np.array([(ax.local_date(int(m)) - d0).days for m in self.we], dtype=np.int64)

        def exp(v_certs: Mapping[str, date | None], c: str) -> int:
            if c not in v_certs:
                return -_BIG
            e = v_certs[c]
            return _BIG if e is None else (e - d0).days

        self.vcert = np.array([[exp(v.certificates, c) for c in certs] for v in vs], dtype=np.int64).reshape(
            self.nv, -1
        )
        self.attr: list[tuple[B, B, B]] = []
        for key in sorted({k for t in ts for k in t.attributes}):
            vals = sorted({x for t in ts for x in t.attributes.get(key, ())})
            tr = np.array([key in t.attributes for t in ts], dtype=bool)
            tb = np.array([[x in t.attributes.get(key, ()) for x in vals] for t in ts], dtype=bool)
            vb = np.array([[x in v.attributes.get(key, ()) for x in vals] for v in vs], dtype=bool)
            self.attr.append((tr, tb.reshape(self.nt, -1), vb.reshape(self.nv, -1)))
        lo, hi = (int(self.ws.min()), int(self.we.max())) if self.nt else (0, 0)
        ivs: list[list[tuple[int, int]]] = []
        for v in vs:
            iv = [ax.window(w) for w in v.availability] + expand_weekly(v.weekly, ax, lo, hi)
            ivs.append(merge_intervals(iv))
        self.always = np.array([not v.availability and not v.weekly for v in vs], dtype=bool)
        self.iv_off = np.zeros(self.nv + 1, dtype=np.int64)
        self.iv_off[1:] = np.cumsum([len(x) for x in ivs])
        flat = np.array([x for row in ivs for x in row], dtype=np.int64).reshape(-1, 2)
        self.iv_a, self.iv_b = flat[:, 0], flat[:, 1]


def _available(tb: _Tables, vi: I64, ti: I64) -> B:
    """Some start on the step grid puts the whole task inside one merged available interval."""
    ok = tb.always[vi].copy()
    rest = np.flatnonzero(~ok)
    if rest.size == 0:
        return ok
    cnt = tb.iv_off[vi[rest] + 1] - tb.iv_off[vi[rest]]
    rep = np.repeat(np.arange(rest.size), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    idx = tb.iv_off[vi[rest]][rep] + (np.arange(rep.size) - first)
    a, b = tb.iv_a[idx], tb.iv_b[idx]
    t = ti[rest][rep]
    ws, we, d = tb.ws[t], tb.we[t], tb.dur[t]
    s = ws + -(-np.maximum(a - ws, 0) // tb.step) * tb.step
    fits = (s + d <= we) & (s + d <= b)
    ok[rest] = np.bincount(rep, weights=fits, minlength=rest.size) > 0
    return ok


def _filter(tb: _Tables, vi: I64, ti: I64, rules: Collection[str]) -> B:
    keep = np.ones(vi.size, dtype=bool)
    if "skills" in rules and tb.tsk.shape[1]:
        keep &= (tb.vsk[vi] >= tb.tsk[ti]).all(axis=1)
    if "certificates" in rules and tb.tcert.shape[1]:
        keep &= (~tb.tcert[ti] | (tb.vcert[vi] >= tb.tend_day[ti][:, None])).all(axis=1)
    if "attributes" in rules:
        for tr, tbits, vbits in tb.attr:
            keep &= ~tr[ti] | (tbits[ti] & vbits[vi]).any(axis=1)
    if "availability" in rules:
        sel = np.flatnonzero(keep)
        keep[sel] = _available(tb, vi[sel], ti[sel])
    return keep


def iter_pairs(
    problem: Problem, rules: Collection[str] = ("distance", "skills"), chunk: int = 1024
) -> Iterator[tuple[I64, I64]]:
    """Yield ``(volunteer index, task index)`` arrays of pairs passing ``rules``, volunteer chunk by chunk.

    Pairs of one volunteer all come in the same chunk; chunks come in volunteer order.
    """
    bad = set(rules) - set(RULES)
    if bad:
        raise ValueError(f"unknown rules {sorted(bad)}; expected a subset of {RULES}")
    tb = _Tables(problem)
    if tb.nt == 0 or tb.nv == 0:
        return
    tree = cKDTree(unit_xyz(tb.tlat, tb.tlon))
    vxyz = unit_xyz(tb.vlat, tb.vlon)
    for a in range(0, tb.nv, chunk):
        b = min(a + chunk, tb.nv)
        rmax = float(tb.vkm[a:b].max())
        if np.isfinite(rmax):
            sdm = cKDTree(vxyz[a:b]).sparse_distance_matrix(tree, chord_for_km(rmax), output_type="ndarray")
            vi, ti = sdm["i"].astype(np.int64) + a, sdm["j"].astype(np.int64)
        else:
            vi = np.repeat(np.arange(a, b, dtype=np.int64), tb.nt)
            ti = np.tile(np.arange(tb.nt, dtype=np.int64), b - a)
        near = haversine_km(tb.vlat[vi], tb.vlon[vi], tb.tlat[ti], tb.tlon[ti]) <= tb.vkm[vi]
        vi, ti = vi[near], ti[near]
        keep = _filter(tb, vi, ti, rules)
        vi, ti = vi[keep], ti[keep]
        o = np.lexsort((ti, vi))
        yield vi[o], ti[o]


def static_pairs(problem: Problem, rules: Collection[str] = ("distance", "skills")) -> tuple[I64, I64]:
    """All ``(volunteer index, task index)`` pairs passing the per-pair ``rules`` (see :data:`RULES`)."""
    parts = list(iter_pairs(problem, rules))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def overlap_counts(vi: I64, start: I64, end: I64) -> I64:
    """For each pair, how many other pairs of the same volunteer have an overlapping ``[start, end)``."""
    if vi.size == 0:
        return np.zeros(0, dtype=np.int64)
    h = int(end.max()) - int(min(start.min(), 0)) + 1
    base = (vi - int(vi.min())) * h - int(min(start.min(), 0))
    ks, ke = np.sort(base + start), np.sort(base + end)
    n_start_before_end = np.searchsorted(ks, base + end, "left") - np.searchsorted(ks, base, "left")
    n_end_before_start = np.searchsorted(ke, base + start, "right") - np.searchsorted(ke, base, "left")
    return (n_start_before_end - n_end_before_start - 1).astype(np.int64)


@dataclass(frozen=True, slots=True)
class PairStats:
    """Candidate-pair figures of a problem under some rules.

    Attributes
    ----------
    pairs : int
        Pairs passing the rules.
    per_volunteer_mean, per_volunteer_median : float
        Such tasks per volunteer (over all volunteers).
    volunteers_without : int
        Volunteers with no such task.
    tasks_without : int
        Tasks with no such volunteer.
    overlap_mean, overlap_median : float
        Over pairs: how many of the same volunteer's candidate tasks overlap in time.
    volunteers_overlap_12 : float
        Share of volunteers whose mean overlap is at least 12 (a dozen competing tasks).
    volunteer_overlap_median : float
        Median over volunteers of their mean overlap (0 for volunteers without pairs).
    """

    pairs: int
    per_volunteer_mean: float
    per_volunteer_median: float
    volunteers_without: int
    tasks_without: int
    overlap_mean: float
    overlap_median: float
    volunteers_overlap_12: float
    volunteer_overlap_median: float


def pair_stats(problem: Problem, rules: Collection[str] = ("distance", "skills")) -> PairStats:
    """Figures of the pairs passing ``rules``, computed chunk by chunk (memory-light)."""
    nv, nt = len(problem.volunteers), len(problem.tasks)
    ax = TimeAxis.for_problem(problem)
    ws = np.array([ax.minute(t.window.start) for t in problem.tasks], dtype=np.int64)
    we = np.array([ax.minute(t.window.end) for t in problem.tasks], dtype=np.int64)
    per_v = np.zeros(nv, dtype=np.int64)
    per_t = np.zeros(nt, dtype=np.int64)
    ov_sum = np.zeros(nv, dtype=np.float64)
    hist = np.zeros(1, dtype=np.int64)
    for vi, ti in iter_pairs(problem, rules):
        per_v += np.bincount(vi, minlength=nv)
        per_t += np.bincount(ti, minlength=nt)
        ov = overlap_counts(vi, ws[ti], we[ti])
        ov_sum += np.bincount(vi, weights=ov, minlength=nv)
        h = np.bincount(ov)
        if h.size > hist.size:
            hist = np.pad(hist, (0, h.size - hist.size))
        hist[: h.size] += h
    total = int(per_v.sum())
    cum = np.cumsum(hist)
    ov_median = float(np.searchsorted(cum, (total + 1) / 2)) if total else 0.0
    vmean = np.divide(ov_sum, per_v, out=np.zeros(nv), where=per_v > 0)
    return PairStats(
        pairs=total,
        per_volunteer_mean=float(per_v.mean()) if nv else 0.0,
        per_volunteer_median=float(np.median(per_v)) if nv else 0.0,
        volunteers_without=int((per_v == 0).sum()),
        tasks_without=int((per_t == 0).sum()),
        overlap_mean=float(ov_sum.sum() / total) if total else 0.0,
        overlap_median=ov_median,
        volunteers_overlap_12=float((vmean >= 12).mean()) if nv else 0.0,
        volunteer_overlap_median=float(np.median(vmean)) if nv else 0.0,
    )


def supply_demand(problem: Problem) -> tuple[int, int]:
    """``(demand, supply)`` in minutes: sum of head-count x duration over tasks; sum over
    volunteers of the lesser of ``max_minutes`` and available minutes over the horizon."""
    tb = _Tables(problem)
    demand = int(sum(t.headcount * t.duration_minutes for t in problem.tasks))
    horizon = int(tb.we.max() - tb.ws.min()) if tb.nt else 0
    avail = np.where(tb.always, horizon, 0).astype(np.int64)
    lo, hi = (int(tb.ws.min()), int(tb.we.max())) if tb.nt else (0, 0)
    a, b = np.clip(tb.iv_a, lo, hi), np.clip(tb.iv_b, lo, hi)
    owner = np.repeat(np.arange(tb.nv), np.diff(tb.iv_off))
    avail += np.bincount(owner, weights=b - a, minlength=tb.nv).astype(np.int64)
    cap = np.array([v.max_minutes if v.max_minutes is not None else _BIG for v in problem.volunteers])
    return demand, int(np.minimum(avail, cap).sum())
