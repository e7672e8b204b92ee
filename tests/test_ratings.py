"""Tests of vmatch.ratings: Bayesian reliability, applying ratings, star levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmatch.errors import ModelError
from vmatch.menu import MenuProblem, Offer, Order, Rating, ServiceItem, menu_solve, menu_to_problem
from vmatch.model import Location, Problem, TimeWindow, Volunteer
from vmatch.ratings import apply_ratings, reliability, star_level

D = date(2026, 11, 1)


def stars(provider: str, *xs: int) -> list[Rating]:
    return [Rating(f"{provider}-{k}", provider, x, D) for k, x in enumerate(xs)]


def test_one_bad_rating_does_not_sink_a_newcomer():
    assert reliability(stars("new", 1))["new"] > 3.0
    assert reliability(stars("new", 1))["new"] == pytest.approx(21 / 6)


def test_many_bad_ratings_do():
    r = reliability(stars("bad", *([1] * 200)))["bad"]
    assert 1.0 < r < 1.1


def test_prior_and_plain_mean():
    r = stars("a", 5, 3) + stars("b", 2)
    assert reliability(r, prior_weight=0) == {"a": 4.0, "b": 2.0}
    assert reliability(r, prior_mean=3.0, prior_weight=2) == {"a": pytest.approx(14 / 4), "b": pytest.approx(8 / 3)}
    assert reliability([]) == {}
    with pytest.raises(ModelError, match="prior_mean"):
        reliability(r, prior_mean=6.0)
    with pytest.raises(ModelError, match="prior_weight"):
        reliability(r, prior_weight=-1)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=50))
def test_reliability_lies_between_prior_and_mean(xs):  # type: ignore[no-untyped-def]
    r = reliability(stars("p", *xs))["p"]
    mean = sum(xs) / len(xs)
    assert min(mean, 4.0) - 1e-9 <= r <= max(mean, 4.0) + 1e-9


def test_apply_ratings_to_a_problem_and_a_menu():
    p = Problem(
        volunteers=(
            Volunteer("a", Location(0, 0), rating=2.0),
            Volunteer("b", Location(0, 0)),
            Volunteer("o1", Location(0, 0), extra={"provider": "c"}),
        )
    )
    q = apply_ratings(p, stars("a", 5) + stars("c", 1, 1))
    assert [v.rating for v in q.volunteers] == [pytest.approx(25 / 6), None, pytest.approx(22 / 7)]
    mp = MenuProblem(volunteers=(Volunteer("a", Location(0, 0)),), ratings=tuple(stars("a", 5)))
    mq = apply_ratings(mp, stars("a", 1))
    assert len(mq.ratings) == 2 and menu_to_problem(mq)[1].reliability == {}  # "a" offers nothing yet


def test_ratings_weigh_the_next_dispatch():
    t0 = datetime(2026, 12, 5, 9, tzinfo=UTC)
    w = TimeWindow(t0, t0 + timedelta(hours=1))
    item = ServiceItem("visit", "Home visit", "companionship", 60)
    mp = MenuProblem(
        (item,),
        (Offer("oa", "a", "visit"), Offer("ob", "b", "visit")),
        (Order("r1", "res1", "visit", w, Location(0, 0)),),
        (Volunteer("a", Location(0, 0)), Volunteer("b", Location(0, 0.001))),
    )
    first = menu_solve(mp, time_limit=5)
    assert [a.provider for a in first.assignments] == ["a"]  # nearer
    second = menu_solve(apply_ratings(mp, stars("a", 1, 2, 1)), time_limit=5)
    assert [a.provider for a in second.assignments] == ["b"]


@pytest.mark.parametrize(
    ("hours", "level"),
    [(0, 0), (99.9, 0), (100, 1), (299, 1), (300, 2), (600, 3), (1000, 4), (1499, 4), (1500, 5), (10_000, 5)],
)
def test_national_star_levels(hours, level):  # type: ignore[no-untyped-def]
    assert star_level(hours) == level


def test_local_star_schemes_and_bad_thresholds():
    assert star_level(250, thresholds=(50, 150, 250)) == 3
    assert star_level(49, thresholds=(50,)) == 0
    for bad in ((100, 100), (300, 100), (), (0, 10), (-5, 10), (10, float("nan"))):
        with pytest.raises(ModelError, match="thresholds"):
            star_level(10, thresholds=bad)
    for h in (-1, float("inf"), float("nan"), True):
        with pytest.raises(ModelError, match="hours"):
            star_level(h)  # type: ignore[arg-type]
