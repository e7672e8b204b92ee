"""Pairing service (结对服务): lasting one-to-one or one-to-few pairs on recurring weekly time.

A volunteer visits each of their beneficiaries once a week, for the beneficiary's
``minutes_per_week``, in one concrete weekly slot inside both people's weekly time.
:func:`pair` runs the usual pipeline: compile to an arc problem (one arc per eligible
pair; :mod:`vmatch._pairing_compile`), solve it with the shared solvers while each
volunteer's weekly schedule is checked exactly (:mod:`vmatch._pairing_sched`; a set that
cannot be scheduled becomes a row of the arc problem), and decode to a
:class:`PairingResult`. A one-to-one problem, or a one-to-few one whose chosen sets all
schedule, is solved exactly (``linear_sum_assignment`` or min-cost flow); otherwise a block
relaxation solved as a min-cost flow gives a bound, prices and a start; best-response sweeps
(each volunteer takes their best schedulable set of free beneficiaries, found exactly), steal
moves (a volunteer takes a beneficiary whose volunteer can take someone else instead) and a
set packing of the sets found improve it; a Lagrangian bound (the relaxation's prices, each
volunteer's best set priced exactly) tightens the bound; small problems end with CP-SAT
rounds that prove the optimum (:mod:`vmatch._pairing_engine`).
:func:`verify_pairing` re-checks every hard rule on the domain model, independently.

Hard rules: skills, certificates (valid until the end of the pairing horizon), attribute
wishes and distance as in dispatch; one visit slot of ``minutes_per_week`` minutes on the
time step, inside the beneficiary's weekly time and the volunteer's; per volunteer at most
``max_beneficiaries`` pairs, visits that neither overlap nor leave too little time to travel
between homes (around the week), weekly and per-day minutes within the limits; each
beneficiary at most one volunteer; forbidden and dissolved pairs never formed.

Objective, lexicographic: ``paired`` (per paired beneficiary: base + vulnerability group
+ months waited), then ``kept`` (existing pairs kept), then ``fit`` (shared weekly time
beyond the visit, soft preferences met, minus km).

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> after_school = (WeeklyRule((2, 4), time(16, 30), time(18, 30)),)
>>> kids = (Beneficiary("b1", Location(31.30, 114.60), after_school, 60, {"tutoring": 1}, group="child"),
...         Beneficiary("b2", Location(31.31, 114.61), after_school, 45, group="child"))
>>> vols = (Volunteer("v1", Location(31.30, 114.61), skills={"tutoring": 2},
...                   weekly=(WeeklyRule((2,), time(16), time(19)),), max_distance_km=5),)
>>> p = PairingProblem(vols, kids, today=date(2026, 12, 7), max_beneficiaries={"v1": 2})
>>> r = pair(p, time_limit=5)
>>> r.status.value, [(x.volunteer, x.beneficiary, x.weekday, x.start.isoformat("minutes")) for x in r.pairs]
('OPTIMAL', [('v1', 'b1', 2, '16:30'), ('v1', 'b2', 2, '17:45')])
>>> verify_pairing(p, r)
[]
"""

from __future__ import annotations

import logging

from vmatch._pairing_compile import PairingCompiled, compile_pairing
from vmatch._pairing_engine import ENGINES, solve_pairing
from vmatch._pairing_model import Beneficiary, PairingProblem, PairingWeights
from vmatch._pairing_result import DroppedPair, Pair, PairingResult, Unpaired, decode_pairing
from vmatch._pairing_verify import verify_pairing
from vmatch.gen.pairing import generate_pairing
from vmatch.io.pairing_json import (
    dumps_pairing_problem,
    dumps_pairing_result,
    loads_pairing_problem,
    loads_pairing_result,
    pairing_problem_from_dict,
    pairing_problem_to_dict,
    pairing_result_from_dict,
    pairing_result_to_dict,
    read_pairing_problem,
    write_pairing_problem,
)

__all__ = [
    "ENGINES",
    "Beneficiary",
    "DroppedPair",
    "Pair",
    "PairingCompiled",
    "PairingProblem",
    "PairingResult",
    "PairingWeights",
    "Unpaired",
    "compile_pairing",
    "dumps_pairing_problem",
    "dumps_pairing_result",
    "generate_pairing",
    "loads_pairing_problem",
    "loads_pairing_result",
    "pair",
    "pairing_problem_from_dict",
    "pairing_problem_to_dict",
    "pairing_result_from_dict",
    "pairing_result_to_dict",
    "read_pairing_problem",
    "verify_pairing",
    "write_pairing_problem",
]

log = logging.getLogger(__name__)


def pair(
    problem: PairingProblem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    engine: str = "auto",
    reproducible: bool = False,
) -> PairingResult:
    """Pair volunteers with beneficiaries: most (weighted) beneficiaries first, then existing pairs, then fit.

    Parameters
    ----------
    problem : PairingProblem
    time_limit : float
        Wall-clock seconds for the solver (compilation comes on top).
    seed : int
        Random seed of CP-SAT. CP-SAT's threads race, so without ``reproducible`` even an answer
        proven optimal can be another of the optimal ones on the next run (measured: two of three
        600 x 300 pairings proven optimal with 8 workers came back with other pairs or slots).
    workers : int, optional
        CP-SAT threads (default: up to 8).
    engine : str
        ``"auto"`` (see above), ``"cpsat"`` (plain CP-SAT, level by level, every round: the
        baseline) or ``"relax"`` (block relaxation solved exactly, then repaired: fastest,
        with a bound).
    reproducible : bool
        The same answer on every run with the same input and seed: a round of CP-SAT proven
        optimal then takes, among the optimal answers, the first in a fixed order drawn from
        ``seed`` (over every pair; it costs about as much again as the proof). The exact paths
        and a relaxation that schedules are reproducible as they are. The relax-and-repair
        search of large problems stops its stages by the clock and is not:
        ``stats["reproducible"]`` says which held, with a warning when it did not.

    Returns
    -------
    PairingResult
        Status, pairs with their weekly slot, unpaired beneficiaries with reasons, kept,
        new and dropped existing pairs, and value and bound per objective level.
    """
    pc = compile_pairing(problem)
    log.info("pairing: %d pairs (arcs) compiled in %.2fs", pc.arcs.n_arcs, pc.build_seconds)
    out = solve_pairing(pc, time_limit=time_limit, seed=seed, workers=workers, engine=engine, reproducible=reproducible)
    if reproducible and not out.stats.get("reproducible"):
        log.warning(
            "pair: reproducible was asked, but this answer was not proven (or came from the search of a large "
            "problem, which stops by the clock), so it may differ between runs (give more time)"
        )
    return decode_pairing(pc, out.sol, out.schedule, out.stats)
