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

__all__ = ["Restrictor", "Sub", "incidence", "restrict", "unique_ints"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def unique_ints(a: I64) -> I64:
    """``np.unique(a)`` by one sort.

    Since numpy 2.3, ``np.unique`` without ``return_inverse`` goes through a hash table and
    sorts the result: ten to twenty times slower than a sort on millions of distinct integers
    (9 s against 0.4 s on 6.2 M).
    """
    s = np.sort(a)
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if len(s) else s


def incidence(rows: Rows, n_arcs: int) -> sparse.csr_matrix:
    """Rows x arcs 0/1 matrix of a row list."""
    lens = np.diff(rows.indptr)
    data = np.ones(len(rows.indices), np.int32)
    return sparse.csr_matrix((data, rows.indices, rows.indptr), shape=(len(lens), n_arcs))


def rows_of_arcs(rows: Rows, n_arcs: int) -> tuple[I64, I64]:
    """The transpose of a row list in CSR form: ``idx[ptr[a]:ptr[a + 1]]`` are the rows holding arc
    ``a``, in increasing order: ``incidence(rows, n).T.tocsr()`` with one-byte data, which scipy's
    conversion copies (three bytes less per entry, twice)."""
    data = np.ones(len(rows.indices), np.int8)
    t = sparse.csr_matrix((data, rows.indices, rows.indptr), shape=(len(rows), n_arcs)).tocsc()
    return t.indptr.astype(np.int64), t.indices.astype(np.int64)


@dataclass(frozen=True, slots=True)
class ArcRows:
    """The clique rows and capacity rows holding each arc (:func:`rows_of_arcs` of both), built
    once and shared by the greedy start and the search (tens of millions of entries at scale)."""

    cl_ptr: I64
    cl_idx: I64
    cp_ptr: I64
    cp_idx: I64

    @staticmethod
    def of(ap: ArcProblem) -> ArcRows:
        """The transposes of ``ap``'s clique and capacity rows."""
        return ArcRows(*rows_of_arcs(ap.cliques, ap.n_arcs), *rows_of_arcs(ap.capacity, ap.n_arcs))


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


def _restrict_rows(
    rows: Rows,
    keep: B,
    new_index: I64,
    min_len: int,
    row_keep: B | None = None,
    rhs: I64 | None = None,
    owner_map: I64 | None = None,
) -> Rows:
    r = rows.take_arcs(keep, new_index)
    if rhs is not None:
        r = Rows(r.indptr, r.indices, rhs.astype(np.int64), r.owner)
    if owner_map is not None:
        r = Rows(r.indptr, r.indices, r.rhs, owner_map[r.owner] if len(r.owner) else r.owner)
    ok = np.diff(r.indptr) >= min_len
    if row_keep is not None:
        ok &= row_keep
    return r.select(ok)


def _restrict_level(lv: Level, arcs: I64, jobs: I64, fixed: I64) -> Level:
    """``lv`` on sub-arcs ``arcs`` and sub-jobs ``jobs``, with the load of the ``fixed`` arcs in its share base."""
    if not lv.has_share:
        return Level(lv.name, lv.coef[arcs], lv.sense, lv.scale, None if lv.job_coef is None else lv.job_coef[jobs])
    agent = np.asarray(lv.share_agent, np.int64)
    load = np.asarray(lv.share_load, np.int64)
    den = np.asarray(lv.share_den, np.int64)
    base = np.bincount(agent[fixed], weights=load[fixed], minlength=len(den)).astype(np.int64)
    if lv.share_base is not None:
        base += np.asarray(lv.share_base, np.int64)
    return Level(
        lv.name,
        lv.coef[arcs],
        lv.sense,
        lv.scale,
        None if lv.job_coef is None else lv.job_coef[jobs],
        lv.share_weight,
        den,
        agent[arcs],
        load[arcs],
        base,
    )


def restrict(
    ap: ArcProblem,
    chosen: B,
    free_groups: B,
    *,
    clique_matrix: sparse.csr_matrix | None = None,
    allowed: B | None = None,
) -> Sub:
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
    pin_keep = (
        np.array([free_arc[ap.pinned.row(r)].any() for r in range(len(ap.pinned))], bool)
        if len(ap.pinned)
        else np.zeros(0, bool)
    )
    fixed_arcs = np.flatnonzero(fixed).astype(np.int64)
    levels = [_restrict_level(lv, arcs, jobs, fixed_arcs) for lv in ap.levels]
    sub = ArcProblem.build(
        n_agents=ap.n_agents,
        n_jobs=len(jobs),
        arc_agent=ap.arc_agent[arcs],
        arc_job=job_new[ap.arc_job[arcs]],
        arc_load=ap.arc_load[arcs],
        agent_capacity=cap,
        job_min=ap.job_min[jobs],
        job_max=ap.job_max[jobs],
        job_group=grp_new[ap.job_group[jobs]],
        required=ap.group_required[groups],
        levels=levels,
        cliques=_restrict_rows(ap.cliques, keep, new_index, 2),
        composition=_restrict_rows(ap.composition, keep, new_index, 0, comp_keep, owner_map=job_new),
        capacity=_restrict_rows(ap.capacity, keep, new_index, 1, rhs=cap_rhs),
        pinned=_restrict_rows(ap.pinned, keep, new_index, 0, pin_keep),
        meta=dict(ap.meta),
    )
    return Sub(sub, arcs, jobs, fixed_arcs)


def _gather(ptr: I64, idx: I64, items: I64) -> tuple[I64, I64]:
    """CSR entries of rows ``items``: (position in ``items``, column) pairs."""
    lens = ptr[items + 1] - ptr[items]
    owner = np.repeat(np.arange(len(items), dtype=np.int64), lens)
    first = np.repeat(ptr[items] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return owner, idx[first + np.arange(len(owner), dtype=np.int64)]


def _csr_of(keys: I64, n: int) -> tuple[I64, I64]:
    """CSR (ptr, positions) grouping positions 0..len-1 by ``keys`` in [0, n)."""
    order = np.argsort(keys, kind="stable").astype(np.int64)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n))]).astype(np.int64)
    return ptr, order


class Restrictor:
    """:func:`restrict` in time proportional to the neighbourhood, for repeated use (LNS).

    It keeps, for the current solution, its chosen arcs (``chosen``, and ``arcs`` in
    increasing order), the number of chosen arcs in every clique row and the chosen load
    per agent and per capacity row; :meth:`move` updates them when the solution changes.
    An instance is meant for one thread (:meth:`restrict` uses a scratch array of its own).
    """

    def __init__(self, ap: ArcProblem, chosen: B, rows: ArcRows | None = None) -> None:
        self.ap = ap
        n = ap.n_arcs
        self.g_ptr, self.g_arcs = _csr_of(ap.job_group[ap.arc_job], ap.n_groups)
        rows = rows if rows is not None else ArcRows.of(ap)
        self.cl_ptr, self.cl_idx, self.cp_ptr, self.cp_idx = rows.cl_ptr, rows.cl_idx, rows.cp_ptr, rows.cp_idx
        self.comp_ptr, self.comp_rows = _csr_of(ap.composition.owner, ap.n_jobs)
        pin_group = (
            ap.job_group[ap.arc_job[ap.pinned.indices[ap.pinned.indptr[:-1]]]]
            if len(ap.pinned)
            else np.zeros(0, np.int64)
        )
        self.pin_ptr, self.pin_rows = _csr_of(pin_group.astype(np.int64), ap.n_groups)
        self.chosen = np.zeros(n, bool)
        self.arcs = np.zeros(0, np.int64)
        self.row_chosen = np.zeros(len(ap.cliques), np.int64)
        self.agent_load = np.zeros(ap.n_agents, np.int64)
        self.cap_load = np.zeros(len(ap.capacity), np.int64)
        self._new_index = np.full(n, -1, np.int64)  # -1 but for a sub-problem's arcs while it is built
        self.move(chosen)

    def _changed(self, chosen: B, touched: I64 | None) -> I64:
        """The arcs where ``chosen`` differs from the current solution (looked for in ``touched`` when given)."""
        if touched is None:
            return np.flatnonzero(chosen != self.chosen).astype(np.int64)
        return touched[chosen[touched] != self.chosen[touched]]

    def _flip(self, changed: I64) -> None:
        """Toggle the distinct arcs ``changed`` in the current solution and update the counts."""
        ap = self.ap
        was = self.chosen[changed]
        sign = np.where(was, -1, 1).astype(np.int64)
        o, rows = _gather(self.cl_ptr, self.cl_idx, changed)
        np.add.at(self.row_chosen, rows, sign[o])
        np.add.at(self.agent_load, ap.arc_agent[changed], sign * ap.arc_load[changed])
        o, rows = _gather(self.cp_ptr, self.cp_idx, changed)
        np.add.at(self.cap_load, rows, (sign * ap.arc_load[changed])[o])
        self.chosen[changed] = ~was
        kept = self.arcs[self.chosen[self.arcs]]
        added = np.sort(changed[~was])
        self.arcs = np.insert(kept, np.searchsorted(kept, added), added)

    def move(self, chosen: B, touched: I64 | None = None) -> None:
        """Make ``chosen`` the current solution.

        Parameters
        ----------
        chosen : bool array over arcs
            The new solution (copied from).
        touched : int array, optional
            Distinct arcs outside which ``chosen`` equals the current solution (then only
            these are compared, not every arc).
        """
        self._flip(self._changed(chosen, touched))

    def group_arcs(self, free_groups: B) -> I64:
        """Every arc of the groups where ``free_groups`` is true."""
        return self.arcs_of(np.flatnonzero(free_groups).astype(np.int64))

    def arcs_of(self, groups: I64) -> I64:
        """Every arc of ``groups`` (group by group, each group's in increasing order)."""
        return _gather(self.g_ptr, self.g_arcs, groups)[1]

    def try_move(self, chosen: B, touched: I64 | None = None) -> bool:
        """Make ``chosen`` current if the rows, agent capacities and capacity rows its new arcs touch hold.

        Used when parts solved side by side are merged: each part is feasible against the
        solution it was cut from, and this checks it still is against the current one
        (rows inside the freed groups are each part's own business). ``touched`` is as in
        :meth:`move`.
        """
        ap = self.ap
        changed = self._changed(chosen, touched)
        added = changed[chosen[changed]]
        self._flip(changed)
        if not len(added):
            return True
        _, rows = _gather(self.cl_ptr, self.cl_idx, added)
        ok = bool(np.all(self.row_chosen[rows] <= ap.cliques.rhs[rows]))
        ag = ap.arc_agent[added]
        cap = ap.agent_capacity[ag]
        ok &= bool(np.all((cap < 0) | (self.agent_load[ag] <= cap)))
        _, rows = _gather(self.cp_ptr, self.cp_idx, added)
        ok &= bool(np.all(self.cap_load[rows] <= ap.capacity.rhs[rows]))
        if not ok:
            self._flip(changed)
        return ok

    def restrict(self, free_groups: B, allowed: B | None = None) -> Sub:
        """Same as :func:`restrict` with the current solution."""
        ap = self.ap
        chosen = self.chosen
        groups = np.flatnonzero(free_groups).astype(np.int64)
        _, free = _gather(self.g_ptr, self.g_arcs, groups)
        free = np.sort(free)
        if allowed is not None:  # the rest is dropped anyway: leave it out of the row work
            free = free[allowed[free] | chosen[free]]
        ch_free = free[chosen[free]]
        # clique rows: blocked when a chosen arc outside the free groups is in them
        o, rows = _gather(self.cl_ptr, self.cl_idx, free)
        _, ch_rows = _gather(self.cl_ptr, self.cl_idx, ch_free)
        urows, inv = np.unique(rows, return_inverse=True)
        free_chosen_in = np.bincount(np.searchsorted(urows, ch_rows), minlength=len(urows))
        row_fixed = (self.row_chosen[urows] - free_chosen_in) > 0
        blocked = np.bincount(o, weights=row_fixed[inv], minlength=len(free)) > 0
        # capacities less the fixed load
        ch_load = np.bincount(ap.arc_agent[ch_free], weights=ap.arc_load[ch_free], minlength=ap.n_agents)
        fixed_load = self.agent_load - ch_load.astype(np.int64)
        cap = np.where(ap.agent_capacity >= 0, ap.agent_capacity - fixed_load, -1)
        ok = ~blocked & ((cap[ap.arc_agent[free]] < 0) | (ap.arc_load[free] <= cap[ap.arc_agent[free]]))
        arcs = free[ok]
        jobs = np.flatnonzero(free_groups[ap.job_group]).astype(np.int64)
        job_new = np.full(ap.n_jobs, -1, np.int64)
        job_new[jobs] = np.arange(len(jobs))
        grp_new = np.full(ap.n_groups, -1, np.int64)
        grp_new[groups] = np.arange(len(groups))
        _, crow = _gather(self.comp_ptr, self.comp_rows, jobs)
        kr = unique_ints(_gather(self.cp_ptr, self.cp_idx, arcs)[1])
        ko, ch_k = _gather(self.cp_ptr, self.cp_idx, ch_free)
        ch_kload = np.zeros(len(ap.capacity), np.int64)
        np.add.at(ch_kload, ch_k, ap.arc_load[ch_free][ko])
        _, prow = _gather(self.pin_ptr, self.pin_rows, groups)
        new_index = self._new_index  # all -1 but here: not one n_arcs array per part
        new_index[arcs] = np.arange(len(arcs))
        try:
            cliques = _sub_rows(ap.cliques, urows, new_index, 2)
            composition = _sub_rows(ap.composition, np.sort(crow), new_index, 0, owner_map=job_new)
            capacity = _sub_rows(ap.capacity, kr, new_index, 1, rhs=ap.capacity.rhs - (self.cap_load - ch_kload))
            pinned = _sub_rows(ap.pinned, np.sort(prow), new_index, 0)
        finally:
            new_index[arcs] = -1
        # the chosen arcs outside the free groups (every chosen arc of those is in ``free``)
        fixed = self.arcs[~free_groups[ap.job_group[ap.arc_job[self.arcs]]]]
        levels = [_restrict_level(lv, arcs, jobs, fixed) for lv in ap.levels]
        sub = ArcProblem.build(
            n_agents=ap.n_agents,
            n_jobs=len(jobs),
            arc_agent=ap.arc_agent[arcs],
            arc_job=job_new[ap.arc_job[arcs]],
            arc_load=ap.arc_load[arcs],
            agent_capacity=cap,
            job_min=ap.job_min[jobs],
            job_max=ap.job_max[jobs],
            job_group=grp_new[ap.job_group[jobs]],
            required=ap.group_required[groups],
            levels=levels,
            cliques=cliques,
            composition=composition,
            capacity=capacity,
            pinned=pinned,
            meta=dict(ap.meta),
        )
        return Sub(sub, arcs, jobs, fixed)


def _sub_rows(
    rows: Rows, sel: I64, new_index: I64, min_len: int, *, rhs: I64 | None = None, owner_map: I64 | None = None
) -> Rows:
    """Rows ``sel`` of ``rows`` with their arcs renumbered by ``new_index`` (dropped where -1)."""
    o, arcs = _gather(rows.indptr, rows.indices, sel)
    m = new_index[arcs] >= 0
    o, arcs = o[m], new_index[arcs[m]]
    lens = np.bincount(o, minlength=len(sel))
    keep = lens >= min_len
    ko = keep[o]
    indptr = np.concatenate([[0], np.cumsum(lens[keep])]).astype(np.int64)
    r = (rows.rhs if rhs is None else rhs)[sel][keep]
    owner = rows.owner[sel][keep]
    if owner_map is not None:
        owner = owner_map[owner]
    return Rows(indptr, arcs[ko].astype(np.int64), r.astype(np.int64), owner.astype(np.int64))
