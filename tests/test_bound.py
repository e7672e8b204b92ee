"""Bounds on a level (flow and LP relaxations) never fall below a proven optimum."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from strategies import problems
from vmatch.arcs import ArcProblem, Level, SolveStatus, csr_from_lists
from vmatch.compile import Compiled, compile_problem
from vmatch.generate import generate_city
from vmatch.solvers.bound import feasible_arcs, flow_bound
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.lp import lp_bound


def random_arc_problem(seed: int, times: bool = True) -> ArcProblem:
    """A small arc problem with every rule: cliques, capacities, groups of several jobs,
    minimum head-counts, composition rows, required groups and pins.

    With ``times`` the jobs get intervals in ``meta`` and every two overlapping arcs of
    one agent share a clique row (the promise :func:`flow_bound` relies on).
    """
    rng = np.random.default_rng(seed)
    na, ng = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    job_group = np.repeat(np.arange(ng), rng.integers(1, 4, ng))
    nj = len(job_group)
    aa, jj = np.nonzero(rng.random((na, nj)) < 0.6)
    if not len(aa):
        aa, jj = np.array([0]), np.array([0])
    n = len(aa)
    jmin = rng.integers(1, 3, nj)
    start = rng.integers(0, 10, nj)
    end = start + rng.integers(1, 4, nj)
    rows: list[list[int]] = []
    caps: list[list[int]] = []
    cap_rhs: list[int] = []
    for a in range(na):
        arcs = np.flatnonzero(aa == a)
        for i, x in enumerate(arcs):
            for y in arcs[i + 1 :]:
                overlap = start[jj[x]] < end[jj[y]] and start[jj[y]] < end[jj[x]]
                if (times and overlap) or rng.random() < 0.15:
                    rows.append([int(x), int(y)])
        if len(arcs) >= 3 and rng.random() < 0.3:
            rows.append(rng.choice(arcs, 3, replace=False).tolist())
        if len(arcs) >= 2 and rng.random() < 0.4:
            caps.append(arcs[rng.random(len(arcs)) < 0.7].tolist())
            cap_rhs.append(int(rng.integers(1, 6)))
    comp = [
        np.flatnonzero(jj == j)[rng.random(int((jj == j).sum())) < 0.5].tolist()
        for j in range(nj)
        if rng.random() < 0.3
    ]
    comp_owner = [j for j in range(nj) if rng.random() < 0.3][: len(comp)]
    comp = comp[: len(comp_owner)]
    return ArcProblem.build(
        n_agents=na,
        n_jobs=nj,
        arc_agent=aa,
        arc_job=jj,
        arc_load=rng.integers(1, 5, n),
        agent_capacity=np.where(rng.random(na) < 0.5, -1, rng.integers(2, 9, na)),
        job_min=jmin,
        job_max=jmin + rng.integers(0, 3, nj),
        job_group=job_group,
        required=rng.random(ng) < 0.15,
        levels=[
            Level("coverage", rng.integers(1, 4, n).astype(float)),
            Level("travel", rng.integers(0, 20, n) / 4, "min", scale=4.0),
        ],
        cliques=csr_from_lists(rows),
        capacity=csr_from_lists(caps, cap_rhs, [-1] * len(caps)),
        composition=csr_from_lists(comp, [1] * len(comp), comp_owner),
        pinned=csr_from_lists([[int(rng.integers(n))]] if rng.random() < 0.2 else []),
        meta={"job_start": start, "job_end": end} if times else {},
    )


def first_level(ap: ArcProblem, k: int = 0) -> ArcProblem:
    return dataclasses.replace(ap, levels=(ap.levels[k],))


def optimum(ap: ArcProblem) -> float | None:
    sol = solve_cpsat(ap, time_limit=20, workers=1)
    if sol.status == SolveStatus.INFEASIBLE:
        return None
    assert sol.status == SolveStatus.OPTIMAL
    assert ap.check(sol.arcs, sol.served_jobs) == []
    return sol.values[0]


@pytest.mark.parametrize("times", [True, False])
def test_bounds_valid_on_random_arc_problems(times: bool) -> None:
    tight_flow = tight_lp = solved = 0
    for seed in range(60):
        ap = first_level(random_arc_problem(seed, times))
        opt = optimum(ap)
        fb, lb = flow_bound(ap), lp_bound(ap)
        if opt is None:
            continue
        solved += 1
        assert fb >= opt, (seed, fb, opt)
        assert lb >= opt, (seed, lb, opt)
        tight_flow += fb == opt
        tight_lp += lb == opt
    assert solved >= 40
    assert tight_lp >= solved // 3 and tight_flow >= solved // 10  # bounds that say something


def test_lp_bound_of_min_level_is_below_optimum() -> None:
    for seed in range(20):
        ap = first_level(random_arc_problem(seed), 1)
        opt = optimum(ap)
        if opt is not None:
            assert lp_bound(ap) <= opt + 1e-9


def with_share(ap: ArcProblem, seed: int, sense: str, weight: float) -> ArcProblem:
    """Level 0 plus a max-share part: ``weight`` x the largest per-mille load share."""
    rng = np.random.default_rng(seed)
    lv = ap.levels[0]
    coef = lv.coef if sense == "max" else np.zeros(ap.n_arcs)
    share = Level(
        "fair",
        coef,
        sense,
        share_weight=weight,
        share_den=rng.integers(0, 12, ap.n_agents),
        share_agent=ap.arc_agent,
        share_load=ap.arc_load,
        share_base=rng.integers(0, 3, ap.n_agents),
    )
    return dataclasses.replace(ap, levels=(share,))


def test_bounds_with_a_max_share_part() -> None:
    checked = 0
    for seed in range(25):
        ap = random_arc_problem(seed)
        fair_min = with_share(ap, seed, "min", 1.0)
        opt = optimum(fair_min)
        if opt is None:
            continue
        checked += 1
        assert lp_bound(fair_min) <= opt + 1e-9
        fair_max = with_share(ap, seed, "max", -0.5)
        opt = optimum(fair_max)
        assert opt is not None
        assert flow_bound(fair_max) >= opt - 1e-9
        assert lp_bound(fair_max) >= opt - 1e-9
    assert checked >= 15
    assert lp_bound(with_share(ap, 0, "max", 1.0)) == np.inf
    with pytest.raises(ValueError):
        flow_bound(with_share(ap, 0, "max", 1.0))


def b_matching(seed: int) -> ArcProblem:
    """Capacity-only b-matching: both relaxations are exact on it."""
    rng = np.random.default_rng(seed)
    na, nj = int(rng.integers(2, 8)), int(rng.integers(2, 8))
    aa, jj = np.nonzero(rng.random((na, nj)) < 0.5)
    unit = rng.integers(1, 4, na)
    return ArcProblem.build(
        n_agents=na,
        n_jobs=nj,
        arc_agent=aa,
        arc_job=jj,
        arc_load=unit[aa],
        agent_capacity=np.where(rng.random(na) < 0.3, -1, unit * rng.integers(0, 4, na)),
        job_max=rng.integers(1, 4, nj),
        levels=[Level("coverage", rng.integers(1, 4, len(aa)).astype(float))],
    )


def test_bounds_exact_on_b_matching() -> None:
    for seed in range(30):
        ap = b_matching(seed)
        opt = optimum(ap)
        assert flow_bound(ap) == opt
        assert lp_bound(ap) == opt


def with_times(c: Compiled) -> ArcProblem:
    ap = first_level(c.arcs)
    return dataclasses.replace(
        ap, meta={**ap.meta, "job_start": c.job_start, "job_end": c.job_start + c.tables.tdur[c.job_task]}
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_bounds_valid_on_compiled_problems(p: object) -> None:
    c = compile_problem(p)  # type: ignore[arg-type]
    ap = with_times(c)
    opt = optimum(ap)
    if opt is not None:
        assert flow_bound(ap) >= opt
        assert flow_bound(first_level(c.arcs)) >= opt
        assert lp_bound(ap) >= opt


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bounds_valid_on_small_cities(seed: int) -> None:
    ap = with_times(compile_problem(generate_city(60, 25, seed=seed)))
    opt = optimum(ap)
    assert opt is not None
    fb, lb = flow_bound(ap), lp_bound(ap)
    assert opt <= lb <= fb * 1.02 and fb <= opt * 1.05


def test_flow_bound_by_hand() -> None:
    # agent 0: two arcs in one clique; agent 1: capacity for one arc; job 1 takes one arc
    ap = ArcProblem.build(
        n_agents=2,
        n_jobs=3,
        arc_agent=[0, 0, 1, 1],
        arc_job=[0, 1, 1, 2],
        cliques=csr_from_lists([[0, 1]]),
        agent_capacity=[-1, 1],
        levels=[Level("coverage", [1.0, 2.0, 2.0, 1.0])],
    )
    assert flow_bound(ap) == 3.0
    # without the clique agent 0 takes both of its arcs
    assert flow_bound(dataclasses.replace(ap, cliques=csr_from_lists([]))) == 4.0
    # a per-day row with room for one arc of agent 0 acts like the clique
    day = dataclasses.replace(ap, cliques=csr_from_lists([]), capacity=csr_from_lists([[0, 1]], [1], [0]))
    assert flow_bound(day) == 3.0
    # job_min 2 on every job: none can be served
    assert flow_bound(dataclasses.replace(ap, job_min=np.full(3, 2))) == 0.0
    # a per-job bonus adds the best job of each group
    bonus = dataclasses.replace(ap, levels=(Level("c", ap.levels[0].coef, job_coef=[5.0, 1.0, 0.0]),))
    assert flow_bound(bonus) == 3.0 + 6.0
    # intervals: agent 0's arcs at [0, 2) and [2, 3) do not overlap, so both may be chosen
    apart = {"job_start": [0, 2, 0], "job_end": [2, 3, 1]}
    assert flow_bound(dataclasses.replace(ap, cliques=csr_from_lists([]), meta=apart)) == 4.0
    overlap = {"job_start": [0, 1, 0], "job_end": [2, 3, 1]}
    assert flow_bound(dataclasses.replace(ap, meta=overlap)) == 3.0
    # a chain [0, 2) [1, 3) [2, 4): one run of overlaps, but its first and last arcs fit together
    chain = ArcProblem.build(
        n_agents=1,
        n_jobs=3,
        arc_agent=[0, 0, 0],
        arc_job=[0, 1, 2],
        cliques=csr_from_lists([[0, 1], [1, 2]]),
        levels=[Level("c", [1.0, 1.0, 1.0])],
        meta={"job_start": [0, 1, 2], "job_end": [2, 3, 4]},
    )
    assert flow_bound(chain) == 2.0 == flow_bound(dataclasses.replace(chain, meta={})) == optimum(chain)
    one = dataclasses.replace(chain, cliques=csr_from_lists([[0, 1, 2]]), meta={})
    assert flow_bound(one) == 1.0


def test_feasible_arcs_and_errors() -> None:
    ap = ArcProblem.build(
        n_agents=1,
        n_jobs=2,
        arc_agent=[0, 0],
        arc_job=[0, 1],
        arc_load=[5, 1],
        agent_capacity=[3],
        job_min=[1, 2],
        levels=[Level("c", [1.0, 1.0], "min")],
    )
    assert feasible_arcs(ap).tolist() == [False, False]
    with pytest.raises(ValueError):
        flow_bound(ap)
    assert lp_bound(ap, time_limit=5) == 0.0
