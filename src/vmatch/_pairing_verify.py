"""Independent checker of every hard pairing rule, on the domain model.

:func:`verify_pairing` re-checks a :class:`PairingResult` against its
:class:`PairingProblem` with plain Python on the domain objects (weekday, clock times,
haversine km); it shares no code with the pairing compiler. Rule names of a
:class:`~vmatch.verify.Violation` (its ``task`` field holds the beneficiary id):
``unknown_id``, ``duplicate``, ``slot``, ``availability``, ``skill``, ``certificate``,
``attribute``, ``distance``, ``workload``, ``workload_day``, ``capacity``,
``double_booking``, ``forbidden``, ``dissolved``, ``unpaired``, ``existing``.

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> from vmatch.result import Status
>>> from vmatch._pairing_model import Beneficiary, PairingProblem
>>> from vmatch._pairing_result import Pair, PairingResult
>>> b = Beneficiary("b1", Location(30.0, 114.0), (WeeklyRule((2,), time(16), time(18)),), 60, {"tutoring": 1})
>>> p = PairingProblem((Volunteer("v1", Location(30.0, 114.0)),), (b,), today=date(2026, 12, 7))
>>> r = PairingResult(Status.FEASIBLE, pairs=(Pair("v1", "b1", 2, time(16, 10), time(17, 10)),),
...                   new=(("v1", "b1"),))
>>> [(x.rule, x.volunteer, x.task) for x in verify_pairing(p, r)]
[('slot', 'v1', 'b1'), ('skill', 'v1', 'b1')]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import time

from vmatch._pairing_model import Beneficiary, PairingProblem
from vmatch._pairing_result import Pair, PairingResult
from vmatch._verify_rules import Violation
from vmatch.geo import haversine_km
from vmatch.model import Volunteer, WeeklyRule

__all__ = ["verify_pairing"]

_DAY, _WEEK = 1440, 10080
DISTANCE_RTOL = 1e-9
TRAVEL_RTOL = 1e-9
"""Relative slack on the km behind a travel time (guards the rounding-up against ulps)."""


def _minute(t: time, end: bool = False) -> int:
    return _DAY if end and t == time(0) else t.hour * 60 + t.minute


def _spans(rules: Iterable[WeeklyRule]) -> list[tuple[int, int]]:
    """Merged week-minute spans of weekly rules (touching spans join)."""
    raw = sorted(
        ((d - 1) * _DAY + _minute(r.start), (d - 1) * _DAY + _minute(r.end, True)) for r in rules for d in r.days
    )
    out: list[list[int]] = []
    for s, e in raw:
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _km(a: Volunteer | Beneficiary, b: Beneficiary) -> float:
    return float(haversine_km(a.location.lat, a.location.lon, b.location.lat, b.location.lon))


def _slot_problems(pr: Pair, b: Beneficiary, step: int) -> str:
    if pr.weekday not in range(1, 8) or not isinstance(pr.start, time) or not isinstance(pr.end, time):
        return "has no valid weekday and clock times"
    if pr.start.second or pr.start.microsecond or pr.end.second or pr.end.microsecond:
        return "has times that are not whole minutes"
    s, e = _minute(pr.start), _minute(pr.end, True)
    if e - s != b.minutes_per_week:
        return f"lasts {e - s} min, not the {b.minutes_per_week} min needed"
    day0 = (pr.weekday - 1) * _DAY
    for ws, we in _spans(b.weekly):
        ws, we = max(ws, day0), min(we, day0 + _DAY)  # a visit window ends at midnight
        if ws <= day0 + s and day0 + e <= we:
            if (day0 + s - ws) % step:
                return f"does not start on the {step}-minute step from its window start"
            return ""
    return "is not inside the beneficiary's weekly time"


def _available(v: Volunteer, s: int, e: int) -> bool:
    if not v.weekly:
        return not v.availability
    return any(a <= s and e <= b for a, b in _spans(v.weekly))


def _pair_rules(p: PairingProblem, v: Volunteer, b: Beneficiary) -> list[tuple[str, str]]:
    bad = []
    for sk, lvl in b.needs.items():
        if v.skills.get(sk, 0) < lvl:
            bad.append(("skill", f"volunteer {v.id} lacks {sk} level {lvl} for {b.id}"))
    last = p.horizon_end
    for c in b.certificates:
        if c not in v.certificates or (v.certificates[c] is not None and v.certificates[c] < last):  # type: ignore[operator]
            bad.append(("certificate", f"volunteer {v.id} has no {c} certificate valid until {last}"))
    for k, allowed in b.wishes.items():
        if not v.attributes.get(k, frozenset()) & allowed:
            bad.append(("attribute", f"volunteer {v.id} does not meet the wish {k} of {b.id}"))
    limit = v.max_distance_km if v.max_distance_km is not None else p.settings.max_distance_km
    if limit is not None and _km(v, b) > limit * (1.0 + DISTANCE_RTOL):
        bad.append(("distance", f"{b.id} lives beyond the {limit:g} km limit of volunteer {v.id}"))
    return bad


def _volunteer_rules(p: PairingProblem, v: Volunteer, visits: list[tuple[int, int, Beneficiary]]) -> list[Violation]:
    out = []
    if len(visits) > p.capacity(v.id):
        out.append(
            Violation(
                "capacity",
                v.id,
                None,
                f"volunteer {v.id} has {len(visits)} beneficiaries, more than {p.capacity(v.id)}",
            )
        )
    total = sum(e - s for s, e, _ in visits)
    if v.max_minutes is not None and total > v.max_minutes:
        out.append(
            Violation("workload", v.id, None, f"volunteer {v.id} visits {total} min a week, over {v.max_minutes}")
        )
    if v.max_minutes_per_day is not None:
        for d in range(7):
            day = sum(e - s for s, e, _ in visits if s // _DAY == d)
            if day > v.max_minutes_per_day:
                out.append(
                    Violation(
                        "workload_day",
                        v.id,
                        None,
                        f"volunteer {v.id} visits {day} min on weekday {d + 1}, over {v.max_minutes_per_day}",
                    )
                )
    speed = p.settings.travel_speed_kmh
    for i, (s1, e1, b1) in enumerate(visits):
        for s2, e2, b2 in visits[i + 1 :]:
            t = math.ceil(_km(b1, b2) * (1.0 - TRAVEL_RTOL) * 60.0 / speed)
            if (s1 < e2 and s2 < e1) or (s2 - e1) % _WEEK < t or (s1 - e2) % _WEEK < t:
                out.append(
                    Violation(
                        "double_booking",
                        v.id,
                        b2.id,
                        f"visits of volunteer {v.id} to {b1.id} "
                        f"and {b2.id} overlap or leave less than {t} min to travel",
                    )
                )
    return out


def verify_pairing(problem: PairingProblem, result: PairingResult) -> list[Violation]:
    """Every hard rule the result breaks (an empty list when it keeps them all).

    Checked whenever the result carries pairs or has a solution status.
    """
    if not result.status.has_solution and not result.pairs:
        return []
    p = problem
    vols = {v.id: v for v in p.volunteers}
    bens = {b.id: b for b in p.beneficiaries}
    out: list[Violation] = []
    seen_b: set[str] = set()
    visits: dict[str, list[tuple[int, int, Beneficiary]]] = {}
    for pr in result.pairs:
        v, b = vols.get(pr.volunteer), bens.get(pr.beneficiary)
        if v is None or b is None:
            out.append(Violation("unknown_id", pr.volunteer, pr.beneficiary, "pair names an unknown id"))
            continue
        if b.id in seen_b:
            out.append(Violation("duplicate", v.id, b.id, f"beneficiary {b.id} is paired more than once"))
            continue
        seen_b.add(b.id)
        why = _slot_problems(pr, b, p.settings.time_step_minutes)
        if why:
            out.append(Violation("slot", v.id, b.id, f"visit of {v.id} to {b.id} {why}"))
        if not why or why.startswith(("does not start", "is not inside")):
            s = (pr.weekday - 1) * _DAY + _minute(pr.start)
            e = s + b.minutes_per_week
            if not _available(v, s, e):
                out.append(
                    Violation("availability", v.id, b.id, f"volunteer {v.id} is not free for the visit to {b.id}")
                )
            visits.setdefault(v.id, []).append((s, e, b))
        out.extend(Violation(rule, v.id, b.id, msg) for rule, msg in _pair_rules(p, v, b))
    for vid, vs in visits.items():
        out.extend(_volunteer_rules(p, vols[vid], vs))
    formed = {(x.volunteer, x.beneficiary) for x in result.pairs}
    for kind in ("forbidden", "dissolved"):
        for vid, bid in getattr(p, kind):
            if (vid, bid) in formed:
                out.append(Violation(kind, vid, bid, f"{kind} pair {vid}->{bid} is formed"))
    for bid in result.unpaired:
        if bid not in bens or bid in seen_b:
            out.append(Violation("unpaired", None, bid, f"unpaired report names {bid}, unknown or paired"))
    existing = set(p.existing)
    if (
        set(result.kept) != formed & existing
        or set(result.new) != formed - existing
        or {(d.volunteer, d.beneficiary) for d in result.dropped} != existing - formed
    ):
        out.append(Violation("existing", None, None, "kept/new/dropped do not match the pairs formed"))
    return out
