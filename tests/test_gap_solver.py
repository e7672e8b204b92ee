"""Tests of the GAP solver on OR-Library instances and small hand-made cases."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from vmatch.arcs import ArcProblem, Level, SolveStatus, csr_from_lists
from vmatch.io.orlib import read_assign, read_gap
from vmatch.solvers.gap import solve_gap

DATA = Path(__file__).parent / "data" / "gap"
KNOWN = {r["instance"]: r for r in csv.DictReader((DATA / "known_values_gap.csv").open())}


def _load(name: str) -> ArcProblem:
    r = KNOWN[name]
    got = read_gap(DATA / r["file"], int(r["problem"]) - 1 if r["problem"] else None)
    assert isinstance(got, ArcProblem)
    return got


def _check(ap: ArcProblem, sol_arcs: np.ndarray, value: float) -> None:
    assert ap.check(sol_arcs) == []
    assert len(sol_arcs) == ap.n_jobs
    assert ap.levels[0].value(sol_arcs) == value  # the reported value is the recomputed one


# all 60 problems of gap1-12 (about 8 s in total on 2 busy cores)
ORLIB_ALL = [f"gap{i}-{k}" for i in range(1, 13) for k in range(5)]


@pytest.mark.parametrize("name", ORLIB_ALL)
def test_orlib_gap_proven_optimal(name: str) -> None:
    ap = _load(name)
    opt = float(KNOWN[name]["min_optimum"])
    sol = solve_gap(ap, time_limit=20)
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.values[0] == opt
    assert sol.bounds[0] == opt
    _check(ap, sol.arcs, opt)
    assert sol.served_jobs.tolist() == list(range(ap.n_jobs))


def test_max_sense_matches_orlib_published_maximum() -> None:
    ap = _load("gap1-0")
    lv = ap.levels[0]
    ap_max = replace(ap, levels=(Level("profit", lv.coef, "max"),))
    sol = solve_gap(ap_max, time_limit=20)
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.values[0] == sol.bounds[0] == float(KNOWN["gap1-0"]["max_optimum_orlib"]) == 336.0
    _check(ap_max, sol.arcs, 336.0)


# c10200 and b10200 get the 10 s (4 s fails on a busy machine)
@pytest.mark.parametrize(
    ("name", "limit", "tol"),
    [("b10100", 5, 0.001), ("a20200", 5, 0.001), ("c05100", 5, 0.001), ("c10200", 10, 0.001), ("b10200", 10, 0.001)],
)
def test_chu_beasley_instances_near_optimal(name: str, limit: float, tol: float) -> None:
    ap = _load(name)
    opt = float(KNOWN[name]["min_optimum"])
    sol = solve_gap(ap, time_limit=limit, seed=1)
    assert sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    _check(ap, sol.arcs, sol.values[0])
    assert opt <= sol.values[0] <= opt * (1 + tol)
    assert sol.bounds[0] <= opt  # a bound never passes the proven optimum
    assert sol.bounds[0] >= float(sol.stats["lp_bound"]) - 1e-9


def test_large_path_single_worker_and_sparse_arcs() -> None:
    ap = _load("a10200")
    rng = np.random.default_rng(3)
    keep = np.flatnonzero(rng.random(ap.n_arcs) < 0.7)  # drop 30% of the arcs
    sparse = ArcProblem.build(
        n_agents=ap.n_agents,
        n_jobs=ap.n_jobs,
        arc_agent=ap.arc_agent[keep],
        arc_job=ap.arc_job[keep],
        arc_load=ap.arc_load[keep],
        agent_capacity=ap.agent_capacity,
        required=ap.group_required,
        levels=[Level("cost", ap.levels[0].coef[keep], "min")],
    )
    assert sparse.n_arcs > 1200  # the LP + LNS path, not the small full model
    sol = solve_gap(sparse, time_limit=3, workers=1)
    assert sol.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    _check(sparse, sol.arcs, sol.values[0])
    assert sol.bounds[0] <= sol.values[0]
    assert sol.values[0] >= float(KNOWN["a10200"]["min_optimum"])  # fewer arcs: never cheaper


def _tiny(cap: list[int], loads: list[int], costs: list[float] | None = None, scale: float = 1.0) -> ArcProblem:
    m, n = len(cap), len(loads) // len(cap)
    return ArcProblem.build(
        n_agents=m,
        n_jobs=n,
        arc_agent=np.repeat(np.arange(m), n),
        arc_job=np.tile(np.arange(n), m),
        arc_load=loads,
        agent_capacity=cap,
        required=[True] * n,
        levels=[Level("cost", costs if costs is not None else [1.0] * len(loads), "min", scale)],
    )


def test_infeasible_is_proven() -> None:
    # LP-feasible (total load 6 = total capacity) but no integer solution: 3 jobs of load 2, 2 agents of 3
    sol = solve_gap(_tiny([3, 3], [2, 2, 2, 2, 2, 2]), time_limit=5)
    assert sol.status is SolveStatus.INFEASIBLE and len(sol.arcs) == 0
    # LP-infeasible
    assert solve_gap(_tiny([1, 1], [2, 2, 2, 2]), time_limit=5).status is SolveStatus.INFEASIBLE
    # a job without arcs
    ap = ArcProblem.build(
        n_agents=1,
        n_jobs=2,
        arc_agent=[0],
        arc_job=[0],
        agent_capacity=[5],
        required=[True, True],
        levels=[Level("cost", [1.0], "min")],
    )
    assert solve_gap(ap, time_limit=5).status is SolveStatus.INFEASIBLE


def test_fractional_costs_are_never_claimed_optimal() -> None:
    ap = _tiny([4, 4], [2, 2, 2, 2], [1.5, 2.25, 3.0, 1.0])
    sol = solve_gap(ap, time_limit=5)
    assert sol.status is SolveStatus.FEASIBLE
    assert sol.values[0] == 2.5  # job 0 -> agent 0 (1.5), job 1 -> agent 1 (1.0)
    assert sol.bounds[0] <= 2.5
    scaled = _tiny([4, 4], [2, 2, 2, 2], [1.5, 2.25, 3.0, 1.0], scale=4.0)
    sol = solve_gap(scaled, time_limit=5)
    assert sol.status is SolveStatus.OPTIMAL and sol.values[0] == sol.bounds[0] == 2.5


def test_empty_problem_and_no_capacity_limit() -> None:
    empty = ArcProblem.build(n_agents=1, n_jobs=0, arc_agent=[], arc_job=[], levels=[Level("c", [], "min")])
    sol = solve_gap(empty)
    assert sol.status is SolveStatus.OPTIMAL and sol.values == (0.0,)
    free = _tiny([-1, 2], [5, 5, 2, 2], [3.0, 3.0, 1.0, 1.0])
    sol = solve_gap(free, time_limit=5)
    assert sol.status is SolveStatus.OPTIMAL and sol.values[0] == 4.0  # agent 1 takes one job only


def test_refuses_non_gap_problems() -> None:
    ap = _tiny([4, 4], [1, 1, 1, 1])
    with pytest.raises(ValueError, match="job_min"):
        solve_gap(replace(ap, job_max=np.array([2, 1])))
    with pytest.raises(ValueError, match="clique"):
        solve_gap(replace(ap, cliques=csr_from_lists([[0, 1]])))
    with pytest.raises(ValueError, match="required"):
        solve_gap(replace(ap, group_required=np.array([True, False])))
    with pytest.raises(ValueError, match="level"):
        solve_gap(replace(ap, levels=()))


def test_linear_assignment_file_through_the_gap_solver(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    c = rng.integers(1, 100, size=(12, 12))
    f = tmp_path / "assign12.txt"
    f.write_text("12\n" + "\n".join(" ".join(map(str, row)) for row in c))
    ap = read_assign(f)
    sol = solve_gap(ap, time_limit=10)
    r, k = linear_sum_assignment(c)
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.values[0] == float(c[r, k].sum())
    _check(ap, sol.arcs, sol.values[0])


def test_construction_without_lp_and_repair_of_unplaced_jobs() -> None:
    import time

    from vmatch.solvers._gap_cpsat import construct
    from vmatch.solvers._gap_data import GapData, lagrangian, lp_relax
    from vmatch.solvers._gap_search import State, repair

    g = GapData.from_arc_problem(_load("c10100"))
    bound0, rc0 = lagrangian(g, np.zeros(g.m))
    assert bound0 <= lp_relax(g).bound <= float(KNOWN["c10100"]["min_optimum"])
    greedy = construct(g, np.zeros(g.n_arcs), rc0)  # regret greedy from scratch (no LP solution)
    placed = greedy >= 0
    assert placed.sum() >= 0.7 * g.n  # cost-only regret on a tight type C instance
    assert np.all(g.usage(greedy) <= g.cap)
    partial = greedy.copy()
    partial[np.flatnonzero(placed)[::3]] = -1  # unplace a third of the jobs as well
    st = State(g, time.monotonic() + 10, workers=1, seed=0, log=False)
    st.lp = lp_relax(g)
    fixed = repair(st, partial, np.random.default_rng(0))
    assert g.feasible(fixed)


def test_bench_suite_row_and_research_file(tmp_path: Path) -> None:
    import io

    from vmatch.bench import run_suite, solve_research_file, suite_instances

    assert [i.name for i in suite_instances("gap-large")][-1] == "c801600"
    assert not suite_instances("gap-large")[-1].known_is_optimum  # a best-known value only
    log = io.StringIO()
    res = run_suite("gap-orlib", time_limit=3, progress=True, out_dir=tmp_path, only=["gap2-1"], stream=log)
    (row,) = res["rows"]
    assert row["known"] == 269.0 and row["ours_value"] == 269.0 and row["ours_gap_pct"] == 0.0
    assert row["cpsat_value"] == 269.0 and row["highs_value"] == 269.0  # both baselines solve it too
    assert res["summary"]["ours"]["proven_optimal"] == 1
    text = (tmp_path / "gap-orlib.csv").read_text().splitlines()
    assert len(text) == 2 and text[1].startswith("gap-orlib,gap2-1,5,20,269.0,True")
    assert "1/1 gap2-1" in log.getvalue()
    out = solve_research_file(DATA / "orlib" / "gap2.txt", "gap", problem=2, time_limit=5)
    assert out["status"] == "OPTIMAL" and out["objective"] == 269.0 and len(out["agent_of_job"]) == 20
    ap = _load("gap2-1")
    arcs = np.array([a * ap.n_jobs + j for j, a in enumerate(out["agent_of_job"])])
    assert ap.check(arcs) == [] and ap.levels[0].value(arcs) == 269.0
    f = tmp_path / "assign3.txt"
    f.write_text("3\n1 1 4\n1 2 1\n2 1 2\n2 3 5\n3 2 3\n3 3 6\n")
    out = solve_research_file(f, "assign", time_limit=5)
    assert out["status"] == "OPTIMAL" and out["objective"] == 1 + 2 + 6 and out["agent_of_job"] == [1, 0, 2]


def test_city_small_suite_rows_csv_and_verify(tmp_path: Path) -> None:
    import csv
    import io

    from vmatch.bench import run_suite
    from vmatch.bench_city import CITY_SMALL

    log = io.StringIO()
    res = run_suite("city-small", time_limit=1, out_dir=tmp_path, stream=log)
    rows = res["rows"]
    assert [r["instance"] for r in rows] == [f"{v}x{t}" for v, t, _ in CITY_SMALL]
    for r in rows:
        assert r["ours_violations"] == 0
        assert 0 < r["ours_coverage"] <= r["best_bound"] + 1e-9
        assert r["best_bound"] <= r["ours_bound"] + 1e-9
        assert 0.0 <= r["ours_gap_pct"] <= 100.0
    with Path(res["csv"]).open() as fh:
        assert len(list(csv.DictReader(fh))) == len(CITY_SMALL)
    assert log.getvalue().count("[") >= len(CITY_SMALL)  # a progress line per instance
