"""vmatch: optimal matching of volunteers to service demand.

The pipeline: domain model -> compile -> arc problem -> solvers -> Result -> verify/explain.
"""

from __future__ import annotations

import logging

from vmatch.errors import FormatError, InfeasibleError, ModelError
from vmatch.explain import explain, explain_text, explain_volunteers
from vmatch.io.json_format import (
    dumps_problem,
    dumps_solution,
    loads_problem,
    loads_solution,
    problem_from_dict,
    problem_to_dict,
    read_problem,
    read_solution,
    result_from_dict,
    result_to_dict,
    write_problem,
    write_solution,
)
from vmatch.io.orlib import read_assign, read_gap
from vmatch.menu import MenuProblem, MenuResult, Offer, Order, Rating, ServiceItem, menu_replan, menu_solve
from vmatch.model import Location, Problem, Requirement, Settings, Task, TimeWindow, Volunteer, WeeklyRule
from vmatch.objective import Objective
from vmatch.pairing import (
    Beneficiary,
    PairingProblem,
    PairingResult,
    generate_pairing,
    pair,
    read_pairing_problem,
    verify_pairing,
)
from vmatch.ratings import reliability, star_level
from vmatch.replan import replan
from vmatch.result import Assignment, LevelResult, Result, Shortfall, Status
from vmatch.solve import solve
from vmatch.stable import (
    blocking_pairs,
    max_weakly_stable,
    max_weakly_stable_result,
    stable_match,
    stable_match_with_conflicts,
)
from vmatch.verify import Violation, check_objective, verify

logging.getLogger("vmatch").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "Beneficiary",
    "FormatError",
    "InfeasibleError",
    "LevelResult",
    "Location",
    "MenuProblem",
    "MenuResult",
    "ModelError",
    "Objective",
    "Offer",
    "Order",
    "PairingProblem",
    "PairingResult",
    "Problem",
    "Rating",
    "Requirement",
    "Result",
    "ServiceItem",
    "Settings",
    "Shortfall",
    "Status",
    "Task",
    "TimeWindow",
    "Violation",
    "Volunteer",
    "WeeklyRule",
    "blocking_pairs",
    "check_objective",
    "dumps_problem",
    "dumps_solution",
    "explain",
    "explain_text",
    "explain_volunteers",
    "generate_pairing",
    "loads_problem",
    "loads_solution",
    "max_weakly_stable",
    "max_weakly_stable_result",
    "menu_replan",
    "menu_solve",
    "pair",
    "problem_from_dict",
    "problem_to_dict",
    "read_assign",
    "read_gap",
    "read_pairing_problem",
    "read_problem",
    "read_solution",
    "reliability",
    "replan",
    "result_from_dict",
    "result_to_dict",
    "solve",
    "stable_match",
    "stable_match_with_conflicts",
    "star_level",
    "verify",
    "verify_pairing",
    "write_problem",
    "write_solution",
]
