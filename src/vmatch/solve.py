"""``vmatch.solve``: domain problem -> compile -> solver -> decoded :class:`Result`.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0)), Volunteer("b", Location(0, 0.05))),
...             (Task("t", Location(0, 0.01), w, headcount=1),))
>>> r = solve(p, time_limit=5)
>>> r.status.value, [(a.volunteer, a.task) for a in r.assignments]
('OPTIMAL', [('a', 't')])
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.compile import Compiled, compile_problem
from vmatch.eligibility import Tables
from vmatch.errors import InfeasibleError, ModelError
from vmatch.model import Problem
from vmatch.objective import Objective, term_coefficients
from vmatch.reasons import many_task_reasons
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status
from vmatch.solvers.background import Background, Message
from vmatch.solvers.conflict import find_conflict
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.decompose import components
from vmatch.solvers.exact import classify, solve_assignment, solve_bmatching
from vmatch.solvers.greedy import greedy, scarcity_preference
from vmatch.solvers.lagrange import flow_prices, lagrangian_bound
from vmatch.solvers.lns import solve_lns
from vmatch.solvers.lp import lp_nonzeros, lp_relaxation_later
from vmatch.solvers.lp_regions import regional_lp_bound
from vmatch.solvers.subproblem import ArcRows
from vmatch.split import Part, split_parts

__all__ = ["decode", "solve"]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]

_STATUS = {
    SolveStatus.OPTIMAL: Status.OPTIMAL,
    SolveStatus.FEASIBLE: Status.FEASIBLE,
    SolveStatus.INFEASIBLE: Status.INFEASIBLE,
    SolveStatus.UNKNOWN: Status.UNKNOWN,
}


def decode(c: Compiled, sol: ArcSolution, *, extra_stats: dict[str, object] | None = None) -> Result:
    """Turn an arc solution into a :class:`Result` with shortfalls, breakdown and levels."""
    p = c.problem
    ap = c.arcs
    arcs = sol.arcs
    av = ap.arc_agent[arcs]
    aj = ap.arc_job[arcs]
    at = c.job_task[aj]
    ax = c.tables.axis
    start_dt: dict[int, object] = {}
    assignments = []
    for v, j, t in zip(av.tolist(), aj.tolist(), at.tolist(), strict=True):
        if j not in start_dt:
            start_dt[j] = ax.datetime(int(c.job_start[j]))
        assignments.append(Assignment(p.volunteers[v].id, p.tasks[t].id, start_dt[j]))  # type: ignore[arg-type]
    filled = np.bincount(at, minlength=len(p.tasks))
    head = c.tables.thead
    by_task: dict[int, list[int]] = {}
    for v, t in zip(av.tolist(), at.tolist(), strict=True):
        by_task.setdefault(t, []).append(v)
    unassigned = {}
    if sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        short = np.flatnonzero(filled < head).tolist()
        reasons = many_task_reasons(c.tables, short, by_task)
        for t in short:
            unassigned[p.tasks[t].id] = Shortfall(p.tasks[t].id, int(head[t] - filled[t]), reasons[t])
    load = ap.arc_load[arcs]
    coef: dict[str, np.ndarray] = term_coefficients(
        p, av, at, c.arc_km[arcs], load, ("coverage", "travel", "preference", "continuity", "reliability", "equity")
    )
    breakdown = {
        "coverage": float(coef["coverage"].sum()),
        "places_filled": float(len(arcs)),
        "places_asked": float(head.sum()),
        "tasks_served": float((filled > 0).sum()),
        "tasks": float(len(p.tasks)),
        "travel_km": float(coef["travel"].sum()),
        "preference": float(coef["preference"].sum()),
        "continuity": float(coef["continuity"].sum()),
        "reliability": float(coef["reliability"].sum()),
        "equity": float(coef["equity"].sum()),
    }
    breakdown.update(load_spread(p, av, load))
    coef["fairness_minutes"] = load.astype(np.float64)
    terms_task = {k: _sum_by(vals, at, [t.id for t in p.tasks]) for k, vals in coef.items()}
    by_vol = {k: _sum_by(vals, av, [v.id for v in p.volunteers]) for k, vals in coef.items()}
    levels = tuple(
        LevelResult(lv.name, lv.sense, v, b) for lv, v, b in zip(ap.levels, sol.values, sol.bounds, strict=True)
    )
    stats: dict[str, object] = {
        "wall_seconds": sol.wall_seconds + c.build_seconds,
        "build_seconds": c.build_seconds,
        "solve_seconds": sol.wall_seconds,
        "arcs": ap.n_arcs,
        "jobs": ap.n_jobs,
        "cliques": len(ap.cliques),
        "solver": sol.solver,
    }
    stats.update(sol.stats)
    stats.update(extra_stats or {})
    obj = levels[0].value if levels else math.nan
    bnd = levels[0].bound if levels else math.nan
    return Result(
        _STATUS[sol.status], obj, bnd, tuple(assignments), unassigned, breakdown, levels, stats, terms_task, by_vol
    )


def _sum_by(vals: np.ndarray, idx: np.ndarray, ids: list[str]) -> dict[str, float]:
    tot = np.bincount(idx, weights=vals, minlength=len(ids))
    return {ids[i]: float(tot[i]) for i in np.flatnonzero(tot)}


def load_spread(p: Problem, arc_v: np.ndarray, load: np.ndarray) -> dict[str, float]:
    """Workload spread over all volunteers: largest share of own limit (per-mille), mean minutes, Gini."""
    nv = len(p.volunteers)
    if nv == 0:
        return {"load_max_share": 0.0, "load_mean_minutes": 0.0, "load_gini": 0.0}
    per = np.bincount(arc_v, weights=load, minlength=nv)
    den = np.fromiter((v.max_minutes or 0 for v in p.volunteers), np.float64, nv)
    ok = den > 0
    share = float(np.ceil(1000 * per[ok] / den[ok]).max()) if ok.any() else 0.0
    x = np.sort(per)
    gini = float((2 * np.arange(1, nv + 1) - nv - 1) @ x / (nv * x.sum())) if x.sum() > 0 else 0.0
    return {"load_max_share": share, "load_mean_minutes": float(per.mean()), "load_gini": gini}


#: Arc problems up to this size go to one CP-SAT model; larger ones to LNS (greedy start, CP-SAT parts).
FULL_MODEL_ARCS = 60_000
#: ... and at most this many arcs per second of the time left.
FULL_MODEL_ARCS_PER_SECOND = 4_000
#: ``reproducible`` on the search path: the search's budget as a share of the time limit (the
#: rest for compiling, the start and the answer; see :func:`vmatch.solvers.lns.solve_lns`).
REPRODUCIBLE_SEARCH_SHARE = 0.7


def _pins_hold(ap: ArcProblem, chosen: np.ndarray) -> bool:
    if not len(ap.pinned):
        return True
    per_row = np.bincount(ap.pinned.row_ids(), weights=chosen[ap.pinned.indices], minlength=len(ap.pinned))
    return bool(np.all(per_row == 1))


def _as_solution(ap: ArcProblem, chosen: np.ndarray, solver: str) -> ArcSolution:
    arcs = np.flatnonzero(chosen).astype(np.int64)
    jobs = np.unique(ap.arc_job[arcs]).astype(np.int64)
    values = tuple(lv.value(arcs, jobs) for lv in ap.levels)
    bounds = level_bounds(ap)
    return ArcSolution(SolveStatus.FEASIBLE, arcs, jobs, values, bounds, 0.0, solver)


def _bounded_first_level(ap: ArcProblem) -> bool:
    """True when the first level is a "max" level with non-negative arc coefficients only."""
    if not ap.levels:
        return False
    lv = ap.levels[0]
    return not (lv.sense != "max" or lv.has_share or lv.job_coef is not None or (lv.coef < 0).any())


def level_bounds(ap: ArcProblem, *, flow: bool = True) -> tuple[float, ...]:
    """Bounds valid for the full problem: the first level (if a max level with non-negative
    coefficients) bounded by each task's best occurrence filled to the head-count by its
    best arcs, and (with ``flow``) by a min-cost-flow relaxation
    (:func:`~vmatch.solvers.bound.flow_bound`: conflicts and workload relaxed to counts)
    and the Lagrangian bound at the flow's duals (:func:`~vmatch.solvers.lagrange.flow_prices`:
    each agent's own schedule solved exactly); other levels NaN."""
    out = [float("nan")] * len(ap.levels)
    if not _bounded_first_level(ap):
        return tuple(out)
    lv = ap.levels[0]
    order = np.lexsort((-lv.coef, ap.arc_job))
    jobs = ap.arc_job[order]
    starts = np.searchsorted(jobs, np.arange(ap.n_jobs))
    rank = np.arange(len(order)) - starts[jobs]
    top = rank < ap.job_max[jobs]
    job_val = np.bincount(jobs[top], weights=lv.coef[order][top], minlength=ap.n_jobs)
    n_arcs = np.bincount(ap.arc_job, minlength=ap.n_jobs)
    job_val[n_arcs < ap.job_min] = 0.0
    group_val = np.zeros(ap.n_groups)
    np.maximum.at(group_val, ap.job_group, job_val)
    out[0] = float(group_val.sum())
    if ap.n_arcs and flow:
        fb, prices, _ = flow_prices(ap, 0)
        out[0] = min(out[0], fb, lagrangian_bound(ap, prices, 0)[0])
    return tuple(out)


#: The LP bound (HiGHS) runs beside the search when its LP has at most this many non-zeros, and
#: at most ``LP_NONZEROS_PER_SECOND`` per second of the search (about 7 s for 2.8 million).
LP_MAX_NONZEROS = 4_000_000
LP_NONZEROS_PER_SECOND = 300_000
#: An LP this small runs whatever the search's time (HiGHS: 0.15-0.8 s for 90-460 k non-zeros),
#: with ``SMALL_LP_SECONDS`` at least: the small parts of a split province get 0.5-1.3 s each,
#: and there the LP's bound is 0-3 % below the min-cost flow's (416 of the 4,303 units of the
#: province's gap, over its 29 smallest parts).
SMALL_LP_NONZEROS = 500_000
SMALL_LP_SECONDS = 2.0
#: Otherwise the LPs of regions run in the background bound when it has at least this many seconds
#: left after the min-cost flow (the regions not solved in time keep the flow's prices). Parts of a
#: split province with 3-12 s had none at 5 s; at 1 s they get most of their regions (part bounds
#: 15,252 -> 15,179, 7,611 -> 7,583, 7,008 -> 6,979, ...).
REGION_MIN_SECONDS = 1.0
#: The search stops this share of its time before the background bound's deadline, and the bound
#: gets what is left (its last Lagrangian evaluations run after the deadline of its LPs).
BACKGROUND_MARGIN = 0.04


@dataclass
class LpRun:
    """An LP bound being computed in a thread beside the search: ``future`` gives
    ``(bound, LP arc values or None)``."""

    future: Future[tuple[float, npt.NDArray[np.float64] | None]]

    def guide(self) -> npt.NDArray[np.float64] | None:
        """The LP's arc values once known (None before), for :func:`~vmatch.solvers.lns.solve_lns`."""
        return self.future.result()[1] if self.future.done() else None

    def group_values(self, ap: ArcProblem) -> Callable[[], npt.NDArray[np.float64] | None]:
        """The LP's value of the first level per group once known (None before), for the search's
        ``group_lp``."""
        known: list[npt.NDArray[np.float64]] = []

        def values() -> npt.NDArray[np.float64] | None:
            if not known:
                x = self.guide()
                if x is None:
                    return None
                known.append(ap.group_values(np.arange(ap.n_arcs), x))
            return known[0]

        return values


def lp_fits(ap: ArcProblem, seconds: float) -> bool:
    """True when the whole LP relaxation is small enough to run beside a search of ``seconds``
    (or at most ``SMALL_LP_NONZEROS``, whatever the time)."""
    nnz = lp_nonzeros(ap)
    return nnz <= SMALL_LP_NONZEROS or nnz <= min(LP_MAX_NONZEROS, LP_NONZEROS_PER_SECOND * seconds)


def start_lp(ap: ArcProblem, seconds: float) -> LpRun | None:
    """The first level's LP relaxation started in a thread, when it fits ``seconds``; else None.
    A small LP (``SMALL_LP_NONZEROS``) gets ``SMALL_LP_SECONDS`` at least."""
    if not ap.levels or ap.levels[0].sense != "max" or not ap.n_arcs:
        return None  # tighten() only uses bounds of a "max" first level
    small = lp_nonzeros(ap) <= SMALL_LP_NONZEROS
    if small or (seconds >= 1.0 and lp_fits(ap, seconds)):
        return LpRun(lp_relaxation_later(ap, 0, time_limit=max(seconds - 0.5, SMALL_LP_SECONDS if small else 0.5)))
    return None


def background_bound(ap: ArcProblem, deadline: float) -> Background | None:
    """The first level's bound computed beside the search in a forked process (see
    :mod:`vmatch.solvers.background`), for problems whose whole LP is too big: first the
    min-cost flow and the Lagrangian bound at its duals, then, time permitting, the LPs of
    spatial regions (:func:`~vmatch.solvers.lp_regions.regional_lp_bound`) until ``deadline``
    (a :func:`time.perf_counter` time); when those LPs are expected to fit the time well, they
    come first and the flow only for the regions they leave unsolved (on a 10k x 5k city the
    flow's 3.6 s had left regions unsolved on a busy machine). Each region's LP values per group
    are sent as well (:meth:`~vmatch.solvers.background.Background.group_values`): the search
    starts parts where the LP does better than it. None when the first level does not qualify."""
    if not ap.n_arcs or not _bounded_first_level(ap):
        return None

    def work(send: Callable[[Message], None]) -> None:
        if "group_lat" in ap.meta and deadline - time.perf_counter() >= REGION_MIN_SECONDS:
            # the flow first unless the regions' LPs fit the time well (then the flow only for
            # regions left unsolved); each Lagrangian evaluation is sent as it ends: on a large
            # part the search's end came between the first (30,381) and the last, and the
            # flow's 30,397 was kept
            regional_lp_bound(
                ap,
                0,
                deadline=deadline,
                send=send,
                on_region=lambda g, v: send(("groups", ap.n_groups, g, v)),
            )
        else:
            fl = flow_prices(ap, 0)
            send(min(fl[0], lagrangian_bound(ap, fl[1], 0)[0]))

    return Background.start(work)


def tighten(ap: ArcProblem, sol: ArcSolution, b: float) -> ArcSolution:
    """``sol`` with its first-level bound tightened by ``b`` (a bound valid for the full problem,
    from an LP or the background bound), and OPTIMAL when met."""
    if not sol.bounds or ap.levels[0].sense != "max":
        return sol
    old = sol.bounds[0]
    if not math.isfinite(b) or (not math.isnan(old) and old <= b):
        return sol
    log.info("bound %.6g tightens %.6g", b, old)
    bounds = (b, *sol.bounds[1:])
    status = sol.status
    if len(ap.levels) == 1 and status == SolveStatus.FEASIBLE and abs(sol.values[0] - b) <= 1e-9 * max(1.0, abs(b)):
        status = SolveStatus.OPTIMAL
    return replace(sol, bounds=bounds, status=status)


#: Problems with at least this many volunteer x task combinations are first split into
#: independent regions (:mod:`vmatch.split`).
SPLIT_PAIRS = 100_000_000
#: Parts with fewer candidate pairs than this are packed together into one solve. (2 M was
#: tried on the 100k x 50k province: the bins got a few seconds each for 0.4-0.7 M arcs, too
#: little for an LP bound, and the whole gap did not move: 1.49 % against 1.46 %.)
SPLIT_PACK = 50_000
#: Compile seconds per candidate pair assumed for the first part of a split problem (measured
#: after that): about 10 s for the 4.4 million pairs of a 10k x 5k city on one core.
COMPILE_SECONDS_PER_PAIR = 2.5e-6
#: The parts of a split problem get this share of the time limit (the rest covers what they
#: overrun and joining their answers: the 100k x 50k province with 270 s ended its parts at
#: 255 s with 0.92, 15 s early).
PARTS_TIME_SHARE = 0.96
#: The parts of a split problem share the search time in proportion to their candidate pairs
#: to this power: a small part gains far more from a second of search than a large one (on the
#: 100k x 50k province, 12-35 units per second between 0.7 and 3 s for parts of 0.1-0.2 M arcs,
#: 1.5-3 units per second for the parts of 2.5 and 6 M arcs).
PART_TIME_EXPONENT = 0.6


def part_time(left: float, rate: float, size: float, left_size: float, weight: float, left_weight: float) -> float:
    """Time limit of the next part of a split problem: its compile time at ``rate`` seconds per
    candidate pair, plus its share ``weight / left_weight`` of the search time ``left`` leaves once
    every part still to come (``left_size`` pairs, this one's ``size`` included) is compiled; at
    least 0.5 s. The 0.95 undoes the 5 % a solve keeps back from its limit.

    >>> round(part_time(100.0, 0.0, 4.0, 5.0, 4.0 ** 0.6, 4.0 ** 0.6 + 1.0), 1)  # 4 : 1 pairs -> 2.3 : 1 time
    73.3
    """
    search_left = max(0.0, left - rate * left_size)
    return max(0.5, (rate * size + search_left * weight / left_weight) / 0.95)


def _solve_parts(
    problem: Problem,
    sized: list[Part],
    *,
    time_limit: float,
    seed: int,
    workers: int | None,
    objective: Objective | None,
    t0: float,
    reproducible: bool = False,
) -> Result:
    """Solve independent parts one by one and join the answers.

    Each part's time limit is its compile time (estimated from its candidate pairs at the
    rate measured on the parts solved so far, ``COMPILE_SECONDS_PER_PAIR`` before the
    first) plus its share of the search time left, shared by candidate pairs to the power
    ``PART_TIME_EXPONENT``; so the limit covers compilation, as for one problem. With
    ``reproducible`` the limits come from the sizes alone (the time given out so far, not the time
    passed; ``COMPILE_SECONDS_PER_PAIR`` throughout), so that they are the same on every run.
    """
    parts = [p.problem for p in sized]
    sizes = np.array([max(1, p.n_pairs) for p in sized], np.float64)
    order = np.argsort(-sizes, kind="stable")
    results: list[Result] = []
    weights = sizes**PART_TIME_EXPONENT
    left_size, left_weight = float(sizes.sum()), float(weights.sum())
    built_s, built_pairs, given = 0.0, 0.0, 0.0
    for k, i in enumerate(order.tolist()):
        rate = built_s / built_pairs if built_pairs > 0 and not reproducible else COMPILE_SECONDS_PER_PAIR
        left = PARTS_TIME_SHARE * time_limit - (given if reproducible else time.perf_counter() - t0)
        compile_est = rate * sizes[i]
        share = part_time(left, rate, sizes[i], left_size, weights[i], left_weight)
        left_size -= sizes[i]
        left_weight -= weights[i]
        given += share
        log.info(
            "part %d/%d: %d volunteers, %d tasks, %.1fs (compile about %.1fs)",
            k + 1,
            len(parts),
            len(parts[i].volunteers),
            len(parts[i].tasks),
            share,
            compile_est,
        )
        r = solve(
            parts[i],
            time_limit=share,
            seed=seed,
            workers=workers,
            objective=objective,
            split=False,
            pairs=sized[i].pairs,
            reproducible=reproducible,
        )
        sized[i] = sized[i]._replace(volunteer=sized[i].volunteer[:0], task=sized[i].task[:0])  # free them
        built_s += float(r.stats.get("build_seconds", 0.0))
        built_pairs += sizes[i]
        results.append(r)
    return join_results(problem, results, t0)


def join_results(problem: Problem, results: list[Result], t0: float) -> Result:
    """One Result for a problem from the Results of its independent parts."""
    statuses = {r.status for r in results}
    status = (
        Status.OPTIMAL
        if statuses == {Status.OPTIMAL}
        else Status.FEASIBLE
        if statuses <= {Status.OPTIMAL, Status.FEASIBLE}
        else Status.UNKNOWN
    )
    assignments = tuple(a for r in results for a in r.assignments)
    tb = Tables(problem)
    by_task: dict[str, list[int]] = {}
    for a in assignments:
        by_task.setdefault(a.task, []).append(problem.volunteer_index(a.volunteer))
    short = [i for i, t in enumerate(problem.tasks) if len(by_task.get(t.id, [])) < t.headcount]
    reasons = many_task_reasons(tb, short, {i: by_task.get(problem.tasks[i].id, []) for i in short})
    unassigned = {}
    for i in short:
        t = problem.tasks[i]
        unassigned[t.id] = Shortfall(t.id, t.headcount - len(by_task.get(t.id, [])), reasons[i])
    breakdown: dict[str, float] = {}
    for r in results:
        for k, v in r.breakdown.items():
            if not k.startswith("load_"):
                breakdown[k] = breakdown.get(k, 0.0) + v
    breakdown["tasks"] = float(len(problem.tasks))
    breakdown["places_asked"] = float(sum(t.headcount for t in problem.tasks))
    av = np.asarray([problem.volunteer_index(a.volunteer) for a in assignments], np.int64)
    load = np.asarray([problem.task(a.task).duration_minutes for a in assignments], np.int64)
    breakdown.update(load_spread(problem, av, load))
    levels = []
    for li, lv in enumerate(results[0].levels):
        vals = [r.levels[li].value for r in results]
        bnds = [r.levels[li].bound for r in results]
        if lv.name == "fairness":
            levels.append(LevelResult(lv.name, lv.sense, max(vals), max(bnds)))
        else:
            levels.append(LevelResult(lv.name, lv.sense, float(sum(vals)), float(sum(bnds))))
    terms_t: dict[str, dict[str, float]] = {}
    terms_v: dict[str, dict[str, float]] = {}
    for r in results:
        for src, dst in ((r.terms_by_task, terms_t), (r.terms_by_volunteer, terms_v)):
            for term, m in src.items():
                dst.setdefault(term, {}).update(m)
    stats = {
        "wall_seconds": time.perf_counter() - t0,
        "build_seconds": sum(float(r.stats.get("build_seconds", 0.0)) for r in results),
        "arcs": sum(int(r.stats.get("arcs", 0)) for r in results),
        "components": sum(int(r.stats.get("components", 0)) for r in results),
        "parts": len(results),
        "solver": "+".join(sorted({str(r.stats.get("solver")) for r in results})),
    }
    if any("reproducible" in r.stats for r in results):
        stats["reproducible"] = all(bool(r.stats.get("reproducible")) for r in results)
        if not stats["reproducible"]:
            _not_reproducible_warning("solve (a part of the split problem)")
    obj = levels[0].value if levels else math.nan
    bnd = levels[0].bound if levels else math.nan
    return Result(status, obj, bnd, assignments, unassigned, breakdown, tuple(levels), stats, terms_t, terms_v)


def conflict_names(c: Compiled, conflict: list[tuple[str, int]]) -> tuple[str, ...]:
    """Domain names of arc-level requests: ``pinned v->t``, ``min_headcount t (3)``, ``composition t: ...``."""
    p = c.problem
    ap = c.arcs
    out = []
    for kind, i in conflict:
        if kind == "pinned":
            vid, tid = p.pinned[i]
            out.append(f"pinned {vid}->{tid}")
        elif kind == "min_headcount":
            task = p.tasks[i]
            out.append(f"min_headcount {task.id} ({task.min_headcount})")
        else:
            job = ap.composition.owner[i]
            k = int(np.count_nonzero(ap.composition.owner[:i] == job))
            task = p.tasks[int(c.job_task[job])]
            r = task.requirements[k]
            out.append(f"composition {task.id}: {r.count} x {r.skill}>={r.level}")
    return tuple(out)


def reproducible_answer(sol: ArcSolution) -> bool:
    """True when ``sol`` does not depend on how the solver's threads ran: any solver but one
    CP-SAT model (the search with ``reproducible``, unless its wall-clock guard stopped it; the
    exact paths, the greedy start), or one model whose tie-break was proven."""
    if sol.stats.get("stopped_by_clock"):
        return False
    return sol.solver != "cpsat" or sol.stats.get("tie_break") == "OPTIMAL"


def _not_reproducible_warning(what: str) -> None:
    log.warning(
        "%s: reproducible was asked, but one CP-SAT model was not proven in the time limit (or the search was "
        "stopped by the clock on a slow machine), so this plan may differ between runs (give more time, or "
        "method='lns' / --method lns for a search in deterministic time)",
        what,
    )


def _tie_mode(reproducible: bool) -> str:
    """The CP-SAT tie-break for a proven answer: the chosen pairs' starts, or every arc
    (``reproducible``: which volunteers serve which tasks, too)."""
    return "all" if reproducible else "starts"


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    objective: Objective | None = None,
    method: str = "auto",
    split: bool = True,
    log_search: bool = False,
    pairs: Callable[[Tables], tuple[I64, I64]] | None = None,
    reproducible: bool = False,
) -> Result:
    """Assign volunteers to tasks: most priority-weighted places first, then least travel.

    Parameters
    ----------
    problem : Problem
        The dispatch problem.
    time_limit : float
        Wall-clock seconds for the whole call, compilation included (the search gets what is
        left, at least a fifth; explaining shortfalls comes on top).
    seed : int
        Random seed of the solver. When one CP-SAT model proves every level (status OPTIMAL),
        ties among the optimal plans go to the earliest starts of the chosen (volunteer, task)
        pairs, then to a fixed order drawn from ``seed``, so the start times do not depend on how
        the solver's threads ran (``stats["tie_break"]``, see
        :func:`~vmatch.solvers.cpsat.solve_cpsat`). Plans with other pairs of equal value on every
        level may still come back in turn; see ``reproducible``. An answer cut by the time limit
        (FEASIBLE), and the search of large problems, depend on how the threads ran.
    workers : int, optional
        Solver threads (default: up to 8).
    objective : Objective, optional
        Terms and their order or weights (default: coverage, then fairness, then travel).
    method : {"auto", "cpsat", "lns"}
        "cpsat": one CP-SAT model (proves optimality on small problems); "lns": greedy start
        and large-neighbourhood search with CP-SAT on parts (city scale); "auto": an exact
        fast path when the arc problem is one-to-one (assignment) or capacity-only
        (b-matching by min-cost flow) and every level is linear, else "cpsat" up to
        ``FULL_MODEL_ARCS`` arcs, else "lns".
    split : bool
        With "auto", first split a large problem (``SPLIT_PAIRS`` volunteer x task
        combinations or more) into independent regions (:mod:`vmatch.split`) and solve
        them one by one; the answer is the same, the memory far smaller.
    log_search : bool
        Print CP-SAT's search log (for profiling).
    pairs : callable, optional
        The candidate (volunteer, task) pairs when the caller knows them already (a part of a
        split problem): see :func:`~vmatch.compile.compile_problem`.
    reproducible : bool
        The same input and seed give the same plan on every run:

        * when one CP-SAT model proves every level, ties are broken over every arc too (which
          volunteers serve which tasks, and when), with the time left (the plan is then the same
          whatever ``workers``, when that tie-break is proven: ``stats["tie_break"]`` is
          "OPTIMAL"; one more solve, about 1-2 s where the levels took about 2.5 s on the
          bundled example);
        * the search of large problems (``method="lns"``, and the regions of a split problem)
          runs one part at a time on one worker and counts CP-SAT's deterministic time instead
          of seconds (:func:`~vmatch.solvers.lns.solve_lns`); its budget is
          ``REPRODUCIBLE_SEARCH_SHARE`` of ``time_limit``, so the wall time can run over the
          limit on a slow or busy machine, and the plan is usually a little worse than with
          two lanes. The reported bound may still vary (it comes from a process beside).

        A mid-sized problem that one CP-SAT model does not prove in the time limit is not
        reproducible (the threads race up to the limit): ``stats["reproducible"]`` says which
        happened, with a warning when it is False; ``method="lns"`` then gives a reproducible
        search instead.

    Returns
    -------
    Result
        Status, coverage with its bound and gap, assignments, shortfalls with reasons.

    Raises
    ------
    InfeasibleError
        When pinned pairs cannot all hold with the hard rules.
    """
    t0 = time.perf_counter()
    if method not in ("auto", "cpsat", "lns"):
        raise ModelError(f"solve: field 'method' must be 'auto', 'cpsat' or 'lns', got {method!r}")
    if split and method == "auto" and len(problem.volunteers) * len(problem.tasks) >= SPLIT_PAIRS:
        parts = split_parts(problem, pack=SPLIT_PACK)
        if len(parts) > 1:
            return _solve_parts(
                problem,
                parts,
                time_limit=time_limit,
                seed=seed,
                workers=workers,
                objective=objective,
                t0=t0,
                reproducible=reproducible,
            )
    c = compile_problem(problem, objective, pairs=pairs)
    n_comp, _ = components(c.arcs)
    log.info(
        "compiled %d arcs, %d jobs, %d cliques, %d components in %.2fs",
        c.arcs.n_arcs,
        c.arcs.n_jobs,
        len(c.arcs.cliques),
        n_comp,
        c.build_seconds,
    )
    ap = c.arcs

    # the limit covers the whole call: compilation and the greedy start come out of it
    def time_left() -> float:
        return max(0.2 * time_limit, time_limit - (time.perf_counter() - t0) - 0.05 * time_limit)

    kind = classify(ap) if method == "auto" else "general"
    # (reproducible: the path may not depend on how long compiling took)
    small = ap.n_arcs <= min(
        FULL_MODEL_ARCS, FULL_MODEL_ARCS_PER_SECOND * (time_limit if reproducible else time_left())
    )
    use_cpsat = method == "cpsat" or (method == "auto" and small)
    lns_path = kind not in ("one_to_one", "b_matching") and not use_cpsat
    # a bound too big for one LP starts in the background at once, beside the greedy start
    bg = None
    if lns_path and not lp_fits(ap, time_left()):
        bg = background_bound(ap, t0 + time_limit - 0.05 * time_limit - BACKGROUND_MARGIN * time_left())
    # the greedy start and the search share the arcs' preference order and row lists
    pref = scarcity_preference(ap) if lns_path else None
    rows = ArcRows.of(ap) if lns_path else None
    built = greedy(ap, pref=pref, rows=rows)
    start = built if _pins_hold(ap, built) else None
    left = time_left()
    if kind == "one_to_one":
        sol = solve_assignment(ap)
    elif kind == "b_matching":
        sol = solve_bmatching(ap)
    elif use_cpsat or start is None:
        hint = None if start is None else np.flatnonzero(start)
        sol = solve_cpsat(
            ap,
            time_limit=left,
            seed=seed,
            workers=workers,
            hint=hint,
            log_search=log_search,
            tie_break=_tie_mode(reproducible),
        )
        if sol.status == SolveStatus.UNKNOWN and start is not None:
            sol = _as_solution(ap, start, "greedy")
    else:
        lp = None if bg is not None else start_lp(ap, left)
        t_search = time.perf_counter()
        # the search's own bound is the cheap one when the background computes the flow
        # reproducible: a search budget fixed by the limit alone (see solve_lns)
        search = (
            REPRODUCIBLE_SEARCH_SHARE * time_limit if reproducible else left - (BACKGROUND_MARGIN * left if bg else 0.0)
        )
        sol = solve_lns(
            ap,
            time_limit=search,
            seed=seed,
            workers=workers,
            start=start,
            bound=lambda: level_bounds(ap, flow=bg is None),
            guide=None if lp is None else lp.guide,
            pref=pref,
            rows=rows,
            group_lp=bg.group_values if bg is not None else (lp.group_values(ap) if lp is not None else None),
            reproducible=reproducible,
        )
        if lp is not None:
            sol = tighten(ap, sol, lp.future.result()[0])
        elif bg is not None:
            # (reproducible: the search may end before its share of the limit; the bound waits)
            until = max(t_search + left, t0 + 0.95 * time_limit) if reproducible else t_search + left
            sol = tighten(ap, sol, bg.smallest(wait=until - time.perf_counter()))
    if bg is not None and sol.solver != "lns":
        bg.smallest(wait=0.0)  # not needed after all (no start): stop it
    if sol.status == SolveStatus.INFEASIBLE:
        names = conflict_names(c, find_conflict(c.arcs, time_limit=max(1.0, time_limit)))
        raise InfeasibleError("these requests cannot all hold together with the hard rules: " + "; ".join(names), names)
    res = decode(c, sol, extra_stats={"components": n_comp})
    stats = dict(res.stats)
    stats["wall_seconds"] = time.perf_counter() - t0
    if reproducible:
        stats["reproducible"] = reproducible_answer(sol)
        if not stats["reproducible"] and pairs is None:  # (a split's parts: said once, for the whole)
            _not_reproducible_warning("solve")
    return replace(res, stats=stats)
