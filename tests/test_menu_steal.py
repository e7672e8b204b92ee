"""Tests of steal moves (:mod:`vmatch.menu.steal`): the rules hold, never worse than the start, and a
hand-built chain that best responses alone cannot open."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmatch.compile import Compiled
from vmatch.gen.menu import generate_menu
from vmatch.menu import MenuProblem, Offer, Order, ServiceItem, menu_to_problem
from vmatch.menu.bounds import arc_data, provider_data
from vmatch.menu.people import compile_people, person_violations
from vmatch.menu.respond import best_responses
from vmatch.menu.steal import Memo, respond_and_steal, room, steal
from vmatch.model import Location, Settings, TimeWindow, Volunteer
from vmatch.solve import _as_solution, decode
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.greedy import greedy
from vmatch.verify import verify

SPEED = 15.0
DAY = datetime(2026, 12, 5, tzinfo=UTC)
HOME = Location(30.60, 114.30)
NEAR = Location(30.605, 114.305)
HAIRCUT = ServiceItem("haircut", "Haircut", "haircut", 60)


def _at(h0: float, h1: float) -> TimeWindow:
    return TimeWindow(DAY + timedelta(hours=h0), DAY + timedelta(hours=h1))


def _coverage(c: Compiled, chosen: np.ndarray) -> float:
    return float(c.arcs.levels[0].coef[chosen].sum())


def _holds(c: Compiled, chosen: np.ndarray) -> None:
    """Every rule of the arc problem and of the decoded dispatch holds."""
    assert c.arcs.check(np.flatnonzero(chosen)) == []
    res = decode(c, _as_solution(c.arcs, chosen, "steal"))
    assert verify(c.problem, res) == []
    assert person_violations(c.problem, res) == []


def test_a_steal_opens_the_chain_best_responses_cannot() -> None:
    # a serves r1 and could serve r2 instead (same hour: one of them); b can only serve r1 (r2 refuses b).
    # From {a: r1}, no offer gains alone: a gains nothing by switching, b finds r1 taken. The steal:
    # b takes r1, a re-plans to r2 -- both orders served.
    mp = MenuProblem(
        (HAIRCUT,),
        (Offer("oa", "a", "haircut"), Offer("ob", "b", "haircut")),
        (
            Order("r1", "res1", "haircut", _at(9, 10), NEAR),
            Order("r2", "res2", "haircut", _at(9, 10), NEAR, refused_providers=("b",)),
        ),
        (Volunteer("a", HOME), Volunteer("b", HOME)),
        (),
        Settings(time_step_minutes=15),
    )
    c = compile_people(menu_to_problem(mp)[0])
    ap = dataclasses.replace(c.arcs, levels=c.arcs.levels[:1])
    who = {v.id: i for i, v in enumerate(c.problem.volunteers)}
    order = {t.id: i for i, t in enumerate(c.problem.tasks)}
    task = c.job_task[ap.arc_job]
    start = np.zeros(ap.n_arcs, bool)
    start[np.flatnonzero((ap.arc_agent == who["oa"]) & (task == order["r1"]))[0]] = True
    _holds(c, start)
    assert _coverage(c, start) == 1.0
    for data in (arc_data(ap, SPEED), provider_data(ap, SPEED)):
        stuck = best_responses(ap, data, start)
        assert _coverage(c, stuck) == 1.0  # best responses alone stay
        out = respond_and_steal(ap, data, start)
        assert _coverage(c, out) == 2.0
        _holds(c, out)
        assert {
            (c.problem.volunteers[ap.arc_agent[a]].id, c.problem.tasks[task[a]].id) for a in np.flatnonzero(out)
        } == {("oa", "r2"), ("ob", "r1")}
    assert solve_cpsat(ap, time_limit=10, workers=1).values[0] == 2.0


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_steal_keeps_the_rules_and_never_loses(seed: int) -> None:
    c = compile_people(menu_to_problem(generate_menu(240, 70, seed=seed))[0])
    ap = c.arcs
    start = greedy(ap)
    for data in (arc_data(ap, SPEED), provider_data(ap, SPEED)):
        one = start.copy()
        moves, changed = steal(ap, data, one, Memo(ap.n_groups, data.n_agents))
        assert _coverage(c, one) >= _coverage(c, start)
        assert (moves == 0) == (not changed.any())
        _holds(c, one)
        out = respond_and_steal(ap, data, start)
        assert _coverage(c, out) >= _coverage(c, start)
        _holds(c, out)


def test_steal_gains_on_a_generated_menu() -> None:
    c = compile_people(menu_to_problem(generate_menu(300, 80, seed=5))[0])
    ap = c.arcs
    data = arc_data(ap, SPEED)
    responded = best_responses(ap, data, greedy(ap))
    out = respond_and_steal(ap, data, responded)
    _holds(c, out)
    assert _coverage(c, out) > _coverage(c, responded)  # steal moves find what best responses left


def test_room_leaves_an_offer_what_its_providers_workload_allows() -> None:
    meal = ServiceItem("meal", "Meal delivery", "elderly-meal", 30)
    mp = MenuProblem(
        (HAIRCUT, meal),
        (Offer("cut", "v1", "haircut"), Offer("food", "v1", "meal")),
        (Order("r1", "res1", "haircut", _at(9, 10), NEAR), Order("r2", "res2", "meal", _at(14, 14.5), NEAR)),
        (Volunteer("v1", HOME, max_minutes=70),),
        (),
        Settings(time_step_minutes=15),
    )
    c = compile_people(menu_to_problem(mp)[0])
    ap = c.arcs
    data = arc_data(ap, SPEED)
    who = {v.id: i for i, v in enumerate(c.problem.volunteers)}
    chosen = ap.arc_agent == who["cut"]
    assert chosen.sum() == 1
    cut = room(ap, data, chosen)
    assert cut.capacity[who["food"]] == 10  # 70 minutes less the haircut's 60
    assert cut.capacity[who["cut"]] == 70 and room(ap, data, ~chosen).capacity[who["cut"]] == 40
    assert room(ap, provider_data(ap, SPEED), chosen).capacity.tolist() == ap.agent_capacity.tolist()
    # the meal does not fit beside the haircut: a steal round leaves the plan as it is
    out = chosen.copy()
    steal(ap, data, out, Memo(ap.n_groups, data.n_agents))
    assert out.tolist() == chosen.tolist()
    _holds(c, out)
