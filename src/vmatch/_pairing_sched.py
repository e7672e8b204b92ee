"""Weekly schedule of one volunteer's visits: an exact check, and a small set that cannot be served.

:meth:`Scheduler.place` finds visit starts for a set of beneficiaries of one volunteer
such that no two visits overlap or leave too little travel time between the two homes
(around the week: Sunday night to Monday morning counts), the per-day and weekly
minutes stay within the limits — or proves that none exist (depth-first search over the
visit starts, with a node limit).

A beneficiary whose starts include ``k`` pairwise at least *gap* apart (gap: its visit,
plus the longest other visit and twice the longest travel to another home) cannot be
blocked by ``k - 1`` other visits, each of which blocks less than *gap* of the week: such
visits are placed last, without search (not when a per-day limit can bind).

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> from vmatch._pairing_model import Beneficiary, PairingProblem
>>> from vmatch._pairing_compile import compile_pairing
>>> r = (WeeklyRule((2,), time(16, 30), time(18)),)
>>> bs = tuple(Beneficiary(f"b{i}", Location(30.0, 114.0 + i / 50), r, 60) for i in range(2))
>>> p = PairingProblem((Volunteer("v", Location(30.0, 114.01)),), bs, today=date(2026, 12, 7),
...                    max_beneficiaries={"v": 2})
>>> s = Scheduler(compile_pairing(p))
>>> s.place(0, [0]), s.place(0, [0, 1]), s.conflict(0, [0, 1])
({0: 2430}, None, [0, 1])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_week import DAY, WEEK, separated
from vmatch.geo import haversine_km, travel_minutes

__all__ = ["NODE_LIMIT", "Scheduler"]

log = logging.getLogger(__name__)

#: Search nodes per check; beyond it a set is treated as not schedulable (and the answer
#: is no longer proven optimal).
NODE_LIMIT = 200_000


def clash(s1: int, e1: int, s2: int, e2: int, t: int) -> bool:
    """Two weekly visits overlap, or leave less than ``t`` minutes between them either way round."""
    return (s1 < e2 and s2 < e1) or (s2 - e1) % WEEK < t or (s1 - e2) % WEEK < t


class Scheduler:
    """Exact weekly schedules of the volunteers of a compiled pairing problem."""

    def __init__(self, pc: PairingCompiled) -> None:
        p = pc.problem
        self.week = pc.elig.week
        self.minutes = pc.elig.minutes.tolist()
        self.vmax = pc.elig.tables.vmax.tolist()
        self.vday = pc.elig.tables.vmaxday.tolist()
        self.lat = [b.location.lat for b in p.beneficiaries]
        self.lon = [b.location.lon for b in p.beneficiaries]
        self.speed = p.settings.travel_speed_kmh
        self._starts: dict[tuple[int, int], list[int]] = {}
        self._travel: dict[tuple[int, int], int] = {}
        self.hit_limit = False

    def starts(self, v: int, b: int) -> list[int]:
        """Visit starts (week minutes) of the pair."""
        key = (v, b)
        s = self._starts.get(key)
        if s is None:
            s = self._starts[key] = self.week.starts(v, b).tolist()
        return s

    def travel(self, b1: int, b2: int) -> int:
        """Minutes between two homes."""
        key = (b1, b2) if b1 < b2 else (b2, b1)
        t = self._travel.get(key)
        if t is None:
            km = float(haversine_km(self.lat[b1], self.lon[b1], self.lat[b2], self.lon[b2]))
            t = self._travel[key] = int(travel_minutes(km, self.speed))
        return t

    def place(self, v: int, bens: Sequence[int]) -> dict[int, int] | None:
        """Visit start per beneficiary, or None when no schedule keeps every rule."""
        m = {b: self.minutes[b] for b in bens}
        total = sum(m.values())
        if (self.vmax[v] >= 0 and total > self.vmax[v]) or len(set(bens)) < len(bens):
            return None
        day_lim = self.vday[v] if self.vday[v] >= 0 and total > self.vday[v] else -1
        k = len(bens)
        easy: list[tuple[int, list[int]]] = []
        hard: list[tuple[int, list[int]]] = []
        for b in bens:
            st = self.starts(v, b)
            if not st:
                return None
            if day_lim < 0:
                if k == 1:
                    return {b: st[0]}
                gap = m[b] + max(m[o] + 2 * self.travel(b, o) for o in bens if o != b)
                picks = separated(np.asarray(st, np.int64), gap, k)
                if len(picks) >= k:
                    easy.append((b, picks.tolist()))
                    continue
            hard.append((b, st))
        hard.sort(key=lambda x: len(x[1]))
        placed: list[tuple[int, int, int]] = []
        day_load = [0] * 7
        nodes = 0

        def search(i: int) -> bool:
            nonlocal nodes
            if i == len(hard):
                return True
            b, st = hard[i]
            for s in st:
                nodes += 1
                if nodes > NODE_LIMIT:
                    self.hit_limit = True
                    return False
                d = s // DAY
                if day_lim >= 0 and day_load[d] + m[b] > day_lim:
                    continue
                if any(clash(s, s + m[b], s2, e2, self.travel(b, b2)) for s2, e2, b2 in placed):
                    continue
                placed.append((s, s + m[b], b))
                day_load[d] += m[b]
                if search(i + 1):
                    return True
                placed.pop()
                day_load[d] -= m[b]
            return False

        if not search(0):
            return None
        for b, free in easy:
            s = next(
                x for x in free if not any(clash(x, x + m[b], s2, e2, self.travel(b, b2)) for s2, e2, b2 in placed)
            )
            placed.append((s, s + m[b], b))
        return {b: s for s, _, b in placed}

    def conflict(self, v: int, bens: Sequence[int]) -> list[int]:
        """A minimal subset of ``bens`` that cannot be scheduled together (``bens`` cannot)."""
        out = list(bens)
        for b in sorted(bens, key=lambda x: -len(self.starts(v, x))):
            rest = [x for x in out if x != b]
            if self.place(v, rest) is None:
                out = rest
        return out
