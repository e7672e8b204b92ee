"""The ``vmatch`` command line.

Exit codes: 0 success, 1 ``verify`` found violations, 2 bad input (one line naming the
object and field), 3 infeasible hard requests.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
vmatch ...
0
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vmatch import __version__
from vmatch.errors import InfeasibleError, ModelError

if TYPE_CHECKING:
    from vmatch.menu import MenuMapping, MenuProblem
    from vmatch.model import Problem
    from vmatch.result import Result

__all__ = ["main"]


#: ``--reproducible``: the help text.
REPRODUCIBLE_HELP = (
    "the same plan on every run: a proven answer breaks ties over every arc (one more solve); the "
    "search of large problems runs in deterministic time (one lane; the wall time may run over the limit)"
)


def _solver_args(p: argparse.ArgumentParser) -> None:
    """The options every solving command takes: time limit, seed, threads."""
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds for the whole solve (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="solver seed (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="threads to use (default: every core, at most 8)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vmatch", description="Match volunteers to service demand.")
    ap.add_argument("--version", action="store_true", help="print the version and exit")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    sub = ap.add_subparsers(dest="cmd")

    s = sub.add_parser("solve", help="solve a problem file")
    s.add_argument("problem", type=Path, help="the problem file (vmatch/1 JSON unless --format says otherwise)")
    s.add_argument(
        "--format",
        choices=["vmatch", "gap", "assign"],
        default="vmatch",
        help="input format (gap: OR-Library GAP file; assign: linear assignment file)",
    )
    s.add_argument(
        "--problem",
        dest="problem_index",
        type=int,
        default=1,
        help="which problem of a multi-problem GAP file (1-based)",
    )
    _solver_args(s)
    s.add_argument("--out", type=Path, help="write the solution JSON here")
    s.add_argument("--summary", action="store_true", help="print a readable summary")
    s.add_argument("--log-search", action="store_true", help="print CP-SAT's search log")
    s.add_argument("--reproducible", action="store_true", help=REPRODUCIBLE_HELP)
    s.add_argument(
        "--method",
        choices=["auto", "cpsat", "lns"],
        default="auto",
        help="one CP-SAT model, or the search in parts (default: %(default)s: by size)",
    )
    s.add_argument("--objective", default=None, help="lexicographic order of terms, e.g. coverage,fairness,travel")
    s.add_argument("--weights", default=None, help="one weighted sum instead, e.g. coverage=1000,travel=1")

    v = sub.add_parser("verify", help="check a solution against every hard rule")
    v.add_argument("problem", type=Path, help="the problem file (vmatch/1 JSON, or a menu)")
    v.add_argument("solution", type=Path, help="the solution file (as solve or menu writes it)")

    e = sub.add_parser("explain", help="why tasks are short of their head-count (or a menu's orders unserved)")
    e.add_argument("problem", type=Path, help="the problem file (vmatch/1 JSON, or a menu)")
    e.add_argument("solution", type=Path, help="the solution file (as solve or menu writes it)")
    who = e.add_mutually_exclusive_group()
    who.add_argument("--task", default=None, help="explain this task (short or not)")
    who.add_argument("--order", default=None, help="a menu: explain this order (served or not)")
    who.add_argument("--volunteer", default=None, help="explain this volunteer's workload")
    e.add_argument("--json", action="store_true", help="the same as data")

    pr = sub.add_parser("pair", help="long-term pairing of volunteers with beneficiaries (结对服务)")
    pr.add_argument("problem", type=Path, help="the pairing problem file (vmatch/1 JSON with a pairing section)")
    _solver_args(pr)
    pr.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "cpsat", "relax"],
        help="one CP-SAT model, the relaxation-guided search, or by size (default: %(default)s)",
    )
    pr.add_argument(
        "--reproducible",
        action="store_true",
        help="the same pairs on every run: a proven answer breaks ties over every pair (one more solve); "
        "the search of large problems stops by the clock and is not reproducible (stats say so)",
    )
    pr.add_argument("--out", type=Path, help="write the pairing result JSON here")

    mn = sub.add_parser("menu", help="menu-style service: dispatch orders to offers (点单 -> 派单)")
    mn.add_argument("problem", type=Path, help="the menu problem file (vmatch/1 JSON with a menu section)")
    mn.add_argument(
        "--mode",
        default="welfare",
        choices=["welfare", "stable"],
        help="serve the most (priority-weighted) orders, or a stable matching (default: %(default)s)",
    )
    mn.add_argument(
        "--optimal",
        default="requester",
        choices=["requester", "provider"],
        help="stable mode: whose optimal stable matching (default: %(default)s)",
    )
    mn.add_argument(
        "--largest",
        action="store_true",
        help="stable mode: the largest weakly stable matching (CP-SAT, within --time-limit; "
        "larger than deferred acceptance's when preferences tie) instead of --optimal's",
    )
    _solver_args(mn)
    mn.add_argument("--reproducible", action="store_true", help="welfare mode: " + REPRODUCIBLE_HELP)
    mn.add_argument("--out", type=Path, help="write the menu result JSON here")

    rp = sub.add_parser("replan", help="re-plan after accepts, declines, withdrawals, cancellations, additions")
    rp.add_argument("problem", type=Path, help="the problem file (vmatch/1 JSON, or a menu)")
    rp.add_argument("previous", type=Path, help="the previous solution file")
    rp.add_argument("events", type=Path, help="the events file (accepted, declined, withdrawn, cancelled, added)")
    _solver_args(rp)
    rp.add_argument("--reproducible", action="store_true", help=REPRODUCIBLE_HELP)
    rp.add_argument("--out", type=Path, help="write the new solution JSON here")

    g = sub.add_parser("generate", help="write a synthetic problem (city, province, pairing, menu)")
    g.add_argument("kind", help="city, province, pairing or menu")
    g.add_argument("--volunteers", type=int, default=200, help="city, province, pairing: volunteers")
    g.add_argument("--tasks", type=int, default=80, help="city, province: tasks")
    g.add_argument("--beneficiaries", type=int, default=200, help="pairing: beneficiaries")
    g.add_argument("--orders", type=int, default=200, help="menu: orders")
    g.add_argument("--offers", type=int, default=60, help="menu: offers")
    g.add_argument("--seed", type=int, default=0, help="generator seed (default: %(default)s)")
    g.add_argument("--out", type=Path, help="file to write (default: stdout)")

    b = sub.add_parser("bench", help="run a benchmark suite")
    b.add_argument("suite", choices=["gap-orlib", "gap-large", "city-small"], help="the suite to run")
    b.add_argument("--time-limit", type=float, default=None, help="seconds per instance (default: the suite's own)")
    b.add_argument("--out", type=Path, default=Path("bench-out"), help="folder for the results (default: %(default)s)")
    return ap


def _solve(a: argparse.Namespace) -> int:
    if a.format != "vmatch":
        from vmatch.bench import solve_research_file

        line = solve_research_file(
            a.problem, a.format, problem=a.problem_index, time_limit=a.time_limit, seed=a.seed, workers=a.workers
        )
        print(json.dumps(line))
        return 0
    from vmatch.io.json_format import dumps_solution, read_problem
    from vmatch.objective import Objective
    from vmatch.solve import solve

    obj = Objective.parse(a.objective, a.weights)
    p = read_problem(a.problem)
    r = solve(
        p,
        time_limit=a.time_limit,
        seed=a.seed,
        workers=a.workers,
        objective=obj,
        log_search=a.log_search,
        reproducible=a.reproducible,
        method=a.method,
    )
    if a.summary and not a.out:
        print(r.summary())
    else:
        _emit(dumps_solution(r, p), a.out, r.summary())
    return 0


def _emit(doc: str, out: Path | None, summary: str) -> None:
    """Write ``doc`` to ``out`` and print ``summary``; without ``out``, write ``doc`` to stdout."""
    if out:
        out.write_text(doc, encoding="utf-8")
        print(summary)
    else:
        sys.stdout.write(doc)


def _verify(a: argparse.Namespace) -> int:
    from vmatch.io.json_format import read_problem, read_solution
    from vmatch.verify import verify

    if _has_section(a.problem, "pairing"):
        from vmatch.pairing import loads_pairing_result, read_pairing_problem, verify_pairing

        pp = read_pairing_problem(a.problem)
        pres = loads_pairing_result(a.solution.read_text(encoding="utf-8"), pp)
        bad = verify_pairing(pp, pres)
        n = len(pres.pairs)
    elif _has_section(a.problem, "menu"):
        from vmatch.menu import check_menu
        from vmatch.menu.people import person_violations
        from vmatch.menu.solve import from_dispatch

        mp, p, mapping, r = _menu_plan(a.problem, a.solution)
        lines = [f"{x.rule}: {x.message}" for x in verify(p, r)]
        lines += [f"same person: {x}" for x in person_violations(p, r)]
        lines += [f"menu: {x}" for x in check_menu(mp, from_dispatch(mp, p, mapping, r, "welfare"))]
        print(
            "\n".join(lines)
            + (f"\n{len(lines)} violation(s)" if lines else f"ok: {len(r.assignments)} orders dispatched, no violation")
        )
        return 1 if lines else 0
    else:
        p = read_problem(a.problem)
        r = read_solution(a.solution, p)
        bad = verify(p, r)
        n = len(r.assignments)
    for x in bad:
        print(f"{x.rule}: {x.message}")
    if bad:
        print(f"{len(bad)} violation(s)")
        return 1
    print(f"ok: {n} assignments, no violation")
    return 0


def _has_section(path: Path, key: str) -> bool:
    """True when the JSON document at ``path`` has a top-level ``key`` (cheap textual check first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if f'"{key}"' not in text:
        return False
    try:
        d = json.loads(text)
    except ValueError:
        return False
    return isinstance(d, dict) and key in d


def _explain(a: argparse.Namespace) -> int:
    from vmatch.explain import explain, explain_volunteers
    from vmatch.io.json_format import read_problem, read_solution

    if _has_section(a.problem, "menu"):
        return _explain_menu(a)
    if a.order is not None:
        raise ModelError("explain: field '--order' is for a menu document (use --task for a dispatch problem)")
    p = read_problem(a.problem)
    r = read_solution(a.solution, p)
    if a.task is not None and a.task not in {t.id for t in p.tasks}:
        raise ModelError(f"explain: field '--task' names unknown task {a.task!r}")
    if a.volunteer is not None and a.volunteer not in {v.id for v in p.volunteers}:
        raise ModelError(f"explain: field '--volunteer' names unknown volunteer {a.volunteer!r}")
    items: list[Any] = explain_volunteers(p, r, a.volunteer) if a.volunteer is not None else explain(p, r, a.task)
    return _print_explanations(items, a.json, "every task has its full head-count")


def _print_explanations(items: Sequence[Any], as_json: bool, none: str) -> int:
    """Explanations (each with ``to_dict`` and ``text``) as JSON or text; ``none`` when there are none."""
    if as_json:
        print(json.dumps([e.to_dict() for e in items], indent=1))
    else:
        print("\n".join(e.text() for e in items) if items else none)
    return 0


def _explain_menu(a: argparse.Namespace) -> int:
    """``vmatch explain`` on a menu and a menu solution: why orders are unserved, in menu words."""
    from vmatch.menu.explain import explain_orders

    if a.volunteer is not None:
        raise ModelError("explain: field '--volunteer' is for a dispatch problem (a menu explains --order)")
    _, p, _, r = _menu_plan(a.problem, a.solution)
    return _print_explanations(
        explain_orders(p, r, a.order if a.order is not None else a.task), a.json, "every order is served"
    )


def _pair(a: argparse.Namespace) -> int:
    from vmatch.pairing import dumps_pairing_result, pair, read_pairing_problem

    p = read_pairing_problem(a.problem)
    r = pair(p, time_limit=a.time_limit, seed=a.seed, workers=a.workers, engine=a.engine, reproducible=a.reproducible)
    _emit(dumps_pairing_result(r), a.out, f"status {r.status.value}: {len(r.pairs)} pairs, {len(r.unpaired)} unpaired")
    return 0


def _menu(a: argparse.Namespace) -> int:
    from vmatch.io.menu_json import read_menu_problem
    from vmatch.menu import menu_result_to_dict, menu_solve

    mp = read_menu_problem(a.problem)
    if a.largest and a.mode != "stable":
        raise ModelError("menu: field '--largest' needs --mode stable")
    r = menu_solve(
        mp,
        mode=a.mode,
        optimal=a.optimal,
        largest=a.largest,
        time_limit=a.time_limit,
        seed=a.seed,
        workers=a.workers,
        reproducible=a.reproducible,
    )
    _emit(json.dumps(menu_result_to_dict(r), indent=1) + "\n", a.out, r.summary())
    return 0


def _changes_line(r: Result) -> str:
    """The re-plan's changes against the previous plan, as one summary line."""
    ch = r.stats.get("changes", {})
    return "changes     " + ", ".join(f"{k} {ch.get(k, 0)}" for k in ("kept", "removed", "added", "moved"))


def _replan(a: argparse.Namespace) -> int:
    from vmatch.io.json_format import dumps_solution, read_problem, read_solution
    from vmatch.io.menu_json import read_events
    from vmatch.replan import replan, replanned_problem

    if _has_section(a.problem, "menu"):
        return _replan_menu(a)
    p = read_problem(a.problem)
    prev = read_solution(a.previous, p)
    ev = read_events(a.events)
    r = replan(p, prev, time_limit=a.time_limit, seed=a.seed, workers=a.workers, reproducible=a.reproducible, **ev)
    _emit(dumps_solution(r, replanned_problem(p, r, ev["added"])), a.out, f"{r.summary()}\n{_changes_line(r)}")
    return 0


def _menu_plan(problem: Path, solution: Path) -> tuple[MenuProblem, Problem, MenuMapping, Result]:
    """A menu document, its compiled problem and mapping, and a menu solution read as a plan on
    that problem."""
    from vmatch.io.menu_json import read_menu_plan, read_menu_problem
    from vmatch.menu import menu_to_problem

    mp = read_menu_problem(problem)
    p, mapping = menu_to_problem(mp)
    return mp, p, mapping, read_menu_plan(solution, p, mapping.provider)


def _replan_menu(a: argparse.Namespace) -> int:
    """``vmatch replan`` on a menu: the previous plan is a menu solution (``vmatch menu --out``),
    the events name offers (or providers) and orders, and the new plan is written as a menu
    solution (:func:`vmatch.menu.replan.menu_replan`)."""
    from vmatch.io.menu_json import read_events
    from vmatch.menu import menu_result_to_dict
    from vmatch.menu.replan import menu_replan

    mp, _, _, prev = _menu_plan(a.problem, a.previous)
    ev = read_events(a.events)
    if ev.pop("added"):
        raise ModelError(
            "replan: field 'added' is not taken for a menu (new orders join the menu document; "
            "run vmatch menu on it, or vmatch.replan with the compiled problem)"
        )
    mr = menu_replan(
        mp, prev, time_limit=a.time_limit, seed=a.seed, workers=a.workers, reproducible=a.reproducible, **ev
    )
    assert mr.dispatch is not None
    text = json.dumps(menu_result_to_dict(mr), indent=1) + "\n"
    _emit(text, a.out, f"{mr.summary()}\n{_changes_line(mr.dispatch)}")
    return 0


def _generate(a: argparse.Namespace) -> int:
    from vmatch.generate import GENERATORS
    from vmatch.io.json_format import dumps_problem

    if a.kind == "pairing":
        from vmatch.pairing import dumps_pairing_problem, generate_pairing

        text = dumps_pairing_problem(generate_pairing(a.beneficiaries, a.volunteers, seed=a.seed))
    elif a.kind == "menu":
        from vmatch.gen.menu import generate_menu
        from vmatch.io.menu_json import dumps_menu_problem

        text = dumps_menu_problem(generate_menu(a.orders, a.offers, seed=a.seed))
    elif a.kind in GENERATORS:
        text = dumps_problem(GENERATORS[a.kind](a.volunteers, a.tasks, seed=a.seed))
    else:
        kinds = sorted([*GENERATORS, "pairing", "menu"])
        raise ModelError(f"generate: field 'KIND' must be one of {kinds}, got {a.kind!r}")
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _bench(a: argparse.Namespace) -> int:
    from vmatch.bench import run_suite

    run_suite(a.suite, time_limit=a.time_limit, out_dir=a.out, progress=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    a = _parser().parse_args(argv)
    if a.version:
        print(f"vmatch {__version__}")
        return 0
    if a.cmd is None:
        _parser().print_help()
        return 2
    if not a.quiet:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("vmatch: %(message)s"))
        lg = logging.getLogger("vmatch")
        lg.addHandler(h)
        lg.setLevel(logging.INFO)
    cmds = {
        "solve": _solve,
        "verify": _verify,
        "explain": _explain,
        "generate": _generate,
        "bench": _bench,
        "pair": _pair,
        "menu": _menu,
        "replan": _replan,
    }
    try:
        return cmds[a.cmd](a)
    except InfeasibleError as e:
        print(f"vmatch: infeasible: {e}", file=sys.stderr)
        for c in e.conflict:
            print(f"  {c}", file=sys.stderr)
        return 3
    except (ModelError, ValueError) as e:
        print(f"vmatch: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of stdout went away (``vmatch generate city | head``): not an error of ours;
        # stdout goes to devnull so that the interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except OSError as e:
        print(f"vmatch: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
