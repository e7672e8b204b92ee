"""Bounds valid for the full arc problem: a min-cost-flow relaxation and the LP relaxation.

:func:`flow_bound` relaxes the conflict and workload rules to counts and solves a
min-cost flow (OR-Tools ``SimpleMinCostFlow``)::

    source -> agent -> [capacity-row block] -> conflict cluster -> (agent, group) -> group -> sink

* agent: at most as many arcs as the smallest per-group loads that fit its capacity;
* block: the clusters of one agent inside one capacity row (per-day workload), at most
  as many arcs as the smallest loads that fit the row;
* cluster: when ``ap.meta`` holds ``job_start``/``job_end`` (one entry per job), a run
  of one agent's arcs whose time intervals overlap, at most the maximum independent set
  of those intervals; this relies on the promise that two arcs of one agent whose jobs
  overlap in time share a clique row, as :func:`vmatch.compile.compile_problem`
  guarantees (other clique rows, e.g. travel time, are then relaxed). Without times, a
  connected set of one agent's arcs linked by clique rows, at most a clique cover's size
  of them (slower: it walks every clique row);
* (agent, group): at most one arc (one job of a group is served, so an agent has at
  most one arc in it), worth the largest coefficient among its arcs in the cluster;
* group: at most the largest head-count of its jobs.

A source -> sink bypass lets flow stay unused. Arcs no feasible solution can hold (see
:func:`feasible_arcs`) are left out first; minimum head-counts, composition rows,
required groups and pins are otherwise relaxed. The LP relaxation of the whole model
is in :mod:`vmatch.solvers.lp`.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level, csr_from_lists
>>> ap = ArcProblem.build(n_agents=2, n_jobs=3, arc_agent=[0, 0, 1, 1], arc_job=[0, 1, 1, 2],
...                       cliques=csr_from_lists([[0, 1]]), agent_capacity=[-1, 1],
...                       levels=[Level("coverage", [1.0, 2.0, 2.0, 1.0])])
>>> flow_bound(ap)
3.0
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.sparse.csgraph import connected_components

from vmatch.arcs import ArcProblem, Level, Rows
from vmatch.solvers.subproblem import unique_ints

__all__ = ["feasible_arcs", "flow_bound"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_BIG = np.iinfo(np.int64).max // 4


def _entries(rows: Rows) -> tuple[I64, I64]:
    """(row, arc) of every entry of ``rows``."""
    return np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(rows.indptr)), rows.indices


def _groups(keys: I64) -> tuple[I64, I64]:
    """Unique keys and the index of each key among them (``np.unique(keys, return_inverse=True)``
    by one unstable sort: about half its time on millions of keys)."""
    keys = np.asarray(keys, np.int64).reshape(-1)
    if not len(keys):
        return keys.copy(), np.zeros(0, np.int64)
    order = np.argsort(keys)
    s = keys[order]
    new = np.empty(len(s), bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    inv = np.empty(len(s), np.int64)
    inv[order] = np.cumsum(new) - 1
    return s[new], inv


def _seg_reduce(ufunc: np.ufunc, seg: I64, vals: I64, n: int, fill: int) -> I64:
    """``ufunc`` of ``vals`` over each segment id in ``seg`` (``fill`` where a segment is empty)."""
    out = np.full(n, fill, np.int64)
    if len(seg):
        order = np.argsort(seg, kind="stable")
        s = seg[order]
        starts = np.concatenate([[0], np.flatnonzero(np.diff(s)) + 1])
        out[s[starts]] = ufunc.reduceat(vals[order], starts)
    return out


def _count_fit(seg: I64, loads: I64, cap: I64, n: int) -> I64:
    """Per segment, how many of its loads fit ``cap[segment]`` taken smallest first (cap < 0: all)."""
    order = np.lexsort((loads, seg))
    s, ld = seg[order], loads[order]
    cs = np.cumsum(ld)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(s)) + 1]) if len(s) else s
    base = np.repeat(cs[starts] - ld[starts], np.diff(np.append(starts, len(s))))
    c = cap[s]
    fits = (c < 0) | (cs - base <= c)
    return np.bincount(s, weights=fits, minlength=n).astype(np.int64)


def feasible_arcs(ap: ArcProblem) -> npt.NDArray[np.bool_]:
    """Arcs not ruled out by a single rule: load above a capacity, head-count or composition unreachable."""
    ok = ap.job_max[ap.arc_job] >= 1
    cap = ap.agent_capacity[ap.arc_agent]
    ok &= (cap < 0) | (ap.arc_load <= cap)
    r, a = _entries(ap.capacity)
    ok[a[ap.arc_load[a] > ap.capacity.rhs[r]]] = False
    per_job = np.bincount(ap.arc_job[ok], minlength=ap.n_jobs)
    dead = (per_job < ap.job_min) | (ap.job_max < ap.job_min)
    if len(ap.composition):
        r, a = _entries(ap.composition)
        have = np.bincount(r, weights=ok[a], minlength=len(ap.composition))
        dead[ap.composition.owner[have < ap.composition.rhs]] = True
    return np.asarray(ok & ~dead[ap.arc_job])


def _clusters(ap: ArcProblem, idx: I64, agent: I64) -> tuple[I64, int, I64]:
    """Cluster label of each kept arc, the number of clusters, and a clique-cover size per cluster.

    A cluster is a connected set of one agent's arcs linked by clique rows (a row over
    several agents counts as one row per agent).
    """
    n = len(idx)
    new = np.full(ap.n_arcs, -1, np.int64)
    new[idx] = np.arange(n)
    r, a = _entries(ap.cliques)
    a = new[a]
    m = a >= 0
    r, a = r[m], a[m]
    ra = agent[a]
    starts = np.flatnonzero(np.concatenate([[True], r[1:] != r[:-1]])) if len(r) else r
    single = np.minimum.reduceat(ra, starts) == np.maximum.reduceat(ra, starts) if len(r) else r
    if np.all(single):  # rows are per agent (as compiled): a row is a part
        part = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, len(r))))
        npart = len(starts)
    else:
        _, part = _groups(r * (ap.n_agents + 1) + ra)
        npart = int(part.max()) + 1
    head = np.full(npart, -1, np.int64)
    head[part[::-1]] = a[::-1]  # the first arc of each part
    g = sp.coo_matrix((np.ones(len(a), np.int8), (a, head[part])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    ul, cl = _groups(lab.astype(np.int64))
    # cover: each arc by its largest part; arcs in no row are single clusters
    size = np.bincount(part, minlength=npart)
    order = np.lexsort((-size[part], a))
    first = np.concatenate([[True], np.diff(a[order]) != 0]) if len(a) else np.zeros(0, bool)
    used = unique_ints(cl[a[order][first]] * (npart + 1) + part[order][first])
    cover = np.bincount(used // (npart + 1), minlength=len(ul)).astype(np.int64)
    cover[cover == 0] = 1
    return cl, len(ul), cover


def _time_clusters(agent: I64, s: I64, e: I64) -> tuple[I64, int]:
    """Cluster label of each arc: the connected runs of one agent's overlapping intervals [s, e)."""
    t0 = min(int(s.min()), int(e.min()))
    big = max(int(s.max()), int(e.max())) - t0 + 2
    order = np.lexsort((s, agent))
    ao = agent[order]
    reach = np.maximum.accumulate(ao * big + (e[order] - t0))
    new = np.ones(len(ao), bool)
    new[1:] = (ao[1:] != ao[:-1]) | (ao[1:] * big + (s[order][1:] - t0) >= reach[:-1])
    cl = np.empty(len(ao), np.int64)
    cl[order] = np.cumsum(new) - 1
    return cl, int(new.sum())


def _interval_mis(cl: I64, n_cl: int, s: I64, e: I64) -> I64:
    """Per cluster, the maximum number of pairwise disjoint intervals [s, e) (greedy by earliest end)."""
    t0 = min(int(s.min()), int(e.min()))
    s, e = s - t0, e - t0
    big = int(max(s.max(), e.max())) + 2
    order = np.lexsort((s, cl))
    key = cl[order] * big + s[order]
    sufmin = np.minimum.accumulate((cl[order] * big + e[order])[::-1])[::-1]
    count = np.zeros(n_cl, np.int64)
    t = _seg_reduce(np.minimum, cl, e, n_cl, _BIG)  # end of the first pick
    active = np.flatnonzero(t < _BIG)
    t = t[active]
    while len(active):
        count[active] += 1
        p = np.searchsorted(key, active * big + t, side="left")
        p_ok = p < len(key)
        nxt = np.where(p_ok, sufmin[np.minimum(p, len(key) - 1)], _BIG)
        more = p_ok & (nxt < (active + 1) * big)
        active, t = active[more], nxt[more] - active[more] * big
    return count


def _blocks(ap: ArcProblem, idx: I64, agent: I64, group: I64, load: I64, cl: I64, n_cl: int) -> tuple[I64, I64]:
    """Block of each cluster and fitting-arc count of each capacity row.

    A cluster's block is the capacity row holding all its arcs with the fewest fitting
    arcs (-1: none).
    """
    block_of = np.full(n_cl, -1, np.int64)
    nr = len(ap.capacity)
    if nr == 0:
        return block_of, np.zeros(0, np.int64)
    new = np.full(ap.n_arcs, -1, np.int64)
    new[idx] = np.arange(len(idx))
    r, a = _entries(ap.capacity)
    a = new[a]
    m = a >= 0
    r, a = r[m], a[m]
    ra = unique_ints(r * (len(idx) + 1) + a)
    r, a = ra // (len(idx) + 1), ra % (len(idx) + 1)
    amin = _seg_reduce(np.minimum, r, agent[a], nr, _BIG)
    amax = _seg_reduce(np.maximum, r, agent[a], nr, -1)
    ng = ap.n_groups
    rg, rgi = _groups(r * ng + group[a])
    rg_load = _seg_reduce(np.minimum, rgi, load[a], len(rg), _BIG)
    k = _count_fit(rg // ng, rg_load, ap.capacity.rhs, nr)
    csize = np.bincount(cl, minlength=n_cl)
    rc, rci = _groups(r * n_cl + cl[a])
    whole = (np.bincount(rci, minlength=len(rc)) == csize[rc % n_cl]) & (amin == amax)[rc // n_cl]
    rc = rc[whole]
    rows, cls = rc // n_cl, rc % n_cl
    order = np.lexsort((k[rows], cls))
    first = np.concatenate([[True], np.diff(cls[order]) != 0]) if len(cls) else np.zeros(0, bool)
    block_of[cls[order][first]] = rows[order][first]
    return block_of, k


def _int_coef(coef: npt.NDArray[np.float64], scale: float) -> I64:
    return np.ceil(coef * scale - 1e-9).astype(np.int64)


def _share_floor(lv: Level) -> int:
    """The smallest possible max-share part (per mille) of a level: no arcs chosen."""
    den = np.asarray(lv.share_den, np.int64)
    base = np.zeros(len(den), np.int64) if lv.share_base is None else np.asarray(lv.share_base, np.int64)
    ok = den > 0
    return int((-(-1000 * base[ok] // den[ok])).max()) if ok.any() else 0


def _job_extra(ap: ArcProblem, level: int, servable: npt.NDArray[np.bool_]) -> int:
    """Upper bound (integer units) of the level's per-job part: the best job of each group."""
    lv = ap.levels[level]
    if lv.job_coef is None:
        return 0
    jc = np.maximum(_int_coef(lv.job_coef, lv.scale), 0) * servable
    return int(_seg_reduce(np.maximum, ap.job_group, jc, ap.n_groups, 0).sum())


@dataclass(frozen=True)
class _Net:
    """The flow network of :func:`flow_bound` (costs in integer level units, negated)."""

    tails: I64
    heads: I64
    caps: I64
    costs: I64
    n_nodes: int
    supply: int
    group0: int  # node of group g is group0 + g; the sink is node 1
    extra: int  # the per-job part's bound (integer units)
    share: float  # the max-share part's smallest value (level units)
    arcs: I64  # the arc problem's arcs in the network
    combo_edge: I64  # per arc in ``arcs``: its edge cluster -> (agent, group), capacity 1
    pair_edge: I64  # per arc in ``arcs``: its edge (agent, group) -> group (-1: none), capacity 1


def _network(ap: ArcProblem, level: int) -> _Net | float:
    """The network of :func:`flow_bound`, or the bound itself when no arc can carry weight."""
    lv = ap.levels[level]
    if (
        lv.sense != "max"
        or np.any(lv.coef < 0)
        or (lv.job_coef is not None and np.any(lv.job_coef < 0))
        or lv.share_weight > 0
    ):
        raise ValueError(f"level {lv.name!r}: flow_bound needs a 'max' level with coefficients >= 0")
    share = lv.share_weight * _share_floor(lv) if lv.has_share else 0.0
    w_all = _int_coef(lv.coef, lv.scale)
    ok = feasible_arcs(ap)
    extra = _job_extra(ap, level, np.bincount(ap.arc_job[ok], minlength=ap.n_jobs) > 0)
    idx = np.flatnonzero(ok & (w_all > 0))
    if not len(idx):
        return extra / lv.scale + share
    agent, job, load, w = ap.arc_agent[idx], ap.arc_job[idx], ap.arc_load[idx], w_all[idx]
    group = ap.job_group[job]
    ng = ap.n_groups
    pairs, pair = _groups(agent * ng + group)
    npair = len(pairs)
    p_agent, p_group = pairs // ng, pairs % ng
    p_load = _seg_reduce(np.minimum, pair, load, npair, _BIG)
    k_agent = _count_fit(p_agent, p_load, ap.agent_capacity, ap.n_agents)
    js, je = ap.meta.get("job_start"), ap.meta.get("job_end")
    if js is not None and je is not None and len(js) == ap.n_jobs == len(je):
        s_, e_ = np.asarray(js, np.int64)[job], np.asarray(je, np.int64)[job]
        cl, n_cl = _time_clusters(agent, s_, e_)
        cl_cap = _interval_mis(cl, n_cl, s_, e_)
    else:
        cl, n_cl, cl_cap = _clusters(ap, idx, agent)
    block_of, k_row = _blocks(ap, idx, agent, group, load, cl, n_cl)
    cl_agent = np.zeros(n_cl, np.int64)
    cl_agent[cl] = agent
    # job head-count per group: jobs reachable by kept arcs, capped by their arc counts
    per_job = np.minimum(np.bincount(job, minlength=ap.n_jobs), ap.job_max)
    g_cap = _seg_reduce(np.maximum, ap.job_group, per_job, ng, 0)
    combos, ci = _groups(cl * npair + pair)
    c_w = _seg_reduce(np.maximum, ci, w, len(combos), 0)
    c_cl, c_pair = combos // npair, combos % npair
    multi = np.bincount(c_pair, minlength=npair) > 1
    # node numbering
    src, snk = 0, 1
    n_agent0 = 2
    blocks, b_of = _groups(block_of[block_of >= 0])
    n_block0 = n_agent0 + ap.n_agents
    n_cl0 = n_block0 + len(blocks)
    m_pairs = np.flatnonzero(multi)
    pnode = np.full(npair, -1, np.int64)
    pnode[m_pairs] = n_cl0 + n_cl + np.arange(len(m_pairs))
    n_g0 = n_cl0 + n_cl + len(m_pairs)
    parent = n_agent0 + cl_agent
    parent[block_of >= 0] = n_block0 + b_of
    b_agent = np.zeros(len(blocks), np.int64)
    b_agent[b_of] = cl_agent[block_of >= 0]
    supply = int(k_agent.sum())
    ag = np.flatnonzero(k_agent > 0)
    tails = [
        np.full(len(ag), src),
        n_agent0 + b_agent,
        parent,
        n_cl0 + c_cl,
        pnode[m_pairs],
        n_g0 + np.arange(ng),
        [src],
    ]
    heads = [
        n_agent0 + ag,
        n_block0 + np.arange(len(blocks)),
        n_cl0 + np.arange(n_cl),
        np.where(multi[c_pair], pnode[c_pair], n_g0 + p_group[c_pair]),
        n_g0 + p_group[m_pairs],
        np.full(ng, snk),
        [snk],
    ]
    caps = [k_agent[ag], k_row[blocks], cl_cap, np.ones(len(combos)), np.ones(len(m_pairs)), g_cap, [supply]]
    costs = [np.zeros(len(ag)), np.zeros(len(blocks)), np.zeros(n_cl), -c_w, np.zeros(len(m_pairs)), np.zeros(ng), [0]]
    t, h, c, k = (np.concatenate([np.asarray(x, np.int64) for x in part]) for part in (tails, heads, caps, costs))
    e_combo = len(ag) + len(blocks) + n_cl
    m_rank = np.cumsum(multi) - 1
    pair_edge = np.where(multi[pair], e_combo + len(combos) + m_rank[pair], -1)
    return _Net(t, h, c, k, n_g0 + ng, supply, n_g0, extra, share, idx, e_combo + ci, pair_edge)


def _solve_net(net: _Net) -> min_cost_flow.SimpleMinCostFlow:
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, net.costs)
    supplies = np.zeros(net.n_nodes, np.int64)
    supplies[0], supplies[1] = net.supply, -net.supply
    mcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), supplies)
    st = mcf.solve()
    if st != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {st}")
    return mcf


def flow_bound(ap: ArcProblem, level: int = 0) -> float:
    """Upper bound on the maximum of level ``level`` (sense "max", coefficients >= 0) over the full problem.

    See the module docstring for the flow network. The value is in level units. A
    max-share part with a negative weight adds its smallest possible value.

    Raises
    ------
    ValueError
        If the level is not a maximisation with non-negative coefficients (and a
        non-positive max-share weight).
    """
    t0 = time.perf_counter()
    net = _network(ap, level)
    if isinstance(net, float):
        return net
    mcf = _solve_net(net)
    lv = ap.levels[level]
    value = -int(mcf.optimal_cost()) + net.extra
    log.info("flow bound %s: %d nodes, %d arcs, %.2fs", lv.name, net.n_nodes, len(net.tails), time.perf_counter() - t0)
    return value / lv.scale + net.share
