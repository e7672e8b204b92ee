"""Why a task is short: per hard rule, how many volunteers that rule excluded.

The counts use the same vectorised rule functions as the compiler
(:mod:`vmatch.eligibility`). ``distance`` counts the volunteers beyond their distance
limit; every other rule counts, among the volunteers within reach, those it excludes (a
volunteer who fails several rules is counted under each). ``busy`` counts volunteers who
pass every rule for some occurrence of the task but were not assigned to it (used
elsewhere, at a workload limit, or left out by the objective). Counting the other rules
only within reach keeps the cost proportional to nearby pairs on a province, and says
what a coordinator can act on.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0)), Volunteer("b", Location(0, 0), skills={"x": 1})),
...             (Task("t", Location(0, 0), w, skills={"x": 1}),))
>>> from vmatch.eligibility import Tables
>>> task_reasons(Tables(p), 0, assigned=())
{'skill': 1, 'busy': 1}
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from scipy.spatial import cKDTree

from vmatch import eligibility as el
from vmatch.geo import EARTH_RADIUS_KM, unit_xyz

__all__ = ["block_masks", "many_task_reasons", "rule_masks", "task_reasons"]


def _any_occurrence(tb: el.Tables, v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: some occurrence of the task lies in the volunteer's availability; the task's
    certificates are valid for some occurrence -- then for the first, which ends first (a
    certificate only expires)."""
    step = tb.problem.settings.time_step_minutes
    return el.available_any(tb, v, t, step), el.certificate_ok(tb, v, t, tb.tws[t] + tb.tdur[t])


def block_masks(tb: el.Tables, tasks: np.ndarray) -> dict[str, np.ndarray]:
    """For task indices ``tasks``: per rule, a (tasks x volunteers) mask of who passes it.

    Availability and certificates pass when they hold for at least one occurrence.
    """
    nv, b = tb.nv, len(tasks)
    v = np.tile(np.arange(nv, dtype=np.int64), b)
    tt = np.repeat(np.asarray(tasks, np.int64), nv)
    dur = tb.tdur[tt]
    avail, cert = _any_occurrence(tb, v, tt)
    out = {
        "skill": el.skill_ok(tb, v, tt),
        "certificate": cert,
        "attribute": el.attribute_ok(tb, v, tt),
        "availability": avail,
        "distance": el.distance_km(tb, v, tt) <= tb.vradius[v] * (1 + 1e-9),
        "workload": el.workload_ok(tb, v, dur),
        "forbidden": el.forbidden_ok(tb, v, tt),
    }
    return {r: m.reshape(b, nv) for r, m in out.items()}


def rule_masks(tb: el.Tables, t: int) -> dict[str, np.ndarray]:
    """For task index ``t``: per rule, a boolean mask over volunteers that pass it."""
    return {r: m[0] for r, m in block_masks(tb, np.array([t])).items()}


def _counts(masks: dict[str, np.ndarray], assigned: Collection[int]) -> dict[str, int]:
    near = masks["distance"]
    out = {}
    for r in el.RULES:
        n = int((~near).sum()) if r == "distance" else int((~masks[r] & near).sum())
        if n:
            out[r] = n
    ok = np.logical_and.reduce([masks[r] for r in el.RULES])
    if len(assigned):
        ok[np.asarray(list(assigned), np.int64)] = False
    busy = int(ok.sum())
    if busy:
        out["busy"] = busy
    return out


def task_reasons(tb: el.Tables, t: int, assigned: Collection[int]) -> dict[str, int]:
    """Counts of volunteers excluded per rule for task ``t``, plus ``busy`` (see module doc)."""
    return _counts(rule_masks(tb, t), assigned)


def _nearby(tb: el.Tables, tasks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``tasks``, volunteer) pairs within the volunteer's distance limit."""
    fin = np.flatnonzero(np.isfinite(tb.vradius))
    pos: list[np.ndarray] = []
    vol: list[np.ndarray] = []
    if len(fin) and len(tasks):
        chord = 2.0 * np.sin(np.minimum(tb.vradius[fin] / EARTH_RADIUS_KM, np.pi) / 2.0) * (1 + 1e-9) + 1e-12
        vtree = cKDTree(unit_xyz(tb.vlat[fin], tb.vlon[fin]))
        ttree = cKDTree(unit_xyz(tb.tlat[tasks], tb.tlon[tasks]))
        res = ttree.sparse_distance_matrix(vtree, float(chord.max()), output_type="ndarray")
        ok = res["v"] <= chord[res["j"]]
        pos.append(res["i"][ok].astype(np.int64))
        vol.append(fin[res["j"][ok]].astype(np.int64))
    inf = np.flatnonzero(~np.isfinite(tb.vradius))
    if len(inf) and len(tasks):
        pos.append(np.repeat(np.arange(len(tasks), dtype=np.int64), len(inf)))
        vol.append(np.tile(inf, len(tasks)))
    if not pos:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pos), np.concatenate(vol)


def many_task_reasons(tb: el.Tables, tasks: list[int], assigned: dict[int, list[int]]) -> dict[int, dict[str, int]]:
    """:func:`task_reasons` for many tasks at once.

    Only volunteers within reach are tested against the other rules (k-d tree), so the cost
    grows with the nearby pairs, not with volunteers x tasks.
    """
    tk = np.asarray(tasks, np.int64)
    pos, v = _nearby(tb, tk)
    t = tk[pos]
    dur = tb.tdur[t]
    avail, cert = _any_occurrence(tb, v, t)
    masks = {
        "skill": el.skill_ok(tb, v, t),
        "certificate": cert,
        "attribute": el.attribute_ok(tb, v, t),
        "availability": avail,
        "workload": el.workload_ok(tb, v, dur),
        "forbidden": el.forbidden_ok(tb, v, t),
    }
    n = len(tk)
    near = np.bincount(pos, minlength=n)
    counts = {r: np.bincount(pos, weights=~m, minlength=n).astype(np.int64) for r, m in masks.items()}
    counts["distance"] = tb.nv - near
    ok = np.logical_and.reduce(list(masks.values())) if len(v) else np.zeros(0, bool)
    mine = np.zeros(len(v), bool)
    if len(v):
        key = t * tb.nv + v
        ak = np.fromiter((ti * tb.nv + a for ti in tasks for a in assigned.get(ti, ())), np.int64)
        mine = np.isin(key, ak)
    busy = np.bincount(pos, weights=ok & ~mine, minlength=n).astype(np.int64)
    out: dict[int, dict[str, int]] = {}
    for i, ti in enumerate(tasks):
        d = {r: int(counts[r][i]) for r in el.RULES if counts[r][i]}
        if busy[i]:
            d["busy"] = int(busy[i])
        out[ti] = d
    return out
