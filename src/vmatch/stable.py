"""Stable matching of requesters (orders) to providers (offers) with capacities: no domain model needed.

Requesters rank providers and providers rank requesters, most preferred first; an entry of a
list that is itself a ``list``, ``tuple``, ``set`` or ``frozenset`` is a *tie group* (equally
preferred). A pair is *acceptable* only when each side lists the other. Each provider serves up to
its capacity (default 1), each requester at most one provider.

* :func:`stable_match` — deferred acceptance (Gale and Shapley 1962; hospital–resident with
  capacities): the requester-optimal or provider-optimal stable matching.
* :func:`blocking_pairs` — the pairs that block a given matching (weak stability).
* :func:`max_weakly_stable` / :func:`max_weakly_stable_result` — a maximum-cardinality weakly
  stable matching when there are ties (NP-hard in general; a CP-SAT model, with status and bound).
* :func:`stable_match_with_conflicts` — when some of a provider's orders cannot be served together
  (their times overlap); its Notes state the guarantee that then holds (non-wasteful always,
  stable and requester-optimal when each provider's conflict sets are disjoint).

**Ties** are broken deterministically: tied ids are ordered by their position among the keys of
the other side's mapping (its iteration order). Without ties the result is exactly the
requester-optimal (or provider-optimal) stable matching; with ties it is that matching for the
tie-broken preferences and hence *weakly stable* for the original ones: no pair in which both
strictly prefer each other to what they have.

Ids can be any hashable values; an entry that is a key of the other side's mapping is always read
as an id, so tuple ids work too. An id the other side does not know is ignored (not acceptable).

Examples
--------
>>> residents = {"r1": ["h1", "h2"], "r2": ["h1"], "r3": ["h1", "h2"]}
>>> hospitals = {"h1": ["r1", "r3", "r2"], "h2": ["r3", "r1"]}
>>> stable_match(residents, hospitals, {"h1": 2})
{'r1': 'h1', 'r3': 'h1'}
>>> stable_match(residents, hospitals, {"h1": 1, "h2": 1}, optimal="provider")
{'r1': 'h1', 'r3': 'h2'}
>>> blocking_pairs(residents, hospitals, {"h1": 1, "h2": 1}, {"r3": "h1", "r1": "h2"})
[('r1', 'h1')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import numpy as np

from vmatch._stable_conflicts import stable_match_with_conflicts
from vmatch._stable_cpsat import WeaklyStableResult, max_weakly_stable, max_weakly_stable_result
from vmatch._stable_da import edges_to_dict, matched_edges
from vmatch._stable_prefs import build_pref_arrays
from vmatch.errors import ModelError

__all__ = [
    "WeaklyStableResult",
    "blocking_pairs",
    "max_weakly_stable",
    "max_weakly_stable_result",
    "stable_match",
    "stable_match_with_conflicts",
]

R = TypeVar("R")
P = TypeVar("P")


def stable_match(
    requester_prefs: Mapping[R, Sequence[Any]],
    provider_prefs: Mapping[P, Sequence[Any]],
    capacities: Mapping[P, int] | None = None,
    optimal: Literal["requester", "provider"] = "requester",
) -> dict[R, P]:
    """Stable matching with capacities by deferred acceptance.

    Parameters
    ----------
    requester_prefs : mapping requester -> list of providers (or tie groups), best first
    provider_prefs : mapping provider -> list of requesters (or tie groups), best first
    capacities : mapping provider -> int >= 0, optional
        How many requesters each provider can take; absent providers take 1.
    optimal : {"requester", "provider"}
        Which side's optimal stable matching to return (the side that proposes).

    Returns
    -------
    dict
        ``{requester: provider}`` for matched requesters, in the order of ``requester_prefs``.
        Without ties it is the requester-optimal (or provider-optimal) stable matching: no
        requester (resp. provider) is better off in any other stable matching. With ties it is
        weakly stable, ties broken as the module docstring says. Runs in about a second for
        100,000 requesters ranking 20 providers each (``benchmarks/stable_bench.py``).

    Raises
    ------
    ModelError
        A list names an id twice, or a capacity is not a non-negative integer.
    ValueError
        ``optimal`` is neither ``"requester"`` nor ``"provider"``.
    """
    pa = build_pref_arrays(requester_prefs, provider_prefs, capacities)
    return edges_to_dict(pa, matched_edges(pa, optimal))


def blocking_pairs(
    requester_prefs: Mapping[R, Sequence[Any]],
    provider_prefs: Mapping[P, Sequence[Any]],
    capacities: Mapping[P, int] | None,
    matching: Mapping[R, P],
) -> list[tuple[R, P]]:
    """Pairs that block ``matching`` (weak stability).

    A mutually acceptable pair ``(r, p)`` not matched together blocks when ``r`` is unmatched or
    strictly prefers ``p`` to its provider, and ``p`` has spare capacity or strictly prefers ``r``
    to one of the requesters it has. Tied entries are equally good, so they never block.

    Returns
    -------
    list of (requester, provider)
        In requester order, each requester's pairs best first; empty when ``matching`` is
        (weakly) stable.

    Raises
    ------
    ModelError
        ``matching`` names an unknown id, a pair that is not mutually acceptable, or puts more
        requesters on a provider than its capacity.
    """
    pa = build_pref_arrays(requester_prefs, provider_prefs, capacities)
    n_p = max(pa.n_prov, 1)
    ridx = {r: i for i, r in enumerate(pa.req_ids)}
    pidx = {p: i for i, p in enumerate(pa.prov_ids)}
    mr, mp = [], []
    for r, p in matching.items():
        if r not in ridx:
            raise ModelError(f"matching: unknown requester {r!r}")
        if p not in pidx:
            raise ModelError(f"matching: requester {r!r} has unknown provider {p!r}")
        mr.append(ridx[r])
        mp.append(pidx[p])
    ekey = pa.e_r * n_p + pa.e_p
    order = np.argsort(ekey)
    mkey = np.array(mr, dtype=np.int64) * n_p + np.array(mp, dtype=np.int64)
    loc = np.minimum(np.searchsorted(ekey[order], mkey), max(len(order) - 1, 0))
    ok = ekey[order][loc] == mkey if len(order) else np.zeros(len(mkey), dtype=bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise ModelError(f"matching: pair ({pa.req_ids[mr[i]]!r}, {pa.prov_ids[mp[i]]!r}) is not mutually acceptable")
    medge = order[loc]
    load = np.bincount(pa.e_p[medge], minlength=pa.n_prov)
    over = np.flatnonzero(load > pa.cap)
    if len(over):
        i = int(over[0])
        raise ModelError(f"matching: provider {pa.prov_ids[i]!r} has {load[i]} requesters, capacity {pa.cap[i]}")
    big = int(max(pa.r_tier.max(initial=0), pa.p_tier.max(initial=0))) + 1
    r_has = np.full(pa.n_req, big, dtype=np.int64)  # tier of each requester's provider
    r_has[pa.e_r[medge]] = pa.r_tier[medge]
    worst = np.full(pa.n_prov, -1, dtype=np.int64)  # worst tier each provider holds
    np.maximum.at(worst, pa.e_p[medge], pa.p_tier[medge])
    spare = load < pa.cap
    block = (pa.r_tier < r_has[pa.e_r]) & (spare[pa.e_p] | (pa.p_tier < worst[pa.e_p]))
    b = np.flatnonzero(block)
    req, prov = pa.req_ids, pa.prov_ids
    return [(req[r], prov[p]) for r, p in zip(pa.e_r[b].tolist(), pa.e_p[b].tolist(), strict=True)]
