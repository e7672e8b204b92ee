"""Ratings (评单) and star levels: reliability scores for the next matching, stars by hours served.

* :func:`reliability` — a Bayesian average of each provider's stars: ``prior_weight`` imaginary
  ratings of ``prior_mean`` stars are added to the real ones, so one bad rating of a newcomer
  moves the score a little, and many ratings outweigh the prior.
* :func:`apply_ratings` — put those scores into the ``rating`` of the volunteers of a dispatch
  :class:`~vmatch.model.Problem`, or add the ratings to a :class:`~vmatch.menu.MenuProblem`
  (whose compiler turns them into reliability), for the next matching.
* :func:`star_level` — the star level (星级) of a volunteer from hours served; the national rule's
  thresholds (100, 300, 600, 1000, 1500 hours) by default, a local scheme passes its own.

Examples
--------
>>> from datetime import date
>>> from vmatch.menu.model import Rating
>>> r = reliability([Rating("o1", "newcomer", 1, date(2026, 12, 1))])
>>> round(r["newcomer"], 2)
3.5
>>> star_level(320), star_level(99.5), star_level(2000)
(2, 0, 5)
>>> star_level(50, thresholds=(40, 80))
1
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from vmatch.errors import ModelError
from vmatch.model import Problem

if TYPE_CHECKING:
    from vmatch.menu.model import Rating
    from vmatch.menu.problem import MenuProblem

__all__ = ["NATIONAL_THRESHOLDS", "apply_ratings", "reliability", "star_level"]

#: Hours for one to five stars under the national rule (星级认定).
NATIONAL_THRESHOLDS: tuple[float, ...] = (100, 300, 600, 1000, 1500)

T = TypeVar("T", "Problem", "MenuProblem")


def _num(name: str, x: object, lo: float, hi: float = math.inf) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not lo <= x <= hi:
        raise ModelError(f"ratings: field {name!r} must be a finite number in [{lo}, {hi}], got {x!r}")
    return float(x)


def reliability(ratings: Iterable[Rating], *, prior_mean: float = 4.0, prior_weight: float = 5) -> dict[str, float]:
    """Each rated provider's Bayesian average of stars.

    ``(prior_weight * prior_mean + sum of stars) / (prior_weight + number of ratings)``.

    Parameters
    ----------
    ratings : iterable of Rating
        Stars 1-5 per served order (the ``provider`` field says whose).
    prior_mean : float
        Stars assumed before any rating (1-5); also what an unrated provider gets.
    prior_weight : float
        How many ratings the prior is worth (>= 0; 0 gives the plain mean).

    Returns
    -------
    dict
        Provider id to a score in [1, 5], for providers with at least one rating.

    Raises
    ------
    ModelError
        A prior outside its range.
    """
    m = _num("prior_mean", prior_mean, 1.0, 5.0)
    w = _num("prior_weight", prior_weight, 0.0)
    total: dict[str, float] = {}
    count: dict[str, int] = {}
    for r in ratings:
        total[r.provider] = total.get(r.provider, 0.0) + r.stars
        count[r.provider] = count.get(r.provider, 0) + 1
    return {p: (w * m + total[p]) / (w + count[p]) for p in total}


def apply_ratings(problem: T, ratings: Sequence[Rating], *, prior_mean: float = 4.0, prior_weight: float = 5) -> T:
    """The problem for the next matching, with ``ratings`` taken into account.

    For a dispatch :class:`~vmatch.model.Problem`, every volunteer rated (by id, or by the
    ``extra["provider"]`` that a compiled menu problem puts on its offer-volunteers) gets
    ``rating`` = :func:`reliability` of its ratings; others keep theirs. For a
    :class:`~vmatch.menu.MenuProblem`, the ratings are added to ``ratings`` (the menu compiler
    computes reliability from all of them).

    Examples
    --------
    >>> from datetime import date
    >>> from vmatch.menu.model import Rating
    >>> from vmatch.model import Location, Volunteer
    >>> p = Problem(volunteers=(Volunteer("v1", Location(0, 0)), Volunteer("v2", Location(0, 0))))
    >>> q = apply_ratings(p, [Rating("o1", "v1", 5, date(2026, 12, 1))])
    >>> [v.rating for v in q.volunteers]
    [4.166666666666667, None]
    """
    rel = reliability(ratings, prior_mean=prior_mean, prior_weight=prior_weight)
    if isinstance(problem, Problem):
        vols = []
        for v in problem.volunteers:
            key: Any = v.extra.get("provider", v.id)
            score = rel.get(key) if isinstance(key, str) else None
            vols.append(v if score is None else dataclasses.replace(v, rating=min(5.0, max(0.0, score))))
        return dataclasses.replace(problem, volunteers=tuple(vols))
    return dataclasses.replace(problem, ratings=tuple(problem.ratings) + tuple(ratings))


def star_level(hours: float, thresholds: Sequence[float] = NATIONAL_THRESHOLDS) -> int:
    """The star level for ``hours`` served: how many thresholds it reaches (0 to ``len(thresholds)``).

    Parameters
    ----------
    hours : float
        Hours served (>= 0).
    thresholds : sequence of float
        Strictly increasing positive hours, one per star (national rule by default).

    Raises
    ------
    ModelError
        Negative or non-finite hours, or thresholds that are not strictly increasing positive numbers.
    """
    h = _num("hours", hours, 0.0)
    ts = [_num(f"thresholds[{n}]", t, 0.0) for n, t in enumerate(thresholds)]
    if not ts:
        raise ModelError("ratings: field 'thresholds' must list at least one threshold")
    if ts[0] <= 0 or any(b <= a for a, b in itertools.pairwise(ts)):
        raise ModelError(
            f"ratings: field 'thresholds' must be strictly increasing positive hours, got {list(thresholds)}"
        )
    return sum(1 for t in ts if h >= t)
