"""A small set of requests that cannot all hold (an irreducible infeasible subset).

Requests are pinned rows, minimum head-counts and composition rows of an arc problem.
CP-SAT solves the model with one assumption literal per request; its core of sufficient
assumptions is then reduced by deletion: a member stays only if dropping it makes the
rest feasible. The result is irreducible: removing any one member leaves a feasible set.

Examples
--------
>>> from vmatch.arcs import ArcProblem, csr_from_lists
>>> # one agent pinned to two jobs that conflict in time
>>> ap = ArcProblem.build(n_agents=1, n_jobs=2, arc_agent=[0, 0], arc_job=[0, 1],
...                       cliques=csr_from_lists([[0, 1]]), pinned=csr_from_lists([[0], [1]]))
>>> find_conflict(ap)
[('pinned', 0), ('pinned', 1)]
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from vmatch.arcs import ArcProblem
from vmatch.solvers.cpsat import build_model

__all__ = ["find_conflict"]


def _infeasible(m: cp_model.CpModel, assumptions: list[Any], time_limit: float) -> tuple[bool, list[int]]:
    m.clear_assumptions()
    m.add_assumptions(assumptions)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_time_in_seconds = time_limit
    st = s.solve(m)
    if st == cp_model.INFEASIBLE:
        return True, list(s.sufficient_assumptions_for_infeasibility())
    return False, []


def find_conflict(ap: ArcProblem, *, time_limit: float = 10.0) -> list[tuple[str, int]]:
    """Requests ``(kind, index)`` that together cannot hold; [] when all can (or time ran out)."""
    cm = build_model(ap, assume=True)
    lits = cm.assumptions or {}
    if not lits:
        return []
    by_index = {lt.index: key for key, lt in lits.items()}
    bad, core = _infeasible(cm.model, list(lits.values()), time_limit)
    if not bad:
        return []
    keep = [by_index[i] for i in core if i in by_index] or list(lits)
    for key in list(keep):
        trial = [k for k in keep if k != key]
        still, _ = _infeasible(cm.model, [lits[k] for k in trial], time_limit)
        if still:
            keep = trial
    return sorted(keep)
