"""Places and people of the pairing generator: the county layout, homes, beneficiaries, volunteers.

See :mod:`vmatch.gen.pairing` for the story these draws tell.

Examples
--------
>>> lat, lon, kind = homes(np.random.default_rng(0), 5, (0.25, 0.20, 0.55))
>>> len(lat), set(kind.tolist()) <= {TOWN, SEAT, VILLAGE}
(5, True)
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from vmatch._pairing_model import Beneficiary
from vmatch.gen.clock import Clock
from vmatch.gen.regions import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQ
from vmatch.model import Location, Volunteer

__all__ = ["COUNTY_SEAT", "SEAT", "TOWN", "VILLAGE", "draw_beneficiary", "draw_volunteer", "homes"]

COUNTY_SEAT = (31.287, 114.618)
TOWN, SEAT, VILLAGE = 0, 1, 2
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_H = 60


def _layout() -> tuple[F64, F64, I64, F64]:
    """Place centres: (lat, lon, kind, spread km); a fixed layout."""
    rng = np.random.default_rng(8_600)
    lat0, lon0 = COUNTY_SEAT
    pts: list[tuple[float, float, int, float]] = [(lat0, lon0, TOWN, 0.7)]
    for k in range(6):  # the town's other communities (社区)
        ang = 2 * math.pi * k / 6 + rng.uniform(-0.3, 0.3)
        dist = rng.uniform(1.5, 3.0)
        pts.append(
            (
                lat0 + dist * math.sin(ang) / KM_PER_DEG_LAT,
                lon0 + dist * math.cos(ang) / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))),
                TOWN,
                0.6,
            )
        )
    for k in range(11):
        ang = 2 * math.pi * k / 11 + rng.uniform(-0.2, 0.2)
        dist = rng.uniform(8.0, 30.0)
        slat = lat0 + dist * math.sin(ang) / KM_PER_DEG_LAT
        slon = lon0 + dist * math.cos(ang) / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0)))
        pts.append((slat, slon, SEAT, 0.6))
        for _ in range(int(rng.integers(15, 26))):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(1.0, 6.0)
            pts.append(
                (
                    slat + d * math.sin(a) / KM_PER_DEG_LAT,
                    slon + d * math.cos(a) / (KM_PER_DEG_LON_EQ * math.cos(math.radians(slat))),
                    VILLAGE,
                    0.25,
                )
            )
    arr = np.asarray(pts)
    return arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int64), arr[:, 3]


def homes(rng: np.random.Generator, n: int, share: tuple[float, float, float]) -> tuple[F64, F64, I64]:
    """``n`` homes; ``share`` of town, seats and villages; (lat, lon, place kind)."""
    lat, lon, kind, sd = _layout()
    counts = np.bincount(kind, minlength=3)
    w = np.asarray(share)[kind] / counts[kind]
    idx = rng.choice(len(lat), size=n, p=w / w.sum())
    off = rng.standard_normal((n, 2)) * sd[idx, None]
    la = lat[idx] + off[:, 0] / KM_PER_DEG_LAT
    lo = lon[idx] + off[:, 1] / (KM_PER_DEG_LON_EQ * np.cos(np.radians(lat[idx])))
    return np.round(la, 6), np.round(lo, 6), kind[idx]


def _days(rng: np.random.Generator, pool: tuple[int, ...], lo: int, hi: int) -> tuple[int, ...]:
    k = int(rng.integers(lo, hi + 1))
    return tuple(sorted(int(d) for d in rng.choice(pool, size=min(k, len(pool)), replace=False)))


_GROUP_P = {
    TOWN: (0.65, 0.15, 0.20),
    SEAT: (0.45, 0.35, 0.20),
    VILLAGE: (0.35, 0.55, 0.10),
}  # elderly, child, disabled
_WEEKDAYS, _WEEKEND = (1, 2, 3, 4, 5), (6, 7)


def draw_beneficiary(
    rng: np.random.Generator, i: int, width: int, lat: float, lon: float, kind: int, clock: Clock, today: date
) -> Beneficiary:
    group = ("elderly", "child", "disabled")[int(rng.choice(3, p=_GROUP_P[kind]))]
    needs: dict[str, int] = {}
    certs: list[str] = []
    wishes: dict[str, set[str]] = {}
    prefs: dict[str, set[str]] = {}
    u = rng.random(8)
    if group == "child":
        rules = [clock.rule(_days(rng, _WEEKDAYS, 2, 5), 16 * _H + 30, 18 * _H + 30)]
        if u[0] < 0.5:
            rules.append(
                clock.rule(
                    _days(rng, _WEEKEND, 1, 2),
                    *((9 * _H, 11 * _H + 30), (14 * _H + 30, 17 * _H))[int(u[1] < 0.5)],
                )
            )
        minutes = 60 if u[2] < 0.6 else 90
        if u[3] < 0.75:
            needs["tutoring"] = 2 if u[4] < 0.2 else 1
        if u[5] < 0.15:
            needs["counselling"] = 1
        if u[6] < 0.6:
            certs.append("child_safeguarding")
        if u[7] < 0.2:
            prefs["gender"] = {"f"}
    else:
        morning = clock.rule(_days(rng, _WEEKDAYS + _WEEKEND, 3, 7), 8 * _H + 30, 11 * _H + 30)
        rules = [morning] if u[0] < 0.7 else [morning, clock.rule(_days(rng, _WEEKDAYS, 2, 5), 14 * _H + 30, 17 * _H)]
        minutes = int(rng.choice((60, 90, 120), p=(0.5, 0.3, 0.2) if group == "elderly" else (0.2, 0.4, 0.4)))
        if group == "elderly":
            if u[1] < 0.6:
                needs["elderly_care"] = 1
            if u[2] < 0.05:
                needs["medical"] = 1
            if u[3] < 0.3:
                wishes["gender"] = {"f"}
            if u[4] < 0.5:
                prefs["language"] = {"local"}
        else:
            if u[1] < 0.15:
                needs["sign_language"] = 2
            elif u[1] < 0.55:
                needs["elderly_care"] = 1
            if u[2] < 0.2:
                needs["first_aid"] = 1
            if u[3] < 0.3:
                certs.append("care_training")
    wait = int(min(rng.exponential(150.0), 1100))
    return Beneficiary(
        f"b{i:0{width}d}",
        Location(lat, lon),
        tuple(rules),
        minutes,
        needs,
        tuple(certs),
        {k: frozenset(s) for k, s in wishes.items()},
        {k: frozenset(s) for k, s in prefs.items()},
        group,
        today - timedelta(days=wait),
    )


_PERSONA_P = {
    TOWN: (0.18, 0.30, 0.32, 0.20),
    SEAT: (0.15, 0.40, 0.30, 0.15),
    VILLAGE: (0.08, 0.55, 0.25, 0.12),
}


def draw_volunteer(
    rng: np.random.Generator, i: int, width: int, lat: float, lon: float, kind: int, clock: Clock, today: date
) -> tuple[Volunteer, int]:
    persona = int(rng.choice(4, p=_PERSONA_P[kind]))  # teacher, retiree, worker, student
    u = rng.random(12)
    we = (9 * _H, 12 * _H) if u[0] < 0.5 else (14 * _H, 17 * _H + 30)
    if persona == 0:
        rules = [
            clock.rule(_days(rng, _WEEKDAYS, 2, 5), 16 * _H + 30, 19 * _H),
            clock.rule(_days(rng, _WEEKEND, 1, 2), *we),
        ]
    elif persona == 1:
        rules = [clock.rule(_days(rng, _WEEKDAYS, 2, 5), 8 * _H, 11 * _H + 30)]
        if u[1] < 0.6:
            rules.append(clock.rule(_days(rng, _WEEKDAYS, 1, 4), 14 * _H, 18 * _H))
    elif persona == 2:
        rules = [
            clock.rule(_days(rng, _WEEKDAYS, 2, 5), 18 * _H + 30, 21 * _H),
            clock.rule(_days(rng, _WEEKEND, 1, 2), *we),
        ]
    else:
        rules = [clock.rule(_days(rng, _WEEKEND, 1, 2), 9 * _H, 17 * _H)]
        if u[1] < 0.4:
            rules.append(clock.rule(_days(rng, _WEEKDAYS, 1, 3), 16 * _H, 18 * _H + 30))
    p_skill = {
        "tutoring": (0.9, 0.1, 0.15, 0.6)[persona],
        "elderly_care": (0.15, 0.5, 0.2, 0.2)[persona],
        "counselling": (0.25, 0.08, 0.08, 0.05)[persona],
        "first_aid": 0.2,
        "sign_language": 0.015,
        "medical": (0.0, 0.08, 0.02, 0.0)[persona],
    }
    r = rng.random(len(p_skill))
    lv = rng.choice((1, 2, 3), size=len(p_skill), p=(0.5, 0.35, 0.15))
    skills = {s: int(lv[k]) + (1 if s == "sign_language" else 0) for k, s in enumerate(p_skill) if r[k] < p_skill[s]}
    certs: dict[str, date | None] = {}
    for c, pc in (
        ("child_safeguarding", (0.9, 0.2, 0.2, 0.3)[persona]),
        ("care_training", (0.05, 0.25, 0.1, 0.1)[persona]),
    ):
        if rng.random() < pc:
            ek = int(rng.choice(4, p=(0.3, 0.5, 0.15, 0.05)))  # none, far, inside the horizon, expired
            off = (0, int(rng.integers(190, 900)), int(rng.integers(1, 180)), -int(rng.integers(1, 90)))[ek]
            certs[c] = None if ek == 0 else today + timedelta(days=off)
    local = u[2] < (0.6 if kind == TOWN else 0.95)
    attrs = {
        "gender": frozenset({"f" if u[3] < 0.55 else "m"}),
        "language": frozenset({"zh", "local"} if local else {"zh"}),
    }
    car = u[4] < 0.08
    km = 6.0 if car else (1.5, 2.5, 3.0)[kind]
    places = int(rng.choice((1, 2, 3), p=(0.55, 0.30, 0.15)))
    # weekly hours offered, mostly in line with the places offered; some tighter
    per_place = (None, 120, 90, 60)[int(rng.choice(4, p=(0.3, 0.4, 0.2, 0.1)))]
    maxm = None if per_place is None else places * per_place
    per_day = 120 if u[5] < 0.05 else None
    vol = Volunteer(
        f"v{i:0{width}d}",
        Location(lat, lon),
        skills=skills,
        certificates=certs,
        weekly=tuple(rules),
        max_minutes=maxm,
        max_minutes_per_day=per_day,
        max_distance_km=km,
        attributes=attrs,
        hours_served=float(np.round(rng.lognormal(3.0, 1.2), 1)),
    )
    return vol, places
