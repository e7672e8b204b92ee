"""Plain-language explanations of shortfalls: why a task did not get its head-count.

Examples
--------
>>> from datetime import datetime, timezone
>>> from vmatch.model import Location, Problem, Task, TimeWindow, Volunteer
>>> from vmatch.solve import solve
>>> w = TimeWindow(datetime(2026, 12, 5, 9, tzinfo=timezone.utc), datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
>>> p = Problem((Volunteer("a", Location(0, 0)),), (Task("t", Location(0, 0), w, skills={"x": 2}),))
>>> print(explain_text(p, solve(p, time_limit=2)))
task t: 1 of 1 places unfilled
  skill: 1 volunteer lacks a required skill level
  no eligible volunteer is left for the open places
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmatch.eligibility import RULES, Tables
from vmatch.model import Problem
from vmatch.reasons import task_reasons
from vmatch.result import Result

__all__ = ["TaskExplanation", "explain", "explain_text"]

_PHRASES = {  # (one volunteer, several volunteers)
    "skill": ("lacks a required skill level", "lack a required skill level"),
    "certificate": ("lacks a required certificate valid on the day", "lack a required certificate valid on the day"),
    "attribute": ("lacks an allowed attribute value (e.g. language)",
                  "lack an allowed attribute value (e.g. language)"),
    "availability": ("is not available for the whole time", "are not available for the whole time"),
    "distance": ("lives beyond the distance limit", "live beyond the distance limit"),
    "workload": ("has a workload limit shorter than the task", "have a workload limit shorter than the task"),
    "forbidden": ("is a forbidden pair", "are forbidden pairs"),
    "busy": ("is eligible but was used elsewhere or is at a limit",
             "are eligible but were used elsewhere or are at a limit"),
}


@dataclass(frozen=True, slots=True)
class TaskExplanation:
    """Why one task is short: places missing, volunteers excluded per rule, eligible-but-busy."""

    task: str
    headcount: int
    assigned: tuple[str, ...]
    missing: int
    reasons: dict[str, int]

    def text(self) -> str:
        """Readable lines."""
        lines = [f"task {self.task}: {self.missing} of {self.headcount} places unfilled"]
        for rule in (*RULES, "busy"):
            n = self.reasons.get(rule, 0)
            if n:
                one, many = _PHRASES[rule]
                lines.append(f"  {rule}: {n} {'volunteer ' + one if n == 1 else 'volunteers ' + many}")
        if self.missing and not self.reasons.get("busy"):
            lines.append("  no eligible volunteer is left for the open places")
        return "\n".join(lines)


def explain(problem: Problem, result: Result, task: str | None = None) -> list[TaskExplanation]:
    """Explanations for every task short of its head-count (or for ``task`` only, short or not)."""
    tb = Tables(problem)
    by_task = result.by_task()
    ids = [task] if task is not None else [t.id for t in problem.tasks
                                           if len(by_task.get(t.id, ())) < t.headcount]
    out = []
    for tid in ids:
        t = problem.task_index(tid)
        assigned = tuple(sorted(by_task.get(tid, ())))
        idx = np.asarray([problem.volunteer_index(v) for v in assigned], np.int64)
        head = problem.tasks[t].headcount
        out.append(TaskExplanation(tid, head, assigned, head - len(assigned), task_reasons(tb, t, idx)))
    return out


def explain_text(problem: Problem, result: Result, task: str | None = None) -> str:
    """:func:`explain` as text, one block per task."""
    ex = explain(problem, result, task)
    if not ex:
        return "every task has its full head-count"
    return "\n".join(e.text() for e in ex)
