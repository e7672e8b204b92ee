"""Preference lists with ties → integer arrays of mutually acceptable pairs (internal to ``stable``).

A preference list is ranked most-preferred first; an entry that is a key of the other side's
mapping is an id; otherwise an entry that is a ``list``, ``tuple``, ``set`` or ``frozenset`` is a
*tie group* (equally preferred ids). Any other entry is an id the other side does not know, which
lists nobody, so the pair is not acceptable and the entry is ignored.

Ties are broken deterministically by the order in which the tied ids appear as keys of the other
side's mapping (its iteration order, i.e. insertion order for a ``dict``).

Examples
--------
>>> pa = build_pref_arrays({"a": ["x", ("y", "z")]}, {"x": ["a"], "z": ["a"]}, None)
>>> [pa.prov_ids[p] for p in pa.e_p.tolist()], pa.r_tier.tolist(), pa.r_pos.tolist()
(['x', 'z'], [0, 1], [0, 1])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch._stable_ids import lookup
from vmatch._stable_join import match_entries
from vmatch.errors import ModelError

__all__ = ["PrefArrays", "build_pref_arrays"]

IntArray = npt.NDArray[np.int64]
_GROUP_TYPES = (list, tuple, set, frozenset)


@dataclass(frozen=True, slots=True)
class PrefArrays:
    """Mutually acceptable pairs (edges) as parallel integer arrays, requester-major.

    Edges are sorted by requester index, then by the requester's strict (tie-broken) order.
    ``r_tier``/``p_tier`` are the tie-group ranks (0 = best) on each side, ``r_pos``/``p_pos``
    the strict ranks after tie-breaking. ``cap`` is each provider's capacity; ``by_prov`` the
    edge permutation sorted by provider, then by the provider's strict order.
    """

    req_ids: list[Any]
    prov_ids: list[Any]
    e_r: IntArray
    e_p: IntArray
    r_tier: IntArray
    r_pos: IntArray
    p_tier: IntArray
    p_pos: IntArray
    cap: IntArray
    by_prov: IntArray

    @property
    def n_req(self) -> int:
        """Number of requesters."""
        return len(self.req_ids)

    @property
    def n_prov(self) -> int:
        """Number of providers."""
        return len(self.prov_ids)

    def req_ptr(self) -> IntArray:
        """CSR pointers of the requester-major edge order (length ``n_req + 1``)."""
        return _ptr(self.e_r, self.n_req)


def _ptr(owner: IntArray, n: int) -> IntArray:
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return ptr


def _slow_list(owner: Any, lst: Iterable[Any], idx: Mapping[Any, int], side: str) -> tuple[list[int], list[int]]:
    """(other-side indices, tier) of one list, resolving tie groups; unknown ids are dropped."""
    out: list[int] = []
    tiers: list[int] = []
    for tier, entry in enumerate(lst):
        try:
            i = idx.get(entry)
        except TypeError:  # unhashable: a list or set
            i = None
        if i is not None:
            out.append(i)
            tiers.append(tier)
        elif isinstance(entry, _GROUP_TYPES):
            members = []
            for m in entry:
                if not isinstance(m, Hashable):
                    raise ModelError(f"{side} {owner!r}: tie groups cannot be nested, got {entry!r}")
                j = idx.get(m)
                if j is not None:
                    members.append(j)
            members.sort()
            out.extend(members)
            tiers.extend([tier] * len(members))
    return out, tiers


def _flatten(
    prefs: Mapping[Any, Sequence[Any]], keys: list[Any], idx: Mapping[Any, int], side: str
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Owner index, other index, tier and strict position of every known entry, owner-major."""
    lists = list(prefs.values())
    try:  # fast path: every entry is a known id (no ties)
        if any(issubclass(t, (str, bytes)) for t in set(map(type, lists))):
            raise TypeError
        other = lookup(list(chain.from_iterable(lists)), keys, idx)
        lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        owner = np.repeat(np.arange(len(lists), dtype=np.int64), lens)
        start = np.repeat(np.cumsum(lens) - lens, lens)
        pos = np.arange(len(other), dtype=np.int64) - start
        tier = pos
    except (KeyError, TypeError):
        o_l: list[int] = []
        t_l: list[int] = []
        lens_l: list[int] = []
        for owner_id, lst in prefs.items():
            if isinstance(lst, (str, bytes)) or not isinstance(lst, Iterable):
                raise ModelError(f"{side} {owner_id!r}: preferences must be a list, got {lst!r}") from None
            got, tiers = _slow_list(owner_id, lst, idx, side)
            o_l.extend(got)
            t_l.extend(tiers)
            lens_l.append(len(got))
        other = np.array(o_l, dtype=np.int64)
        tier = np.array(t_l, dtype=np.int64)
        lens = np.array(lens_l, dtype=np.int64)
        owner = np.repeat(np.arange(len(lists), dtype=np.int64), lens)
        pos = np.arange(len(other), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, other, tier, pos


def _duplicate(key: int, n_p: int, pa_ids: tuple[list[Any], list[Any]], side: str) -> ModelError:
    req_ids, prov_ids = pa_ids
    r, p = req_ids[key // n_p], prov_ids[key % n_p]
    a, b = (r, p) if side == "requester" else (p, r)
    return ModelError(f"{side} {a!r}: {b!r} appears twice in its preferences")


def _capacities(capacities: Mapping[Any, int] | None, prov_ids: list[Any]) -> IntArray:
    if capacities is None:
        return np.ones(len(prov_ids), dtype=np.int64)
    cap = np.empty(len(prov_ids), dtype=np.int64)
    for i, p in enumerate(prov_ids):
        c = capacities.get(p, 1)
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
            raise ModelError(f"provider {p!r}: field 'capacity' must be an integer >= 0, got {c!r}")
        cap[i] = min(int(c), 2**62)  # beyond the requesters' number it is the same (no 64-bit overflow)
    return cap


def build_pref_arrays(
    requester_prefs: Mapping[Any, Sequence[Any]],
    provider_prefs: Mapping[Any, Sequence[Any]],
    capacities: Mapping[Any, int] | None,
) -> PrefArrays:
    """Convert both sides' preference mappings into :class:`PrefArrays` (mutual pairs only).

    Raises
    ------
    ModelError
        When a list names the same id twice or a capacity is not a non-negative integer.
    """
    req_ids = list(requester_prefs)
    prov_ids = list(provider_prefs)
    ridx = {r: i for i, r in enumerate(req_ids)}
    pidx = {p: i for i, p in enumerate(prov_ids)}
    n_p = max(len(prov_ids), 1)
    r_own, r_oth, r_tier, r_pos = _flatten(requester_prefs, prov_ids, pidx, "requester")
    p_own, p_oth, p_tier, p_pos = _flatten(provider_prefs, req_ids, ridx, "provider")
    ids = (req_ids, prov_ids)
    loc, dup = match_entries(r_own, r_oth, r_pos, len(req_ids), p_own, p_oth, n_p)
    if dup is not None:
        raise _duplicate(dup, n_p, ids, "requester")
    found = loc >= 0
    floc = loc[found]
    times = np.bincount(floc, minlength=len(r_oth))
    twice = np.flatnonzero(times > 1)
    if len(twice):
        raise _duplicate(int(r_own[twice[0]] * n_p + r_oth[twice[0]]), n_p, ids, "provider")
    lone = np.sort(p_oth[~found] * n_p + p_own[~found])
    same = np.flatnonzero(lone[1:] == lone[:-1])
    if len(same):
        raise _duplicate(int(lone[same[0]]), n_p, ids, "provider")
    mutual = times > 0
    hit = np.empty(len(r_oth), dtype=np.int64)  # provider entry of each requester entry
    hit[floc] = np.flatnonzero(found)
    edge_no = np.cumsum(mutual) - 1
    if not mutual.all():
        r_own, r_oth, r_tier, r_pos = r_own[mutual], r_oth[mutual], r_tier[mutual], r_pos[mutual]
        hit = hit[mutual]
    return PrefArrays(
        req_ids=req_ids,
        prov_ids=prov_ids,
        e_r=r_own,
        e_p=r_oth,
        r_tier=r_tier,
        r_pos=r_pos,
        p_tier=p_tier[hit],
        p_pos=p_pos[hit],
        cap=_capacities(capacities, prov_ids),
        by_prov=edge_no[floc],
    )
