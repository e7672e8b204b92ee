"""Pairing service (issue 6): one test per hard rule, engines agree, existing pairs, verify, JSON."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import date, time

import numpy as np
import pytest

from vmatch import FormatError, Location, ModelError, Settings, Volunteer, WeeklyRule
from vmatch.pairing import (
    Beneficiary,
    Pair,
    PairingProblem,
    PairingResult,
    PairingWeights,
    compile_pairing,
    dumps_pairing_problem,
    dumps_pairing_result,
    generate_pairing,
    loads_pairing_problem,
    loads_pairing_result,
    pair,
    pairing_result_to_dict,
    verify_pairing,
)
from vmatch.result import Status
from vmatch.solvers.cpsat import solve_cpsat
from vmatch.solvers.exact import classify, solve_assignment

TODAY = date(2026, 12, 7)  # a Monday
HOME = Location(31.30, 114.60)
TUE_PM = (WeeklyRule((2,), time(16), time(18)),)
S = Settings(travel_speed_kmh=15.0, time_step_minutes=15)


def east(km: float) -> Location:
    """A point ``km`` east of HOME."""
    return Location(HOME.lat, HOME.lon + km / (111.32 * np.cos(np.radians(HOME.lat))))


def ben(bid: str, weekly: tuple[WeeklyRule, ...] = TUE_PM, minutes: int = 60, **kw: object) -> Beneficiary:
    kw.setdefault("location", HOME)
    return Beneficiary(bid, weekly=weekly, minutes_per_week=minutes, **kw)  # type: ignore[arg-type]


def vol(vid: str, weekly: tuple[WeeklyRule, ...] = TUE_PM, **kw: object) -> Volunteer:
    kw.setdefault("location", HOME)
    return Volunteer(vid, weekly=weekly, **kw)  # type: ignore[arg-type]


def problem(vols: tuple[Volunteer, ...], bens: tuple[Beneficiary, ...], **kw: object) -> PairingProblem:
    kw.setdefault("settings", S)
    return PairingProblem(vols, bens, today=TODAY, **kw)  # type: ignore[arg-type]


def run(p: PairingProblem, **kw: object) -> PairingResult:
    r = pair(p, time_limit=10, **kw)  # type: ignore[arg-type]
    assert r.status == Status.OPTIMAL
    assert verify_pairing(p, r) == []
    return r


def pairs(r: PairingResult) -> set[tuple[str, str]]:
    return {(x.volunteer, x.beneficiary) for x in r.pairs}


# -- one test per hard rule ---------------------------------------------------------------
def test_skill_level() -> None:
    p = problem(
        (vol("low", skills={"tutoring": 1}), vol("high", skills={"tutoring": 2})),
        (ben("b", needs={"tutoring": 2}),),
    )
    r = run(p)
    assert pairs(r) == {("high", "b")}


def test_skill_missing_leaves_unpaired_with_reason() -> None:
    r = run(problem((vol("v"),), (ben("b", needs={"sign_language": 2}),)))
    assert r.pairs == () and dict(r.unpaired["b"].reasons) == {"skill": 1}


def test_certificate_valid_until_horizon_end() -> None:
    p = problem(
        (
            vol("soon", certificates={"child_safeguarding": date(2027, 3, 1)}),
            vol("ok", certificates={"child_safeguarding": date(2027, 12, 31)}),
            vol("none"),
        ),
        (ben("b", certificates=("child_safeguarding",)),),
        horizon_weeks=26,
    )
    assert p.horizon_end == date(2027, 6, 6)
    r = run(p)
    assert pairs(r) == {("ok", "b")}
    assert run(dataclasses.replace(p, horizon_weeks=8)).pairs[0].volunteer in {"soon", "ok"}


def test_attribute_wish() -> None:
    p = problem(
        (vol("m", attributes={"gender": {"m"}}), vol("f", attributes={"gender": {"f"}})),
        (ben("b", wishes={"gender": frozenset({"f"})}),),
    )
    assert pairs(run(p)) == {("f", "b")}


def test_distance_own_and_default_limit() -> None:
    p = problem(
        (
            vol("far", location=east(4.0)),
            vol("near", location=east(2.0)),
            vol("own", location=east(2.5), max_distance_km=2.0),
        ),
        (ben("b"),),
        settings=dataclasses.replace(S, max_distance_km=3.0),
    )
    r = run(p)
    assert pairs(r) == {("near", "b")}


def test_weekly_time_must_hold_the_whole_visit() -> None:
    short = (WeeklyRule((2,), time(16, 30), time(17, 15)),)  # 45 min shared
    wrong_day = (WeeklyRule((3,), time(16), time(18)),)
    p = problem((vol("short", weekly=short), vol("wed", weekly=wrong_day)), (ben("b", minutes=60),))
    r = run(p)
    assert r.pairs == () and r.unpaired["b"].reasons["time"] == 2
    p2 = dataclasses.replace(
        p, volunteers=(*p.volunteers, vol("ok", weekly=(WeeklyRule((2,), time(16, 15), time(19)),)))
    )
    r2 = run(p2)
    (x,) = r2.pairs
    assert (x.volunteer, x.weekday, x.start, x.end) == ("ok", 2, time(16, 15), time(17, 15))


def test_start_on_time_step_from_window_start() -> None:
    b = ben("b", weekly=(WeeklyRule((2,), time(16, 10), time(17, 40)),), minutes=60)
    v = vol("v", weekly=(WeeklyRule((2,), time(16, 20), time(18)),))
    (x,) = run(problem((v,), (b,))).pairs
    assert x.start == time(16, 25)  # 16:10 + 15: the first step start inside the volunteer's time


def test_weekly_minutes_limit() -> None:
    p = problem(
        (vol("v", weekly=(WeeklyRule((2, 4), time(16), time(18)),), max_minutes=100),),
        (
            ben("b1", weekly=(WeeklyRule((2,), time(16), time(18)),)),
            ben("b2", weekly=(WeeklyRule((4,), time(16), time(18)),)),
        ),
        max_beneficiaries={"v": 2},
    )
    assert len(run(p).pairs) == 1
    assert (
        len(run(dataclasses.replace(p, volunteers=(dataclasses.replace(p.volunteers[0], max_minutes=120),))).pairs) == 2
    )


def test_per_day_minutes_limit() -> None:
    long_day = (WeeklyRule((2,), time(9), time(18)),)
    p = problem(
        (vol("v", weekly=long_day, max_minutes_per_day=90),),
        (ben("b1", weekly=long_day), ben("b2", weekly=long_day)),
        max_beneficiaries={"v": 2},
    )
    assert len(run(p).pairs) == 1


def test_max_beneficiaries() -> None:
    long_day = (WeeklyRule((2,), time(9), time(18)),)
    bens = tuple(ben(f"b{i}", weekly=long_day) for i in range(4))
    assert len(run(problem((vol("v", weekly=long_day),), bens)).pairs) == 1  # default: one-to-one
    r = run(problem((vol("v", weekly=long_day),), bens, max_beneficiaries={"v": 3}))
    assert len(r.pairs) == 3 and len(r.unpaired) == 1 and r.unpaired[next(iter(r.unpaired))].reasons == {"busy": 1}


def test_visits_do_not_overlap() -> None:
    p = problem((vol("v"),), (ben("b1", minutes=90), ben("b2", minutes=60)), max_beneficiaries={"v": 2})
    r = run(p)
    assert len(r.pairs) == 1  # 150 minutes of visits in a 120-minute window
    assert r.pairs[0].beneficiary == "b2"  # the same weight: the better fit (more shared time beyond the visit)


def test_travel_between_homes() -> None:
    window = (WeeklyRule((2,), time(16), time(18)),)
    near = problem((vol("v", weekly=window),), (ben("b1"), ben("b2", location=east(0.0))), max_beneficiaries={"v": 2})
    assert len(run(near).pairs) == 2  # same home: back to back
    far = problem(
        (vol("v", weekly=window, location=east(1.0)),),
        (ben("b1"), ben("b2", location=east(2.0))),
        max_beneficiaries={"v": 2},
    )
    assert len(run(far).pairs) == 1  # 2 km = 8 min of travel, no room in 120 min for two 60-min visits
    wide = (WeeklyRule((2,), time(16), time(18, 15)),)
    wider = dataclasses.replace(
        far,
        volunteers=(dataclasses.replace(far.volunteers[0], weekly=wide),),
        beneficiaries=tuple(dataclasses.replace(b, weekly=wide) for b in far.beneficiaries),
    )
    r = run(wider)
    assert len(r.pairs) == 2
    a, b = sorted(r.pairs, key=lambda x: x.start)
    assert (b.week_minute - (a.week_minute + a.minutes)) >= 8


def test_travel_around_the_week_end() -> None:
    late = (WeeklyRule((7,), time(22, 45), time(0)),)
    early = (WeeklyRule((1,), time(0), time(1)),)
    v = vol("v", weekly=late + early, location=east(1.0))
    p = problem(
        (v,),
        (ben("sun", weekly=late, minutes=75), ben("mon", weekly=early, location=east(2.0))),
        max_beneficiaries={"v": 2},
    )
    r = run(p)
    assert len(r.pairs) == 1  # Sunday until midnight, then Monday 00:00: no time to travel 2 km
    shorter = dataclasses.replace(p, beneficiaries=(ben("sun", weekly=late, minutes=60), p.beneficiaries[1]))
    assert len(run(shorter).pairs) == 2  # Sunday 22:45-23:45 leaves 15 minutes


def test_forbidden_and_dissolved_pairs_never_formed() -> None:
    p = problem((vol("v1"), vol("v2")), (ben("b"),), forbidden=(("v1", "b"),), dissolved=(("v2", "b"),))
    r = run(p)
    assert r.pairs == () and dict(r.unpaired["b"].reasons) == {"forbidden": 1, "dissolved": 1}


def test_one_volunteer_per_beneficiary() -> None:
    p = problem((vol("v1"), vol("v2")), (ben("b"),))
    assert len(run(p).pairs) == 1


# -- objective: priorities, existing pairs ------------------------------------------------------
def test_most_vulnerable_and_longest_waiting_first() -> None:
    bens = (
        ben("new", group="elderly", waiting_since=TODAY),
        ben("old", group="elderly", waiting_since=date(2025, 1, 1)),
        ben("dis", group="disabled", waiting_since=TODAY),
    )
    r = run(problem((vol("v1"), vol("v2")), bens))
    assert {x.beneficiary for x in r.pairs} == {"old", "dis"}
    assert r.levels[0].value == (100 + 20 + 23) + (100 + 30)


def test_existing_pairs_are_kept_over_better_fit() -> None:
    p = problem((vol("close"), vol("current", location=east(1.5))), (ben("b"),), existing=(("current", "b"),))
    r = run(p)
    assert pairs(r) == {("current", "b")} and r.kept == (("current", "b"),) and r.new == () and r.dropped == ()


def test_existing_pair_dropped_when_it_breaks_a_rule() -> None:
    p = problem(
        (vol("moved", location=east(9.0), max_distance_km=3.0), vol("other")),
        (ben("b"),),
        existing=(("moved", "b"),),
    )
    r = run(p)
    assert pairs(r) == {("other", "b")}
    assert [(d.volunteer, d.beneficiary, d.reason) for d in r.dropped] == [("moved", "b", "distance")]


def test_dissolved_pair_never_comes_back_even_when_alone() -> None:
    p = problem((vol("ex"),), (ben("b"),), dissolved=(("ex", "b"),))
    assert run(p).pairs == ()


# -- engines --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_exact_and_cpsat_agree_on_one_to_one(seed: int) -> None:
    p = dataclasses.replace(generate_pairing(70, 35, seed=seed), max_beneficiaries={})
    pc = compile_pairing(p)
    assert classify(pc.arcs) == "one_to_one"
    exact = solve_assignment(pc.arcs)
    cp = solve_cpsat(pc.arcs, time_limit=20, seed=0)
    assert cp.status.value == "OPTIMAL"
    assert exact.values == pytest.approx(cp.values)
    auto, forced = pair(p), pair(p, engine="cpsat", time_limit=20)
    assert auto.stats["solvers"] == ["assignment"]
    assert [lv.value for lv in auto.levels] == pytest.approx([lv.value for lv in forced.levels])
    assert verify_pairing(p, auto) == [] and verify_pairing(p, forced) == []


def _brute_force_best(p: PairingProblem) -> float:
    """The best first-level value over all assignments that verify (tiny problems only)."""
    pc = compile_pairing(p)
    from vmatch._pairing_sched import Scheduler

    sch = Scheduler(pc)
    ap = pc.arcs
    by_b: dict[int, list[int]] = {}
    for a in range(ap.n_arcs):
        by_b.setdefault(int(ap.arc_job[a]), []).append(a)
    options = [[-1, *arcs] for arcs in by_b.values()]
    best = 0.0
    for combo in itertools.product(*options):
        chosen = [a for a in combo if a >= 0]
        per_v: dict[int, list[int]] = {}
        for a in chosen:
            per_v.setdefault(int(ap.arc_agent[a]), []).append(int(ap.arc_job[a]))
        if all(
            len(bs) <= pc.problem.capacity(pc.problem.volunteers[v].id) and sch.place(v, bs) is not None
            for v, bs in per_v.items()
        ):
            best = max(best, float(ap.levels[0].coef[chosen].sum()))
    return best


@pytest.mark.parametrize("seed", range(3))
def test_one_to_few_optimum_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days = [(2,), (2, 4), (6,)]
    vols = tuple(
        vol(
            f"v{i}",
            weekly=(WeeklyRule(days[i % 3], time(16), time(18, 30)),),
            location=east(float(rng.uniform(0, 2))),
            max_minutes=int(rng.choice([90, 150, 240])),
        )
        for i in range(3)
    )
    bens = tuple(
        ben(
            f"b{j}",
            weekly=(WeeklyRule(days[j % 3], time(16), time(18)),),
            minutes=int(rng.choice([45, 60, 90])),
            location=east(float(rng.uniform(0, 2))),
            waiting_since=date(2026, int(rng.integers(1, 12)), 1),
        )
        for j in range(6)
    )
    p = problem(vols, bens, max_beneficiaries={"v0": 2, "v1": 3, "v2": 2})
    r = run(p)
    assert r.levels[0].value == pytest.approx(_brute_force_best(p))


@pytest.mark.parametrize("engine", ["auto", "relax", "cpsat"])
def test_every_result_verifies_on_generated_problems(engine: str) -> None:
    for seed in range(2):
        p = generate_pairing(160, 70, seed=seed)
        r = pair(p, time_limit=5, engine=engine)
        assert r.status.has_solution
        assert verify_pairing(p, r) == []
        assert r.levels[0].bound >= r.levels[0].value - 1e-9
        kept = set(r.kept)
        assert kept <= set(p.existing) and not kept & {(d.volunteer, d.beneficiary) for d in r.dropped}
        assert all((x.volunteer, x.beneficiary) not in set(p.dissolved) | set(p.forbidden) for x in r.pairs)


# -- verify catches broken answers ----------------------------------------------------------------
def test_verify_reports_broken_rules() -> None:
    p = problem((vol("v", max_minutes=90),), (ben("b1"), ben("b2", needs={"tutoring": 1})))
    bad = PairingResult(
        Status.FEASIBLE,
        pairs=(Pair("v", "b1", 2, time(16), time(17)), Pair("v", "b2", 2, time(16, 30), time(17, 30))),
        new=(("v", "b1"), ("v", "b2")),
    )
    rules = sorted(x.rule for x in verify_pairing(p, bad))
    assert rules == ["capacity", "double_booking", "skill", "workload"]
    off = PairingResult(Status.FEASIBLE, pairs=(Pair("v", "b1", 2, time(16, 5), time(17, 5)),), new=(("v", "b1"),))
    assert [x.rule for x in verify_pairing(p, off)] == ["slot"]
    wrong_len = PairingResult(Status.FEASIBLE, pairs=(Pair("v", "b1", 2, time(16), time(16, 30)),), new=(("v", "b1"),))
    assert [x.rule for x in verify_pairing(p, wrong_len)] == ["slot"]
    books = PairingResult(Status.FEASIBLE, pairs=(Pair("v", "b1", 2, time(16), time(17)),))
    assert [x.rule for x in verify_pairing(p, books)] == ["existing"]


# -- model and JSON -------------------------------------------------------------------------------
def test_model_errors_name_object_and_field() -> None:
    with pytest.raises(ModelError, match=r"beneficiary 'b': field 'minutes_per_week'"):
        ben("b", minutes=0)
    with pytest.raises(ModelError, match=r"beneficiary 'b': field 'needs.care'"):
        ben("b", needs={"care": 6})
    with pytest.raises(ModelError, match=r"beneficiary 'b': field 'wishes.gender'"):
        ben("b", wishes={"gender": frozenset()})
    with pytest.raises(ModelError, match=r"unknown volunteer 'x'"):
        problem((vol("v"),), (ben("b"),), existing=(("x", "b"),))
    with pytest.raises(ModelError, match=r"beneficiary 'b': field 'existing' pairs it with both"):
        problem((vol("v1"), vol("v2")), (ben("b"),), existing=(("v1", "b"), ("v2", "b")))
    with pytest.raises(ModelError, match=r"also dissolved"):
        problem((vol("v"),), (ben("b"),), existing=(("v", "b"),), dissolved=(("v", "b"),))
    with pytest.raises(ModelError, match=r"volunteer 'v': field 'max_beneficiaries'"):
        problem((vol("v"),), (ben("b"),), max_beneficiaries={"v": -1})
    with pytest.raises(ModelError, match=r"weights 'weights': field 'base'"):
        PairingWeights(base=-1)


def test_json_round_trip() -> None:
    p = generate_pairing(40, 20, seed=3)
    p = dataclasses.replace(p, weights=PairingWeights(per_km=2.5, groups={"child": 40}), extra={"note": [1, 2]})
    text = dumps_pairing_problem(p)
    assert json.loads(text)["pairing"]["today"] == "2026-12-07"
    assert loads_pairing_problem(text) == p
    r = pair(p, time_limit=5)
    back = loads_pairing_result(dumps_pairing_result(r), p)
    assert back.pairs == r.pairs and back.kept == r.kept and back.dropped == r.dropped
    assert dict(back.unpaired) == dict(r.unpaired) and back.status == r.status
    assert pairing_result_to_dict(r)["format"] == "vmatch-pairing-solution/1"
    assert verify_pairing(p, back) == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("pairing"), "problem: field 'pairing' is missing"),
        (lambda d: d["pairing"].pop("today"), "pairing: field 'today' is missing"),
        (lambda d: d["pairing"].update(colour=1), "pairing: field 'colour' is unknown"),
        (
            lambda d: d["pairing"]["beneficiaries"][0].update(minutes_per_week="60"),
            "field 'minutes_per_week' must be an integer",
        ),
        (
            lambda d: d["pairing"]["beneficiaries"][0].update(weekly=[]),
            "field 'weekly' must list at least one",
        ),
        (
            lambda d: d["pairing"]["beneficiaries"][0]["weekly"][0].update(end="25:00"),
            "field 'weekly[0].end'",
        ),
        (
            lambda d: d["pairing"]["beneficiaries"][0].update(waiting_since="2026-13-01"),
            "field 'waiting_since'",
        ),
        (lambda d: d["pairing"].update(existing=[["nobody", "b0"]]), "names unknown volunteer 'nobody'"),
        (lambda d: d["pairing"].update(max_beneficiaries={"v0": 1.5}), "max_beneficiaries.v0"),
        (lambda d: d["pairing"]["beneficiaries"].append(dict(d["pairing"]["beneficiaries"][0])), "duplicate"),
        (
            lambda d: d["volunteers"][0].update(location=[91, 0]),
            "volunteer 'v0': field 'location[0] (latitude)'",
        ),
    ],
)
def test_json_refusals(edit: object, message: str) -> None:
    d = json.loads(dumps_pairing_problem(generate_pairing(3, 2, seed=0, history=False)))
    edit(d)  # type: ignore[operator]
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        loads_pairing_problem(json.dumps(d))


def test_json_refuses_malformed_and_oversized_text() -> None:
    with pytest.raises(FormatError, match="malformed JSON"):
        loads_pairing_problem('{"format": "vmatch/1", "pairing": ')
    with pytest.raises(FormatError, match="larger than the limit"):
        loads_pairing_problem(dumps_pairing_problem(generate_pairing(20, 10, seed=0)), max_bytes=100)


def test_generator_is_deterministic_and_realistic() -> None:
    p = generate_pairing(400, 160, seed=5)
    assert p == generate_pairing(400, 160, seed=5)
    groups = [b.group for b in p.beneficiaries]
    assert {"child", "elderly", "disabled"} <= set(groups)
    kids = [b for b in p.beneficiaries if b.group == "child"]
    assert all(r.start >= time(16, 30) or set(r.days) <= {6, 7} for b in kids for r in b.weekly)
    assert len(p.existing) > 0 and len(p.dissolved) > 0


def test_format_doc_example_solves_as_documented() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "format.md").read_text(encoding="utf-8")
    section = text[text.index('## The `"pairing"` section') :]
    problem_doc, solution_doc = re.findall(r"```json\n(.*?)```", section, re.S)[:2]
    p = loads_pairing_problem(problem_doc)
    documented = loads_pairing_result(solution_doc, p)
    r = pair(p)
    assert r.pairs == documented.pairs and r.kept == documented.kept and r.new == documented.new
    assert [(lv.name, lv.value) for lv in r.levels] == [(lv.name, lv.value) for lv in documented.levels]
    assert verify_pairing(p, documented) == []
