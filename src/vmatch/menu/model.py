"""The menu model (菜单式服务): service items, offers, orders and ratings.

A centre publishes a menu of :class:`ServiceItem`; providers (a volunteer, or a team named by
the volunteers' ``team`` field) publish :class:`Offer` of items at times and within a radius;
residents place :class:`Order` for an item; after the service they leave a :class:`Rating`.
Every class is a frozen, slotted dataclass validated at construction; an invalid value raises
:class:`vmatch.ModelError` naming the object id and the field. They come together, with the
volunteers behind the offers, in a :class:`vmatch.menu.problem.MenuProblem`.

Who serves an order: exactly one provider. A volunteer serves alone, so a volunteer can offer only
items whose ``headcount`` is 1; an item with a larger head-count (a crew) is offered by teams,
which send ``headcount`` of their members.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, TimeWindow
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 12, tzinfo=timezone.utc))
>>> item = ServiceItem("haircut", "Haircut at home", "haircut", duration=45)
>>> Offer("o1", "v1", "haircut", windows=(w,), capacity=3, radius_km=5.0).capacity
3
>>> Order("r2", "resident-8", "haircut", w, Location(30.6, 114.3), priority=-1)
Traceback (most recent call last):
...
vmatch.errors.ModelError: order 'r2': field 'priority' must be in [0, 1000000], got -1
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from vmatch.errors import ModelError
from vmatch.model import MAX_LEVEL, MAX_PRIORITY, Location, Requirement, TimeWindow, WeeklyRule
from vmatch.model import _check_int as _int  # (the domain model's integer check, messages alike)

__all__ = ["ITEM_ATTRIBUTE", "Offer", "Order", "Rating", "ServiceItem"]

#: Attribute key reserved for the compiled problem (which item an offer serves).
ITEM_ATTRIBUTE = "menu.item"


def _fail(kind: str, oid: object, fld: str, msg: str) -> ModelError:
    return ModelError(f"{kind} {oid!r}: field {fld!r} {msg}")


def _id(kind: str, oid: object) -> None:
    if not isinstance(oid, str) or not oid:
        raise ModelError(f"{kind} {oid!r}: field 'id' must be a non-empty string")


def _str(kind: str, oid: object, fld: str, x: object) -> None:
    if not isinstance(x, str) or not x:
        raise _fail(kind, oid, fld, f"must be a non-empty string, got {x!r}")


def _km(kind: str, oid: str, fld: str, x: object) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not 0 <= x <= 40075:
        raise _fail(kind, oid, fld, f"must be a distance in km in [0, 40075], got {x!r}")


def _ids(kind: str, oid: str, fld: str, xs: tuple[Any, ...]) -> None:
    seen: set[str] = set()
    for n, x in enumerate(xs):
        _str(kind, oid, f"{fld}[{n}]", x)
        if x in seen:
            raise _fail(kind, oid, fld, f"repeats {x!r}")
        seen.add(x)


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """An entry of the menu.

    Parameters
    ----------
    id, name, category : str
        Id, a display name and a category (``elderly-meal``, ``haircut``, ...).
    duration : int
        Minutes of service.
    headcount : int
        People sent per order (1: one volunteer; more: a crew from a team).
    skills : mapping of str to int
        Every person sent holds each skill at this level or above (1-5).
    requirements : tuple of Requirement
        Composition of the crew: at least ``count`` people with ``skill`` >= ``level``.
    certificates : tuple of str
        Every person sent holds each, valid on the local date the service ends.
    """

    id: str
    name: str
    category: str
    duration: int
    headcount: int = 1
    skills: Any = field(default_factory=dict)
    requirements: tuple[Requirement, ...] = ()
    certificates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        k, i = "item", self.id
        _id(k, i)
        _str(k, i, "name", self.name)
        _str(k, i, "category", self.category)
        _int(k, i, "duration", self.duration, 1, 7 * 1440)
        _int(k, i, "headcount", self.headcount, 1, 100)
        object.__setattr__(self, "skills", MappingProxyType(dict(self.skills)))
        for s, lvl in self.skills.items():
            if not isinstance(s, str) or not s:
                raise _fail(k, i, "skills", f"has a key that is not a non-empty string: {s!r}")
            _int(k, i, f"skills.{s}", lvl, 1, MAX_LEVEL)
        object.__setattr__(self, "requirements", tuple(self.requirements))
        for n, r in enumerate(self.requirements):
            if not isinstance(r, Requirement):
                raise _fail(k, i, f"requirements[{n}]", "must be a Requirement")
            if r.count > self.headcount:
                raise _fail(k, i, f"requirements[{n}].count", f"exceeds headcount {self.headcount}")
        object.__setattr__(self, "certificates", tuple(self.certificates))
        _ids(k, i, "certificates", self.certificates)


@dataclass(frozen=True, slots=True)
class Offer:
    """A provider's offer of one item.

    Parameters
    ----------
    id : str
        Unique id.
    provider : str
        A volunteer id, or a team name (the ``team`` of some volunteers).
    item : str
        The item offered.
    windows : tuple of TimeWindow
        When the item is offered (one-off windows).
    weekly : tuple of WeeklyRule
        Recurring times it is offered. With neither, the provider's own availability counts
        (a team: always). Otherwise these replace the provider's own availability.
    capacity : int or None
        Orders the offer takes at most (None: no limit but the provider's workload).
    radius_km : float or None
        Service radius from the provider's base (None: the provider's own distance limit).
    location : Location or None
        The base the radius counts from (default: the volunteer's home; a team: the mean of its
        members' homes).
    ranked_requesters : tuple of str
        Requesters the provider prefers to serve, best first (optional).
    """

    id: str
    provider: str
    item: str
    windows: tuple[TimeWindow, ...] = ()
    weekly: tuple[WeeklyRule, ...] = ()
    capacity: int | None = None
    radius_km: float | None = None
    location: Location | None = None
    ranked_requesters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        k, i = "offer", self.id
        _id(k, i)
        _str(k, i, "provider", self.provider)
        _str(k, i, "item", self.item)
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "weekly", tuple(self.weekly))
        object.__setattr__(self, "ranked_requesters", tuple(self.ranked_requesters))
        for n, w in enumerate(self.windows):
            if not isinstance(w, TimeWindow):
                raise _fail(k, i, f"windows[{n}]", "must be a TimeWindow")
        for n, r in enumerate(self.weekly):
            if not isinstance(r, WeeklyRule):
                raise _fail(k, i, f"weekly[{n}]", "must be a WeeklyRule")
        if self.capacity is not None:
            _int(k, i, "capacity", self.capacity, 0)
        if self.radius_km is not None:
            _km(k, i, "radius_km", self.radius_km)
        if self.location is not None and not isinstance(self.location, Location):
            raise _fail(k, i, "location", "must be a Location")
        _ids(k, i, "ranked_requesters", self.ranked_requesters)


@dataclass(frozen=True, slots=True)
class Order:
    """A resident's order of one item.

    Parameters
    ----------
    id, requester, item : str
        Unique id, who ordered (a resident id) and what.
    window : TimeWindow
        When the service may happen (the whole service inside it).
    location : Location
        Where.
    priority : int
        Weight of serving it (>= 0): the most priority-weighted orders are served first.
    ranked_providers : tuple of str
        Providers the requester prefers, best first (optional).
    refused_providers : tuple of str
        Providers the requester does not want (never dispatched).
    """

    id: str
    requester: str
    item: str
    window: TimeWindow
    location: Location
    priority: int = 1
    ranked_providers: tuple[str, ...] = ()
    refused_providers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        k, i = "order", self.id
        _id(k, i)
        _str(k, i, "requester", self.requester)
        _str(k, i, "item", self.item)
        if not isinstance(self.window, TimeWindow):
            raise _fail(k, i, "window", "must be a TimeWindow")
        if not isinstance(self.location, Location):
            raise _fail(k, i, "location", "must be a Location")
        _int(k, i, "priority", self.priority, 0, MAX_PRIORITY)
        object.__setattr__(self, "ranked_providers", tuple(self.ranked_providers))
        object.__setattr__(self, "refused_providers", tuple(self.refused_providers))
        _ids(k, i, "ranked_providers", self.ranked_providers)
        _ids(k, i, "refused_providers", self.refused_providers)
        both = set(self.ranked_providers) & set(self.refused_providers)
        if both:
            raise _fail(k, i, "refused_providers", f"also ranks {sorted(both)[0]!r} as preferred")


@dataclass(frozen=True, slots=True)
class Rating:
    """A resident's rating of a served order (评单): 1 to 5 stars."""

    order: str
    provider: str
    stars: int
    date: date

    def __post_init__(self) -> None:
        k, i = "rating", self.order
        _str(k, i, "order", self.order)
        _str(k, i, "provider", self.provider)
        _int(k, i, "stars", self.stars, 1, 5)
        if not isinstance(self.date, date) or isinstance(self.date, datetime):
            raise _fail(k, i, "date", f"must be a date, got {self.date!r}")
