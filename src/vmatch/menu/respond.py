"""Best responses: every offer re-plans its own schedule around the others', all at once.

Given a feasible solution, each offer (agent) may drop its orders and take any orders that no
other offer serves, in the best schedule its own rules allow (time, travel, capacity, each order
once: :func:`vmatch.menu.elementary.elementary_schedules`, all offers in one vectorised pass),
leaving out arcs that share a conflict row with another offer's chosen arc (a provider's other
offers). Offers that gain take their new schedules, except where two want the same free order
(the larger gain wins) or where the rows spanning several offers (a provider's workload) would
break, which keep the old ones. Rounds repeat while some offer gains.

It is a large move per offer that the CP-SAT parts of the search make slowly: on 20,000 orders x
5,000 offers the greedy start gains about 115 (24,272 -> 24,388) in under a second.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> from vmatch.menu.people import compile_people
>>> from vmatch.menu.bounds import arc_data
>>> from vmatch.solvers.greedy import greedy
>>> ap = compile_people(menu_to_problem(generate_menu(300, 80, seed=5))[0]).arcs
>>> start = greedy(ap)
>>> better = best_responses(ap, arc_data(ap, 15.0), start)
>>> ap.check(np.flatnonzero(better)), bool(ap.levels[0].coef[better].sum() >= ap.levels[0].coef[start].sum())
([], True)
"""

from __future__ import annotations

import logging
import time

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from vmatch.arcs import ArcProblem
from vmatch.menu.elementary import ArcData, elementary_schedules
from vmatch.solvers.subproblem import incidence

__all__ = ["best_responses"]

log = logging.getLogger(__name__)
B = npt.NDArray[np.bool_]

#: Weight of keeping an order one already serves (a tie-break: no change without a gain).
KEEP = 1e-4


def _breaking(ap: ArcProblem, q: sp.csr_matrix, r: sp.csr_matrix, chosen: B) -> B:
    """Chosen arcs in a conflict row (``q``) with another chosen arc, in a capacity row (``r``)
    over its limit, or of an agent over its capacity."""
    x = chosen.astype(np.int64)
    rows_q = np.flatnonzero(q @ x > 1)
    rows_r = np.flatnonzero(r @ (x * ap.arc_load) > ap.capacity.rhs)
    load = np.bincount(ap.arc_agent, weights=x * ap.arc_load, minlength=ap.n_agents)
    out = chosen & ((ap.agent_capacity >= 0) & (load > ap.agent_capacity))[ap.arc_agent]
    for rows, m in ((rows_q, q), (rows_r, r)):
        if len(rows):
            out[m[rows].indices] = True
    return out & chosen


def best_responses(
    ap: ArcProblem, data: ArcData, chosen: B, *, rounds: int = 3, level: int = 0, deadline: float = np.inf
) -> B:
    """``chosen`` (feasible) after up to ``rounds`` rounds of best responses on level ``level``
    (see the module docstring); never worse on that level, feasible. The responders are
    ``data``'s agents (:func:`vmatch.menu.bounds.arc_data`: offers, or providers with all their
    offers)."""
    t0 = time.perf_counter()
    c = np.asarray(ap.levels[level].coef, np.float64)
    g, who, n = data.group, data.agent, data.n_agents
    tl = data.timeline()
    rid, idx = ap.cliques.row_ids(), ap.cliques.indices
    q, r = incidence(ap.cliques, ap.n_arcs), incidence(ap.capacity, ap.n_arcs)
    start_value = float(c[chosen].sum())
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        serving = np.full(ap.n_groups, -1, np.int64)
        serving[g[chosen]] = who[chosen]
        own = serving[g] == who
        row_who = np.full(len(ap.cliques), -1, np.int64)  # the responder of a row's chosen arc
        on = chosen[idx]
        row_who[rid[on]] = who[idx[on]]
        blocked = np.zeros(ap.n_arcs, bool)
        blocked[idx[(row_who[rid] >= 0) & (row_who[rid] != who[idx])]] = True
        w = np.where((own | (serving[g] < 0)) & ~blocked, c + KEEP * own, 0.0)
        value, take = elementary_schedules(data, w, tl)
        gain = value - np.bincount(who[chosen], weights=(c + KEEP)[chosen], minlength=n)
        better = gain > 10 * KEEP
        # a free order wanted by several: the largest gain takes it, the others keep their schedules
        cand = np.flatnonzero(take & better[who] & (serving[g] < 0))
        cand = cand[np.lexsort((-gain[who[cand]], g[cand]))]
        first = np.ones(len(cand), bool)
        first[1:] = g[cand[1:]] != g[cand[:-1]]
        better[who[cand[~first]]] = False
        # rows across responders, and capacities a responder's table does not count: undo there
        while better.any():
            new = (chosen & ~better[who]) | (take & better[who])
            bad = _breaking(ap, q, r, new)
            if not bad.any():
                break
            better[who[bad]] = False
        if not better.any():
            break
        chosen = new
    log.info("best responses: %.6g -> %.6g in %.2fs", start_value, float(c[chosen].sum()), time.perf_counter() - t0)
    return chosen
