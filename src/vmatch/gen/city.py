"""The city and province generators: a week of volunteer service with every rule in play.

Examples
--------
>>> p = generate_city(40, 20, seed=3)
>>> len(p.volunteers), len(p.tasks), p.settings.timezone
(40, 20, 'Asia/Shanghai')
>>> p.tasks[0].window.start.date().isoformat() >= "2026-12-07"
True
>>> generate_city(40, 20, seed=3) == p
True
>>> sorted(GENERATORS)
['city', 'province']
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import date

import numpy as np

from vmatch.gen.clock import Clock
from vmatch.gen.regions import region as get_region
from vmatch.gen.stats import static_pairs
from vmatch.gen.tasks import draw_tasks
from vmatch.gen.volunteers import draw_volunteers
from vmatch.model import Problem, Settings

__all__ = ["DEFAULT_START", "FULL_CITY", "GENERATORS", "MAX_DISTANCE_KM", "generate_city", "generate_province"]

log = logging.getLogger(__name__)

#: Default first day: a Monday.
DEFAULT_START = date(2026, 12, 7)
#: Volunteers of a problem spanning the whole city; smaller ones use fewer districts.
FULL_CITY = 10_000
#: The problem-wide distance limit.
MAX_DISTANCE_KM = 9.0


def generate_city(
    n_volunteers: int,
    n_tasks: int,
    seed: int = 0,
    *,
    region: str = "city",
    start: date | None = None,
    days: int = 7,
    pinned: int = 0,
    forbidden: int = 0,
) -> Problem:
    """A synthetic dispatch problem over ``days`` days in a real city (Wuhan by default).

    Homes and sites cluster around district centres and community stations; volunteers
    hold 1-4 skills (levels skewed low), some certificates (some expiring mid-week), a
    language set, weekly habits or one-off windows (a few are always available), a
    weekly workload limit and sometimes a daily one or a shorter distance limit. Tasks
    ask for 0-2 skills, sometimes a certificate, a language, a team composition or a
    minimum head-count; about a third have flexible starts.

    A city problem with fewer than :data:`FULL_CITY` volunteers uses only the central
    districts (at least three) holding that share of the population, so that people
    and sites per km², and hence difficulty, stay close to the whole city's.

    Parameters
    ----------
    n_volunteers, n_tasks : int
        Sizes (0 or more).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives an equal problem.
        Volunteers, tasks and pairs use independent streams, so changing ``n_tasks``
        does not change the volunteers.
    region : str
        "city" (Wuhan) or "province" (Hubei: many cities and towns).
    start : datetime.date, optional
        First day (default :data:`DEFAULT_START`, a Monday).
    days : int
        Horizon length in days (1 or more).
    pinned, forbidden : int
        Numbers of pinned and forbidden pairs to add, drawn among pairs that pass the
        per-pair rules (pinned: distinct volunteers and tasks, tasks without a
        minimum head-count or composition rule). Fewer are added when fewer exist.

    Returns
    -------
    Problem
        With ``extra`` holding the generator name, region, seed and sizes.
    """
    for name, val, lo in (
        ("n_volunteers", n_volunteers, 0),
        ("n_tasks", n_tasks, 0),
        ("days", days, 1),
        ("pinned", pinned, 0),
        ("forbidden", forbidden, 0),
    ):
        if isinstance(val, bool) or not isinstance(val, int) or val < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {val!r}")
    t0 = time.perf_counter()
    reg = get_region(region)
    if reg.name == "wuhan":
        # small problems live in fewer (central) districts at the full problem's density
        reg = reg.scaled(n_volunteers, FULL_CITY)
    clock = Clock(reg.timezone, start or DEFAULT_START)
    vseq, tseq, pseq = np.random.SeedSequence(seed).spawn(3)
    vols = draw_volunteers(np.random.default_rng(vseq), n_volunteers, reg, clock, days)
    tasks = draw_tasks(np.random.default_rng(tseq), n_tasks, reg, clock, days)
    settings = Settings(
        timezone=reg.timezone, travel_speed_kmh=15.0, max_distance_km=MAX_DISTANCE_KM, time_step_minutes=15
    )
    kind = "province" if reg.name == "hubei" else "city"
    extra = {
        "generator": kind,
        "region": reg.name,
        "seed": seed,
        "volunteers": n_volunteers,
        "tasks": n_tasks,
    }
    problem = Problem(volunteers=tuple(vols), tasks=tuple(tasks), settings=settings, extra=extra)
    if pinned or forbidden:
        problem = _add_pairs(problem, np.random.default_rng(pseq), pinned, forbidden)
    log.info(
        "generated %s problem: %d volunteers, %d tasks in %.2f s",
        reg.name,
        n_volunteers,
        n_tasks,
        time.perf_counter() - t0,
    )
    return problem


def _add_pairs(problem: Problem, rng: np.random.Generator, n_pin: int, n_forbid: int) -> Problem:
    """Problem with pinned pairs that can all hold at once and some forbidden eligible pairs."""
    vi, ti = static_pairs(problem, ("distance", "skills", "certificates", "attributes", "availability"))
    order = rng.permutation(vi.size)
    vs, ts = problem.volunteers, problem.tasks
    used_v: set[int] = set()
    used_t: set[int] = set()
    pins: list[tuple[str, str]] = []
    rest: list[int] = []
    for k in order.tolist():
        v, t = vs[int(vi[k])], ts[int(ti[k])]
        d = t.duration_minutes
        ok = (
            len(pins) < n_pin
            and int(vi[k]) not in used_v
            and int(ti[k]) not in used_t
            and t.min_headcount == 1
            and not t.requirements
            and (v.max_minutes is None or d <= v.max_minutes)
            and (v.max_minutes_per_day is None or d <= v.max_minutes_per_day)
        )
        if ok:
            used_v.add(int(vi[k]))
            used_t.add(int(ti[k]))
            pins.append((v.id, t.id))
        elif len(rest) < n_forbid:
            rest.append(k)
        if len(pins) >= n_pin and len(rest) >= n_forbid:
            break
    forb = [(vs[int(vi[k])].id, ts[int(ti[k])].id) for k in rest]
    return dataclasses.replace(problem, pinned=tuple(pins), forbidden=tuple(forb))


def generate_province(
    n_volunteers: int,
    n_tasks: int,
    seed: int = 0,
    *,
    start: date | None = None,
    days: int = 7,
    pinned: int = 0,
    forbidden: int = 0,
) -> Problem:
    """:func:`generate_city` over Hubei province: many cities and county towns far apart."""
    return generate_city(
        n_volunteers,
        n_tasks,
        seed,
        region="province",
        start=start,
        days=days,
        pinned=pinned,
        forbidden=forbidden,
    )


#: Generators by kind, as used by ``vmatch generate KIND``.
GENERATORS: dict[str, Callable[..., Problem]] = {"city": generate_city, "province": generate_province}
