"""Dispatch a menu round (派单): welfare-optimal or stable, on the one dispatch pipeline.

Welfare mode compiles the menu problem (:func:`~vmatch.menu.menu_to_problem`) and solves it
lexicographically with :data:`MENU_OBJECTIVE`: the most priority-weighted orders served first, then
both sides' preferences (ranked providers and ranked requesters), then providers' reliability
(ratings), then the least travel. Stable mode builds both sides' preference lists over the pairs the
dispatch rules allow and runs deferred acceptance (:mod:`vmatch.menu.stable_mode`).

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.verify import verify
>>> mp = generate_menu(40, 15, seed=3)
>>> r = menu_solve(mp, time_limit=5)
>>> r.status.value, verify(r.compiled, r.dispatch), check_menu(mp, r)
('OPTIMAL', [], [])
>>> s = menu_solve(mp, mode="stable")
>>> s.status.value, len(s.assignments) <= len(r.assignments), check_menu(mp, s)
('FEASIBLE', True, [])
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Literal

from vmatch.menu.check import check_menu
from vmatch.menu.compile import MenuMapping, menu_to_problem
from vmatch.menu.engine import solve_problem
from vmatch.menu.problem import MenuProblem
from vmatch.menu.result import MenuAssignment, MenuResult, menu_reasons
from vmatch.model import Problem
from vmatch.objective import Objective
from vmatch.result import Result

__all__ = ["MENU_OBJECTIVE", "check_menu", "from_dispatch", "menu_solve"]

log = logging.getLogger(__name__)

#: Orders served (priority-weighted), then preferences, then reliability, then travel.
MENU_OBJECTIVE = Objective(order=("coverage", "preference", "reliability", "travel"))


def from_dispatch(
    mp: MenuProblem,
    problem: Problem,
    mapping: MenuMapping,
    res: Result,
    mode: str,
    stats: dict[str, object] | None = None,
) -> MenuResult:
    """A :class:`MenuResult` from a result on the compiled problem."""
    tz = problem.settings.tz
    out = []
    for a in res.assignments:
        order = mp.order(a.task)
        end_day = (a.start + timedelta(minutes=mp.item(order.item).duration)).astimezone(tz).date()
        out.append(
            MenuAssignment(
                a.task, mapping.provider[a.volunteer], a.volunteer, a.start, mapping.crew(mp, a.volunteer, end_day)
            )
        )
    unserved = {t: menu_reasons(s.reasons) for t, s in res.unassigned.items()}
    st = {**dict(res.stats), "mode": mode, "offers_dropped": len(mapping.dropped), **(stats or {})}
    return MenuResult(res.status, mode, tuple(out), unserved, res.levels, res.breakdown, st, res, problem)


def menu_solve(
    mp: MenuProblem,
    *,
    mode: Literal["welfare", "stable"] = "welfare",
    optimal: Literal["requester", "provider"] = "requester",
    largest: bool = False,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    objective: Objective | None = None,
    reproducible: bool = False,
) -> MenuResult:
    """Dispatch every order of a menu round to at most one provider.

    Parameters
    ----------
    mp : MenuProblem
    mode : {"welfare", "stable"}
        ``"welfare"``: the lexicographic optimum of ``objective`` (CP-SAT). ``"stable"``: a stable
        matching by deferred acceptance (see :func:`vmatch.menu.stable_mode.stable_dispatch` for
        the guarantee that holds with time conflicts).
    optimal : {"requester", "provider"}
        Stable mode: the side whose optimal stable matching is returned.
    largest : bool
        Stable mode: a maximum-cardinality weakly stable matching (CP-SAT) instead of deferred
        acceptance (useful with ties).
    time_limit : float
        Seconds for the solver (welfare, or ``largest``).
    seed, workers : int
        Solver seed and threads.
    objective : Objective, optional
        Welfare mode: replaces :data:`MENU_OBJECTIVE`.
    reproducible : bool
        Welfare mode, when every level is proven: the same plan on every run (ties broken over
        every arc; see :func:`vmatch.solve`). Without it, orders that tie (say, two equal orders
        of one requester) may swap providers between runs.

    Returns
    -------
    MenuResult
        Every hard rule of the compiled dispatch problem holds (``vmatch.verify(r.compiled,
        r.dispatch)`` is empty) and so do the menu's own (:func:`check_menu`).

    Raises
    ------
    ValueError
        An unknown ``mode`` or ``optimal``.
    """
    if mode not in ("welfare", "stable"):
        raise ValueError(f"menu_solve: mode must be 'welfare' or 'stable', got {mode!r}")
    if optimal not in ("requester", "provider"):
        raise ValueError(f"menu_solve: optimal must be 'requester' or 'provider', got {optimal!r}")
    t0 = time.perf_counter()
    problem, mapping = menu_to_problem(mp)
    build = time.perf_counter() - t0
    if mode == "welfare":
        res = solve_problem(
            problem,
            objective=objective or MENU_OBJECTIVE,
            time_limit=time_limit if reproducible else max(0.1, time_limit - build),  # (no wall time)
            seed=seed,
            workers=workers,
            reproducible=reproducible,
        )
        extra: dict[str, object] = {}
    else:
        from vmatch.menu.stable_mode import stable_dispatch

        res, extra = stable_dispatch(
            mp, problem, mapping, MENU_OBJECTIVE, optimal=optimal, largest=largest, time_limit=time_limit, seed=seed
        )
    extra["menu_compile_seconds"] = build
    extra["wall_seconds"] = time.perf_counter() - t0
    log.info(
        "menu %s: %d of %d orders served in %.2fs", mode, len(res.assignments), len(mp.orders), time.perf_counter() - t0
    )
    return from_dispatch(mp, problem, mapping, res, mode, extra)
