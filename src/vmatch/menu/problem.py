"""The menu problem: a menu round's items, offers, orders, volunteers and ratings, validated together.

Examples
--------
>>> from vmatch.menu.model import Offer, ServiceItem
>>> from vmatch.model import Location, Volunteer
>>> cut = ServiceItem("cut", "Haircut", "haircut", 45)
>>> mp = MenuProblem(items=(cut,), offers=(Offer("o1", "team-a", "cut"),),
...                  volunteers=(Volunteer("v1", Location(0, 0), team="team-a"),))
>>> mp.provider_kind("team-a"), mp.team_members("team-a")
('team', ('v1',))
>>> MenuProblem(items=(ServiceItem("cut", "Haircut", "haircut", 45),), offers=(Offer("o1", "v9", "cut"),))
Traceback (most recent call last):
...
vmatch.errors.ModelError: offer 'o1': field 'provider' names unknown provider 'v9' (no volunteer or team)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from vmatch.errors import ModelError
from vmatch.menu.model import ITEM_ATTRIBUTE, Offer, Order, Rating, ServiceItem, _fail
from vmatch.model import Settings, Volunteer

__all__ = ["MenuProblem"]


def _unique(kind: str, objs: tuple[Any, ...], cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, x in enumerate(objs):
        if not isinstance(x, cls):
            raise ModelError(f"menu problem: field '{kind}s[{n}]' must be a {cls.__name__}")
        o: Any = x
        if o.id in out:
            raise _fail(kind, o.id, "id", "is a duplicate")
        out[o.id] = o
    return out


@dataclass(frozen=True, slots=True)
class MenuProblem:
    """A menu round: items, offers, orders, the volunteers behind the offers, past ratings.

    Validation: unique ids per kind; every offer names a known item and a known provider (a
    volunteer id or a team name, not both); a volunteer offers one-person items only; every
    order names a known item with a window at least the item's duration, and known providers.
    """

    items: tuple[ServiceItem, ...] = ()
    offers: tuple[Offer, ...] = ()
    orders: tuple[Order, ...] = ()
    volunteers: tuple[Volunteer, ...] = ()
    ratings: tuple[Rating, ...] = ()
    settings: Settings = field(default_factory=Settings)
    extra: Any = field(default_factory=dict)
    _items: Any = field(init=False, repr=False, compare=False)
    _offers: Any = field(init=False, repr=False, compare=False)
    _orders: Any = field(init=False, repr=False, compare=False)
    _vols: Any = field(init=False, repr=False, compare=False)
    _teams: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("items", "offers", "orders", "volunteers", "ratings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        if not isinstance(self.settings, Settings):
            raise ModelError("menu problem: field 'settings' must be a Settings")
        items = _unique("item", self.items, ServiceItem)
        offers = _unique("offer", self.offers, Offer)
        orders = _unique("order", self.orders, Order)
        vols = _unique("volunteer", self.volunteers, Volunteer)
        teams: dict[str, list[str]] = {}
        for v in self.volunteers:
            if ITEM_ATTRIBUTE in v.attributes:
                raise _fail("volunteer", v.id, f"attributes.{ITEM_ATTRIBUTE}", "is reserved for the menu compiler")
            if v.team is not None:
                teams.setdefault(v.team, []).append(v.id)
        for n, r in enumerate(self.ratings):
            if not isinstance(r, Rating):
                raise ModelError(f"menu problem: field 'ratings[{n}]' must be a Rating")
        for o in self.offers:
            if o.item not in items:
                raise _fail("offer", o.id, "item", f"names unknown item {o.item!r}")
            if o.provider in vols and o.provider in teams:
                raise _fail("offer", o.id, "provider", f"{o.provider!r} is both a volunteer id and a team name")
            if o.provider not in vols and o.provider not in teams:
                raise _fail("offer", o.id, "provider", f"names unknown provider {o.provider!r} (no volunteer or team)")
            if o.provider in vols and items[o.item].headcount > 1:
                raise _fail(
                    "offer",
                    o.id,
                    "provider",
                    f"is a volunteer, but item {o.item!r} needs a crew of "
                    f"{items[o.item].headcount}: only a team can offer it",
                )
        for od in self.orders:
            if od.item not in items:
                raise _fail("order", od.id, "item", f"names unknown item {od.item!r}")
            if od.window.minutes < items[od.item].duration:
                raise _fail(
                    "order",
                    od.id,
                    "window",
                    f"({od.window.minutes} min) is shorter than item {od.item!r} ({items[od.item].duration} min)",
                )
            for fld in ("ranked_providers", "refused_providers"):
                for p in getattr(od, fld):
                    if p not in vols and p not in teams:
                        raise _fail("order", od.id, fld, f"names unknown provider {p!r}")
        object.__setattr__(self, "_items", MappingProxyType(items))
        object.__setattr__(self, "_offers", MappingProxyType(offers))
        object.__setattr__(self, "_orders", MappingProxyType(orders))
        object.__setattr__(self, "_vols", MappingProxyType(vols))
        object.__setattr__(self, "_teams", MappingProxyType({t: tuple(m) for t, m in teams.items()}))

    def item(self, iid: str) -> ServiceItem:
        """The item with id ``iid`` (KeyError when absent)."""
        return self._items[iid]

    def offer(self, oid: str) -> Offer:
        """The offer with id ``oid``."""
        return self._offers[oid]

    def order(self, oid: str) -> Order:
        """The order with id ``oid``."""
        return self._orders[oid]

    def volunteer(self, vid: str) -> Volunteer:
        """The volunteer with id ``vid``."""
        return self._vols[vid]

    def team_members(self, team: str) -> tuple[str, ...]:
        """Volunteer ids of a team, in problem order (empty for an unknown team)."""
        return self._teams.get(team, ())

    def provider_kind(self, pid: str) -> str:
        """``"volunteer"`` or ``"team"`` (KeyError for an unknown provider)."""
        if pid in self._vols:
            return "volunteer"
        if pid in self._teams:
            return "team"
        raise KeyError(pid)

    def providers(self) -> tuple[str, ...]:
        """Providers with at least one offer, in offer order."""
        return tuple(dict.fromkeys(o.provider for o in self.offers))
