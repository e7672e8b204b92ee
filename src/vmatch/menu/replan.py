"""Re-plan a menu round after the providers' answers (接单) and the residents' cancellations.

:func:`menu_replan` is :func:`vmatch.replan` in the menu's own terms: events name offers or
providers and orders, the previous plan is a :class:`~vmatch.menu.result.MenuResult`, and so is
the new one. A decline is the *provider's*: the order never goes back to any of that provider's
offers (a provider with a weekday and a weekend offer of the same item declines both), where the
compiled problem's pairs would forbid only the one offer.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu import check_menu, menu_solve
>>> mp = generate_menu(40, 15, seed=3)
>>> r = menu_solve(mp, time_limit=5)
>>> a = r.assignments[0]
>>> r2 = menu_replan(mp, r, declined=[(a.provider, a.order)], time_limit=5)
>>> a.provider != r2.by_order().get(a.order, a).provider or a.order in r2.unserved
True
>>> check_menu(mp, r2), r2.stats["changes"]["removed"] >= 1
([], True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Literal

from vmatch.errors import ModelError
from vmatch.menu.compile import MenuMapping, menu_to_problem
from vmatch.menu.problem import MenuProblem
from vmatch.menu.result import MenuResult
from vmatch.menu.solve import from_dispatch
from vmatch.model import Problem
from vmatch.objective import Objective
from vmatch.replan import replan, replanned_problem
from vmatch.result import Assignment, Result

__all__ = ["menu_replan"]

Pair = tuple[str, str]


def _offers_of(mp: MenuProblem, mapping: MenuMapping, who: str, order: str, field: str) -> list[str]:
    """The compiled offers ``who`` (an offer id, or a provider id: all its offers of the order's
    item) stands for; an offer's provider's other offers of the item go with it."""
    item = mp.order(order).item
    if who in mapping.provider:
        who = mapping.provider[who]
    elif who not in set(mapping.provider.values()):
        raise ModelError(f"replan: field '{field}' names unknown offer or provider {who!r}")
    return [o for o, p in mapping.provider.items() if p == who and mapping.item[o] == item]


def _previous(problem: Problem, previous: MenuResult | Result) -> Result:
    """``previous`` as a plan on the compiled problem (its own, or rebuilt from its assignments)."""
    if isinstance(previous, Result):
        return previous
    if previous.dispatch is not None and previous.compiled is not None:
        ids = {v.id for v in problem.volunteers}
        if all(a.volunteer in ids for a in previous.dispatch.assignments):
            return previous.dispatch
    plan = tuple(Assignment(a.offer, a.order, a.start) for a in previous.assignments)
    return Result(previous.status, assignments=plan)


def menu_replan(
    mp: MenuProblem,
    previous: MenuResult | Result,
    *,
    accepted: Iterable[Pair] = (),
    declined: Iterable[Pair] = (),
    withdrawn: Iterable[str] = (),
    cancelled: Iterable[str] = (),
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    objective: Objective | None = None,
    scope: Literal["auto", "global", "local"] = "auto",
    reproducible: bool = False,
) -> MenuResult:
    """A new plan for ``mp`` after the events, as close to ``previous`` as coverage allows.

    Parameters
    ----------
    mp : MenuProblem
        The menu ``previous`` was made for (new orders join the menu: solve it again).
    previous : MenuResult or Result
        The plan in force (:func:`vmatch.menu.menu_solve`'s, or an earlier re-plan's), or that plan
        on the compiled problem (:func:`vmatch.io.menu_json.read_menu_plan` of a menu solution).
    accepted : iterable of (offer or provider id, order id)
        Kept as they are. A provider id stands for its offer that serves the order in
        ``previous``.
    declined : iterable of (offer or provider id, order id)
        Never again: the order goes to none of the provider's offers of its item.
    withdrawn : iterable of str
        Offers, or providers (all their offers), that leave the round.
    cancelled : iterable of str
        Orders the residents cancel: reported in the result's ``unserved`` as ``{"cancelled": 1}``.
    time_limit, seed, workers, objective, scope, reproducible
        As for :func:`vmatch.replan` (its default objective on a menu: coverage, keep,
        preference, reliability, travel).

    Returns
    -------
    MenuResult
        ``stats["changes"]`` and ``stats["changed"]`` as for :func:`vmatch.replan`, over offers and
        orders.

    Raises
    ------
    ModelError
        An unknown offer, provider or order; an accepted provider that does not serve the order.
    InfeasibleError
        The accepted pairs cannot all hold.

    Notes
    -----
    The events of earlier re-plans hold too: ``previous`` (a re-plan's result, or its menu solution
    read back) records them in ``stats["events"]`` (see :func:`vmatch.replan`), so a provider who
    declined an order in an earlier round is not given it again, and an order cancelled earlier is
    still reported as cancelled.
    """
    problem, mapping = menu_to_problem(mp)
    orders = {o.id for o in mp.orders}
    prev = _previous(problem, previous)
    served = {a.task: a.volunteer for a in prev.assignments}

    def order_of(pair: object, field: str) -> tuple[str, str]:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ModelError(f"replan: field '{field}' must be an (offer or provider id, order id) pair, got {pair!r}")
        who, oid = pair
        if oid not in orders:
            raise ModelError(f"replan: field '{field}' names unknown order {oid!r}")
        return str(who), str(oid)

    acc: list[Pair] = []
    for n, pair in enumerate(accepted):
        who, oid = order_of(pair, f"accepted[{n}]")
        if who in mapping.provider:
            acc.append((who, oid))
            continue
        mine = _offers_of(mp, mapping, who, oid, f"accepted[{n}]")
        if served.get(oid) not in mine:
            raise ModelError(f"replan: field 'accepted[{n}]': provider {who!r} does not serve order {oid!r}")
        acc.append((str(served[oid]), oid))
    dec: list[Pair] = []
    for n, pair in enumerate(declined):
        who, oid = order_of(pair, f"declined[{n}]")
        dec.extend((o, oid) for o in _offers_of(mp, mapping, who, oid, f"declined[{n}]"))
    gone: list[str] = []
    providers = set(mapping.provider.values())
    for n, who in enumerate(withdrawn):
        if who in mapping.provider:
            gone.append(who)
        elif who in providers:
            gone.extend(o for o, p in mapping.provider.items() if p == who)
        else:
            raise ModelError(f"replan: field 'withdrawn[{n}]' names unknown offer or provider {who!r}")
    kept = {v.id for v in problem.volunteers}  # offers the compiler dropped have no pairs to forbid
    ev: Mapping[str, object] = {
        "accepted": acc,
        "declined": [p for p in dict.fromkeys(dec) if p[0] in kept],
        "withdrawn": [o for o in dict.fromkeys(gone) if o in kept],
        "cancelled": list(dict.fromkeys(cancelled)),
    }
    r = replan(
        problem,
        prev,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        objective=objective,
        scope=scope,
        reproducible=reproducible,
        **ev,  # type: ignore[arg-type]
    )
    out = from_dispatch(mp, replanned_problem(problem, r), mapping, r, "welfare")
    off = r.stats["events"]["cancelled"]  # (this round's and the earlier rounds')
    if off:  # cancelled orders stay in the menu: reported, not dropped
        out = replace(out, unserved={**out.unserved, **{oid: {"cancelled": 1} for oid in off}})
    return out
