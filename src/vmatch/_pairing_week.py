"""Weekly time for pairing: week minutes, day patterns, visit starts, shared time, separated starts.

A **week minute** is ``(ISO weekday - 1) * 1440 + minutes after local midnight``, in
``[0, 10080)``. Weekly rules are local wall-clock times, so every week is the same.

* A volunteer's weekly time is the union of their weekly rules (touching windows join);
  with no rule and no one-off window they are always free, with one-off windows only they
  have no weekly time.
* A beneficiary's visit windows are their rules joined **per day**; a visit lies inside one
  window, so inside one day, and starts on the time step counted from the window's start.

Because a visit lies inside one day, a pair's visit starts are the union over the seven
days of what the two **day patterns** (the intervals of one day) allow. :class:`WeekTables`
numbers the distinct day patterns and tabulates, for every (volunteer pattern,
beneficiary pattern, visit length), how many starts fit and how many minutes are shared;
a pair then needs seven table look-ups.

Examples
--------
>>> from datetime import time
>>> from vmatch.model import WeeklyRule
>>> r = (WeeklyRule((1, 2), time(9), time(11)), WeeklyRule((1,), time(11), time(12)))
>>> day_windows(r)
[(540, 720), (1980, 2100)]
>>> starts_in(day_windows(r), 60, 30).tolist()
[540, 570, 600, 630, 660, 1980, 2010, 2040]
>>> separated(np.array([540, 570, 1980, 2040]), gap=300, k=2).tolist()
[540, 1980]
>>> wt = WeekTables([[(600, 720)]], [[(540, 720), (1980, 2100)]], [60], step=30)
>>> one = np.array([0])
>>> int(wt.n_starts(one, one)[0]), wt.starts(0, 0).tolist(), int(wt.shared(one, one)[0])
(3, [600, 630, 660], 120)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from vmatch.model import Volunteer, WeeklyRule

__all__ = ["DAY", "WEEK", "WeekTables", "day_windows", "separated", "starts_in", "volunteer_week"]

DAY = 1440
WEEK = 7 * DAY

I64 = npt.NDArray[np.int64]
Intervals = Sequence[tuple[int, int]]


def _rule_intervals(rules: Iterable[WeeklyRule]) -> list[tuple[int, int]]:
    return [((d - 1) * DAY + r.start_minute, (d - 1) * DAY + r.end_minute) for r in rules for d in r.days]


def _merge(iv: Iterable[tuple[int, int]], same_day: bool = False) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(iv):
        if out and s <= out[-1][1] and (not same_day or s // DAY == out[-1][0] // DAY):
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _cut(iv: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in iv:
        while s < e:
            c = min(e, (s // DAY + 1) * DAY)
            out.append((s, c))
            s = c
    return out


def volunteer_week(v: Volunteer) -> list[tuple[int, int]]:
    """The volunteer's weekly time, merged and cut at midnight (see the module docstring)."""
    if not v.weekly:
        return [] if v.availability else [(d * DAY, (d + 1) * DAY) for d in range(7)]
    return _cut(_merge(_rule_intervals(v.weekly)))


def day_windows(rules: Iterable[WeeklyRule]) -> list[tuple[int, int]]:
    """A beneficiary's visit windows: rules merged, cut at midnight, merged again within each day."""
    return _merge(_cut(_merge(_rule_intervals(rules))), same_day=True)


def starts_in(windows: Intervals, minutes: int, step: int) -> I64:
    """Candidate visit starts: each window's start + k * step while the visit fits the window."""
    parts = [np.arange(s, e - minutes + 1, step, dtype=np.int64) for s, e in windows if e - s >= minutes]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def separated(starts: I64, gap: int, k: int) -> I64:
    """Up to ``k`` starts, taken earliest first, pairwise at least ``gap`` apart around the week."""
    picks: list[int] = []
    for s in np.sort(starts).tolist():
        if not picks or s - picks[-1] >= gap:
            picks.append(s)
            if len(picks) == k:
                break
    while len(picks) > 1 and picks[0] + WEEK - picks[-1] < gap:
        picks.pop()
    return np.asarray(picks, np.int64)


def _by_day(iv: Intervals) -> list[tuple[tuple[int, int], ...]]:
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for s, e in iv:
        d = s // DAY
        days[d].append((s - d * DAY, e - d * DAY))
    return [tuple(x) for x in days]


def _number(weeks: Sequence[Intervals]) -> tuple[I64, list[tuple[tuple[int, int], ...]]]:
    """Day-pattern ids (n, 7) of interval lists, and the patterns (id 0: no time)."""
    ids: dict[tuple[tuple[int, int], ...], int] = {(): 0}
    rows: dict[tuple[tuple[int, int], ...], list[int]] = {}
    out = np.zeros((len(weeks), 7), np.int64)
    for i, iv in enumerate(weeks):
        key = tuple(iv)
        row = rows.get(key)
        if row is None:
            row = rows[key] = [ids.setdefault(p, len(ids)) for p in _by_day(key)]
        out[i] = row
    return out, list(ids)


class WeekTables:
    """Day patterns of volunteers and beneficiaries and the tables of their combinations.

    Parameters
    ----------
    vol_week : list of interval lists
        Each volunteer's weekly time (week minutes, cut at midnight).
    ben_windows : list of interval lists
        Each beneficiary's visit windows (:func:`day_windows`).
    minutes : list of int
        Each beneficiary's visit length.
    step : int
        Time step of visit starts.
    """

    def __init__(
        self,
        vol_week: Sequence[Intervals],
        ben_windows: Sequence[Intervals],
        minutes: Sequence[int],
        step: int,
    ) -> None:
        self.vdp, vpats = _number(vol_week)
        self.bdp, bpats = _number(ben_windows)
        lengths = sorted(set(minutes))
        self.mins = np.asarray(lengths, np.int64)
        self.mid = np.searchsorted(self.mins, np.asarray(minutes, np.int64)).astype(np.int64)
        nvp, nbp, nm = len(vpats), len(bpats), len(lengths)
        # reach[p, t]: end of the pattern-p interval holding minute t, else -1
        self._reach = np.full((nvp, DAY + 1), -1, np.int64)
        vcov = np.zeros((nvp, DAY), np.float32)
        for p, ivs in enumerate(vpats):
            for s, e in ivs:
                self._reach[p, s:e] = e
                vcov[p, s:e] = 1.0
        bcov = np.zeros((nbp, DAY), np.float32)
        for p, ivs in enumerate(bpats):
            for s, e in ivs:
                bcov[p, s:e] = 1.0
        self._shared = np.rint(vcov @ bcov.T).astype(np.int64)
        self._s = [[starts_in(ivs, m, step) for m in lengths] for ivs in bpats]
        self._cnt = np.zeros((nvp, nbp, nm), np.int64)
        for bp in range(nbp):
            for mi, m in enumerate(lengths):
                st = self._s[bp][mi]
                if len(st):
                    self._cnt[:, bp, mi] = (self._reach[:, st] >= st + m).sum(axis=1)
        self._nbp, self._nm = nbp, nm
        self._vpats = vpats
        self._blocks: tuple[I64, I64, I64, I64] | None = None
        self._runs: tuple[I64, I64, I64, I64] | None = None
        self.step = step

    def day_intervals(self, v: int, d: int) -> tuple[tuple[int, int], ...]:
        """Volunteer ``v``'s intervals on weekday index ``d`` (0 = Monday), minutes after midnight."""
        return self._vpats[int(self.vdp[v, d])]

    def _block_table(self, runs: bool) -> tuple[I64, I64, I64, I64]:
        """Per table entry: CSR of (volunteer interval index, earliest start, latest start) with starts;
        with ``runs``, one row per run of starts one step apart instead of one per interval."""
        got = self._runs if runs else self._blocks
        if got is None:
            nvp = len(self._vpats)
            n = nvp * self._nbp * self._nm
            lens = np.zeros(n, np.int64)
            rows: list[tuple[int, int, int, int]] = []
            for vp, ivs in enumerate(self._vpats):
                for bp in range(self._nbp):
                    for mi, m in enumerate(self.mins.tolist()):
                        s = self._s[bp][mi]
                        if not len(s) or not ivs:
                            continue
                        ok = s[self._reach[vp, s] >= s + m]
                        e = (vp * self._nbp + bp) * self._nm + mi
                        for j, (a, b) in enumerate(ivs):
                            inside = ok[(ok >= a) & (ok < b)]
                            if not len(inside):
                                continue
                            cut = np.flatnonzero(np.diff(inside) != self.step) + 1 if runs else np.zeros(0, np.int64)
                            for part in np.split(inside, cut):
                                rows.append((e, j, int(part[0]), int(part[-1])))
                                lens[e] += 1
            arr = np.asarray(rows, np.int64).reshape(-1, 4)
            ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
            got = (ptr, arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy())
            if runs:
                self._runs = got
            else:
                self._blocks = got
        return got

    def blocks(self, v: I64, b: I64, runs: bool = False) -> tuple[I64, I64, I64, I64]:
        """The volunteer blocks (day intervals) in which each pair has visit starts.

        Returns ``(pair, block, lo, hi)``: pair index into ``v``/``b``, block key
        ``(v * 7 + day) * 64 + interval index``, and the earliest and latest start
        (week minutes) of the pair in that block. With ``runs``, one row per run of starts
        one time step apart (the pair's starts are then exactly ``lo, lo + step, ..., hi``
        over its rows).
        """
        ptr, bj, blo, bhi = self._block_table(runs)
        out: list[tuple[I64, I64, I64, I64]] = []
        idx = np.arange(len(v), dtype=np.int64)
        for d in range(7):
            e = (self.vdp[v, d] * self._nbp + self.bdp[b, d]) * self._nm + self.mid[b]
            cnt = ptr[e + 1] - ptr[e]
            pi = np.repeat(idx, cnt)
            k = (
                np.repeat(ptr[e], cnt)
                + np.arange(int(cnt.sum()), dtype=np.int64)
                - np.repeat(np.cumsum(cnt) - cnt, cnt)
            )
            out.append((pi, (v[pi] * 7 + d) * 64 + bj[k], blo[k] + d * DAY, bhi[k] + d * DAY))
        return tuple(np.concatenate([o[i] for o in out]) for i in range(4))  # type: ignore[return-value]

    def _gather(self, table: npt.NDArray[np.int64], v: I64, b: I64, with_m: bool) -> I64:
        out = np.zeros(len(v), np.int64)
        flat = table.ravel()
        for c0 in range(0, len(v), 1_000_000):
            vv, bb = v[c0 : c0 + 1_000_000], b[c0 : c0 + 1_000_000]
            acc = np.zeros(len(vv), np.int64)
            mi = self.mid[bb] if with_m else None
            for d in range(7):
                idx = self.vdp[vv, d] * self._nbp + self.bdp[bb, d]
                acc += flat[idx * self._nm + mi] if mi is not None else flat[idx]
            out[c0 : c0 + len(vv)] = acc
        return out

    def n_starts(self, v: I64, b: I64) -> I64:
        """Number of visit starts of each pair (v[i], b[i])."""
        return self._gather(self._cnt, v, b, True)

    def shared(self, v: I64, b: I64) -> I64:
        """Minutes of weekly time each pair shares."""
        return self._gather(self._shared, v, b, False)

    def starts(self, v: int, b: int) -> I64:
        """Visit starts (week minutes) of one pair, in order."""
        mi = int(self.mid[b])
        m = int(self.mins[mi])
        out = []
        for d in range(7):
            s = self._s[int(self.bdp[b, d])][mi]
            if len(s):
                ok = self._reach[int(self.vdp[v, d]), s] >= s + m
                out.append(s[ok] + d * DAY)
        return np.concatenate(out) if out else np.zeros(0, np.int64)
