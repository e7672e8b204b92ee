"""The typed answer of :func:`vmatch.solve`: status, objective, assignments, shortfalls.

Examples
--------
>>> r = Result(Status.OPTIMAL, objective=3.0, bound=3.0)
>>> r.gap
0.0
>>> r.status.has_solution
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

__all__ = ["Assignment", "FirstLevel", "LevelResult", "Result", "Shortfall", "Status"]


class Status(Enum):
    """How good the answer is.

    OPTIMAL: proven optimal for every objective level. FEASIBLE: every hard rule holds,
    optimality not proven (see ``gap``). INFEASIBLE: the hard requests cannot all hold.
    UNKNOWN: no solution was found in the time limit.
    """

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"

    @property
    def has_solution(self) -> bool:
        """True when the Result carries a plan that satisfies every hard rule."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """One volunteer on one task, starting at ``start`` (shared by the task's assignees)."""

    volunteer: str
    task: str
    start: datetime


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A task short of its head-count.

    ``missing`` places are unfilled; ``reasons`` counts, per hard rule, how many
    volunteers that rule excluded (a volunteer can fail several rules), plus ``busy``:
    eligible volunteers who were used elsewhere or at their limits.
    """

    task: str
    missing: int
    reasons: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))


@dataclass(frozen=True, slots=True)
class LevelResult:
    """The value and bound reached on one objective level (in the level's own units)."""

    name: str
    sense: str
    value: float
    bound: float

    @property
    def gap(self) -> float:
        """Relative gap ``|bound - value| / max(|bound|, 1e-9)``; 0 when proven."""
        return _gap(self.value, self.bound)


class FirstLevel:
    """``objective``, ``bound`` and ``gap`` read from the first of a result's ``levels``.

    For results (pairing, menu) that keep their values only per level.
    """

    __slots__ = ()
    levels: tuple[LevelResult, ...]

    @property
    def objective(self) -> float:
        """Value of the first level (NaN when there is none)."""
        return self.levels[0].value if self.levels else math.nan

    @property
    def bound(self) -> float:
        """Bound of the first level (NaN when there is none)."""
        return self.levels[0].bound if self.levels else math.nan

    @property
    def gap(self) -> float:
        """Relative gap of the first level (0.0 when proven, inf when unknown)."""
        return self.levels[0].gap if self.levels else math.inf


def _gap(value: float, bound: float) -> float:
    if math.isnan(value) or math.isnan(bound):
        return math.inf
    d = abs(bound - value)
    if d <= 1e-9 * max(1.0, abs(bound)):
        return 0.0
    return d / max(abs(bound), 1e-9)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of a solve.

    Attributes
    ----------
    status : Status
    objective, bound : float
        Value and bound of the first objective level (coverage by default).
    assignments : tuple of Assignment
        Sorted by volunteer then task.
    unassigned : mapping of task id to Shortfall
        Every task short of its head-count.
    breakdown : mapping of str to float
        Objective terms: ``coverage``, ``places_filled``, ``places_asked``, ``travel_km``...
    levels : tuple of LevelResult
        Value and bound per lexicographic level.
    stats : mapping
        ``wall_seconds``, ``build_seconds``, ``arcs``, ``components``, ``solver``...
    terms_by_task, terms_by_volunteer : mapping of term to mapping of id to float
        Each objective term's value per task and per volunteer (ids with a non-zero value).
    """

    status: Status
    objective: float = float("nan")
    bound: float = float("nan")
    assignments: tuple[Assignment, ...] = ()
    unassigned: Mapping[str, Shortfall] = field(default_factory=dict)
    breakdown: Mapping[str, float] = field(default_factory=dict)
    levels: tuple[LevelResult, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)
    terms_by_task: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    terms_by_volunteer: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignments", tuple(sorted(self.assignments)))
        object.__setattr__(self, "unassigned", MappingProxyType(dict(self.unassigned)))
        object.__setattr__(self, "breakdown", MappingProxyType(dict(self.breakdown)))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    @property
    def gap(self) -> float:
        """Relative gap between ``objective`` and ``bound`` (0.0 when proven, inf when unknown)."""
        return _gap(self.objective, self.bound)

    def by_task(self) -> dict[str, list[str]]:
        """Task id to the ids of its assignees."""
        out: dict[str, list[str]] = {}
        for a in self.assignments:
            out.setdefault(a.task, []).append(a.volunteer)
        return out

    def by_volunteer(self) -> dict[str, list[str]]:
        """Volunteer id to the ids of their tasks."""
        out: dict[str, list[str]] = {}
        for a in self.assignments:
            out.setdefault(a.volunteer, []).append(a.task)
        return out

    def summary(self) -> str:
        """A few lines for people: status, coverage, places, travel, gap, time."""
        b = self.breakdown
        lines = [
            f"status      {self.status.value}",
            f"coverage    {b.get('coverage', float('nan')):.0f} (bound {self.bound:.0f}, gap {100 * self.gap:.2f} %)",
            f"places      {b.get('places_filled', 0):.0f} filled of {b.get('places_asked', 0):.0f} asked; "
            f"{b.get('tasks_served', 0):.0f} of {b.get('tasks', 0):.0f} tasks served",
            f"travel      {b.get('travel_km', 0.0):.1f} km home-to-task",
            f"load        max {b.get('load_max_share', 0.0) / 10:.1f} % of own limit, "
            f"mean {b.get('load_mean_minutes', 0.0):.0f} min, Gini {b.get('load_gini', 0.0):.2f}",
            f"time        {self.stats.get('wall_seconds', float('nan')):.2f} s "
            f"(build {self.stats.get('build_seconds', float('nan')):.2f} s, "
            f"{self.stats.get('arcs', 0)} arcs, {self.stats.get('components', 0)} components)",
        ]
        return "\n".join(lines)
