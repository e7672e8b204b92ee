"""City-scale dispatch: vmatch against a plain CP-SAT model of the same problem, in one run.

Each row is measured as a whole process (wall seconds; peak RSS of the largest process by GNU
time, and the peak of the whole process tree -- the solver forks a bound process -- as the sum
of proportional set sizes sampled every 0.25 s):

* **vmatch**: ``vmatch solve CITY.json --time-limit T`` (compile, greedy, LNS, decode, write),
  then ``vmatch verify`` on its answer (not timed; the row's ``violations``).
* **plain CP-SAT**: the same compiled arc problem as one CP-SAT model (``solve_cpsat`` with no
  hint, 2 workers, the same time limit), in a child process; reported with the coverage it
  reaches (0 when it finds no solution) and its own bound.

Coverage gaps are against the best bound either run reports (the vmatch bound is valid for the
full problem: see ``vmatch.solve.level_bounds``).

Usage::

    python benchmarks/city_bench.py --sizes 2000x1000 10000x5000 --time-limit 30 [--no-baseline]
    python benchmarks/city_bench.py --kind province --sizes 100000x50000 --time-limit 270 --no-baseline
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vmatch.io.json_format import read_problem, read_solution
from vmatch.verify import verify

CHILD_BASELINE = r"""
import json, sys, time, resource
t0 = time.perf_counter()
from vmatch.io.json_format import read_problem
from vmatch.compile import compile_problem
from vmatch.objective import Objective
from vmatch.solvers.cpsat import solve_cpsat
p = read_problem(sys.argv[1])
c = compile_problem(p, Objective(order=("coverage", "travel")))
sol = solve_cpsat(c.arcs, time_limit=float(sys.argv[2]), workers=2)
print(json.dumps({"status": sol.status.value, "coverage": 0.0 if sol.values[0] != sol.values[0] else sol.values[0],
                  "bound": sol.bounds[0], "arcs": c.arcs.n_arcs, "wall": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size (kB) of a process and all its descendants (Linux), 0 where unreadable."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for t in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (t / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total


def run(cmd: list[str], timeout: float) -> tuple[float, float, str, float]:
    """Wall seconds and peak MB of one child process (GNU time: the largest single process), its
    stdout, and the peak MB of the whole process tree (sum of proportional set sizes, sampled)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tree_peak = 0
    while proc.poll() is None:
        tree_peak = max(tree_peak, _tree_pss_kb(proc.pid))
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            raise subprocess.TimeoutExpired(cmd, timeout)
        time.sleep(0.25)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(stderr[-2000:])
    peak = float(stderr.strip().splitlines()[-1]) / 1024
    return wall, peak, stdout, tree_peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["2000x1000", "10000x5000"])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--kind", default="city", choices=["city", "province"])
    a = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        for size in a.sizes:
            nv, nt = (int(x) for x in size.split("x"))
            prob = Path(d) / f"city-{size}.json"
            subprocess.run(
                [
                    py,
                    "-m",
                    "vmatch.cli",
                    "-q",
                    "generate",
                    a.kind,
                    "--volunteers",
                    str(nv),
                    "--tasks",
                    str(nt),
                    "--seed",
                    str(a.seed),
                    "--out",
                    str(prob),
                ],
                check=True,
            )
            sol = Path(d) / f"sol-{size}.json"
            wall, peak, _, tree = run(
                [
                    py,
                    "-m",
                    "vmatch.cli",
                    "-q",
                    "solve",
                    str(prob),
                    "--time-limit",
                    str(a.time_limit),
                    "--workers",
                    "2",
                    "--out",
                    str(sol),
                ],
                10 * a.time_limit + 600,
            )
            s = json.loads(sol.read_text())
            cov = s["breakdown"]["coverage"]
            row = {
                "size": size,
                "vmatch_wall": round(wall, 1),
                "vmatch_peak_mb": round(peak),
                "vmatch_tree_pss_mb": round(tree),
                "vmatch_coverage": cov,
                "vmatch_bound": s["bound"],
                "vmatch_gap_pct": round(100 * s["gap"], 2),
                "arcs": s["stats"]["arcs"],
                "solver": s["stats"]["solver"],
            }
            # every hard rule, checked apart from the solver (after the timed run)
            problem = read_problem(prob)
            row["violations"] = len(verify(problem, read_solution(sol, problem)))
            if not a.no_baseline:
                try:
                    bw, bp, out, _ = run(
                        [py, "-c", CHILD_BASELINE, str(prob), str(a.time_limit)], 10 * a.time_limit + 900
                    )
                    b = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
                except subprocess.TimeoutExpired:
                    bw, bp, b = float("nan"), float("nan"), {"status": "TIMEOUT"}
                row.update(
                    {
                        "cpsat_wall": round(bw, 1),
                        "cpsat_peak_mb": round(bp),
                        "cpsat_status": b.get("status"),
                        "cpsat_coverage": b.get("coverage"),
                        "cpsat_bound": b.get("bound"),
                    }
                )
                if b.get("coverage"):
                    row["coverage_ratio"] = round(cov / b["coverage"], 3)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
