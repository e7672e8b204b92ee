"""Engines for the pairing arc problem: exact fast paths, CP-SAT, relax-and-repair, with lazy schedule rows.

The arc problem of :mod:`vmatch._pairing_compile` leaves each volunteer's weekly schedule
out. Every engine solves it, checks each volunteer's chosen set with
:class:`~vmatch._pairing_sched.Scheduler`, and

* ``"relax"``: solves the block relaxation exactly (:mod:`vmatch._pairing_flow`, a
  min-cost flow) -- its first-level value bounds the true optimum -- then repairs: drops,
  per volunteer, the least valuable visit of each set that cannot be scheduled, and fills
  the freed places again with the flow on what is left, a few rounds;
* ``"auto"``: the exact solvers of :mod:`vmatch.solvers.exact` when the arc problem is an
  assignment or a b-matching and every chosen set schedules (then it is optimal); else
  ``"relax"`` (re-filling cut short), then best-response sweeps (:mod:`vmatch._pairing_sweep`)
  and steal moves (:mod:`vmatch._pairing_steal`: a volunteer takes a beneficiary whose
  volunteer can take someone else) until they stop improving or :data:`SWEEP_SHARE` of the
  time, the Lagrangian bound at the relaxation's prices (:mod:`vmatch._pairing_bound`), a set
  packing of the sets found (:mod:`vmatch._pairing_pack`) when time is left, and more sweeps
  and steals until the time limit (less :data:`END_RESERVE`) -- or, up to
  :data:`CPSAT_MAX_ARCS` arcs, until 30 % of it, then large-neighbourhood search
  (:mod:`vmatch._pairing_lns`) and rounds of CP-SAT on
  the levels folded into one objective, hinted with the best answer so far, each adding a
  row "not all of these" over every minimal set found that cannot be scheduled, until a
  round is proven optimal with every set scheduled (the rows only remove sets no schedule
  serves, so that answer is the exact optimum) or the time is up;
* ``"cpsat"``: plain CP-SAT (:func:`~vmatch.solvers.cpsat.solve_cpsat`, level by level) on
  the same arc problem, with the same rows added round by round: the baseline.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> out = solve_pairing(compile_pairing(generate_pairing(60, 30, seed=2)), time_limit=5)
>>> out.sol.status.value, len(out.schedule) == len(out.sol.arcs)
('OPTIMAL', True)
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._pairing_bound import lagrangian_bound
from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_lns import improve
from vmatch._pairing_pack import pack
from vmatch._pairing_price import SetPricer
from vmatch._pairing_repair import EngineOut, check, finish, relax, repair, with_rows
from vmatch._pairing_sched import Scheduler
from vmatch._pairing_steal import Memo, sweep_and_steal
from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.exact import classify, solve_assignment, solve_bmatching
from vmatch.solvers.greedy import preference
from vmatch.solvers.lns import fold_weights

__all__ = ["CPSAT_MAX_ARCS", "ENGINES", "EngineOut", "solve_pairing"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
#: Above this many arcs, ``"auto"`` does not hand a round to CP-SAT but relaxes and repairs.
CPSAT_MAX_ARCS = 3_000
ENGINES = ("auto", "cpsat", "relax")
#: Share of the time limit by which the first best-response sweeps and steal moves stop (the bound,
#: the set packing and more sweeps and steals follow).
SWEEP_SHARE = 0.9
#: Share of the time limit (at most a second) left at the end for the last check and the answer.
END_RESERVE = 0.02


def _exact(ap: ArcProblem) -> ArcSolution | None:
    kind = classify(ap)
    try:
        if kind == "one_to_one":
            return solve_assignment(ap)
        if kind == "b_matching":
            return solve_bmatching(ap)
    except ValueError as e:  # combined weights too wide for an exact integer solver
        log.info("exact solver declined: %s", e)
    return None


def _lex(ap: ArcProblem, arcs: I64) -> tuple[float, ...]:
    jobs = np.unique(ap.arc_job[arcs])
    return tuple(lv.value(arcs, jobs) if lv.sense == "max" else -lv.value(arcs, jobs) for lv in ap.levels)


def _plain_cpsat(
    pc: PairingCompiled,
    sch: Scheduler,
    t0: float,
    deadline: float,
    seed: int,
    workers: int | None,
    stats: dict[str, Any],
    tie_break: str = "none",
) -> EngineOut:
    """CP-SAT, level by level, on the arc problem and the rows found so far, until every set
    schedules (``tie_break``: :func:`~vmatch.solvers.cpsat.solve_cpsat`'s, for each round)."""
    base = pc.arcs
    rows: list[I64] = []
    sol = ArcSolution.none(len(base.levels))
    for rnd in range(10_000):
        left = deadline - time.perf_counter()
        ap = with_rows(base, rows)
        sol = solve_cpsat(ap, time_limit=max(0.05, left), seed=seed, workers=workers, tie_break=tie_break)
        stats.update(rounds=rnd + 1, cut_rows=len(rows), solvers=["cpsat"])
        stats["proven_tie_break"] = _settled(sol, sch)
        if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return EngineOut(dataclasses.replace(sol, stats={**sol.stats, **stats}), {}, stats)
        schedule, bad = check(pc, sch, sol.arcs)
        if not bad:
            status = sol.status if not sch.hit_limit else SolveStatus.FEASIBLE
            return EngineOut(
                dataclasses.replace(
                    sol, status=status, wall_seconds=time.perf_counter() - t0, stats={**sol.stats, **stats}
                ),
                schedule,
                stats,
            )
        rows.extend(bad)
        if time.perf_counter() > deadline:
            break
    arcs, schedule, dropped = repair(pc, sch, sol.arcs, preference(base))
    stats.update(repair_dropped=dropped, proven_tie_break=False)  # (where the clock stopped the rounds)
    bounds = (sol.bounds[0],) + (math.nan,) * (len(base.levels) - 1)
    return EngineOut(finish(base, arcs, SolveStatus.FEASIBLE, bounds, t0, "cpsat", stats), schedule, stats)


def solve_pairing(
    pc: PairingCompiled,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    engine: str = "auto",
    max_rounds: int = 200,
    reproducible: bool = False,
) -> EngineOut:
    """Solve a compiled pairing problem (see the module docstring for the engines).

    ``reproducible``: a round of CP-SAT proven optimal then chooses among the optimal answers
    by a fixed order drawn from ``seed`` (``tie_break="all"``), and ``stats["reproducible"]`` says
    whether the answer is one that every run gives: the exact paths and a proven relaxation
    are; a CP-SAT round is when it and its tie-break were proven (with the time left, unproven
    tie-breaks are tried again with more time); the relax-and-repair search of large problems,
    whose stages stop by the clock, is not."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    out = _solve_pairing(pc, time_limit, seed, workers, engine, max_rounds, reproducible)
    if reproducible:
        settled = out.sol.solver in ("assignment", "bmatching") or bool(out.stats.pop("proven_tie_break", False))
        settled = settled or (out.sol.status == SolveStatus.OPTIMAL and out.sol.solver == "block-flow")
        out.stats["reproducible"] = settled
    out.stats.pop("proven_tie_break", None)
    return out


def _settled(sol: ArcSolution, sch: Scheduler) -> bool:
    """A CP-SAT answer that every run gives: levels and tie-break proven, every schedule found."""
    return sol.status == SolveStatus.OPTIMAL and sol.stats.get("tie_break") == "OPTIMAL" and not sch.hit_limit


def _solve_pairing(
    pc: PairingCompiled,
    time_limit: float,
    seed: int,
    workers: int | None,
    engine: str,
    max_rounds: int,
    reproducible: bool,
) -> EngineOut:
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    sch = Scheduler(pc)
    stats: dict[str, Any] = {"engine": engine}
    base = pc.arcs
    tie = "all" if reproducible else "none"
    if engine == "cpsat":
        return _plain_cpsat(pc, sch, t0, deadline, seed, workers, stats, tie)
    if engine == "auto":
        sol = _exact(base)
        if sol is not None:
            schedule, bad = check(pc, sch, sol.arcs)
            if not bad and not sch.hit_limit:
                stats.update(rounds=1, solvers=[sol.solver])
                return EngineOut(
                    dataclasses.replace(sol, wall_seconds=time.perf_counter() - t0, stats={**sol.stats, **stats}),
                    schedule,
                    stats,
                )
    # re-filling after repair stops early when more search follows (the sweeps fill better)
    lam: list[npt.NDArray[np.float64]] = []
    relaxed, cuts = relax(pc, sch, t0, stats, deadline if engine == "relax" else t0 + 0.05 * time_limit, prices=lam)
    if engine == "relax" or relaxed.sol.status == SolveStatus.OPTIMAL:
        return relaxed
    small = base.n_arcs <= CPSAT_MAX_ARCS
    pricer = SetPricer(pc, sch)
    pool: list[tuple[int, ...]] = []
    share = SWEEP_SHARE if not small else 0.2
    memo = Memo(base.n_jobs, base.n_agents)
    arcs, _ = sweep_and_steal(
        pc, sch, relaxed.sol.arcs, t0 + share * time_limit, pricer=pricer, pool=pool, stats=stats, memo=memo
    )
    bound, sets = lagrangian_bound(pricer, lam[0])
    bounds = (min(relaxed.sol.bounds[0], bound), *relaxed.sol.bounds[1:])
    stats.update(lagrangian_bound=bound)
    end = t0 + (0.3 if small else 1.0) * time_limit - min(1.0, END_RESERVE * time_limit)
    left = end - time.perf_counter()
    if left > 0:
        arcs = pack(pc, pool + [s for s in sets if s], arcs, end - 0.5 * left, seed=seed, workers=workers)
    arcs, polish = sweep_and_steal(pc, sch, arcs, end, pricer=pricer, memo=memo)
    stats.update({f"polish_{k}": n for k, n in polish.items()})
    schedule, bad = check(pc, sch, arcs)
    if bad:  # only a set the pricer let through when the scheduler's search was cut short
        log.warning("pairing: %d accepted sets cannot be scheduled; repaired", len(bad))
        arcs, schedule, _ = repair(pc, sch, arcs, preference(base))
    if small:
        arcs, schedule = improve(pc, sch, arcs, cuts, end, seed=seed, workers=workers, stats=stats)
    names = ["block-flow", "sweeps", "steals", "lagrangian", "set-packing"]
    stats.update(solvers=names + (["cpsat-lns"] if small else []))
    relaxed = EngineOut(
        finish(base, arcs, SolveStatus.FEASIBLE, bounds, t0, "block-flow+sweeps+steals+packing", stats),
        schedule,
        stats,
    )
    if not small:
        return relaxed
    # cut loop: CP-SAT on the folded levels, hinted with the best answer so far
    best, best_key = relaxed, _lex(base, relaxed.sol.arcs)
    bound0 = bounds[0]
    rows: list[I64] = list(cuts)
    rank = preference(base)
    budget = 2.0
    proven: EngineOut | None = None  # a proven answer whose tie-break was not (reproducible)
    retried = False
    for rnd in range(max_rounds):
        left = deadline - time.perf_counter()
        if left < 0.05:
            break
        ap = with_rows(base, rows)
        sol = solve_cpsat(
            ap,
            time_limit=min(left, budget),
            seed=seed,
            workers=workers,
            hint=best.sol.arcs,
            weights=fold_weights(ap),
            tie_break=tie,
        )
        stats.update(rounds=rnd + 1, cut_rows=len(rows), solvers=["block-flow", "cpsat-lns", "cpsat"])
        if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            break
        schedule, bad = check(pc, sch, sol.arcs)
        if not bad:
            if _lex(base, sol.arcs) >= best_key:
                best = EngineOut(
                    finish(base, sol.arcs, SolveStatus.FEASIBLE, relaxed.sol.bounds, t0, "cpsat", stats),
                    schedule,
                    stats,
                )
            if sol.status == SolveStatus.OPTIMAL and not sch.hit_limit:
                out = finish(base, sol.arcs, SolveStatus.OPTIMAL, (), t0, "cpsat", stats)
                proven = EngineOut(dataclasses.replace(out, bounds=out.values), schedule, stats)
                stats["proven_tie_break"] = _settled(sol, sch)
                # reproducible: an unproven tie-break is tried once more with all the time left (the
                # proven answer is kept if that runs out)
                if reproducible and not _settled(sol, sch) and not retried and deadline - time.perf_counter() > 1.0:
                    retried, budget = True, math.inf
                    continue
                return proven
            budget *= 2  # a clean answer, not yet proven: give the next round more time
            continue
        arcs, schedule, _ = repair(pc, sch, sol.arcs, rank, found=rows)
        if _lex(base, arcs) > best_key:
            best_key = _lex(base, arcs)
            best = EngineOut(
                finish(base, arcs, SolveStatus.FEASIBLE, relaxed.sol.bounds, t0, "cpsat", stats),
                schedule,
                stats,
            )
        log.info("pairing round %d: %d sets cannot be scheduled, %d rows", rnd + 1, len(bad), len(rows))
    if proven is not None:  # the retried tie-break ran out of time: the proven answer as it was
        stats["proven_tie_break"] = False
        return EngineOut(dataclasses.replace(proven.sol, wall_seconds=time.perf_counter() - t0), proven.schedule, stats)
    sol = dataclasses.replace(
        best.sol,
        bounds=(bound0,) + (math.nan,) * (len(base.levels) - 1),
        wall_seconds=time.perf_counter() - t0,
        stats=stats,
    )
    return EngineOut(sol, best.schedule, stats)
