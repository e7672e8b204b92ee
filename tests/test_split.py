"""Spatial decomposition: independent parts solved apart give the same optimum (issue 3)."""

from __future__ import annotations

import importlib

import pytest

from vmatch.compile import candidate_pairs, compile_problem
from vmatch.eligibility import Tables
from vmatch.generate import generate_province
from vmatch.objective import Objective
from vmatch.result import Status
from vmatch.solve import solve
from vmatch.split import part_labels, split_parts, split_problem
from vmatch.verify import verify


@pytest.mark.parametrize("seed", [0, 1])
def test_split_parts_are_independent_and_exact(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    p = generate_province(300, 150, seed=seed, days=2)
    _, _, pairs = part_labels(p)
    assert len(pairs) > 1
    parts = split_problem(p, pack=200)
    assert sum(len(x.tasks) for x in parts) == len(p.tasks)
    assert len({v.id for x in parts for v in x.volunteers}) == sum(len(x.volunteers) for x in parts)
    obj = Objective(order=("coverage", "travel"))
    whole = solve(p, time_limit=20, objective=obj, method="cpsat")
    mod = importlib.import_module("vmatch.solve")
    monkeypatch.setattr(mod, "SPLIT_PAIRS", 0)
    monkeypatch.setattr(mod, "SPLIT_PACK", 200)
    joined = solve(p, time_limit=20, objective=obj)
    assert joined.stats["parts"] > 1
    assert verify(p, joined) == []
    assert whole.status == Status.OPTIMAL and joined.status == Status.OPTIMAL
    assert joined.breakdown["coverage"] == whole.breakdown["coverage"]
    assert abs(joined.breakdown["travel_km"] - whole.breakdown["travel_km"]) < 1e-6
    assert set(joined.unassigned) == set(whole.unassigned)
    for tid, s in whole.unassigned.items():
        assert joined.unassigned[tid].missing == s.missing


@pytest.mark.parametrize("pack", [0, 200, 10**9])
def test_split_parts_carry_each_parts_own_candidate_pairs(pack: int) -> None:
    """The pairs a split hands to each part are exactly those the part's compile would search for,
    so each part's arc problem is the same either way."""
    p = generate_province(300, 150, seed=2, days=2)
    parts = split_parts(p, pack=pack)
    assert sum(x.n_pairs for x in parts) == len(candidate_pairs(Tables(p))[0])
    assert len(parts) >= (2 if pack < 10**9 else 1)
    for part in parts:
        tb = Tables(part.problem)
        v, t = candidate_pairs(tb)
        assert len(part.volunteer) == part.n_pairs
        given_pairs = zip(part.volunteer.tolist(), part.task.tolist(), strict=True)
        assert sorted(zip(v.tolist(), t.tolist(), strict=True)) == sorted(given_pairs)
        own = compile_problem(part.problem).arcs
        given = compile_problem(part.problem, pairs=part.pairs).arcs
        assert own.n_arcs == given.n_arcs
        key = sorted(zip(own.arc_agent.tolist(), own.arc_job.tolist(), strict=True))
        assert key == sorted(zip(given.arc_agent.tolist(), given.arc_job.tolist(), strict=True))


def test_parts_share_the_search_time_concavely_within_the_limit() -> None:
    """Parts solved one after another, each using its whole limit: a part with 16 times the pairs
    gets 16 ** PART_TIME_EXPONENT (5.3) times the search time, not 16 times, and the limits
    together fill the time they were given (compile estimates included)."""
    mod = importlib.import_module("vmatch.solve")
    assert 0.0 < mod.PART_TIME_EXPONENT < 1.0
    sizes = [1_600_000.0] + [100_000.0] * 9
    weights = [n**mod.PART_TIME_EXPONENT for n in sizes]
    for rate in (0.0, 2e-6):
        left, left_size, left_weight = 200.0, sum(sizes), sum(weights)
        got = []
        for n, w in zip(sizes, weights, strict=True):
            t = mod.part_time(left, rate, n, left_size, w, left_weight)
            got.append(t)
            left -= t * 0.95  # a part uses 95 % of its limit
            left_size -= n
            left_weight -= w
        search = [t * 0.95 - rate * n for t, n in zip(got, sizes, strict=True)]
        assert search[0] / search[1] == pytest.approx(16**mod.PART_TIME_EXPONENT, rel=1e-9)
        assert search[1] == pytest.approx(search[-1], rel=1e-9)
        assert 0.95 * sum(got) == pytest.approx(200.0, rel=1e-9)
    assert mod.part_time(0.0, 0.0, 1.0, 1.0, 1.0, 1.0) == 0.5  # no time left: the floor
