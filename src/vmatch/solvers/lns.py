"""Large-neighbourhood search: improve a feasible solution by re-solving parts with CP-SAT.

Each step frees a neighbourhood of job groups (a seed group with unfilled places, the
agents who could serve it, and the other groups those agents compete for), fixes every
other chosen arc, and solves the restricted problem (:func:`~vmatch.solvers.subproblem.restrict`)
with CP-SAT, hinted with the current solution, on the levels folded into one weighted
objective whose weights keep the level order strict. A better answer (lexicographically)
replaces the current one. The neighbourhood grows when CP-SAT proves its parts optimal
quickly and shrinks when it does not.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1], arc_job=[0, 1, 1],
...                       levels=[Level("cov", [1.0, 1.0, 1.0])])
>>> sol = solve_lns(ap, time_limit=2, seed=0)
>>> sol.values
(2.0,)
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.geo import haversine_km
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.greedy import greedy, scarcity_preference
from vmatch.solvers.subproblem import ArcRows, Restrictor, Sub, _gather, unique_ints

__all__ = ["fold_weights", "lex_key", "solve_lns"]

log = logging.getLogger(__name__)
B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]

#: CP-SAT parameters for the small, hinted sub-problems (one worker each): light presolve, the full
#: linear relaxation (with one worker CP-SAT otherwise keeps only a weak one and rarely proves a part
#: optimal), and no hint-guided search phase (it spent seconds following the hint). On parts of a
#: 10k x 5k city, with 1 s each, it proved 10 of 12 parts optimal where the old settings proved 5.
LNS_PARAMS = {
    "cp_model_probing_level": 0,
    "symmetry_level": 0,
    "linearization_level": 2,
    "hint_conflict_limit": 0,
    "max_presolve_iterations": 1,
}
#: With an LP guide, every this many parts one is the LP's support mixed with the incumbent,
#: solved for at most ``LP_PART_SECONDS``.
LP_PART_EVERY = 6
LP_PART_SECONDS = 2.0
#: Every ``CHAIN_EVERY``-th part is an ejection chain (:func:`_chain`) when some group is short, every
#: ``BFS_EVERY``-th of the others follows agents and groups at random, the rest are cut by place and time.
CHAIN_EVERY = 2
BFS_EVERY = 5
#: Each job keeps in the parts its best ``max(SHORTLIST[0], SHORTLIST[1] * head-count)`` candidates
#: (scarcest first).
SHORTLIST = (8, 4)
#: Problems with at least this many arcs solve two parts side by side (see :func:`solve_lns`).
LANE_MIN_ARCS = 20_000
#: With the LP relaxation's value per group (``group_lp``), a part's seed is, this often, a group
#: whose LP value exceeds its current value by more than ``HOT_MARGIN`` (a "hot" group): on the
#: 10k x 5k city, 20 s of search from the greedy start reached 29,329 / 29,334 / 29,331 (seeds
#: 1-3) with the regions' LP values against 29,306 / 29,273 / 29,310 without. With the values
#: arriving region by region as in a solve, seeds 1-6: margin 0.5 29,320 on average, 0.1 29,329
#: (0.01: 29,331 over seeds 4-6; 1.0: 29,330 over 1-3); share 0.95: as 0.8.
HOT_SHARE = 0.8
HOT_MARGIN = 0.1
#: An ejection chain starts from this many hot groups at once (when there are so many; the least
#: visited): 20 s from the greedy start on the 10k x 5k city, seeds 1-6, 29,350 on average with 5
#: against 29,326 with 1 (3: 29,349 and 8: 29,348 on three seeds each).
HOT_CHAIN_SEEDS = 5
#: Seconds for each part (``sub_time``). With the parts' models built from index arrays (cheap),
#: shorter parts won: 30 s, solver seeds 0-2, the 10k x 5k city 29,357 / 29,349 / 29,356 at 0.3
#: against 29,334 / 29,341 / 29,336 at 0.6; the 20k x 5k menu 24,658 / 24,661 / 24,664 against
#: 24,642 / 24,644 / 24,639 (0.2: 24,634 / 24,665; 1.2: 24,662 / 24,643).
PART_SECONDS = 0.3
#: ``reproducible``: CP-SAT's deterministic time per second on the parts (a fixed rate, so that the
#: answer does not depend on the machine; measured on the 2,000 x 1,000 city's parts, 2 cores), and
#: the least deterministic time a part counts for (so that the search ends).
DETERMINISTIC_PER_SECOND = 0.15
MIN_PART_CHARGE = 0.002
#: ``reproducible``: the search stops anyway after this many times its budget in wall-clock
#: seconds, and says so (``stats["stopped_by_clock"]``: the plan may then differ between runs).
#: Runs with a 30-s limit took 22.9-34.4 s on one machine (2026-12-08), the search's budget being
#: 60-70 % of it; the guard is for a machine far slower than that, not for its usual spells.
REPRODUCIBLE_WALL = 2.0
#: Seconds between the search's progress lines (INFO on ``vmatch.solvers.lns``: time, parts,
#: improvements, the first level and its bound) in long runs.
PROGRESS_SECONDS = 15.0


def _cores(workers: int | None) -> int:
    """Threads to use in all: ``workers``, else the machine's cores (at most 8)."""
    return workers if workers else min(8, os.cpu_count() or 1)


def fold_weights(ap: ArcProblem) -> list[int]:
    """Integer weights that fold the levels into one sum with a strict level order."""
    weights = [1] * len(ap.levels)
    span = 1
    for k in range(len(ap.levels) - 1, -1, -1):
        weights[k] = span
        c = np.abs(ap.levels[k].int_coef())
        span *= int(c.sum()) + 1
    return weights


def lex_key(ap: ArcProblem, chosen: B) -> tuple[float, ...]:
    """Level values as a tuple to compare lexicographically (larger is better)."""
    return _key_of(ap, np.flatnonzero(chosen).astype(np.int64))


def _key_of(ap: ArcProblem, arcs: I64) -> tuple[float, ...]:
    """:func:`lex_key` of the solution made of ``arcs`` (chosen arc indices in increasing order), in
    time proportional to the number of jobs and chosen arcs, not of all arcs."""
    served = np.zeros(ap.n_jobs, bool)
    served[ap.arc_job[arcs]] = True
    jobs = np.flatnonzero(served)
    return tuple((lv.value(arcs, jobs) if lv.sense == "max" else -lv.value(arcs, jobs)) for lv in ap.levels)


def _levels_text(ap: ArcProblem, values: tuple[float, ...], signed: bool = True) -> str:
    """Level values as ``name value, ...`` (``signed``: as :func:`lex_key` gives them, minimised
    levels negated)."""
    return ", ".join(
        f"{lv.name} {(-v if signed and lv.sense != 'max' else v):.6g}" for lv, v in zip(ap.levels, values, strict=False)
    )


def _near(
    ap: ArcProblem,
    seed: int,
    rng: np.random.Generator,
    budget: int,
    group_arcs: npt.NDArray[np.int64],
    gs: npt.NDArray[np.int64],
    ge: npt.NDArray[np.int64],
) -> B:
    """Groups close to ``seed`` in time and space (from compile's meta), up to ``budget`` arcs."""
    lat, lon = ap.meta["group_lat"], ap.meta["group_lon"]
    km = haversine_km(lat[seed], lon[seed], lat, lon)
    gap_min = np.maximum(0, np.maximum(gs - ge[seed], gs[seed] - ge))
    score = gap_min / 60.0 + km / 2.0 + rng.random(len(km)) * 0.5
    order = np.argsort(score, kind="stable")
    take = order[np.cumsum(group_arcs[order]) <= budget]
    free = np.zeros(ap.n_groups, bool)
    free[take] = True
    free[seed] = True
    return free


def _neighbourhood(
    ap: ArcProblem,
    rng: np.random.Generator,
    size: int,
    agents_of_group: list[npt.NDArray[np.int64]],
    groups_of_agent: list[npt.NDArray[np.int64]],
    short: npt.NDArray[np.int64],
) -> B:
    use_short = len(short) > 0 and rng.random() < 0.8
    seed = int(rng.choice(short)) if use_short else int(rng.integers(ap.n_groups))
    free = np.zeros(ap.n_groups, bool)
    free[seed] = True
    frontier = [seed]
    count = 1
    while frontier and count < size:
        g = frontier.pop(0)
        ags = agents_of_group[g]
        if len(ags) > 12:
            ags = rng.choice(ags, 12, replace=False)
        for a in ags.tolist():
            nb = groups_of_agent[a]
            nb = nb[~free[nb]]
            if len(nb) > 6:
                nb = rng.choice(nb, 6, replace=False)
            free[nb] = True
            count += len(nb)
            frontier.extend(nb.tolist())
            if count >= size:
                break
    return free


def _chain(
    ap: ArcProblem,
    rng: np.random.Generator,
    g0: int,
    budget: int,
    arcs: I64,
    agents_of_group: list[npt.NDArray[np.int64]],
    group_arcs: npt.NDArray[np.int64],
    taken: B,
    more: list[int] | None = None,
) -> B:
    """An ejection chain around group ``g0``: the groups that its candidates now serve (wherever
    and whenever they are) in the solution made of the chosen ``arcs``, then the groups that
    *their* candidates serve, and so on, up to ``budget`` arcs.

    A short group whose few candidates (or the few holding a skill its composition needs) are
    busy elsewhere -- another day, another district -- can only be served when those other
    groups are freed with it, which a part cut by place and time rarely does.
    """
    held_agent = ap.arc_agent[arcs]
    held_group = ap.job_group[ap.arc_job[arcs]]
    o = np.argsort(held_agent, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(held_agent, minlength=ap.n_agents))])
    held_group = held_group[o]
    free = np.zeros(ap.n_groups, bool)
    frontier = [g0] + [g for g in (more or []) if g != g0]
    free[frontier] = True
    total = int(group_arcs[frontier].sum())
    while frontier and total < budget:
        g = frontier.pop(0)
        ags = rng.permutation(agents_of_group[g])
        for a in ags.tolist():
            for h in held_group[ptr[a] : ptr[a + 1]].tolist():
                if not free[h] and not taken[h]:
                    free[h] = True
                    total += int(group_arcs[h])
                    frontier.append(h)
            if total >= budget:
                break
    return free


def _least_visited(groups: npt.NDArray[np.int64], visits: npt.NDArray[np.int64], rng: np.random.Generator) -> int:
    """One of ``groups`` (not empty) freed in the fewest parts so far, at random among those."""
    v = visits[groups]
    return int(rng.choice(groups[v == v.min()]))


def _pick_seed(
    seeds: I64,
    visits: I64,
    rng: np.random.Generator,
    lp_value: npt.NDArray[np.float64] | None,
    g_value: npt.NDArray[np.float64],
) -> int:
    """A seed among ``seeds`` (not empty): ``HOT_SHARE`` of the time one whose LP value (NaN:
    not known) exceeds its current value ``g_value`` by more than ``HOT_MARGIN``, when there is
    one; otherwise, or else, the least visited."""
    if lp_value is not None and rng.random() < HOT_SHARE:
        hot = _hot(seeds, lp_value, g_value)
        if len(hot):
            return _least_visited(hot, visits, rng)
    return _least_visited(seeds, visits, rng)


def _hot(groups: I64, lp_value: npt.NDArray[np.float64], g_value: npt.NDArray[np.float64]) -> I64:
    """The ``groups`` whose LP value (NaN: not known) exceeds their current one by more than ``HOT_MARGIN``."""
    with np.errstate(invalid="ignore"):
        return groups[lp_value[groups] > g_value[groups] + HOT_MARGIN]


def solve_lns(
    ap: ArcProblem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    start: B | None = None,
    bound: Callable[[], tuple[float, ...]] | None = None,
    sub_time: float = PART_SECONDS,
    first_share: float = 0.6,
    lanes: int | None = None,
    guide: Callable[[], npt.NDArray[np.float64] | None] | None = None,
    pref: npt.NDArray[np.float64] | None = None,
    rows: ArcRows | None = None,
    group_lp: Callable[[], npt.NDArray[np.float64] | None] | None = None,
    bound_now: Callable[[], float | None] | None = None,
    reproducible: bool = False,
) -> ArcSolution:
    """Greedy start, then CP-SAT neighbourhoods until ``time_limit`` seconds have passed.

    ``bound`` returns per-level bounds valid for the full problem (only the first is
    required; the others may be NaN); without it the bounds are NaN. It is computed while
    the first parts are solved.

    ``lanes`` parts are solved side by side in threads (CP-SAT releases the GIL), each on
    its own groups, with the cores shared between them; a part's answer is merged when it
    still fits the current solution (:meth:`Restrictor.try_move`). Default: 2 when there
    are 2 cores or more and at least ``LANE_MIN_ARCS`` arcs, else 1.

    ``pref`` (:func:`~vmatch.solvers.greedy.scarcity_preference`) and ``rows``
    (:class:`~vmatch.solvers.subproblem.ArcRows`) may be given when the caller has them (the
    greedy start needs them too).

    ``guide`` returns the LP relaxation's arc values once they are known (None before). From
    then on, every ``LP_PART_EVERY``-th part frees every group but allows only the arcs in
    the LP's support or the current solution: the LP's choices and the incumbent's, mixed.

    ``group_lp`` returns the LP relaxation's value of the first level per group as far as it
    is known (NaN elsewhere; None when nothing is known yet), for instance from the regions'
    LPs of a bound computed beside the search: parts then start from groups where the LP does
    better than the current solution (``HOT_SHARE``, ``HOT_MARGIN``).

    ``bound_now`` returns the best bound on the first level known so far without waiting (None
    when none yet), for instance from a bound computed beside the search; the progress lines
    (every ``PROGRESS_SECONDS``) report the smaller of it and ``bound``'s.

    ``reproducible``: the same answer on every run with the same ``seed``, whatever the load: one
    lane, each part solved by one CP-SAT worker under a deterministic-time limit
    (``solve_cpsat(deterministic=True)``), and ``time_limit`` counted in CP-SAT's deterministic
    time spent by the parts (``MIN_PART_CHARGE`` at least each) instead of seconds; ``guide``,
    ``group_lp`` and ``bound_now``, which arrive when another process or thread is done, are not
    used. The wall time then depends on the machine (about ``time_limit`` plus the Python work
    between parts); on a machine so slow that it passes ``REPRODUCIBLE_WALL`` times
    ``time_limit``, the search stops there and says so (``stats["stopped_by_clock"]``).
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    spent = 0.0  # reproducible: the parts' deterministic time so far

    def clock() -> float:
        """Time used: deterministic (reproducible) or wall-clock seconds."""
        return spent / DETERMINISTIC_PER_SECOND if reproducible else time.perf_counter() - t0

    wall_cap = REPRODUCIBLE_WALL * time_limit if reproducible else math.inf

    def go_on() -> bool:
        """Time left for another part (reproducible: also within the wall-clock guard)."""
        return clock() < time_limit - 0.05 and time.perf_counter() - t0 < wall_cap

    if reproducible:
        guide = group_lp = bound_now = None
    pref = scarcity_preference(ap) if pref is None else pref
    rows = ArcRows.of(ap) if rows is None else rows
    chosen = greedy(ap, pref=pref, rows=rows) if start is None else start.copy()
    key = lex_key(ap, chosen)
    log.info("lns: start %s after %.1fs", _levels_text(ap, key), time.perf_counter() - t0)
    if ap.n_arcs == 0:
        return ArcSolution(
            SolveStatus.OPTIMAL,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            tuple(0.0 for _ in ap.levels),
            tuple(0.0 for _ in ap.levels),
            0.0,
            "lns",
        )
    rx = Restrictor(ap, chosen, rows)
    arc_group = ap.job_group[ap.arc_job]
    pair = unique_ints(arc_group * ap.n_agents + ap.arc_agent)
    pg, pa = pair // ap.n_agents, pair % ap.n_agents
    agents_of_group = np.split(pa, np.cumsum(np.bincount(pg, minlength=ap.n_groups))[:-1])
    o = np.argsort(pa, kind="stable")
    ag_ptr = np.concatenate([[0], np.cumsum(np.bincount(pa, minlength=ap.n_agents))]).astype(np.int64)
    ag_groups = pg[o]  # the groups of agent a: ag_groups[ag_ptr[a]:ag_ptr[a + 1]]
    groups_of_agent = np.split(ag_groups, ag_ptr[1:-1])
    # each job keeps its best few candidates (scarcity order) in the parts: smaller models, more groups
    order = np.lexsort((pref, ap.arc_job))
    first_of_job = np.searchsorted(ap.arc_job[order], np.arange(ap.n_jobs))
    rank = np.empty(ap.n_arcs, np.int64)
    rank[order] = np.arange(ap.n_arcs) - first_of_job[ap.arc_job[order]]
    shortlist = rank < np.maximum(SHORTLIST[0], SHORTLIST[1] * ap.job_max[ap.arc_job])
    if len(ap.composition):  # and each composition row its best few (a team's first-aider may not be scarce)
        r, a = ap.composition.row_ids(), ap.composition.indices
        o2 = np.lexsort((pref[a], r))
        r, a = r[o2], a[o2]
        r_rank = np.arange(len(r)) - np.searchsorted(r, r)
        shortlist[a[r_rank < np.maximum(4, 2 * ap.composition.rhs[r])]] = True
    group_arcs = np.bincount(arc_group, weights=shortlist, minlength=ap.n_groups).astype(np.int64)
    spatial = "group_lat" in ap.meta and "job_start" in ap.meta
    if spatial:
        gs = np.full(ap.n_groups, np.iinfo(np.int64).max)
        ge = np.zeros(ap.n_groups, np.int64)
        np.minimum.at(gs, ap.job_group, ap.meta["job_start"])
        np.maximum.at(ge, ap.job_group, ap.meta["job_end"])
    size, budget, chain_budget, steps, better, collided, lp_parts = 40, 6000, 3000, 0, 0, 0, 0
    n_lanes = lanes if lanes is not None else (2 if _cores(workers) >= 2 and ap.n_arcs >= LANE_MIN_ARCS else 1)
    lane_workers = workers if n_lanes == 1 else max(1, _cores(workers) // n_lanes)
    if reproducible:
        n_lanes, lane_workers = 1, 1
    busy = np.zeros(ap.n_groups, bool)  # groups freed in a part being solved
    busy_agent = np.zeros(ap.n_agents, bool)  # agents with arcs in a part being solved
    inflight: dict[Future[ArcSolution], tuple[str, B, Sub]] = {}
    support: B | None = None  # arcs the LP relaxation uses
    lp_due = False
    bounds: tuple[float, ...] | None = None
    full_job = np.minimum(ap.job_max, np.bincount(ap.arc_job, minlength=ap.n_jobs))  # places a job can fill
    # the current solution: ``chosen`` (a mask), ``rx.arcs`` (its arcs, increasing), ``filled`` (arcs
    # per job); the per-step work below is in the chosen arcs, jobs and groups, never a pass over every arc
    filled = np.bincount(ap.arc_job[rx.arcs], minlength=ap.n_jobs)
    g_value = ap.group_values(rx.arcs)  # the first level per group, in the current solution
    visits = np.zeros(ap.n_groups, np.int64)  # parts each group has been freed in: seeds go where fewest were
    lp_value: npt.NDArray[np.float64] | None = None

    def pick(seeds: I64) -> int:
        return _pick_seed(seeds, visits, rng, lp_value, g_value)

    report = t0 + PROGRESS_SECONDS

    def progress() -> None:
        lv = ap.levels[0]
        value = key[0] if lv.sense == "max" else -key[0]
        b = bounds[0] if bounds else math.nan
        now = bound_now() if bound_now is not None else None
        if now is not None and not b <= now:  # (a NaN bound gives way too)
            b = now
        gap = f", gap {abs(b - value) / max(abs(b), 1e-9):.2%}" if math.isfinite(b) else ""
        log.info(
            "lns: %.0fs, %d parts, %d better: %s %.6g (bound %.6g%s)",
            time.perf_counter() - t0,
            steps,
            better,
            lv.name,
            value,
            b,
            gap,
        )

    with ThreadPoolExecutor(max_workers=n_lanes) as pool:
        while True:
            # keep every lane busy with a part whose groups no other lane holds
            while len(inflight) < n_lanes and go_on():
                steps += 1
                # a part leaves out the groups another lane holds, and starts from a group that no
                # agent of another lane could serve (so that parts side by side rarely collide)
                taken = busy
                if inflight:
                    taken = busy.copy()
                    taken[_gather(ag_ptr, ag_groups, np.flatnonzero(busy_agent))[1]] = True
                short_group = np.zeros(ap.n_groups, bool)
                short_group[ap.job_group[filled < full_job]] = True
                short = np.flatnonzero(short_group & ~taken)
                if group_lp is not None:
                    lp_value = group_lp()
                if guide is not None and (support is None or steps % LP_PART_EVERY == 0):
                    x = guide()  # it may grow while the search runs (LPs of regions)
                    if x is not None:
                        lp_due |= support is None
                        support = x > 1e-6
                kind = (
                    "chain"
                    if len(short) and steps % CHAIN_EVERY == 1
                    else "near"
                    if spatial and steps % BFS_EVERY != 0
                    else "bfs"
                )
                if support is not None and (lp_due or steps % LP_PART_EVERY == 0):
                    if inflight:  # it runs alone, on every group, with every worker
                        lp_due = True
                        steps -= 1
                        break
                    kind, lp_due = "lp", False
                    lp_parts += 1
                allowed = shortlist
                if kind == "lp":
                    assert support is not None
                    free = ~taken
                    allowed = support | chosen
                elif kind == "near":
                    use_short = len(short) > 0 and rng.random() < 0.8
                    seeds = short if use_short else np.flatnonzero(~taken)
                    g0 = pick(seeds) if len(seeds) else int(rng.integers(ap.n_groups))
                    free = _near(ap, g0, rng, budget, group_arcs, gs, ge)
                elif kind == "chain":
                    g0 = pick(short)
                    more: list[int] = []
                    if lp_value is not None and HOT_CHAIN_SEEDS > 1:
                        hot = _hot(short, lp_value, g_value)
                        hot = hot[hot != g0]
                        if len(hot):
                            hot = hot[np.lexsort((rng.random(len(hot)), visits[hot]))]
                            more = hot[: HOT_CHAIN_SEEDS - 1].tolist()
                    free = _chain(ap, rng, g0, chain_budget, rx.arcs, agents_of_group, group_arcs, taken, more)
                    allowed = shortlist.copy()  # and every candidate of the groups it is for
                    allowed[rx.arcs_of(np.array([g0, *more], np.int64))] = True
                else:
                    free = _neighbourhood(ap, rng, size, agents_of_group, groups_of_agent, short)
                free &= ~busy
                if not free.any():
                    break
                sub = rx.restrict(free, allowed=allowed)
                hint = np.flatnonzero(chosen[sub.arcs])
                left = time_limit - clock()
                # first phase: the first level only (bigger parts, faster); then every level
                first_phase = clock() < first_share * time_limit
                sp = replace(sub.problem, levels=sub.problem.levels[:1]) if first_phase else sub.problem
                limit = min(LP_PART_SECONDS if kind == "lp" else sub_time, left)
                fut = pool.submit(
                    solve_cpsat,
                    sp,
                    time_limit=max(0.05, limit) * (DETERMINISTIC_PER_SECOND if reproducible else 1.0),
                    seed=int(rng.integers(1 << 30)),
                    workers=workers if kind == "lp" else lane_workers,
                    hint=hint,
                    params=LNS_PARAMS,
                    quiet=True,  # the parts' levels: DEBUG; the search reports its progress itself
                    deterministic=reproducible,
                )
                inflight[fut] = (kind, free, sub)
                visits[free] += 1
                busy |= free
                busy_agent[ap.arc_agent[sub.arcs]] = True
            if bounds is None:  # computed while the first parts are being solved
                bounds = bound() if bound is not None else tuple(float("nan") for _ in ap.levels)
            if not inflight:
                if go_on():
                    spent += MIN_PART_CHARGE  # (reproducible: no part this round still counts)
                    continue
                break
            if time.perf_counter() >= report:
                progress()
                report = time.perf_counter() + PROGRESS_SECONDS
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, free, sub = inflight.pop(fut)
                busy &= ~free
                busy_agent[ap.arc_agent[sub.arcs]] = False
                sol = fut.result()
                spent += max(MIN_PART_CHARGE, float(sol.stats.get("deterministic_time", 0.0)))  # (reproducible)
                if sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
                    # the current solution with the freed groups' arcs replaced by the part's answer
                    new = sub.arcs[sol.arcs]
                    kept = rx.arcs[~free[arc_group[rx.arcs]]]
                    k2 = _key_of(ap, np.sort(np.concatenate([kept, new])))
                    log.debug(
                        "lns step %d (%s): %d groups, %d arcs, %s, %s -> %s",
                        steps,
                        kind,
                        int(free.sum()),
                        sub.problem.n_arcs,
                        sol.stats.get("level_status"),
                        key[:1],
                        k2[:1],
                    )
                    if k2 > key:
                        touched = rx.group_arcs(free)
                        cand = chosen.copy()
                        cand[touched] = False
                        cand[new] = True
                        if rx.try_move(cand, touched):
                            chosen, key = cand, k2
                            filled = np.bincount(ap.arc_job[rx.arcs], minlength=ap.n_jobs)
                            g_value = ap.group_values(rx.arcs)
                            better += 1
                        else:
                            collided += 1
                grow = sol.status == SolveStatus.OPTIMAL
                if kind == "near":
                    budget = int(min(budget * 1.2, 50000)) if grow else max(200, int(budget * 0.8))
                elif kind == "bfs":
                    size = int(min(size * 1.25, 2000)) if grow else max(10, int(size * 0.8))
                elif kind == "chain":
                    chain_budget = int(min(chain_budget * 1.2, 50000)) if grow else max(200, int(chain_budget * 0.8))
    if bounds is None:
        bounds = bound() if bound is not None else tuple(float("nan") for _ in ap.levels)
    arcs = np.flatnonzero(chosen).astype(np.int64)
    jobs = unique_ints(ap.arc_job[arcs])
    values = tuple(lv.value(arcs, jobs) for lv in ap.levels)
    log.info(
        "lns: %d steps, %d improvements (%d more collided with another lane's), final %s",
        steps,
        better,
        collided,
        _levels_text(ap, values, signed=False),
    )
    proven = all(abs(v - b) <= 1e-9 * max(1.0, abs(b)) for v, b in zip(values[:1], bounds[:1], strict=True))
    status = SolveStatus.OPTIMAL if proven and len(ap.levels) == 1 else SolveStatus.FEASIBLE
    stats: dict[str, Any] = {
        "lns_steps": steps,
        "lns_improvements": better,
        "lns_collisions": collided,
        "lns_lp_parts": lp_parts,
    }
    if reproducible and clock() < time_limit - 0.05:  # the wall-clock guard ended it
        # (INFO: the callers warn, through vmatch.solve.reproducible_answer)
        log.info("lns: reproducible search stopped by the clock after %.1fs (slow machine)", time.perf_counter() - t0)
        stats["stopped_by_clock"] = True
    return ArcSolution(
        status,
        arcs,
        jobs,
        values,
        tuple(bounds),
        time.perf_counter() - t0,
        "lns",
        stats,
    )
