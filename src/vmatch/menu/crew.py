"""Crews of team offers: which members a team sends, and until which date it can.

A team offer of an item with head-count ``h`` is served by ``h`` distinct members who each hold
the item's skills and valid certificates, and who together meet its composition requirements.
Certificates expire, so whether such a crew exists depends on the date; it can only get worse
as dates pass, so there is one last date (or none: always).

Examples
--------
>>> from vmatch.model import Location, Requirement, Volunteer
>>> from vmatch.menu.model import ServiceItem
>>> item = ServiceItem("repair", "Home repair", "home-repair", 90, headcount=2,
...                    skills={"repair": 1}, requirements=(Requirement("first_aid", 1, 1),))
>>> ms = [Volunteer("a", Location(0, 0), skills={"repair": 2}),
...       Volunteer("b", Location(0, 0), skills={"repair": 1, "first_aid": 1}),
...       Volunteer("c", Location(0, 0), skills={"repair": 3})]
>>> choose_crew(ms, item, None)
('a', 'b')
>>> crew_last_date(ms, item)
(True, None)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from vmatch.menu.model import ServiceItem
from vmatch.model import Volunteer

__all__ = ["choose_crew", "crew_last_date", "folded_skills"]

_BRUTE_LIMIT = 20_000


def folded_skills(item: ServiceItem) -> dict[str, int]:
    """Per-person skills of an item; for a one-person item the requirements fold in (count is 1)."""
    out = dict(item.skills)
    if item.headcount == 1:
        for r in item.requirements:
            out[r.skill] = max(out.get(r.skill, 0), r.level)
    return out


def _qualifies(v: Volunteer, skills: Mapping[str, int], certs: Sequence[str], day: date | None) -> bool:
    if any(v.skills.get(s, 0) < lvl for s, lvl in skills.items()):
        return False
    for c in certs:
        if c not in v.certificates:
            return False
        exp = v.certificates[c]
        if day is not None and exp is not None and exp < day:
            return False
    return True


def _meets(crew: Sequence[Volunteer], item: ServiceItem) -> bool:
    return all(sum(1 for v in crew if v.skills.get(r.skill, 0) >= r.level) >= r.count for r in item.requirements)


def choose_crew(members: Sequence[Volunteer], item: ServiceItem, day: date | None) -> tuple[str, ...] | None:
    """Ids of ``item.headcount`` members fit to serve on local date ``day`` (None: any date), or None.

    Members keep their order; the first crew found in that order is returned. Exact search when
    the number of candidate crews is small, else a greedy choice (which may miss a crew that
    exists, never returns one that does not hold).
    """
    h = item.headcount
    q = [v for v in members if _qualifies(v, folded_skills(item), item.certificates, day)]
    if len(q) < h:
        return None
    if not item.requirements:
        return tuple(v.id for v in q[:h])
    if math.comb(len(q), h) <= _BRUTE_LIMIT:
        for crew in itertools.combinations(q, h):
            if _meets(crew, item):
                return tuple(v.id for v in crew)
        return None
    need = {k: r.count for k, r in enumerate(item.requirements)}
    chosen: list[Volunteer] = []
    left = list(q)
    while len(chosen) < h and left:

        def gain(v: Volunteer) -> int:
            return sum(
                1 for k, r in enumerate(item.requirements) if need[k] > 0 and v.skills.get(r.skill, 0) >= r.level
            )

        best = max(left, key=gain)
        left.remove(best)
        chosen.append(best)
        for k, r in enumerate(item.requirements):
            if best.skills.get(r.skill, 0) >= r.level:
                need[k] -= 1
    return tuple(v.id for v in chosen) if len(chosen) == h and _meets(chosen, item) else None


def crew_last_date(members: Sequence[Volunteer], item: ServiceItem) -> tuple[bool, date | None]:
    """Whether the team can ever send a crew for ``item``, and the last local date it can (None: always)."""
    if choose_crew(members, item, None) is None:
        return False, None
    exps = sorted(
        {
            v.certificates[c]
            for v in members
            for c in item.certificates
            if c in v.certificates and v.certificates[c] is not None
        }
    )  # type: ignore[type-var]
    for e in exps:
        if e is not None and choose_crew(members, item, e + timedelta(days=1)) is None:
            return True, e
    return True, None
