"""The answer of :func:`vmatch.menu.menu_solve`: who serves which order, and why others are unserved.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.result import Status
>>> t = datetime(2026, 12, 5, 9, tzinfo=timezone.utc)
>>> r = MenuResult(Status.OPTIMAL, "welfare", (MenuAssignment("r1", "v1", "o1", t, ("v1",)),),
...                {"r2": {"other_item": 3}})
>>> r.by_order()["r1"].provider, menu_result_to_dict(r)["unserved"]
('v1', {'r2': {'other_item': 3}})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from vmatch.model import Problem
from vmatch.result import FirstLevel, LevelResult, Result, Status

__all__ = [
    "MENU_SOLUTION_FORMAT",
    "REASON_NAMES",
    "MenuAssignment",
    "MenuResult",
    "menu_reasons",
    "menu_result_to_dict",
]

MENU_SOLUTION_FORMAT = "vmatch-menu-solution/1"

#: Dispatch shortfall reasons (rules excluding offer-volunteers) in menu words.
REASON_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "attribute": "other_item",  # the offer is for another item
        "forbidden": "refused",  # the requester refused the provider
        "availability": "offer_time",  # no start inside both the order's and the offer's times
        "distance": "radius",  # outside the offer's service radius
        "workload": "capacity",  # the offer takes no order of this length (capacity or workload)
        "skill": "skill",
        "certificate": "certificate",
        "busy": "busy",  # eligible offers serving other orders or full
    }
)


def menu_reasons(reasons: Mapping[str, int]) -> dict[str, int]:
    """Dispatch shortfall reasons renamed for the menu (see :data:`REASON_NAMES`)."""
    return {REASON_NAMES.get(k, k): v for k, v in reasons.items()}


@dataclass(frozen=True, slots=True, order=True)
class MenuAssignment:
    """Order ``order`` served by ``provider`` through ``offer`` from ``start``; ``crew`` are the people sent."""

    order: str
    provider: str
    offer: str
    start: datetime
    crew: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MenuResult(FirstLevel):
    """The outcome of a menu round.

    Attributes
    ----------
    status : Status
        As for a dispatch :class:`~vmatch.result.Result` (a stable matching is FEASIBLE, or
        OPTIMAL when it is proven the largest weakly stable one).
    mode : str
        ``"welfare"`` or ``"stable"``.
    assignments : tuple of MenuAssignment
        Sorted by order id.
    unserved : mapping order id -> mapping reason -> count
        Every order not served, with per rule how many offers it excluded (:data:`REASON_NAMES`).
    levels : tuple of LevelResult
        Objective per level (coverage, preference, reliability, travel); bounds are NaN for a
        stable matching.
    breakdown, stats : mapping
        Terms as in the dispatch result; statistics (``wall_seconds``, ``mode``, ...).
    dispatch : Result or None
        The result on the compiled problem (``compiled``): :func:`vmatch.verify` checks it.
    compiled : Problem or None
        The compiled dispatch problem (:func:`vmatch.menu.menu_to_problem`).
    """

    status: Status
    mode: str
    assignments: tuple[MenuAssignment, ...] = ()
    unserved: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    levels: tuple[LevelResult, ...] = ()
    breakdown: Mapping[str, float] = field(default_factory=dict)
    stats: Mapping[str, Any] = field(default_factory=dict)
    dispatch: Result | None = field(default=None, repr=False, compare=False)
    compiled: Problem | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignments", tuple(sorted(self.assignments)))
        object.__setattr__(
            self, "unserved", MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.unserved.items()})
        )
        object.__setattr__(self, "breakdown", MappingProxyType(dict(self.breakdown)))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    def by_order(self) -> dict[str, MenuAssignment]:
        """Order id to its assignment."""
        return {a.order: a for a in self.assignments}

    def by_provider(self) -> dict[str, list[str]]:
        """Provider to the ids of the orders it serves."""
        out: dict[str, list[str]] = {}
        for a in self.assignments:
            out.setdefault(a.provider, []).append(a.order)
        return out

    def summary(self) -> str:
        """A few lines for people: status, orders served, each objective level, why orders are
        unserved, time.

        The first level's line gives its bound and gap when there is one (welfare mode). An
        unserved order "waits for a busy offer" when some offer could serve it but is serving
        others or full, else "has no offer" that passes every rule; orders cancelled in a re-plan
        (:func:`vmatch.menu.menu_replan`) are counted on their own.
        """
        n_off = sum(1 for r in self.unserved.values() if r.get("cancelled", 0) > 0)
        n_busy = sum(1 for r in self.unserved.values() if r.get("busy", 0) > 0)  # (a cancelled order has no busy)
        n_none = len(self.unserved) - n_busy - n_off
        cancelled = f", {n_off} cancelled" if n_off else ""
        lines = [
            f"status      {self.status.value} ({self.mode})",
            f"orders      {len(self.assignments)} served of {len(self.assignments) + len(self.unserved)}; "
            f"unserved: {n_busy} wait for a busy offer, {n_none} have no offer{cancelled}",
        ]
        for k, lv in enumerate(self.levels):
            text = f"{lv.name:<11} {lv.value:.6g}"
            if k == 0 and math.isfinite(lv.bound):
                text += f" (bound {lv.bound:.6g}, gap {100 * lv.gap:.2f} %)"
            lines.append(text)
        wall = self.stats.get("wall_seconds")
        if wall is not None:
            lines.append(f"time        {float(wall):.2f} s")
        return "\n".join(lines)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float):
        return _num(x)
    if isinstance(x, (str, int, bool)) or x is None:
        return x
    return str(x)


def menu_result_to_dict(result: MenuResult) -> dict[str, Any]:
    """The ``vmatch-menu-solution/1`` document of a menu result (ids only; NaN as null)."""

    def fmt(t: datetime) -> str:
        return t.isoformat(timespec="minutes") if t.second == 0 and t.microsecond == 0 else t.isoformat()

    return {
        "format": MENU_SOLUTION_FORMAT,
        "mode": result.mode,
        "status": result.status.value,
        "objective": {
            lv.name: {"sense": lv.sense, "value": _num(lv.value), "bound": _num(lv.bound)} for lv in result.levels
        },
        "assignments": [
            {"order": a.order, "provider": a.provider, "offer": a.offer, "start": fmt(a.start), "crew": list(a.crew)}
            for a in result.assignments
        ],
        "unserved": {k: dict(v) for k, v in result.unserved.items()},
        "breakdown": {k: _num(v) for k, v in result.breakdown.items()},
        "stats": _plain(result.stats),
    }
