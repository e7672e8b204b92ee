"""A fast feasible construction for arc problems (a warm start for CP-SAT and LNS).

Groups (tasks) with a composition row (a team that needs, say, a first-aider) are taken
first, then the others; within each, in order of their best first-level coefficient
(priority), then fewest candidate arcs; for each job of the group the free candidates are ranked
by the levels (first level best, then the next) and picked: the composition rows first,
then up to the head-count. The best job of the group is kept when it reaches its
minimum head-count. Every pick respects cliques, agent capacities and capacity rows, so
the result is feasible for the arc problem (pinned rows permitting).

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=1, arc_agent=[0, 1], arc_job=[0, 0], job_max=[2],
...                       levels=[Level("cov", [1.0, 1.0])])
>>> greedy(ap).tolist()
[True, True]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem
from vmatch.solvers.subproblem import ArcRows, _gather

__all__ = ["greedy", "preference", "scarcity_preference"]

B = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]

#: How strongly an agent's demand counts its scarcest jobs: each arc weighs 1 / (candidates per
#: place) ** SCARCITY_POWER. Greedy starts with powers 1 / 2 / 3 / 4: 29,122 / 29,186 / 29,183 /
#: 29,186 places on a 10k x 5k city, 29,513 / 29,650 / 29,666 / 29,644 and 100,598 / 100,748 /
#: 100,802 / 100,800 on the province's two largest parts.
SCARCITY_POWER = 3.0


def preference(ap: ArcProblem) -> npt.NDArray[np.float64]:
    """A per-arc rank key: lower is better, by level order (first level dominates)."""
    key = np.zeros(ap.n_arcs)
    mult = 1.0
    for lv in reversed(ap.levels):
        c = lv.coef if lv.sense == "min" else -lv.coef
        span = float(c.max() - c.min()) if len(c) else 0.0
        key += mult * (c - (c.min() if len(c) else 0.0))
        mult *= (span + 1.0) * (ap.n_arcs + 1.0)
    return key


def scarcity_preference(ap: ArcProblem) -> npt.NDArray[np.float64]:
    """Rank key that picks the least demanded agents first, then :func:`preference`.

    An agent's demand is the sum over its arcs of the first-level value of one place
    divided by the cube (``SCARCITY_POWER``) of the job's candidates per place: an agent
    whose jobs have few other candidates is saved for them. On city problems this fills
    about 2 % more places than ranking by the levels alone.
    """
    base = preference(ap)
    if not ap.levels or ap.n_arcs == 0:
        return base
    lv = ap.levels[0]
    val = lv.coef if lv.sense == "max" else np.ones(ap.n_arcs)
    cand = np.bincount(ap.arc_job, minlength=ap.n_jobs).astype(np.float64)
    per_place = cand[ap.arc_job] / np.maximum(1, ap.job_max[ap.arc_job])
    weight = np.abs(val) / np.maximum(1.0, per_place) ** SCARCITY_POWER
    demand = np.bincount(ap.arc_agent, weights=weight, minlength=ap.n_agents)
    # each arc's dense rank among the demands of the agents with arcs (per agent, then per arc:
    # np.unique over millions of arcs costs seconds)
    levels = np.unique(demand[np.bincount(ap.arc_agent, minlength=ap.n_agents) > 0])
    rank = np.searchsorted(levels, demand)[ap.arc_agent].astype(np.float64)
    span = float(base.max() - base.min()) + 1.0
    return rank * span + (base - base.min())


def greedy(
    ap: ArcProblem,
    *,
    order: I64 | None = None,
    pref: npt.NDArray[np.float64] | None = None,
    rows: ArcRows | None = None,
) -> B:
    """A feasible set of arcs (boolean mask); pinned rows are honoured where possible.

    Parameters
    ----------
    ap : ArcProblem
    order : array of group indices, optional
        The order in which groups are filled (default: groups with pinned arcs, then groups
        with composition rows, then the rest; within each, best first-level coefficient
        first, then fewest arcs).
    pref : array over arcs, optional
        Rank key of arcs within a job, lower first (default: :func:`preference`).
    """
    n = ap.n_arcs
    chosen = np.zeros(n, bool)
    if n == 0:
        return chosen
    if pref is None:
        pref = scarcity_preference(ap)
    first = ap.levels[0].coef if ap.levels else np.ones(n)
    sign = -1.0 if (ap.levels and ap.levels[0].sense == "min") else 1.0
    rows = rows if rows is not None else ArcRows.of(ap)
    cl_ptr, cl_idx, cr_ptr, cr_idx = rows.cl_ptr, rows.cl_idx, rows.cp_ptr, rows.cp_idx
    used = np.zeros(len(ap.cliques), bool)
    cap_left = ap.agent_capacity.astype(np.int64).copy()
    row_left = ap.capacity.rhs.astype(np.int64).copy()
    job_order = np.argsort(ap.arc_job, kind="stable")
    job_ptr = np.concatenate([[0], np.cumsum(np.bincount(ap.arc_job, minlength=ap.n_jobs))])
    comp_of_job: dict[int, list[int]] = {}
    for r in range(len(ap.composition)):
        comp_of_job.setdefault(int(ap.composition.owner[r]), []).append(r)
    pin_of_arc = np.full(n, -1, np.int64)
    for r in range(len(ap.pinned)):
        pin_of_arc[ap.pinned.row(r)] = r
    pinned_groups = set(ap.job_group[ap.arc_job[ap.pinned.indices]].tolist()) if len(ap.pinned) else set()
    jobs_of_group = np.split(
        np.argsort(ap.job_group, kind="stable"), np.cumsum(np.bincount(ap.job_group, minlength=ap.n_groups))[:-1]
    )
    if order is None:
        best = np.full(ap.n_groups, -np.inf)
        np.maximum.at(best, ap.job_group[ap.arc_job], sign * first)
        cnt = np.bincount(ap.job_group[ap.arc_job], minlength=ap.n_groups)
        pinned_first = np.array([g in pinned_groups for g in range(ap.n_groups)])
        # teams with a composition row first, whatever their priority: on a 10k x 5k city their
        # specialists were otherwise taken by plain tasks first (29,055 -> 29,122 places; the
        # province's largest part 100,497 -> 100,598)
        comp = np.zeros(ap.n_groups, bool)
        comp[ap.job_group[ap.composition.owner]] = True
        order = np.lexsort((cnt, -best, ~comp, ~pinned_first))

    def feasible(cand: I64) -> I64:
        if not len(cand):
            return cand
        cl = cap_left[ap.arc_agent[cand]]
        ok = (cl < 0) | (cl >= ap.arc_load[cand])
        if len(used):
            owner, hit = _gather(cl_ptr, cl_idx, cand)
            ok &= np.bincount(owner, weights=used[hit], minlength=len(cand)) == 0
        if len(row_left):
            owner, hit = _gather(cr_ptr, cr_idx, cand)
            short = row_left[hit] < ap.arc_load[cand][owner]
            ok &= np.bincount(owner, weights=short, minlength=len(cand)) == 0
        return cand[ok]

    for g in order.tolist():
        best_pick: I64 | None = None
        best_val = -np.inf
        for j in jobs_of_group[g].tolist():
            cand = job_order[job_ptr[j] : job_ptr[j + 1]]
            free = feasible(cand)
            free = free[np.argsort(pref[free], kind="stable")]
            picks: list[int] = []
            pins = np.unique(pin_of_arc[cand][pin_of_arc[cand] >= 0])
            if len(pins):
                pinned_here = free[pin_of_arc[free] >= 0]
                if len(np.unique(pin_of_arc[pinned_here])) < len(pins):
                    continue
                picks.extend(pinned_here.tolist())
            ok = True
            for r in comp_of_job.get(j, []):
                row = set(ap.composition.row(r).tolist())
                have = sum(1 for a in picks if a in row)
                for a in free.tolist():
                    if have >= ap.composition.rhs[r]:
                        break
                    if a in row and a not in picks:
                        picks.append(a)
                        have += 1
                if have < ap.composition.rhs[r]:
                    ok = False
                    break
            if not ok or len(picks) > ap.job_max[j]:
                continue
            for a in free.tolist():
                if len(picks) >= ap.job_max[j]:
                    break
                if a not in picks:
                    picks.append(a)
            if len(picks) < ap.job_min[j] or not picks:
                continue
            arr = np.asarray(picks, np.int64)
            val = float((sign * first[arr]).sum()) - 1e-9 * float(pref[arr].sum())
            if val > best_val:
                best_val, best_pick = val, arr
        if best_pick is None:
            continue
        chosen[best_pick] = True
        if len(used):
            used[_gather(cl_ptr, cl_idx, best_pick)[1]] = True
        ag = ap.arc_agent[best_pick]
        lim = cap_left[ag] >= 0
        np.subtract.at(cap_left, ag[lim], ap.arc_load[best_pick][lim])
        if len(row_left):
            owner, hit = _gather(cr_ptr, cr_idx, best_pick)
            np.subtract.at(row_left, hit, ap.arc_load[best_pick][owner])
    return chosen
