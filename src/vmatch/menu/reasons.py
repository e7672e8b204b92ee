"""Why orders are unserved, counted among the offers of their own item.

For a compiled menu problem the dispatch reasons (:mod:`vmatch.reasons`) would test every offer
against every unserved order; here each order's ``attribute`` count is simply the number of
offers of other items (reported as ``other_item``), and the other rules are counted among the
offers of its item, with the same rule functions (:func:`vmatch.reasons.many_task_reasons` on
the item's offers and orders). :func:`decode_by_item` is :func:`vmatch.solve.decode` with these
shortfalls.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> from vmatch.menu.engine import solve_problem
>>> p, _ = menu_to_problem(generate_menu(40, 10, seed=3))
>>> r = solve_problem(p, time_limit=5)
>>> all(s.reasons.get("attribute", 0) <= len(p.volunteers) for s in r.unassigned.values())
True
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vmatch.arcs import ArcSolution, SolveStatus
from vmatch.compile import Compiled
from vmatch.eligibility import Tables
from vmatch.menu.fastcompile import by_item
from vmatch.model import Problem
from vmatch.reasons import many_task_reasons
from vmatch.result import Result, Shortfall, Status
from vmatch.solve import decode

__all__ = ["decode_by_item", "shortfalls_by_item"]


def shortfalls_by_item(c: Compiled, sol: ArcSolution) -> dict[str, Shortfall]:
    """Shortfalls of the tasks below their head-count in ``sol`` (see the module docstring)."""
    p = c.problem
    buckets = by_item(p)
    assert buckets is not None
    ap = c.arcs
    av = ap.arc_agent[sol.arcs]
    at = c.job_task[ap.arc_job[sol.arcs]]
    filled = np.bincount(at, minlength=len(p.tasks))
    head = c.tables.thead
    short = filled < head
    out: dict[str, Shortfall] = {}
    nv = len(p.volunteers)
    for vi, ti in buckets.values():
        ts = ti[short[ti]]
        if not len(ts):
            continue
        sub = Problem(
            tuple(p.volunteers[i] for i in vi.tolist()),
            tuple(p.tasks[i] for i in ts.tolist()),
            p.settings,
            forbidden=tuple(x for x in p.forbidden if x[1] in {p.tasks[i].id for i in ts}),
        )
        vpos = {int(v): k for k, v in enumerate(vi.tolist())}
        assigned: dict[int, list[int]] = {}
        tpos = {int(t): k for k, t in enumerate(ts.tolist())}
        for v, t in zip(av.tolist(), at.tolist(), strict=True):
            if t in tpos and v in vpos:
                assigned.setdefault(tpos[t], []).append(vpos[v])
        reasons = many_task_reasons(Tables(sub), list(range(len(ts))), assigned)
        for k, t in enumerate(ts.tolist()):
            r = dict(reasons[k])
            if nv > len(vi):
                r["attribute"] = nv - len(vi)
            out[p.tasks[t].id] = Shortfall(p.tasks[t].id, int(head[t] - filled[t]), r)
    return out


def decode_by_item(c: Compiled, sol: ArcSolution, *, extra_stats: dict[str, object] | None = None) -> Result:
    """:func:`vmatch.solve.decode` of a compiled menu problem, shortfalls counted per item."""
    res = decode(c, dataclasses.replace(sol, status=SolveStatus.UNKNOWN), extra_stats=extra_stats)  # no shortfalls
    if sol.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return res
    return dataclasses.replace(res, status=Status(sol.status.value), unassigned=shortfalls_by_item(c, sol))
