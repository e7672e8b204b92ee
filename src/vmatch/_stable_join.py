"""Pair each provider-list entry with the requester-list entry naming the same pair (internal).

Requester lists are short (tens of providers), so the requester side is laid out as a dense
matrix ``requesters × longest list`` and each provider entry ``(p, r)`` is found by comparing ``p``
with row ``r`` (numpy, in chunks): no sort of the millions of pairs. When lists are too uneven for
a dense matrix, a sort-and-search join does the same.

Examples
--------
>>> import numpy as np
>>> r_own, r_oth, r_pos = np.array([0, 0, 1]), np.array([1, 0, 1]), np.array([0, 1, 0])
>>> loc, dup = match_entries(r_own, r_oth, r_pos, 2, np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
>>> loc.tolist(), dup
([1, 2, 0], None)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["match_entries"]

IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 20  # matrix cells compared per chunk


def _join_matrix(
    r_own: IntArray, r_oth: IntArray, r_pos: IntArray, n_req: int, width: int,
    p_own: IntArray, p_oth: IntArray, n_p: int,
) -> tuple[IntArray, int | None]:  # fmt: skip
    dt = np.int16 if n_p < (1 << 15) - 1 else np.int32
    mat = np.full((n_req, width), -1, dtype=dt)
    mat[r_own, r_pos] = r_oth
    srt = np.sort(mat, axis=1)
    dup_r, dup_c = np.nonzero((srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0))
    dup = int(dup_r[0]) * n_p + int(srt[dup_r[0], dup_c[0]]) if len(dup_r) else None
    rstart = np.zeros(n_req, dtype=np.int64)
    np.cumsum(np.bincount(r_own, minlength=n_req)[:-1], out=rstart[1:])
    loc = np.empty(len(p_own), dtype=np.int64)
    pc = p_own.astype(dt)
    step = max(_CHUNK // width, 1)
    for s in range(0, len(p_own), step):
        rr = p_oth[s : s + step]
        eq = mat[rr] == pc[s : s + step, None]
        j = eq.argmax(axis=1)
        found = eq[np.arange(len(rr)), j]
        loc[s : s + step] = np.where(found, rstart[rr] + j, -1)
    return loc, dup


def _join_sort(
    r_own: IntArray, r_oth: IntArray, p_own: IntArray, p_oth: IntArray, n_p: int
) -> tuple[IntArray, int | None]:
    rkey = r_own * n_p + r_oth
    order = np.argsort(rkey)
    srk = rkey[order]
    same = np.flatnonzero(srk[1:] == srk[:-1])
    dup = int(srk[same[0]]) if len(same) else None
    if not len(srk):
        return np.full(len(p_own), -1, dtype=np.int64), dup
    pkey = p_oth * n_p + p_own
    at = np.minimum(np.searchsorted(srk, pkey), len(srk) - 1)
    return np.where(srk[at] == pkey, order[at], -1), dup


def match_entries(
    r_own: IntArray, r_oth: IntArray, r_pos: IntArray, n_req: int,
    p_own: IntArray, p_oth: IntArray, n_p: int,
) -> tuple[IntArray, int | None]:  # fmt: skip
    """For each provider entry, the index of the requester entry of the same pair (or -1).

    ``r_pos`` is each requester entry's position in its own list. Also returns the key
    ``r * n_p + p`` of a pair some requester lists twice, or None.
    """
    width = int(r_pos.max()) + 1 if len(r_pos) else 0
    if width > 0 and n_req * width <= 4 * len(r_oth) + (1 << 20):
        return _join_matrix(r_own, r_oth, r_pos, n_req, width, p_own, p_oth, n_p)
    return _join_sort(r_own, r_oth, p_own, p_oth, n_p)
