"""Why a task is short: per hard rule, how many volunteers that rule excluded.

The counts use the same vectorised rule functions as the compiler
(:mod:`vmatch.eligibility`), applied to every volunteer for one task. A volunteer who
fails several rules is counted under each. ``busy`` counts volunteers who pass every
rule for some occurrence of the task but were not assigned to it (used elsewhere, at a
workload limit, or left out by the objective).

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

from vmatch import eligibility as el

__all__ = ["rule_masks", "task_reasons"]


def rule_masks(tb: el.Tables, t: int) -> dict[str, np.ndarray]:
    """For task index ``t``: per rule, a boolean mask over volunteers that pass it."""
    nv = tb.nv
    v = np.arange(nv, dtype=np.int64)
    tt = np.full(nv, t, np.int64)
    step = tb.problem.settings.time_step_minutes
    starts = np.arange(tb.tws[t], tb.twe[t] - tb.tdur[t] + 1, step, dtype=np.int64)
    dur = int(tb.tdur[t])
    avail = np.zeros(nv, bool)
    cert = np.zeros(nv, bool)
    for s in starts:
        avail |= el.available_ok(tb, v, np.full(nv, s), np.full(nv, s + dur))
        cert |= el.certificate_ok(tb, v, tt, np.full(nv, s + dur))
    forb = np.ones(nv, bool)
    for a, b in tb.forbidden:
        if b == t:
            forb[a] = False
    return {
        "skill": el.skill_ok(tb, v, tt),
        "certificate": cert,
        "attribute": el.attribute_ok(tb, v, tt),
        "availability": avail,
        "distance": el.distance_km(tb, v, tt) <= tb.vradius * (1 + 1e-9),
        "workload": el.workload_ok(tb, v, np.full(nv, dur)),
        "forbidden": forb,
    }


def task_reasons(tb: el.Tables, t: int, assigned: Collection[int]) -> dict[str, int]:
    """Counts of volunteers excluded per rule for task ``t``, plus ``busy`` (see module doc)."""
    masks = rule_masks(tb, t)
    out = {r: int((~masks[r]).sum()) for r in el.RULES if (~masks[r]).any()}
    ok = np.logical_and.reduce([masks[r] for r in el.RULES]) if tb.nv else np.zeros(0, bool)
    if len(assigned):
        ok[np.asarray(list(assigned), np.int64)] = False
    busy = int(ok.sum())
    if busy:
        out["busy"] = busy
    return out
