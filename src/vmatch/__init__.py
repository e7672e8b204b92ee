"""vmatch: optimal matching of volunteers to service demand.

The pipeline: domain model -> compile -> arc problem -> solvers -> Result -> verify/explain.
"""

from __future__ import annotations

import logging

from vmatch.errors import FormatError, InfeasibleError, ModelError
from vmatch.model import Location, Problem, Requirement, Settings, Task, TimeWindow, Volunteer, WeeklyRule
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status

logging.getLogger("vmatch").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "FormatError",
    "InfeasibleError",
    "LevelResult",
    "Location",
    "ModelError",
    "Problem",
    "Requirement",
    "Result",
    "Settings",
    "Shortfall",
    "Status",
    "Task",
    "TimeWindow",
    "Volunteer",
    "WeeklyRule",
]
