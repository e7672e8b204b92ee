"""The answer of :func:`vmatch.pairing.pair`: pairs with their weekly slot, and decoding to it.

Examples
--------
>>> from datetime import time
>>> p = Pair("v1", "b1", 2, time(16, 30), time(17, 30))
>>> p.minutes, p.week_minute
(60, 2430)
>>> r = PairingResult(Status.OPTIMAL, pairs=(p,), levels=(LevelResult("paired", "max", 120.0, 120.0),))
>>> r.objective, r.gap, r.by_volunteer()
(120.0, 0.0, {'v1': ['b1']})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType
from typing import Any

from vmatch._pairing_compile import PairingCompiled
from vmatch._pairing_elig import PAIR_RULES
from vmatch._pairing_week import DAY
from vmatch.arcs import ArcSolution, SolveStatus
from vmatch.result import FirstLevel, LevelResult, Status

__all__ = ["DroppedPair", "Pair", "PairingResult", "Unpaired", "decode_pairing"]


@dataclass(frozen=True, slots=True, order=True)
class Pair:
    """A volunteer paired with a beneficiary, visiting every week on ``weekday`` (ISO, 1 = Monday)
    from ``start`` to ``end`` (local times; an ``end`` of ``time(0)`` is midnight)."""

    volunteer: str
    beneficiary: str
    weekday: int
    start: time
    end: time

    @property
    def week_minute(self) -> int:
        """Start as minutes from Monday 00:00."""
        return (self.weekday - 1) * DAY + self.start.hour * 60 + self.start.minute

    @property
    def minutes(self) -> int:
        """Visit length."""
        e = DAY if self.end == time(0) else self.end.hour * 60 + self.end.minute
        return e - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True, slots=True)
class Unpaired:
    """A beneficiary left without a volunteer: per hard rule, how many volunteers it excluded
    (``distance``: out of reach; the others among those within reach), plus ``busy``:
    volunteers passing every rule who were paired elsewhere or at their limits."""

    beneficiary: str
    reasons: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))


@dataclass(frozen=True, slots=True, order=True)
class DroppedPair:
    """An existing pair not kept: ``reason`` is the first hard rule it breaks now, or
    ``"displaced"`` when it still keeps every rule but the optimum left it out."""

    volunteer: str
    beneficiary: str
    reason: str


@dataclass(frozen=True, slots=True)
class PairingResult(FirstLevel):
    """Outcome of a pairing.

    Attributes
    ----------
    status : Status
    pairs : tuple of Pair
        Sorted by volunteer, then beneficiary.
    unpaired : mapping of beneficiary id to Unpaired
    kept, new : tuple of (volunteer id, beneficiary id)
        Existing pairs kept, and pairs formed now.
    dropped : tuple of DroppedPair
        Existing pairs not kept, with the reason.
    levels : tuple of LevelResult
        Value and bound per objective level: ``paired``, ``kept``, ``fit``.
    stats : mapping
        ``wall_seconds``, ``build_seconds``, ``engine``, ``arcs``, ...
    """

    status: Status
    pairs: tuple[Pair, ...] = ()
    unpaired: Mapping[str, Unpaired] = field(default_factory=dict)
    kept: tuple[tuple[str, str], ...] = ()
    new: tuple[tuple[str, str], ...] = ()
    dropped: tuple[DroppedPair, ...] = ()
    levels: tuple[LevelResult, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pairs", tuple(sorted(self.pairs)))
        object.__setattr__(self, "unpaired", MappingProxyType(dict(self.unpaired)))
        object.__setattr__(self, "kept", tuple(sorted(self.kept)))
        object.__setattr__(self, "new", tuple(sorted(self.new)))
        object.__setattr__(self, "dropped", tuple(sorted(self.dropped)))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    def by_volunteer(self) -> dict[str, list[str]]:
        """Volunteer id to the ids of their beneficiaries."""
        out: dict[str, list[str]] = {}
        for p in self.pairs:
            out.setdefault(p.volunteer, []).append(p.beneficiary)
        return out


_STATUS = {
    SolveStatus.OPTIMAL: Status.OPTIMAL,
    SolveStatus.FEASIBLE: Status.FEASIBLE,
    SolveStatus.INFEASIBLE: Status.INFEASIBLE,
    SolveStatus.UNKNOWN: Status.UNKNOWN,
}


def _clock(m: int) -> time:
    return time(0) if m == DAY else time(m // 60, m % 60)


def decode_pairing(
    pc: PairingCompiled, sol: ArcSolution, schedule: Mapping[int, int], stats: Mapping[str, Any] | None = None
) -> PairingResult:
    """Turn an arc solution and the visit start of each chosen arc into a :class:`PairingResult`."""
    p = pc.problem
    ap = pc.arcs
    ok = sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    pairs = []
    for a in sol.arcs.tolist() if ok else ():
        s = schedule[a]
        v, b = p.volunteers[int(ap.arc_agent[a])], p.beneficiaries[int(ap.arc_job[a])]
        day, m = divmod(s, DAY)
        pairs.append(Pair(v.id, b.id, day + 1, _clock(m), _clock(m + b.minutes_per_week)))
    formed = {(x.volunteer, x.beneficiary) for x in pairs}
    paired = {x.beneficiary for x in pairs}
    unpaired = {}
    el = pc.elig
    if ok:
        for i, b in enumerate(p.beneficiaries):
            if b.id not in paired:
                reasons = {r: int(el.reasons[r][i]) for r in PAIR_RULES if el.reasons[r][i]}
                if el.eligible[i]:
                    reasons["busy"] = int(el.eligible[i])
                unpaired[b.id] = Unpaired(b.id, reasons)
    existing = set(p.existing)
    dropped = []
    for vid, bid in p.existing if ok else ():
        if (vid, bid) not in formed:
            why = el.pair_fail.get((p.volunteer_index(vid), p.beneficiary_index(bid)), "")
            dropped.append(DroppedPair(vid, bid, why or "displaced"))
    levels = tuple(
        LevelResult(lv.name, lv.sense, v_, b_)
        for lv, v_, b_ in zip(pc.arcs.levels, sol.values, sol.bounds, strict=True)
    )
    st: dict[str, Any] = {
        "wall_seconds": sol.wall_seconds + pc.build_seconds,
        "build_seconds": pc.build_seconds,
        "solve_seconds": sol.wall_seconds,
        "arcs": ap.n_arcs,
        "solver": sol.solver,
    }
    st.update(pc.stats)
    st.update(sol.stats)
    st.update(stats or {})
    return PairingResult(
        _STATUS[sol.status],
        tuple(pairs),
        unpaired,
        tuple(sorted(formed & existing)),
        tuple(sorted(formed - existing)),
        tuple(dropped),
        levels,
        st,
    )
