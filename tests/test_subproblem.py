"""The incremental Restrictor builds exactly the sub-problem that restrict() builds."""

from __future__ import annotations

import numpy as np
import pytest

from vmatch.compile import compile_problem
from vmatch.generate import generate_city
from vmatch.solvers.greedy import greedy
from vmatch.solvers.subproblem import Restrictor, restrict


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    pa, pb = a.problem, b.problem
    assert np.array_equal(a.arcs, b.arcs) and np.array_equal(a.jobs, b.jobs) and np.array_equal(a.fixed, b.fixed)
    for f in (
        "arc_agent",
        "arc_job",
        "arc_load",
        "agent_capacity",
        "job_min",
        "job_max",
        "job_group",
        "group_required",
    ):
        assert np.array_equal(getattr(pa, f), getattr(pb, f)), f
    for f in ("cliques", "composition", "capacity", "pinned"):
        ra, rb = getattr(pa, f), getattr(pb, f)
        for g in ("indptr", "indices", "rhs", "owner"):
            assert np.array_equal(getattr(ra, g), getattr(rb, g)), (f, g)
    for la, lb in zip(pa.levels, pb.levels, strict=True):
        assert np.array_equal(la.coef, lb.coef)
        if la.has_share:
            assert np.array_equal(la.share_base, lb.share_base)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_restrictor_equals_restrict(seed: int) -> None:
    p = generate_city(120, 50, seed=seed, days=2)
    ap = compile_problem(p).arcs
    rng = np.random.default_rng(seed)
    chosen = greedy(ap)
    r = Restrictor(ap, chosen)
    for step in range(6):
        free = rng.random(ap.n_groups) < 0.3
        allowed = rng.random(ap.n_arcs) < 0.7 if step % 2 else None
        _same(r.restrict(free, allowed), restrict(ap, chosen, free, allowed=allowed))
        # move to another feasible solution: drop a random subset of chosen arcs
        drop = np.flatnonzero(chosen)[rng.random(int(chosen.sum())) < 0.3]
        chosen = chosen.copy()
        chosen[drop] = False
        r.move(chosen, drop if step % 2 else None)  # the arcs that changed, when told, are the only ones looked at
        assert np.array_equal(r.chosen, chosen) and np.array_equal(r.arcs, np.flatnonzero(chosen))


def test_cpsat_on_an_empty_arc_problem() -> None:
    from vmatch.arcs import ArcProblem, Level, SolveStatus
    from vmatch.solvers.cpsat import solve_cpsat

    ap = ArcProblem.build(n_agents=0, n_jobs=1, arc_agent=[], arc_job=[], levels=[Level("c", [])])
    sol = solve_cpsat(ap, time_limit=1)
    assert sol.status == SolveStatus.OPTIMAL and len(sol.arcs) == 0 and sol.values == (0.0,)


def test_try_move_accepts_feasible_and_rejects_a_collision() -> None:
    p = generate_city(120, 50, seed=3, days=2)
    ap = compile_problem(p).arcs
    chosen = greedy(ap)
    r = Restrictor(ap, chosen)
    # dropping arcs always fits
    fewer = chosen.copy()
    fewer[np.flatnonzero(chosen)[:3]] = False
    assert r.try_move(fewer)
    assert np.array_equal(r.chosen, fewer)
    # an unchosen arc that shares a clique row with a chosen arc of the same agent collides
    rows = ap.cliques
    clash = None
    for k in range(len(rows)):
        arcs = rows.row(k)
        if fewer[arcs].any() and (~fewer[arcs]).any():
            clash = int(arcs[~fewer[arcs]][0])
            break
    assert clash is not None
    before = r.restrict(np.ones(ap.n_groups, bool))
    bad = fewer.copy()
    bad[clash] = True
    assert not r.try_move(bad)
    assert np.array_equal(r.chosen, fewer)  # state restored
    _same(r.restrict(np.ones(ap.n_groups, bool)), before)
    assert not r.try_move(bad, np.array([clash]))  # the same, told which arc may have changed
    assert np.array_equal(r.chosen, fewer) and np.array_equal(r.arcs, np.flatnonzero(fewer))
    _same(r.restrict(np.ones(ap.n_groups, bool)), before)


@pytest.mark.parametrize("seed", [0, 1])
def test_lns_with_two_lanes_stays_feasible(seed: int) -> None:
    from vmatch.solve import decode
    from vmatch.solvers.lns import solve_lns
    from vmatch.verify import verify

    p = generate_city(300, 150, seed=seed, days=2)
    c = compile_problem(p)
    ap = c.arcs
    start = greedy(ap)
    sol = solve_lns(ap, time_limit=3, seed=seed, workers=2, start=start, lanes=2)
    assert ap.check(sol.arcs) == []
    assert sol.values[0] >= ap.levels[0].coef[start].sum()
    assert verify(p, decode(c, sol)) == []


def test_rows_of_arcs_is_the_incidence_transpose() -> None:
    from vmatch.arcs import csr_from_lists
    from vmatch.solvers.subproblem import incidence, rows_of_arcs

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        rows = csr_from_lists(
            [
                rng.choice(n, size=int(rng.integers(0, min(n, 5) + 1)), replace=False)
                for _ in range(int(rng.integers(0, 20)))
            ]
        )
        t = incidence(rows, n).T.tocsr()
        ptr, idx = rows_of_arcs(rows, n)
        assert np.array_equal(ptr, t.indptr) and np.array_equal(idx, t.indices)


@pytest.mark.parametrize("seed", [0, 3])
def test_scarcity_preference_ranks_agents_by_demand(seed: int) -> None:
    """Arcs of less demanded agents come first; within one agent, the levels decide."""
    from vmatch.solvers.greedy import SCARCITY_POWER, preference, scarcity_preference

    ap = compile_problem(generate_city(150, 60, seed=seed, days=2)).arcs
    key = scarcity_preference(ap)
    base = preference(ap)
    cand = np.bincount(ap.arc_job, minlength=ap.n_jobs).astype(np.float64)
    per_place = cand[ap.arc_job] / np.maximum(1, ap.job_max[ap.arc_job])
    weight = np.abs(ap.levels[0].coef) / np.maximum(1.0, per_place) ** SCARCITY_POWER
    demand = np.bincount(ap.arc_agent, weights=weight, minlength=ap.n_agents)
    d = demand[ap.arc_agent]
    i, j = np.triu_indices(min(ap.n_arcs, 400), k=1)
    lower = d[i] < d[j]
    assert lower.any() and np.all(key[i][lower] < key[j][lower])
    same = (d[i] == d[j]) & (base[i] < base[j])
    assert same.any() and np.all(key[i][same] <= key[j][same])  # (large keys may round to ties)
