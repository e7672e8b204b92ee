"""A bound from the LP relaxations of spatial regions, for problems whose whole LP is too big.

Cut the tasks into regions (recursive median bisection of the task sites, balanced by arcs)
and give every region every arc of its tasks. A volunteer who can reach several regions then
appears in each of them: the regions together are a relaxation of the whole problem (any
solution, cut into its regions, is feasible in each), so the sum of the regions' bounds is a
bound on the whole. Each region's bound is its LP relaxation (HiGHS dual simplex without
presolve, which is three times faster on these LPs) with the travel rows left out (they
barely move the LP: 5,757 against 5,756 on a 2k x 1k city, and halve its size), or, for a
region whose LP does not finish before the deadline, each of its tasks' best occurrence
filled by its best arcs.

The sum counts a volunteer's capacity once per region. The **Lagrangian bound** of the whole
problem (:func:`vmatch.solvers.lagrange.lagrangian_bound`) does not: it prices each region's
job rows with that region's LP duals, the regions not solved yet with the min-cost flow's
duals (:func:`vmatch.solvers.lagrange.flow_prices`), and solves every volunteer's own
schedule over all its arcs at once. Any prices give a valid bound, so the regions solved
before the deadline improve it and the others cost nothing. On a 10k x 5k city, all 15
regions take 9.5-13 s on one core; the sum is 29,517, the Lagrangian bound 29,471, the
min-cost-flow bound 29,617. When the regions fit the time well they come first and the flow
only for regions they leave unsolved; each region's LP values per group can be passed on as
they are known (``on_region``), to start the search's parts where the LP does better.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=1, n_jobs=2, arc_agent=[0, 0], arc_job=[0, 1],
...                       levels=[Level("coverage", [1.0, 1.0])],
...                       meta={"group_lat": np.array([30.0, 30.5]), "group_lon": np.array([114.0, 114.5])})
>>> regional_lp_bound(ap, n_regions=2)
2.0
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem
from vmatch.solvers.lagrange import Prices, flow_prices, lagrangian_bound, lp_prices
from vmatch.solvers.lp import lp_nonzeros
from vmatch.solvers.subproblem import Restrictor, _gather

__all__ = ["ceiling_prices", "group_bounds", "region_labels", "regional_lp_bound", "without_travel_rows"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Entries of clique rows looked at at once.
_CHUNK = 1 << 21
#: The regions' agent-side prices are tried at these weights (any weight gives a valid bound;
#: in a whole city the lowest, 0, is usually best, with few regions solved a larger one).
ALPHAS = (0.0, 0.5, 1.0)
#: Target LP size of a region (about 1.5 s of HiGHS dual simplex each).
REGION_NONZEROS = 1_000_000
#: LP non-zeros the regions' LPs get through per second, for planning (a 10k x 5k city: 14.4
#: million in 9.5-10 s on one core alone, 13 s beside a search).
REGION_NONZEROS_PER_SECOND = 1_200_000
#: When the regions' LPs are expected to take at most this share of the time to the deadline,
#: they come first and the min-cost flow (3.6 s on that city) only after them, for the regions
#: left unsolved; otherwise the flow comes first, as a safety net.
REGIONS_FIRST_SHARE = 0.8
#: Seconds of the min-cost flow's prices per arc, for planning (3.6 s for the city's 1.47 M arcs):
#: when the regions left would not be done by the deadline at the rate of those solved, the flow
#: is computed while there is time for it (the regions it leaves unsolved take its prices, not
#: the ceiling's).
FLOW_SECONDS_PER_ARC = 2.5e-6


def without_travel_rows(ap: ArcProblem) -> ArcProblem:
    """``ap`` without the clique rows whose arcs do not all run at one moment (the travel rows).

    A relaxation (rows are only dropped). Needs ``job_start``/``job_end`` in ``ap.meta``;
    without them ``ap`` is returned as it is.
    """
    js, je = ap.meta.get("job_start"), ap.meta.get("job_end")
    rows = ap.cliques
    if js is None or je is None or len(js) != ap.n_jobs or not len(rows.indices):
        return ap
    arc_s = np.asarray(js, np.int64)[ap.arc_job]
    arc_e = np.asarray(je, np.int64)[ap.arc_job]
    ptr = rows.indptr
    keep = np.zeros(len(rows), bool)
    r0 = 0
    while r0 < len(rows):  # in chunks of rows: a city has tens of millions of entries
        r1 = min(len(rows), max(r0 + 1, int(np.searchsorted(ptr, ptr[r0] + _CHUNK, side="right")) - 1))
        seg = rows.indices[ptr[r0] : ptr[r1]]
        full = np.diff(ptr[r0 : r1 + 1]) > 0
        if len(seg):
            starts = (ptr[r0:r1] - ptr[r0])[full]
            keep[r0:r1][full] = np.maximum.reduceat(arc_s[seg], starts) < np.minimum.reduceat(arc_e[seg], starts)
        r0 = r1
    return replace(ap, cliques=rows.select(keep))


def group_bounds(ap: ArcProblem, level: int = 0) -> F64:
    """Per group: its best job filled to the head-count by its best arcs (0 when no job can be served)."""
    lv = ap.levels[level]
    order = np.lexsort((-lv.coef, ap.arc_job))
    jobs = ap.arc_job[order]
    first = np.searchsorted(jobs, np.arange(ap.n_jobs))
    rank = np.arange(len(order)) - first[jobs]
    top = rank < ap.job_max[jobs]
    job_val = np.bincount(jobs[top], weights=np.maximum(lv.coef[order][top], 0.0), minlength=ap.n_jobs)
    job_val[np.bincount(ap.arc_job, minlength=ap.n_jobs) < ap.job_min] = 0.0
    out = np.zeros(ap.n_groups)
    np.maximum.at(out, ap.job_group, job_val)
    return out


def ceiling_prices(ap: ArcProblem, level: int = 0) -> Prices:
    """Each job's places priced at its best arc's weight, nothing else priced: no arc is then worth
    taking and the Lagrangian bound is each group's best job at ``max`` places of its best weight
    (a valid but weak bound, for regions whose LP was not solved when no flow prices are known)."""
    pr = Prices.zero(ap)
    best = np.zeros(ap.n_jobs)
    np.maximum.at(best, ap.arc_job, np.maximum(np.asarray(ap.levels[level].coef, np.float64), 0.0))
    return replace(pr, head=best)


def region_labels(lat: F64, lon: F64, weight: F64, k: int) -> I64:
    """Labels 0..k-1 of points, by recursive median bisection (alternating axes), balanced by weight."""
    lab = np.zeros(len(lat), np.int64)
    todo = [(np.arange(len(lat)), k, 0)]
    nxt = 0
    while todo:
        idx, parts, depth = todo.pop()
        if parts <= 1 or len(idx) <= 1:
            lab[idx] = nxt
            nxt += 1
            continue
        key = (lat if depth % 2 else lon)[idx]
        o = idx[np.argsort(key, kind="stable")]
        left = parts // 2
        cw = np.cumsum(weight[o])
        cut = int(np.searchsorted(cw, cw[-1] * left / parts)) + 1
        cut = min(max(cut, 1), len(o) - 1)
        todo.append((o[cut:], parts - left, depth + 1))
        todo.append((o[:cut], left, depth + 1))
    return lab


def regional_lp_bound(
    ap: ArcProblem,
    level: int = 0,
    *,
    deadline: float | None = None,
    n_regions: int | None = None,
    x: F64 | None = None,
    flow: tuple[float, Prices, F64] | None = None,
    send: Callable[[float], None] | None = None,
    regions_first: bool | None = None,
    on_region: Callable[[I64, F64], None] | None = None,
) -> float:
    """Upper bound on a "max" level (non-negative coefficients, no per-job or max-share part).

    The smallest of the regions' sum and the Lagrangian bound of the whole problem at the
    regions' LP duals (the min-cost flow's duals where a region is not solved; see the module
    docstring). ``deadline`` (a :func:`time.perf_counter` time) stops the LPs: the regions left
    get their tasks' bounds in the sum. ``n_regions`` defaults to one per ``REGION_NONZEROS``
    LP non-zeros. Needs ``group_lat``/``group_lon`` in ``ap.meta``; ``inf`` when the level
    does not qualify. ``x`` (one entry per arc), when given, receives each solved region's LP
    solution as soon as it is known. ``flow``, when given, is :func:`~vmatch.solvers.lagrange.flow_prices`
    of ``ap`` already computed (it is not changed). ``send``, when given, receives the bound as
    it stands after each Lagrangian evaluation (the last is the value returned): a caller that
    must stop waiting keeps the evaluations done by then.

    Without ``flow``, the flow's prices are computed here: before the regions' LPs (and its
    Lagrangian bound sent at once), or, when ``regions_first`` (default: when the LPs are
    expected to take at most ``REGIONS_FIRST_SHARE`` of the time to ``deadline``), only after
    them and only if a region was left unsolved (its jobs then take the flow's prices, or
    :func:`ceiling_prices` when the deadline has passed); the flow comes in the middle when the
    regions fall behind (at the rate of those solved, the rest would not be done by the
    deadline) and there is still time for it (``FLOW_SECONDS_PER_ARC``).

    ``on_region``, when given, receives after each region's LP its groups and their values in
    that LP (the level's coefficients times the LP's arc values, summed per group).
    """
    t0 = time.perf_counter()
    lv = ap.levels[level]
    if (
        lv.sense != "max"
        or lv.has_share
        or lv.job_coef is not None
        or np.any(lv.coef < 0)
        or "group_lat" not in ap.meta
        or "group_lon" not in ap.meta
    ):
        return math.inf
    if ap.n_arcs == 0:
        return 0.0
    one = replace(ap, levels=(lv,))
    base = without_travel_rows(one)
    k = n_regions or max(1, math.ceil(lp_nonzeros(base) / REGION_NONZEROS))
    weight = np.bincount(ap.job_group[ap.arc_job], minlength=ap.n_groups).astype(np.float64)
    lab = region_labels(
        np.asarray(ap.meta["group_lat"], np.float64), np.asarray(ap.meta["group_lon"], np.float64), weight, k
    )
    per_group = group_bounds(base)
    if send is not None:  # each task's best occurrence filled by its best arcs: weak, but at once
        send(float(per_group.sum()))
    if regions_first is None:
        est = lp_nonzeros(base) / REGION_NONZEROS_PER_SECOND
        room = math.inf if deadline is None else deadline - time.perf_counter()
        regions_first = flow is None and est <= REGIONS_FIRST_SHARE * room
    if flow is None and not regions_first:
        flow = flow_prices(one)
        if send is not None:
            send(min(flow[0], lagrangian_bound(one, flow[1])[0]))
    # the regions' LP prices, written over the prices of the jobs (arcs, rows) they solve
    pr = Prices.zero(ap)
    lp_pen = np.zeros(ap.n_arcs)
    lp_const = 0.0
    done = np.zeros(ap.n_groups, bool)
    rx = Restrictor(base, np.zeros(ap.n_arcs, bool))
    total, solved = 0.0, 0
    region_arcs = np.bincount(lab, weights=weight, minlength=k)
    t_lp, arcs_done = time.perf_counter(), 0.0
    for r in range(k):
        mine = lab == r
        fallback = float(per_group[mine].sum())
        if flow is None and deadline is not None and arcs_done > 0:
            # falling behind the plan: the flow now, while there is time, for the regions left
            rate = (time.perf_counter() - t_lp) / arcs_done
            room = deadline - time.perf_counter()
            if rate * float(region_arcs[r:].sum()) > room and FLOW_SECONDS_PER_ARC * ap.n_arcs < room:
                log.info("regions behind their plan at region %d of %d: the flow's prices now", r, k)
                flow = flow_prices(one)
                if send is not None:
                    send(min(flow[0], float(per_group.sum())))
        left = math.inf if deadline is None else deadline - time.perf_counter()
        got = None
        if left > 0.2:
            sub = rx.restrict(mine)
            got = lp_prices(sub.problem, 0, time_limit=min(left, 1e6))
        if got is None:
            total += fallback
            continue
        b, xr, sp_ = got
        solved += 1
        arcs_done += float(region_arcs[r])
        done[mine] = True
        total += min(b, fallback)
        if x is not None:
            x[sub.arcs] = xr
        if on_region is not None:
            gr = np.flatnonzero(mine).astype(np.int64)
            on_region(gr, one.group_values(sub.arcs, xr)[gr])
        pr.head[sub.jobs] = sp_.head
        pr.minimum[sub.jobs] = sp_.minimum
        pr.xy[sub.arcs] = sp_.xy
        pr.composition[np.flatnonzero(np.isin(ap.composition.owner, sub.jobs))] = sp_.composition
        pr.pinned[np.sort(_gather(rx.pin_ptr, rx.pin_rows, np.flatnonzero(mine))[1])] = sp_.pinned
        if sp_.arc_penalty is not None:
            lp_pen[sub.arcs] = sp_.arc_penalty
        lp_const += sp_.penalty_const
    # the jobs of regions not solved: the flow's prices (computed now if need be), else the ceiling's
    fb = math.inf if flow is None else flow[0]
    g_const = np.zeros(ap.n_groups)
    pen = np.zeros(ap.n_arcs)
    if solved < k:
        if flow is None and (deadline is None or time.perf_counter() < deadline):
            flow = flow_prices(one)
            fb = flow[0]
        if flow is not None:
            fp, g_const = flow[1], np.where(done, 0.0, flow[2])
        else:
            fp = ceiling_prices(one)
        job_left = ~done[ap.job_group]
        arc_left = job_left[ap.arc_job]
        pr.head[job_left] = fp.head[job_left]
        pr.minimum[job_left] = fp.minimum[job_left]
        pr.xy[arc_left] = fp.xy[arc_left]
        comp_left = job_left[ap.composition.owner]
        pr.composition[comp_left] = fp.composition[comp_left]
        if len(ap.pinned):
            pin_left = ~done[ap.job_group[ap.arc_job[ap.pinned.indices[ap.pinned.indptr[:-1]]]]]
            pr.pinned[pin_left] = fp.pinned[pin_left]
        if fp.arc_penalty is not None:
            pen[arc_left] = fp.arc_penalty[arc_left]
    lag = math.inf
    for alpha in ALPHAS:
        at = replace(pr, arc_penalty=pen + alpha * lp_pen, penalty_const=float(g_const.sum()) + alpha * lp_const)
        v, _ = lagrangian_bound(one, at)
        log.info("alpha %.2f: %.6g", alpha, v)
        lag = min(lag, v)
        if send is not None:
            send(min(total, lag, fb))
    log.info(
        "regional lp bound %s: %d of %d regions solved, sum %.6g, flow %.6g, Lagrangian %.6g in %.2fs",
        lv.name,
        solved,
        k,
        total,
        fb,
        lag,
        time.perf_counter() - t0,
    )
    return min(total, lag, fb)
