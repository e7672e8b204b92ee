"""LNS: the ejection-chain neighbourhood and the shortlist that keeps composition candidates."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import small_arc_problems
from vmatch.arcs import ArcProblem, Level, csr_from_lists
from vmatch.compile import compile_problem
from vmatch.generate import generate_city
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.lns import _chain, solve_lns
from vmatch.verify import verify


def _groups_agents(ap: ArcProblem) -> list[np.ndarray]:
    g = ap.job_group[ap.arc_job]
    return [np.unique(ap.arc_agent[g == k]) for k in range(ap.n_groups)]


def test_chain_follows_the_candidates_to_the_groups_they_hold() -> None:
    # group 0: only agent 0; agent 0 holds group 1; group 1 could also be agent 1's, who holds group 2;
    # agent 2 holds group 3, which no agent of the chain could serve
    ap = ArcProblem.build(
        n_agents=3, n_jobs=4, arc_agent=[0, 0, 1, 1, 2], arc_job=[0, 1, 1, 2, 3], levels=[Level("c", [1.0] * 5)]
    )
    held = np.flatnonzero([False, True, False, True, True])  # the chosen arcs
    rng = np.random.default_rng(0)
    ones = np.ones(ap.n_groups, np.int64)
    none = np.zeros(ap.n_groups, bool)
    free = _chain(ap, rng, 0, 100, held, _groups_agents(ap), ones, none)
    assert np.flatnonzero(free).tolist() == [0, 1, 2]
    # a group another lane holds is left out, and the chain stops at the budget
    taken = none.copy()
    taken[2] = True
    assert np.flatnonzero(_chain(ap, rng, 0, 100, held, _groups_agents(ap), ones, taken)).tolist() == [0, 1]
    assert np.flatnonzero(_chain(ap, rng, 0, 1, held, _groups_agents(ap), ones, none)).tolist() == [0]
    # several seeds: each is freed, with the groups its candidates hold
    assert np.flatnonzero(_chain(ap, rng, 3, 100, held, _groups_agents(ap), ones, none, [1])).tolist() == [1, 2, 3]
    assert np.flatnonzero(_chain(ap, rng, 3, 100, held, _groups_agents(ap), ones, none, [3])).tolist() == [3]


def test_lns_frees_a_scarce_candidate_held_far_away() -> None:
    # job 0 (worth 3) has one candidate, agent 0, who holds job 1 (worth 1) at the same time;
    # agent 1 could take job 1 instead: the optimum moves agent 0 and fills both (4)
    ap = ArcProblem.build(
        n_agents=2,
        n_jobs=2,
        arc_agent=[0, 0, 1],
        arc_job=[0, 1, 1],
        cliques=csr_from_lists([[0, 1]]),
        levels=[Level("c", [3.0, 1.0, 1.0])],
    )
    start = np.array([False, True, False])
    sol = solve_lns(ap, time_limit=2, start=start, lanes=1)
    assert sorted(sol.arcs.tolist()) == [0, 2] and sol.values == (4.0,)


def test_lns_on_a_city_reaches_the_optimum_and_passes_verify() -> None:
    from vmatch.solve import decode
    from vmatch.solvers.greedy import greedy
    from vmatch.solvers.lns import lex_key

    c = compile_problem(generate_city(200, 80, seed=0, days=2))
    ap = c.arcs
    opt = solve_cpsat(ap, time_limit=30, workers=2)
    assert opt.status.value == "OPTIMAL"
    start = greedy(ap)
    assert lex_key(ap, start)[0] < opt.values[0] - 5  # the greedy start is well short of it
    sol = solve_lns(ap, time_limit=6, lanes=1, seed=1, start=start)
    assert ap.check(sol.arcs, sol.served_jobs) == []
    assert verify(c.problem, decode(c, sol)) == []
    assert sol.values[0] == opt.values[0]


@settings(max_examples=25, deadline=None)
@given(small_arc_problems(), st.data())
def test_lns_seeded_by_any_lp_values_stays_feasible(ap: ArcProblem, data: st.DataObject) -> None:
    """Whatever LP values per group the search is given (some unknown), its parts, hot seeds and
    chains from several of them keep every arc-level rule, and it never ends below its start."""
    from vmatch.solvers.greedy import greedy

    vals = data.draw(
        st.lists(st.one_of(st.just(float("nan")), st.floats(0, 6)), min_size=ap.n_groups, max_size=ap.n_groups)
    )
    lp = np.array(vals, np.float64)
    start = greedy(ap)
    sol = solve_lns(ap, time_limit=0.3, start=start, lanes=1, seed=data.draw(st.integers(0, 9)), group_lp=lambda: lp)
    assert ap.check(sol.arcs) == []
    assert sol.values[0] >= float(ap.levels[0].coef[start].sum())


def test_long_runs_report_progress(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging
    import re

    import vmatch.solvers.lns as lns
    from vmatch.solvers.greedy import greedy
    from vmatch.solvers.lns import lex_key

    monkeypatch.setattr(lns, "PROGRESS_SECONDS", 0.4)
    ap = compile_problem(generate_city(200, 80, seed=0, days=2)).arcs
    start = greedy(ap)
    with caplog.at_level(logging.INFO, logger="vmatch"):
        sol = solve_lns(ap, time_limit=2.5, lanes=1, seed=1, start=start, bound=lambda: (400.0,))
    # the parts' own level lines stay at DEBUG: the progress lines are what a user reads
    assert not [r for r in caplog.records if r.name == "vmatch.solvers.cpsat" and r.levelno >= logging.INFO]
    pat = re.compile(r"^lns: (\d+)s, (\d+) parts, (\d+) better: coverage ([\d.]+) \(bound 400, gap ([\d.]+)%\)$")
    lines = [m for r in caplog.records if (m := pat.match(r.getMessage()))]
    assert len(lines) >= 3, [r.getMessage() for r in caplog.records]
    values = [float(m.group(4)) for m in lines]
    assert values == sorted(values) and lex_key(ap, start)[0] <= values[0] and values[-1] <= sol.values[0]
    assert [int(m.group(2)) for m in lines] == sorted(int(m.group(2)) for m in lines)
    v = values[-1]
    assert float(lines[-1].group(5)) == round(100 * (400 - v) / 400, 2)
