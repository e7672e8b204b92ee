"""The rule checks behind :func:`vmatch.verify.verify`, per assignment, task and volunteer.

Times are integer microseconds since the Unix epoch (see :mod:`vmatch._verify_time`).

Examples
--------
>>> Violation("headcount", None, "t1", "task t1 has 3 assignees, head-count 2").rule
'headcount'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from itertools import pairwise

import numpy as np

from vmatch._verify_time import US_PER_MIN, available_time, days_around, local_date, to_us
from vmatch.geo import haversine_km, travel_minutes
from vmatch.model import Task, Volunteer
from vmatch.result import Shortfall

__all__ = ["TRAVEL_RTOL", "Violation", "check_pair", "check_task", "check_volunteers"]

TRAVEL_RTOL = 1e-9
"""Relative slack on the distance behind a travel time (guards the rounding-up against ulps)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken hard rule.

    Attributes
    ----------
    rule : str
        One of :data:`vmatch.verify.RULES`.
    volunteer, task : str or None
        Ids concerned (None when the rule is about a task as a whole, or a volunteer's total).
    message : str
        One readable line naming ids only.
    """

    rule: str
    volunteer: str | None
    task: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def check_pair(v: Volunteer, t: Task, s_us: int, e_us: int, step_min: int, tz: tzinfo) -> list[Violation]:
    """Rules of one assignment ``v -> t`` occupying ``[s_us, e_us)``: start, skill, certificate, attribute."""
    out: list[Violation] = []
    ws = to_us(t.window.start)
    off = s_us - ws
    if off < 0 or off % (step_min * US_PER_MIN) or e_us > to_us(t.window.end):
        out.append(
            Violation(
                "start",
                v.id,
                t.id,
                f"start of {v.id}->{t.id} is not window start + k * {step_min} min with the occurrence "
                f"inside the window of task {t.id}",
            )
        )
    for sk, lvl in t.skills.items():
        if v.skills.get(sk, 0) < lvl:
            out.append(Violation("skill", v.id, t.id, f"volunteer {v.id} lacks skill {sk} >= {lvl} for task {t.id}"))
    if t.certificates:
        end_day = local_date(e_us, tz)
        for c in t.certificates:
            if c not in v.certificates:
                out.append(
                    Violation("certificate", v.id, t.id, f"volunteer {v.id} lacks certificate {c} for task {t.id}")
                )
                continue
            exp = v.certificates[c]
            if exp is not None and exp < end_day:
                out.append(
                    Violation(
                        "certificate",
                        v.id,
                        t.id,
                        f"certificate {c} of volunteer {v.id} expires before task {t.id} ends on {end_day}",
                    )
                )
    for key, allowed in t.attributes.items():
        if not v.attributes.get(key, frozenset()) & allowed:
            out.append(Violation("attribute", v.id, t.id, f"volunteer {v.id} holds no allowed {key} for task {t.id}"))
    return out


def check_task(
    t: Task, assignees: Sequence[tuple[Volunteer, int | None]], shortfall: Shortfall | None
) -> list[Violation]:
    """Rules of one task over its distinct assignees: shared start, head-counts, composition, unassigned."""
    out: list[Violation] = []
    n = len(assignees)
    starts = {s for _, s in assignees if s is not None}
    if len(starts) > 1:
        out.append(
            Violation("start", None, t.id, f"the assignees of task {t.id} start at {len(starts)} different times")
        )
    if n > t.headcount:
        out.append(Violation("headcount", None, t.id, f"task {t.id} has {n} assignees, head-count {t.headcount}"))
    if 0 < n < t.min_headcount:
        out.append(
            Violation("min_headcount", None, t.id, f"task {t.id} has {n} assignees, min_headcount {t.min_headcount}")
        )
    if n:
        for r in t.requirements:
            got = sum(1 for v, _ in assignees if v.skills.get(r.skill, 0) >= r.level)
            if got < r.count:
                out.append(
                    Violation(
                        "composition",
                        None,
                        t.id,
                        f"task {t.id} has {got} of {r.count} assignees with {r.skill} >= {r.level}",
                    )
                )
    missing = t.headcount - n
    if missing > 0:
        if shortfall is None:
            out.append(Violation("unassigned", None, t.id, f"task {t.id} misses {missing} places but is not reported"))
        elif shortfall.missing != missing:
            out.append(
                Violation(
                    "unassigned",
                    None,
                    t.id,
                    f"task {t.id} is reported missing {shortfall.missing} places, actually {missing}",
                )
            )
    elif shortfall is not None:
        out.append(Violation("unassigned", None, t.id, f"task {t.id} is at full head-count but reported unassigned"))
    return out


def check_volunteers(
    vols: Mapping[str, Volunteer],
    by_vol: Mapping[str, list[tuple[int, int, Task]]],
    speed_kmh: float,
    tz: tzinfo,
) -> list[Violation]:
    """Rules over each volunteer's occurrences ``(start, end, task)``: availability,
    double booking (travel included), workload over the horizon and per local start date."""
    out: list[Violation] = []
    legs: list[tuple[str, int, int, Task, Task]] = []  # volunteer, prev end, next start, prev, next
    for vid, occ in by_vol.items():
        v = vols[vid]
        occ.sort(key=lambda o: (o[0], o[1], o[2].id))
        if v.availability or v.weekly:
            days: set[date] = set()
            for s, e, _ in occ:
                days.update(days_around(s, e, tz))
            av = available_time(v, sorted(days), tz)
            for s, e, t in occ:
                if av is not None and not av.covers(s, e):
                    out.append(
                        Violation("availability", vid, t.id, f"task {t.id} lies outside the available time of {vid}")
                    )
        for (_, pe, pt), (ns, _, nt) in pairwise(occ):
            legs.append((vid, pe, ns, pt, nt))
        if v.max_minutes is not None:
            total = sum(e - s for s, e, _ in occ)
            if total > v.max_minutes * US_PER_MIN:
                out.append(
                    Violation(
                        "workload",
                        vid,
                        None,
                        f"volunteer {vid}: {total / US_PER_MIN:g} min assigned, max_minutes {v.max_minutes}",
                    )
                )
        if v.max_minutes_per_day is not None:
            per_day: dict[date, int] = {}
            for s, e, _ in occ:
                d = local_date(s, tz)
                per_day[d] = per_day.get(d, 0) + e - s
            for d, total in sorted(per_day.items()):
                if total > v.max_minutes_per_day * US_PER_MIN:
                    out.append(
                        Violation(
                            "workload_day",
                            vid,
                            None,
                            f"volunteer {vid} is assigned {total / US_PER_MIN:g} min on {d}, "
                            f"max_minutes_per_day {v.max_minutes_per_day}",
                        )
                    )
    out.extend(_double_booking(legs, speed_kmh))
    return out


def _double_booking(legs: list[tuple[str, int, int, Task, Task]], speed_kmh: float) -> list[Violation]:
    if not legs:
        return []
    a = np.array([(p.location.lat, p.location.lon, n.location.lat, n.location.lon) for _, _, _, p, n in legs])
    km = np.asarray(haversine_km(a[:, 0], a[:, 1], a[:, 2], a[:, 3]), dtype=np.float64)
    travel = np.atleast_1d(travel_minutes(km * (1.0 - TRAVEL_RTOL), speed_kmh)).tolist()
    out = []
    for (vid, pe, ns, pt, nt), tm in zip(legs, travel, strict=True):
        if ns < pe + tm * US_PER_MIN:
            why = "overlaps" if ns < pe else f"starts before the {tm} min of travel from"
            out.append(Violation("double_booking", vid, nt.id, f"for volunteer {vid}, task {nt.id} {why} task {pt.id}"))
    return out
