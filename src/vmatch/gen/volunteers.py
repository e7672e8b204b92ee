"""Synthetic volunteers: clustered homes, skewed skills, expiring certificates, weekly habits.

Every random quantity is drawn for all volunteers at once with numpy; one Python pass
then builds the :class:`~vmatch.model.Volunteer` objects.

Examples
--------
>>> import numpy as np
>>> from datetime import date
>>> from vmatch.gen.clock import Clock
>>> from vmatch.gen.regions import region
>>> clock = Clock("Asia/Shanghai", date(2026, 12, 7))
>>> vs = draw_volunteers(np.random.default_rng(1), 50, region("city"), clock, 7)
>>> len(vs), vs[0].id
(50, 'v00')
>>> all(1 <= len(v.skills) <= 4 for v in vs)
True
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from vmatch.gen.clock import Clock
from vmatch.gen.regions import Region
from vmatch.gen.vocab import CERTIFICATES, LANGUAGES, SKILL_WEIGHTS, SKILLS, VOLUNTEER_LEVEL_P
from vmatch.model import Location, TimeWindow, Volunteer, WeeklyRule

__all__ = ["draw_volunteers"]

# availability kinds
ALWAYS, ONE_OFF, WEEKLY, BOTH = 0, 1, 2, 3
KIND_P = (0.04, 0.14, 0.70, 0.12)
# personas shaping weekly habits
WORKER, STUDENT, RETIREE = 0, 1, 2
PERSONA_P = (0.55, 0.20, 0.25)

_H = 60
EVENINGS = ((18 * _H, 21 * _H), (18 * _H + 30, 21 * _H + 30), (19 * _H, 22 * _H))
WEEKEND_BLOCKS = ((9 * _H, 12 * _H), (14 * _H, 18 * _H), (9 * _H, 17 * _H))
STUDENT_BLOCKS = ((8 * _H + 30, 17 * _H + 30), (9 * _H, 12 * _H), (13 * _H + 30, 18 * _H))
WEEKEND_DAYS = ((6,), (7,), (6, 7))
WEEKEND_P = (0.35, 0.35, 0.30)

MAX_MINUTES = (240, 300, 360, 420, 480, 540, 600, 720, 900)
MAX_MINUTES_P = (0.12, 0.14, 0.14, 0.12, 0.14, 0.10, 0.10, 0.08, 0.06)
PER_DAY = (120, 180, 240, 300)
OWN_KM = (4.0, 5.0, 6.0, 7.0, 8.0)

_SK = {s: i for i, s in enumerate(SKILLS)}


def _weekly(clock: Clock, i: int, persona: int, wd: tuple[int, ...], r: Any) -> list[WeeklyRule]:
    """Weekly rules of volunteer ``i`` from its pre-drawn choices ``r``."""
    o1, o2, we, c0, c1 = int(r.opt1[i]), int(r.opt2[i]), WEEKEND_DAYS[int(r.we[i])], r.c0[i], r.c1[i]
    if persona == WORKER:
        out = [clock.rule(wd, *EVENINGS[o1])]
        if c0 < 0.55:
            out.append(clock.rule(we, *WEEKEND_BLOCKS[o2]))
    elif persona == STUDENT:
        out = [clock.rule(we, *STUDENT_BLOCKS[o1])]
        if c0 < 0.5:
            out.append(clock.rule(((2, 4), (3, 5), (1, 3, 5))[o2], 14 * _H, 17 * _H + 30))
    else:
        out = [clock.rule(wd, 8 * _H, 11 * _H + 30)]
        if c0 < 0.6:
            out.append(clock.rule(wd, 14 * _H, 17 * _H))
        if c1 < 0.3:
            out.append(clock.rule(we, 8 * _H + 30, 11 * _H + 30))
    return out


class _Draws:
    """All random arrays for ``n`` volunteers (attribute bag)."""

    def __init__(self, rng: np.random.Generator, n: int, days: int) -> None:
        ns = len(SKILLS)
        self.kind = rng.choice(4, size=n, p=KIND_P)
        self.persona = rng.choice(3, size=n, p=PERSONA_P)
        # weekdays held: a random subset of Mon-Fri (all five for many workers)
        rank = np.argsort(np.argsort(rng.random((n, 5)), axis=1), axis=1)
        nwd = np.where(
            self.persona == RETIREE,
            rng.integers(3, 6, n),
            np.where(rng.random(n) < 0.4, 5, rng.integers(2, 5, n)),
        )
        self.wd_mask = rank < nwd[:, None]
        self.opt1, self.opt2 = rng.integers(0, 3, n), rng.integers(0, 3, n)
        self.we = rng.choice(3, size=n, p=WEEKEND_P)
        self.c0, self.c1 = rng.random(n), rng.random(n)
        # one-off windows: 1-3 per volunteer, 3-8 hours, starting 08:00-18:00
        self.n_one = rng.integers(1, 4, n)
        self.one_day = rng.integers(0, days, (n, 3))
        self.one_start = 8 * _H + 30 * rng.integers(0, 21, (n, 3))
        self.one_end = np.minimum(self.one_start + 180 + 30 * rng.integers(0, 11, (n, 3)), 22 * _H + 30)
        # skills: 1-4 distinct skills by popularity (Gumbel top-k), levels skewed low
        self.n_sk = rng.choice(4, size=n, p=(0.35, 0.33, 0.20, 0.12)) + 1
        keys = np.log(np.asarray(SKILL_WEIGHTS)) + rng.gumbel(size=(n, ns))
        self.sk_order = np.argsort(-keys, axis=1)[:, :4]
        self.sk_level = rng.choice(5, size=(n, 4), p=VOLUNTEER_LEVEL_P) + 1
        held = np.zeros((n, ns), dtype=bool)
        rows = np.repeat(np.arange(n), 4)
        held[rows, self.sk_order.ravel()] = (np.arange(4)[None, :] < self.n_sk[:, None]).ravel()
        # certificates: base rates, boosted by the matching skill
        p_cert = np.empty((n, 3))
        p_cert[:, 0] = 0.22 + 0.2 * (held[:, _SK["driving"]] | held[:, _SK["first_aid"]])
        p_cert[:, 1] = 0.10 + 0.35 * held[:, _SK["cooking"]]
        p_cert[:, 2] = 0.02 + 0.6 * held[:, _SK["medical"]]
        self.cert = rng.random((n, 3)) < p_cert
        # expiry: none, inside the horizon (mid-week), already expired, far future
        self.exp_kind = rng.choice(4, size=(n, 3), p=(0.35, 0.15, 0.03, 0.47))
        self.exp_soon = rng.integers(0, max(1, days - 1), (n, 3))
        self.exp_past = rng.integers(1, 60, (n, 3))
        self.exp_far = rng.integers(60, 900, (n, 3))
        # languages: most speak zh; sign language goes with the skill
        u = rng.random((n, 4))
        lang = np.column_stack(
            [
                u[:, 0] < 0.97,
                u[:, 1] < 0.06,
                u[:, 2] < 0.22,
                (u[:, 3] < 0.02) | (held[:, _SK["sign_language"]] & (u[:, 3] < 0.9)),
            ]
        )
        lang[~lang.any(axis=1), 0] = True
        self.lang = lang
        self.max_min = rng.choice(np.asarray(MAX_MINUTES), size=n, p=MAX_MINUTES_P)
        self.per_day = np.where(rng.random(n) < 0.35, rng.choice(np.asarray(PER_DAY), n), -1)
        self.own_km = np.where(rng.random(n) < 0.25, rng.choice(np.asarray(OWN_KM), n), -1.0)
        self.hours = np.minimum(np.round(rng.lognormal(3.5, 1.2, n) * 2) / 2, 3000.0)
        self.rating = np.where(rng.random(n) < 0.75, np.round(3.0 + 2.0 * rng.beta(4.0, 1.5, n), 1), -1.0)
        self.team = np.where(rng.random(n) < 0.12, rng.integers(0, 3, n), -1)


def draw_volunteers(rng: np.random.Generator, n: int, reg: Region, clock: Clock, days: int) -> list[Volunteer]:
    """Draw ``n`` volunteers living in ``reg``, available over ``days`` days from ``clock``'s start.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the only one used).
    n : int
        Number of volunteers; ids are ``v`` plus a zero-padded index.
    reg : Region
        Where homes are drawn.
    clock : Clock
        Start date and time zone.
    days : int
        Horizon length in days (one-off windows and expiry dates fall inside it).

    Returns
    -------
    list of Volunteer
    """
    lat, lon, centre = reg.sample(rng, n)
    r = _Draws(rng, n, days)
    width = len(str(max(n - 1, 0)))
    langs = [frozenset(LANGUAGES[j] for j in range(4) if row[j]) for row in r.lang.tolist()]
    lang_cache: dict[frozenset[str], dict[str, frozenset[str]]] = {}
    wd_all = [tuple(d + 1 for d in range(5) if row[d]) for row in r.wd_mask.tolist()]
    out: list[Volunteer] = []
    for i in range(n):
        kind, persona = int(r.kind[i]), int(r.persona[i])
        weekly: list[WeeklyRule] = []
        windows: list[TimeWindow] = []
        if kind in (WEEKLY, BOTH):
            weekly = _weekly(clock, i, persona, wd_all[i], r)
        if kind in (ONE_OFF, BOTH):
            for k in range(int(r.n_one[i])):
                base = int(r.one_day[i, k]) * 1440
                windows.append(clock.window(base + int(r.one_start[i, k]), base + int(r.one_end[i, k])))
        skills = {SKILLS[int(r.sk_order[i, k])]: int(r.sk_level[i, k]) for k in range(int(r.n_sk[i]))}
        certs: dict[str, date | None] = {}
        for c in range(3):
            if r.cert[i, c]:
                ek = int(r.exp_kind[i, c])
                off = (0, int(r.exp_soon[i, c]), -int(r.exp_past[i, c]), int(r.exp_far[i, c]))[ek]
                certs[CERTIFICATES[c]] = None if ek == 0 else clock.date(off)
        attrs = lang_cache.get(langs[i])
        if attrs is None:
            attrs = lang_cache[langs[i]] = {"language": langs[i]}
        pd, km, rt, tm = int(r.per_day[i]), float(r.own_km[i]), float(r.rating[i]), int(r.team[i])
        out.append(
            Volunteer(
                id=f"v{i:0{width}d}",
                location=Location(round(float(lat[i]), 6), round(float(lon[i]), 6)),
                skills=skills,
                certificates=certs,
                availability=tuple(windows),
                weekly=tuple(weekly),
                max_minutes=int(r.max_min[i]),
                max_minutes_per_day=pd if pd > 0 else None,
                max_distance_km=km if km > 0 else None,
                attributes=attrs,
                team=f"team-{int(centre[i])}-{tm}" if tm >= 0 else None,
                rating=rt if rt >= 0 else None,
                hours_served=float(r.hours[i]),
            )
        )
    return out
