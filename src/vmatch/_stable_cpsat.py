"""Maximum-cardinality weakly stable matching with ties and capacities, by CP-SAT.

With ties, weakly stable matchings can differ in size, and finding a largest one is NP-hard
(Manlove et al. 2002), so this is a CP-SAT model, linear in the number of acceptable pairs:

* ``x[e]`` — pair ``e = (r, p)`` is matched; each requester at most once, each provider at most
  ``c_p = min(capacity, number of requesters that find it acceptable)`` times;
* prefix counts ``A[r, t]`` = number of ``r``'s pairs in its tie groups ``0..t`` (0 or 1) and
  ``B[p, t]`` = number of ``p``'s pairs in its tie groups ``0..t``;
* weak stability of every acceptable pair: ``B[p, tier_p(r)] + c_p * A[r, tier_r(p)] >= c_p``,
  i.e. ``r`` has a provider at least as good as ``p``, or ``p`` is full with requesters at least as
  good as ``r``;
* maximise ``sum(x)``; the deferred-acceptance matching (weakly stable) is the hint, and the
  answer when CP-SAT finds nothing better in the time limit.

Examples
--------
>>> rp = {"a": [("x", "y")], "b": ["x"]}
>>> pp = {"x": ["a", "b"], "y": ["a"]}
>>> res = max_weakly_stable_result(rp, pp, time_limit=5)
>>> res.matching, res.size, res.status.name
({'a': 'y', 'b': 'x'}, 2, 'OPTIMAL')
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from vmatch._stable_da import IntArray, edges_to_dict, matched_edges
from vmatch._stable_prefs import PrefArrays, build_pref_arrays
from vmatch.result import Status

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["WeaklyStableResult", "max_weakly_stable", "max_weakly_stable_result"]

_log = logging.getLogger(__name__)
R = TypeVar("R")
P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class WeaklyStableResult:
    """A weakly stable matching and how close to the largest one it is proven to be.

    Attributes
    ----------
    matching : dict
        ``{requester: provider}``, weakly stable.
    status : Status
        ``OPTIMAL`` when proven largest; ``FEASIBLE`` otherwise (``bound`` says how far).
    size : int
        Number of matched requesters.
    bound : int
        Upper bound on the size of any weakly stable matching.
    wall_seconds : float
        Time spent, model building included.
    """

    matching: dict[Any, Any]
    status: Status
    size: int
    bound: int
    wall_seconds: float


def _prefix_vars(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    order: IntArray,
    owner: IntArray,
    tier: IntArray,
    ub: IntArray,
    name: str,
) -> list[cp_model.IntVar]:
    """For each edge (by index), the variable counting its owner's edges in tiers up to its own."""
    out: list[Any] = [None] * len(order)
    own_l, tier_l, order_l = owner[order].tolist(), tier[order].tolist(), order.tolist()
    i, n = 0, len(order_l)
    while i < n:
        o = own_l[i]
        prev: Any = 0
        while i < n and own_l[i] == o:
            t = tier_l[i]
            j = i
            while j < n and own_l[j] == o and tier_l[j] == t:
                j += 1
            v = model.new_int_var(0, int(ub[o]), f"{name}{o}_{t}")
            model.add(v == prev + sum(x[e] for e in order_l[i:j]))
            for e in order_l[i:j]:
                out[e] = v
            prev = v
            i = j
    return out


def _solve(pa: PrefArrays, time_limit: float, seed: int, workers: int | None) -> tuple[IntArray, Status, int]:
    from ortools.sat.python import cp_model  # imported here: plain deferred acceptance needs no solver

    hint = matched_edges(pa, "requester")
    n = len(pa.e_r)
    deg = np.bincount(pa.e_p, minlength=pa.n_prov)
    cp = np.minimum(pa.cap, deg)
    if n == 0:
        return hint, Status.OPTIMAL, 0
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{e}") for e in range(n)]
    a = _prefix_vars(model, x, np.arange(n), pa.e_r, pa.r_tier, np.ones(pa.n_req, np.int64), "a")
    b = _prefix_vars(model, x, pa.by_prov, pa.e_p, pa.p_tier, cp, "b")
    for e, c in enumerate(cp[pa.e_p].tolist()):
        if c == 0:
            model.add(x[e] == 0)
        else:
            model.add(b[e] + c * a[e] >= c)
    model.maximize(sum(x))
    hinted = set(hint.tolist())
    for e in range(n):
        model.add_hint(x[e], e in hinted)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.random_seed = seed
    if workers is not None:
        solver.parameters.num_workers = workers
    st = solver.solve(model)
    bound = int(min(len(np.unique(pa.e_r)), cp.sum()))  # requesters with a pair; seats
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = min(bound, math.floor(solver.best_objective_bound + 1e-6))
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value >= len(hint):
        chosen = np.flatnonzero([solver.boolean_value(v) for v in x])
    else:
        chosen = hint
    return chosen, Status.OPTIMAL if len(chosen) >= bound else Status.FEASIBLE, bound


def max_weakly_stable_result(
    requester_prefs: Mapping[R, Sequence[Any]],
    provider_prefs: Mapping[P, Sequence[Any]],
    capacities: Mapping[P, int] | None = None,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
) -> WeaklyStableResult:
    """Largest weakly stable matching with ties and capacities, with its status and bound.

    Parameters are those of :func:`vmatch.stable.stable_match`, plus the CP-SAT ``time_limit``
    (seconds), ``seed`` and ``workers`` (default: CP-SAT's choice).

    Returns
    -------
    WeaklyStableResult
        The matching is weakly stable whatever the status (at worst the deferred-acceptance
        matching); ``status`` is ``OPTIMAL`` when no weakly stable matching is larger.

    Notes
    -----
    Boolean ``x[r, p]`` per acceptable pair; at most one provider per requester and at most
    ``c_p = min(capacity, number of requesters that find p acceptable)`` per provider; for every
    acceptable pair, ``r`` has a provider in a tie group at least as good as ``p``'s, or ``p`` holds
    ``c_p`` requesters at least as good as ``r`` (prefix-count variables keep the model linear in
    the number of pairs); maximise the number of matched requesters. The deferred-acceptance
    matching is the hint. See the module docstring of ``vmatch._stable_cpsat``.
    """
    t0 = time.perf_counter()
    pa = build_pref_arrays(requester_prefs, provider_prefs, capacities)
    edges, status, bound = _solve(pa, time_limit, seed, workers)
    wall = time.perf_counter() - t0
    _log.info("max weakly stable: %d pairs, size %d, bound %d, %s", len(pa.e_r), len(edges), bound, status)
    return WeaklyStableResult(edges_to_dict(pa, edges), status, len(edges), max(bound, len(edges)), wall)


def max_weakly_stable(
    requester_prefs: Mapping[R, Sequence[Any]],
    provider_prefs: Mapping[P, Sequence[Any]],
    capacities: Mapping[P, int] | None = None,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
) -> dict[R, P]:
    """``{requester: provider}`` of :func:`max_weakly_stable_result` (the matching alone)."""
    return max_weakly_stable_result(
        requester_prefs, provider_prefs, capacities, time_limit=time_limit, seed=seed, workers=workers
    ).matching
