"""The ``vmatch-solution/1`` document: a :class:`Result` as JSON data, and back.

Starts are written in the problem's time zone; NaN and infinities as ``null``.
Ids are checked against the problem both ways.

Examples
--------
>>> from vmatch.model import Problem
>>> from vmatch.result import Result, Status
>>> d = result_to_dict(Result(Status.OPTIMAL, objective=0.0, bound=0.0), Problem())
>>> d["format"], d["status"], d["gap"]
('vmatch-solution/1', 'OPTIMAL', 0.0)
>>> result_from_dict(d, Problem()).status
<Status.OPTIMAL: 'OPTIMAL'>
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from vmatch.errors import FormatError
from vmatch.io._json_util import (
    Ctx,
    as_datetime,
    as_int,
    as_list,
    as_obj,
    as_opt_num,
    as_str,
    check_keys,
    fmt_datetime,
    fmt_num,
    json_data,
)
from vmatch.model import Problem
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status

__all__ = ["SOLUTION_FIELDS", "SOLUTION_FORMAT", "result_from_dict", "result_to_dict"]

SOLUTION_FORMAT = "vmatch-solution/1"

SOLUTION_FIELDS: dict[str, tuple[str, ...]] = {
    "solution": (
        "format",
        "status",
        "objective",
        "bound",
        "gap",
        "assignments",
        "unassigned",
        "breakdown",
        "levels",
        "stats",
    ),
    "assignment": ("volunteer", "task", "start"),
    "shortfall": ("missing", "reasons"),
    "level": ("name", "sense", "value", "bound"),
}
"""The field names the solution reader accepts, per kind of object."""


def _check_ids(ctx: Ctx, fld: str, vid: str | None, tid: str | None, problem: Problem) -> None:
    if vid is not None and not _known(problem.volunteer_index, vid):
        ctx.fail(fld, f"names unknown volunteer {vid!r}")
    if tid is not None and not _known(problem.task_index, tid):
        ctx.fail(fld, f"names unknown task {tid!r}")


def _known(index: Callable[[str], int], oid: str) -> bool:
    try:
        index(oid)
    except KeyError:
        return False
    return True


def result_to_dict(result: Result, problem: Problem) -> dict[str, Any]:
    """The ``vmatch-solution/1`` document of ``result`` (a solve of ``problem``).

    Parameters
    ----------
    result : Result
    problem : Problem
        Gives the time zone for starts; every id in ``result`` must name one of its
        volunteers or tasks.

    Raises
    ------
    FormatError
        When ``result`` names an id unknown to ``problem``.
    """
    ctx = Ctx("solution")
    tz = problem.settings.tz
    assignments = []
    for n, a in enumerate(result.assignments):
        _check_ids(ctx, f"assignments[{n}]", a.volunteer, a.task, problem)
        assignments.append({"volunteer": a.volunteer, "task": a.task, "start": fmt_datetime(a.start.astimezone(tz))})
    unassigned = {}
    for tid, s in result.unassigned.items():
        _check_ids(ctx, f"unassigned.{tid}", None, tid, problem)
        unassigned[tid] = {"missing": s.missing, "reasons": {k: int(v) for k, v in s.reasons.items()}}
    return {
        "format": SOLUTION_FORMAT,
        "status": result.status.value,
        "objective": fmt_num(result.objective),
        "bound": fmt_num(result.bound),
        "gap": fmt_num(result.gap),
        "assignments": assignments,
        "unassigned": unassigned,
        "breakdown": {k: fmt_num(v) for k, v in result.breakdown.items()},
        "levels": [
            {"name": lv.name, "sense": lv.sense, "value": fmt_num(lv.value), "bound": fmt_num(lv.bound)}
            for lv in result.levels
        ],
        "stats": _stats(ctx, result.stats),
    }


def _stats(ctx: Ctx, stats: Mapping[str, Any]) -> dict[str, Any]:
    """Stats as JSON data; non-finite numbers become null, other objects their ``str``."""

    def clean(x: Any, depth: int) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if depth < 32 and isinstance(x, Mapping):
            return {str(k): clean(v, depth + 1) for k, v in x.items()}
        if depth < 32 and isinstance(x, list | tuple):
            return [clean(v, depth + 1) for v in x]
        if x is None or isinstance(x, bool | int | float | str):
            return x
        try:
            return json_data(ctx, "stats", x)
        except FormatError:
            return str(x)

    return {str(k): clean(v, 1) for k, v in stats.items()}


def _assignment(ctx: Ctx, n: int, x: object, problem: Problem) -> Assignment:
    fld = f"assignments[{n}]"
    d = as_obj(ctx, fld, x)
    check_keys(ctx, d, SOLUTION_FIELDS["assignment"], prefix=f"{fld}.")
    for key in SOLUTION_FIELDS["assignment"]:
        if key not in d:
            ctx.fail(f"{fld}.{key}", "is missing (required)")
    vid = as_str(ctx, f"{fld}.volunteer", d["volunteer"])
    tid = as_str(ctx, f"{fld}.task", d["task"])
    _check_ids(ctx, fld, vid, tid, problem)
    return Assignment(vid, tid, as_datetime(ctx, f"{fld}.start", d["start"]))


def _shortfall(ctx: Ctx, tid: str, x: object, problem: Problem) -> Shortfall:
    fld = f"unassigned.{tid}"
    _check_ids(ctx, "unassigned", None, tid, problem)
    d = as_obj(ctx, fld, x)
    check_keys(ctx, d, SOLUTION_FIELDS["shortfall"], prefix=f"{fld}.")
    if "missing" not in d:
        ctx.fail(f"{fld}.missing", "is missing (required)")
    missing = as_int(ctx, f"{fld}.missing", d["missing"], 0)
    reasons = as_obj(ctx, f"{fld}.reasons", d.get("reasons", {}))
    return Shortfall(tid, missing, {k: as_int(ctx, f"{fld}.reasons.{k}", v, 0) for k, v in reasons.items()})


def _level(ctx: Ctx, n: int, x: object) -> LevelResult:
    fld = f"levels[{n}]"
    d = as_obj(ctx, fld, x)
    check_keys(ctx, d, SOLUTION_FIELDS["level"], prefix=f"{fld}.")
    for key in ("name", "sense"):
        if key not in d:
            ctx.fail(f"{fld}.{key}", "is missing (required)")
    sense = d["sense"]
    if sense not in ("min", "max"):
        ctx.fail(f"{fld}.sense", f"must be 'min' or 'max', got {sense!r}")
    return LevelResult(
        as_str(ctx, f"{fld}.name", d["name"]),
        sense,
        as_opt_num(ctx, f"{fld}.value", d.get("value")),
        as_opt_num(ctx, f"{fld}.bound", d.get("bound")),
    )


def result_from_dict(d: object, problem: Problem) -> Result:
    """Read a ``vmatch-solution/1`` document of a solve of ``problem``.

    ``gap`` is derived from ``objective`` and ``bound``; a written value is checked for
    type and otherwise ignored.

    Raises
    ------
    FormatError
        One line naming the field, for any deviation from the format or an id that
        ``problem`` does not know.
    """
    ctx = Ctx("solution")
    if not isinstance(d, Mapping):
        raise FormatError(f"solution: the document must be a JSON object, got {type(d).__name__}")
    as_obj(ctx, "(document)", d)
    if "format" not in d:
        ctx.fail("format", f"is missing (expected {SOLUTION_FORMAT!r})")
    if d["format"] != SOLUTION_FORMAT:
        hint = " (this is a problem document)" if d["format"] == "vmatch/1" else ""
        ctx.fail("format", f"must be {SOLUTION_FORMAT!r}, got {d['format']!r}{hint}")
    check_keys(ctx, d, SOLUTION_FIELDS["solution"])
    if "status" not in d:
        ctx.fail("status", "is missing (required)")
    names = [s.value for s in Status]
    if d["status"] not in names:
        ctx.fail("status", f"must be one of {', '.join(names)}, got {d['status']!r}")
    as_opt_num(ctx, "gap", d.get("gap"))
    items = as_list(ctx, "assignments", d.get("assignments", []))
    assignments = tuple(_assignment(ctx, n, x, problem) for n, x in enumerate(items))
    unassigned = {
        tid: _shortfall(ctx, tid, x, problem) for tid, x in as_obj(ctx, "unassigned", d.get("unassigned", {})).items()
    }
    terms = as_obj(ctx, "breakdown", d.get("breakdown", {}))
    breakdown = {k: as_opt_num(ctx, f"breakdown.{k}", v) for k, v in terms.items()}
    levels = tuple(_level(ctx, n, x) for n, x in enumerate(as_list(ctx, "levels", d.get("levels", []))))
    stats = json_data(ctx, "stats", as_obj(ctx, "stats", d.get("stats", {})))
    return Result(
        status=Status(d["status"]),
        objective=as_opt_num(ctx, "objective", d.get("objective")),
        bound=as_opt_num(ctx, "bound", d.get("bound")),
        assignments=assignments,
        unassigned=unassigned,
        breakdown=breakdown,
        levels=levels,
        stats=stats,
    )
