"""Pairing (issue 6): the exact set pricing, the Lagrangian bound and the sweep and steal search.

The pair test and the three-visit check are compared with the exact scheduler on every pair
and on random triples; the pricer with brute force over all small sets; the Lagrangian bound,
at the block relaxation's prices and at random ones, with optima that CP-SAT proves; steal
rounds only improve and keep every set schedulable, and the large path's answers verify and
stay between zero and the proven optimum.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vmatch._pairing_engine as engine
from vmatch._pairing_bound import lagrangian_bound
from vmatch._pairing_flow import BlockFlow
from vmatch._pairing_price import SetPricer
from vmatch._pairing_result import decode_pairing
from vmatch._pairing_sched import Scheduler
from vmatch._pairing_steal import steal, sweep_and_steal
from vmatch._pairing_sweep import move_weights, sweep
from vmatch.pairing import compile_pairing, generate_pairing, pair, verify_pairing
from vmatch.result import Status


def _multi(pc: object) -> list[int]:
    return [v for v in range(pc.arcs.n_agents) if pc.k_eff[v] >= 2]  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_rows_agree_with_the_scheduler(seed: int) -> None:
    pc = compile_pairing(generate_pairing(400, 160, seed=seed))
    sch = Scheduler(pc)
    pr = SetPricer(pc, sch)
    n = 0
    for v in _multi(pc):
        loc = pr._loc(v)
        for p in range(len(loc.arcs)):
            may, sure = pr._row(v, loc, p)
            for j in range(len(loc.arcs)):
                if j == p:
                    continue
                ok = sch.place(v, [int(loc.bens[p]), int(loc.bens[j])]) is not None
                assert not ok or may[j]
                assert not sure[j] or ok
                n += 1
    assert n > 100


@pytest.mark.parametrize("seed", [0, 3])
def test_three_visit_check_agrees_with_the_scheduler(seed: int) -> None:
    pc = compile_pairing(generate_pairing(250, 100, seed=seed))
    sch = Scheduler(pc)
    pr = SetPricer(pc, sch)
    rng = np.random.default_rng(seed)
    yes = n = 0
    for v in _multi(pc):
        loc = pr._loc(v)
        if len(loc.arcs) < 3:
            continue
        for _ in range(30):
            ps = sorted(rng.choice(len(loc.arcs), 3, replace=False).tolist())
            bens = [int(loc.bens[p]) for p in ps]
            pr._ok.clear()
            got = pr.feasible(v, bens, ps)
            assert got == (sch.place(v, bens) is not None)
            yes += got
            n += 1
    assert 0 < yes < n


@pytest.mark.parametrize("seed", [0, 1])
def test_pricer_finds_the_best_set_by_brute_force(seed: int) -> None:
    pc = compile_pairing(generate_pairing(150, 60, seed=seed))
    ap = pc.arcs
    sch = Scheduler(pc)
    rng = np.random.default_rng(seed)
    r = rng.integers(-40, 100, ap.n_arcs).astype(float)
    val, sets = SetPricer(pc, sch).price(r)
    for v in range(ap.n_agents):
        mine = np.flatnonzero((ap.arc_agent == v) & (r > 0)).tolist()
        best = 0.0
        for size in range(1, int(pc.k_eff[v]) + 1):
            for c in itertools.combinations(mine, size):
                if sum(r[list(c)]) > best and sch.place(v, ap.arc_job[list(c)].tolist()) is not None:
                    best = float(sum(r[list(c)]))
        assert val[v] == pytest.approx(best)
        if sets[v]:
            assert r[list(sets[v])].sum() == pytest.approx(best)
            assert sch.place(v, ap.arc_job[list(sets[v])].tolist()) is not None


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.0, 2.0), size=st.sampled_from([(40, 16), (90, 36)]))
def test_lagrangian_bound_never_below_a_proven_optimum(seed: int, scale: float, size: tuple[int, int]) -> None:
    p = generate_pairing(*size, seed=seed)
    r = pair(p, time_limit=20)
    assert r.status == Status.OPTIMAL
    optimum = r.objective
    pc = compile_pairing(p)
    bf = BlockFlow(pc)
    bf.solve()
    pr = SetPricer(pc, Scheduler(pc))
    lam = bf.prices()
    random = np.random.default_rng(seed).uniform(0, 150, len(lam)) * scale
    for prices in (lam, random, lam + random):
        bound, _ = lagrangian_bound(pr, prices)
        assert bound >= optimum


def test_large_path_sweeps_and_packs_to_a_verified_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CPSAT_MAX_ARCS", 0)  # the path of large problems, on a small one
    p = generate_pairing(300, 120, seed=5)
    pc = compile_pairing(p)
    out = engine.solve_pairing(pc, time_limit=3)
    r = decode_pairing(pc, out.sol, out.schedule, out.stats)
    assert verify_pairing(p, r) == []
    assert r.bound >= r.objective > 0
    assert out.stats["lagrangian_bound"] >= r.objective
    assert "set-packing" in out.stats["solvers"]
    assert out.stats["steal_rounds"] >= 1


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.sampled_from([(60, 24), (120, 48)]))
def test_large_path_answer_verifies_and_stays_under_the_optimum(seed: int, size: tuple[int, int]) -> None:
    p = generate_pairing(*size, seed=seed)
    best = pair(p, time_limit=20)
    assert best.status == Status.OPTIMAL
    pc = compile_pairing(p)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "CPSAT_MAX_ARCS", 0)
        out = engine.solve_pairing(pc, time_limit=1)
    r = decode_pairing(pc, out.sol, out.schedule, out.stats)
    assert verify_pairing(p, r) == []
    assert 0 <= r.objective <= best.objective <= r.bound


def _lex(ap: object, arcs: np.ndarray) -> tuple[float, ...]:
    return tuple(lv.value(arcs) if lv.sense == "max" else -lv.value(arcs) for lv in ap.levels)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", [0, 2])
def test_steal_rounds_only_improve_and_keep_every_set_schedulable(seed: int) -> None:
    pc = compile_pairing(generate_pairing(400, 160, seed=seed))
    sch = Scheduler(pc)
    ap = pc.arcs
    arcs, _ = sweep(pc, sch, np.zeros(0, np.int64), time.perf_counter() + 10)
    pricer = SetPricer(pc, sch)
    k = int(pc.k_eff.max())
    w = move_weights(ap, 2 * k * (k + 1))
    chosen = np.zeros(ap.n_arcs, bool)
    chosen[arcs] = True
    served = np.zeros(ap.n_jobs, bool)
    served[ap.arc_job[arcs]] = True
    total = 0
    for _ in range(30):
        before = _lex(ap, np.flatnonzero(chosen))
        moves, changed = steal(pc, pricer, w, chosen, served)
        now = np.flatnonzero(chosen)
        assert _lex(ap, now) > before if moves else _lex(ap, now) == before
        assert (len(changed) > 0) == (moves > 0)
        assert len(np.unique(ap.arc_job[now])) == len(now)
        assert np.array_equal(served, np.isin(np.arange(ap.n_jobs), ap.arc_job[now]))
        for v in np.unique(ap.arc_agent[now]).tolist():
            mine = now[ap.arc_agent[now] == v]
            assert len(mine) <= pc.k_eff[v]
            assert sch.place(v, ap.arc_job[mine].tolist()) is not None
        total += moves
        if not moves:
            break
    assert total > 0
    more, counts = sweep_and_steal(pc, sch, np.flatnonzero(chosen), time.perf_counter() + 10)
    assert _lex(ap, more) >= _lex(ap, np.flatnonzero(chosen)) and counts["steal_rounds"] >= 1


def test_sweep_only_improves_and_keeps_every_set_schedulable() -> None:
    pc = compile_pairing(generate_pairing(300, 120, seed=6))
    sch = Scheduler(pc)
    ap = pc.arcs
    start = np.flatnonzero(ap.arc_agent < 0)
    arcs, moves = sweep(pc, sch, start, time.perf_counter() + 10)
    assert moves > 0 and ap.levels[0].value(arcs) > 0
    assert len(np.unique(ap.arc_job[arcs])) == len(arcs)
    for v in np.unique(ap.arc_agent[arcs]).tolist():
        mine = arcs[ap.arc_agent[arcs] == v]
        assert len(mine) <= pc.k_eff[v]
        assert sch.place(v, ap.arc_job[mine].tolist()) is not None
    again, moves2 = sweep(pc, sch, arcs, time.perf_counter() + 10)
    assert moves2 == 0 and sorted(again.tolist()) == sorted(arcs.tolist())


def test_large_path_repairs_a_set_the_pricer_let_through(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine, "CPSAT_MAX_ARCS", 0)
    monkeypatch.setattr(SetPricer, "feasible", lambda self, v, bens, ps=None: True)  # as if every check were cut short
    p = generate_pairing(300, 120, seed=6)
    pc = compile_pairing(p)
    with caplog.at_level("WARNING", logger="vmatch._pairing_engine"):
        out = engine.solve_pairing(pc, time_limit=2)
    assert "repaired" in caplog.text
    r = decode_pairing(pc, out.sol, out.schedule, out.stats)
    assert verify_pairing(p, r) == []
    assert r.bound >= r.objective > 0
