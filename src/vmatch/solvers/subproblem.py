"""Restrict an arc problem to a set of job groups, with everything else fixed.

Large-neighbourhood search and decomposition both solve a part of an arc problem while
the rest of a known solution stays as it is. :func:`restrict` builds that part as an
arc problem of its own: the arcs of the free groups, minus the arcs that a fixed chosen
arc blocks through a clique, with capacities reduced by the fixed load.

Examples
--------
>>> import numpy as np
>>> from vmatch.arcs import ArcProblem, Level, csr_from_lists
>>> ap = ArcProblem.build(n_agents=1, n_jobs=2, arc_agent=[0, 0], arc_job=[0, 1],
...                       levels=[Level("cov", [1.0, 1.0])], cliques=csr_from_lists([[0, 1]]))
>>> sub = restrict(ap, np.array([True, False]), free_groups=np.array([False, True]))
>>> sub.problem.n_arcs   # arc 1 is blocked by the fixed arc 0
0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from vmatch.arcs import ArcProblem, Level, Rows

__all__ = ["Sub", "incidence", "restrict"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def incidence(rows: Rows, n_arcs: int) -> sparse.csr_matrix:
    """Rows x arcs 0/1 matrix of a row list."""
    lens = np.diff(rows.indptr)
    data = np.ones(len(rows.indices), np.int32)
    return sparse.csr_matrix((data, rows.indices, rows.indptr), shape=(len(lens), n_arcs))


@dataclass(frozen=True, slots=True)
class Sub:
    """A restricted problem and the maps back: ``arcs[i]`` is the full index of sub-arc i."""

    problem: ArcProblem
    arcs: I64
    jobs: I64
    fixed: I64  # chosen arcs outside the free groups

    def lift(self, sub_arcs: I64) -> I64:
        """Full-problem chosen arcs: the fixed ones plus the sub-solution mapped back."""
        return np.sort(np.concatenate([self.fixed, self.arcs[sub_arcs]])).astype(np.int64)


def _restrict_rows(rows: Rows, keep: B, new_index: I64, min_len: int, row_keep: B | None = None,
                   rhs: I64 | None = None, owner_map: I64 | None = None) -> Rows:
    r = rows.take_arcs(keep, new_index)
    if rhs is not None:
        r = Rows(r.indptr, r.indices, rhs.astype(np.int64), r.owner)
    if owner_map is not None:
        r = Rows(r.indptr, r.indices, r.rhs, owner_map[r.owner] if len(r.owner) else r.owner)
    ok = np.diff(r.indptr) >= min_len
    if row_keep is not None:
        ok &= row_keep
    return r.select(ok)


def _restrict_level(lv: Level, arcs: I64, jobs: I64, fixed: B) -> Level:
    if not lv.has_share:
        return Level(lv.name, lv.coef[arcs], lv.sense, lv.scale, None if lv.job_coef is None else lv.job_coef[jobs])
    agent = np.asarray(lv.share_agent, np.int64)
    load = np.asarray(lv.share_load, np.int64)
    den = np.asarray(lv.share_den, np.int64)
    base = np.bincount(agent[fixed], weights=load[fixed], minlength=len(den)).astype(np.int64)
    if lv.share_base is not None:
        base += np.asarray(lv.share_base, np.int64)
    return Level(lv.name, lv.coef[arcs], lv.sense, lv.scale, None if lv.job_coef is None else lv.job_coef[jobs],
                 lv.share_weight, den, agent[arcs], load[arcs], base)


def restrict(ap: ArcProblem, chosen: B, free_groups: B, *, clique_matrix: sparse.csr_matrix | None = None,
             allowed: B | None = None) -> Sub:
    """The part of ``ap`` made of ``free_groups``, with the ``chosen`` arcs of other groups fixed.

    Parameters
    ----------
    ap : ArcProblem
    chosen : bool array over arcs
        A feasible solution of ``ap``.
    free_groups : bool array over groups
        Groups whose arcs are re-optimised.
    clique_matrix : sparse matrix, optional
        :func:`incidence` of ``ap.cliques`` (pass it when restricting many times).
    allowed : bool array over arcs, optional
        Only these arcs of the free groups may be chosen (a heuristic narrowing).
    """
    free_job = free_groups[ap.job_group]
    free_arc = free_job[ap.arc_job]
    fixed = chosen & ~free_arc
    cm = clique_matrix if clique_matrix is not None else incidence(ap.cliques, ap.n_arcs)
    used_rows = (cm @ fixed.astype(np.int32)) > 0
    blocked = (cm.T @ used_rows.astype(np.int32)) > 0
    keep = free_arc & ~blocked
    if allowed is not None:
        keep &= allowed | chosen
    # capacities less the fixed load
    fixed_load = np.bincount(ap.arc_agent, weights=fixed * ap.arc_load, minlength=ap.n_agents).astype(np.int64)
    cap = np.where(ap.agent_capacity >= 0, ap.agent_capacity - fixed_load, -1)
    keep &= (cap[ap.arc_agent] < 0) | (ap.arc_load <= cap[ap.arc_agent])
    if len(ap.capacity):
        capm = incidence(ap.capacity, ap.n_arcs)
        row_fixed = capm @ (fixed * ap.arc_load)
        cap_rhs = ap.capacity.rhs - row_fixed.astype(np.int64)
    else:
        cap_rhs = ap.capacity.rhs
    arcs = np.flatnonzero(keep).astype(np.int64)
    new_index = np.full(ap.n_arcs, -1, np.int64)
    new_index[arcs] = np.arange(len(arcs))
    jobs = np.flatnonzero(free_job).astype(np.int64)
    job_new = np.full(ap.n_jobs, -1, np.int64)
    job_new[jobs] = np.arange(len(jobs))
    groups = np.flatnonzero(free_groups).astype(np.int64)
    grp_new = np.full(ap.n_groups, -1, np.int64)
    grp_new[groups] = np.arange(len(groups))
    comp_keep = free_job[ap.composition.owner] if len(ap.composition) else np.zeros(0, bool)
    pin_keep = (np.array([free_arc[ap.pinned.row(r)].any() for r in range(len(ap.pinned))], bool)
                if len(ap.pinned) else np.zeros(0, bool))
    levels = [_restrict_level(lv, arcs, jobs, fixed) for lv in ap.levels]
    sub = ArcProblem.build(
        n_agents=ap.n_agents, n_jobs=len(jobs), arc_agent=ap.arc_agent[arcs], arc_job=job_new[ap.arc_job[arcs]],
        arc_load=ap.arc_load[arcs], agent_capacity=cap, job_min=ap.job_min[jobs], job_max=ap.job_max[jobs],
        job_group=grp_new[ap.job_group[jobs]], required=ap.group_required[groups], levels=levels,
        cliques=_restrict_rows(ap.cliques, keep, new_index, 2),
        composition=_restrict_rows(ap.composition, keep, new_index, 0, comp_keep, owner_map=job_new),
        capacity=_restrict_rows(ap.capacity, keep, new_index, 1, rhs=cap_rhs),
        pinned=_restrict_rows(ap.pinned, keep, new_index, 0, pin_keep),
        meta=dict(ap.meta),
    )
    return Sub(sub, arcs, jobs, np.flatnonzero(fixed).astype(np.int64))
