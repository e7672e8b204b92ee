"""Tests of vmatch.stable: deferred acceptance, blocking pairs, max weakly stable, time conflicts.

The checks here are independent of the library code: brute-force enumeration of matchings on
tiny instances, a plain-Python blocking-pair test, and the `matching` package as a peer.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vmatch._stable_da as da
from vmatch._stable_ids import lookup
from vmatch._stable_join import match_entries
from vmatch.errors import ModelError
from vmatch.result import Status
from vmatch.stable import (
    blocking_pairs,
    max_weakly_stable,
    max_weakly_stable_result,
    stable_match,
    stable_match_with_conflicts,
)

Prefs = dict[Any, list[Any]]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- independent reference helpers


def groups(lst: Sequence[Any]) -> list[list[Any]]:
    """A preference list as its tie groups (each a list of ids), best first."""
    return [list(e) if isinstance(e, (list, tuple, set, frozenset)) else [e] for e in lst]


def tier(lst: Sequence[Any], x: Any) -> int | None:
    """Tie-group rank of ``x`` in ``lst`` (None when not listed)."""
    for i, g in enumerate(groups(lst)):
        if x in g:
            return i
    return None


def acceptable(rp: Mapping[Any, Sequence[Any]], pp: Mapping[Any, Sequence[Any]], r: Any, p: Any) -> bool:
    return p in pp and tier(rp[r], p) is not None and tier(pp[p], r) is not None


def weak_blocking(rp: Prefs, pp: Prefs, caps: Mapping[Any, int] | None, m: Mapping[Any, Any]) -> set[tuple]:
    """Pairs that block ``m``: both strictly prefer each other (spare capacity counts as preferring)."""
    caps = caps or {}
    held: dict[Any, list[Any]] = {p: [] for p in pp}
    for r, p in m.items():
        held[p].append(r)
    out = set()
    for r in rp:
        for p in pp:
            if not acceptable(rp, pp, r, p) or m.get(r) == p:
                continue
            t = tier(rp[r], p)
            r_better = r not in m or t < tier(rp[r], m[r])  # type: ignore[operator]
            spare = len(held[p]) < caps.get(p, 1)
            t_r = tier(pp[p], r)
            p_better = spare or any(t_r < tier(pp[p], h) for h in held[p])  # type: ignore[operator]
            if r_better and p_better:
                out.add((r, p))
    return out


def all_matchings(rp: Prefs, pp: Prefs, caps: Mapping[Any, int] | None) -> Iterable[dict[Any, Any]]:
    """Every matching of mutually acceptable pairs within capacities (tiny instances only)."""
    caps = caps or {}
    reqs = list(rp)
    opts = [[None, *(p for p in pp if acceptable(rp, pp, r, p))] for r in reqs]
    for combo in itertools.product(*opts):
        m = {r: p for r, p in zip(reqs, combo, strict=True) if p is not None}
        loads: dict[Any, int] = {}
        for p in m.values():
            loads[p] = loads.get(p, 0) + 1
        if all(n <= caps.get(p, 1) for p, n in loads.items()):
            yield m


def check_feasible(rp: Prefs, pp: Prefs, caps: Mapping[Any, int] | None, m: Mapping[Any, Any]) -> None:
    caps = caps or {}
    for r, p in m.items():
        assert acceptable(rp, pp, r, p), (r, p)
    for p in pp:
        assert sum(1 for q in m.values() if q == p) <= caps.get(p, 1)


def rank_of(lst: Sequence[Any], m: Mapping[Any, Any], r: Any) -> float:
    return tier(lst, m[r]) if r in m else float("inf")  # type: ignore[return-value]


# ---------------------------------------------------------------- instance strategies


def _tie_up(draw: st.DrawFn, ids: list[Any], ties: bool) -> list[Any]:
    if not ties or len(ids) < 2:
        return ids
    out: list[Any] = []
    i = 0
    while i < len(ids):
        k = draw(st.integers(1, min(3, len(ids) - i)))
        chunk = ids[i : i + k]
        out.append(chunk[0] if k == 1 else draw(st.sampled_from([tuple, list, frozenset]))(chunk))
        i += k
    return out


@st.composite
def instances(
    draw: st.DrawFn, *, ties: bool = True, max_r: int = 7, max_p: int = 4, consistent: bool = False
) -> tuple[Prefs, Prefs, dict[Any, int] | None]:
    n_r = draw(st.integers(0, max_r))
    n_p = draw(st.integers(0, max_p))
    reqs = [f"r{i}" for i in range(n_r)]
    provs = [f"p{j}" for j in range(n_p)]
    rp = {}
    for r in reqs:
        perm = draw(st.permutations(provs))
        rp[r] = _tie_up(draw, list(perm[: draw(st.integers(0, n_p))]), ties)
    pp = {}
    for p in provs:
        fans = [r for r in reqs if tier(rp[r], p) is not None]
        cands = fans if consistent else reqs
        perm = draw(st.permutations(cands))
        k = len(perm) if consistent else draw(st.integers(0, len(perm)))
        pp[p] = _tie_up(draw, list(perm[:k]), ties)
    caps = None
    if draw(st.booleans()):
        caps = {p: draw(st.integers(0, 3)) for p in provs if draw(st.booleans())}
    return rp, pp, caps


def random_instance(
    seed: int, n_r: int, n_p: int, max_cap: int = 4
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """Strict hospital–resident instance; providers rank exactly those who rank them."""
    rng = random.Random(seed)
    reqs = [f"r{i}" for i in range(n_r)]
    provs = [f"h{j}" for j in range(n_p)]
    rp = {r: rng.sample(provs, rng.randint(1, n_p)) for r in reqs}
    pp = {}
    for p in provs:
        fans = [r for r in reqs if p in rp[r]]
        rng.shuffle(fans)
        pp[p] = fans
    caps = {p: rng.randint(1, max_cap) for p in provs}
    return rp, pp, caps


# ---------------------------------------------------------------- hand-built instances


def test_two_by_two_requester_and_provider_optimal_differ() -> None:
    rp = {"r1": ["p1", "p2"], "r2": ["p2", "p1"]}
    pp = {"p1": ["r2", "r1"], "p2": ["r1", "r2"]}
    assert stable_match(rp, pp) == {"r1": "p1", "r2": "p2"}
    assert stable_match(rp, pp, optimal="provider") == {"r1": "p2", "r2": "p1"}
    assert blocking_pairs(rp, pp, None, {"r1": "p1", "r2": "p2"}) == []
    assert blocking_pairs(rp, pp, None, {"r1": "p2"}) == [("r1", "p1"), ("r2", "p1")]


def test_hospital_resident_by_hand() -> None:
    # DA by hand: a,b,c -> H1 (keeps c,b), d -> H2; a -> H2 (beats d); d -> H1 (beats b);
    # b -> H2 (loses to a): b stays unmatched.
    rp = {"a": ["H1", "H2"], "b": ["H1", "H2"], "c": ["H1"], "d": ["H2", "H1"]}
    pp = {"H1": ["d", "c", "b", "a"], "H2": ["a", "b", "d"]}
    caps = {"H1": 2, "H2": 1}
    assert stable_match(rp, pp, caps) == {"a": "H2", "c": "H1", "d": "H1"}
    assert stable_match(rp, pp, caps, optimal="provider") == {"a": "H2", "c": "H1", "d": "H1"}
    assert blocking_pairs(rp, pp, caps, {"a": "H1", "b": "H1", "d": "H2"}) == [("c", "H1")]


def test_acceptability_needs_both_sides_and_unknown_ids_are_ignored() -> None:
    rp = {"a": ["x", "ghost"], "b": ["x"], "c": ["y"]}
    pp = {"x": ["b"], "y": ["a"]}  # x does not list a; y lists a but a does not list y
    assert stable_match(rp, pp, {"x": 5, "y": 5}) == {"b": "x"}


def test_capacity_zero_and_missing_capacity_is_one() -> None:
    rp = {"a": ["x", "y"], "b": ["x", "y"], "c": ["x", "y"]}
    pp = {"x": ["a", "b", "c"], "y": ["c", "b", "a"]}
    assert stable_match(rp, pp, {"x": 0}) == {"c": "y"}
    assert stable_match(rp, pp, {"x": 2}) == {"a": "x", "b": "x", "c": "y"}


def test_capacity_beyond_64_bits_means_no_limit() -> None:
    rp = {"a": ["x", "y"], "b": ["x", "y"], "c": ["x", "y"]}
    pp = {"x": ["a", "b", "c"], "y": ["c", "b", "a"]}
    everyone = {"a": "x", "b": "x", "c": "x"}
    for cap in (3, 10**20, 2**63):  # was an OverflowError above 2**63 - 1
        assert stable_match(rp, pp, {"x": cap}) == everyone
        assert stable_match(rp, pp, {"x": cap}, optimal="provider") == everyone
        # c unmatched: x has room, and so has y
        assert blocking_pairs(rp, pp, {"x": cap}, {"a": "x", "b": "x"}) == [("c", "x"), ("c", "y")]


def test_ties_are_broken_by_key_order_of_the_other_side() -> None:
    rp: Prefs = {"a": [("y", "x")], "b": ["x", "y"]}
    pp = {"x": ["b", "a"], "y": ["a"]}
    pp_rev = {"y": ["a"], "x": ["b", "a"]}
    caps = {"x": 2}
    assert stable_match(rp, pp, caps) == {"a": "x", "b": "x"}  # x is before y among pp's keys
    assert stable_match(rp, pp_rev, caps) == {"a": "y", "b": "x"}
    # ties in a provider's list: requesters ordered as in requester_prefs
    rp2 = {"b": ["x"], "a": ["x"]}
    assert stable_match(rp2, {"x": [{"a", "b"}]}) == {"b": "x"}


def test_tuple_ids_are_ids_not_tie_groups() -> None:
    rp: Prefs = {("o", 1): [("f", 1), ("f", 2)], ("o", 2): [(("f", 1), ("f", 2))]}
    pp = {("f", 1): [("o", 2), ("o", 1)], ("f", 2): [("o", 1), ("o", 2)]}
    assert stable_match(rp, pp) == {("o", 1): ("f", 2), ("o", 2): ("f", 1)}


def test_refusals() -> None:
    with pytest.raises(ModelError, match=r"requester 'a': 'x' appears twice"):
        stable_match({"a": ["x", "x"]}, {"x": ["a"]})
    with pytest.raises(ModelError, match=r"requester 'a': 'x' appears twice"):
        stable_match({"a": ["x", ("x", "y")]}, {"x": ["a"], "y": ["a"]})
    with pytest.raises(ModelError, match=r"provider 'x': 'a' appears twice"):
        stable_match({"a": ["x"]}, {"x": ["a", "a"]})
    with pytest.raises(ModelError, match=r"provider 'x': 'b' appears twice"):
        stable_match({"a": ["x"], "b": []}, {"x": ["a", "b", "b"]})  # b does not list x
    with pytest.raises(ModelError, match=r"provider 'x': field 'capacity'"):
        stable_match({"a": ["x"]}, {"x": ["a"]}, {"x": -1})
    with pytest.raises(ModelError, match=r"preferences must be a list"):
        stable_match({"a": "x"}, {"x": ["a"]})
    with pytest.raises(ValueError, match="optimal"):
        stable_match({"a": ["x"]}, {"x": ["a"]}, optimal="both")  # type: ignore[arg-type]
    rp, pp = {"a": ["x"], "b": ["x"]}, {"x": ["a", "b"], "y": []}
    with pytest.raises(ModelError, match="not mutually acceptable"):
        blocking_pairs(rp, pp, None, {"a": "y"})
    with pytest.raises(ModelError, match="capacity 1"):
        blocking_pairs(rp, pp, None, {"a": "x", "b": "x"})
    with pytest.raises(ModelError, match="unknown requester"):
        blocking_pairs(rp, pp, None, {"z": "x"})


def test_empty_instances() -> None:
    assert stable_match({}, {}) == {}
    assert stable_match({"a": []}, {}) == {}
    assert stable_match({"a": ["x"]}, {}) == {}
    assert stable_match({}, {"x": ["a"]}, optimal="provider") == {}
    assert blocking_pairs({}, {}, None, {}) == []
    assert max_weakly_stable({}, {}) == {}


# ---------------------------------------------------------------- brute force on tiny instances


@SETTINGS
@given(instances(ties=False, max_r=5, max_p=3))
def test_strict_matches_brute_force_optimal(inst: tuple[Prefs, Prefs, dict[Any, int] | None]) -> None:
    rp, pp, caps = inst
    stable = [m for m in all_matchings(rp, pp, caps) if not weak_blocking(rp, pp, caps, m)]
    got_r = stable_match(rp, pp, caps)
    got_p = stable_match(rp, pp, caps, optimal="provider")
    assert got_r in stable and got_p in stable
    for m in stable:  # requester-optimal: every requester at least as well off as in any stable one
        for r in rp:
            assert rank_of(rp[r], got_r, r) <= rank_of(rp[r], m, r)
            assert rank_of(rp[r], got_p, r) >= rank_of(rp[r], m, r)


@SETTINGS
@given(instances(ties=True))
def test_result_is_weakly_stable_and_feasible(inst: tuple[Prefs, Prefs, dict[Any, int] | None]) -> None:
    rp, pp, caps = inst
    for side in ("requester", "provider"):
        m = stable_match(rp, pp, caps, optimal=side)
        check_feasible(rp, pp, caps, m)
        assert weak_blocking(rp, pp, caps, m) == set()
        assert blocking_pairs(rp, pp, caps, m) == []
        assert list(m) == [r for r in rp if r in m]  # requester order


@SETTINGS
@given(instances(ties=True), st.randoms(use_true_random=False))
def test_blocking_pairs_agrees_with_reference(
    inst: tuple[Prefs, Prefs, dict[Any, int] | None], rnd: random.Random
) -> None:
    rp, pp, caps = inst
    m: dict[Any, Any] = {}
    load: dict[Any, int] = {}
    for r in rp:  # a random feasible matching
        opts = [p for p in pp if acceptable(rp, pp, r, p) and load.get(p, 0) < (caps or {}).get(p, 1)]
        if opts and rnd.random() < 0.7:
            p = rnd.choice(opts)
            m[r] = p
            load[p] = load.get(p, 0) + 1
    got = blocking_pairs(rp, pp, caps, m)
    assert set(got) == weak_blocking(rp, pp, caps, m)
    assert len(got) == len(set(got))


@SETTINGS
@given(instances(ties=True))
def test_requester_optimal_weakly_better_for_requesters(
    inst: tuple[Prefs, Prefs, dict[Any, int] | None],
) -> None:
    rp, pp, caps = inst
    m_r = stable_match(rp, pp, caps)
    m_p = stable_match(rp, pp, caps, optimal="provider")
    for r in rp:
        assert rank_of(rp[r], m_r, r) <= rank_of(rp[r], m_p, r)


@SETTINGS
@given(instances(ties=False, max_r=9, max_p=5))
def test_rural_hospitals_theorem(inst: tuple[Prefs, Prefs, dict[Any, int] | None]) -> None:
    rp, pp, caps = inst
    m_r = stable_match(rp, pp, caps)
    m_p = stable_match(rp, pp, caps, optimal="provider")
    assert set(m_r) == set(m_p)  # same requesters matched, same load on every provider
    assert sorted(m_r.values()) == sorted(m_p.values())


# ---------------------------------------------------------------- the `matching` package as a peer

try:
    from matching.games import HospitalResident
except ImportError:  # a dev dependency: the other tests still run without it
    HospitalResident = None

needs_matching = pytest.mark.skipif(HospitalResident is None, reason="the `matching` package is not installed")


def _peer(rp: Prefs, pp: Prefs, caps: dict[str, int], optimal: str) -> dict[str, str]:
    game = HospitalResident.create_from_dictionaries(rp, pp, caps)
    sol = game.solve(optimal=optimal)
    return {r.name: h.name for h, rs in sol.items() for r in rs}


@needs_matching
@pytest.mark.parametrize("seed", range(12))
def test_same_as_matching_package(seed: int) -> None:
    rp, pp, caps = random_instance(seed, n_r=30 + 5 * seed, n_p=4 + seed // 2)
    assert stable_match(rp, pp, caps) == _peer(rp, pp, caps, "resident")
    assert stable_match(rp, pp, caps, optimal="provider") == _peer(rp, pp, caps, "hospital")


@needs_matching
@pytest.mark.parametrize("switch", [0, 10**9])
def test_same_as_matching_package_rounds_only_and_sequential_only(monkeypatch: pytest.MonkeyPatch, switch: int) -> None:
    rp, pp, caps = random_instance(99, n_r=600, n_p=40, max_cap=12)
    monkeypatch.setattr(da, "TAIL_SWITCH", switch)
    assert stable_match(rp, pp, caps) == _peer(rp, pp, caps, "resident")
    assert stable_match(rp, pp, caps, optimal="provider") == _peer(rp, pp, caps, "hospital")


# ---------------------------------------------------------------- internal paths agree


@functools.cache
def _medium() -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    return random_instance(7, n_r=2000, n_p=60, max_cap=25)


@pytest.mark.parametrize("switch", [0, 1, 16, 10**9])
def test_vectorised_and_sequential_phases_agree(monkeypatch: pytest.MonkeyPatch, switch: int) -> None:
    rp, pp, caps = _medium()
    expected_r = stable_match(rp, pp, caps)
    expected_p = stable_match(rp, pp, caps, optimal="provider")
    monkeypatch.setattr(da, "TAIL_SWITCH", switch)
    assert stable_match(rp, pp, caps) == expected_r
    assert stable_match(rp, pp, caps, optimal="provider") == expected_p
    assert blocking_pairs(rp, pp, caps, expected_r) == []


@SETTINGS
@given(instances(ties=True))
def test_vectorised_rounds_only_agree_on_small_instances(
    inst: tuple[Prefs, Prefs, dict[Any, int] | None],
) -> None:
    rp, pp, caps = inst
    expected = [stable_match(rp, pp, caps, optimal=side) for side in ("requester", "provider")]
    old = da.TAIL_SWITCH
    da.TAIL_SWITCH = 0
    try:
        got = [stable_match(rp, pp, caps, optimal=side) for side in ("requester", "provider")]
    finally:
        da.TAIL_SWITCH = old
    assert got == expected


def test_ties_equal_their_documented_tie_breaking_at_scale() -> None:
    rp, pp, caps = _medium()
    rnd = random.Random(5)
    prov_order = {p: i for i, p in enumerate(pp)}
    req_order = {r: i for i, r in enumerate(rp)}

    def tie_up(lst: list[str]) -> list[Any]:
        out: list[Any] = []
        i = 0
        while i < len(lst):
            k = rnd.choice([1, 1, 2, 3])
            out.append(lst[i] if k == 1 else rnd.choice([tuple, frozenset, list])(lst[i : i + k]))
            i += k
        return out

    def expand(lst: list[Any], order: dict[str, int]) -> list[str]:
        return [x for e in lst for x in (sorted(e, key=order.__getitem__) if not isinstance(e, str) else [e])]

    tied_rp = {r: tie_up(lst) for r, lst in rp.items()}
    tied_pp = {p: tie_up(lst) for p, lst in pp.items()}
    strict_rp = {r: expand(lst, prov_order) for r, lst in tied_rp.items()}
    strict_pp = {p: expand(lst, req_order) for p, lst in tied_pp.items()}
    for side in ("requester", "provider"):
        m = stable_match(tied_rp, tied_pp, caps, optimal=side)
        assert m == stable_match(strict_rp, strict_pp, caps, optimal=side)
        assert blocking_pairs(tied_rp, tied_pp, caps, m) == []


def test_equal_copies_of_ids_give_the_same_result() -> None:
    rp, pp, caps = random_instance(3, n_r=5000, n_p=50, max_cap=30)
    copied_pp = {p: ["".join(list(r)) for r in lst] for p, lst in pp.items()}  # equal, not identical
    copied_rp = {r: [str(p + " ")[:-1] for p in lst] for r, lst in rp.items()}
    assert copied_pp["h0"][0] is not pp["h0"][0]
    expected = stable_match(rp, pp, caps)
    assert stable_match(rp, copied_pp, caps) == expected
    assert stable_match(copied_rp, copied_pp, caps) == expected


def test_lookup_mixes_identity_copies_and_refuses_unknown() -> None:
    keys = [f"k{i}" for i in range(3000)]
    idx = {k: i for i, k in enumerate(keys)}
    flat = [keys[(i * 37) % 3000] for i in range(6000)]
    flat[5] = "k" + "12"  # an equal copy
    got = lookup(flat, keys, idx)
    assert got.tolist() == [idx[k] for k in flat]
    with pytest.raises(KeyError):
        lookup([*flat, "nope"], keys, idx)


@pytest.mark.parametrize("seed", range(3))
def test_join_paths_agree_with_dict_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_req, n_p = 300, 40
    lists = [rng.choice(n_p, size=rng.integers(0, 8), replace=False) for _ in range(n_req)]
    lists[0] = rng.choice(n_p, size=n_p, replace=False)  # one long list
    r_own = np.repeat(np.arange(n_req), [len(x) for x in lists])
    r_oth = np.concatenate(lists).astype(np.int64)
    r_pos = np.concatenate([np.arange(len(x)) for x in lists]).astype(np.int64)
    p_oth = rng.integers(0, n_req, 2000)
    p_own = rng.integers(0, n_p, 2000)
    keep = np.unique(p_own * n_req + p_oth, return_index=True)[1]
    p_own, p_oth = p_own[keep], p_oth[keep]
    where = {(int(r), int(p)): i for i, (r, p) in enumerate(zip(r_own, r_oth, strict=True))}
    expected = [where.get((int(r), int(p)), -1) for r, p in zip(p_oth, p_own, strict=True)]
    loc_m, dup_m = match_entries(r_own, r_oth, r_pos, n_req, p_own, p_oth, n_p)
    loc_s, dup_s = da_join_sort(r_own, r_oth, p_own, p_oth, n_p)
    assert loc_m.tolist() == expected == loc_s.tolist()
    assert dup_m is None and dup_s is None


def da_join_sort(*args: Any) -> Any:
    from vmatch._stable_join import _join_sort

    return _join_sort(*args)


# ---------------------------------------------------------------- maximum weakly stable (CP-SAT)


def test_max_weakly_stable_beats_tie_breaking_by_hand() -> None:
    # a is indifferent between x and y; breaking the tie toward x leaves b unmatched.
    rp: Prefs = {"a": [("x", "y")], "b": ["x"]}
    pp = {"x": ["a", "b"], "y": ["a"]}
    assert stable_match(rp, pp) == {"a": "x"}
    res = max_weakly_stable_result(rp, pp, time_limit=5, workers=1)
    assert res.matching == {"a": "y", "b": "x"}
    assert (res.size, res.bound, res.status) == (2, 2, Status.OPTIMAL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(ties=True, max_r=5, max_p=3))
def test_max_weakly_stable_is_weakly_stable_and_largest(
    inst: tuple[Prefs, Prefs, dict[Any, int] | None],
) -> None:
    rp, pp, caps = inst
    res = max_weakly_stable_result(rp, pp, caps, time_limit=10, workers=1)
    check_feasible(rp, pp, caps, res.matching)
    assert weak_blocking(rp, pp, caps, res.matching) == set()
    assert res.status is Status.OPTIMAL and res.size == len(res.matching) == res.bound
    assert res.size >= len(stable_match(rp, pp, caps))
    best = max(len(m) for m in all_matchings(rp, pp, caps) if not weak_blocking(rp, pp, caps, m))
    assert res.size == best


# ---------------------------------------------------------------- time conflicts


def greedy_choice(
    pp: Prefs, caps: Mapping[Any, int], conf: Mapping[Any, list[set[Any]]], p: Any, cands: Iterable[Any]
) -> set[Any]:
    """Provider p's greedy best feasible subset of ``cands`` (strict preferences)."""
    keep: list[Any] = []
    for r in sorted(cands, key=pp[p].index):
        if len(keep) < caps.get(p, 1) and not any(r in s and s & set(keep) for s in conf.get(p, [])):
            keep.append(r)
    return set(keep)


def conflict_feasible(caps: Mapping[Any, int], conf: Mapping[Any, list[set[Any]]], p: Any, rs: set[Any]) -> bool:
    return len(rs) <= caps.get(p, 1) and all(len(s & rs) <= 1 for s in conf.get(p, []))


def held_by(m: Mapping[Any, Any], p: Any) -> set[Any]:
    return {r for r, q in m.items() if q == p}


def wasteful_pairs(
    rp: Prefs, pp: Prefs, caps: Mapping[Any, int], conf: Mapping[Any, list[set[Any]]], m: Mapping[Any, Any]
) -> list[tuple]:
    """(r, p): r prefers p and p could add r without dropping anyone."""
    out = []
    for r in rp:
        for p in rp[r]:
            if p not in pp or r not in pp[p] or m.get(r) == p:
                continue
            if r in m and rp[r].index(m[r]) < rp[r].index(p):
                continue
            if conflict_feasible(caps, conf, p, held_by(m, p) | {r}):
                out.append((r, p))
    return out


def choice_blocking(
    rp: Prefs, pp: Prefs, caps: Mapping[Any, int], conf: Mapping[Any, list[set[Any]]], m: Mapping[Any, Any]
) -> list[tuple]:
    """(r, p): r prefers p and p's greedy choice from what it holds plus r keeps r."""
    out = []
    for r in rp:
        for p in rp[r]:
            if p not in pp or r not in pp[p] or m.get(r) == p:
                continue
            if r in m and rp[r].index(m[r]) < rp[r].index(p):
                continue
            if r in greedy_choice(pp, caps, conf, p, held_by(m, p) | {r}):
                out.append((r, p))
    return out


def check_conflict_feasible(
    rp: Prefs, pp: Prefs, caps: Mapping[Any, int], conf: Mapping[Any, list[set[Any]]], m: Mapping[Any, Any]
) -> None:
    for r, p in m.items():
        assert p in rp[r] and r in pp[p]
    for p in pp:
        assert conflict_feasible(caps, conf, p, held_by(m, p)), p


@st.composite
def conflict_instances(
    draw: st.DrawFn, *, disjoint: bool, max_r: int = 7
) -> tuple[Prefs, Prefs, dict[Any, int], dict[Any, list[set[Any]]]]:
    rp, pp, _ = draw(instances(ties=False, max_r=max_r, max_p=3, consistent=True))
    caps = {p: draw(st.integers(0, 3)) for p in pp}
    conf: dict[Any, list[set[Any]]] = {}
    for p, lst in pp.items():
        if disjoint:  # a slot per requester; requesters in one slot conflict
            slot = {r: draw(st.integers(0, 2)) for r in lst}
            conf[p] = [{r for r in lst if slot[r] == k} for k in range(3)]
        else:
            conf[p] = (
                [set(draw(st.lists(st.sampled_from(lst), max_size=3))) for _ in range(draw(st.integers(0, 3)))]
                if lst
                else []
            )
    return rp, pp, caps, conf


@SETTINGS
@given(conflict_instances(disjoint=False))
def test_conflicts_feasible_and_non_wasteful(
    inst: tuple[Prefs, Prefs, dict[Any, int], dict[Any, list[set[Any]]]],
) -> None:
    rp, pp, caps, conf = inst
    m = stable_match_with_conflicts(rp, pp, caps, conf)
    check_conflict_feasible(rp, pp, caps, conf, m)
    assert wasteful_pairs(rp, pp, caps, conf, m) == []


@SETTINGS
@given(conflict_instances(disjoint=True, max_r=5))
def test_disjoint_conflicts_give_requester_optimal_stable(
    inst: tuple[Prefs, Prefs, dict[Any, int], dict[Any, list[set[Any]]]],
) -> None:
    rp, pp, caps, conf = inst
    m = stable_match_with_conflicts(rp, pp, caps, conf)
    check_conflict_feasible(rp, pp, caps, conf, m)
    assert choice_blocking(rp, pp, caps, conf, m) == []
    stable = []
    for cand in all_matchings(rp, pp, caps):
        feasible = all(conflict_feasible(caps, conf, p, held_by(cand, p)) for p in pp)
        if feasible and not choice_blocking(rp, pp, caps, conf, cand):
            stable.append(cand)
    assert m in stable
    for other in stable:
        for r in rp:
            assert rank_of(rp[r], m, r) <= rank_of(rp[r], other, r)


@SETTINGS
@given(instances(ties=True))
def test_no_conflicts_is_stable_match(inst: tuple[Prefs, Prefs, dict[Any, int] | None]) -> None:
    rp, pp, caps = inst
    assert stable_match_with_conflicts(rp, pp, caps) == stable_match(rp, pp, caps)
    assert stable_match_with_conflicts(rp, pp, caps, {p: [] for p in pp}) == stable_match(rp, pp, caps)


def test_overlapping_conflicts_can_have_no_stable_matching() -> None:
    # a's order overlaps both b's and c's at y; b's and c's do not overlap each other.
    rp = {"a": ["y"], "b": ["y", "x"], "c": ["x", "y"]}
    pp = {"x": ["b", "c"], "y": ["c", "a", "b"]}
    caps = {"x": 1, "y": 2}
    conf = {"y": [{"a", "b"}, {"a", "c"}]}
    feasible = [
        m for m in all_matchings(rp, pp, caps) if all(conflict_feasible(caps, conf, p, held_by(m, p)) for p in pp)
    ]
    assert len(feasible) > 5
    assert all(choice_blocking(rp, pp, caps, conf, m) for m in feasible)  # no stable matching exists
    m = stable_match_with_conflicts(rp, pp, caps, conf)
    check_conflict_feasible(rp, pp, caps, conf, m)
    assert wasteful_pairs(rp, pp, caps, conf, m) == []
    assert m == {"b": "y", "c": "x"}


def test_conflict_refusals() -> None:
    with pytest.raises(ModelError, match="conflict set"):
        stable_match_with_conflicts({"a": ["x"]}, {"x": ["a"]}, None, {"x": ["a"]})
    with pytest.raises(ModelError, match="conflicts"):
        stable_match_with_conflicts({"a": ["x"]}, {"x": ["a"]}, None, {"x": 3})  # type: ignore[dict-item]
