"""Why an order is not served, in the menu's words.

:func:`explain_orders` runs :func:`vmatch.explain.explain` on the compiled problem (offers are its
volunteers, orders its tasks; the offers of one provider are one person there, with one schedule
and one workload limit) and says what it found in menu terms: how many offers each rule rules
out (:data:`vmatch.menu.result.REASON_NAMES`: ``other_item``, ``offer_time``, ``radius``, ...),
which offers of the item could serve the order but whose provider serves other orders at that
time (and which), which are full, and which were free and left out. Ids only.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu import menu_solve
>>> mp = generate_menu(60, 20, seed=1)
>>> r = menu_solve(mp, time_limit=5)
>>> ex = explain_orders(r.compiled, r.dispatch)
>>> len(ex) == len(r.unserved), all(e.served_by == () for e in ex)
(True, True)
>>> e = ex[0]
>>> sum(e.reasons.values()) + len(e.busy) + len(e.full) + len(e.unused) == len(r.compiled.volunteers)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vmatch.eligibility import Tables
from vmatch.errors import ModelError
from vmatch.explain import explain
from vmatch.menu.result import REASON_NAMES, menu_reasons
from vmatch.model import Problem
from vmatch.reasons import _counts
from vmatch.result import Result

__all__ = ["OrderExplanation", "explain_orders", "explain_orders_text"]

_PHRASES = {  # menu reason -> what it says of the offers it counts
    "other_item": "offer another item",
    "refused": "are refused by the requester",
    "offer_time": "have no start inside both the order's and the offer's times",
    "radius": "are outside the offer's service radius",
    "capacity": "cannot take an order of this length (capacity or workload)",
    "skill": "lack a skill the item needs",
    "certificate": "lack a certificate the item needs, valid on the day",
}


@dataclass(frozen=True, slots=True)
class OrderExplanation:
    """Why one order is (not) served: see the module docstring. Offers are named by id, with
    their provider in ``provider``."""

    order: str
    item: str
    served_by: tuple[str, ...]  # the offers serving it (a crew's offer once)
    reasons: dict[str, int]  # offers ruled out, per menu reason
    busy: dict[str, tuple[str, ...]] = field(default_factory=dict)  # offer -> orders its provider serves then
    full: tuple[str, ...] = ()  # offers that could serve it but are at their capacity or workload
    unused: tuple[str, ...] = ()  # offers that could serve it, free and left out
    relaxations: tuple[str, ...] = ()  # single relaxations that would add offers
    provider: dict[str, str] = field(default_factory=dict)  # offer -> provider, for the offers named above

    def to_dict(self) -> dict[str, Any]:
        """As plain data (for ``--json``)."""
        return {
            "order": self.order,
            "item": self.item,
            "served_by": list(self.served_by),
            "reasons": dict(self.reasons),
            "busy": {o: list(x) for o, x in self.busy.items()},
            "full": list(self.full),
            "unused": list(self.unused),
            "relaxations": list(self.relaxations),
            "provider": dict(self.provider),
        }

    def text(self) -> str:
        """Readable lines (ids only)."""
        if self.served_by:
            return f"order {self.order} ({self.item}): served by {', '.join(self.served_by)}"
        lines = [f"order {self.order} ({self.item}): not served"]
        for key, n in self.reasons.items():
            lines.append(f"  {key}: {n} offer{'s' if n != 1 else ''} {_PHRASES.get(key, 'are ruled out')}")
        for o, orders in sorted(self.busy.items()):
            lines.append(
                f"  busy: {o} ({self.provider[o]}) could serve it, but serves {', '.join(orders)} at that time"
            )
        if self.full:
            lines.append(f"  full: {', '.join(self.full)} could serve it, but are at their capacity or workload")
        if self.unused:
            lines.append(f"  unused: {', '.join(self.unused)} could serve it and are free, left out")
        if not (self.busy or self.full or self.unused):
            lines.append("  no offer of the item can serve it")
        lines.extend(f"  {r}" for r in self.relaxations)
        return "\n".join(lines)


#: The compiled problem's relaxations in the menu's words.
_WORDS = (
    (" more candidates ", " more offers "),
    (" more candidate ", " more offer "),
    ("the distance limit were", "their service radius were"),
    ("the task moved", "the order moved"),
    ("workload limits allowed", "their capacity allowed"),
    ("forbidden pairs were lifted", "the requester did not refuse them"),
)


def _menu_words(detail: str) -> str:
    for a, b in _WORDS:
        detail = detail.replace(a, b)
    return detail


def explain_orders(problem: Problem, result: Result, order: str | None = None) -> list[OrderExplanation]:
    """Explanations of the unserved orders of a compiled menu plan (or of ``order`` only, served
    or not).

    Parameters
    ----------
    problem : Problem
        The compiled menu problem (:func:`vmatch.menu.menu_to_problem`, ``MenuResult.compiled``).
    result : Result
        The plan on it (``MenuResult.dispatch``, or a menu solution read by
        :func:`vmatch.io.menu_json.read_menu_plan`).
    order : str, optional
        One order's id.

    Raises
    ------
    ModelError
        ``problem`` is not a compiled menu, or ``order`` is not one of its orders.
    """
    if not problem.extra.get("menu"):
        raise ModelError("explain: field 'problem' is not a compiled menu problem (vmatch.menu.menu_to_problem)")
    if order is not None and order not in {t.id for t in problem.tasks}:
        raise ModelError(f"explain: field 'order' names unknown order {order!r}")
    counted: dict[int, dict[str, int]] = {}

    def count(ti: int, masks: dict[str, np.ndarray]) -> None:
        # counted as the menu's shortfalls are (vmatch.menu.reasons): offers of other items, then
        # the shortfall counts of vmatch.reasons among the item's offers
        item = masks["attribute"]
        among = _counts({r: m[item] for r, m in masks.items()}, ())
        among.pop("busy", None)  # (named one by one below)
        counted[ti] = {"attribute": int((~item).sum()), "distance": among.pop("distance", 0), **among}

    out = []
    for e in explain(problem, result, order, tables=Tables(problem), on_masks=count):
        ti = problem.task_index(e.task)
        t = problem.tasks[ti]
        counts = counted.pop(ti)
        named = [*e.competition, *e.at_limit, *e.unused]
        provider = {o: str(problem.volunteers[problem.volunteer_index(o)].extra["provider"]) for o in named}
        # the compiled relaxations speak of tasks and volunteers; the attribute rule is the item itself
        relax = tuple(_menu_words(r.detail) for r in e.relaxations if r.rule in REASON_NAMES and r.rule != "attribute")
        out.append(
            OrderExplanation(
                e.task,
                str(t.extra.get("item", "")),
                e.assigned,
                menu_reasons({r: n for r, n in counts.items() if n}),
                dict(e.competition),
                e.at_limit,
                e.unused,
                relax,
                provider,
            )
        )
    return out


def explain_orders_text(problem: Problem, result: Result, order: str | None = None) -> str:
    """:func:`explain_orders` as text, one block per order."""
    ex = explain_orders(problem, result, order)
    return "\n".join(e.text() for e in ex) if ex else "every order is served"
