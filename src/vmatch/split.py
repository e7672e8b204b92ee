"""Split a dispatch problem into independent parts (spatial decomposition).

Two volunteers or tasks belong to one part when a chain of (volunteer, task) pairs that pass
the distance, skill, attribute and forbidden rules links them. No arc can join two parts, so
solving the parts one by one and putting the answers together is exact: the optimum of the
whole is the union of the parts' optima, level by level (sums add, the fairness maximum is
the largest part's). Small parts are packed together so that tiny villages do not each cost
a solver start.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Settings, Task, TimeWindow, Volunteer
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> vs = (Volunteer("a", Location(30, 114)), Volunteer("b", Location(31, 115)))
>>> ts = (Task("s", Location(30, 114.01), w), Task("t", Location(31, 115.01), w))
>>> parts = split_problem(Problem(vs, ts, Settings(max_distance_km=5)), pack=0)
>>> sorted((tuple(v.id for v in p.volunteers), tuple(t.id for t in p.tasks)) for p in parts)
[(('a',), ('s',)), (('b',), ('t',))]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vmatch.compile import candidate_pairs
from vmatch.eligibility import Tables
from vmatch.errors import InfeasibleError
from vmatch.model import Problem

__all__ = ["Part", "part_labels", "split_parts", "split_problem", "split_sized"]

I64 = npt.NDArray[np.int64]


def part_labels(problem: Problem, tables: Tables | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Part label of each volunteer and each task, and the number of candidate pairs per part."""
    vl, tl, pairs, _, _ = _labels(problem, tables)
    return vl, tl, pairs


def _labels(problem: Problem, tables: Tables | None) -> tuple[I64, I64, I64, I64, I64]:
    """:func:`part_labels` and the candidate pairs (volunteer, task) themselves."""
    tb = tables or Tables(problem)
    v, t = candidate_pairs(tb)
    n = tb.nv + tb.nt
    g = coo_matrix((np.ones(len(v), np.int8), (v, tb.nv + t)), shape=(n, n)).tocsr()
    _, lab = connected_components(g, directed=False)
    del g
    pairs = np.bincount(lab[v], minlength=int(lab.max()) + 1 if n else 0)
    return lab[: tb.nv], lab[tb.nv :], pairs, v, t


def split_problem(problem: Problem, *, pack: int = 50_000, tables: Tables | None = None) -> list[Problem]:
    """Independent sub-problems (see :func:`split_sized`)."""
    return [p for p, _ in split_sized(problem, pack=pack, tables=tables)]


def split_sized(problem: Problem, *, pack: int = 50_000, tables: Tables | None = None) -> list[tuple[Problem, int]]:
    """Independent sub-problems; parts with fewer than ``pack`` candidate pairs are packed together.

    Volunteers and tasks without any candidate pair go into the packed part (tasks there come back
    unassigned with their reasons). Pinned, forbidden, preference and previous entries follow
    their volunteer and task. Each comes with its number of candidate pairs.
    """
    return [(p.problem, p.n_pairs) for p in split_parts(problem, pack=pack, tables=tables)]


class Part(NamedTuple):
    """One independent sub-problem of :func:`split_parts` and its candidate pairs: ``volunteer[k]``
    and ``task[k]`` index ``problem.volunteers`` and ``problem.tasks`` (int32)."""

    problem: Problem
    n_pairs: int
    volunteer: npt.NDArray[np.int32]
    task: npt.NDArray[np.int32]

    def pairs(self, tables: Tables) -> tuple[I64, I64]:
        """The candidate pairs as :func:`vmatch.compile.compile_problem` takes them (``pairs=``)."""
        return self.volunteer.astype(np.int64), self.task.astype(np.int64)


def split_parts(problem: Problem, *, pack: int = 50_000, tables: Tables | None = None) -> list[Part]:
    """:func:`split_sized` with each part's candidate pairs, so that compiling a part need not
    search for them again."""
    vl, tl, pairs, v, t = _labels(problem, tables)
    for vid, tid in problem.pinned:
        if vl[problem.volunteer_index(vid)] != tl[problem.task_index(tid)]:
            raise InfeasibleError(f"pinned pair ({vid!r}, {tid!r}) breaks a hard rule", (f"pinned {vid}->{tid}",))
    n_parts = len(pairs)
    if n_parts <= 1:
        return [Part(problem, int(pairs.sum()), v.astype(np.int32), t.astype(np.int32))]
    big = np.flatnonzero(pairs >= pack) if pack else np.arange(n_parts)
    bucket = np.full(n_parts, -1, np.int64)
    bucket[big] = np.arange(len(big))
    small = np.flatnonzero(bucket < 0)
    # pack small parts greedily into bins of about `pack` pairs
    nb = len(big)
    fill = 0
    for s in small[np.argsort(-pairs[small], kind="stable")].tolist():
        if fill >= pack and pack:
            nb += 1
            fill = 0
        bucket[s] = nb
        fill += int(pairs[s])
    n_buckets = int(bucket.max()) + 1
    bucket_pairs = np.bincount(bucket, weights=pairs, minlength=n_buckets)
    vb, tb_ = bucket[vl], bucket[tl]
    vloc, tloc = _local(vb, n_buckets), _local(tb_, n_buckets)
    pb = vb[v]  # the bucket of each pair (its task's too)
    order = np.argsort(pb, kind="stable")
    cut = np.searchsorted(pb[order], np.arange(n_buckets + 1))
    out = []
    for b in range(n_buckets):
        vs = tuple(problem.volunteers[i] for i in np.flatnonzero(vb == b))
        ts = tuple(problem.tasks[i] for i in np.flatnonzero(tb_ == b))
        if not ts:
            continue
        vids = {x.id for x in vs}
        tids = {x.id for x in ts}
        sel = order[cut[b] : cut[b + 1]]
        out.append(
            Part(
                Problem(
                    vs,
                    ts,
                    problem.settings,
                    pinned=tuple(pr for pr in problem.pinned if pr[0] in vids and pr[1] in tids),
                    forbidden=tuple(pr for pr in problem.forbidden if pr[0] in vids and pr[1] in tids),
                    preferences={k: s for k, s in problem.preferences.items() if k[0] in vids and k[1] in tids},
                    previous=tuple(pr for pr in problem.previous if pr[0] in vids),
                    extra=problem.extra,
                ),
                int(bucket_pairs[b]),
                vloc[v[sel]].astype(np.int32),
                tloc[t[sel]].astype(np.int32),
            )
        )
    return out


def _local(bucket: I64, n_buckets: int) -> I64:
    """Each item's index among the items of its bucket (in their order)."""
    order = np.argsort(bucket, kind="stable")
    first = np.searchsorted(bucket[order], np.arange(n_buckets))
    out = np.empty(len(bucket), np.int64)
    out[order] = np.arange(len(bucket)) - first[bucket[order]]
    return out
