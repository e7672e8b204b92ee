"""Re-planning after accept / decline (接单) and other events, changing the plan as little as possible.

Events on a plan: volunteers **accept** assignments (those pairs are pinned: they stay), **decline**
them (those pairs are forbidden: never proposed again), **withdraw** (the volunteer leaves),
requesters **cancel** tasks (the task leaves), and new tasks are **added**. :func:`replan` solves the
updated problem lexicographically: coverage first (a change that fills one more place is always
worth it), then as many of the previous plan's assignments as possible (the ``keep`` term), then
fairness and travel; it starts from the previous plan as a hint. :func:`apply_events` returns the
updated problem itself, to chain rounds (declines stay forbidden in every later round).

A compiled menu problem (:func:`vmatch.menu.menu_to_problem`) replans the same way: its offers of
one provider stay one person (``Problem.extra["same_person"]``).

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> from vmatch.solve import solve
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0)), Volunteer("b", Location(0, 0.01)), Volunteer("c", Location(0, 0.02))),
...             (Task("t1", Location(0, 0), w), Task("t2", Location(0, 0.01), w)))
>>> r = solve(p, time_limit=5)
>>> [(x.volunteer, x.task) for x in r.assignments]
[('a', 't1'), ('b', 't2')]
>>> r2 = replan(p, r, declined=[("a", "t1")], time_limit=5)
>>> [(x.volunteer, x.task) for x in r2.assignments], r2.stats["changes"]
([('b', 't2'), ('c', 't1')], {'kept': 1, 'removed': 1, 'added': 1, 'moved': 0})
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from vmatch._replan_local import local_replan
from vmatch.errors import ModelError
from vmatch.menu.engine import solve_problem
from vmatch.menu.solve import MENU_OBJECTIVE
from vmatch.model import Problem, Task
from vmatch.objective import Objective
from vmatch.result import Result

__all__ = [
    "LOCAL_ABOVE",
    "MENU_REPLAN_ORDER",
    "REPLAN_ORDER",
    "apply_events",
    "plan_changes",
    "replan",
    "replanned_problem",
]

log = logging.getLogger(__name__)

#: Levels of a re-plan: coverage, then keep the previous plan, then fairness and travel.
REPLAN_ORDER = ("coverage", "keep", "fairness", "travel")
#: Levels of a compiled menu's re-plan (``Problem.extra["menu"]``): coverage, keep, then the menu's
#: own terms (:data:`vmatch.menu.solve.MENU_OBJECTIVE`: the requesters' and providers' preferences,
#: reliability, travel).
MENU_REPLAN_ORDER = (MENU_OBJECTIVE.order[0], "keep", *MENU_OBJECTIVE.order[1:])

#: ``scope="auto"`` re-plans locally when the updated problem has more tasks than this.
LOCAL_ABOVE = 150

Pair = tuple[str, str]


def _pairs(kind: str, xs: Iterable[Any]) -> tuple[Pair, ...]:
    out = []
    for n, p in enumerate(xs):
        if not (isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ModelError(f"replan: field '{kind}[{n}]' must be a (volunteer id, task id) pair")
        out.append((p[0], p[1]))
    return tuple(out)


def apply_events(
    problem: Problem,
    *,
    accepted: Iterable[Pair] = (),
    declined: Iterable[Pair] = (),
    withdrawn: Iterable[str] = (),
    cancelled: Iterable[str] = (),
    added: Iterable[Task] = (),
) -> Problem:
    """The problem after the events: accepted pairs pinned, declined forbidden, people and tasks gone or added.

    A pinned pair that is declined is no longer pinned (the volunteer said no).

    Raises
    ------
    ModelError
        An event names an unknown volunteer or task, an added task reuses an id, a pair is both
        accepted and declined, or an accepted pair names a withdrawn volunteer or cancelled task.
    """
    acc, dec = _pairs("accepted", accepted), _pairs("declined", declined)
    gone_v, gone_t = set(withdrawn), set(cancelled)
    new = tuple(added)
    vids = {v.id for v in problem.volunteers}
    tids = {t.id for t in problem.tasks}
    for n, task in enumerate(new):
        if not isinstance(task, Task):
            raise ModelError(f"replan: field 'added[{n}]' must be a Task")
        if task.id in tids:
            raise ModelError(f"task {task.id!r}: field 'id' of an added task is already used")
        tids.add(task.id)
    # a compiled menu's volunteers are its offers and its tasks its orders
    vol_word, task_word = ("offer", "order") if problem.extra.get("menu") else ("volunteer", "task")
    for kind, ids, known in (("withdrawn", gone_v, vids), ("cancelled", gone_t, tids)):
        for x in sorted(ids):
            if x not in known:
                what = vol_word if kind == "withdrawn" else task_word
                raise ModelError(f"replan: field '{kind}' names unknown {what} {x!r}")
    for kind, pairs in (("accepted", acc), ("declined", dec)):
        for n, (v, t) in enumerate(pairs):
            if v not in vids:
                raise ModelError(f"replan: field '{kind}[{n}]' names unknown {vol_word} {v!r}")
            if t not in tids:
                raise ModelError(f"replan: field '{kind}[{n}]' names unknown {task_word} {t!r}")
    both = set(acc) & set(dec)
    if both:
        raise ModelError(f"replan: field 'accepted' pair {sorted(both)[0]} is also declined")
    for n, (v, t) in enumerate(acc):
        if v in gone_v or t in gone_t:
            raise ModelError(
                f"replan: field 'accepted[{n}]' names a withdrawn volunteer or cancelled task ({v!r}, {t!r})"
            )
    decl = set(dec)

    def alive(p: Pair) -> bool:
        return p[0] not in gone_v and p[1] not in gone_t

    pinned = tuple(dict.fromkeys(p for p in (*problem.pinned, *acc) if alive(p) and p not in decl))
    forbidden = tuple(dict.fromkeys(p for p in (*problem.forbidden, *dec) if alive(p)))
    prefs = {p: s for p, s in problem.preferences.items() if alive(p)}
    extra: Mapping[str, Any] = problem.extra
    if "same_person" in extra and gone_v:
        sp = {
            k: (
                {**d, "volunteers": [v for v in d["volunteers"] if v not in gone_v]}
                if isinstance(d, Mapping)
                else [v for v in d if v not in gone_v]
            )
            for k, d in extra["same_person"].items()
        }
        extra = {**extra, "same_person": sp}
    return dataclasses.replace(
        problem,
        volunteers=tuple(v for v in problem.volunteers if v.id not in gone_v),
        tasks=tuple(t for t in problem.tasks if t.id not in gone_t) + new,
        pinned=pinned,
        forbidden=forbidden,
        preferences=prefs,
        previous=tuple(p for p in problem.previous if p[0] not in gone_v),
        extra=extra,
    )


def _merge(obj: Objective) -> int:
    """Solve coverage and keep as one level when they lead the order (the plan stays the hint)."""
    return 2 if obj.weights is None and obj.order[:2] == ("coverage", "keep") else 1


def plan_changes(previous: Result, new: Result) -> tuple[dict[str, int], dict[str, list[list[str]]]]:
    """Counts and lists (``[volunteer, task]`` ids) of kept, removed, added and moved assignments.

    ``moved``: kept pairs whose start changed (counted in ``kept`` as well).
    """
    old = {(a.volunteer, a.task): a.start for a in previous.assignments}
    cur = {(a.volunteer, a.task): a.start for a in new.assignments}
    kept = [p for p in cur if p in old]
    removed = sorted(p for p in old if p not in cur)
    added = sorted(p for p in cur if p not in old)
    moved = sorted(p for p in kept if cur[p] != old[p])
    counts = {"kept": len(kept), "removed": len(removed), "added": len(added), "moved": len(moved)}
    lists = {k: [list(p) for p in v] for k, v in (("removed", removed), ("added", added), ("moved", moved))}
    return counts, lists


def replan(
    problem: Problem,
    previous_result: Result,
    *,
    accepted: Iterable[Pair] = (),
    declined: Iterable[Pair] = (),
    withdrawn: Iterable[str] = (),
    cancelled: Iterable[str] = (),
    added: Iterable[Task] = (),
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    objective: Objective | None = None,
    scope: Literal["auto", "global", "local"] = "auto",
    max_free: int = 60,
    reproducible: bool = False,
) -> Result:
    """A new plan after the events, as close to ``previous_result`` as coverage allows.

    Parameters
    ----------
    problem : Problem
        The problem ``previous_result`` solved (a dispatch problem, or a compiled menu problem).
    previous_result : Result
        The plan in force.
    accepted, declined : iterable of (volunteer id, task id)
        Pairs accepted (pinned) and declined (forbidden).
    withdrawn, cancelled : iterable of str
        Volunteers and tasks that leave.
    added : iterable of Task
        New tasks.
    time_limit, seed, workers
        As for :func:`vmatch.solve`.
    objective : Objective, optional
        Default: coverage, keep, fairness, travel (:data:`REPLAN_ORDER`); on a compiled menu
        problem coverage, keep, preference, reliability, travel (:data:`MENU_REPLAN_ORDER`). Its
        ``keep`` pairs are always the previous plan's that survive the events.
    scope : {"auto", "global", "local"}
        ``"global"``: solve the whole updated problem (hinted with the previous plan): optimal
        when time allows. ``"local"``: re-solve only the neighbourhood of the events, at most
        ``max_free`` tasks, and keep the rest of the plan as it is (:mod:`vmatch._replan_local`):
        fast on large problems, valid, not proven optimal. ``"auto"``: local above
        :data:`LOCAL_ABOVE` tasks.
    max_free : int
        Local scope: the most tasks re-solved.
    reproducible : bool
        As for :func:`vmatch.solve`: when the (whole or local) problem is proven, ties among the
        optimal plans are broken over every arc.

    Returns
    -------
    Result
        On the updated problem (:func:`apply_events`). ``stats["changes"]`` counts ``kept``,
        ``removed``, ``added`` and ``moved`` assignments against the previous plan;
        ``stats["changed"]`` lists the removed, added and moved ``[volunteer, task]`` pairs;
        ``stats["events"]`` records the accepted, declined, withdrawn and cancelled ids of this
        round and the rounds before. When ``previous_result`` has that record (a re-plan's result,
        or its solution document read back), its events hold again: a decline is never undone
        by a later round, whether ``problem`` is the original one or :func:`apply_events`'s.
        Added tasks are not recorded (they are in the updated problem, or the caller's to add).

    Raises
    ------
    ModelError
        Bad events (see :func:`apply_events`).
    InfeasibleError
        The accepted (and pinned) pairs cannot all hold.
    """
    t0 = time.perf_counter()
    acc, dec = _pairs("accepted", accepted), _pairs("declined", declined)
    gone_v, gone_t = set(withdrawn), set(cancelled)
    acc, dec, gone_v, gone_t = _with_history(problem, previous_result, acc, dec, gone_v, gone_t)
    new_tasks = tuple(added)
    new_problem = apply_events(problem, accepted=acc, declined=dec, withdrawn=gone_v, cancelled=gone_t, added=new_tasks)
    decl = set(dec)
    keep = [
        (a.volunteer, a.task, a.start)
        for a in previous_result.assignments
        if a.volunteer not in gone_v and a.task not in gone_t and (a.volunteer, a.task) not in decl
    ]
    base = objective or Objective(order=MENU_REPLAN_ORDER if problem.extra.get("menu") else REPLAN_ORDER)
    obj = dataclasses.replace(base, keep=frozenset((v, t) for v, t, _ in keep))
    if scope not in ("auto", "global", "local"):
        raise ValueError(f"replan: scope must be 'auto', 'global' or 'local', got {scope!r}")
    local = scope == "local" or (scope == "auto" and len(new_problem.tasks) > LOCAL_ABOVE)
    if local:
        planned = {(v, t) for v, t, _ in keep}
        lost_t = [a.task for a in previous_result.assignments if (a.volunteer, a.task) in decl or a.volunteer in gone_v]
        lost_v = [a.volunteer for a in previous_result.assignments if (a.volunteer, a.task) in decl or a.task in gone_t]
        pins = [p for p in new_problem.pinned if p not in planned]
        seeds = [t for t in (*lost_t, *(t.id for t in new_tasks), *(t for _, t in pins)) if t not in gone_t]
        freed = [v for v in (*lost_v, *(v for v, _ in pins)) if v not in gone_v]
        res = local_replan(
            new_problem,
            previous_result,
            keep,
            seeds,
            freed,
            obj,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            max_free=max_free,
            merge=_merge(obj),
            reproducible=reproducible,
        )
    else:
        res = solve_problem(
            new_problem,
            objective=obj,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            hint=keep,
            merge=_merge(obj),
            reproducible=reproducible,
        )
        res = dataclasses.replace(res, stats={**dict(res.stats), "scope": "global"})
    counts, lists = plan_changes(previous_result, res)
    log.info(
        "replan: kept %d, removed %d, added %d, moved %d in %.2fs",
        counts["kept"],
        counts["removed"],
        counts["added"],
        counts["moved"],
        time.perf_counter() - t0,
    )
    events = {
        "accepted": [list(x) for x in acc],
        "declined": [list(x) for x in dec],
        "withdrawn": sorted(gone_v),
        "cancelled": sorted(gone_t),
    }
    stats = {
        **dict(res.stats),
        "changes": counts,
        "changed": lists,
        "events": events,
        "replan_seconds": time.perf_counter() - t0,
    }
    return dataclasses.replace(res, stats=stats)


def replanned_problem(problem: Problem, result: Result, added: Iterable[Task] = ()) -> Problem:
    """The problem a :func:`replan` result was solved on: ``problem`` (the one given to
    :func:`replan`) with the events the result records in ``stats["events"]`` -- this round's and
    the earlier rounds' -- and the ``added`` tasks (not recorded)."""
    ev = result.stats.get("events", {})
    return apply_events(
        problem,
        accepted=ev.get("accepted", ()),
        declined=ev.get("declined", ()),
        withdrawn=ev.get("withdrawn", ()),
        cancelled=ev.get("cancelled", ()),
        added=added,
    )


def _with_history(
    problem: Problem,
    previous: Result,
    acc: tuple[Pair, ...],
    dec: tuple[Pair, ...],
    gone_v: set[str],
    gone_t: set[str],
) -> tuple[tuple[Pair, ...], tuple[Pair, ...], set[str], set[str]]:
    """The events of this round with those of the rounds before (``previous.stats["events"]``, as
    :func:`replan` records them): a decline, a withdrawal or a cancellation holds in every later
    round, and an accepted pair stays pinned unless declined, withdrawn or cancelled since. Events
    that name ids ``problem`` no longer has (already applied to it) are dropped."""
    hist = previous.stats.get("events") if isinstance(previous.stats, Mapping) else None
    if not isinstance(hist, Mapping):
        return acc, dec, gone_v, gone_t
    vids = {v.id for v in problem.volunteers}
    tids = {t.id for t in problem.tasks}

    def pairs(key: str) -> list[Pair]:
        xs = hist.get(key, ())
        return [
            (x[0], x[1])
            for x in (xs if isinstance(xs, list | tuple) else ())
            if isinstance(x, list | tuple) and len(x) == 2 and x[0] in vids and x[1] in tids
        ]

    def ids(key: str, known: set[str]) -> set[str]:
        xs = hist.get(key, ())
        return {x for x in (xs if isinstance(xs, list | tuple) else ()) if isinstance(x, str) and x in known}

    gone_v = gone_v | ids("withdrawn", vids)
    gone_t = gone_t | ids("cancelled", tids)
    dec = tuple(dict.fromkeys([*pairs("declined"), *dec]))
    no = set(dec)
    old = [p for p in pairs("accepted") if p not in no and p[0] not in gone_v and p[1] not in gone_t]
    acc = tuple(dict.fromkeys([*old, *acc]))
    return acc, dec, gone_v, gone_t
