"""Tests of the synthetic generators (vmatch.gen) and their pair statistics."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vmatch.gen import GENERATORS, MAX_DISTANCE_KM, generate_city, generate_province, region
from vmatch.gen.stats import RULES, overlap_counts, pair_stats, static_pairs, supply_demand
from vmatch.generate import GENERATORS as FACADE_GENERATORS
from vmatch.geo import haversine_km
from vmatch.model import Problem
from vmatch.timeaxis import TimeAxis, expand_weekly, merge_intervals

START = date(2026, 12, 7)


@pytest.fixture(scope="module")
def city() -> Problem:
    return generate_city(1500, 750, seed=0)


def test_deterministic_for_a_seed() -> None:
    a = generate_city(200, 100, seed=5)
    b = generate_city(200, 100, seed=5)
    c = generate_city(200, 100, seed=6)
    assert a == b
    assert a.volunteers != c.volunteers
    assert a.tasks != c.tasks
    assert [v.location for v in a.volunteers] == [v.location for v in b.volunteers]


def test_volunteers_do_not_depend_on_task_count() -> None:
    a = generate_city(100, 20, seed=1)
    b = generate_city(100, 70, seed=1)
    assert a.volunteers == b.volunteers


def test_sizes_ids_and_settings(city: Problem) -> None:
    assert len(city.volunteers) == 1500 and len(city.tasks) == 750
    assert city.volunteers[0].id == "v0000" and city.tasks[-1].id == "t749"
    s = city.settings
    assert s.timezone == "Asia/Shanghai"
    assert s.max_distance_km is not None and 8.0 <= s.max_distance_km <= 10.0
    assert s.time_step_minutes == 15
    assert city.pinned == () and city.forbidden == ()
    assert city.extra["generator"] == "city" and city.extra["seed"] == 0
    empty = generate_city(0, 0)
    assert empty.volunteers == () and empty.tasks == ()


def test_task_rules_in_play(city: Problem) -> None:
    ts = city.tasks
    n = len(ts)
    assert all(t.window.start.date() >= START and t.window.end.date() < START + timedelta(days=7) for t in ts)
    assert {t.window.start.date() for t in ts} == {START + timedelta(days=k) for k in range(7)}
    assert all(60 <= t.window.minutes <= 240 for t in ts)
    assert all(30 <= t.duration_minutes <= 180 and t.duration_minutes % 15 == 0 for t in ts)
    slack = np.array([t.window.minutes - t.duration_minutes for t in ts])
    assert 0.2 < (slack > 0).mean() < 0.5
    assert (slack[slack > 0] <= 60).mean() > 0.8
    assert {t.headcount for t in ts} == set(range(1, 7))
    assert {t.priority for t in ts} == set(range(1, 6))
    assert 0.05 < np.mean([t.min_headcount > 1 for t in ts]) < 0.4
    nsk = [len(t.skills) for t in ts]
    assert set(nsk) == {0, 1, 2}
    assert 0.3 < nsk.count(0) / n < 0.5
    assert {lvl for t in ts for lvl in t.skills.values()} == {1, 2, 3}
    reqs = [t for t in ts if t.requirements]
    assert 0.05 < len(reqs) / n < 0.4
    assert any(r.skill == "first_aid" and t.headcount >= 3 for t in reqs for r in t.requirements)
    assert {c for t in ts for c in t.certificates} == {"safety", "food_hygiene", "medical_license"}
    langs = [t.attributes["language"] for t in ts if "language" in t.attributes]
    assert 0.02 < len(langs) / n < 0.15
    assert {x for s in langs for x in s} >= {"yue", "en", "sign"}
    assert len({t.category for t in ts}) == 12


def test_volunteer_rules_in_play(city: Problem) -> None:
    vs = city.volunteers
    n = len(vs)
    weekly = sum(1 for v in vs if v.weekly) / n
    one_off = sum(1 for v in vs if v.availability) / n
    always = sum(1 for v in vs if not v.weekly and not v.availability) / n
    assert weekly > 0.6 and 0.1 < one_off < 0.5 and 0.01 < always < 0.1
    assert any(r.days == (1, 2, 3, 4, 5) and r.start_minute >= 18 * 60 for v in vs for r in v.weekly)
    assert any(set(r.days) <= {6, 7} for v in vs for r in v.weekly)
    end = START + timedelta(days=6)
    certs = [(c, e) for v in vs for c, e in v.certificates.items()]
    assert {c for c, _ in certs} == {"safety", "food_hygiene", "medical_license"}
    assert any(e is None for _, e in certs)
    expiring = [e for _, e in certs if e is not None and START <= e < end]
    assert len(expiring) > 0.05 * len(certs)
    assert all(1 <= len(v.skills) <= 4 for v in vs)
    levels = np.array([lvl for v in vs for lvl in v.skills.values()])
    assert set(levels.tolist()) == {1, 2, 3, 4, 5}
    assert (levels <= 2).mean() > 0.55
    assert len({s for v in vs for s in v.skills}) == 12
    assert all(v.max_minutes is not None and 240 <= v.max_minutes <= 900 for v in vs)
    assert 0.2 < sum(1 for v in vs if v.max_minutes_per_day is not None) / n < 0.5
    own = [v.max_distance_km for v in vs if v.max_distance_km is not None]
    assert 0.15 < len(own) / n < 0.35 and max(own) < MAX_DISTANCE_KM
    langs = [v.attributes["language"] for v in vs]
    assert all(langs) and sum("zh" in s for s in langs) / n > 0.9
    assert all(any(x in s for s in langs) for x in ("yue", "en", "sign"))


def test_coordinates_inside_the_region() -> None:
    for gen, name in ((generate_city, "city"), (generate_province, "province")):
        p = gen(800, 400, seed=2)
        lat0, lat1, lon0, lon1 = region(name).bbox
        pts = [v.location for v in p.volunteers] + [t.location for t in p.tasks]
        assert all(lat0 <= q.lat <= lat1 and lon0 <= q.lon <= lon1 for q in pts)
    lat0, lat1, lon0, lon1 = region("city").bbox
    assert (lat0, lat1, lon0, lon1) == (29.97, 31.37, 113.68, 115.08)


def test_homes_and_sites_cluster(city: Problem) -> None:
    whole = generate_city(10_000, 300, seed=0)  # a whole city: all 15 districts
    lat = np.array([v.location.lat for v in whole.volunteers])
    lon = np.array([v.location.lon for v in whole.volunteers])
    core = haversine_km(lat, lon, 30.58, 114.29) < 12.0  # the central districts
    assert 0.45 < core.mean() < 0.85
    # the nearest district seat is within a few km for most people
    seats = np.array([c[:2] for c in region("city").centres])
    d = haversine_km(lat[:, None], lon[:, None], seats[None, :, 0], seats[None, :, 1]).min(axis=1)
    assert np.median(d) < 3.0
    # a small problem keeps the density: fewer, central districts
    lat = np.array([v.location.lat for v in city.volunteers])
    lon = np.array([v.location.lon for v in city.volunteers])
    assert (haversine_km(lat, lon, 30.58, 114.29) < 12.0).mean() > 0.95
    stations = {t.extra["station"] for t in city.tasks if "station" in t.extra}
    assert 20 < len(stations) < 200
    assert sum("station" in t.extra for t in city.tasks) > 0.6 * len(city.tasks)


def test_province_is_spread_and_splits_into_regions() -> None:
    p = generate_province(2000, 1000, seed=0)
    assert p.extra["region"] == "hubei" and p.extra["generator"] == "province"
    lat = np.array([v.location.lat for v in p.volunteers])
    lon = np.array([v.location.lon for v in p.volunteers])
    assert float(haversine_km(lat.min(), lon.min(), lat.max(), lon.max())) > 400.0
    vi, ti = static_pairs(p, ("distance",))
    nv, nt = len(p.volunteers), len(p.tasks)
    g = coo_matrix((np.ones(vi.size), (vi, ti + nv)), shape=(nv + nt, nv + nt))
    n, lab = connected_components(g, directed=False)
    assert n > 50
    assert np.bincount(lab).max() < 0.5 * (nv + nt)


def test_generators_registry() -> None:
    assert set(GENERATORS) >= {"city", "province"}
    assert FACADE_GENERATORS is GENERATORS
    p = GENERATORS["province"](50, 20, seed=1, days=3, start=date(2027, 1, 4))
    assert {t.window.start.date() for t in p.tasks} <= {date(2027, 1, 4) + timedelta(days=k) for k in range(3)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_volunteers": -1, "n_tasks": 1},
        {"n_volunteers": 1, "n_tasks": 1, "days": 0},
        {"n_volunteers": 1.5, "n_tasks": 1},
        {"n_volunteers": 1, "n_tasks": 1, "region": "atlantis"},
    ],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        generate_city(**kwargs)  # type: ignore[arg-type]


def test_pinned_and_forbidden_pairs_are_eligible() -> None:
    p = generate_city(300, 150, seed=4, pinned=6, forbidden=5)
    assert len(p.pinned) == 6 and len(p.forbidden) == 5
    assert len({v for v, _ in p.pinned}) == 6 and len({t for _, t in p.pinned}) == 6
    assert not set(p.pinned) & set(p.forbidden)
    vi, ti = static_pairs(p, RULES)
    ok = {(p.volunteers[a].id, p.tasks[b].id) for a, b in zip(vi.tolist(), ti.tolist(), strict=True)}
    assert set(p.pinned) <= ok and set(p.forbidden) <= ok
    assert all(p.task(t).min_headcount == 1 and not p.task(t).requirements for _, t in p.pinned)
    assert generate_city(300, 150, seed=4, pinned=6, forbidden=5) == p


def _brute_pairs(p: Problem, rules: tuple[str, ...]) -> set[tuple[int, int]]:
    """Pairs passing ``rules``, one pair at a time, straight from the domain rules."""
    ax = TimeAxis.for_problem(p)
    lo = min(ax.minute(t.window.start) for t in p.tasks)
    hi = max(ax.minute(t.window.end) for t in p.tasks)
    out = set()
    for i, v in enumerate(p.volunteers):
        lim = v.max_distance_km if v.max_distance_km is not None else p.settings.max_distance_km
        free = merge_intervals([ax.window(w) for w in v.availability] + expand_weekly(v.weekly, ax, lo, hi))
        for j, t in enumerate(p.tasks):
            if haversine_km(v.location.lat, v.location.lon, t.location.lat, t.location.lon) > lim:
                continue
            if "skills" in rules and any(v.skills.get(s, 0) < lvl for s, lvl in t.skills.items()):
                continue
            if "certificates" in rules and any(
                c not in v.certificates or (v.certificates[c] is not None and v.certificates[c] < t.window.end.date())  # type: ignore[operator]
                for c in t.certificates
            ):
                continue
            if "attributes" in rules and any(
                not (v.attributes.get(k, frozenset()) & a) for k, a in t.attributes.items()
            ):
                continue
            if "availability" in rules and (v.availability or v.weekly):
                ws, we = ax.window(t.window)
                d = t.duration_minutes
                starts = range(ws, we - d + 1, p.settings.time_step_minutes)
                if not any(a <= s and s + d <= b for s in starts for a, b in free):
                    continue
            out.add((i, j))
    return out


@pytest.mark.parametrize("rules", [("distance", "skills"), RULES])
def test_static_pairs_match_brute_force(rules: tuple[str, ...]) -> None:
    p = generate_city(120, 60, seed=9)
    vi, ti = static_pairs(p, rules)
    got = set(zip(vi.tolist(), ti.tolist(), strict=True))
    assert len(got) == vi.size
    want = _brute_pairs(p, rules)
    assert got == want
    assert len(want) > 100


def test_skill_distance_pairs_grow_with_size() -> None:
    counts = [pair_stats(generate_city(n, n // 2, seed=0)).pairs for n in (200, 400, 800)]
    assert counts[0] > 500
    assert counts[1] > 2.5 * counts[0] and counts[2] > 2.5 * counts[1]


def test_pair_stats_figures(city: Problem) -> None:
    s = pair_stats(city)
    vi = static_pairs(city)[0]
    assert s.pairs == vi.size
    per_v = np.bincount(vi, minlength=len(city.volunteers))
    assert s.per_volunteer_mean == pytest.approx(per_v.mean())
    assert s.per_volunteer_median == pytest.approx(np.median(per_v))
    # 1500 x 750 is 1/44 of 10k x 5k: the pair density must put 10k x 5k well above 1 million
    assert s.pairs * (10_000 * 5_000) / (1500 * 750) > 1_500_000
    assert s.overlap_mean > 3.0
    demand, supply = supply_demand(city)
    assert 0.1 < demand / supply < 0.6


def test_overlap_counts_by_hand() -> None:
    vi = np.array([0, 0, 0, 1, 1])
    start = np.array([0, 30, 60, 0, 60])
    end = np.array([60, 90, 120, 60, 120])
    # volunteer 0: [0,60) meets [30,90); [30,90) meets both; [60,120) meets [30,90) (half-open)
    assert overlap_counts(vi, start, end).tolist() == [1, 2, 1, 0, 0]
    assert overlap_counts(np.zeros(0, dtype=np.int64), start[:0], end[:0]).size == 0


def test_generation_sizes_at_a_few_thousand() -> None:
    # timing lives in benchmarks/generator_stats.py, not in the unit tests
    p = generate_city(3000, 1500, seed=3)
    assert math.isclose(len(p.tasks) / len(p.volunteers), 0.5)


def test_availability_uses_the_start_grid() -> None:
    from datetime import UTC, datetime

    from vmatch.model import Location, Settings, Task, TimeWindow, Volunteer

    utc = UTC

    def at(h: int, m: int) -> datetime:
        return datetime(2026, 12, 7, h, m, tzinfo=utc)

    v = Volunteer("v", Location(30.5, 114.3), availability=(TimeWindow(at(9, 10), at(10, 30)),))
    w = TimeWindow(at(9, 0), at(10, 30))
    ts = (
        Task("fits", Location(30.5, 114.3), w, duration=timedelta(minutes=75)),
        Task("off-grid", Location(30.5, 114.3), w, duration=timedelta(minutes=80)),
        Task("far", Location(31.0, 114.3), w, duration=timedelta(minutes=60)),
    )
    p = Problem((v,), ts, Settings(max_distance_km=9.0))
    ti = static_pairs(p, RULES)[1]
    assert ti.tolist() == [0]
    assert static_pairs(p, ("distance",))[1].tolist() == [0, 1]
