"""Independent check of a menu result against the menu's own rules (on the menu objects).

:func:`vmatch.verify` checks the compiled dispatch problem; :func:`check_menu` checks what the
menu itself promises, written from the menu model and sharing no code with its compiler: each
served order goes to an offer of its item whose provider the requester did not refuse, inside the
order's window and the offer's times, within the offer's radius, with a crew fit for the item;
no offer over its capacity; no provider (one person or one team) in two places at once, travel
included, or over its workload; every unserved order reported.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.result import MenuResult
>>> from vmatch.result import Status
>>> mp = generate_menu(5, 3, seed=0)
>>> check_menu(mp, MenuResult(Status.FEASIBLE, "welfare"))[0]
"order 'or00000': not served and not reported as unserved"
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from vmatch.geo import haversine_km, travel_minutes
from vmatch.menu.model import Offer
from vmatch.menu.problem import MenuProblem
from vmatch.menu.result import MenuAssignment, MenuResult
from vmatch.model import Location, TimeWindow, Volunteer, WeeklyRule

__all__ = ["check_menu"]


def _inside(
    s: datetime, e: datetime, windows: tuple[TimeWindow, ...], weekly: tuple[WeeklyRule, ...], mp: MenuProblem
) -> bool:
    """``[s, e)`` inside the union of ``windows`` and ``weekly`` (touching spans join)."""
    tz = mp.settings.tz
    spans = [(w.start, w.end) for w in windows]
    d = s.astimezone(tz).date() - timedelta(days=1)
    while d <= e.astimezone(tz).date() + timedelta(days=1):
        for r in weekly:
            if d.isoweekday() in r.days:
                mid = datetime(d.year, d.month, d.day, tzinfo=tz)
                spans.append((mid + timedelta(minutes=r.start_minute), mid + timedelta(minutes=r.end_minute)))
        d += timedelta(days=1)
    spans.sort()
    cur_s, cur_e = None, None
    for a, b in spans:
        if cur_e is not None and a <= cur_e:
            cur_e = max(cur_e, b)
        else:
            if cur_s is not None and cur_s <= s and e <= cur_e:  # type: ignore[operator]
                return True
            cur_s, cur_e = a, b
    return cur_s is not None and cur_s <= s and e <= cur_e  # type: ignore[operator]


def _base(mp: MenuProblem, o: Offer) -> Location:
    if o.location is not None:
        return o.location
    if mp.provider_kind(o.provider) == "volunteer":
        return mp.volunteer(o.provider).location
    ms = [mp.volunteer(v).location for v in mp.team_members(o.provider)]
    return Location(sum(x.lat for x in ms) / len(ms), sum(x.lon for x in ms) / len(ms))


def _fit(v: Volunteer, mp: MenuProblem, item_id: str, day: object) -> str:
    item = mp.item(item_id)
    need = dict(item.skills)
    if item.headcount == 1:
        for r in item.requirements:
            need[r.skill] = max(need.get(r.skill, 0), r.level)
    for s, lvl in need.items():
        if v.skills.get(s, 0) < lvl:
            return f"lacks skill {s}>={lvl}"
    for c in item.certificates:
        if c not in v.certificates:
            return f"lacks certificate {c}"
        exp = v.certificates[c]
        if exp is not None and exp < day:  # type: ignore[operator]
            return f"certificate {c} expired"
    return ""


def _check_one(mp: MenuProblem, a: MenuAssignment, out: list[str]) -> None:
    try:
        order, offer = mp.order(a.order), mp.offer(a.offer)
    except KeyError:
        out.append(f"order {a.order!r}: unknown order or offer {a.offer!r}")
        return
    item = mp.item(order.item)
    end = a.start + timedelta(minutes=item.duration)
    tag = f"order {a.order!r}"
    if offer.item != order.item or offer.provider != a.provider:
        out.append(f"{tag}: offer {a.offer!r} is not {a.provider!r}'s offer of item {order.item!r}")
        return
    if a.provider in order.refused_providers:
        out.append(f"{tag}: served by refused provider {a.provider!r}")
    if a.start < order.window.start or end > order.window.end:
        out.append(f"{tag}: service outside the order's window")
    step = mp.settings.time_step_minutes
    if ((a.start - order.window.start).total_seconds() / 60) % step:
        out.append(f"{tag}: start off the {step}-minute grid of the window")
    if offer.windows or offer.weekly:
        ok = _inside(a.start, end, offer.windows, offer.weekly, mp)
    elif mp.provider_kind(a.provider) == "volunteer":
        v = mp.volunteer(a.provider)
        ok = (not v.availability and not v.weekly) or _inside(a.start, end, v.availability, v.weekly, mp)
    else:
        ok = True
    if not ok:
        out.append(f"{tag}: service outside offer {a.offer!r}'s times")
    base = _base(mp, offer)
    radius = offer.radius_km
    if radius is None and mp.provider_kind(a.provider) == "volunteer":
        radius = mp.volunteer(a.provider).max_distance_km
    if radius is None:
        radius = mp.settings.max_distance_km
    km = float(haversine_km(base.lat, base.lon, order.location.lat, order.location.lon))
    if radius is not None and km > radius * (1 + 1e-9):
        out.append(f"{tag}: {km:.2f} km from offer {a.offer!r}'s base, radius {radius}")
    day = end.astimezone(mp.settings.tz).date()
    if mp.provider_kind(a.provider) == "volunteer":
        why = _fit(mp.volunteer(a.provider), mp, order.item, day)
        if a.crew != (a.provider,) or why:
            out.append(f"{tag}: volunteer {a.provider!r} {why or 'must go alone'}")
        return
    members = set(mp.team_members(a.provider))
    if len(set(a.crew)) != item.headcount or not set(a.crew) <= members:
        out.append(f"{tag}: crew of team {a.provider!r} must be {item.headcount} distinct members")
        return
    for m in a.crew:
        why = _fit(mp.volunteer(m), mp, order.item, day)
        if why:
            out.append(f"{tag}: crew member {m!r} {why}")
    for r in item.requirements:
        if sum(1 for m in a.crew if mp.volunteer(m).skills.get(r.skill, 0) >= r.level) < r.count:
            out.append(f"{tag}: crew lacks {r.count} x {r.skill}>={r.level}")


def _check_provider(mp: MenuProblem, pid: str, mine: list[MenuAssignment], out: list[str]) -> None:
    st = mp.settings
    spans = []
    for a in mine:
        o = mp.order(a.order)
        spans.append((a.start, a.start + timedelta(minutes=mp.item(o.item).duration), o))
    spans.sort(key=lambda x: (x[0], x[1]))
    for (_s1, e1, o1), (s2, _e2, o2) in itertools.pairwise(spans):
        km = float(haversine_km(o1.location.lat, o1.location.lon, o2.location.lat, o2.location.lon))
        if (s2 - e1).total_seconds() / 60 < travel_minutes(km, st.travel_speed_kmh):
            out.append(f"provider {pid!r}: orders {o1.id!r} and {o2.id!r} overlap (travel included)")
    if mp.provider_kind(pid) != "volunteer":
        return
    v = mp.volunteer(pid)
    total = sum((e - s).total_seconds() / 60 for s, e, _ in spans)
    if v.max_minutes is not None and total > v.max_minutes:
        out.append(f"provider {pid!r}: {total:.0f} min over the workload limit {v.max_minutes}")
    if v.max_minutes_per_day is not None:
        per: dict[date, float] = {}
        for s, e, _ in spans:
            d = s.astimezone(st.tz).date()
            per[d] = per.get(d, 0.0) + (e - s).total_seconds() / 60
        for d, m in per.items():
            if m > v.max_minutes_per_day:
                out.append(f"provider {pid!r}: {m:.0f} min on {d} over the daily limit {v.max_minutes_per_day}")


def check_menu(mp: MenuProblem, result: MenuResult) -> list[str]:
    """Breaches of the menu's rules by ``result``, one line each (empty: all hold)."""
    out: list[str] = []
    served: dict[str, int] = {}
    per_offer: dict[str, int] = {}
    per_provider: dict[str, list[MenuAssignment]] = {}
    for a in result.assignments:
        served[a.order] = served.get(a.order, 0) + 1
        per_offer[a.offer] = per_offer.get(a.offer, 0) + 1
        per_provider.setdefault(a.provider, []).append(a)
        _check_one(mp, a, out)
    for oid, n in served.items():
        if n > 1:
            out.append(f"order {oid!r}: served {n} times")
        if oid in result.unserved:
            out.append(f"order {oid!r}: served but reported as unserved")
    for oid, n in per_offer.items():
        try:
            cap = mp.offer(oid).capacity
        except KeyError:
            continue
        if cap is not None and n > cap:
            out.append(f"offer {oid!r}: {n} orders over its capacity {cap}")
    known = {o.id for o in mp.offers}
    for pid, mine in per_provider.items():
        if all(a.offer in known for a in mine):
            _check_provider(mp, pid, mine, out)
    for o in mp.orders:
        if o.id not in served and o.id not in result.unserved:
            out.append(f"order {o.id!r}: not served and not reported as unserved")
    return out
