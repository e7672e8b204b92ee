"""Plain-language explanations: why a task is short, why a volunteer is idle.

For a task short of its head-count: how many volunteers each hard rule excluded; which
eligible volunteers were used elsewhere at that time and on which task (competition),
which were at a workload limit, which were free but left out; and the smallest single
relaxations that would add candidates ("2 more candidates if the distance limit were
12.0 km"). For an idle volunteer: how many tasks each rule closed to them, and which
eligible tasks went to others. Volunteers listed together in ``Problem.extra["same_person"]``
(a compiled menu's offers of one provider) are one person: each is busy when any of them serves
at that time, and at its limit when their work together reaches the person's ``max_minutes``
(:func:`vmatch.menu.explain_orders` says the same in the menu's words).

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> from vmatch.solve import solve
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0), skills={"x": 1}),), (Task("t", Location(0, 0), w, skills={"x": 2}),))
>>> print(explain_text(p, solve(p, time_limit=2)))
task t: 1 of 1 places unfilled
  skill: 1 volunteer lacks a required skill level
  1 more candidate if x were accepted at level 1 (needs 2)
  no volunteer with x level 2 is available on Saturday 09:00-10:00
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vmatch.eligibility import RULES, Tables, distance_km
from vmatch.geo import haversine_km, travel_minutes
from vmatch.model import Problem
from vmatch.reasons import block_masks, rule_masks
from vmatch.result import Result

__all__ = ["Relaxation", "TaskExplanation", "VolunteerExplanation", "explain", "explain_text", "explain_volunteers"]

_PHRASES = {  # (one volunteer, several volunteers)
    "skill": ("lacks a required skill level", "lack a required skill level"),
    "certificate": ("lacks a required certificate valid on the day", "lack a required certificate valid on the day"),
    "attribute": (
        "lacks an allowed attribute value (e.g. language)",
        "lack an allowed attribute value (e.g. language)",
    ),
    "availability": ("is not available for the whole time", "are not available for the whole time"),
    "distance": ("lives beyond the distance limit", "live beyond the distance limit"),
    "workload": ("has a workload limit shorter than the task", "have a workload limit shorter than the task"),
    "forbidden": ("is a forbidden pair", "are forbidden pairs"),
}


@dataclass(frozen=True, slots=True)
class Relaxation:
    """Relaxing one rule alone would add ``gain`` candidates; ``detail`` says how."""

    rule: str
    gain: int
    detail: str


@dataclass(frozen=True, slots=True)
class TaskExplanation:
    """Why one task is short (see the module docstring)."""

    task: str
    headcount: int
    assigned: tuple[str, ...]
    missing: int
    reasons: dict[str, int]
    competition: dict[str, tuple[str, ...]] = field(default_factory=dict)
    at_limit: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """As plain data (for ``--json``)."""
        return {
            "task": self.task,
            "headcount": self.headcount,
            "assigned": list(self.assigned),
            "missing": self.missing,
            "reasons": dict(self.reasons),
            "competition": {v: list(ts) for v, ts in self.competition.items()},
            "at_limit": list(self.at_limit),
            "unused": list(self.unused),
            "relaxations": [{"rule": r.rule, "gain": r.gain, "detail": r.detail} for r in self.relaxations],
            "note": self.note,
        }

    def text(self) -> str:
        """Readable lines (ids only)."""
        lines = [f"task {self.task}: {self.missing} of {self.headcount} places unfilled"]
        for rule in RULES:
            n = self.reasons.get(rule, 0)
            if n:
                one, many = _PHRASES[rule]
                lines.append(f"  {rule}: {n} {'volunteer ' + one if n == 1 else 'volunteers ' + many}")
        for v, ts in sorted(self.competition.items()):
            lines.append(f"  busy: {v} is eligible but serves {', '.join(ts)} at that time")
        if self.at_limit:
            lines.append(f"  at limit: {', '.join(self.at_limit)} eligible but at a workload limit")
        if self.unused:
            lines.append(
                f"  unused: {', '.join(self.unused)} eligible and free, left out "
                "(minimum head-count, composition, or a shared start)"
            )
        lines.extend(f"  {r.detail}" for r in self.relaxations)
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class VolunteerExplanation:
    """Why a volunteer has no (or little) work: tasks closed per rule, eligible tasks taken by others."""

    volunteer: str
    assigned: tuple[str, ...]
    closed: dict[str, int]
    eligible: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """As plain data (for ``--json``)."""
        return {
            "volunteer": self.volunteer,
            "assigned": list(self.assigned),
            "closed": dict(self.closed),
            "eligible": list(self.eligible),
        }

    def text(self) -> str:
        """Readable lines (ids only)."""
        head = f"volunteer {self.volunteer}: {len(self.assigned)} task(s)"
        lines = [head + (f" ({', '.join(self.assigned)})" if self.assigned else "")]
        for rule in RULES:
            n = self.closed.get(rule, 0)
            if n:
                lines.append(f"  {rule}: closes {n} task{'s' if n != 1 else ''}")
        if self.eligible:
            lines.append(
                f"  eligible for {len(self.eligible)} task(s) that went to others or stayed unserved: "
                + ", ".join(self.eligible[:10])
                + (" ..." if len(self.eligible) > 10 else "")
            )
        else:
            lines.append("  no task is open to this volunteer under every rule")
        return "\n".join(lines)


def _relaxations(tb: Tables, t: int, masks: dict[str, np.ndarray]) -> tuple[Relaxation, ...]:
    p = tb.problem
    task = p.tasks[t]
    out = []
    allm = np.logical_and.reduce([masks[r] for r in RULES])
    for rule in RULES:
        only = ~masks[rule] & np.logical_and.reduce([masks[r] for r in RULES if r != rule]) & ~allm
        gain = int(only.sum())
        if not gain:
            continue
        idx = np.flatnonzero(only)
        if rule == "distance":
            km = np.sort(distance_km(tb, idx, np.full(len(idx), t)))
            first = math.ceil(km[0] * 10) / 10
            last = math.ceil(km[-1] * 10) / 10
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if the distance limit were {last:.1f} km" + (
                f" (the first at {first:.1f} km)" if gain > 1 and first < last else ""
            )
        elif rule == "skill":
            parts = []
            for s, lvl in sorted(task.skills.items()):
                col = tb.skill_col[s]
                held = tb.vskill[idx, col]
                short = held < lvl
                if short.any():
                    best = int(held[short].max())
                    parts.append(
                        f"{s} were accepted at level {best} (needs {lvl})" if best else f"{s} were not required"
                    )
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if " + " and ".join(parts)
        elif rule == "certificate":
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if {', '.join(task.certificates)} were waived"
        elif rule == "attribute":
            keys = ", ".join(sorted(task.attributes))
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if any {keys} were accepted"
        elif rule == "availability":
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if the task moved to when they are free"
        elif rule == "workload":
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if workload limits allowed {tb.tdur[t]} minutes"
        else:
            detail = f"{gain} more candidate{'s' if gain > 1 else ''} if forbidden pairs were lifted"
        out.append(Relaxation(rule, gain, detail))
    return tuple(sorted(out, key=lambda r: -r.gain))


def _no_one_note(tb: Tables, t: int, masks: dict[str, np.ndarray]) -> str:
    task = tb.problem.tasks[t]
    if (masks["skill"] & masks["availability"]).any() or not task.skills:
        return ""
    s = tb.axis.datetime(int(tb.tws[t]))
    e = tb.axis.datetime(int(tb.twe[t]))
    need = ", ".join(f"{k} level {v}" for k, v in sorted(task.skills.items()))
    return f"no volunteer with {need} is available on {s:%A} {s:%H:%M}-{e:%H:%M}"


#: Tasks whose rule masks are computed together (tasks x volunteers booleans per rule).
MASK_BLOCK = 32


def _masks_in_blocks(tb: Tables, tasks: list[int]) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """``(t, rule masks of t)`` for each task index of ``tasks``, computed ``MASK_BLOCK`` at a time."""
    for i in range(0, len(tasks), MASK_BLOCK):
        block = tasks[i : i + MASK_BLOCK]
        masks = block_masks(tb, np.asarray(block, np.int64))
        for k, t in enumerate(block):
            yield t, {r: m[k] for r, m in masks.items()}


def explain(
    problem: Problem,
    result: Result,
    task: str | None = None,
    *,
    tables: Tables | None = None,
    on_masks: Callable[[int, dict[str, np.ndarray]], None] | None = None,
) -> list[TaskExplanation]:
    """Explanations for every task short of its head-count (or for ``task`` only, short or not).

    ``on_masks`` (optional) sees each explained task's index and its rule masks (per rule, the
    volunteers who pass it), for callers that count more from them.
    """
    tb = tables or Tables(problem)
    by_task = result.by_task()
    by_vol: dict[int, list[tuple[int, int, int]]] = {}
    for a in result.assignments:
        v = problem.volunteer_index(a.volunteer)
        t = problem.task_index(a.task)
        s = tb.axis.minute(a.start)
        by_vol.setdefault(v, []).append((t, s, s + int(tb.tdur[t])))
    ids = [task] if task is not None else [t.id for t in problem.tasks if len(by_task.get(t.id, ())) < t.headcount]
    # volunteers that are one person (a compiled menu's offers of one provider): one schedule, one limit
    from vmatch.menu.people import person_groups  # (here: vmatch.menu imports this module)

    mates: dict[int, list[int]] = {}
    person_cap: dict[int, int] = {}
    for info in person_groups(problem).values():
        group = [problem.volunteer_index(x) for x in info["volunteers"]]
        for v in group:
            mates[v] = group
            if info.get("max_minutes") is not None:
                person_cap[v] = int(info["max_minutes"])
    out = []
    speed = problem.settings.travel_speed_kmh
    for t, masks in _masks_in_blocks(tb, [problem.task_index(tid) for tid in ids]):
        tid = problem.tasks[t].id
        assigned = tuple(sorted(by_task.get(tid, ())))
        if on_masks is not None:
            on_masks(t, masks)
        reasons = {r: int((~masks[r]).sum()) for r in RULES if (~masks[r]).any()}
        ok = np.logical_and.reduce([masks[r] for r in RULES])
        mine = {problem.volunteer_index(v) for v in assigned}
        competition: dict[str, tuple[str, ...]] = {}
        at_limit, unused = [], []
        ws, we = int(tb.tws[t]), int(tb.twe[t])
        for v in np.flatnonzero(ok).tolist():
            if v in mine:
                continue
            vid = problem.volunteers[v].id
            busy = []
            person = [x for m in mates.get(v, [v]) for x in by_vol.get(m, [])]
            for u, s, e in person:
                trip = 0 if u == t else travel_minutes(_site_km(tb, t, u), speed)
                if s < we + trip and e + trip > ws:
                    busy.append(problem.tasks[u].id)
            load = sum(e - s for (_, s, e) in by_vol.get(v, []))
            cap = int(tb.vmax[v])
            dur = int(tb.tdur[t])
            if busy:
                competition[vid] = tuple(sorted(busy))
            elif (cap >= 0 and load + dur > cap) or (
                v in person_cap and sum(e - s for (_, s, e) in person) + dur > person_cap[v]
            ):
                at_limit.append(vid)
            else:
                unused.append(vid)
        head = problem.tasks[t].headcount
        out.append(
            TaskExplanation(
                tid,
                head,
                assigned,
                head - len(assigned),
                reasons,
                competition,
                tuple(sorted(at_limit)),
                tuple(sorted(unused)),
                _relaxations(tb, t, masks),
                _no_one_note(tb, t, masks) if not ok.any() else "",
            )
        )
    return out


def _site_km(tb: Tables, a: int, b: int) -> float:
    return float(haversine_km(tb.tlat[a], tb.tlon[a], tb.tlat[b], tb.tlon[b]))


def explain_volunteers(
    problem: Problem, result: Result, volunteer: str | None = None, *, tables: Tables | None = None
) -> list[VolunteerExplanation]:
    """Explanations for every idle volunteer (or for ``volunteer`` only)."""
    tb = tables or Tables(problem)
    by_vol = result.by_volunteer()
    ids = [volunteer] if volunteer is not None else [v.id for v in problem.volunteers if v.id not in by_vol]
    if not ids:
        return []
    vidx = np.asarray([problem.volunteer_index(v) for v in ids], np.int64)
    closed = {v: dict.fromkeys(RULES, 0) for v in ids}
    eligible: dict[str, list[str]] = {v: [] for v in ids}
    for t in range(tb.nt):
        masks = rule_masks(tb, t)
        ok = np.ones(len(vidx), bool)
        for r in RULES:
            m = masks[r][vidx]
            ok &= m
            for i in np.flatnonzero(~m).tolist():
                closed[ids[i]][r] += 1
        for i in np.flatnonzero(ok).tolist():
            eligible[ids[i]].append(problem.tasks[t].id)
    return [
        VolunteerExplanation(
            v,
            tuple(sorted(by_vol.get(v, ()))),
            {r: n for r, n in closed[v].items() if n},
            tuple(t for t in eligible[v] if t not in by_vol.get(v, ())),
        )
        for v in ids
    ]


def explain_text(problem: Problem, result: Result, task: str | None = None) -> str:
    """:func:`explain` as text, one block per task."""
    ex = explain(problem, result, task)
    if not ex:
        return "every task has its full head-count"
    return "\n".join(e.text() for e in ex)
