"""The greedy start: feasibility and the order in which it fills groups."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vmatch.arcs import ArcProblem, Level, csr_from_lists
from vmatch.solvers.greedy import greedy


def _team_and_plain() -> ArcProblem:
    # job 0: a plain task whose only candidate is agent 0; job 1: a team of two (agents 0 and 1)
    # that needs agent 0 (the only first-aider); agent 0 cannot do both (same time)
    return ArcProblem.build(
        n_agents=2,
        n_jobs=2,
        arc_agent=[0, 0, 1],
        arc_job=[0, 1, 1],
        job_min=[1, 2],
        job_max=[1, 2],
        cliques=csr_from_lists([[0, 1]]),
        composition=csr_from_lists([[1]], rhs=[1], owner=[1]),
        levels=[Level("coverage", [1.0, 1.0, 1.0])],
    )


def test_teams_with_a_composition_row_are_filled_first() -> None:
    ap = _team_and_plain()
    chosen = greedy(ap)
    assert np.flatnonzero(chosen).tolist() == [1, 2]  # the team, not the plain task (2 places, not 1)
    assert ap.check(np.flatnonzero(chosen)) == []
    # an explicit order is followed: the plain task first leaves the team without its first-aider
    assert np.flatnonzero(greedy(ap, order=np.array([0, 1]))).tolist() == [0]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_greedy_is_feasible_with_teams_and_conflicts(data: st.DataObject) -> None:
    n_agents = data.draw(st.integers(1, 5))
    n_jobs = data.draw(st.integers(1, 5))
    pair = st.tuples(st.integers(0, n_agents - 1), st.integers(0, n_jobs - 1))
    pairs = data.draw(st.lists(pair, min_size=1, max_size=15, unique=True))
    aa = [a for a, _ in pairs]
    jj = [j for _, j in pairs]
    jmax = data.draw(st.lists(st.integers(1, 3), min_size=n_jobs, max_size=n_jobs))
    jmin = [data.draw(st.integers(1, m)) for m in jmax]
    # one clique per agent over two of its arcs, when it has two
    cl = []
    for a in range(n_agents):
        mine = [i for i, x in enumerate(aa) if x == a]
        if len(mine) >= 2:
            cl.append(mine[:2])
    # a composition row on the first job: one of its first two arcs
    first = [i for i, j in enumerate(jj) if j == 0][:2]
    comp = csr_from_lists([first], rhs=[1], owner=[0]) if first else None
    ap = ArcProblem.build(
        n_agents=n_agents,
        n_jobs=n_jobs,
        arc_agent=aa,
        arc_job=jj,
        job_min=jmin,
        job_max=jmax,
        cliques=csr_from_lists(cl) if cl else None,
        composition=comp,
        levels=[Level("coverage", [1.0] * len(aa))],
    )
    chosen = greedy(ap)
    assert ap.check(np.flatnonzero(chosen)) == []
