"""Benchmark of the pairing service (issue 6).

Targets (2 cores): 20,000 beneficiaries x 8,000 volunteers (one-to-few, weekly time) within
0.5 % of a valid bound in <= 60 s; the one-to-one exact path at 5,000 x 5,000 in <= 3 s.

Rows, each measured in this run on :func:`vmatch.gen.pairing.generate_pairing` instances:

* ``vmatch auto`` -- :func:`vmatch.pairing.compile_pairing` then the ``"auto"`` engine with
  the rest of the wall-clock budget (compilation counts against the budget);
* ``plain cpsat`` -- the baseline: the ``"cpsat"`` engine (CP-SAT level by level on the same
  arc problem, with the same lazy schedule rows) with the same solver time limit, in a child
  process killed ``--grace`` seconds after the limit (model building cannot be interrupted);
* ``one-to-one`` -- the same instance kind with every volunteer limited to one beneficiary
  (an assignment problem: ``linear_sum_assignment`` or the sparse matching), and the
  baseline on it.

Columns: wall seconds (compile + solve), first-level value (weighted beneficiaries paired),
its proven bound, the gap, pairs, and the number of violations :func:`verify_pairing` finds.
The load average is printed: other processes on the machine slow every row alike.

Usage::

    .venv/bin/python benchmarks/pairing_bench.py                      # the issue-6 targets
    .venv/bin/python benchmarks/pairing_bench.py --beneficiaries 5000 --volunteers 2000 --budget 30
    .venv/bin/python benchmarks/pairing_bench.py --no-baseline --json out.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing as mp
import os
import sys
import time
from typing import Any

from vmatch._pairing_engine import solve_pairing
from vmatch._pairing_result import decode_pairing
from vmatch.pairing import PairingProblem, compile_pairing, generate_pairing, verify_pairing
from vmatch.solvers.exact import classify


def run(problem: PairingProblem, engine: str, budget: float, seed: int = 0) -> dict[str, Any]:
    """Compile and solve within ``budget`` wall seconds (the solver gets what compiling leaves)."""
    t0 = time.perf_counter()
    pc = compile_pairing(problem)
    build = time.perf_counter() - t0
    out = solve_pairing(pc, time_limit=max(0.1, budget - build), seed=seed, engine=engine)
    r = decode_pairing(pc, out.sol, out.schedule, out.stats)
    wall = time.perf_counter() - t0
    bad = verify_pairing(problem, r)
    return {
        "engine": engine,
        "wall_s": wall,
        "build_s": build,
        "status": r.status.value,
        "value": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "pairs": len(r.pairs),
        "violations": len(bad),
        "arcs": pc.arcs.n_arcs,
        "kind": classify(pc.arcs),
        "solvers": r.stats.get("solvers"),
        "rounds": r.stats.get("rounds"),
        "lns_improvements": r.stats.get("lns_improvements"),
        "lagrangian_bound": r.stats.get("lagrangian_bound"),
        "sweeps": r.stats.get("sweeps"),
        "steal_rounds": r.stats.get("steal_rounds"),
        "steal_moves": r.stats.get("steal_moves"),
    }


def _child(args: tuple[PairingProblem, str, float, int], q: Any) -> None:
    q.put(run(*args))


def run_killable(problem: PairingProblem, engine: str, budget: float, grace: float) -> dict[str, Any]:
    """:func:`run` in a child process, killed ``grace`` seconds after the budget."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    t0 = time.perf_counter()
    proc = ctx.Process(target=_child, args=((problem, engine, budget, 0), q))
    proc.start()
    proc.join(budget + grace)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return {
            "engine": engine,
            "wall_s": time.perf_counter() - t0,
            "status": f"KILLED after {budget + grace:.0f} s",
            "value": math.nan,
            "bound": math.nan,
            "gap": math.inf,
            "pairs": 0,
            "violations": 0,
        }
    return dict(q.get())


def _fmt(row: dict[str, Any]) -> str:
    def num(x: Any, f: str = ".0f") -> str:
        return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, f)

    return (
        f"{row['label']:<28} {row['engine']:<6} {num(row['wall_s'], '.1f'):>7} {row['status']:<18} "
        f"{num(row['value']):>10} {num(row['bound']):>10} {num(100 * row['gap'], '.2f') + ' %':>9} "
        f"{row['pairs']:>7} {row['violations']:>4}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--beneficiaries", type=int, default=20_000)
    ap.add_argument("--volunteers", type=int, default=8_000)
    ap.add_argument("--budget", type=float, default=60.0, help="wall seconds for compile + solve")
    ap.add_argument("--one-to-one", type=int, default=5_000, help="size n of the n x n one-to-one run (0: skip)")
    ap.add_argument("--one-to-one-budget", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--grace", type=float, default=60.0, help="seconds past the budget before the baseline is killed")
    ap.add_argument("--json", help="write the rows here")
    a = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    rows: list[dict[str, Any]] = []
    header = (
        f"{'instance':<28} {'engine':<6} {'wall s':>7} {'status':<18} {'value':>10} {'bound':>10} "
        f"{'gap':>9} {'pairs':>7} {'bad':>4}"
    )
    print(header)
    t = time.perf_counter()
    p = generate_pairing(a.beneficiaries, a.volunteers, seed=a.seed)
    print(f"(generated {a.beneficiaries} x {a.volunteers} in {time.perf_counter() - t:.1f} s)", flush=True)
    label = f"{a.beneficiaries} x {a.volunteers} one-to-few"
    runs = [("auto", False)] + ([] if a.no_baseline else [("cpsat", True)])
    for engine, child in runs:
        row = run_killable(p, engine, a.budget, a.grace) if child else run(p, engine, a.budget, a.seed)
        row["label"] = label
        rows.append(row)
        print(_fmt(row), flush=True)
    if a.one_to_one:
        n = a.one_to_one
        q = dataclasses.replace(generate_pairing(n, n, seed=a.seed), max_beneficiaries={})
        label = f"{n} x {n} one-to-one"
        for engine, child in [("auto", False)] + ([] if a.no_baseline else [("cpsat", True)]):
            row = (
                run_killable(q, engine, a.one_to_one_budget, a.grace)
                if child
                else run(q, engine, a.one_to_one_budget, a.seed)
            )
            row["label"] = label
            rows.append(row)
            print(_fmt(row), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for row in rows:
        extra = {
            k: row.get(k)
            for k in (
                "build_s",
                "arcs",
                "kind",
                "solvers",
                "rounds",
                "lns_improvements",
                "lagrangian_bound",
                "sweeps",
                "steal_rounds",
                "steal_moves",
            )
            if row.get(k) is not None
        }
        print(f"  {row['label']} / {row['engine']}: {json.dumps(extra, default=str)}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
