"""Benchmark suites on public instances, with baselines measured in the same run.

Suites (OR-Library GAP data in ``tests/data/gap``, or the folder named by the environment
variable ``VMATCH_BENCH_DATA``):

* ``gap-orlib``: gap1-gap12 (60 problems, proven optima) and types A, B, C of 5-20 agents
  x 100-200 jobs (18 problems); default limit 10 s per solve;
* ``gap-large``: the 9 large type-C problems c10400 ... c801600; default limit 20 s.

Every instance is solved by :func:`vmatch.solvers.gap.solve_gap` and, unless
``baselines=False``, by a plain CP-SAT model (same limit, same workers) and by HiGHS
(:func:`scipy.optimize.milp`, same limit). Rows go to a CSV; a summary compares the gaps
to the best-known values; a PNG plot (matplotlib, optional) shows the gap per instance.

Examples
--------
>>> [i.name for i in suite_instances("gap-large")][:3]
['c10400', 'c20400', 'c40400']
>>> len(suite_instances("gap-orlib"))
78
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from vmatch.arcs import ArcProblem, ArcSolution, SolveStatus
from vmatch.errors import FormatError
from vmatch.io.orlib import read_assign, read_gap

__all__ = [
    "Instance",
    "baseline_cpsat",
    "baseline_highs",
    "format_summary",
    "plot_gaps",
    "run_suite",
    "solve_research_file",
    "suite_instances",
    "summarize",
]

SUITES = {"gap-orlib": 10.0, "gap-large": 20.0}  # suite -> default seconds per solve
COLUMNS = [
    "suite",
    "instance",
    "m",
    "n",
    "known",
    "known_is_optimum",
    "time_limit",
    "ours_status",
    "ours_value",
    "ours_bound",
    "ours_gap_pct",
    "ours_seconds",
    "cpsat_status",
    "cpsat_value",
    "cpsat_bound",
    "cpsat_gap_pct",
    "cpsat_seconds",
    "highs_status",
    "highs_value",
    "highs_bound",
    "highs_gap_pct",
    "highs_seconds",
]


@dataclass(frozen=True, slots=True)
class Instance:
    """One benchmark instance: a file, a 0-based problem index (multi-problem files) and its known value."""

    name: str
    path: Path
    problem: int | None
    known: float  # proven minimum, or the best known value
    known_is_optimum: bool
    m: int
    n: int

    def load(self) -> ArcProblem:
        """Read the instance."""
        got = read_gap(self.path, self.problem)
        assert isinstance(got, ArcProblem)
        return got


def _data_dir() -> Path:
    env = os.environ.get("VMATCH_BENCH_DATA")
    d = Path(env) if env else Path(__file__).resolve().parents[2] / "tests" / "data" / "gap"
    if not (d / "known_values_gap.csv").is_file():
        raise FileNotFoundError(
            f"benchmark data not found in {d} (set VMATCH_BENCH_DATA to the folder holding known_values_gap.csv)"
        )
    return d


def suite_instances(name: str, data_dir: Path | None = None) -> list[Instance]:
    """The instances of suite ``name`` ("gap-orlib" or "gap-large")."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    d = data_dir or _data_dir()
    out = []
    with (d / "known_values_gap.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            large = r["file"].startswith("large/")
            if large != (name == "gap-large"):
                continue
            opt = r["min_optimum"]
            out.append(
                Instance(
                    r["instance"],
                    d / r["file"],
                    int(r["problem"]) - 1 if r["problem"] else None,
                    float(opt or r["min_best_known"]),
                    bool(opt),
                    int(r["m"]),
                    int(r["n"]),
                )
            )
    return out


def _arcs_value(ap: ArcProblem, arcs: np.ndarray) -> float:
    return ap.levels[0].value(arcs) if len(arcs) and not ap.check(arcs) else math.nan


def baseline_cpsat(ap: ArcProblem, time_limit: float, workers: int = 2, seed: int = 0) -> ArcSolution:
    """A plain CP-SAT model of the GAP (no LP, no hint, no LNS of ours)."""
    from vmatch.solvers._gap_cpsat import solve_sub
    from vmatch.solvers._gap_data import GapData

    t0 = time.perf_counter()
    g = GapData.from_arc_problem(ap)
    r = solve_sub(g, np.arange(g.n_arcs), np.arange(g.n), g.cap, time_limit=time_limit, workers=workers, seed=seed)
    arcs = np.sort(r.assign) if len(r.assign) else np.zeros(0, np.int64)
    status = SolveStatus(r.status) if r.status in SolveStatus.__members__ else SolveStatus.UNKNOWN
    return ArcSolution(
        status,
        arcs,
        np.arange(ap.n_jobs),
        (_arcs_value(ap, arcs),),
        (g.to_level(r.bound),),
        time.perf_counter() - t0,
        "cpsat-plain",
    )


def baseline_highs(ap: ArcProblem, time_limit: float) -> ArcSolution:
    """HiGHS branch-and-cut on the GAP's integer program (:func:`scipy.optimize.milp`)."""
    t0 = time.perf_counter()
    lv = ap.levels[0]
    sign = 1.0 if lv.sense == "min" else -1.0
    idx = np.arange(ap.n_arcs)
    a_eq = sp.csr_matrix((np.ones(ap.n_arcs), (ap.arc_job, idx)), shape=(ap.n_jobs, ap.n_arcs))
    a_ub = sp.csr_matrix((ap.arc_load.astype(float), (ap.arc_agent, idx)), shape=(ap.n_agents, ap.n_arcs))
    cap = np.where(ap.agent_capacity >= 0, ap.agent_capacity, np.inf)
    res = milp(
        sign * lv.coef,
        integrality=np.ones(ap.n_arcs),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(a_eq, 1, 1), LinearConstraint(a_ub, -np.inf, cap)],
        options={"time_limit": float(time_limit), "mip_rel_gap": 0.0},
    )
    arcs = np.flatnonzero(res.x > 0.5) if res.x is not None else np.zeros(0, np.int64)
    value = _arcs_value(ap, arcs)
    dual = getattr(res, "mip_dual_bound", None)
    bound = sign * float(dual) if dual is not None else math.nan
    status = {0: SolveStatus.OPTIMAL, 2: SolveStatus.INFEASIBLE}.get(
        res.status, SolveStatus.FEASIBLE if math.isfinite(value) else SolveStatus.UNKNOWN
    )
    return ArcSolution(status, arcs, np.arange(ap.n_jobs), (value,), (bound,), time.perf_counter() - t0, "highs")


def _gap_pct(value: float, known: float) -> float:
    return 100.0 * (value - known) / abs(known) if math.isfinite(value) and known else math.nan


def _fields(prefix: str, sol: ArcSolution, known: float) -> dict[str, Any]:
    return {
        f"{prefix}_status": sol.status.value,
        f"{prefix}_value": sol.values[0],
        f"{prefix}_bound": sol.bounds[0],
        f"{prefix}_gap_pct": _gap_pct(sol.values[0], known),
        f"{prefix}_seconds": round(sol.wall_seconds, 3),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and max gaps, optimal counts, and ours-vs-baseline ratios over a suite's rows."""
    out: dict[str, Any] = {"instances": len(rows)}
    for p in ("ours", "cpsat", "highs"):
        gaps = np.array([r.get(f"{p}_gap_pct", math.nan) for r in rows], dtype=float)
        if np.all(np.isnan(gaps)):
            continue
        solved = np.isfinite(gaps)
        out[p] = {
            "solved": int(solved.sum()),
            "mean_gap_pct": float(np.mean(gaps[solved])) if solved.any() else math.nan,
            "max_gap_pct": float(np.max(gaps[solved])) if solved.any() else math.nan,
            "at_known": int(np.sum(gaps[solved] <= 1e-9)),
            "proven_optimal": sum(r[f"{p}_status"] == "OPTIMAL" for r in rows),
            "seconds": float(sum(r[f"{p}_seconds"] for r in rows)),
        }
        if p != "ours" and "ours" in out:
            ours = np.array([r["ours_gap_pct"] for r in rows], dtype=float)
            both = np.isfinite(ours) & solved
            out[p]["ours_better"] = int(np.sum(ours[both] < gaps[both] - 1e-9) + np.sum(np.isfinite(ours) & ~solved))
            out[p]["ours_worse"] = int(np.sum(ours[both] > gaps[both] + 1e-9) + np.sum(~np.isfinite(ours) & solved))
            m_b = out[p]["mean_gap_pct"]
            out[p]["mean_gap_ratio_ours_over_it"] = out["ours"]["mean_gap_pct"] / m_b if m_b else math.nan
            out[p]["time_ratio_ours_over_it"] = out["ours"]["seconds"] / out[p]["seconds"]
    return out


def format_summary(name: str, summary: dict[str, Any]) -> str:
    """The summary as a few readable lines."""
    lines = [f"{name}: {summary['instances']} instances"]
    for p in ("ours", "cpsat", "highs"):
        if p not in summary:
            continue
        s = summary[p]
        line = (
            f"  {p:<5} mean gap {s['mean_gap_pct']:.3f}%  max {s['max_gap_pct']:.3f}%  at best known "
            f"{s['at_known']}/{summary['instances']}  proven {s['proven_optimal']}  {s['seconds']:.1f}s"
        )
        if p != "ours":
            line += (
                f"  | ours better on {s['ours_better']}, worse on {s['ours_worse']}; "
                f"mean-gap ratio ours/{p} {s['mean_gap_ratio_ours_over_it']:.3f}, "
                f"time ratio {s['time_ratio_ours_over_it']:.2f}"
            )
        lines.append(line)
    return "\n".join(lines)


def run_suite(
    name: str,
    time_limit: float | None = None,
    out_csv: str | Path | None = None,
    progress: bool = True,
    *,
    out_dir: str | Path | None = None,
    baselines: bool = True,
    seed: int = 0,
    workers: int = 2,
    data_dir: Path | None = None,
    only: list[str] | None = None,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Run a suite; write the rows to ``out_csv`` (or ``out_dir/<suite>.csv`` plus a PNG plot).

    Returns ``{"rows": [...], "summary": {...}, "csv": path or None, "png": path or None}``.
    ``only`` restricts the run to the named instances. Progress lines go to ``stream``
    (standard error) when ``progress`` is true.
    """
    from vmatch.solvers.gap import solve_gap

    if name == "city-small":
        from vmatch.bench_city import run_city_suite

        if out_csv is None and out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            out_csv = Path(out_dir) / f"{name}.csv"
        return run_city_suite(time_limit, out_csv, progress, workers=workers, stream=stream)
    tl = SUITES.get(name, 10.0) if time_limit is None else float(time_limit)
    inst = suite_instances(name, data_dir)
    if only:
        inst = [i for i in inst if i.name in set(only)]
    if out_csv is None and out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        out_csv = Path(out_dir) / f"{name}.csv"
    err = stream or sys.stderr
    rows: list[dict[str, Any]] = []
    for k, it in enumerate(inst):
        ap = it.load()
        row: dict[str, Any] = {
            "suite": name,
            "instance": it.name,
            "m": it.m,
            "n": it.n,
            "known": it.known,
            "known_is_optimum": it.known_is_optimum,
            "time_limit": tl,
        }
        row.update(_fields("ours", solve_gap(ap, time_limit=tl, seed=seed, workers=workers), it.known))
        if baselines:
            row.update(_fields("cpsat", baseline_cpsat(ap, tl, workers, seed), it.known))
            row.update(_fields("highs", baseline_highs(ap, tl), it.known))
        rows.append(row)
        if progress:
            bar = "#" * (20 * (k + 1) // len(inst))
            base = f" | cpsat {row['cpsat_gap_pct']:.3f}% highs {row['highs_gap_pct']:.3f}%" if baselines else ""
            print(
                f"[{bar:<20}] {k + 1}/{len(inst)} {it.name}: ours {row['ours_value']:g} "
                f"({row['ours_gap_pct']:.3f}%, {row['ours_status']}, {row['ours_seconds']:.1f}s){base}",
                file=err,
                flush=True,
            )
    summary = summarize(rows)
    png = None
    if out_csv is not None:
        with Path(out_csv).open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        png = plot_gaps(rows, Path(out_csv).with_suffix(".png"), title=f"{name}, {tl:g} s per solve")
    if progress:
        print(format_summary(name, summary), file=err, flush=True)
    return {"rows": rows, "summary": summary, "csv": out_csv, "png": png}


def plot_gaps(rows: list[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """A PNG of the gap to the best-known value per instance (None when matplotlib is absent)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 0.18 * len(rows) + 2), 4))
    x = np.arange(len(rows))
    for p, mark in (("ours", "o"), ("cpsat", "s"), ("highs", "^")):
        if f"{p}_gap_pct" in rows[0]:
            y = np.array([r[f"{p}_gap_pct"] for r in rows], dtype=float)
            ax.plot(x, y, mark, label=p, alpha=0.8)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_xticks(x, [r["instance"] for r in rows], rotation=90, fontsize=6)
    ax.set_ylabel("gap to best known (%)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def solve_research_file(
    path: str | Path, fmt: str, problem: int = 1, time_limit: float = 10.0, seed: int = 0, workers: int | None = None
) -> dict[str, Any]:
    """Solve an OR-Library file (``fmt`` "gap", or "assign") and return a JSON-ready summary.

    ``problem`` is 1-based (OR-Library's numbering) for multi-problem GAP files (1 for a
    single-problem file); FormatError when out of range.
    ``agent_of_job`` lists the 0-based agent chosen for every job.
    """
    if fmt == "gap":
        got = read_gap(path)
        count = len(got) if isinstance(got, list) else 1
        if not 1 <= problem <= count:
            raise FormatError(f"{path}: problem {problem} out of range 1..{count}")
        ap = got[problem - 1] if isinstance(got, list) else got
    elif fmt == "assign":
        ap = read_assign(path)
    else:
        raise ValueError(f"unknown research format {fmt!r}: expected 'gap' or 'assign'")
    from vmatch.solvers.gap import solve_gap

    sol = solve_gap(ap, time_limit=time_limit, seed=seed, workers=workers)
    agent = np.full(ap.n_jobs, -1, np.int64)
    agent[ap.arc_job[sol.arcs]] = ap.arc_agent[sol.arcs]
    return {
        "name": ap.meta.get("name"),
        "format": fmt,
        "agents": ap.n_agents,
        "jobs": ap.n_jobs,
        "status": sol.status.value,
        "objective": sol.values[0],
        "bound": sol.bounds[0],
        "wall_seconds": round(sol.wall_seconds, 3),
        "agent_of_job": agent.tolist(),
    }
