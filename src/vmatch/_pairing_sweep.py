"""Best-response sweeps for pairing: every volunteer in turn takes their best set of free beneficiaries.

Given a feasible answer, each volunteer's **best response** is the set of at most ``k_eff``
beneficiaries, among their own and those nobody serves, that their week can hold and that
is worth most, the levels folded so that their order holds for the change of one volunteer
(:func:`move_weights`). :class:`~vmatch._pairing_price.SetPricer` finds it exactly. A sweep
prices every volunteer whose candidates changed since the last sweep, then applies the
improving responses, largest gain first, skipping those that want a beneficiary another
response has just taken; sweeps repeat until none improves or the time is up. Every set
taken is one the scheduler places, so the answer stays feasible.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_sched import Scheduler
>>> import numpy as np, time
>>> pc = compile_pairing(generate_pairing(200, 80, seed=1))
>>> arcs, n = sweep(pc, Scheduler(pc), np.zeros(0, np.int64), time.perf_counter() + 10)
>>> float(pc.arcs.levels[0].value(arcs)) > 0, n > 0
(True, True)
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_price import SetPricer
from vmatch._pairing_sched import Scheduler
from vmatch.arcs import ArcProblem

__all__ = ["SWEEP_BUDGET", "move_weights", "sweep"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
#: Search budget per volunteer and sweep (a response need not be the very best).
SWEEP_BUDGET = 40


def move_weights(ap: ArcProblem, arcs_per_move: int) -> F64:
    """Per arc, the levels folded into one weight (exact in floating point) such that a change of
    at most ``arcs_per_move`` arcs gains in this weight exactly when it gains lexicographically."""
    cs = [np.asarray(lv.int_coef() if lv.sense == "max" else -lv.int_coef(), np.float64) for lv in ap.levels]
    out = np.zeros(ap.n_arcs)
    mult = 1.0
    for c in reversed(cs):
        out += mult * c
        span = float(np.abs(out).max()) if ap.n_arcs else 0.0
        mult = arcs_per_move * span + 1.0
    return out


def sweep(
    pc: PairingCompiled,
    sch: Scheduler,
    arcs: I64,
    deadline: float,
    *,
    pricer: SetPricer | None = None,
    stats: dict[str, Any] | None = None,
    pool: list[tuple[int, ...]] | None = None,
    dirty: npt.NDArray[np.bool_] | None = None,
) -> tuple[I64, int]:
    """Best-response sweeps from the feasible answer ``arcs`` until none improves or ``deadline``;
    (arcs, number of volunteers whose set changed). Improving sets that another took a
    beneficiary of first are added to ``pool`` (arc tuples: each a set its volunteer can serve).
    ``dirty`` marks the volunteers to price in the first sweep (default: all)."""
    ap = pc.arcs
    pricer = pricer or SetPricer(pc, sch)
    w = move_weights(ap, 2 * max(1, int(pc.k_eff.max(initial=1))))
    chosen = np.zeros(ap.n_arcs, bool)
    chosen[arcs] = True
    served = np.zeros(ap.n_jobs, bool)
    served[ap.arc_job[arcs]] = True
    dirty = np.ones(ap.n_agents, bool) if dirty is None else dirty.copy()
    vptr, vord = pricer.vptr, pricer.vord
    moves = sweeps = 0
    while dirty.any() and time.perf_counter() < deadline:
        sweeps += 1
        r = np.where((~served[ap.arc_job] | chosen) & dirty[ap.arc_agent], w, -1.0)
        _, sets = pricer.price(r, budget=SWEEP_BUDGET)
        cur = np.bincount(ap.arc_agent[chosen], weights=w[chosen], minlength=ap.n_agents)
        gain = np.fromiter((w[list(s)].sum() if s else 0.0 for s in sets), np.float64, ap.n_agents) - cur
        dirty[:] = False
        changed: list[int] = []
        for v in np.argsort(-gain, kind="stable").tolist():
            if gain[v] <= 0.5:
                break
            mine = vord[vptr[v] : vptr[v + 1]]
            old = mine[chosen[mine]]
            new = np.asarray(sets[v], np.int64)
            fresh = ap.arc_job[new[~chosen[new]]]
            if served[fresh].any():
                if pool is not None:
                    pool.append(tuple(new.tolist()))
                continue
            chosen[old] = False
            served[ap.arc_job[old]] = False
            chosen[new] = True
            served[ap.arc_job[new]] = True
            changed.extend(ap.arc_job[old].tolist() + fresh.tolist())
            moves += 1
        if not changed:
            break
        touched = np.zeros(ap.n_jobs, bool)
        touched[changed] = True
        dirty[ap.arc_agent[touched[ap.arc_job]]] = True
        log.info("pairing sweep %d: value %.0f", sweeps, float(ap.levels[0].value(np.flatnonzero(chosen))))
    if stats is not None:
        stats.update(sweeps=sweeps, sweep_moves=moves)
    return np.flatnonzero(chosen).astype(np.int64), moves
