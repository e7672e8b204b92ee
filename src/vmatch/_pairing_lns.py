"""Large-neighbourhood search for pairing: re-solve small neighbourhoods exactly with CP-SAT.

A neighbourhood grows from an unpaired beneficiary who has eligible volunteers: those
volunteers, the beneficiaries they serve and their other unpaired candidates, and so on,
up to a few dozen volunteers. Everything else stays fixed. The neighbourhood is an arc
problem of its own (arcs of its volunteers to its free beneficiaries, renumbered; the
"not all of these" rows found so far carried over), solved with CP-SAT on the folded levels
and hinted with the current answer; each volunteer's new set is checked with the exact
scheduler (a set that cannot be scheduled becomes a new row and the neighbourhood is
solved again). A lexicographically better answer replaces the current one.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_sched import Scheduler
>>> import numpy as np, time
>>> pc = compile_pairing(generate_pairing(120, 50, seed=4))
>>> out = improve(pc, Scheduler(pc), np.zeros(0, np.int64), [], time.perf_counter() + 2)
>>> len(out[0]) > 0
True
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_sched import Scheduler
from vmatch.arcs import ArcProblem, Level, SolveStatus, csr_from_lists
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.lns import LNS_PARAMS, fold_weights

__all__ = ["improve"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]


def _csr(keys: I64, n: int) -> tuple[I64, I64]:
    order = np.argsort(keys, kind="stable")
    return np.searchsorted(keys[order], np.arange(n + 1)).astype(np.int64), order.astype(np.int64)


def _lex(ap: ArcProblem, arcs: I64) -> tuple[float, ...]:
    return tuple(float(lv.coef[arcs].sum()) * (1 if lv.sense == "max" else -1) for lv in ap.levels)


def improve(
    pc: PairingCompiled,
    sch: Scheduler,
    arcs: I64,
    rows: list[I64],
    deadline: float,
    *,
    seed: int = 0,
    workers: int | None = None,
    size: int = 10,
    max_arcs: int = 300,
    step_time: float = 0.3,
    stats: dict[str, Any] | None = None,
) -> tuple[I64, dict[int, int]]:
    """Improve a feasible answer (chosen arcs, every set schedulable) until ``deadline``; (arcs, schedule).

    Neighbourhoods hold about ``size`` volunteers or ``max_arcs`` arcs; each CP-SAT call gets
    ``step_time`` seconds and ``workers`` threads (default 2: small models gain little from more).
    """
    ap = pc.arcs
    rng = np.random.default_rng(seed)
    vptr, vord = _csr(ap.arc_agent, ap.n_agents)
    bptr, bord = _csr(ap.arc_job, ap.n_jobs)
    chosen = np.zeros(ap.n_arcs, bool)
    chosen[arcs] = True
    served = np.full(ap.n_jobs, -1, np.int64)
    served[ap.arc_job[arcs]] = arcs
    row_of_v: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        row_of_v.setdefault(int(ap.arc_agent[r[0]]), []).append(i)
    has_arcs = np.diff(bptr) > 0
    w0 = ap.levels[0].coef
    best_w = np.zeros(ap.n_jobs)
    np.maximum.at(best_w, ap.arc_job, w0)
    steps = better = idle = 0
    tried = np.zeros(ap.n_jobs, np.int64)
    while time.perf_counter() < deadline - 0.05:
        cand = np.flatnonzero((served < 0) & has_arcs)
        if not len(cand) or idle > 3 * len(cand) + 10:  # every seed tried a few times since the last gain
            break
        key = best_w[cand] - 1000.0 * tried[cand] + rng.random(len(cand))
        b0 = int(cand[np.argmax(key)])
        tried[b0] += 1
        vs: list[int] = []
        seen_v: set[int] = set()
        frontier = [b0]
        n_arcs = 0
        while frontier and len(vs) < size and n_arcs < max_arcs:
            b = frontier.pop(0)
            for a in rng.permutation(bord[bptr[b] : bptr[b + 1]])[:8].tolist():
                v = int(ap.arc_agent[a])
                if v in seen_v:
                    continue
                seen_v.add(v)
                vs.append(v)
                n_arcs += int(vptr[v + 1] - vptr[v])
                mine = vord[vptr[v] : vptr[v + 1]]
                frontier.extend(ap.arc_job[mine[chosen[mine]]].tolist())
                if len(vs) >= size or n_arcs >= max_arcs:
                    break
        va = np.concatenate([vord[vptr[v] : vptr[v + 1]] for v in vs])
        free_b = (served[ap.arc_job[va]] < 0) | np.isin(ap.arc_agent[np.maximum(served[ap.arc_job[va]], 0)], vs)
        sub = va[free_b]
        if not len(sub):
            continue
        steps += 1
        old = sub[chosen[sub]]
        agents, ia = np.unique(ap.arc_agent[sub], return_inverse=True)
        jobs, ij = np.unique(ap.arc_job[sub], return_inverse=True)
        pos = {int(a): i for i, a in enumerate(sub.tolist())}
        for _ in range(4):
            srows, rhs, own = [], [], []
            for v in vs:
                for ri in row_of_v.get(v, []):
                    idx = [pos[a] for a in rows[ri].tolist() if a in pos]
                    if idx:
                        srows.append(idx)
                        rhs.append(int(ap.arc_load[rows[ri]].sum() - ap.arc_load[rows[ri]].min()))
                        own.append(v)
            sp = ArcProblem.build(
                n_agents=len(agents),
                n_jobs=len(jobs),
                arc_agent=ia,
                arc_job=ij,
                arc_load=ap.arc_load[sub],
                agent_capacity=ap.agent_capacity[agents],
                levels=[Level(lv.name, lv.coef[sub], lv.sense) for lv in ap.levels],
                capacity=csr_from_lists(srows, rhs, own),
            )
            hint = np.flatnonzero(chosen[sub])
            left = deadline - time.perf_counter()
            if left < 0.05:
                break
            sol = solve_cpsat(
                sp,
                time_limit=min(step_time, left),
                seed=int(rng.integers(1 << 30)),
                workers=workers or 2,
                hint=hint,
                weights=fold_weights(sp),
                params=LNS_PARAMS,
                quiet=True,
            )
            if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
                break
            new = sub[sol.arcs]
            bad: list[I64] = []
            for v in vs:
                mine = new[ap.arc_agent[new] == v]
                if len(mine) > 1 and sch.place(v, ap.arc_job[mine].tolist()) is None:
                    keep = set(sch.conflict(v, ap.arc_job[mine].tolist()))
                    bad.append(np.asarray([a for a in mine.tolist() if int(ap.arc_job[a]) in keep], np.int64))
            if bad:
                for r in bad:
                    row_of_v.setdefault(int(ap.arc_agent[r[0]]), []).append(len(rows))
                    rows.append(r)
                continue
            if _lex(ap, new) > _lex(ap, old):
                chosen[old] = False
                served[ap.arc_job[old]] = -1
                chosen[new] = True
                served[ap.arc_job[new]] = new
                better += 1
                idle = 0
            else:
                idle += 1
            break
    final = np.flatnonzero(chosen).astype(np.int64)
    schedule: dict[int, int] = {}
    order = final[np.argsort(ap.arc_agent[final], kind="stable")]
    for grp in np.split(order, np.flatnonzero(np.diff(ap.arc_agent[order])) + 1) if len(order) else []:
        got = sch.place(int(ap.arc_agent[grp[0]]), ap.arc_job[grp].tolist())
        if got is None:  # cannot happen: every accepted set was checked
            raise RuntimeError("pairing lns: an accepted set cannot be scheduled")
        schedule.update({int(a): got[int(ap.arc_job[a])] for a in grp.tolist()})
    log.info("pairing lns: %d steps, %d improvements", steps, better)
    if stats is not None:
        stats.update(lns_steps=steps, lns_improvements=better)
    return final, schedule
