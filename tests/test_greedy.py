"""The greedy start: feasibility and the order in which it fills groups."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from strategies import small_arc_problems
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
@given(small_arc_problems())
def test_greedy_is_feasible_with_teams_and_conflicts(ap: ArcProblem) -> None:
    chosen = greedy(ap)
    assert ap.check(np.flatnonzero(chosen)) == []
