"""Tests of the menu front-end: model, compile, welfare and stable dispatch, JSON, checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmatch.compile import compile_problem
from vmatch.errors import FormatError, ModelError
from vmatch.gen.menu import generate_menu
from vmatch.geo import haversine_km, travel_minutes
from vmatch.io.menu_json import (
    dumps_menu_problem,
    loads_menu_problem,
    menu_problem_to_dict,
    read_events,
)
from vmatch.menu import (
    MENU_OBJECTIVE,
    MenuProblem,
    Offer,
    Order,
    Rating,
    ServiceItem,
    check_menu,
    menu_result_to_dict,
    menu_solve,
    menu_to_problem,
    person_violations,
)
from vmatch.menu.explain import explain_orders
from vmatch.menu.fastcompile import compile_by_item
from vmatch.menu.stable_mode import stable_dispatch, stable_input
from vmatch.model import Location, Requirement, Settings, TimeWindow, Volunteer, WeeklyRule
from vmatch.solve import solve
from vmatch.stable import stable_match
from vmatch.verify import verify

UTC = UTC
DAY = datetime(2026, 12, 5, tzinfo=UTC)  # a Saturday
HOME = Location(30.60, 114.30)
NEAR = Location(30.605, 114.305)  # about 0.7 km away


def w(h0: float, h1: float) -> TimeWindow:
    return TimeWindow(DAY + timedelta(hours=h0), DAY + timedelta(hours=h1))


def vol(vid: str, **kw: object) -> Volunteer:
    return Volunteer(vid, kw.pop("location", HOME), **kw)  # type: ignore[arg-type]


HAIRCUT = ServiceItem("haircut", "Haircut", "haircut", 60)
MEAL = ServiceItem("meal", "Meal delivery", "elderly-meal", 30)
QUICK = dict(time_limit=5.0, workers=2)


def menu(
    offers: list[Offer],
    orders: list[Order],
    vols: list[Volunteer],
    items: tuple[ServiceItem, ...] = (HAIRCUT,),
    ratings: tuple[Rating, ...] = (),
) -> MenuProblem:
    return MenuProblem(items, tuple(offers), tuple(orders), tuple(vols), ratings, Settings(time_step_minutes=15))


def solved(mp: MenuProblem, **kw: object):  # type: ignore[no-untyped-def]
    r = menu_solve(mp, **{**QUICK, **kw})  # type: ignore[arg-type]
    assert verify(r.compiled, r.dispatch) == []
    assert check_menu(mp, r) == []
    assert person_violations(r.compiled, r.dispatch) == []
    return r


# ------------------------------------------------------------------------------------------- model
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: menu([Offer("o1", "v1", "nope")], [], [vol("v1")]), "offer 'o1': field 'item' names unknown item"),
        (
            lambda: menu([Offer("o1", "ghost", "haircut")], [], [vol("v1")]),
            "offer 'o1': field 'provider' names unknown",
        ),
        (
            lambda: menu([], [Order("r1", "res", "haircut", w(9, 9.5), NEAR)], []),
            "order 'r1': field 'window' (30 min) is shorter than item 'haircut' (60 min)",
        ),
        (
            lambda: menu(
                [Offer("o1", "v1", "crew")],
                [],
                [vol("v1")],
                items=(ServiceItem("crew", "Repair", "home-repair", 60, headcount=2),),
            ),
            "offer 'o1': field 'provider' is a volunteer, but item 'crew' needs a crew of 2",
        ),
        (
            lambda: menu([Offer("o1", "v1", "haircut"), Offer("o1", "v1", "haircut")], [], [vol("v1")]),
            "offer 'o1': field 'id' is a duplicate",
        ),
        (
            lambda: Order("r1", "res", "haircut", w(9, 11), NEAR, ranked_providers=("a",), refused_providers=("a",)),
            "order 'r1': field 'refused_providers' also ranks 'a'",
        ),
        (lambda: Offer("o1", "v1", "haircut", capacity=-1), "offer 'o1': field 'capacity' must be >= 0"),
        (lambda: Rating("x", "v1", 6, date(2026, 1, 1)), "rating 'x': field 'stars' must be in [1, 5]"),
        (
            lambda: ServiceItem("i", "I", "c", 60, requirements=(Requirement("a", 1, 2),)),
            "item 'i': field 'requirements[0].count' exceeds headcount 1",
        ),
        (
            lambda: menu([], [], [vol("v1", attributes={"menu.item": frozenset({"x"})})]),
            "volunteer 'v1': field 'attributes.menu.item' is reserved",
        ),
        (
            lambda: menu([Offer("o1", "t", "haircut")], [], [vol("t"), vol("v2", team="t")]),
            "is both a volunteer id and a team name",
        ),
    ],
)
def test_model_refuses_bad_input(build, message):  # type: ignore[no-untyped-def]
    with pytest.raises(
        ModelError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")
    ):
        build()


# ----------------------------------------------------------------------------------------- compile
def test_compile_maps_orders_to_tasks_and_offers_to_volunteers():
    mp = menu(
        [
            Offer("o1", "v1", "haircut", windows=(w(9, 12),), capacity=2, radius_km=3.0),
            Offer("o2", "v2", "haircut", windows=(w(14, 17),)),
        ],
        [
            Order("r1", "res1", "haircut", w(9, 17), NEAR, priority=3, ranked_providers=("v2", "v1")),
            Order("r2", "res2", "haircut", w(9, 17), NEAR, refused_providers=("v1",)),
        ],
        [vol("v1", max_minutes=600), vol("v2")],
        ratings=(Rating("p1", "v2", 1, date(2026, 11, 1)),),
    )
    p, m = menu_to_problem(mp)
    assert [v.id for v in p.volunteers] == ["o1", "o2"] and [t.id for t in p.tasks] == ["r1", "r2"]
    o1 = p.volunteer("o1")
    assert o1.availability == (w(9, 12),) and o1.max_minutes == 120 and o1.max_distance_km == 3.0
    assert p.task("r1").priority == 3 and p.task("r1").duration_minutes == 60 and p.task("r1").headcount == 1
    assert p.forbidden == (("o1", "r2"),)
    assert p.preferences == {("o2", "r1"): 10.0, ("o1", "r1"): 9.0}
    assert m.reliability["v2"] == pytest.approx((5 * 4.0 + 1) / 6) and m.reliability["v1"] == 4.0
    assert p.volunteer("o2").rating == pytest.approx(3.5)


def test_compile_by_item_gives_the_compilers_arcs():
    p, _ = menu_to_problem(generate_menu(120, 40, seed=7))
    a, b = compile_by_item(p), compile_problem(p)

    def arcs(c):  # type: ignore[no-untyped-def]
        return set(
            zip(
                c.arcs.arc_agent.tolist(),
                c.job_task[c.arcs.arc_job].tolist(),
                c.job_start[c.arcs.arc_job].tolist(),
                strict=True,
            )
        )

    assert a.arcs.n_arcs > 100 and arcs(a) == arcs(b)
    assert a.arcs.levels[0].value(np.arange(0)) == 0.0


# ----------------------------------------------------------------------------------------- welfare
def test_offer_windows_restrict_the_start_and_capacity_limits_orders():
    mp = menu(
        [Offer("o1", "v1", "haircut", windows=(w(10, 12),), capacity=1)],
        [
            Order("r1", "res1", "haircut", w(9, 11.5), NEAR, priority=2),
            Order("r2", "res2", "haircut", w(9, 17), NEAR, priority=1),
        ],
        [vol("v1")],
    )
    r = solved(mp)
    (a,) = r.assignments
    assert (a.order, a.provider, a.offer, a.crew) == ("r1", "v1", "o1", ("v1",))
    assert w(10, 11.5).start <= a.start and a.start + timedelta(minutes=60) <= w(10, 11.5).end
    assert dict(r.unserved["r2"]) == {"busy": 1}


def test_refused_provider_is_never_dispatched_and_preferences_break_ties():
    offers = [Offer("oa", "a", "haircut"), Offer("ob", "b", "haircut"), Offer("oc", "c", "haircut")]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR, ranked_providers=("c",), refused_providers=("a",))]
    r = solved(menu(offers, orders, [vol("a", location=NEAR), vol("b"), vol("c")]))
    assert [x.provider for x in r.assignments] == ["c"]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR, refused_providers=("a", "b", "c"))]
    r = solved(menu(offers, orders, [vol("a"), vol("b"), vol("c")]))
    assert r.assignments == () and r.unserved["r1"]["refused"] == 3


def test_reliability_then_travel_order_the_choice():
    offers = [Offer("oa", "a", "haircut"), Offer("ob", "b", "haircut")]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR)]
    ratings = tuple(Rating(f"p{k}", "a", 1, date(2026, 11, 1)) for k in range(10))
    r = solved(menu(offers, orders, [vol("a", location=NEAR), vol("b")], ratings=ratings))
    assert [x.provider for x in r.assignments] == ["b"]
    r = solved(menu(offers, orders, [vol("a", location=NEAR), vol("b")]))
    assert [x.provider for x in r.assignments] == ["a"]  # equal ratings: the nearer one
    assert [lv.name for lv in r.levels] == ["coverage", "preference", "reliability", "travel"]


def one_person_two_offers_at_once() -> MenuProblem:
    """v1 offers a haircut and a meal at the same hours; r1 (priority 2) wants the haircut, r2 the meal."""
    return menu(
        [Offer("cut", "v1", "haircut", windows=(w(9, 12),)), Offer("food", "v1", "meal", windows=(w(9, 12),))],
        [
            Order("r1", "res1", "haircut", w(9, 10), NEAR, priority=2),
            Order("r2", "res2", "meal", w(9, 9.5), NEAR, priority=1),
        ],
        [vol("v1")],
        items=(HAIRCUT, MEAL),
    )


def one_person_short_of_time() -> MenuProblem:
    """v1 offers a haircut and a meal with 70 minutes in all; r1 (priority 2) wants the haircut at 9,
    r2 the meal at 14."""
    return menu(
        [Offer("cut", "v1", "haircut"), Offer("food", "v1", "meal")],
        [Order("r1", "res1", "haircut", w(9, 10), NEAR, priority=2), Order("r2", "res2", "meal", w(14, 14.5), NEAR)],
        [vol("v1", max_minutes=70)],
        items=(HAIRCUT, MEAL),
    )


def test_one_person_with_two_offers_is_never_in_two_places():
    mp = one_person_two_offers_at_once()
    p, m = menu_to_problem(mp)
    assert m.same_person == {"v1": ("cut", "food")}
    plain = solve(p, time_limit=5)  # the plain dispatch model does not know the offers are one person
    assert len(plain.assignments) == 2 and person_violations(p, plain) != []
    r = solved(mp)
    assert [(x.order, x.offer) for x in r.assignments] == [("r1", "cut")]


def test_person_workload_spans_offers():
    r = solved(one_person_short_of_time())
    assert len(r.assignments) == 1


def test_team_sends_a_crew_that_meets_the_item():
    repair = ServiceItem(
        "repair",
        "Plumbing",
        "home-repair",
        90,
        headcount=2,
        skills={"repair": 1},
        requirements=(Requirement("first_aid", 1, 1),),
        certificates=("safety",),
    )
    members = [
        vol("m1", team="fix", skills={"repair": 2}, certificates={"safety": None}),
        vol("m2", team="fix", skills={"repair": 1}, certificates={"safety": date(2026, 12, 1)}),
        vol("m3", team="fix", skills={"repair": 1, "first_aid": 1}, certificates={"safety": None}),
    ]
    mp = menu(
        [Offer("of", "fix", "repair", windows=(w(8, 18),), capacity=1)],
        [Order("r1", "res1", "repair", w(9, 12), NEAR, priority=2), Order("r2", "res2", "repair", w(14, 17), NEAR)],
        members,
        items=(repair,),
    )
    p, _ = menu_to_problem(mp)
    assert p.volunteer("of").certificates == {"safety": None} and p.volunteer("of").team == "fix"
    r = solved(mp)
    (a,) = r.assignments
    assert a.order == "r1" and a.provider == "fix" and a.crew == ("m1", "m3")  # m2's certificate expired


def test_team_that_cannot_field_a_crew_is_dropped():
    repair = ServiceItem("repair", "Plumbing", "home-repair", 90, headcount=3)
    mp = menu(
        [Offer("of", "fix", "repair")],
        [Order("r1", "res1", "repair", w(9, 12), NEAR)],
        [vol("m1", team="fix"), vol("m2", team="fix")],
        items=(repair,),
    )
    p, m = menu_to_problem(mp)
    assert p.volunteers == () and "cannot field a crew" in m.dropped["of"]
    r = solved(mp)
    assert r.assignments == () and "r1" in r.unserved


def test_weekly_offer_times_are_checked_by_the_menu_check():
    sat = WeeklyRule((6,), datetime(2026, 1, 1, 9).time(), datetime(2026, 1, 1, 11).time())
    mp = menu(
        [Offer("o1", "v1", "haircut", weekly=(sat,))], [Order("r1", "res1", "haircut", w(8, 12), NEAR)], [vol("v1")]
    )
    r = solved(mp)
    (a,) = r.assignments
    assert w(9, 11).start <= a.start <= w(10, 11).start
    moved = type(r)(r.status, r.mode, (type(a)(a.order, a.provider, a.offer, DAY + timedelta(hours=10.5), a.crew),))
    assert any("outside offer 'o1'" in x for x in check_menu(mp, moved))


MENUS = st.builds(
    lambda n, k, s: generate_menu(n, k, seed=s), st.integers(1, 40), st.integers(1, 15), st.integers(0, 10_000)
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MENUS)
def test_every_welfare_and_stable_result_passes_verify(mp):  # type: ignore[no-untyped-def]
    r = menu_solve(mp, time_limit=2.0, workers=2)
    assert r.status.has_solution
    assert verify(r.compiled, r.dispatch) == [] and check_menu(mp, r) == []
    for opt in ("requester", "provider"):
        s = menu_solve(mp, mode="stable", optimal=opt)  # type: ignore[arg-type]
        assert verify(s.compiled, s.dispatch) == [] and check_menu(mp, s) == []
        assert s.objective <= r.objective + 1e-9  # welfare serves at least as much


# ------------------------------------------------------------------------------------------ stable
def _nonwasteful(mp: MenuProblem) -> int:
    """No order unserved (or served by a worse offer) while a better offer could add it freely."""
    p, m = menu_to_problem(mp)
    res, stats = stable_dispatch(mp, p, m, MENU_OBJECTIVE)
    si = stable_input(mp, p, m, MENU_OBJECTIVE)
    removed = {tuple(x) for x in stats["stable_removed"]}
    match = {a.task: a.volunteer for a in res.assignments}
    held: dict[str, list[str]] = {}
    for o, k in match.items():
        held.setdefault(k, []).append(o)
    speed = p.settings.travel_speed_kmh
    checked = 0
    for (o, k), (_, s, e, _) in si.pair.items():
        cur = match.get(o)
        if (o, k) in removed or cur == k or (cur is not None and si.rkey[(o, cur)] <= si.rkey[(o, k)]):
            continue
        checked += 1
        mine = held.get(k, [])
        clash = len(mine) >= si.cap[k]
        for x in mine:
            (_s1, e1, a), (s2, _, b) = sorted([(s, e, o), (si.pair[(x, k)][1], si.pair[(x, k)][2], x)])
            la, lb = p.task(a).location, p.task(b).location
            clash |= s2 - e1 < travel_minutes(float(haversine_km(la.lat, la.lon, lb.lat, lb.lon)), speed)
        assert clash, (o, k)
    return checked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_requester_stable_dispatch_is_non_wasteful(seed):  # type: ignore[no-untyped-def]
    assert _nonwasteful(generate_menu(80, 25, seed=seed)) > 0


@pytest.mark.parametrize("seed", [2, 18])
def test_without_conflicts_stable_mode_is_deferred_acceptance(seed):  # type: ignore[no-untyped-def]
    mp = generate_menu(40, 30, seed=seed)
    p, m = menu_to_problem(mp)
    si = stable_input(mp, p, m, MENU_OBJECTIVE)
    rp, pp = si.lists(set())
    assert len(si.pair) > 10 and not si.conflicts(pp, p.settings.travel_speed_kmh)
    for opt in ("requester", "provider"):
        s = solved(mp, mode="stable", optimal=opt)
        assert s.stats["stable_removed_pairs"] == 0
        assert {a.order: a.offer for a in s.assignments} == stable_match(rp, pp, si.cap, optimal=opt)  # type: ignore[arg-type]


def test_stable_with_disjoint_slots_has_no_blocking_pair():
    # fixed 60-minute slots two hours apart: each offer's conflict sets are disjoint
    offers = [Offer("oa", "a", "haircut", capacity=2), Offer("ob", "b", "haircut", capacity=1)]
    orders = [
        Order("r1", "res1", "haircut", w(9, 10), NEAR, priority=3),
        Order("r2", "res2", "haircut", w(9, 10), NEAR, priority=2, ranked_providers=("a",)),
        Order("r3", "res3", "haircut", w(11, 12), NEAR, priority=1, ranked_providers=("a", "b")),
    ]
    mp = menu(offers, orders, [vol("a"), vol("b")])
    s = solved(mp, mode="stable")
    got = {a.order: a.provider for a in s.assignments}
    # r1 is indifferent (tie broken: oa first); a ranks r1 > r2 > r3 (priority); r1 and r2 clash at 9:00,
    # so a keeps r1 and r3 and r2, though it prefers a, goes to b: a's greedy choice from
    # {r1, r3} + r2 is still {r1, r3}, so (r2, a) does not block
    assert got == {"r1": "a", "r3": "a", "r2": "b"}
    assert s.stats["stable_removed_pairs"] == 0


def test_provider_optimal_and_largest_are_feasible():
    mp = generate_menu(60, 20, seed=4)
    for kw in ({"optimal": "provider"}, {"largest": True}):
        s = solved(mp, mode="stable", **kw)
        assert s.mode == "stable" and s.status.value == "FEASIBLE"


def test_largest_serves_more_than_deferred_acceptance_when_ranks_tie():
    # r1 is indifferent between a and b; r2 refuses b; a ranks r1 and r2 alike (same priority and
    # distance) and can serve one of them at 9:00. Deferred acceptance breaks the ties by position:
    # r1 gets a, and r2 is left out. The largest weakly stable matching serves both (r1 with b,
    # r2 with a), and nobody blocks it: r1 does not strictly prefer a.
    offers = [Offer("oa", "a", "haircut", capacity=1), Offer("ob", "b", "haircut", capacity=1)]
    orders = [
        Order("r1", "res1", "haircut", w(9, 10), NEAR),
        Order("r2", "res2", "haircut", w(9, 10), NEAR, refused_providers=("b",)),
    ]
    mp = menu(offers, orders, [vol("a"), vol("b")])
    da = solved(mp, mode="stable")
    assert {a.order: a.provider for a in da.assignments} == {"r1": "a"}
    big = solved(mp, mode="stable", largest=True)
    assert {a.order: a.provider for a in big.assignments} == {"r1": "b", "r2": "a"}
    assert check_menu(mp, big) == []


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        menu_solve(generate_menu(2, 2), mode="best")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------- JSON
def test_menu_json_round_trip_and_solution_document():
    mp = generate_menu(30, 12, seed=9)
    assert loads_menu_problem(dumps_menu_problem(mp)) == mp
    r = menu_solve(mp, **QUICK)  # type: ignore[arg-type]
    doc = menu_result_to_dict(r)
    text = json.dumps(doc, allow_nan=False)
    assert doc["format"] == "vmatch-menu-solution/1" and len(doc["assignments"]) == len(r.assignments)
    assert "coverage" in doc["objective"] and json.loads(text)["mode"] == "welfare"


def _doc() -> dict:  # type: ignore[type-arg]
    return menu_problem_to_dict(
        menu(
            [Offer("o1", "v1", "haircut", windows=(w(9, 12),))],
            [Order("r1", "res1", "haircut", w(9, 11), NEAR)],
            [vol("v1")],
        )
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["menu"]["offers"][0].update(colour="red"), "offer 'o1': field 'colour' is unknown"),
        (lambda d: d["menu"]["items"][0].pop("name"), "item 'haircut': field 'name' is missing"),
        (
            lambda d: d["menu"]["orders"][0].update(window=["2026-12-05T09:00", "2026-12-05T11:00"]),
            "order 'r1': field 'window[0]' has no UTC offset",
        ),
        (lambda d: d["menu"]["offers"][0].update(provider="ghost"), "offer 'o1': field 'provider' names unknown"),
        (
            lambda d: d["menu"].update(ratings=[{"order": "x", "provider": "v1", "stars": 0, "date": "2026-01-01"}]),
            "rating 'x': field 'stars' must be in [1, 5]",
        ),
        (lambda d: d["menu"]["orders"].append(dict(d["menu"]["orders"][0])), "order 'r1': field 'id' is a duplicate"),
        (lambda d: d.pop("menu"), "problem: field 'menu' is missing"),
        (lambda d: d.update(tasks=[]), "problem: field 'tasks' is unknown"),
        (lambda d: d["menu"]["offers"][0].update(capacity=1.5), "offer 'o1': field 'capacity' must be an integer"),
        (lambda d: d["menu"]["offers"][0].update(radius_km=float("nan")), "must be a finite number"),
    ],
)
def test_menu_json_refuses_bad_input(edit, message):  # type: ignore[no-untyped-def]
    d = _doc()
    edit(d)
    with pytest.raises(FormatError) as e:
        from vmatch.io.menu_json import menu_problem_from_dict

        menu_problem_from_dict(d)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_events_json(tmp_path):  # type: ignore[no-untyped-def]
    f = tmp_path / "ev.json"
    f.write_text(
        json.dumps(
            {
                "accepted": [["v1", "t1"]],
                "cancelled": ["t9"],
                "added": [
                    {
                        "id": "t10",
                        "location": [30.6, 114.3],
                        "window": ["2026-12-05T09:00+08:00", "2026-12-05T10:00+08:00"],
                    }
                ],
            }
        )
    )
    ev = read_events(f)
    assert ev["accepted"] == (("v1", "t1"),) and ev["cancelled"] == ("t9",) and ev["added"][0].id == "t10"
    f.write_text('{"declined": [["v1"]]}')
    with pytest.raises(FormatError, match=r"events: field 'declined\[0\]' must be a \[volunteer id, task id\] pair"):
        read_events(f)


def test_the_documented_example_solves_as_documented():
    from pathlib import Path

    from vmatch.io.menu_json import read_menu_problem

    mp = read_menu_problem(Path(__file__).parent / "data" / "menu_example.json")
    r = solved(mp)
    doc = menu_result_to_dict(r)
    assert doc["assignments"] == [
        {"order": "or1", "provider": "v1", "offer": "of1", "start": "2026-12-05T09:00+08:00", "crew": ["v1"]},
        {"order": "or2", "provider": "fixers", "offer": "of2", "start": "2026-12-05T14:00+08:00", "crew": ["v2", "v3"]},
    ]
    assert doc["status"] == "OPTIMAL" and doc["objective"]["coverage"]["value"] == 5.0 and doc["unserved"] == {}


def test_shortfalls_by_item_agree_with_the_dispatch_reasons():
    from vmatch.menu.engine import solve_problem
    from vmatch.menu.people import compile_people
    from vmatch.solve import decode
    from vmatch.solvers.greedy import greedy

    p, _ = menu_to_problem(generate_menu(150, 40, seed=5))
    c = compile_people(p, MENU_OBJECTIVE)
    chosen = np.flatnonzero(greedy(c.arcs))
    from vmatch.arcs import ArcSolution, SolveStatus
    from vmatch.menu.reasons import decode_by_item

    sol = ArcSolution(SolveStatus.FEASIBLE, chosen, np.unique(c.arcs.arc_job[chosen]), (0.0,) * 4, (0.0,) * 4)
    fast, slow = decode_by_item(c, sol), decode(c, sol)
    assert fast.assignments == slow.assignments and set(fast.unassigned) == set(slow.unassigned)
    assert len(fast.unassigned) > 20
    n_items = {t.id: t.extra["item"] for t in p.tasks}
    for tid, s in fast.unassigned.items():
        same = sum(1 for v in p.volunteers if v.extra["item"] == n_items[tid])
        assert s.reasons.get("attribute", 0) == len(p.volunteers) - same
        assert s.reasons.get("busy", 0) == slow.unassigned[tid].reasons.get("busy", 0)
        for rule, n in s.reasons.items():
            if rule not in ("attribute", "distance", "busy"):
                assert n <= slow.unassigned[tid].reasons.get(rule, 0)
    assert solve_problem(p, time_limit=3).status.has_solution


def test_replan_of_a_menu_keeps_the_menus_own_terms():
    # after a declines, c (the requester's second choice) beats b (nearer, not ranked): the menu's
    # preference comes before travel in a re-plan too, as in its first plan
    from vmatch.replan import replan

    offers = [Offer("oa", "a", "haircut"), Offer("ob", "b", "haircut"), Offer("oc", "c", "haircut")]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR, ranked_providers=("a", "c"))]
    r = solved(menu(offers, orders, [vol("a", location=NEAR), vol("b", location=NEAR), vol("c")]))
    assert [x.provider for x in r.assignments] == ["a"]
    r2 = replan(r.compiled, r.dispatch, declined=[("oa", "r1")], **QUICK)  # type: ignore[arg-type]
    assert [(x.volunteer, x.task) for x in r2.assignments] == [("oc", "r1")]
    assert [lv.name for lv in r2.levels] == ["coverage", "keep", "preference", "reliability", "travel"]
    assert r2.breakdown["preference"] == 9.0


def test_menu_replan_a_decline_is_the_providers_for_all_its_offers():
    # a has two haircut offers (morning, all day); b is farther. r1 goes to a; a declines it through
    # one offer: the compiled pairs alone would hand r1 to a's other offer, the menu's decline does not
    from vmatch.menu import menu_replan
    from vmatch.replan import replan

    offers = [
        Offer("am", "a", "haircut", windows=(w(8, 12),)),
        Offer("day", "a", "haircut", windows=(w(8, 18),)),
        Offer("ob", "b", "haircut"),
    ]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR), Order("r2", "res2", "haircut", w(14, 15), NEAR)]
    mp = menu(offers, orders, [vol("a", location=NEAR), vol("b")])
    r = solved(mp)
    first = r.by_order()["r1"]
    assert first.provider == "a"
    plain = replan(r.compiled, r.dispatch, declined=[(first.offer, "r1")], **QUICK)  # type: ignore[arg-type]
    assert {x.task: x.volunteer for x in plain.assignments}["r1"] in ("am", "day")  # a again, other offer
    for who in (first.offer, "a"):  # by the offer, or by the provider
        r2 = menu_replan(mp, r, declined=[(who, "r1")], **QUICK)  # type: ignore[arg-type]
        assert (r2.by_order()["r1"].provider, r2.by_order()["r1"].offer) == ("b", "ob")
        assert r2.by_order()["r2"] == r.by_order()["r2"]  # untouched
        assert check_menu(mp, r2) == [] and verify(r2.compiled, r2.dispatch) == []
        assert r2.stats["changes"] == {"kept": 1, "removed": 1, "added": 1, "moved": 0}


def test_menu_replan_rounds_remember_earlier_declines_and_cancellations():
    from vmatch.io.menu_json import menu_plan_from_dict
    from vmatch.menu import menu_replan

    offers = [Offer("oa", "a", "haircut"), Offer("ob", "b", "haircut")]
    orders = [Order("r1", "res1", "haircut", w(9, 10), NEAR), Order("r2", "res2", "haircut", w(12, 13), NEAR)]
    mp = menu(offers, orders, [vol("a", location=NEAR), vol("b")])
    r = solved(mp)
    assert {x.order: x.provider for x in r.assignments} == {"r1": "a", "r2": "a"}
    r2 = menu_replan(mp, r, declined=[("a", "r1")], cancelled=["r2"], **QUICK)  # type: ignore[arg-type]
    assert r2.by_order()["r1"].provider == "b" and r2.unserved["r2"] == {"cancelled": 1}
    # round 3, from the result or from its menu solution read back: b declines r1 too; a (free,
    # nearer) declined it before, so r1 goes unserved, and r2 is still reported as cancelled
    back = menu_plan_from_dict(json.loads(json.dumps(menu_result_to_dict(r2))), *_compiled(mp))
    for prev in (r2, back):
        r3 = menu_replan(mp, prev, declined=[("b", "r1")], **QUICK)  # type: ignore[arg-type]
        assert r3.assignments == () and set(r3.unserved) == {"r1", "r2"}
        assert r3.unserved["r2"] == {"cancelled": 1}
        assert check_menu(mp, r3) == []
        # the compiled problem it carries is the one solved: r2 cancelled, a's and b's r1 forbidden
        assert r3.compiled is not None and r3.dispatch is not None
        assert "r2" not in {t.id for t in r3.compiled.tasks}
        assert {("oa", "r1"), ("ob", "r1")} <= set(r3.compiled.forbidden)
        assert verify(r3.compiled, r3.dispatch) == []


def _compiled(mp: MenuProblem):  # type: ignore[no-untyped-def]
    p, mapping = menu_to_problem(mp)
    return p, mapping.provider


def test_menu_replan_accepts_withdraws_and_cancels_in_menu_terms():
    from vmatch.menu import menu_replan

    offers = [Offer("oa", "a", "haircut"), Offer("oa2", "a", "meal"), Offer("ob", "b", "haircut")]
    orders = [
        Order("r1", "res1", "haircut", w(9, 10), NEAR),
        Order("r2", "res2", "meal", w(11, 12), NEAR),
        Order("r3", "res3", "haircut", w(13, 14), NEAR),
    ]
    mp = menu(offers, orders, [vol("a", location=NEAR), vol("b", location=NEAR)], items=(HAIRCUT, MEAL))
    r = solved(mp)
    assert set(r.by_order()) == {"r1", "r2", "r3"}
    served_by_a = sorted(o for o, x in r.by_order().items() if x.provider == "a")
    assert served_by_a
    # a accepts one of its orders (named by provider), then leaves with all its offers: the accepted
    # pair is kept, the rest of a's orders go to b or stay unserved; r3 is cancelled and reported
    keep = served_by_a[0]
    with pytest.raises(ModelError, match=r"provider 'b' does not serve order"):
        menu_replan(mp, r, accepted=[("b", keep)], **QUICK)  # type: ignore[arg-type]
    r2 = menu_replan(mp, r, accepted=[("a", keep)], cancelled=["r3"], **QUICK)  # type: ignore[arg-type]
    assert r2.by_order()[keep].offer == r.by_order()[keep].offer
    assert r2.unserved["r3"] == {"cancelled": 1} and "r3" not in r2.by_order()
    r3 = menu_replan(mp, r, withdrawn=["a"], **QUICK)  # type: ignore[arg-type]
    assert all(x.provider == "b" for x in r3.assignments)
    assert "r2" in r3.unserved  # the meal: only a offered it
    assert set(r3.by_order()) | set(r3.unserved) == {"r1", "r2", "r3"}
    for bad, msg in (
        (dict(declined=[("zz", "r1")]), r"declined\[0\]' names unknown offer or provider 'zz'"),
        (dict(declined=[("a", "r9")]), r"declined\[0\]' names unknown order 'r9'"),
        (dict(withdrawn=["zz"]), r"withdrawn\[0\]' names unknown offer or provider 'zz'"),
        (dict(accepted=[("a",)]), r"accepted\[0\]' must be an \(offer or provider id, order id\) pair"),
    ):
        with pytest.raises(ModelError, match=msg):
            menu_replan(mp, r, **bad, **QUICK)  # type: ignore[arg-type]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.data())
def test_menu_replan_never_gives_a_declined_order_back_to_its_provider(seed, data):  # type: ignore[no-untyped-def]
    from vmatch.menu import menu_replan

    mp = generate_menu(30, 12, seed=seed)
    r = menu_solve(mp, time_limit=2.0, workers=1)
    if len(r.assignments) < 2:
        return
    a, b = data.draw(st.permutations(r.assignments))[:2]
    r2 = menu_replan(mp, r, declined=[(a.provider, a.order)], accepted=[(b.offer, b.order)], time_limit=2.0)
    assert r2.by_order().get(a.order, a).provider != a.provider or a.order in r2.unserved
    assert r2.by_order()[b.order] == b
    assert set(r2.by_order()) | set(r2.unserved) == {o.id for o in mp.orders}
    assert check_menu(mp, r2) == [] and verify(r2.compiled, r2.dispatch) == []
    assert person_violations(r2.compiled, r2.dispatch) == []


# ------------------------------------------------------------------------------------------ explain
def test_explain_names_the_other_offer_of_the_same_person():
    # v1 is one person with two offers: serving r1 through "cut" leaves "food" busy for r2, although
    # the offer "food" itself serves nothing
    r = solved(one_person_two_offers_at_once())
    (e,) = explain_orders(r.compiled, r.dispatch)
    assert (e.order, e.item, e.served_by) == ("r2", "meal", ())
    assert e.busy == {"food": ("r1",)} and e.provider == {"food": "v1"} and e.full == e.unused == ()
    assert e.reasons == {"other_item": 1}
    assert "busy: food (v1) could serve it, but serves r1 at that time" in e.text()
    (s,) = explain_orders(r.compiled, r.dispatch, "r1")
    assert s.served_by == ("cut",) and s.text() == "order r1 (haircut): served by cut"
    # at a workload limit that spans the person's offers, the other offer is full instead
    r = solved(one_person_short_of_time())
    (e,) = explain_orders(r.compiled, r.dispatch)
    assert e.order == "r2" and e.full == ("food",) and e.busy == {} and e.unused == ()


@pytest.mark.parametrize("seed", [1, 2])
def test_explain_counts_what_the_menu_result_reports(seed):  # type: ignore[no-untyped-def]
    mp = generate_menu(80, 25, seed=seed)
    r = solved(mp)
    ex = {e.order: e for e in explain_orders(r.compiled, r.dispatch)}
    assert set(ex) == set(r.unserved) and ex
    for oid, why in r.unserved.items():
        e = ex[oid]
        assert e.reasons == {k: v for k, v in why.items() if k != "busy"}, oid
        assert len(e.busy) + len(e.full) + len(e.unused) == why.get("busy", 0), oid
    with pytest.raises(ModelError, match="names unknown order 'zz'"):
        explain_orders(r.compiled, r.dispatch, "zz")
