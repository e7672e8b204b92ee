"""Pricing for pairing: each volunteer's best schedulable set of beneficiaries at given reduced weights.

Given a reduced weight per arc (pair), :meth:`SetPricer.price` finds, for every volunteer, the
set of at most ``k_eff[v]`` of their candidates with the largest total reduced weight that the
exact weekly scheduler (:class:`~vmatch._pairing_sched.Scheduler`) can place.

Volunteers taking one beneficiary take their best candidate (vectorised). For the others a
branch and bound runs over the candidates with positive reduced weight, best first: sets grow
one candidate at a time (a subset of a set that schedules schedules too), and a branch stops as
soon as its best completion cannot beat the best set found. Before the exact scheduler is asked
about a set, a necessary test prunes: two visits can only share a week if some pair of their
start ranges (per volunteer block, from :meth:`~vmatch._pairing_week.WeekTables.blocks`) leaves
the first visit and the travel before the second, and the second and the travel around the week
back to the first; and their minutes fit the weekly limit. The test runs for one candidate
against all others of the volunteer at once (a "compatibility row", kept for later calls).

A search that runs past its budget, or a volunteer who may take more than :data:`EXACT_MAX`
beneficiaries, gets an upper bound instead of the exact value (the best completion left open,
or the sum of the best reduced weights): the Lagrangian bound built on it stays valid.

Examples
--------
>>> from vmatch.gen.pairing import generate_pairing
>>> from vmatch._pairing_compile import compile_pairing
>>> from vmatch._pairing_sched import Scheduler
>>> pc = compile_pairing(generate_pairing(80, 30, seed=1))
>>> pr = SetPricer(pc, Scheduler(pc))
>>> val, sets = pr.price(pc.arcs.levels[0].coef)
>>> v = int(max(range(30), key=lambda v: len(sets[v])))
>>> bens = sorted(int(pc.arcs.arc_job[a]) for a in sets[v])
>>> pr.sch.place(v, bens) is not None, float(val[v]) == float(pc.arcs.levels[0].coef[list(sets[v])].sum())
(True, True)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_flow import nearest_travel
from vmatch._pairing_sched import Scheduler
from vmatch._pairing_triple import fit3
from vmatch._pairing_week import DAY, WEEK
from vmatch.geo import haversine_km, travel_minutes

__all__ = ["EXACT_MAX", "SetPricer"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Volunteers who may take more beneficiaries than this get the sum of their best reduced weights.
EXACT_MAX = 3
#: Compatibility rows and exact checks per volunteer and pricing before the search gives up.
BUDGET = 400
_EPS = 1e-9


class _Local:
    """One volunteer's candidates: arcs, beneficiaries, minutes, homes, start ranges."""

    __slots__ = ("arcs", "bens", "caps", "ehi", "elo", "epos", "eptr", "lat", "lon", "m", "mask", "pos", "rows", "top")

    def __init__(
        self, arcs: I64, bens: I64, m: I64, lat: F64, lon: F64, epos: I64, ekey: I64, elo: I64, ehi: I64, tmin: I64
    ) -> None:
        self.arcs, self.bens, self.m, self.lat, self.lon = arcs, bens, m, lat, lon
        order = np.argsort(epos, kind="stable")
        epos, ekey, elo, ehi = epos[order], ekey[order], elo[order], ehi[order]
        self.epos, self.elo, self.ehi = epos, elo, ehi
        self.eptr = np.searchsorted(epos, np.arange(len(arcs) + 1)).astype(np.int64)
        self.pos = {int(a): i for i, a in enumerate(arcs.tolist())}
        self.rows: dict[int, tuple[B, B]] = {}
        # blocks (volunteer's day intervals) and how many visits each can hold at most
        keys, blk = np.unique(ekey, return_inverse=True)
        blk = blk.reshape(-1)
        nbk = len(keys)
        me = m[epos]
        span = np.full(nbk, np.iinfo(np.int64).min)
        np.maximum.at(span, blk, ehi + me)
        lo = np.full(nbk, np.iinfo(np.int64).max)
        np.minimum.at(lo, blk, elo)
        span -= lo
        tb = np.full(nbk, np.iinfo(np.int64).max)
        np.minimum.at(tb, blk, tmin[epos])
        order = np.lexsort((me, blk))
        bk, mm = blk[order], me[order]
        first = np.searchsorted(bk, np.arange(nbk))
        rank = np.arange(len(bk)) - first[bk]
        cs = np.cumsum(mm) - np.concatenate([[0], np.cumsum(mm)])[first][bk]
        self.caps = np.bincount(bk, weights=cs + rank * tb[bk] <= span[bk], minlength=nbk).astype(np.int64)
        self.mask = np.zeros(len(arcs), np.int64)
        if nbk <= 62:
            np.bitwise_or.at(self.mask, epos, np.left_shift(1, blk).astype(np.int64))
        else:  # too many blocks to tell apart: one for all (a weaker test)
            self.caps = np.asarray([int(self.caps.sum())])
            self.mask[:] = 1
        self.top = int(self.caps.sum())

    def held(self, mask: I64) -> I64:
        """Most visits the blocks in ``mask`` can hold together."""
        out = np.zeros(len(mask), np.int64)
        for j, c in enumerate(self.caps.tolist()):
            out += c * ((mask >> j) & 1)
        return out


class SetPricer:
    """Best schedulable set per volunteer (see the module docstring)."""

    def __init__(self, pc: PairingCompiled, sch: Scheduler, budget: int = BUDGET) -> None:
        ap = pc.arcs
        pe = pc.elig
        self.pc, self.sch, self.budget = pc, sch, budget
        self.agent, self.job = ap.arc_agent, ap.arc_job
        self.k = pc.k_eff
        self.vmax = pe.tables.vmax
        self.vday = pe.tables.vmaxday
        self.step = pc.problem.settings.time_step_minutes
        order = np.argsort(self.agent, kind="stable")
        self.vptr = np.searchsorted(self.agent[order], np.arange(ap.n_agents + 1)).astype(np.int64)
        self.vord = order.astype(np.int64)
        bs = pc.problem.beneficiaries
        self._blat = np.asarray([b.location.lat for b in bs], np.float64)
        self._blon = np.asarray([b.location.lon for b in bs], np.float64)
        self.speed = pc.problem.settings.travel_speed_kmh
        self._tmin = nearest_travel(pc)
        self._local: dict[int, _Local] = {}
        self._ok: dict[tuple[int, ...], bool] = {}
        self.checks = 0
        self.rows = 0
        self.gave_up = 0

    def _loc(self, v: int) -> _Local:
        loc = self._local.get(v)
        if loc is None:
            pe = self.pc.elig
            arcs = self.vord[self.vptr[v] : self.vptr[v + 1]]
            bens = self.job[arcs]
            pi, key, lo, hi = pe.week.blocks(np.full(len(arcs), v, np.int64), bens, runs=True)
            loc = self._local[v] = _Local(
                arcs, bens, pe.minutes[bens], self._blat[bens], self._blon[bens], pi, key, lo, hi, self._tmin[bens]
            )
        return loc

    def _row(self, v: int, loc: _Local, p: int) -> tuple[B, B]:
        """Candidates of v that may share v's week with candidate ``p``, and those that surely can.

        Start runs are exact progressions, so the test is exact but for rounding in the travel
        time: a pair whose travel could round either way is "may", not "surely".
        """
        got = loc.rows.get(p)
        if got is not None:
            return got
        self.rows += 1
        km = haversine_km(loc.lat[p], loc.lon[p], loc.lat, loc.lon)
        t_lo = np.asarray(travel_minutes(km * (1 - 1e-9), self.speed), np.int64)
        t_hi = np.asarray(travel_minutes(km * (1 + 1e-9), self.speed), np.int64)
        e0, e1 = loc.eptr[p], loc.eptr[p + 1]
        lo_p, hi_p = loc.elo[e0:e1, None], loc.ehi[e0:e1, None]
        mp, mj, t = int(loc.m[p]), loc.m[loc.epos], t_lo[loc.epos]
        d0, d1 = loc.elo - hi_p, loc.ehi - lo_p  # s_j - s_p runs over d0, d0 + step, ..., d1
        ok = np.zeros(d0.shape, bool)
        for shift in (0, -WEEK):
            lo_ok, hi_ok = mp + t + shift, WEEK - mj - t + shift
            first = d0 + np.maximum(0, -((d0 - lo_ok) // self.step)) * self.step
            ok |= first <= np.minimum(hi_ok, d1)
        if self.vday[v] >= 0:
            ok &= (loc.elo // DAY != lo_p // DAY) | (mj + mp <= self.vday[v])
        may = np.zeros(len(loc.arcs), bool)
        may[loc.epos[ok.any(axis=0)]] = True
        if self.vmax[v] >= 0:
            may &= loc.m + mp <= self.vmax[v]
        may &= loc.held(loc.mask | loc.mask[p]) >= 2
        may[p] = False
        got = loc.rows[p] = (may, may & (t_lo == t_hi))
        return got

    def _runs(self, loc: _Local, p: int) -> list[tuple[int, int]]:
        e0, e1 = loc.eptr[p], loc.eptr[p + 1]
        return list(zip(loc.elo[e0:e1].tolist(), loc.ehi[e0:e1].tolist(), strict=True))

    def feasible(self, v: int, bens: list[int], ps: list[int] | None = None) -> bool:
        """Whether volunteer v can serve all of ``bens``; a check cut short by the scheduler counts as
        yes. Three visits with their local positions ``ps`` are checked on their runs (:func:`fit3`)."""
        key = (v, *sorted(bens))
        got = self._ok.get(key)
        if got is None and ps is not None and len(ps) == 3:
            self.checks += 1
            loc = self._loc(v)
            tr = self.sch.travel
            t = [[tr(a, b) if a != b else 0 for b in bens] for a in bens]
            m = [int(loc.m[p]) for p in ps]
            fit = fit3([self._runs(loc, p) for p in ps], m, t, int(self.vmax[v]), int(self.vday[v]), self.step)
            got = self._ok[key] = fit is not None
        if got is None:
            self.checks += 1
            before = self.sch.hit_limit
            self.sch.hit_limit = False
            got = self.sch.place(v, bens) is not None or self.sch.hit_limit
            self.sch.hit_limit = before
            self._ok[key] = got
        return got

    def _search(self, v: int, arcs: I64, r: F64, k: int) -> tuple[float, tuple[int, ...]]:
        """Best set of at most ``k`` (2 or 3) of ``arcs`` (sorted by reduced weight ``r``, descending)."""
        loc = self._loc(v)
        k = min(k, loc.top)
        p = np.asarray([loc.pos[a] for a in arcs.tolist()], np.int64)
        n = len(p)
        rl = r.tolist()
        bens = loc.bens[p].tolist()
        best: float = rl[0]
        best_set: tuple[int, ...] = (0,)
        if k < 2:
            return best, (int(arcs[0]),)
        spent = 0
        mins = loc.m[p].tolist()
        min_m = min(mins)
        top = [sum(rl[i + 1 : i + k]) for i in range(n)]  # best completion of a set led by i
        for i in range(n):
            if rl[i] + top[i] <= best + _EPS:
                break
            spent += 1
            if spent > self.budget:
                self.gave_up += 1
                return rl[i] + top[i], tuple(arcs[list(best_set)].tolist())
            may_i, sure_i = self._row(v, loc, int(p[i]))
            row_i, sure = may_i[p], sure_i[p]
            row_i[: i + 1] = False
            js = np.flatnonzero(row_i).tolist()
            room = self.vmax[v] - int(loc.m[p[i]]) - min_m if self.vmax[v] >= 0 else WEEK
            for a, j in enumerate(js):
                third = rl[js[a + 1]] if k == 3 and a + 1 < len(js) else 0.0
                if rl[i] + rl[j] + third <= best + _EPS:
                    break
                can3 = k == 3 and mins[j] <= room  # a third visit may still fit the weekly minutes
                if not can3 and rl[i] + rl[j] <= best + _EPS:
                    continue
                spent += 1
                if not sure[j] and not self.feasible(v, [bens[i], bens[j]]):
                    continue
                if rl[i] + rl[j] > best + _EPS:
                    best, best_set = rl[i] + rl[j], (i, j)
                if not can3:
                    if k == 2:
                        break  # later partners of i are worth less
                    continue
                row_ij = row_i & self._row(v, loc, int(p[j]))[0][p]
                row_ij[: j + 1] = False
                if self.vmax[v] >= 0:
                    row_ij &= loc.m[p] <= self.vmax[v] - loc.m[p[i]] - loc.m[p[j]]
                mask_ij = int(loc.mask[p[i]] | loc.mask[p[j]])
                for m_ in np.flatnonzero(row_ij).tolist():
                    if rl[i] + rl[j] + rl[m_] <= best + _EPS:
                        break
                    if loc.held(np.asarray([mask_ij | int(loc.mask[p[m_]])]))[0] < 3:
                        continue
                    spent += 1
                    if self.feasible(v, [bens[i], bens[j], bens[m_]], [int(p[i]), int(p[j]), int(p[m_])]):
                        best, best_set = rl[i] + rl[j] + rl[m_], (i, j, m_)
                        break
        return best, tuple(arcs[list(best_set)].tolist())

    def price(self, r: F64, budget: int | None = None) -> tuple[F64, list[tuple[int, ...]]]:
        """Per volunteer: the best set's reduced weight (>= 0; an upper bound where the search gave up)
        and that set (arc indices; empty when no candidate has positive reduced weight).

        ``budget`` replaces the search budget per volunteer for this call (a small one suits a
        search that needs good sets, not the best)."""
        if budget is not None:
            keep, self.budget = self.budget, budget
            try:
                return self.price(r)
            finally:
                self.budget = keep
        nv = len(self.k)
        pos = np.flatnonzero(r > _EPS)
        val = np.zeros(nv)
        sets: list[tuple[int, ...]] = [()] * nv
        if not len(pos):
            return val, sets
        order = pos[np.lexsort((-r[pos], self.agent[pos]))]
        cuts = np.flatnonzero(np.diff(self.agent[order])) + 1
        starts = np.concatenate([[0], cuts])
        first = order[starts]
        fv = self.agent[first]
        val[fv] = r[first]
        kk = self.k[fv]
        for a, v in zip(first[kk == 1].tolist(), fv[kk == 1].tolist(), strict=True):
            sets[v] = (a,)
        ends = np.concatenate([cuts, [len(order)]])
        for s, e, v, k in zip(starts.tolist(), ends.tolist(), fv.tolist(), kk.tolist(), strict=True):
            if k < 2:
                continue
            grp = order[s:e]
            if k > EXACT_MAX:
                val[v] = float(r[grp[:k]].sum())
                sets[v] = (int(grp[0]),)
            elif len(grp) == 1:
                sets[v] = (int(grp[0]),)
            else:
                val[v], sets[v] = self._search(v, grp, r[grp], k)
        return val, sets
