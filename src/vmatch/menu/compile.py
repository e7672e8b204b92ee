"""Compile a :class:`~vmatch.menu.MenuProblem` into a dispatch :class:`~vmatch.model.Problem`.

The menu adds no solver of its own: it becomes a dispatch problem in which

* **each order is a task**: window = the order's wanted window, duration = the item's, one
  place (one provider per order), the order's priority, the item's per-person skills (a
  one-person item's composition requirements fold into them) and certificates, the requester;
* **each offer is a volunteer** (id = the offer id), so that everything that differs between
  one provider's offers is exact per offer: its availability is the offer's windows and weekly
  rules (the provider's own when the offer has none), its distance limit the offer's radius from
  its base, its workload limit ``capacity x item duration`` (orders of one item all last the
  item's duration, so this is exactly ``capacity`` orders), capped by the provider's own limit;
  skills, certificates and attributes are the provider's. A team offer is a *crew* volunteer:
  it holds the item's skills, and each certificate the item needs up to the last date on which
  the team can field a full crew (:mod:`vmatch.menu.crew`); an offer whose team can never field
  one is left out (``MenuMapping.dropped``);
* **only offers of the item can serve an order**: both carry the reserved attribute
  ``menu.item`` with the item id (the compiler's vectorised attribute rule does the work; no
  pair list);
* **refused providers** become forbidden pairs; **ranked providers** (the requester's wish) and
  **ranked requesters** (the provider's) become ``Problem.preferences`` scores: 10 for the first
  choice, 9 for the second, ... at least 1; reliability from ratings becomes the volunteer's
  ``rating``.

Offers of one provider are one person (or one team): they must not overlap in time (travel
included) and share the provider's workload limits. Those rules span several volunteers, which
the dispatch model cannot say, so the compiled problem lists them in
``Problem.extra["same_person"]`` = ``{provider: {"volunteers": [offer ids], "max_minutes": ..,
"max_minutes_per_day": ..}}``; :func:`vmatch.menu.solve_problem` (used by ``menu_solve`` and
:func:`vmatch.replan`) adds them to the arc problem. Plain :func:`vmatch.solve` ignores them.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> mp = generate_menu(30, 12, seed=1)
>>> p, m = menu_to_problem(mp)
>>> len(p.tasks) == len(mp.orders), len(p.volunteers) + len(m.dropped) == len(mp.offers)
(True, True)
>>> p.volunteers[0].extra["offer"] == p.volunteers[0].id
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from vmatch.menu.crew import choose_crew, crew_last_date, folded_skills
from vmatch.menu.model import ITEM_ATTRIBUTE, Offer
from vmatch.menu.problem import MenuProblem
from vmatch.model import Location, Problem, Task, Volunteer
from vmatch.ratings import reliability

__all__ = ["PREFERENCE_TOP", "MenuMapping", "menu_to_problem", "rank_score"]

log = logging.getLogger(__name__)

#: Preference score of a first choice; the k-th choice scores ``max(1, PREFERENCE_TOP - k + 1)``.
PREFERENCE_TOP = 10


def rank_score(rank: int) -> int:
    """Score of the 0-based ``rank`` in a ranked list."""
    return max(1, PREFERENCE_TOP - rank)


@dataclass(frozen=True, slots=True)
class MenuMapping:
    """How a menu problem maps to its compiled dispatch problem.

    Attributes
    ----------
    provider : mapping offer id -> provider id
    item : mapping offer id -> item id
    same_person : mapping provider -> tuple of offer ids (providers with two or more offers)
    dropped : mapping offer id -> reason (offers with no volunteer in the compiled problem)
    reliability : mapping provider -> score used as the offer-volunteers' rating
    """

    provider: Mapping[str, str]
    item: Mapping[str, str]
    same_person: Mapping[str, tuple[str, ...]]
    dropped: Mapping[str, str]
    reliability: Mapping[str, float]

    def crew(self, mp: MenuProblem, offer_id: str, start_day: Any) -> tuple[str, ...]:
        """Who goes for an order served by ``offer_id`` on local date ``start_day``: the volunteer
        itself, or a team's crew."""
        pid = self.provider[offer_id]
        if mp.provider_kind(pid) == "volunteer":
            return (pid,)
        members = [mp.volunteer(v) for v in mp.team_members(pid)]
        return choose_crew(members, mp.item(self.item[offer_id]), start_day) or ()


def _team_base(mp: MenuProblem, team: str) -> Location:
    ms = [mp.volunteer(v).location for v in mp.team_members(team)]
    return Location(sum(x.lat for x in ms) / len(ms), sum(x.lon for x in ms) / len(ms))


def _offer_volunteer(mp: MenuProblem, o: Offer, rating: float) -> tuple[Volunteer | None, str]:
    item = mp.item(o.item)
    extra = {"provider": o.provider, "offer": o.id, "item": o.item}
    attrs: dict[str, frozenset[str]] = {ITEM_ATTRIBUTE: frozenset({o.item})}
    own_time = not o.windows and not o.weekly
    cap_min = None if o.capacity is None else o.capacity * item.duration
    if mp.provider_kind(o.provider) == "volunteer":
        v = mp.volunteer(o.provider)
        lim = [x for x in (cap_min, v.max_minutes) if x is not None]
        return Volunteer(
            o.id,
            o.location or v.location,
            skills=v.skills,
            certificates=v.certificates,
            availability=v.availability if own_time else o.windows,
            weekly=v.weekly if own_time else o.weekly,
            max_minutes=min(lim) if lim else None,
            max_minutes_per_day=v.max_minutes_per_day,
            max_distance_km=o.radius_km if o.radius_km is not None else v.max_distance_km,
            attributes={**v.attributes, **attrs},
            team=v.team,
            rating=rating,
            hours_served=v.hours_served,
            extra=extra,
        ), ""
    members = [mp.volunteer(m) for m in mp.team_members(o.provider)]
    ever, last = crew_last_date(members, item)
    if not ever:
        return None, f"team {o.provider!r} cannot field a crew for item {o.item!r}"
    return Volunteer(
        o.id,
        o.location or _team_base(mp, o.provider),
        skills=folded_skills(item),
        certificates={c: last for c in item.certificates},
        availability=o.windows,
        weekly=o.weekly,
        max_minutes=cap_min,
        max_distance_km=o.radius_km,
        attributes=attrs,
        team=o.provider,
        rating=rating,
        extra=extra,
    ), ""


def _order_task(mp: MenuProblem, n: int) -> Task:
    o = mp.orders[n]
    item = mp.item(o.item)
    return Task(
        o.id,
        o.location,
        o.window,
        duration=timedelta(minutes=item.duration),
        headcount=1,
        priority=o.priority,
        skills=folded_skills(item),
        certificates=item.certificates,
        attributes={ITEM_ATTRIBUTE: frozenset({o.item})},
        category=item.category,
        requester=o.requester,
        extra={"item": o.item},
    )


def menu_to_problem(
    mp: MenuProblem, *, prior_mean: float = 4.0, prior_weight: float = 5
) -> tuple[Problem, MenuMapping]:
    """The dispatch problem of a menu problem, and the mapping back (see the module docstring).

    Parameters
    ----------
    mp : MenuProblem
    prior_mean, prior_weight : float
        Prior of :func:`vmatch.ratings.reliability`; an unrated provider gets ``prior_mean``
        unless its volunteer record carries a ``rating``.

    Returns
    -------
    (Problem, MenuMapping)
    """
    rel = reliability(mp.ratings, prior_mean=prior_mean, prior_weight=prior_weight)
    scores: dict[str, float] = {}
    for pid in mp.providers():
        own = mp.volunteer(pid).rating if mp.provider_kind(pid) == "volunteer" else None
        scores[pid] = rel.get(pid, own if own is not None else prior_mean)
    vols: list[Volunteer] = []
    dropped: dict[str, str] = {}
    by_provider_item: dict[tuple[str, str], list[str]] = {}
    same: dict[str, list[str]] = {}
    for o in mp.offers:
        v, why = _offer_volunteer(mp, o, scores[o.provider])
        if v is None:
            dropped[o.id] = why
            continue
        vols.append(v)
        by_provider_item.setdefault((o.provider, o.item), []).append(o.id)
        same.setdefault(o.provider, []).append(o.id)
    tasks = [_order_task(mp, n) for n in range(len(mp.orders))]
    forbidden: list[tuple[str, str]] = []
    prefs: dict[tuple[str, str], float] = {}
    for od in mp.orders:
        for p in od.refused_providers:
            forbidden.extend((k, od.id) for k in by_provider_item.get((p, od.item), ()))
        for r, p in enumerate(od.ranked_providers):
            for k in by_provider_item.get((p, od.item), ()):
                prefs[(k, od.id)] = prefs.get((k, od.id), 0.0) + rank_score(r)
    orders_by: dict[tuple[str, str], list[str]] = {}
    for od in mp.orders:
        orders_by.setdefault((od.item, od.requester), []).append(od.id)
    refused = set(forbidden)
    for of in mp.offers:
        if of.id in dropped:
            continue
        for r, req in enumerate(of.ranked_requesters):
            for oid in orders_by.get((of.item, req), ()):
                if (of.id, oid) not in refused:
                    prefs[(of.id, oid)] = prefs.get((of.id, oid), 0.0) + rank_score(r)
    people: dict[str, Any] = {}
    for pid, offers in same.items():
        if len(offers) > 1:
            v0 = mp.volunteer(pid) if mp.provider_kind(pid) == "volunteer" else None
            people[pid] = {
                "volunteers": list(offers),
                "max_minutes": None if v0 is None else v0.max_minutes,
                "max_minutes_per_day": None if v0 is None else v0.max_minutes_per_day,
            }
    extra = {**dict(mp.extra), "menu": True, "same_person": people}
    problem = Problem(
        tuple(vols), tuple(tasks), mp.settings, forbidden=tuple(forbidden), preferences=prefs, extra=extra
    )
    mapping = MenuMapping(
        MappingProxyType({o.id: o.provider for o in mp.offers}),
        MappingProxyType({o.id: o.item for o in mp.offers}),
        MappingProxyType({p: tuple(d["volunteers"]) for p, d in people.items()}),
        MappingProxyType(dropped),
        MappingProxyType(scores),
    )
    log.info(
        "menu compiled: %d offer-volunteers (%d dropped), %d orders, %d forbidden, %d preference pairs",
        len(vols),
        len(dropped),
        len(tasks),
        len(forbidden),
        len(prefs),
    )
    return problem, mapping
