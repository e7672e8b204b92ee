"""Deferred acceptance on integer arrays (internal to :mod:`vmatch.stable`).

One kernel serves both directions. *Proposers* have a quota (1 for requesters, the capacity for
providers) and a strict list of *receivers*; a receiver holds at most ``slots`` proposals, the best
by its strict rank. The algorithm runs in rounds: every proposer short of its quota proposes to as
many next receivers as it has free places, all at once, and each receiver that got proposals keeps
its best ones (one ``argsort`` over the proposals and the held pairs of the receivers concerned).
When few proposers remain active it finishes with a sequential loop over per-receiver heaps, so a
long tail of one-proposal rounds costs microseconds, not a numpy call each. The outcome of
deferred acceptance does not depend on the order of proposals (McVitie and Wilson 1971), so both
phases reach the proposer-optimal stable matching.

Examples
--------
>>> import numpy as np
>>> ptr = np.array([0, 2, 4])           # proposer 0 lists receivers 0, 1; proposer 1 lists 0, 1
>>> recv = np.array([0, 1, 0, 1])
>>> rank = np.array([1, 0, 0, 1])       # receiver 0 prefers proposer 1, receiver 1 proposer 0
>>> deferred_acceptance(ptr, recv, rank, np.ones(2, np.int64), np.ones(2, np.int64)).tolist()
[False, True, True, False]
"""

from __future__ import annotations

import heapq
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._stable_prefs import PrefArrays

__all__ = ["deferred_acceptance", "edges_to_dict", "matched_edges", "ranges"]

_log = logging.getLogger(__name__)
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Below this many active proposers the sequential tail takes over.
TAIL_SWITCH = 256


def ranges(starts: IntArray, lens: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + n)`` for each ``(s, n)``."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.cumsum(lens) - lens
    return np.arange(total, dtype=np.int64) - np.repeat(offs - starts, lens)


def deferred_acceptance(
    ptr: IntArray,
    recv: IntArray,
    rank: IntArray,
    quota: IntArray,
    slots: IntArray,
    *,
    tail_switch: int | None = None,
) -> BoolArray:
    """Proposer-optimal stable matching; returns which edges are matched.

    Parameters
    ----------
    ptr : int array, shape (n_prop + 1,)
        CSR pointers: proposer ``a`` lists edges ``ptr[a]:ptr[a+1]``, best first.
    recv : int array, shape (n_edges,)
        Receiver of each edge.
    rank : int array, shape (n_edges,)
        The receiver's strict rank of the edge's proposer (lower is better; distinct per receiver).
    quota : int array, shape (n_prop,)
        How many receivers each proposer may hold.
    slots : int array, shape (n_recv,)
        How many proposers each receiver may hold.
    tail_switch : int, optional
        Number of active proposers below which the sequential loop finishes the run
        (0: rounds only; a huge number: sequential only); default :data:`TAIL_SWITCH`.
    """
    switch = TAIL_SWITCH if tail_switch is None else tail_switch
    n_prop = len(ptr) - 1
    n_edges = len(recv)
    prop = np.repeat(np.arange(n_prop, dtype=np.int64), np.diff(ptr))
    deg = np.bincount(recv, minlength=len(slots)).astype(np.int64)
    cnt = np.minimum(slots, deg)
    sstart = np.zeros(len(slots) + 1, dtype=np.int64)
    np.cumsum(cnt, out=sstart[1:])
    s_edge = np.full(int(sstart[-1]), -1, dtype=np.int64)
    big = int(rank.max()) + 1 if n_edges else 1
    s_rank = np.full(int(sstart[-1]), big, dtype=np.int64)
    nxt = ptr[:-1].copy()
    end = ptr[1:]
    held = np.zeros(n_prop, dtype=np.int64)
    active = np.flatnonzero((quota > 0) & (nxt < end))
    one = bool((cnt <= 1).all())  # every receiver holds at most one: no sorting needed
    rounds = 0
    while len(active) >= max(switch, 1):
        rounds += 1
        k = np.minimum(quota[active] - held[active], end[active] - nxt[active])
        edges = ranges(nxt[active], k)
        nxt[active] += k
        held[active] += k
        if one:
            rej = _round_one(edges, recv, rank, cnt, sstart, s_edge, s_rank)
        else:
            rej = _round_sort(edges, recv, rank, cnt, sstart, s_edge, s_rank, big)
        ua, ca = np.unique(prop[rej], return_counts=True)
        held[ua] -= ca
        active = ua[nxt[ua] < end[ua]]
    if len(active):
        _sequential(active, nxt, end, held, quota, prop, recv, rank, cnt, sstart, s_edge)
    _log.debug("deferred acceptance: %d edges, %d vectorised rounds", n_edges, rounds)
    matched = np.zeros(n_edges, dtype=bool)
    matched[s_edge[s_edge >= 0]] = True
    return matched


def _round_sort(
    edges: IntArray,
    recv: IntArray,
    rank: IntArray,
    cnt: IntArray,
    sstart: IntArray,
    s_edge: IntArray,
    s_rank: IntArray,
    big: int,
) -> IntArray:
    """One round: each receiver keeps its best among held and new; returns the rejected edges.

    A receiver's slots are kept sorted by rank (empty slots, rank ``big``, last), so a proposal
    no better than the last slot of a full receiver is rejected without touching its slots.
    """
    b = recv[edges]
    last = s_rank[np.maximum(sstart[b] + cnt[b] - 1, 0)]
    ok = (cnt[b] > 0) & (rank[edges] < last)
    direct = edges[~ok]
    edges, b = edges[ok], b[ok]
    u = np.unique(b)
    ucnt = cnt[u]
    sl = ranges(sstart[u], ucnt)
    pool_e = np.concatenate((s_edge[sl], edges))
    pool_b = np.concatenate((np.repeat(u, ucnt), b))
    pool_r = np.concatenate((s_rank[sl], rank[edges]))
    order = np.argsort(pool_b * (big + 1) + pool_r)
    sb = pool_b[order]
    first = np.ones(len(sb), dtype=bool)
    first[1:] = sb[1:] != sb[:-1]
    starts = np.flatnonzero(first)
    pos = np.arange(len(sb), dtype=np.int64) - starts[np.cumsum(first) - 1]
    keep = pos < cnt[sb]
    kept = order[keep]
    dst = sstart[sb[keep]] + pos[keep]
    s_edge[dst] = pool_e[kept]
    s_rank[dst] = pool_r[kept]
    rej = pool_e[order[~keep]]
    return np.concatenate((direct, rej[rej >= 0]))


def _round_one(
    edges: IntArray,
    recv: IntArray,
    rank: IntArray,
    cnt: IntArray,
    sstart: IntArray,
    s_edge: IntArray,
    s_rank: IntArray,
) -> IntArray:
    """:func:`_round_sort` when every receiver holds at most one: a scatter-min, no sort."""
    b = recv[edges]
    ok = cnt[b] > 0
    e1 = edges[ok]
    r1 = rank[e1]
    slot = sstart[b[ok]]
    old = s_edge[slot]
    np.minimum.at(s_rank, slot, r1)
    win = r1 == s_rank[slot]  # ranks are distinct per receiver: one winner at most
    s_edge[slot[win]] = e1[win]
    displaced = old[win]
    return np.concatenate((edges[~ok], e1[~win], displaced[displaced >= 0]))


def _sequential(
    active: IntArray,
    nxt_a: IntArray,
    end_a: IntArray,
    held_a: IntArray,
    quota_a: IntArray,
    prop_a: IntArray,
    recv_a: IntArray,
    rank_a: IntArray,
    cnt_a: IntArray,
    sstart_a: IntArray,
    s_edge: IntArray,
) -> None:
    """Finish deferred acceptance one proposal at a time; updates ``s_edge`` in place.

    Arrays are read through memoryviews (a Python int per access, no numpy scalar), and only
    the receivers the tail touches get a heap.
    """
    nxt, end, held, quota, prop, recv, rank, cnt, sstart = (
        np.ascontiguousarray(x).data for x in (nxt_a, end_a, held_a, quota_a, prop_a, recv_a, rank_a, cnt_a, sstart_a)
    )
    heaps: dict[int, list[tuple[int, int]]] = {}  # receiver -> max-heap of (-rank, edge)
    stack = active.tolist()
    heappush, heapreplace = heapq.heappush, heapq.heapreplace
    while stack:
        a = stack.pop()
        while held[a] < quota[a] and nxt[a] < end[a]:
            e = nxt[a]
            nxt[a] = e + 1
            b = recv[e]
            heap = heaps.get(b)
            if heap is None:
                sl = s_edge[sstart[b] : sstart[b] + cnt[b]]
                sl = sl[sl >= 0]
                heap = list(zip((-rank_a[sl]).tolist(), sl.tolist(), strict=True))
                heapq.heapify(heap)
                heaps[b] = heap
            r = rank[e]
            if len(heap) < cnt[b]:
                heappush(heap, (-r, e))
                held[a] += 1
            elif heap and -heap[0][0] > r:
                _, out = heapreplace(heap, (-r, e))
                held[a] += 1
                loser = prop[out]
                held[loser] -= 1
                stack.append(loser)
    for b, heap in heaps.items():
        s0 = int(sstart_a[b])
        s_edge[s0 : s0 + int(cnt_a[b])] = -1
        s_edge[s0 : s0 + len(heap)] = [e for _, e in heap]


def matched_edges(pa: PrefArrays, optimal: str = "requester") -> IntArray:
    """Indices (requester-major, ascending) of the edges of the proposer-optimal stable matching."""
    if optimal == "requester":
        quota = np.ones(pa.n_req, dtype=np.int64)
        m = deferred_acceptance(pa.req_ptr(), pa.e_p, pa.p_pos, quota, pa.cap)
        return np.flatnonzero(m)
    if optimal == "provider":
        perm = pa.by_prov
        ptr = np.zeros(pa.n_prov + 1, dtype=np.int64)
        np.cumsum(np.bincount(pa.e_p, minlength=pa.n_prov), out=ptr[1:])
        slots = np.ones(pa.n_req, dtype=np.int64)
        m = deferred_acceptance(ptr, pa.e_r[perm], pa.r_pos[perm], pa.cap, slots)
        return np.sort(perm[m])
    raise ValueError(f"optimal must be 'requester' or 'provider', got {optimal!r}")


def edges_to_dict(pa: PrefArrays, edges: IntArray) -> dict[Any, Any]:
    """``{requester: provider}`` for the given edge indices, in requester order."""
    req, prov = pa.req_ids, pa.prov_ids
    return {req[r]: prov[p] for r, p in zip(pa.e_r[edges].tolist(), pa.e_p[edges].tolist(), strict=True)}
