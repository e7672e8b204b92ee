"""Synthetic tasks: sites at community stations, a week of windows, skills and team rules.

Tasks are drawn by category (:data:`~vmatch.gen.vocab.CATEGORIES`); each category
sets the skills, certificates and language restrictions it may ask for. Windows are
1-4 hours on weekday mornings, afternoons and evenings and across weekend days (more
tasks on weekends); about a third are flexible, mostly by at most an hour.

Examples
--------
>>> import numpy as np
>>> from datetime import date
>>> from vmatch.gen.clock import Clock
>>> from vmatch.gen.regions import region
>>> clock = Clock("Asia/Shanghai", date(2026, 12, 7))
>>> ts = draw_tasks(np.random.default_rng(1), 40, region("city"), clock, 7)
>>> len(ts), ts[0].id
(40, 't00')
>>> all(30 <= t.duration_minutes <= 180 and 60 <= t.window.minutes <= 240 for t in ts)
True
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from vmatch.gen.clock import Clock
from vmatch.gen.regions import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQ, Region
from vmatch.gen.vocab import CATEGORIES, TASK_LEVEL_P
from vmatch.model import Location, Requirement, Task

__all__ = ["draw_tasks"]

_H = 60
WINDOWS = np.arange(60, 241, 15)
WINDOW_P = np.exp(-(WINDOWS - 60) / 60.0) / np.exp(-(WINDOWS - 60) / 60.0).sum()
# time-of-day slots: earliest start, latest start, latest end (minutes after midnight)
SLOTS = np.array([[8 * _H, 10 * _H, 12 * _H + 30], [14 * _H, 15 * _H + 30, 18 * _H + 30], [18 * _H, 19 * _H, 22 * _H]])
WEEKDAY_SLOT_P = (0.30, 0.15, 0.55)
WEEKEND_SLOT_P = (0.55, 0.40, 0.05)
HEAD_P = (0.45, 0.27, 0.13, 0.07, 0.05, 0.03)
TEAM_HEAD_P = (0.05, 0.15, 0.20, 0.20, 0.20, 0.20)
PRIORITY_P = (0.20, 0.30, 0.28, 0.14, 0.08)
GENERAL_LANGS = (frozenset({"yue"}), frozenset({"en"}), frozenset({"zh"}))


class _Draws:
    """All random arrays for ``n`` tasks (attribute bag)."""

    def __init__(self, rng: np.random.Generator, n: int, clock: Clock, days: int) -> None:
        self.cat = rng.choice(len(CATEGORIES), size=n, p=[c.weight for c in CATEGORIES])
        team = np.array([c.team for c in CATEGORIES])[self.cat]
        # day (weekends busier) and slot
        wkend = np.array([clock.weekday(d) >= 6 for d in range(days)])
        pd = np.where(wkend, 2.5, 1.0)
        self.day = rng.choice(days, size=n, p=pd / pd.sum())
        slot = np.where(
            wkend[self.day], rng.choice(3, size=n, p=WEEKEND_SLOT_P), rng.choice(3, size=n, p=WEEKDAY_SLOT_P)
        )
        lo, hi, cap = SLOTS[slot, 0], SLOTS[slot, 1], SLOTS[slot, 2]
        start = lo + 30 * np.floor(rng.random(n) * ((hi - lo) // 30 + 1)).astype(np.int64)
        win = np.minimum(rng.choice(WINDOWS, size=n, p=WINDOW_P), (cap - start) // 15 * 15)
        # flexible: slack 15-60 min mostly, up to 120 sometimes; durations 30-180 min
        slack = np.where(rng.random(n) < 0.9, 15 * rng.integers(1, 5, n), 15 * rng.integers(5, 9, n))
        slack = np.where(rng.random(n) < 0.35, slack, 0)
        self.dur = np.clip(win - slack, 30, 180)
        self.start = self.day * 1440 + start
        self.end = self.start + win
        # head-counts and team rules
        head = np.where(team, rng.choice(6, size=n, p=TEAM_HEAD_P), rng.choice(6, size=n, p=HEAD_P)) + 1
        self.head = head
        self.min_head = np.where(
            (head >= 2) & (rng.random(n) < np.where(team, 0.6, 0.25)),
            2 + np.floor(rng.random(n) * (head - 1)),
            1,
        ).astype(np.int64)
        self.req = (head >= 2) & (rng.random(n) < np.where(team, 0.6, 0.3))
        self.req_first_aid = rng.random(n) < 0.6
        self.req_level = np.where(rng.random(n) < 0.7, 1, 2)
        self.req_count = np.where((head >= 4) & (rng.random(n) < 0.3), 2, 1)
        # skills: 0-2 from the category pool, earlier ones likelier
        self.n_sk = rng.choice(3, size=n, p=(0.40, 0.42, 0.18))
        self.sk_key = rng.random((n, 4)) ** (1.0 / np.array([4.0, 2.0, 1.3, 1.0]))
        self.sk_level = rng.choice(3, size=(n, 2), p=TASK_LEVEL_P) + 1
        self.cert_u = rng.random(n)
        self.lang_u, self.lang_g, self.lang_v = rng.random(n), rng.random(n), rng.integers(0, 3, n)
        boost = np.array([c.priority_boost for c in CATEGORIES])[self.cat]
        self.prio = np.minimum(rng.choice(5, size=n, p=PRIORITY_P) + 1 + boost, 5)
        self.home_u = rng.random(n)


def _sites(rng: np.random.Generator, n: int, reg: Region, cat: Any) -> tuple[Any, Any, Any]:
    """Task sites: community stations (some busy) with a little jitter, or residents' homes."""
    n_st = max(3, round(n / 12))
    slat, slon, _ = reg.sample(rng, n_st, spread=0.8)
    busy = rng.pareto(1.5, n_st) + 1.0
    st = rng.choice(n_st, size=n, p=busy / busy.sum())
    jit = rng.standard_normal((n, 2)) * 0.3
    lat = slat[st] + jit[:, 0] / KM_PER_DEG_LAT
    lon = slon[st] + jit[:, 1] / (KM_PER_DEG_LON_EQ * np.cos(np.radians(slat[st])))
    hlat, hlon, _ = reg.sample(rng, n)
    home = rng.random(n) < np.array([c.home_visit for c in CATEGORIES])[cat]
    lat, lon = np.where(home, hlat, lat), np.where(home, hlon, lon)
    lat0, lat1, lon0, lon1 = reg.bbox
    return np.clip(lat, lat0, lat1), np.clip(lon, lon0, lon1), np.where(home, -1, st)


def draw_tasks(rng: np.random.Generator, n: int, reg: Region, clock: Clock, days: int) -> list[Task]:
    """Draw ``n`` tasks in ``reg`` over ``days`` days from ``clock``'s start.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the only one used).
    n : int
        Number of tasks; ids are ``t`` plus a zero-padded index.
    reg : Region
        Where sites are drawn.
    clock : Clock
        Start date and time zone.
    days : int
        Horizon length in days.

    Returns
    -------
    list of Task
    """
    r = _Draws(rng, n, clock, days)
    lat, lon, station = _sites(rng, n, reg, r.cat)
    width = len(str(max(n - 1, 0)))
    swidth = len(str(max(round(n / 12), 3)))
    durations: dict[int, timedelta] = {}
    out: list[Task] = []
    for i in range(n):
        c = CATEGORIES[int(r.cat[i])]
        pool = c.skills
        order = sorted(range(len(pool)), key=lambda k: -r.sk_key[i, k])
        skills = {pool[order[k]]: int(r.sk_level[i, k]) for k in range(min(int(r.n_sk[i]), len(pool)))}
        reqs: tuple[Requirement, ...] = ()
        if r.req[i]:
            cand = [
                s for s in (("first_aid", pool[0]) if r.req_first_aid[i] else (pool[0], "first_aid")) if s not in skills
            ]
            if cand:
                reqs = (Requirement(cand[0], int(r.req_level[i]), int(r.req_count[i])),)
        certs = (c.certificate,) if c.certificate is not None and r.cert_u[i] < c.cert_p else ()
        attrs: dict[str, frozenset[str]] = {}
        acc = 0.0
        for langs, p in c.languages:
            acc += p
            if r.lang_u[i] < acc:
                attrs["language"] = langs
                break
        if not attrs and r.lang_g[i] < 0.04:
            attrs["language"] = GENERAL_LANGS[int(r.lang_v[i])]
        s, e, d = int(r.start[i]), int(r.end[i]), int(r.dur[i])
        dur = durations.get(d)
        if dur is None:
            dur = durations[d] = timedelta(minutes=d)
        st = int(station[i])
        out.append(
            Task(
                id=f"t{i:0{width}d}",
                location=Location(round(float(lat[i]), 6), round(float(lon[i]), 6)),
                window=clock.window(s, e),
                duration=dur,
                headcount=int(r.head[i]),
                min_headcount=int(r.min_head[i]),
                priority=int(r.prio[i]),
                skills=skills,
                requirements=reqs,
                certificates=certs,
                attributes=attrs,
                category=c.name,
                extra={"station": f"s{st:0{swidth}d}"} if st >= 0 else {},
            )
        )
    return out
