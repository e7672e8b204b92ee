"""Synthetic menu rounds: a district menu, volunteers' and teams' offers, residents' orders, ratings.

:func:`generate_menu` draws a week of menu-style service (菜单式服务) in Wuhan: a menu of 20-40
items from a catalogue of realistic ones (elderly meal delivery, haircuts, home repair, tutoring,
companionship, legal advice, health checks, ...), volunteers (:mod:`vmatch.gen.volunteers`, plus
hairdressing and legal skills for a few) offering 1-3 items each at weekly times within a radius,
teams offering crew items (home repair, deep cleaning), orders from residents clustered around
the same district centres (meals popular and urgent, legal advice rare), some with ranked or
refused providers, and past ratings for about half of the providers.

Examples
--------
>>> mp = generate_menu(60, 25, seed=4)
>>> len(mp.orders), len(mp.offers), 20 <= len(mp.items) <= 40
(60, 25, True)
>>> generate_menu(60, 25, seed=4) == mp
True
>>> {"elderly-meal", "haircut", "home-repair", "legal-advice", "health-check"} <= {i.category for i in mp.items}
True
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta

import numpy as np

from vmatch.gen.city import DEFAULT_START, FULL_CITY
from vmatch.gen.clock import Clock
from vmatch.gen.regions import region as get_region
from vmatch.gen.volunteers import draw_volunteers
from vmatch.menu.crew import choose_crew, folded_skills
from vmatch.menu.model import Offer, Order, Rating, ServiceItem
from vmatch.menu.problem import MenuProblem
from vmatch.model import Location, Requirement, Settings, Volunteer

__all__ = ["CATALOGUE", "generate_menu"]

log = logging.getLogger(__name__)
_R = Requirement

#: (id, name, category, minutes, head-count, skills, requirements, certificates, popularity, priority)
CATALOGUE: tuple[
    tuple[str, str, str, int, int, dict[str, int], tuple[Requirement, ...], tuple[str, ...], float, int], ...
] = (
    ("meal-lunch", "Lunch delivery for older residents", "elderly-meal", 45, 1, {}, (), (), 6.0, 3),
    ("meal-dinner", "Dinner delivery for older residents", "elderly-meal", 45, 1, {}, (), (), 4.0, 3),
    ("meal-cooked", "Home-cooked meal", "elderly-meal", 90, 1, {"cooking": 1}, (), ("food_hygiene",), 1.5, 2),
    ("meal-diet", "Diabetic diet meal delivery", "elderly-meal", 45, 1, {"cooking": 2}, (), (), 1.0, 3),
    ("haircut-home", "Haircut at home", "haircut", 45, 1, {"hairdressing": 1}, (), (), 2.5, 1),
    ("haircut-station", "Haircut at the community station", "haircut", 30, 1, {"hairdressing": 1}, (), (), 2.0, 1),
    (
        "shave-bedridden",
        "Shave and wash for bedridden residents",
        "haircut",
        45,
        1,
        {"hairdressing": 1, "elderly_care": 1},
        (),
        (),
        0.6,
        2,
    ),
    (
        "repair-plumbing",
        "Plumbing repair",
        "home-repair",
        90,
        2,
        {"repair": 1},
        (_R("repair", 2, 1),),
        ("safety",),
        1.0,
        2,
    ),
    ("repair-electric", "Electrical safety check", "home-repair", 60, 1, {"repair": 2}, (), ("safety",), 0.8, 2),
    ("repair-furniture", "Furniture repair", "home-repair", 90, 2, {"repair": 1}, (), (), 0.6, 1),
    ("repair-appliance", "Small appliance repair", "home-repair", 60, 1, {"repair": 1}, (), (), 1.0, 1),
    (
        "repair-grab-bars",
        "Grab bars and home safety fittings",
        "home-repair",
        90,
        2,
        {"repair": 1},
        (_R("first_aid", 1, 1),),
        ("safety",),
        0.5,
        2,
    ),
    ("tutor-math", "Maths tutoring", "tutoring", 90, 1, {"tutoring": 2}, (), (), 1.5, 1),
    ("tutor-english", "English tutoring", "tutoring", 90, 1, {"tutoring": 1, "translation": 1}, (), (), 1.0, 1),
    ("tutor-homework", "Homework help for left-behind children", "tutoring", 60, 1, {"tutoring": 1}, (), (), 2.0, 2),
    ("tutor-reading", "Reading with children", "tutoring", 60, 1, {}, (), (), 1.0, 1),
    ("digital-phone", "Smartphone help for older residents", "tutoring", 45, 1, {"it_support": 1}, (), (), 1.5, 1),
    ("companion-visit", "Home visit and chat", "companionship", 60, 1, {}, (), (), 3.0, 2),
    ("companion-walk", "Accompanied walk", "companionship", 60, 1, {"elderly_care": 1}, (), (), 1.5, 2),
    ("companion-escort", "Escort to hospital", "companionship", 180, 1, {"elderly_care": 1}, (), (), 1.0, 3),
    ("companion-talk", "Psychological support talk", "companionship", 60, 1, {"counselling": 2}, (), (), 0.6, 2),
    ("companion-sign", "Sign-language companion", "companionship", 60, 1, {"sign_language": 1}, (), (), 0.3, 2),
    ("legal-tenancy", "Tenancy advice", "legal-advice", 60, 1, {"legal": 2}, (), (), 0.4, 1),
    ("legal-inheritance", "Inheritance and wills", "legal-advice", 60, 1, {"legal": 3}, (), (), 0.3, 1),
    ("legal-pension", "Pension and benefits advice", "legal-advice", 45, 1, {"legal": 1}, (), (), 0.6, 1),
    ("legal-family", "Family dispute mediation", "legal-advice", 90, 1, {"legal": 2, "counselling": 1}, (), (), 0.3, 1),
    ("health-bp", "Blood pressure check", "health-check", 30, 1, {"medical": 1}, (), (), 2.0, 2),
    ("health-sugar", "Blood sugar check", "health-check", 30, 1, {"medical": 1}, (), ("medical_license",), 1.2, 2),
    ("health-meds", "Medication review", "health-check", 45, 1, {"medical": 2}, (), ("medical_license",), 0.6, 3),
    (
        "health-rehab",
        "Home rehabilitation exercises",
        "health-check",
        60,
        1,
        {"medical": 1, "elderly_care": 1},
        (),
        (),
        0.6,
        2,
    ),
    ("health-firstaid-class", "First-aid class at home", "health-check", 120, 2, {"first_aid": 2}, (), (), 0.3, 1),
    ("clean-deep", "Deep cleaning", "housekeeping", 120, 3, {}, (_R("elderly_care", 1, 1),), (), 1.0, 2),
    ("clean-window", "Window cleaning", "housekeeping", 90, 2, {}, (), ("safety",), 0.6, 1),
    ("errand-shopping", "Shopping errand", "errands", 60, 1, {}, (), (), 2.0, 2),
    ("errand-medicine", "Medicine pick-up", "errands", 45, 1, {"driving": 1}, (), (), 1.2, 3),
    ("errand-documents", "Help with official documents", "errands", 60, 1, {"it_support": 1}, (), (), 0.6, 1),
)

_CORE = (
    "meal-lunch",
    "haircut-home",
    "repair-plumbing",
    "tutor-homework",
    "companion-visit",
    "legal-pension",
    "health-bp",
    "errand-shopping",
)
_BLOCKS = ((8 * 60, 12 * 60), (14 * 60, 18 * 60), (18 * 60, 21 * 60), (9 * 60, 17 * 60))
_MEAL_BLOCKS = {"meal-lunch": (10 * 60 + 30, 13 * 60), "meal-dinner": (16 * 60 + 30, 19 * 60)}


def _menu(rng: np.random.Generator) -> list[ServiceItem]:
    k = int(rng.integers(20, min(40, len(CATALOGUE)) + 1))
    rest = [c for c in CATALOGUE if c[0] not in _CORE]
    pick = set(_CORE) | {rest[i][0] for i in rng.choice(len(rest), k - len(_CORE), replace=False)}
    return [ServiceItem(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]) for c in CATALOGUE if c[0] in pick]


def _extra_skills(rng: np.random.Generator, vols: list[Volunteer]) -> list[Volunteer]:
    out = []
    for v in vols:
        add = {}
        if rng.random() < 0.08:
            add["hairdressing"] = int(rng.integers(1, 4))
        if rng.random() < 0.04:
            add["legal"] = int(rng.integers(1, 5))
        out.append(dataclasses.replace(v, skills={**v.skills, **add}) if add else v)
    return out


def _offers(
    rng: np.random.Generator,
    n: int,
    items: list[ServiceItem],
    vols: list[Volunteer],
    clock: Clock,
    pop: dict[str, float],
) -> list[Offer]:
    solo = [i for i in items if i.headcount == 1]
    teams: dict[str, list[Volunteer]] = {}
    for v in vols:
        if v.team:
            teams.setdefault(v.team, []).append(v)
    team_ids = sorted(teams)
    offers: list[Offer] = []
    used: set[tuple[str, str]] = set()
    order = rng.permutation(len(vols))
    vi = 0
    tries = 0
    while len(offers) < n and tries < 50 * n + 100:
        tries += 1
        if team_ids and rng.random() < 0.15:
            pid = team_ids[int(rng.integers(len(team_ids)))]
            fit = [i for i in items if (pid, i.id) not in used and choose_crew(teams[pid], i, None)]
            k_offers = 1
        else:
            v = vols[int(order[vi % len(vols)])]
            vi += 1
            pid = v.id
            fit = [
                i
                for i in solo
                if (pid, i.id) not in used
                and all(v.skills.get(s, 0) >= lvl for s, lvl in folded_skills(i).items())
                and all(c in v.certificates for c in i.certificates)
            ]
            k_offers = int(rng.choice(3, p=(0.55, 0.3, 0.15))) + 1
        if not fit:
            continue
        w = np.array([pop[i.id] for i in fit])
        picks = rng.choice(len(fit), min(k_offers, len(fit), n - len(offers)), replace=False, p=w / w.sum())
        days_left = list(rng.permutation(7) + 1)
        for j in picks.tolist():
            it = fit[j]
            used.add((pid, it.id))
            if it.id in _MEAL_BLOCKS:
                days = tuple(sorted(int(d) for d in rng.choice(7, int(rng.integers(2, 6)), replace=False) + 1))
                s, e = _MEAL_BLOCKS[it.id]
            else:
                nd = min(len(days_left), int(rng.integers(1, 3)))
                days = tuple(sorted(int(days_left.pop()) for _ in range(nd))) or (int(rng.integers(1, 8)),)
                s, e = _BLOCKS[int(rng.integers(len(_BLOCKS)))]
            cap = int(rng.integers(5, 11)) if it.category == "elderly-meal" else int(rng.integers(2, 7))
            radius = float(rng.choice([2.0, 2.5, 3.0, 4.0]))
            offers.append(
                Offer(
                    f"of{len(offers):05d}", pid, it.id, weekly=(clock.rule(days, s, e),), capacity=cap, radius_km=radius
                )
            )
    return offers


def _orders(
    rng: np.random.Generator,
    n: int,
    items: list[ServiceItem],
    offers: list[Offer],
    reg: object,
    clock: Clock,
    pop: dict[str, float],
) -> list[Order]:
    n_req = max(1, int(n * 0.7))
    lat, lon, _ = reg.sample(rng, n_req)  # type: ignore[attr-defined]
    offered = sorted({o.item for o in offers})
    use = [i for i in items if i.id in offered] or items
    w = np.array([pop[i.id] for i in use])
    pick = rng.choice(len(use), n, p=w / w.sum())
    who = rng.integers(0, n_req, n)
    day = rng.integers(0, 7, n)
    slack = rng.choice([0, 30, 60, 120, 240], n, p=(0.15, 0.2, 0.25, 0.25, 0.15))
    start = 8 * 60 + 30 * rng.integers(0, 19, n)
    by_item: dict[str, list[str]] = {}
    for o in offers:
        by_item.setdefault(o.item, []).append(o.provider)
    prios = {c[0]: c[9] for c in CATALOGUE}
    out = []
    for k in range(n):
        it = use[int(pick[k])]
        if it.id in _MEAL_BLOCKS:
            s0 = _MEAL_BLOCKS[it.id][0] + 30
            s1 = s0 + 90
        else:
            s0 = int(start[k])
            s1 = min(s0 + it.duration + int(slack[k]), 22 * 60)
            s0 = min(s0, s1 - it.duration)
        provs = by_item.get(it.id, [])
        ranked: tuple[str, ...] = ()
        refused: tuple[str, ...] = ()
        if provs and rng.random() < 0.15:
            m = min(len(provs), int(rng.integers(1, 4)))
            ranked = tuple(dict.fromkeys(provs[int(i)] for i in rng.choice(len(provs), m, replace=False)))
        if provs and rng.random() < 0.03:
            cand = provs[int(rng.integers(len(provs)))]
            refused = () if cand in ranked else (cand,)
        prio = int(min(5, prios[it.id] + (rng.random() < 0.2)))
        out.append(
            Order(
                f"or{k:05d}",
                f"res{int(who[k]):05d}",
                it.id,
                clock.window(int(day[k]) * 1440 + s0, int(day[k]) * 1440 + s1),
                Location(float(lat[who[k]]), float(lon[who[k]])),
                prio,
                ranked,
                refused,
            )
        )
    return out


def _ratings(rng: np.random.Generator, offers: list[Offer], start: date) -> list[Rating]:
    out: list[Rating] = []
    for pid in dict.fromkeys(o.provider for o in offers):
        if rng.random() < 0.5:
            q = float(rng.beta(5.0, 1.5))
            for _ in range(int(rng.geometric(0.15))):
                stars = int(np.clip(np.rint(1 + 4 * q + rng.normal(0, 0.8)), 1, 5))
                d = start - timedelta(days=int(rng.integers(1, 91)))
                out.append(Rating(f"past{len(out):06d}", pid, stars, d))
    return out


def generate_menu(n_orders: int, n_offers: int, seed: int = 0, *, start: date | None = None) -> MenuProblem:
    """A synthetic menu round over one week in Wuhan (see the module docstring).

    Parameters
    ----------
    n_orders, n_offers : int
        Sizes (0 or more).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives an equal problem.
    start : datetime.date, optional
        First day (default: the city generator's, a Monday).

    Returns
    -------
    MenuProblem
        With ``extra`` holding the generator name, seed and sizes.
    """
    for name, val in (("n_orders", n_orders), ("n_offers", n_offers)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {val!r}")
    rng_m, rng_v, rng_o, rng_r, rng_x = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5))
    n_vol = max(8, int(n_offers * 0.75))
    reg = get_region("city").scaled(n_vol, FULL_CITY)
    clock = Clock(reg.timezone, start or DEFAULT_START)
    items = _menu(rng_m)
    pop = {c[0]: c[8] for c in CATALOGUE}
    vols = _extra_skills(rng_v, draw_volunteers(rng_v, n_vol, reg, clock, 7))
    offers = _offers(rng_o, n_offers, items, vols, clock, pop) if n_offers else []
    orders = _orders(rng_r, n_orders, items, offers, reg, clock, pop) if n_orders else []
    ratings = _ratings(rng_x, offers, clock.start)
    settings = Settings(timezone=reg.timezone, travel_speed_kmh=15.0, max_distance_km=4.0, time_step_minutes=30)
    extra = {"generator": "menu", "seed": seed, "orders": n_orders, "offers": n_offers}
    log.info(
        "generated menu: %d items, %d offers, %d orders, %d ratings", len(items), len(offers), len(orders), len(ratings)
    )
    return MenuProblem(tuple(items), tuple(offers), tuple(orders), tuple(vols), tuple(ratings), settings, extra)
