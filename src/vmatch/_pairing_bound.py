"""Lagrangian bound of a pairing problem: beneficiaries priced, each volunteer's best schedulable set.

For prices ``λ_b >= 0`` on the rows "each beneficiary at most one volunteer", weak duality gives,
for **any** such prices, an upper bound on the first objective level (weighted beneficiaries
paired)::

    L(λ) = Σ_b λ_b + Σ_v max(0, max over sets S that v can serve of Σ_{b in S} (w_b - λ_b))

"Sets that v can serve" are those the exact weekly scheduler places with at most ``k_eff[v]``
beneficiaries; :class:`~vmatch._pairing_price.SetPricer` finds each volunteer's best one (or
an upper bound on it, which keeps ``L`` a bound). With the block relaxation's own prices
(:meth:`~vmatch._pairing_flow.BlockFlow.prices`) ``L`` is at most about the relaxation's value,
since every set a volunteer can serve is one the relaxation allows. (Subgradient steps from
these prices were tried on the 20,000 x 8,000 benchmark: every step raised ``L``; the many
ties among volunteers' best sets make the subgradients poor directions.)

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_flow import BlockFlow
>>> from vmatch._pairing_sched import Scheduler
>>> from vmatch._pairing_price import SetPricer
>>> pc = compile_pairing(generate_pairing(150, 60, seed=3))
>>> bf = BlockFlow(pc)
>>> flow = pc.arcs.levels[0].value(bf.solve())
>>> bound, sets = lagrangian_bound(SetPricer(pc, Scheduler(pc)), bf.prices())
>>> bound <= flow, len(sets) == 60
(True, True)
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt

from vmatch._pairing_price import SetPricer

__all__ = ["lagrangian_bound", "lagrangian_value"]

log = logging.getLogger(__name__)

F64 = npt.NDArray[np.float64]


def lagrangian_value(pricer: SetPricer, lam: F64) -> tuple[float, list[tuple[int, ...]]]:
    """``L(λ)`` (unrounded) and each volunteer's best set at these prices."""
    w = np.asarray(pricer.pc.arcs.levels[0].coef, np.float64)
    lam = np.maximum(np.asarray(lam, np.float64), 0.0)
    val, sets = pricer.price(w - lam[pricer.job])
    return float(lam.sum() + val.sum()), sets


def lagrangian_bound(pricer: SetPricer, lam: F64) -> tuple[float, list[tuple[int, ...]]]:
    """``L(λ)`` rounded down (the weights are integers; a little slack first for rounding error),
    and each volunteer's best set at these prices."""
    value, sets = lagrangian_value(pricer, lam)
    return float(math.floor(value * (1 + 1e-12) + 1e-6)), sets
