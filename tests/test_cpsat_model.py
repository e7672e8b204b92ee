"""The CP-SAT model of an arc problem against brute force on tiny problems.

Every subset of arcs is tried: agents' loads within capacity, each job's count 0 or within its
head-count, at most one job of a group served (exactly one in a required group). The model's
lexicographic optimum (levels in turn) and its weighted optimum must equal the enumeration's.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmatch.arcs import ArcProblem, Level, SolveStatus
from vmatch.solvers.cpsat import build_model, solve_cpsat


@st.composite
def tiny(draw: st.DrawFn) -> ArcProblem:
    n_agents = draw(st.integers(1, 3))
    n_groups = draw(st.integers(1, 3))
    job_group = [g for g in range(n_groups) for _ in range(draw(st.integers(1, 2)))]
    n_jobs = len(job_group)
    n_arcs = draw(st.integers(1, 9))
    arc_agent = draw(st.lists(st.integers(0, n_agents - 1), min_size=n_arcs, max_size=n_arcs))
    arc_job = draw(st.lists(st.integers(0, n_jobs - 1), min_size=n_arcs, max_size=n_arcs))
    job_max = draw(st.lists(st.integers(1, 2), min_size=n_jobs, max_size=n_jobs))
    job_min = [draw(st.integers(1, m)) for m in job_max]
    load = draw(st.lists(st.integers(1, 3), min_size=n_arcs, max_size=n_arcs))
    cap = draw(st.lists(st.integers(1, 5), min_size=n_agents, max_size=n_agents))
    cover = Level(
        "coverage", [0.0] * n_arcs, "max", job_coef=draw(st.lists(st.integers(1, 4), min_size=n_jobs, max_size=n_jobs))
    )
    cost = Level("cost", draw(st.lists(st.integers(0, 5), min_size=n_arcs, max_size=n_arcs)), "min")
    return ArcProblem.build(
        n_agents=n_agents,
        n_jobs=n_jobs,
        arc_agent=arc_agent,
        arc_job=arc_job,
        arc_load=load,
        agent_capacity=cap,
        job_min=job_min,
        job_max=job_max,
        job_group=job_group,
        required=draw(st.lists(st.booleans(), min_size=n_groups, max_size=n_groups)),
        levels=[cover, cost],
    )


def _feasible(ap: ArcProblem, arcs: np.ndarray) -> np.ndarray | None:
    """The served jobs of arc set ``arcs``, or None when it breaks a rule."""
    load = np.bincount(ap.arc_agent[arcs], weights=ap.arc_load[arcs], minlength=ap.n_agents)
    if np.any((ap.agent_capacity >= 0) & (load > ap.agent_capacity)):
        return None
    count = np.bincount(ap.arc_job[arcs], minlength=ap.n_jobs)
    if np.any((count > 0) & ((count < ap.job_min) | (count > ap.job_max))):
        return None
    served = np.flatnonzero(count > 0)
    per_group = np.bincount(ap.job_group[served], minlength=ap.n_groups)
    if np.any(per_group > 1) or np.any(ap.group_required & (per_group == 0)):
        return None
    return served


def _values(ap: ArcProblem) -> list[tuple[float, float]]:
    out = []
    for r in range(ap.n_arcs + 1):
        for combo in itertools.combinations(range(ap.n_arcs), r):
            arcs = np.array(combo, np.int64)
            served = _feasible(ap, arcs)
            if served is not None:
                out.append((ap.levels[0].value(arcs, served), ap.levels[1].value(arcs, served)))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_levels_and_weights_match_enumeration(ap: ArcProblem) -> None:
    values = _values(ap)
    if not values:
        assert solve_cpsat(ap, time_limit=5, workers=1).status == SolveStatus.INFEASIBLE
        return
    best_cover = max(v[0] for v in values)
    best_cost = min(v[1] for v in values if v[0] == best_cover)
    sol = solve_cpsat(ap, time_limit=5, workers=1)
    assert sol.status == SolveStatus.OPTIMAL
    assert sol.values == (best_cover, best_cost)
    assert _feasible(ap, sol.arcs) is not None
    # one weighted sum: 3 x coverage - cost
    best_w = max(3 * c - k for c, k in values)
    sol_w = solve_cpsat(ap, time_limit=5, workers=1, weights=[3, 1])
    assert sol_w.status == SolveStatus.OPTIMAL
    assert 3 * sol_w.values[0] - sol_w.values[1] == best_w


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_hint_covers_every_variable(ap: ArcProblem) -> None:
    """A hint names every arc variable and every job switch, with the switch on where an arc is."""
    cm = build_model(ap)
    chosen = np.zeros(ap.n_arcs, bool)
    chosen[: ap.n_arcs // 2] = True
    served = np.zeros(ap.n_jobs, bool)
    served[ap.arc_job[chosen]] = True
    cm.hint(chosen, served)
    h = cm.model.model_proto.solution_hint
    hinted = dict(zip(list(h.vars), list(h.values), strict=True))
    assert len(hinted) == ap.n_arcs + len(cm.y)
    assert [hinted[a] for a in range(ap.n_arcs)] == chosen.astype(int).tolist()
    assert all(hinted[yj.index] == int(served[j]) for j, yj in cm.y.items())
