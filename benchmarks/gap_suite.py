"""GAP benchmark suites: our solver against plain CP-SAT and HiGHS, measured in the same run.

Usage::

    .venv/bin/python benchmarks/gap_suite.py gap-orlib              # gap1-12 + types A, B, C (10 s each)
    .venv/bin/python benchmarks/gap_suite.py gap-large              # c10400 ... c801600 (20 s each)
    .venv/bin/python benchmarks/gap_suite.py gap-large --only c801600 --no-baselines
    .venv/bin/python benchmarks/gap_suite.py gap-orlib --time-limit 5 --out bench-out

Writes ``OUT/SUITE.csv`` (one row per instance: known value, our value, bound, gap to the
best known in %, seconds, and the same for the baselines) and ``OUT/SUITE.png`` (gap per
instance), and prints a summary with ours/baseline ratios. The same code runs behind
``vmatch bench SUITE`` (:func:`vmatch.bench.run_suite`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vmatch.bench import SUITES, run_suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", nargs="+", choices=sorted(SUITES))
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per solve (default: per suite)")
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--only", nargs="*", default=None, help="instance names to run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    for s in a.suite:
        res = run_suite(
            s,
            a.time_limit,
            progress=True,
            out_dir=a.out,
            baselines=not a.no_baselines,
            seed=a.seed,
            workers=a.workers,
            only=a.only,
        )
        print(
            json.dumps(
                {"suite": s, "csv": str(res["csv"]), "png": str(res["png"]), "summary": res["summary"]}, indent=1
            )
        )


if __name__ == "__main__":
    main()
