"""Compile a menu's dispatch problem item by item: the same arcs as the compiler, found faster.

:func:`vmatch.compile.compile_problem` first finds every (volunteer, task) pair within distance
with one k-d tree, then filters by the other rules. In a compiled menu problem an offer serves
one item and an order asks for one (the ``menu.item`` attribute), so most pairs within distance
are for other items: at 20,000 orders x 5,000 offers that is 25 million pairs to filter for 2
million useful ones. :func:`compile_by_item` runs the distance search per item (one small k-d tree
each) and then applies the compiler's own rule functions (:mod:`vmatch.eligibility`), time grid,
conflict rows (over each person's arcs, see :mod:`vmatch.menu.people`), per-day rows, composition
rows and objective levels to the union. The arc set equals the compiler's (tested), with the
shared-person rows already in.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> p, _ = menu_to_problem(generate_menu(60, 20, seed=1))
>>> c = compile_by_item(p)
>>> from vmatch.compile import compile_problem
>>> c.arcs.n_arcs == compile_problem(p).arcs.n_arcs
True
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from vmatch import eligibility as el
from vmatch.compile import Compiled
from vmatch.geo import EARTH_RADIUS_KM, unit_xyz
from vmatch.menu.model import ITEM_ATTRIBUTE
from vmatch.model import Problem
from vmatch.objective import Objective

__all__ = ["by_item", "compile_by_item", "near_pairs"]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]


def by_item(problem: Problem) -> dict[str, tuple[I64, I64]] | None:
    """Item -> (volunteer indices, task indices), or None when some volunteer or task is not tied to one item."""
    out: dict[str, tuple[list[int], list[int]]] = {}
    sides: tuple[tuple[int, tuple[Any, ...]], ...] = ((0, problem.volunteers), (1, problem.tasks))
    for kind, objs in sides:
        for i, o in enumerate(objs):
            vals = o.attributes.get(ITEM_ATTRIBUTE)
            if vals is None or len(vals) != 1:
                return None
            out.setdefault(next(iter(vals)), ([], []))[kind].append(i)
    return {k: (np.asarray(v, np.int64), np.asarray(t, np.int64)) for k, (v, t) in out.items()}


def near_pairs(tb: el.Tables, vi: I64, ti: I64) -> tuple[I64, I64]:
    """Pairs of volunteers ``vi`` and tasks ``ti`` within each volunteer's distance limit (k-d trees)."""
    rad = tb.vradius[vi]
    fin = np.isfinite(rad)
    vs: list[I64] = []
    ts: list[I64] = []
    if fin.any():
        vf = vi[fin]
        chord = 2.0 * np.sin(np.minimum(rad[fin] / EARTH_RADIUS_KM, np.pi) / 2.0) * (1.0 + 1e-9) + 1e-12
        vtree = cKDTree(unit_xyz(tb.vlat[vf], tb.vlon[vf]))
        ttree = cKDTree(unit_xyz(tb.tlat[ti], tb.tlon[ti]))
        res = vtree.sparse_distance_matrix(ttree, float(chord.max()), output_type="ndarray")
        near = res["v"] <= chord[res["i"]]
        vs.append(vf[res["i"][near]])
        ts.append(ti[res["j"][near]])
    vinf = vi[~fin]
    if len(vinf):
        vs.append(np.repeat(vinf, len(ti)))
        ts.append(np.tile(ti, len(vinf)))
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(vs).astype(np.int64), np.concatenate(ts).astype(np.int64)


def _pairs(tb: el.Tables, buckets: dict[str, tuple[I64, I64]]) -> tuple[I64, I64]:
    vs: list[I64] = []
    ts: list[I64] = []
    for vi, ti in buckets.values():
        if len(vi) and len(ti):
            v, t = near_pairs(tb, vi, ti)
            vs.append(v)
            ts.append(t)
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(vs), np.concatenate(ts)


def compile_by_item(
    problem: Problem,
    objective: Objective | None = None,
    person: I64 | None = None,
    candidates: tuple[I64, I64] | None = None,
) -> Compiled:
    """The compiled arc problem of a menu's dispatch problem (see the module docstring).

    ``person[v]`` (default: each volunteer alone) groups volunteers that are one person: their arcs
    share the conflict rows. ``candidates`` (volunteer indices, task indices) replaces the search
    for pairs (the caller vouches that no other pair could serve; the rules still filter these).
    Without them, falls back to :func:`vmatch.compile.compile_problem` when some volunteer or
    task is not tied to exactly one item.
    """
    from vmatch.compile import compile_problem

    buckets = by_item(problem)
    if buckets is None and candidates is None:
        return compile_problem(problem, objective)
    c = compile_problem(
        problem,
        objective,
        pairs=lambda tb: candidates if candidates is not None else _pairs(tb, buckets or {}),
        person=person,
    )
    log.info(
        "compiled by item: %d items, %d arcs, %d cliques in %.2fs",
        len(buckets or {}),
        c.arcs.n_arcs,
        len(c.arcs.cliques),
        c.build_seconds,
    )
    return c
