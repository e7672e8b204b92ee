"""Checking, repairing and relaxing answers of the pairing arc problem (for :mod:`vmatch._pairing_engine`).

:func:`check` schedules every volunteer's chosen set (or finds a minimal set that cannot
be scheduled); :func:`repair` drops the least valuable visit of each such set and fills the
freed places again; :func:`relax` solves the block relaxation (:mod:`vmatch._pairing_flow`)
and repairs its answer.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_sched import Scheduler
>>> import time
>>> pc = compile_pairing(generate_pairing(80, 30, seed=1))
>>> out, found = relax(pc, Scheduler(pc), time.perf_counter(), {}, time.perf_counter() + 5)
>>> out.sol.bounds[0] >= out.sol.values[0]
True
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_flow import BlockFlow
from vmatch._pairing_sched import Scheduler
from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus, csr_from_lists
from vmatch.solvers.greedy import preference

__all__ = ["EngineOut", "check", "finish", "relax", "repair", "with_rows"]

I64 = npt.NDArray[np.int64]


@dataclass
class EngineOut:
    """An arc solution and the visit start (week minute) of each chosen arc."""

    sol: ArcSolution
    schedule: dict[int, int]
    stats: dict[str, Any] = field(default_factory=dict)


def with_rows(ap: ArcProblem, rows: list[I64]) -> ArcProblem:
    """``ap`` with a "not all of these" row for each arc set in ``rows`` (each one volunteer's arcs).

    Each becomes a capacity row: the set's load less its smallest load, so every set but the
    whole one fits.
    """
    if not rows:
        return ap
    load = ap.arc_load
    rhs = [int(load[c].sum() - load[c].min()) for c in rows]
    owner = [int(ap.arc_agent[c[0]]) for c in rows]
    return dataclasses.replace(ap, capacity=csr_from_lists(rows, rhs, owner))


def check(pc: PairingCompiled, sch: Scheduler, arcs: I64) -> tuple[dict[int, int], list[I64]]:
    """Schedule of every volunteer's chosen arcs, and minimal arc sets that cannot be scheduled."""
    ap = pc.arcs
    schedule: dict[int, int] = {}
    bad: list[I64] = []
    order = arcs[np.argsort(ap.arc_agent[arcs], kind="stable")]
    cuts = np.flatnonzero(np.diff(ap.arc_agent[order])) + 1
    for grp in np.split(order, cuts) if len(order) else []:
        v = int(ap.arc_agent[grp[0]])
        bens = ap.arc_job[grp].tolist()
        got = sch.place(v, bens)
        if got is None:
            sub = set(sch.conflict(v, bens))
            bad.append(np.asarray([a for a, b in zip(grp.tolist(), bens, strict=True) if b in sub], np.int64))
        else:
            schedule.update({a: got[b] for a, b in zip(grp.tolist(), bens, strict=True)})
    return schedule, bad


def finish(
    ap: ArcProblem,
    arcs: I64,
    status: SolveStatus,
    bounds: tuple[float, ...],
    t0: float,
    solver: str,
    stats: dict[str, Any],
) -> ArcSolution:
    arcs = np.sort(arcs).astype(np.int64)
    jobs = np.unique(ap.arc_job[arcs]).astype(np.int64)
    values = tuple(lv.value(arcs, jobs) for lv in ap.levels)
    return ArcSolution(status, arcs, jobs, values, bounds, time.perf_counter() - t0, solver, stats)


def repair(
    pc: PairingCompiled,
    sch: Scheduler,
    arcs: I64,
    rank: npt.NDArray[np.float64],
    refill: Callable[[I64, dict[int, int], npt.NDArray[np.bool_]], I64] | None = None,
    deadline: float = math.inf,
    rounds: int = 12,
    found: list[I64] | None = None,
) -> tuple[I64, dict[int, int], int]:
    """Drop visits until every volunteer's set schedules, then fill freed places; (arcs, schedule, dropped).

    A dropped arc is banned from later fills; the sets that could not be scheduled are added to ``found``.
    """
    keep = set(arcs.tolist())
    banned = np.zeros(pc.arcs.n_arcs, bool)
    dropped = 0
    while True:
        schedule, bad = check(pc, sch, np.asarray(sorted(keep), np.int64))
        while bad:
            if found is not None:
                found.extend(bad)
            for cut in bad:
                worst = int(cut[np.argmax(rank[cut])])  # the least valuable visit of the set
                keep.discard(worst)
                banned[worst] = True
                dropped += 1
            schedule, bad = check(pc, sch, np.asarray(sorted(keep), np.int64))
        if refill is None or rounds <= 0 or time.perf_counter() > deadline:
            break
        rounds -= 1
        kept = np.asarray(sorted(keep), np.int64)
        add = refill(kept, schedule, banned)
        add = add[~np.isin(add, kept)]
        if not len(add):
            break
        keep.update(add.tolist())
    return np.asarray(sorted(keep), np.int64), schedule, dropped


def relax(
    pc: PairingCompiled,
    sch: Scheduler,
    t0: float,
    stats: dict[str, Any],
    deadline: float,
    prices: list[npt.NDArray[np.float64]] | None = None,
) -> tuple[EngineOut, list[I64]]:
    """Block relaxation solved exactly (bound), then repaired and re-filled (answer); and the sets found
    that cannot be scheduled. The relaxation's beneficiary prices (:meth:`BlockFlow.prices`) are
    appended to ``prices`` when given."""
    ap = pc.arcs
    bf = BlockFlow(pc)
    chosen = bf.solve()
    if prices is not None:
        prices.append(bf.prices())
    bound0 = ap.levels[0].value(chosen)
    first_values = tuple(lv.value(chosen) for lv in ap.levels)

    def refill(kept: I64, schedule: dict[int, int], banned: npt.NDArray[np.bool_]) -> I64:
        served = np.zeros(ap.n_jobs, bool)
        served[ap.arc_job[kept]] = True
        vcap = pc.k_eff - np.bincount(ap.arc_agent[kept], minlength=ap.n_agents)
        bcap = bf.cap.copy()
        for a in kept.tolist():
            k = bf.block_of(a, schedule[a])
            if k >= 0:
                bcap[k] -= 1
        return bf.solve(allowed=~served[ap.arc_job] & ~banned, vcap=vcap, bcap=bcap)

    found: list[I64] = []
    arcs, schedule, dropped = repair(pc, sch, chosen, preference(ap), refill, deadline, found=found)
    stats.update(
        relax_seconds=time.perf_counter() - t0,
        repair_dropped=dropped,
        block_arcs=len(bf.arc),
        blocks=bf.n_blocks,
    )
    out = finish(
        ap,
        arcs,
        SolveStatus.FEASIBLE,
        (bound0,) + (math.nan,) * (len(ap.levels) - 1),
        t0,
        "block-flow",
        stats,
    )
    if dropped == 0 and out.values == first_values:
        out = dataclasses.replace(out, status=SolveStatus.OPTIMAL, bounds=out.values)
    return EngineOut(out, schedule, stats), found
