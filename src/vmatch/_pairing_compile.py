"""Compile a :class:`PairingProblem` into an :class:`~vmatch.arcs.ArcProblem`.

One **arc** per eligible (volunteer, beneficiary) pair (:mod:`vmatch._pairing_elig`), one
**job** (and group) per beneficiary, served by at most one arc, one **agent** per volunteer.
A volunteer's limits become, by what can bind:

* ``COUNT``: the weekly minutes cannot bind: load 1, capacity = places (``k_eff``: the
  most beneficiaries they can take: ``max_beneficiaries``, candidates, and visits that
  fit the weekly limit, smallest first);
* ``MINUTES``: the minutes imply the count: load = visit minutes, capacity = weekly limit;
* ``BOTH``: load 1, capacity = places; the weekly minutes are left to the lazy rows below.

The weekly schedule of a volunteer's visits (no overlap, travel between homes, per-day
limits, and the minutes of ``BOTH``) is not in these arcs: :mod:`vmatch._pairing_engine`
checks every volunteer's chosen set exactly and adds a capacity row "not all of these"
for each set that cannot be scheduled, then solves again (lazy constraint generation;
the rows only remove sets that no schedule serves, so the optimum is exact). Without such
rows, a one-to-one problem is an assignment problem and a one-to-few one a b-matching:
the exact solvers of :mod:`vmatch.solvers.exact` take them.

Levels: ``paired`` (beneficiary weight), ``kept`` (existing pairs), ``fit``.

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> from vmatch._pairing_model import Beneficiary, PairingProblem
>>> r = (WeeklyRule((1, 3), time(9), time(12)),)
>>> bs = tuple(Beneficiary(f"b{i}", Location(30.0, 114 + i / 100), r, m) for i, m in enumerate((60, 90, 60)))
>>> v = Volunteer("v", Location(30.0, 114.0), weekly=r, max_minutes=140)
>>> pc = compile_pairing(PairingProblem((v,), bs, today=date(2026, 12, 7), max_beneficiaries={"v": 3}))
>>> pc.arcs.n_arcs, pc.arcs.arc_load.tolist(), pc.arcs.agent_capacity.tolist(), pc.k_eff.tolist()
(3, [60, 90, 60], [140], [2])
>>> [lv.name for lv in pc.arcs.levels]
['paired', 'kept', 'fit']
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vmatch._pairing_elig import PairElig, pair_eligibility, preference_count
from vmatch._pairing_model import PairingProblem
from vmatch.arcs import ArcProblem, Level

__all__ = ["BOTH", "COUNT", "MINUTES", "PairingCompiled", "compile_pairing"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
COUNT, MINUTES, BOTH = 0, 1, 2


@dataclass(frozen=True, slots=True)
class PairingCompiled:
    """The arc problem of a pairing problem (arc i = eligible pair i of ``elig``).

    ``k_eff[v]`` is the most beneficiaries volunteer v can take and ``mode[v]`` how their
    limits are encoded (``COUNT``, ``MINUTES``, ``BOTH``).
    """

    problem: PairingProblem
    elig: PairElig
    arcs: ArcProblem
    k_eff: I64
    mode: I64
    build_seconds: float
    stats: dict[str, int] = field(default_factory=dict)

    def relaxed(self) -> ArcProblem:
        """The arc problem with every volunteer limit as a count (load 1, capacity ``k_eff``)."""
        ap = self.arcs
        return dataclasses.replace(ap, arc_load=np.ones(ap.n_arcs, np.int64), agent_capacity=self.k_eff.copy())


def _top_sum(seg: I64, val: I64, k: I64, n: int) -> I64:
    """Per segment, the sum of its ``k[segment]`` largest values."""
    order = np.lexsort((-val, seg))
    s, x = seg[order], val[order]
    rank = np.arange(len(s)) - np.searchsorted(s, np.arange(n))[s]
    return np.bincount(s, weights=x * (rank < k[s]), minlength=n).astype(np.int64)


def volunteer_modes(pp: PairingProblem, pe: PairElig) -> tuple[I64, I64]:
    """Per volunteer: places ``k_eff`` and the mode (see the module docstring)."""
    nv = len(pp.volunteers)
    vmax = pe.tables.vmax
    m = pe.minutes[pe.b]
    cap = np.fromiter((pp.capacity(x.id) for x in pp.volunteers), np.int64, nv)
    n_cand = np.bincount(pe.v, minlength=nv)
    order = np.lexsort((m, pe.v))
    sv, sm = pe.v[order], m[order]
    cs = np.concatenate([[0], np.cumsum(sm)])
    first = np.searchsorted(sv, np.arange(nv))
    fits = (vmax[sv] < 0) | (cs[1:] - cs[first][sv] <= vmax[sv])
    k_fit = np.bincount(sv, weights=fits, minlength=nv).astype(np.int64)
    k_eff = np.minimum(np.minimum(cap, n_cand), k_fit)
    minutes_bind = (vmax >= 0) & (_top_sum(pe.v, m, k_eff, nv) > vmax)
    mode = np.where(~minutes_bind, COUNT, np.where(k_fit <= cap, MINUTES, BOTH))
    return k_eff.astype(np.int64), mode.astype(np.int64)


def _fit(pp: PairingProblem, pe: PairElig) -> I64:
    w = pp.weights
    slack = np.clip(pe.shared - pe.minutes[pe.b], 0, w.slack_cap_minutes)
    pref = preference_count(pp, pe.v, pe.b)
    return (
        w.slack_per_15min * (slack // 15) + w.preference * pref - np.rint(w.per_km * pe.km).astype(np.int64)
    ).astype(np.int64)


def _existing(pp: PairingProblem, pe: PairElig) -> B:
    nb = len(pp.beneficiaries)
    if not pp.existing:
        return np.zeros(len(pe.v), bool)
    keys = np.asarray([pp.volunteer_index(a) * nb + pp.beneficiary_index(c) for a, c in pp.existing], np.int64)
    return np.isin(pe.v * nb + pe.b, keys)


def compile_pairing(pp: PairingProblem) -> PairingCompiled:
    """Build the arc problem of ``pp`` (see the module docstring)."""
    t0 = time.perf_counter()
    pe = pair_eligibility(pp)
    nb = len(pp.beneficiaries)
    k_eff, mode = volunteer_modes(pp, pe)
    weight = np.fromiter((pp.weight(x) for x in pp.beneficiaries), np.int64, nb)
    levels = (
        Level("paired", weight[pe.b].astype(np.float64), "max"),
        Level("kept", _existing(pp, pe).astype(np.float64), "max"),
        Level("fit", _fit(pp, pe).astype(np.float64), "max"),
    )
    load = np.where(mode[pe.v] == MINUTES, pe.minutes[pe.b], 1).astype(np.int64)
    cap = np.where(mode == MINUTES, pe.tables.vmax, k_eff)
    ap = ArcProblem.build(
        n_agents=len(pp.volunteers),
        n_jobs=nb,
        arc_agent=pe.v,
        arc_job=pe.b,
        arc_load=load,
        agent_capacity=cap,
        levels=levels,
        meta={"kind": "pairing"},
    )
    stats = {
        "pairs": len(pe.v),
        "volunteers_minutes": int((mode == MINUTES).sum()),
        "volunteers_both": int((mode == BOTH).sum()),
    }
    return PairingCompiled(pp, pe, ap, k_eff, mode, time.perf_counter() - t0, stats)
