"""Exact fast paths agree with CP-SAT at every level."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vmatch.arcs import ArcProblem, ArcSolution, Level, SolveStatus, csr_from_lists
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.exact import classify, solve_assignment, solve_bmatching


def _levels(rng: np.random.Generator, n: int, nj: int, job_coef: bool) -> list[Level]:
    lv = [
        Level("coverage", rng.integers(0, 4, n).astype(float)),
        Level("km", rng.integers(0, 30, n) / 10.0, "min", scale=10.0),
    ]
    if job_coef:
        lv.append(Level("bonus", rng.integers(-2, 3, n).astype(float), job_coef=rng.integers(0, 3, nj)))
    return lv


def one_to_one(seed: int) -> ArcProblem:
    """Each agent takes one arc at most: it has one arc, a capacity for one, or a clique over all."""
    rng = np.random.default_rng(seed)
    na, nj = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    aa, jj = np.nonzero(rng.random((na, nj)) < 0.5)
    n = len(aa)
    load = rng.integers(1, 5, n)
    cap = np.full(na, -1)
    rows: list[list[int]] = []
    for a in range(na):
        arcs = np.flatnonzero(aa == a)
        if len(arcs) <= 1:
            continue
        if rng.random() < 0.4:
            lo = np.sort(load[arcs])
            cap[a] = int(rng.integers(lo[0], lo[0] + lo[1]))
        else:
            rows.append(rng.permutation(arcs).tolist())
            if rng.random() < 0.3:
                rows.append(arcs[:2].tolist())
    return ArcProblem.build(
        n_agents=na,
        n_jobs=nj,
        arc_agent=aa,
        arc_job=jj,
        arc_load=load,
        agent_capacity=cap,
        required=rng.random(nj) < 0.2,
        levels=_levels(rng, n, nj, rng.random() < 0.3),
        cliques=csr_from_lists(rows),
        pinned=csr_from_lists([[int(rng.integers(n))]] if n and rng.random() < 0.2 else []),
    )


def b_matching(seed: int) -> ArcProblem:
    """Capacity counts (one load per agent), head-counts up to 3, required jobs and pins."""
    rng = np.random.default_rng(seed)
    na, nj = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    aa, jj = np.nonzero(rng.random((na, nj)) < 0.5)
    n = len(aa)
    unit = rng.integers(1, 4, na)
    cap = np.where(rng.random(na) < 0.3, -1, unit * rng.integers(0, 4, na) + rng.integers(0, 2, na))
    job_coef = rng.random() < 0.2
    jmax = np.ones(nj, np.int64) if job_coef else rng.integers(1, 4, nj)
    return ArcProblem.build(
        n_agents=na,
        n_jobs=nj,
        arc_agent=aa,
        arc_job=jj,
        arc_load=unit[aa],
        agent_capacity=cap,
        job_max=jmax,
        required=rng.random(nj) < 0.2,
        levels=_levels(rng, n, nj, job_coef),
        pinned=csr_from_lists([[int(rng.integers(n))]] if n and rng.random() < 0.2 else []),
    )


def agree(ap: ArcProblem, sol: ArcSolution) -> None:
    ref = solve_cpsat(ap, time_limit=10, workers=1)
    assert ref.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE)
    assert sol.status == ref.status
    if sol.status == SolveStatus.OPTIMAL:
        assert ap.check(sol.arcs, sol.served_jobs) == []
        np.testing.assert_allclose(sol.values, ref.values, atol=1e-9)
        assert sol.bounds == sol.values


def test_one_to_one_agrees_with_cpsat() -> None:
    infeasible = 0
    for seed in range(50):
        ap = one_to_one(seed)
        assert classify(ap) == "one_to_one"
        dense, sparse = solve_assignment(ap, "dense"), solve_assignment(ap, "sparse")
        flow = solve_assignment(ap, "flow")
        assert flow.status == dense.status and flow.values == pytest.approx(dense.values, nan_ok=True)
        agree(ap, dense)
        assert sparse.status == dense.status and sparse.values == pytest.approx(dense.values, nan_ok=True)
        infeasible += dense.status == SolveStatus.INFEASIBLE
    assert 0 < infeasible < 25


def test_b_matching_agrees_with_cpsat() -> None:
    seen = 0
    for seed in range(60):
        ap = b_matching(seed)
        if classify(ap) == "b_matching":
            seen += 1
            agree(ap, solve_bmatching(ap))
    assert seen >= 45


def test_classify() -> None:
    base = ArcProblem.build(
        n_agents=2,
        n_jobs=2,
        arc_agent=[0, 0, 1],
        arc_job=[0, 1, 1],
        arc_load=[2, 2, 3],
        levels=[Level("c", [1.0, 1.0, 1.0])],
    )
    assert classify(base) == "b_matching"
    assert classify(dataclasses.replace(base, agent_capacity=np.array([3, -1]))) == "one_to_one"
    assert classify(dataclasses.replace(base, agent_capacity=np.array([4, -1]))) == "b_matching"
    assert classify(dataclasses.replace(base, cliques=csr_from_lists([[0, 1]]))) == "one_to_one"
    assert classify(dataclasses.replace(base, cliques=csr_from_lists([[1, 2]]))) == "general"  # two agents
    mixed = dataclasses.replace(base, arc_load=np.array([1, 2, 3]), agent_capacity=np.array([5, -1]))
    assert classify(mixed) == "general"  # capacity is not a count
    assert classify(dataclasses.replace(base, job_min=np.array([1, 2]), job_max=np.array([2, 2]))) == "general"
    assert (
        classify(dataclasses.replace(base, job_group=np.array([0, 0]), group_required=np.zeros(1, bool))) == "general"
    )
    assert classify(dataclasses.replace(base, pinned=csr_from_lists([[0, 2]]))) == "general"
    assert classify(dataclasses.replace(base, capacity=csr_from_lists([[0]], [1], [0]))) == "general"
    assert classify(dataclasses.replace(base, composition=csr_from_lists([[1]], [1], [1]))) == "general"
    wide = dataclasses.replace(
        base, job_max=np.array([2, 2]), levels=(Level("c", [1.0, 1.0, 1.0], job_coef=[1.0, 0.0]),)
    )
    assert classify(wide) == "general"
    assert (
        classify(dataclasses.replace(wide, cliques=csr_from_lists([[0, 1]]), job_max=np.array([1, 1]))) == "one_to_one"
    )
    fair = Level(
        "fair", [0.0, 0.0, 0.0], "min", share_weight=1.0, share_den=[2, 2], share_agent=[0, 0, 1], share_load=[1, 1, 1]
    )
    assert classify(dataclasses.replace(base, levels=(fair,))) == "general"


def test_infeasible_and_too_wide() -> None:
    ap = ArcProblem.build(
        n_agents=1,
        n_jobs=2,
        arc_agent=[0, 0],
        arc_job=[0, 1],
        agent_capacity=[1],
        required=[True, True],
        levels=[Level("c", [1.0, 1.0])],
    )
    assert solve_assignment(ap).status == SolveStatus.INFEASIBLE
    assert solve_bmatching(ap).status == SolveStatus.INFEASIBLE
    pins = dataclasses.replace(ap, group_required=np.zeros(2, bool), pinned=csr_from_lists([[0], [1]]))
    assert solve_assignment(pins).status == SolveStatus.INFEASIBLE
    assert solve_bmatching(pins).status == SolveStatus.INFEASIBLE
    one = dataclasses.replace(pins, pinned=csr_from_lists([[1]]))
    assert solve_assignment(one).arcs.tolist() == [1] == solve_bmatching(one).arcs.tolist()
    big = [Level(name, [1e9, 1.0]) for name in "abc"]
    wide = dataclasses.replace(pins, pinned=csr_from_lists([]), levels=tuple(big))
    with pytest.raises(ValueError):
        solve_assignment(wide)
    with pytest.raises(ValueError):
        solve_bmatching(wide)


def test_large_sparse_assignment_matches_dense() -> None:
    rng = np.random.default_rng(7)
    na = nj = 300
    aa = np.repeat(np.arange(na), 8)
    jj = rng.integers(0, nj, len(aa))
    ap = ArcProblem.build(
        n_agents=na,
        n_jobs=nj,
        arc_agent=aa,
        arc_job=jj,
        agent_capacity=np.ones(na),
        levels=[Level("c", rng.integers(1, 4, len(aa))), Level("km", rng.integers(1, 100, len(aa)), "min")],
    )
    d, s, f = (solve_assignment(ap, m) for m in ("dense", "sparse", "flow"))
    assert d.values == s.values == f.values
    assert ap.check(d.arcs) == [] and ap.check(s.arcs) == [] and ap.check(f.arcs) == []


def test_repeated_pairs_keep_the_heaviest() -> None:
    ap = ArcProblem.build(
        n_agents=2,
        n_jobs=2,
        arc_agent=[0, 0, 0, 1],
        arc_job=[0, 0, 1, 1],
        agent_capacity=[1, 1],
        levels=[Level("c", [1.0, 5.0, 2.0, 1.0])],
    )
    assert classify(ap) == "one_to_one"
    for m in ("dense", "sparse", "flow"):
        sol = solve_assignment(ap, m)
        assert sol.arcs.tolist() == [1, 3] and sol.values == (6.0,)
