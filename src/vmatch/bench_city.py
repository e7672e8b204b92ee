"""The ``city-small`` benchmark suite: generated city problems, vmatch against plain CP-SAT.

Each instance is ``generate_city(n_volunteers, n_tasks, seed)``; vmatch solves it with
:func:`vmatch.solve` (coverage then travel), the baseline is one CP-SAT model of the same
compiled arc problem with the same time limit and no hint. Both gaps are to the best bound
either reports (the vmatch bound is valid for the full problem); vmatch's answers are checked by
:func:`vmatch.verify` (``ours_violations``). Rows go to a CSV, the gaps
to a PNG (when matplotlib is installed).

Examples
--------
>>> [f"{v}x{t}" for v, t, _ in CITY_SMALL][:2]
['100x40', '200x80']
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["CITY_SMALL", "run_city_suite"]

#: (volunteers, tasks, seed) of the suite's instances
CITY_SMALL = ((100, 40, 0), (200, 80, 1), (400, 160, 2), (800, 320, 3))
COLUMNS = [
    "instance",
    "arcs",
    "time_limit",
    "ours_status",
    "ours_coverage",
    "ours_bound",
    "ours_seconds",
    "ours_violations",
    "cpsat_status",
    "cpsat_coverage",
    "cpsat_bound",
    "best_bound",
    "ours_gap_pct",
    "cpsat_gap_pct",
]


def _gap(value: float, bound: float) -> float:
    if not math.isfinite(bound) or bound <= 0:
        return 0.0 if value == bound else math.nan
    return 100.0 * (bound - value) / bound


def run_city_suite(
    time_limit: float | None = None,
    out_csv: str | Path | None = None,
    progress: bool = True,
    *,
    workers: int = 2,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Run the suite; returns ``{"rows", "csv", "png"}``."""
    from vmatch.compile import compile_problem
    from vmatch.generate import generate_city
    from vmatch.objective import Objective
    from vmatch.solve import solve
    from vmatch.solvers.cpsat import solve_cpsat
    from vmatch.verify import verify

    tl = 10.0 if time_limit is None else float(time_limit)
    obj = Objective(order=("coverage", "travel"))
    err = stream or sys.stderr
    rows = []
    for k, (nv, nt, seed) in enumerate(CITY_SMALL):
        p = generate_city(nv, nt, seed=seed, days=2)
        r = solve(p, time_limit=tl, workers=workers, objective=obj)
        c = compile_problem(p, obj)
        b = solve_cpsat(c.arcs, time_limit=tl, workers=workers)
        b_cov = b.values[0] if b.values and math.isfinite(b.values[0]) else 0.0
        b_bnd = b.bounds[0] if b.bounds and math.isfinite(b.bounds[0]) else math.inf
        best = min(r.bound, b_bnd)
        row = {
            "instance": f"{nv}x{nt}",
            "arcs": c.arcs.n_arcs,
            "time_limit": tl,
            "ours_status": r.status.value,
            "ours_coverage": r.breakdown["coverage"],
            "ours_bound": r.bound,
            "ours_seconds": round(float(r.stats["wall_seconds"]), 2),
            "ours_violations": len(verify(p, r)),
            "cpsat_status": b.status.value,
            "cpsat_coverage": b_cov,
            "cpsat_bound": b_bnd,
            "best_bound": best,
            "ours_gap_pct": _gap(r.breakdown["coverage"], best),
            "cpsat_gap_pct": _gap(b_cov, best),
        }
        rows.append(row)
        if progress:
            bar = "#" * (20 * (k + 1) // len(CITY_SMALL))
            print(
                f"[{bar:<20}] {k + 1}/{len(CITY_SMALL)} {row['instance']}: ours {row['ours_coverage']:g} "
                f"({row['ours_gap_pct']:.2f}%) | cpsat {b_cov:g} ({row['cpsat_gap_pct']:.2f}%)",
                file=err,
                flush=True,
            )
    png = None
    if out_csv is not None:
        with Path(out_csv).open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        png = _plot(rows, Path(out_csv).with_suffix(".png"), f"city-small, {tl:g} s per solve")
    return {"rows": rows, "csv": out_csv, "png": png}


def _plot(rows: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.5))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r["ours_gap_pct"] for r in rows], width=0.4, label="vmatch")
    ax.bar([x + 0.2 for x in xs], [min(100.0, r["cpsat_gap_pct"]) for r in rows], width=0.4, label="plain CP-SAT")
    ax.set_xticks(list(xs), [r["instance"] for r in rows])
    ax.set_ylabel("gap to best bound (%)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
