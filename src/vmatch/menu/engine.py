"""Solving a (compiled menu or dispatch) problem with shared-person rows, a start plan, merged levels.

:func:`solve_problem` is :func:`vmatch.solve` for problems with ``Problem.extra["same_person"]``
(compiled by :func:`vmatch.menu.people.compile_people`), with a start plan (``hint``) and the
option to solve the first levels as one (``merge``): lexicographically equivalent (integer
weights keep the order strict) but the start plan stays the hint throughout, which re-planning
needs (coverage, then keep the previous plan).

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> p, _ = menu_to_problem(generate_menu(30, 12, seed=2))
>>> r = solve_problem(p, time_limit=5)
>>> r.status.value, [lv.name for lv in r.levels]
('OPTIMAL', ['coverage', 'fairness', 'equity', 'travel'])
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem, ArcSolution, Level, SolveStatus
from vmatch.compile import Compiled
from vmatch.errors import InfeasibleError
from vmatch.menu.bounds import BoundJob, arc_data, menu_shaped
from vmatch.menu.fastcompile import by_item
from vmatch.menu.people import compile_people
from vmatch.menu.reasons import decode_by_item
from vmatch.menu.steal import respond_and_steal
from vmatch.model import Problem
from vmatch.objective import Objective
from vmatch.result import Result
from vmatch.solve import (
    FULL_MODEL_ARCS,
    _as_solution,
    _not_reproducible_warning,
    _pins_hold,
    _tie_mode,
    conflict_names,
    decode,
    level_bounds,
    reproducible_answer,
)
from vmatch.solvers.conflict import find_conflict
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.decompose import components
from vmatch.solvers.greedy import greedy
from vmatch.solvers.lns import solve_lns

__all__ = ["hint_arcs", "merge_levels", "repair_start", "solve_problem"]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]

#: ``reproducible`` on the search path: the search's budget as a share of the time limit (the
#: start's round of best responses and steals takes about a sixth of 30 s at 20,000 x 5,000; with
#: 0.7 the whole call took 31.6-35.6 s for a 30-s limit).
MENU_REPRODUCIBLE_SHARE = 0.6


def hint_arcs(c: Compiled, plan: Sequence[tuple[str, str, datetime | None]]) -> I64:
    """Arc indices of (volunteer, task, start) triples (start None: the pair's earliest arc)."""
    p = c.problem
    ap = c.arcs
    nt = max(1, len(p.tasks))
    vid = {v.id: i for i, v in enumerate(p.volunteers)}
    tid = {t.id: i for i, t in enumerate(p.tasks)}
    ax = c.tables.axis
    want: dict[int, int | None] = {}
    for v, t, s in plan:
        if v in vid and t in tid:
            want[vid[v] * nt + tid[t]] = None if s is None else ax.minute(s)
    arc_key = ap.arc_agent * nt + c.job_task[ap.arc_job]
    starts = c.job_start[ap.arc_job]
    out: dict[int, int] = {}
    for a in np.flatnonzero(np.isin(arc_key, np.fromiter(want, np.int64, len(want)))).tolist():
        k = int(arc_key[a])
        at = want[k]
        if k not in out or (at is not None and int(starts[a]) == at):
            out[k] = a
    return np.asarray(sorted(out.values()), np.int64)


def repair_start(ap: ArcProblem, chosen: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``chosen`` without the arcs of jobs below their minimum head-count or composition rows."""
    out = chosen.copy()
    per_job = np.bincount(ap.arc_job, weights=out, minlength=ap.n_jobs)
    bad = (per_job > 0) & (per_job < ap.job_min)
    for r in range(len(ap.composition)):
        j = int(ap.composition.owner[r])
        if per_job[j] > 0 and out[ap.composition.row(r)].sum() < ap.composition.rhs[r]:
            bad[j] = True
    out &= ~bad[ap.arc_job]
    return out


def merge_levels(ap: ArcProblem, k: int, tail: I64 | None = None) -> tuple[ArcProblem, list[int]]:
    """``ap`` with its first ``k`` levels folded into one (strict integer weights), and the weights.

    ``tail`` (non-negative integers per arc) joins the fold below the ``k`` levels: a tie-break
    among their optima (re-planning: keep each kept assignment's start). Only levels without a
    max-share or per-job part, all maximised, can fold; otherwise ``ap`` comes back unchanged
    with weights ``[]``.
    """
    head = list(ap.levels[:k])
    if k < 2 or len(head) < k or any(lv.has_share or lv.job_coef is not None or lv.sense != "max" for lv in head):
        return ap, []
    if tail is not None:
        head.append(Level("tail", tail, "max", 1.0))
    weights = [1] * len(head)
    span = 1
    for i in range(len(head) - 1, -1, -1):
        weights[i] = span
        span *= int(np.abs(head[i].int_coef()).sum()) + 1
    coef = sum(w * lv.int_coef().astype(np.float64) for w, lv in zip(weights, head, strict=True))
    merged = Level("+".join(lv.name for lv in head[:k]), coef, "max", 1.0)
    return dataclasses.replace(ap, levels=(merged, *ap.levels[k:])), weights


def _split(ap: ArcProblem, sol: ArcSolution, k: int, weights: list[int]) -> ArcSolution:
    """A solution of the merged problem as one of ``ap`` (values per level, bounds split back)."""
    values = tuple(lv.value(sol.arcs, sol.served_jobs) for lv in ap.levels)
    b = sol.bounds[0]
    bounds: list[float] = []
    for i in range(k):
        s = ap.levels[i].scale
        if math.isnan(b):
            bounds.append(math.nan)
            continue
        rest = b - sum(weights[j] * round(values[j] * ap.levels[j].scale) for j in range(i))
        proven = all(bounds[j] == values[j] for j in range(i))
        bounds.append(math.floor(rest / weights[i] + 1e-9) / s if proven else math.nan)
    bounds += list(sol.bounds[1:])
    return dataclasses.replace(sol, values=values, bounds=tuple(bounds))


def solve_problem(
    problem: Problem,
    *,
    objective: Objective | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    hint: Sequence[tuple[str, str, datetime | None]] = (),
    merge: int = 1,
    method: str = "auto",
    candidates: tuple[I64, I64] | None = None,
    extra_stats: dict[str, object] | None = None,
    reproducible: bool = False,
) -> Result:
    """:func:`vmatch.solve` honouring ``Problem.extra["same_person"]``, with a start plan.

    As :func:`vmatch.solve`: one CP-SAT model up to ``FULL_MODEL_ARCS`` arcs (``method="cpsat"``),
    else large-neighbourhood search from a start (``method="lns"``); ``time_limit`` covers the
    whole call. The start is ``hint`` (a plan: volunteer, task, start) when given and it keeps
    every pin, else the greedy construction. ``merge`` > 1 solves the first ``merge`` levels as
    one (see :func:`merge_levels`), with the hint's own arcs (same start) as the tie-break; the
    result still reports each level. ``candidates`` (volunteer indices, task indices) are the only
    pairs considered (see :func:`vmatch.menu.fastcompile.compile_by_item`). ``reproducible``: as
    :func:`vmatch.solve`'s (ties broken over every arc on a proven answer; on the search path one
    part at a time in deterministic time, the start's round of best responses and steals in full).

    A fresh menu round (no ``hint``) on the search path starts from the greedy construction
    improved by best responses and steal moves (:func:`vmatch.menu.steal.respond_and_steal`) and
    reports the providers' schedule bound (:func:`vmatch.menu.bounds.menu_bounds`, computed in a
    process of its own meanwhile); the search's parts start mostly from the orders the providers'
    best schedules want at the bound's prices and the plan does not serve (``BoundJob.wanted``).
    With a minute or more of search, that process goes on with column generation over the
    providers' schedules and the bound reported is the best it reached
    (:func:`vmatch.menu.bounds.colgen_bound`).

    Raises
    ------
    InfeasibleError
        When pinned pairs cannot all hold with the hard rules.
    """
    t0 = time.perf_counter()
    c: Compiled = compile_people(problem, objective, candidates)
    ap = c.arcs
    n_comp, _ = components(ap)
    start = None
    if hint:
        start = np.zeros(ap.n_arcs, bool)
        start[hint_arcs(c, hint)] = True
        start = repair_start(ap, start)
        if not _pins_hold(ap, start):
            start = None
    speed = problem.settings.travel_speed_kmh
    menu_lns = menu_shaped(ap) and (method == "lns" or (method == "auto" and ap.n_arcs > FULL_MODEL_ARCS))
    # a fresh menu round: the bound is computed beside the construction (a process of its own, on
    # the core the construction leaves free); re-planning keeps the plain bounds
    # (a long run: it goes on with column generation until the search ends, see BoundJob)
    bounds = BoundJob(ap, speed, until=t0 + 0.95 * time_limit) if menu_lns and not hint else None
    if start is None:
        built = greedy(ap)
        start = built if _pins_hold(ap, built) else None
        if start is not None and menu_lns and not hint:  # every offer re-plans around the others, and steals
            # one round (20k x 5k: the first gains 62, the next two 2 in 2.6 s, which the search
            # spends better), even when the compile and the greedy start took the share
            until = max(t0 + 0.4 * time_limit, time.perf_counter() + 0.1 * time_limit)
            if reproducible:  # the one round in full: the same start on every run
                until = math.inf
            start = respond_and_steal(ap, arc_data(ap, speed), start, deadline=until, rounds=1)
    left = max(0.2 * time_limit, time_limit - (time.perf_counter() - t0) - 0.05 * time_limit)
    tail = None
    if merge > 1 and hint:
        tail = np.zeros(ap.n_arcs, np.int64)
        tail[hint_arcs(c, hint)] = 1
    work, weights = merge_levels(ap, merge, tail)
    if ap.n_arcs == 0 and not len(ap.pinned):
        zero = tuple(0.0 for _ in ap.levels)
        sol = ArcSolution(SolveStatus.OPTIMAL, np.zeros(0, np.int64), np.zeros(0, np.int64), zero, zero, 0.0, "empty")
    elif method == "cpsat" or (method == "auto" and ap.n_arcs <= FULL_MODEL_ARCS) or start is None:
        h = None if start is None else np.flatnonzero(start)
        sol = solve_cpsat(work, time_limit=left, seed=seed, workers=workers, hint=h, tie_break=_tie_mode(reproducible))
        if weights and sol.status != SolveStatus.UNKNOWN and sol.status != SolveStatus.INFEASIBLE:
            sol = _split(ap, sol, merge, weights)
        elif sol.status == SolveStatus.UNKNOWN and start is not None:
            sol = _as_solution(ap, start, "start")
    else:
        # two lanes (the default on two cores): since the parts' models are built from index
        # arrays, two parts side by side with a worker each beat one with both workers (20k x 5k
        # welfare, 30 s, solver seeds 0-2: 24,606 / 24,602 / 24,563 against 24,544 / 24,538 /
        # 24,546; three lanes 24,580 / 24,582). Before, with more Python per part, one lane won.
        if reproducible:  # (see vmatch.solve; the menu's start takes a larger share)
            left = MENU_REPRODUCIBLE_SHARE * time_limit
        if bounds is None:
            sol = solve_lns(
                ap,
                time_limit=left,
                seed=seed,
                workers=workers,
                start=start,
                bound=lambda: level_bounds(ap),
                reproducible=reproducible,
            )
        else:  # the search does not wait for the bound's process: it is read when the search ends
            quick = level_bounds(ap, flow=False)
            # parts start from orders the providers' best schedules want at the flow's prices but
            # the search does not serve, once the process has sent them (20k x 5k, 25 s of search
            # from the same start, three seeds: +18, +14, +11)
            sol = solve_lns(
                ap,
                time_limit=left,
                seed=seed,
                workers=workers,
                start=start,
                bound=lambda: quick,
                group_lp=bounds.wanted,
                bound_now=bounds.latest,
                reproducible=reproducible,
            )
            full = bounds.result()
            sol = dataclasses.replace(sol, bounds=(min(sol.bounds[0], full[0]), *sol.bounds[1:]))
    if bounds is not None:
        bounds.cancel()  # not asked for on the CP-SAT path
    if sol.status == SolveStatus.INFEASIBLE:
        names = conflict_names(c, find_conflict(ap, time_limit=max(1.0, time_limit)))
        raise InfeasibleError("these requests cannot all hold together with the hard rules: " + "; ".join(names), names)
    dec = decode_by_item if by_item(problem) is not None else decode
    more: dict[str, object] = {}
    if reproducible:
        more["reproducible"] = reproducible_answer(sol)
        if not more["reproducible"]:
            _not_reproducible_warning("menu or re-plan")  # (solve_problem serves both)
    res = dec(c, sol, extra_stats={"components": n_comp, **(extra_stats or {}), **more})
    return dataclasses.replace(res, stats={**dict(res.stats), "wall_seconds": time.perf_counter() - t0})
