"""Stable matching when some of a provider's orders cannot be served together (time conflicts).

``conflicts[p]`` lists *conflict sets* of requesters: provider ``p`` serves at most one
requester of each set (for example the orders whose times overlap at one moment; a pair of
overlapping orders is a set of two), and at most its capacity in all. A set of requesters that
respects both is *feasible* for ``p``.

The algorithm and the guarantee that holds are in :func:`stable_match_with_conflicts`.

Examples
--------
>>> rp = {"a": ["p"], "b": ["p"], "c": ["p"]}
>>> pp = {"p": ["a", "b", "c"]}
>>> stable_match_with_conflicts(rp, pp, {"p": 2}, {"p": [{"a", "b"}]})
{'a': 'p', 'c': 'p'}
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from vmatch._stable_da import IntArray, edges_to_dict
from vmatch._stable_prefs import PrefArrays, build_pref_arrays
from vmatch.errors import ModelError

__all__ = ["stable_match_with_conflicts"]

_log = logging.getLogger(__name__)
R = TypeVar("R")
P = TypeVar("P")
_EMPTY: frozenset[int] = frozenset()


def _edge_cliques(pa: PrefArrays, conflicts: Mapping[Any, Iterable[Iterable[Any]]] | None) -> list[frozenset[int]]:
    """For each edge, the ids of the conflict sets of its provider that contain its requester."""
    cl: list[frozenset[int]] = [_EMPTY] * len(pa.e_r)
    if not conflicts:
        return cl
    ridx = {r: i for i, r in enumerate(pa.req_ids)}
    pidx = {p: i for i, p in enumerate(pa.prov_ids)}
    edge_of = {(r, p): e for e, (r, p) in enumerate(zip(pa.e_r.tolist(), pa.e_p.tolist(), strict=True))}
    acc: dict[int, set[int]] = {}
    cid = 0
    for p_id, sets in conflicts.items():
        p = pidx.get(p_id)
        if isinstance(sets, (str, bytes)) or not isinstance(sets, Iterable):
            raise ModelError(f"provider {p_id!r}: field 'conflicts' must be a list of sets of requesters")
        for group in sets:
            if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
                raise ModelError(f"provider {p_id!r}: conflict set {group!r} is not a set of requesters")
            cid += 1
            if p is None:
                continue
            for r_id in group:
                try:
                    r = ridx.get(r_id)
                except TypeError:
                    raise ModelError(f"provider {p_id!r}: conflict member {r_id!r} is not an id") from None
                e = edge_of.get((r, p)) if r is not None else None
                if e is not None:
                    acc.setdefault(e, set()).add(cid)
    for e, s in acc.items():
        cl[e] = frozenset(s)
    return cl


def conflict_matched_edges(pa: PrefArrays, cliques: list[frozenset[int]]) -> list[int]:
    """Edges of the matching described in the module docstring (requester-major order)."""
    ptr = pa.req_ptr().tolist()
    e_r, e_p, pos = pa.e_r.tolist(), pa.e_p.tolist(), pa.p_pos.tolist()
    cap = pa.cap.tolist()
    held: list[list[int]] = [[] for _ in range(pa.n_prov)]  # edges, provider's best first
    nxt = ptr[:-1]
    stack = list(range(pa.n_req - 1, -1, -1))
    while stack:
        r = stack.pop()
        while nxt[r] < ptr[r + 1]:
            e = nxt[r]
            nxt[r] = e + 1
            p = e_p[e]
            cand = held[p]
            bisect.insort(cand, e, key=pos.__getitem__)
            keep: list[int] = []
            used: set[int] = set()
            for x in cand:
                if len(keep) < cap[p] and used.isdisjoint(cliques[x]):
                    keep.append(x)
                    used.update(cliques[x])
                elif x != e:
                    stack.append(e_r[x])
            held[p] = keep
            if e in keep:
                break
    match: list[int | None] = [None] * pa.n_req
    for p in range(pa.n_prov):
        for e in held[p]:
            match[e_r[e]] = e
    moves = _repair(pa, cliques, held, match)
    _log.debug("matching with conflicts: %d pairs, %d repair moves", len(e_r), moves)
    return sorted(e for e in match if e is not None)


def _repair(pa: PrefArrays, cliques: list[frozenset[int]], held: list[list[int]], match: list[int | None]) -> int:
    """Move requesters to preferred providers that can add them without dropping anyone."""
    e_r, e_p, pos = pa.e_r.tolist(), pa.e_p.tolist(), pa.p_pos.tolist()
    cap = pa.cap.tolist()
    perm: IntArray = pa.by_prov
    by_p: list[list[int]] = [[] for _ in range(pa.n_prov)]
    for e in perm.tolist():
        by_p[e_p[e]].append(e)
    used = [set().union(*(cliques[e] for e in h)) for h in held]
    queue = deque(range(pa.n_prov))
    queued = [True] * pa.n_prov
    moves = 0
    while queue:
        p = queue.popleft()
        queued[p] = False
        for e in by_p[p]:
            if len(held[p]) >= cap[p]:
                break
            r = e_r[e]
            cur = match[r]
            if (cur is not None and cur <= e) or not used[p].isdisjoint(cliques[e]):
                continue
            if cur is not None:
                q = e_p[cur]
                held[q].remove(cur)
                used[q] = set().union(*(cliques[x] for x in held[q]))
                if not queued[q]:
                    queued[q] = True
                    queue.append(q)
            bisect.insort(held[p], e, key=pos.__getitem__)
            used[p].update(cliques[e])
            match[r] = e
            moves += 1
    return moves


def stable_match_with_conflicts(
    requester_prefs: Mapping[R, Sequence[Any]],
    provider_prefs: Mapping[P, Sequence[Any]],
    capacities: Mapping[P, int] | None = None,
    conflicts: Mapping[P, Iterable[Iterable[R]]] | None = None,
) -> dict[R, P]:
    """Matching with capacities and per-provider time conflicts, with the guarantee of the Notes.

    Parameters
    ----------
    requester_prefs, provider_prefs, capacities
        As for :func:`vmatch.stable.stable_match` (ties allowed).
    conflicts : mapping provider -> iterable of sets of requesters, optional
        Provider ``p`` serves at most one requester of each set. Ids that ``p`` does not find
        acceptable are ignored.

    Returns
    -------
    dict
        ``{requester: provider}``, feasible and non-wasteful; the requester-optimal stable matching
        when each provider's conflict sets are pairwise disjoint.

    Raises
    ------
    ModelError
        Bad preferences or capacities (as :func:`~vmatch.stable.stable_match`), or a conflict
        entry that is not a collection of requester ids.

    Notes
    -----
    Requester-proposing deferred acceptance in which a provider, on each proposal,
    keeps the greedy best feasible subset of what it holds plus the newcomer: it goes through them
    in its order and takes each one that still fits (capacity, and no conflict with those already
    taken); the others are rejected and propose further down their lists. A final *repair* pass
    moves any requester to a provider it prefers that can take it without dropping anyone, until
    none is left; each move makes one requester better off and nobody worse off, so it ends.

    The result ``μ`` satisfies (preferences with ties broken as in :mod:`vmatch.stable`):

    1. *Feasible*: every provider's requesters are feasible for it, and every pair is acceptable.
    2. *Non-wasteful*: no acceptable pair ``(r, p)`` in which ``r`` is unmatched or prefers ``p`` to
       ``μ(r)`` while ``p`` could add ``r`` without dropping anyone (``p`` has a free place and ``r``
       shares no conflict set of ``p`` with a requester of ``μ(p)``).
    3. *Stable when each provider's conflict sets are pairwise disjoint* (for instance one set per
       time slot): then a provider's greedy choice is a matroid choice (a truncated partition
       matroid), choice functions are substitutable, and ``μ`` is the requester-optimal stable
       matching (Fleiner 2003; Hatfield and Milgrom 2005): no ``(r, p)`` where ``r`` prefers ``p`` to
       ``μ(r)`` and ``p``'s greedy choice from ``μ(p)`` plus ``r`` keeps ``r``. Without conflicts
       the result equals :func:`vmatch.stable.stable_match`.
    4. With *overlapping* conflict sets (general time overlaps) a stable matching in the sense of 3
       need not exist. Example: ``a: [y]``, ``b: [y, x]``, ``c: [x, y]``; ``x: [b, c]`` with capacity
       1, ``y: [c, a, b]`` with capacity 2, and at ``y`` order ``a`` overlaps both ``b`` and ``c``,
       which do not overlap each other: each of the feasible matchings has such a blocking pair.
       So only 1 and 2 are promised; a pair that still blocks would make ``p`` drop requesters it
       ranks below ``r`` (that conflict with ``r``, or to make room).
    """
    pa = build_pref_arrays(requester_prefs, provider_prefs, capacities)
    edges = conflict_matched_edges(pa, _edge_cliques(pa, conflicts))
    return edges_to_dict(pa, np.array(edges, dtype=np.int64))
