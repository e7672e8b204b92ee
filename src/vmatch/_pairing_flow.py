"""The block relaxation of a pairing problem, solved exactly as a min-cost flow.

A volunteer's weekly time falls into **blocks** (one per interval of one day); every
visit lies inside one block. A block can hold at most ``c`` visits, where ``c`` is the
most candidate visits whose lengths, smallest first, plus the least travel time between
two different homes (from each home's nearest other beneficiary) fit the block's span
(earliest candidate start to latest candidate end). Relaxing the exact schedule to these
counts (and the weekly minutes to a count, ``k_eff``) leaves a flow problem::

    source -> volunteer (k_eff) -> block (c) -> beneficiary (1) -> sink

Every feasible pairing is a flow, so the optimum's first-level value bounds the true
optimum. :func:`block_flow` returns the chosen arcs; the levels are folded into one
integer cost whose multipliers keep the level order strict (the flow optimum is the
lexicographic optimum of the relaxation).

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> pc = compile_pairing(generate_pairing(200, 80, seed=1))
>>> bf = BlockFlow(pc)
>>> arcs = bf.solve()
>>> len(arcs) <= len(pc.problem.beneficiaries), bf.n_blocks > 0
(True, True)
"""

from __future__ import annotations

import logging
import time

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from vmatch._pairing_compile import PairingCompiled
from vmatch.arcs import ArcProblem
from vmatch.geo import EARTH_RADIUS_KM, travel_minutes, unit_xyz

__all__ = ["BlockFlow", "lex_weights", "nearest_travel"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def lex_weights(ap: ArcProblem, k: int, limit: int) -> tuple[I64, int]:
    """One integer weight per arc folding the levels (all "max") so that a unit of an earlier
    level outweighs any change of the later ones over at most ``k`` arcs; only the leading
    levels that fit under ``limit`` are folded. Also the multiplier of the first level."""
    cs = [lv.int_coef() if lv.sense == "max" else -lv.int_coef() for lv in ap.levels]
    for n in range(len(cs), 0, -1):
        mult, mults = 1, []
        for c in reversed(cs[:n]):
            mults.append(mult)
            a = np.abs(c)
            span = int(np.sort(a)[::-1][:k].sum()) if len(a) else 0
            mult += mult * span
        if mult < limit or n == 1:
            w = np.zeros(ap.n_arcs, np.int64)
            for c, m_ in zip(cs[:n], reversed(mults), strict=True):
                w += m_ * c
            return w, mults[-1]
    return np.zeros(ap.n_arcs, np.int64), 1


def nearest_travel(pc: PairingCompiled) -> I64:
    """Per beneficiary, the travel minutes to the nearest other beneficiary's home."""
    bs = pc.problem.beneficiaries
    if len(bs) < 2:
        return np.zeros(len(bs), np.int64)
    xyz = unit_xyz([b.location.lat for b in bs], [b.location.lon for b in bs])
    d, _ = cKDTree(xyz).query(xyz, k=2)
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(d[:, 1] / 2.0, 0.0, 1.0)) * (1 - 1e-9)
    return np.asarray(travel_minutes(km, pc.problem.settings.travel_speed_kmh), np.int64)


#: Folded weights stay below this (small costs keep the cost-scaling flow fast; levels that
#: would not fit are left out of the relaxation's objective, which only the first level bounds).
FOLD_LIMIT = 2**31


class BlockFlow:
    """The block relaxation of a compiled pairing problem (built once, solved many times)."""

    def __init__(self, pc: PairingCompiled) -> None:
        t0 = time.perf_counter()
        self.pc = pc
        ap = pc.arcs
        pe = pc.elig
        many = pc.k_eff[pe.v] >= 2
        pi = np.flatnonzero(many)
        p2, blk, lo, hi = pe.week.blocks(pe.v[pi], pe.b[pi])
        one = np.flatnonzero(~many)
        # volunteers taking at most one: one block holding all their arcs
        self.arc = np.concatenate([one, pi[p2]]).astype(np.int64)
        key = np.concatenate([-(pe.v[one] + 1), blk])
        self.keys, inv = np.unique(key, return_inverse=True)
        self.block = inv.reshape(-1).astype(np.int64)
        self.n_blocks = len(self.keys)
        self.block_vol = np.where(self.keys < 0, -self.keys - 1, self.keys // (7 * 64)).astype(np.int64)
        m = pe.minutes[pe.b[self.arc]]
        z = np.zeros(len(one), np.int64)
        tmin = nearest_travel(pc)[pe.b[self.arc]]
        self.cap = self._capacity(m, np.concatenate([z, lo]), np.concatenate([z, hi + m[len(one) :]]), tmin)
        self.cap[self.keys < 0] = 1
        self._index = {int(k): i for i, k in enumerate(self.keys.tolist())}
        self.cap = np.minimum(self.cap, pc.k_eff[self.block_vol])
        self._last: tuple[I64, I64, I64, I64, I64, int] | None = None
        self.weight, self.unit = lex_weights(
            ap,
            len(pc.problem.beneficiaries),
            FOLD_LIMIT,
        )
        log.info(
            "block flow: %d block arcs, %d blocks, %.2fs",
            len(self.arc),
            self.n_blocks,
            time.perf_counter() - t0,
        )

    def _capacity(self, m: I64, lo: I64, hi: I64, tmin: I64) -> I64:
        nbk = self.n_blocks
        order = np.lexsort((m, self.block))
        bk, mm = self.block[order], m[order]
        start = np.searchsorted(bk, np.arange(nbk))
        lo_b = np.full(nbk, np.iinfo(np.int64).max)
        np.minimum.at(lo_b, self.block, lo)
        hi_b = np.zeros(nbk, np.int64)
        np.maximum.at(hi_b, self.block, hi)
        span = hi_b - lo_b
        t_b = np.full(nbk, np.iinfo(np.int64).max)
        np.minimum.at(t_b, self.block, tmin)
        cs = np.concatenate([[0], np.cumsum(mm)])
        rank = np.arange(len(bk)) - start[bk]
        fits = cs[1:] - cs[start][bk] + rank * t_b[bk] <= span[bk]
        return np.bincount(bk, weights=fits, minlength=nbk).astype(np.int64)

    def solve(self, allowed: B | None = None, vcap: I64 | None = None, bcap: I64 | None = None) -> I64:
        """Chosen arcs (pair indices) of the flow optimum.

        ``allowed`` masks the arcs that may be used; ``vcap`` and ``bcap`` replace the
        volunteer and block capacities (residual problems when re-pairing).
        """
        pc = self.pc
        ap = pc.arcs
        nv, nj = ap.n_agents, ap.n_jobs
        vc = pc.k_eff if vcap is None else vcap
        bc = self.cap if bcap is None else bcap
        use = self.weight[self.arc] > 0
        if allowed is not None:
            use &= allowed[self.arc]
        use &= (bc[self.block] > 0) & (vc[self.block_vol[self.block]] > 0)
        ia = np.flatnonzero(use)
        self._last = None
        if not len(ia):
            return np.zeros(0, np.int64)
        arc = self.arc[ia]
        src, snk = 0, 1
        v0, k0 = 2, 2 + nv
        j0 = k0 + self.n_blocks
        supply = int(vc.clip(0).sum())
        tails = np.concatenate(
            [np.zeros(nv, np.int64), v0 + self.block_vol, k0 + self.block[ia], j0 + np.arange(nj), [src]]
        )
        heads = np.concatenate(
            [v0 + np.arange(nv), k0 + np.arange(self.n_blocks), j0 + ap.arc_job[arc], np.full(nj, snk), [snk]]
        )
        caps = np.concatenate([vc.clip(0), bc.clip(0), np.ones(len(ia), np.int64), np.ones(nj, np.int64), [supply]])
        costs = np.concatenate([np.zeros(nv + self.n_blocks, np.int64), -self.weight[arc], np.zeros(nj + 1, np.int64)])
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int64), heads.astype(np.int64), caps.astype(np.int64), costs.astype(np.int64)
        )
        mcf.set_nodes_supplies(np.array([src, snk]), np.array([supply, -supply]))
        st = mcf.solve()
        if st != mcf.OPTIMAL:
            raise RuntimeError(f"block flow ended with status {st}")
        f = np.asarray(mcf.flows(np.arange(len(tails), dtype=np.int64)), np.int64)
        self._last = (tails, heads, caps, costs, f, j0)
        first = nv + self.n_blocks
        return np.unique(arc[f[first : first + len(ia)] > 0]).astype(np.int64)

    def prices(self, rounds: int = 500) -> npt.NDArray[np.float64]:
        """Per beneficiary, the dual of "paired at most once" in the last :meth:`solve`, in units of
        the first level (from node potentials: shortest distances in the residual network)."""
        nj = self.pc.arcs.n_jobs
        if self._last is None:
            return np.zeros(nj)
        tails, heads, caps, costs, f, j0 = self._last
        fw, bw = f < caps, f > 0
        t = np.concatenate([tails[fw], heads[bw]])
        h = np.concatenate([heads[fw], tails[bw]])
        c = np.concatenate([costs[fw], -costs[bw]])
        n = int(max(tails.max(), heads.max())) + 1
        d = np.zeros(n, np.int64)
        order = np.argsort(h, kind="stable")
        t, h, c = t[order], h[order], c[order]
        starts = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]]))
        hu = h[starts]
        for _ in range(rounds):  # Bellman-Ford from a root joined to every node
            cand = np.minimum(d[hu], np.minimum.reduceat(d[t] + c, starts))
            if np.array_equal(cand, d[hu]):
                break
            d[hu] = cand
        sink = np.flatnonzero((heads == 1) & (tails >= j0))
        lam = np.zeros(nj)
        dual = np.maximum(0, d[heads[sink]] - d[tails[sink]] - costs[sink])
        lam[tails[sink] - j0] = dual / float(self.unit)
        return lam

    def block_of(self, arc: int, start: int) -> int:
        """The block (index) holding a visit of ``arc`` starting at ``start`` (-1 when none)."""
        pc = self.pc
        v = int(pc.arcs.arc_agent[arc])
        if pc.k_eff[v] < 2:
            key = -(v + 1)
        else:
            d = start // 1440
            ivs = pc.elig.week.day_intervals(v, d)
            j = next((i for i, (a, b) in enumerate(ivs) if a <= start % 1440 < b), -1)
            key = (v * 7 + d) * 64 + j
        return self._index.get(key, -1)
