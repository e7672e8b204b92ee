"""Set packing for pairing: recombine known schedulable sets with CP-SAT.

Each **column** is a set of arcs of one volunteer that the weekly scheduler places (the
current answer's sets, the best responses that lost a beneficiary to another in a sweep,
the volunteers' best sets at the bound's prices, ...). :func:`pack` picks at most one column
per volunteer and at most one per beneficiary, maximising the first level with the second as
a tie-break (existing pairs kept), hinted with the current answer; any answer it returns is
feasible, and it is kept only when it is better than the current one.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> import numpy as np, time
>>> pc = compile_pairing(generate_pairing(60, 30, seed=2))
>>> a = np.flatnonzero(pc.arcs.arc_agent == 0)[:1]
>>> got = pack(pc, [tuple(a.tolist())], np.zeros(0, np.int64), time.perf_counter() + 5)
>>> got.tolist() == a.tolist()
True
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from vmatch._pairing_compile import PairingCompiled

__all__ = ["pack"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]


def pack(
    pc: PairingCompiled,
    columns: Sequence[tuple[int, ...]],
    current: I64,
    deadline: float,
    *,
    seed: int = 0,
    workers: int | None = None,
) -> I64:
    """The best packing of ``columns`` and the current answer's sets found by ``deadline``
    (the current answer when nothing better is found)."""
    ap = pc.arcs
    w0 = ap.levels[0].int_coef()
    kept = ap.levels[1].int_coef() if len(ap.levels) > 1 else np.zeros(ap.n_arcs, np.int64)
    order = current[np.argsort(ap.arc_agent[current], kind="stable")]
    cur = np.split(order, np.flatnonzero(np.diff(ap.arc_agent[order])) + 1) if len(order) else []
    cols = {tuple(sorted(int(a) for a in c)) for c in list(columns) + [tuple(c.tolist()) for c in cur]}
    cols.discard(())
    colist = sorted(cols)
    mult = 2 * int(np.abs(kept).sum()) + 1
    m = cp_model.CpModel()
    x = [m.new_bool_var("") for _ in colist]
    by_v: dict[int, list[cp_model.IntVar]] = {}
    by_b: dict[int, list[cp_model.IntVar]] = {}
    cost = []
    chosen = set(current.tolist())
    for var, c in zip(x, colist, strict=True):
        idx = list(c)
        by_v.setdefault(int(ap.arc_agent[idx[0]]), []).append(var)
        for b in ap.arc_job[idx].tolist():
            by_b.setdefault(int(b), []).append(var)
        cost.append(int(w0[idx].sum()) * mult + int(kept[idx].sum()))
        m.add_hint(var, all(a in chosen for a in idx))
    for group in list(by_v.values()) + list(by_b.values()):
        if len(group) > 1:
            m.add_at_most_one(group)
    m.maximize(sum(c * v for c, v in zip(cost, x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    solver.parameters.num_workers = workers or 2
    solver.parameters.random_seed = seed
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return current
    got = np.asarray(sorted(a for v, c in zip(x, colist, strict=True) if solver.value(v) for a in c), np.int64)
    old = int(w0[current].sum()) * mult + int(kept[current].sum())
    new = int(w0[got].sum()) * mult + int(kept[got].sum())
    log.info("pairing pack: %d columns, %d -> %d (%s)", len(colist), old, new, solver.status_name(st))
    return got if new > old else current
