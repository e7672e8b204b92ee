"""Dispatch problems with one-to-one or capacity-only structure take the exact fast paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from vmatch import Location, Objective, Problem, Settings, Task, TimeWindow, Volunteer
from vmatch.solve import solve
from vmatch.verify import verify

LIN = Objective(order=("coverage", "travel"))


def _problem(seed: int, overlap: bool) -> Problem:
    rng = np.random.default_rng(seed)
    t0 = datetime(2026, 12, 5, 9, tzinfo=UTC)
    vs = tuple(
        Volunteer(
            f"v{i}", Location(30 + rng.random() / 20, 114 + rng.random() / 20), skills={"a": int(rng.integers(0, 3))}
        )
        for i in range(12)
    )
    ts = []
    for j in range(10):
        s = t0 if overlap else t0 + timedelta(hours=2 * j)
        ts.append(
            Task(
                f"t{j}",
                Location(30 + rng.random() / 20, 114 + rng.random() / 20),
                TimeWindow(s, s + timedelta(hours=1)),
                priority=int(rng.integers(1, 4)),
                skills={"a": 1} if j % 3 == 0 else {},
            )
        )
    return Problem(vs, tuple(ts), Settings(max_distance_km=4.0))


def test_one_to_one_goes_to_assignment_and_matches_cpsat() -> None:
    for seed in range(5):
        p = _problem(seed, overlap=True)  # every task at the same time: each volunteer takes one
        fast = solve(p, objective=LIN)
        slow = solve(p, objective=LIN, method="cpsat")
        assert fast.stats["solver"] != "cpsat"
        assert verify(p, fast) == []
        assert fast.breakdown["coverage"] == slow.breakdown["coverage"]
        assert abs(fast.breakdown["travel_km"] - slow.breakdown["travel_km"]) < 1e-3


def test_capacity_only_goes_to_flow_and_matches_cpsat() -> None:
    for seed in range(5):
        p = _problem(seed, overlap=False)  # no two tasks overlap: only head-counts and capacities
        fast = solve(p, objective=LIN)
        slow = solve(p, objective=LIN, method="cpsat")
        assert fast.stats["solver"] != "cpsat"
        assert verify(p, fast) == []
        assert fast.breakdown["coverage"] == slow.breakdown["coverage"]
        assert abs(fast.breakdown["travel_km"] - slow.breakdown["travel_km"]) < 1e-3
