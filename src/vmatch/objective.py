"""Objective terms and how the caller orders or weighs them.

Terms (each with its unit and sense):

==============  =====  ===========================================================================
term            sense  unit
==============  =====  ===========================================================================
coverage        max    priority-weighted filled places: the sum over assignments of task priority
travel          min    km, home to task, summed over assignments
preference      max    preference points: the sum of ``Problem.preferences`` of assigned pairs
fairness        min    per-mille: the largest volunteer's assigned minutes as a share of their own
                       ``max_minutes`` (volunteers without ``max_minutes`` are left out)
equity          max    minute-points: assigned minutes x an hours weight from 10 (fewest
                       ``hours_served``) down to 1 (most), so work goes first to people with fewer
                       hours; in an order, ``fairness`` is followed by ``equity`` automatically
continuity      max    assignments that keep a ``Problem.previous`` volunteer-requester pair
reliability     max    stars: the sum of assigned volunteers' ``rating`` (3.0 when unrated)
keep            max    assignments of an earlier plan that stay (``Objective.keep`` pairs); re-planning
                       puts it right after coverage so that a new plan changes as little as possible
==============  =====  ===========================================================================

Lexicographic (the default): ``Objective(order=("coverage", "fairness", "travel"))`` solves each
level in turn; a later level never costs an earlier one anything. Weighted:
``Objective(weights={"coverage": 1000, "travel": 1})`` solves one sum, each term in its unit,
minimised terms counted negatively.

Examples
--------
>>> Objective.parse("coverage,travel").order
('coverage', 'travel')
>>> Objective.parse(weights="coverage=1000,travel=1").weights["coverage"]
1000.0
>>> Objective().levels()
(('coverage',), ('fairness',), ('equity',), ('travel',))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch.arcs import Level
from vmatch.errors import ModelError

__all__ = ["TERMS", "Objective", "build_levels", "term_coefficients"]

#: term -> (sense, unit)
TERMS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "coverage": ("max", "priority-weighted places"),
        "travel": ("min", "km"),
        "preference": ("max", "preference points"),
        "fairness": ("min", "per-mille of own max_minutes (largest)"),
        "equity": ("max", "minutes x hours weight"),
        "continuity": ("max", "kept pairs"),
        "reliability": ("max", "stars"),
        "keep": ("max", "kept assignments"),
    }
)

_SCALE = {
    "coverage": 1.0,
    "travel": 1000.0,
    "preference": 100.0,
    "fairness": 1.0,
    "equity": 1.0,
    "continuity": 1.0,
    "reliability": 100.0,
    "keep": 1.0,
}


@dataclass(frozen=True, slots=True)
class Objective:
    """Which terms count, in which order (lexicographic) or with which weights.

    Parameters
    ----------
    order : tuple of str
        Terms, most important first. ``fairness`` brings ``equity`` right after it.
    weights : mapping of str to float, optional
        When given, one weighted sum of these terms replaces the order.
    keep : frozenset of (volunteer id, task id)
        The earlier plan's assignments, for the ``keep`` term.
    """

    order: tuple[str, ...] = ("coverage", "fairness", "travel")
    weights: Mapping[str, float] | None = field(default=None)
    keep: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        object.__setattr__(self, "keep", frozenset(self.keep))
        for t in self.order:
            if t not in TERMS:
                raise ModelError(f"objective: field 'order' names unknown term {t!r}; terms: {', '.join(TERMS)}")
        if len(set(self.order)) != len(self.order):
            raise ModelError("objective: field 'order' repeats a term")
        if self.weights is not None:
            w = {}
            for t, x in self.weights.items():
                if t not in TERMS:
                    raise ModelError(f"objective: field 'weights' names unknown term {t!r}")
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                    raise ModelError(f"objective: field 'weights.{t}' must be a finite number")
                w[t] = float(x)
            object.__setattr__(self, "weights", MappingProxyType(w))

    @staticmethod
    def parse(order: str | None = None, weights: str | None = None) -> Objective:
        """From command-line text: ``"coverage,fairness,travel"`` or ``"coverage=1000,travel=1"``."""
        if weights:
            w: dict[str, float] = {}
            for part in weights.split(","):
                name, _, val = part.partition("=")
                try:
                    w[name.strip()] = float(val)
                except ValueError as e:
                    raise ModelError(f"objective: field 'weights' has a bad entry {part!r}") from e
            return Objective(weights=w)
        if order:
            return Objective(order=tuple(s.strip() for s in order.split(",") if s.strip()))
        return Objective()

    def levels(self) -> tuple[tuple[str, ...], ...]:
        """The levels to solve, each a tuple of terms (one tuple when weighted)."""
        if self.weights is not None:
            return (tuple(self.weights),)
        out: list[tuple[str, ...]] = []
        for t in self.order:
            out.append((t,))
            if t == "fairness" and "equity" not in self.order:
                out.append(("equity",))
        return tuple(out)


def _pair_lookup(keys: npt.NDArray[np.int64], table: dict[int, float]) -> npt.NDArray[np.float64]:
    if not table:
        return np.zeros(len(keys))
    k = np.fromiter(table.keys(), np.int64, len(table))
    v = np.fromiter(table.values(), np.float64, len(table))
    o = np.argsort(k)
    k, v = k[o], v[o]
    i = np.clip(np.searchsorted(k, keys), 0, len(k) - 1)
    return np.where(k[i] == keys, v[i], 0.0)


def term_coefficients(
    problem: Any,
    arc_v: npt.NDArray[np.int64],
    arc_t: npt.NDArray[np.int64],
    arc_km: npt.NDArray[np.float64],
    arc_load: npt.NDArray[np.int64],
    names: tuple[str, ...],
    keep: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, npt.NDArray[np.float64]]:
    """Per-arc coefficient of each linear term in ``names`` (fairness has none: see :func:`build_levels`)."""
    p = problem
    nt = len(p.tasks)
    out: dict[str, npt.NDArray[np.float64]] = {}
    for name in names:
        if name == "coverage":
            prio = np.fromiter((t.priority for t in p.tasks), np.float64, nt)
            out[name] = prio[arc_t]
        elif name == "travel":
            out[name] = np.asarray(arc_km, np.float64)
        elif name == "preference":
            table = {p.volunteer_index(a) * nt + p.task_index(b): s for (a, b), s in p.preferences.items()}
            out[name] = _pair_lookup(arc_v * nt + arc_t, table)
        elif name == "continuity":
            req = {r: i for i, r in enumerate(sorted({t.requester for t in p.tasks if t.requester}))}
            t_req = np.fromiter((req.get(t.requester, -1) if t.requester else -1 for t in p.tasks), np.int64, nt)
            nr = len(req) + 1
            table = {p.volunteer_index(a) * nr + req[r]: 1.0 for a, r in p.previous if r in req}
            keys = np.where(t_req[arc_t] >= 0, arc_v * nr + t_req[arc_t], -1)
            out[name] = _pair_lookup(keys, table)
        elif name == "reliability":
            nv = len(p.volunteers)
            r = np.fromiter((3.0 if v.rating is None else v.rating for v in p.volunteers), np.float64, nv)
            out[name] = r[arc_v]
        elif name == "equity":
            hours = np.fromiter((v.hours_served for v in p.volunteers), np.float64, len(p.volunteers))
            # share of volunteers with strictly fewer hours: equal hours, equal weight
            pct = np.searchsorted(np.sort(hours), hours, side="left") / max(1, len(hours) - 1)
            weight = 10.0 - np.floor(9.0 * pct)
            out[name] = weight[arc_v] * arc_load
        elif name == "keep":
            vi, ti = {v.id: i for i, v in enumerate(p.volunteers)}, {t.id: i for i, t in enumerate(p.tasks)}
            table = {vi[a] * nt + ti[b]: 1.0 for a, b in keep if a in vi and b in ti}
            out[name] = _pair_lookup(arc_v * nt + arc_t, table)
        elif name == "fairness":
            out[name] = np.zeros(len(arc_v))
    return out


def build_levels(
    problem: Any,
    objective: Objective,
    arc_v: npt.NDArray[np.int64],
    arc_t: npt.NDArray[np.int64],
    arc_km: npt.NDArray[np.float64],
    arc_load: npt.NDArray[np.int64],
) -> tuple[Level, ...]:
    """The arc-problem levels of ``objective`` (see :class:`Objective`)."""
    names = tuple({t for lvl in objective.levels() for t in lvl})
    coef = term_coefficients(problem, arc_v, arc_t, arc_km, arc_load, names, objective.keep)
    den = np.fromiter((v.max_minutes or 0 for v in problem.volunteers), np.int64, len(problem.volunteers))
    share = {"share_den": den, "share_agent": arc_v, "share_load": arc_load}
    if objective.weights is None:
        levels = []
        for (name,) in objective.levels():
            sense = TERMS[name][0]
            if name == "fairness":
                levels.append(Level(name, coef[name], "min", 1.0, None, 1.0, **share))
            else:
                levels.append(Level(name, coef[name], sense, _SCALE[name]))  # type: ignore[arg-type]
        return tuple(levels)
    total = np.zeros(len(arc_v))
    share_w = 0.0
    for name, w in objective.weights.items():
        sign = 1.0 if TERMS[name][0] == "max" else -1.0
        if name == "fairness":
            share_w += sign * w
        else:
            total += sign * w * coef[name]
    scale = max(_SCALE[n] for n in objective.weights) if objective.weights else 1.0
    if share_w:
        return (Level("weighted", total, "max", scale, None, share_w, **share),)
    return (Level("weighted", total, "max", scale),)
