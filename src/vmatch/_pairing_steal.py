"""Steal moves for pairing: a volunteer takes a beneficiary whose volunteer can take someone else.

Best-response sweeps (:mod:`vmatch._pairing_sweep`) stop where no volunteer gains alone: each
would only gain with a beneficiary that another volunteer serves. A **steal move** is an
ejection chain of length two: volunteer ``v`` takes a set that includes beneficiaries of
other volunteers ``u``, and each such ``u`` takes instead their best set without that
beneficiary (from their own and the unpaired ones).

One round (:func:`steal`) first prices, for every beneficiary ``b`` paired with ``u``, the
**loss** ``u`` suffers by giving ``b`` up (their current set's worth less that of their best
set without ``b``, found exactly by :class:`~vmatch._pairing_price.SetPricer`). Then every
volunteer next to a beneficiary worth more than its loss prices their candidates at their
weight, less the loss for those served by others, and the moves that gain (weights folded
so that one move gains exactly when it gains lexicographically) are applied, largest gain
first, skipping a move whose volunteers another move has changed or whose beneficiaries
another has taken. Every set taken is one the pricer placed, so the answer stays feasible.

:func:`sweep_and_steal` alternates sweeps until they stop and steal rounds, until a round
gains nothing or the time is up.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_sched import Scheduler
>>> import numpy as np, time
>>> pc = compile_pairing(generate_pairing(300, 120, seed=6))
>>> sch = Scheduler(pc)
>>> arcs, _ = sweep(pc, sch, np.zeros(0, np.int64), time.perf_counter() + 10)
>>> more, st = sweep_and_steal(pc, sch, arcs, time.perf_counter() + 10)
>>> pc.arcs.levels[0].value(more) >= pc.arcs.levels[0].value(arcs)
True
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
from vmatch._pairing_sweep import SWEEP_BUDGET, move_weights, sweep

__all__ = ["Memo", "steal", "sweep_and_steal"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


class Memo:
    """What a steal round leaves for the next: each paired beneficiary's loss and its volunteer's
    set without it, the owners they were priced at, and the volunteers to price again."""

    def __init__(self, n_jobs: int, n_agents: int) -> None:
        self.loss = np.full(n_jobs, np.inf)
        self.repl: dict[int, tuple[int, ...]] = {}
        self.owner = np.full(n_jobs, -2, np.int64)  # -2: never priced
        self.retry = np.zeros(n_agents, bool)
        self.seconds = 0.0  # how long the last round took


def _losses(pricer: SetPricer, w: F64, chosen: B, served: B, dirty: B, memo: Memo) -> None:
    """Per beneficiary paired with a ``dirty`` volunteer: what the volunteer loses by giving it up,
    and their best set without it (into ``memo``)."""
    ap = pricer.pc.arcs
    agent, job = ap.arc_agent, ap.arc_job
    nv = ap.n_agents
    ch = np.flatnonzero(chosen)
    ch = ch[np.argsort(agent[ch], kind="stable")]
    cur = np.bincount(agent[ch], weights=w[ch], minlength=nv)
    rank = np.arange(len(ch)) - np.searchsorted(agent[ch], agent[ch])
    ch, rank = ch[dirty[agent[ch]]], rank[dirty[agent[ch]]]
    free = ~served[job] | chosen
    for j in range(int(rank.max(initial=-1)) + 1):
        out = ch[rank == j]  # each volunteer's j-th visit, left out in turn
        has = np.zeros(nv, bool)
        has[agent[out]] = True
        r = np.where(free & has[agent], w, -1.0)
        r[out] = -1.0
        _, sets = pricer.price(r, budget=SWEEP_BUDGET)
        for a, u in zip(out.tolist(), agent[out].tolist(), strict=True):
            s = sets[u]
            memo.loss[job[a]] = max(0.0, cur[u] - (float(w[list(s)].sum()) if s else 0.0))
            memo.repl[int(job[a])] = s


def steal(
    pc: PairingCompiled,
    pricer: SetPricer,
    w: F64,
    chosen: B,
    served: B,
    *,
    pool: list[tuple[int, ...]] | None = None,
    memo: Memo | None = None,
) -> tuple[int, I64]:
    """One round of steal moves on ``chosen`` / ``served`` (changed in place), weights ``w`` per arc
    (folded, exact for a move of one volunteer and the owners it takes from); (moves, beneficiaries
    whose volunteer changed). Moves that lost out to another are added to ``pool``. With the
    ``memo`` of the last round, only volunteers next to a change are priced again."""
    ap = pc.arcs
    agent, job = ap.arc_agent, ap.arc_job
    nv = ap.n_agents
    memo = memo or Memo(ap.n_jobs, nv)
    owner = np.full(ap.n_jobs, -1, np.int64)
    owner[job[chosen]] = agent[chosen]
    moved = owner != memo.owner
    near = np.zeros(nv, bool)  # next to a beneficiary whose volunteer changed
    near[agent[moved[job]]] = True
    before = memo.loss.copy()
    _losses(pricer, w, chosen, served, near, memo)
    moved |= memo.loss != before
    near[:] = memo.retry
    near[agent[moved[job]]] = True  # next to a change of volunteer or of loss
    memo.owner, memo.retry[:] = owner.copy(), False
    cur = np.bincount(agent[chosen], weights=w[chosen], minlength=nv)
    loss, repl = memo.loss, memo.repl
    other = served[job] & ~chosen
    loss_a = loss[job]
    can = other & (w - loss_a > 0.5)
    act = np.zeros(nv, bool)
    act[agent[can]] = True
    act &= near
    r = np.where(~served[job] | chosen, w, np.where(can, w - loss_a, -1.0))
    r[~act[agent]] = -1.0
    _, sets = pricer.price(r, budget=SWEEP_BUDGET)
    cands: list[tuple[float, int, I64, list[int]]] = []
    for v in np.flatnonzero(act).tolist():
        sa = np.asarray(sets[v], np.int64)
        taken = job[sa[other[sa]]].tolist()
        us = owner[taken]
        if not taken or len(set(us.tolist())) < len(us):
            continue
        gain = float(w[sa].sum()) - cur[v]
        gain += sum(float(w[list(repl[b])].sum()) - cur[u] for b, u in zip(taken, us.tolist(), strict=True))
        if gain > 0.5:
            cands.append((gain, v, sa, taken))
    cands.sort(key=lambda c: -c[0])
    locked = np.zeros(nv, bool)
    changed: list[int] = []
    moves = 0
    vptr, vord = pricer.vptr, pricer.vord
    for _, v, sa, taken in cands:
        us = owner[taken]
        new = [(int(u), np.asarray(repl[b], np.int64)) for b, u in zip(taken, us.tolist(), strict=True)]
        new.append((v, sa))
        if locked[v] or locked[us].any() or (us < 0).any():
            ok = False
        else:  # every beneficiary a set adds is unpaired now (or one of those taken), and no two sets share one
            seen: set[int] = set()
            ok = True
            for _, s in new:
                add = job[s[~chosen[s]]].tolist()
                ok = ok and not any((served[b] and b not in taken) or b in seen for b in add)
                seen.update(job[s].tolist())
        if not ok:
            memo.retry[v] = True
            if pool is not None:
                pool.extend(tuple(s.tolist()) for _, s in new if len(s))
            continue
        for u, _ in new:
            mine = vord[vptr[u] : vptr[u + 1]]
            old = mine[chosen[mine]]
            chosen[old] = False
            served[job[old]] = False
            owner[job[old]] = -1
            changed.extend(job[old].tolist())
        for u, s in new:
            chosen[s] = True
            served[job[s]] = True
            owner[job[s]] = u
            changed.extend(job[s].tolist())
            locked[u] = True
        moves += 1
    return moves, np.unique(np.asarray(changed, np.int64))


def sweep_and_steal(
    pc: PairingCompiled,
    sch: Scheduler,
    arcs: I64,
    deadline: float,
    *,
    pricer: SetPricer | None = None,
    stats: dict[str, Any] | None = None,
    pool: list[tuple[int, ...]] | None = None,
    memo: Memo | None = None,
) -> tuple[I64, dict[str, int]]:
    """Sweeps until they stop, then a steal round, and again, until a round gains nothing or
    ``deadline`` (a round starts only when the last one's time is left); (arcs, counts of sweep
    and steal moves and steal rounds). ``memo`` carries the last round's prices over from an
    earlier call."""
    ap = pc.arcs
    pricer = pricer or SetPricer(pc, sch)
    k = max(1, int(pc.k_eff.max(initial=1)))
    w = move_weights(ap, 2 * k * (k + 1))  # a move changes the sets of v and of at most k others
    out = {"sweeps": 0, "sweep_moves": 0, "steal_rounds": 0, "steal_moves": 0}
    dirty: B | None = None
    memo = memo or Memo(ap.n_jobs, ap.n_agents)
    while time.perf_counter() < deadline:
        st: dict[str, Any] = {}
        arcs, moved = sweep(pc, sch, arcs, deadline, pricer=pricer, stats=st, pool=pool, dirty=dirty)
        out["sweeps"] += int(st.get("sweeps", 0))
        out["sweep_moves"] += moved
        t = time.perf_counter()
        if t + memo.seconds >= deadline:
            break
        chosen = np.zeros(ap.n_arcs, bool)
        chosen[arcs] = True
        served = np.zeros(ap.n_jobs, bool)
        served[ap.arc_job[arcs]] = True
        moves, changed = steal(pc, pricer, w, chosen, served, pool=pool, memo=memo)
        memo.seconds = time.perf_counter() - t
        out["steal_rounds"] += 1
        out["steal_moves"] += moves
        arcs = np.flatnonzero(chosen).astype(np.int64)
        log.info("pairing steal round: %d moves, value %.0f", moves, float(ap.levels[0].value(arcs)))
        if not moves:
            break
        touched = np.zeros(ap.n_jobs, bool)
        touched[changed] = True
        dirty = np.zeros(ap.n_agents, bool)
        dirty[ap.arc_agent[touched[ap.arc_job]]] = True
    if stats is not None:
        stats.update(out)
    return arcs, out
