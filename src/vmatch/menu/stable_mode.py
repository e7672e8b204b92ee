"""Stable dispatch of a menu round: orders and offers rank each other; deferred acceptance.

Acceptable pairs are exactly those the dispatch rules allow: an offer may serve an order alone
(compiled problem arcs: item, skills, certificates, radius, times, refusals). Each pair is served
at its **earliest feasible start** (fixed), so two orders of one offer either conflict (their
services overlap, or leave too little time to travel between the sites) or not.

Preference lists (ties allowed, ties broken as :mod:`vmatch.stable` says):

* an **order** ranks offers: its requester's ranked providers first, in their order (a provider's
  offers of the item tie), then the others by reliability (in half stars, higher first), then by
  distance (whole km, nearer first); equal keys tie;
* an **offer** ranks orders: its ranked requesters first, then by priority (higher first), then
  distance (whole km); equal keys tie.

Capacity of an offer: its capacity, and no more orders than its workload limit holds.

Which matching (see :func:`stable_dispatch` for the guarantee):

* ``optimal="requester"``: :func:`vmatch.stable.stable_match_with_conflicts` with each offer's
  time conflicts as conflict sets (maximal sets of services overlapping at one moment, and pairs
  too close to travel between);
* ``optimal="provider"``: :func:`vmatch.stable.stable_match` proposing from offers;
* ``largest=True``: :func:`vmatch.stable.max_weakly_stable_result` (CP-SAT).

Rules that a provider's choice cannot see — conflicts between two offers of one person (or
between orders of one offer, for the last two), a person's total and per-day workload — are then
enforced by **repair**: the provider's lowest-ranked order in a breach loses that pair (it becomes
unacceptable) and the matching is computed again, until nothing is breached. Removed pairs are
counted in ``stats["stable_removed_pairs"]`` and listed (``[order, offer]``) in
``stats["stable_removed"]``.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> from vmatch.menu.solve import MENU_OBJECTIVE
>>> from vmatch.verify import verify
>>> mp = generate_menu(40, 15, seed=3)
>>> p, m = menu_to_problem(mp)
>>> res, stats = stable_dispatch(mp, p, m, MENU_OBJECTIVE)
>>> verify(p, res), stats["stable_removed_pairs"]
([], 0)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from vmatch.arcs import ArcSolution, SolveStatus
from vmatch.compile import Compiled
from vmatch.geo import travel_minutes
from vmatch.menu.compile import MenuMapping
from vmatch.menu.fastcompile import compile_by_item
from vmatch.menu.problem import MenuProblem
from vmatch.menu.reasons import decode_by_item
from vmatch.model import Problem
from vmatch.objective import Objective
from vmatch.result import Result
from vmatch.stable import max_weakly_stable_result, stable_match, stable_match_with_conflicts

__all__ = ["StableInput", "stable_dispatch", "stable_input"]

log = logging.getLogger(__name__)

Key = tuple[float, ...]


class StableInput:
    """Pairs, fixed times and both sides' lists of a compiled menu problem (see the module docstring)."""

    def __init__(self, mp: MenuProblem, c: Compiled, mapping: MenuMapping) -> None:
        p = c.problem
        ap = c.arcs
        nt = max(1, len(p.tasks))
        at = c.job_task[ap.arc_job]
        key = ap.arc_agent * nt + at
        srt = np.lexsort((c.job_start[ap.arc_job], key))
        _, first = np.unique(key[srt], return_index=True)
        arcs = srt[first]
        self.c = c
        #: (order id, offer id) -> (arc index, start minute, end minute, km)
        self.pair: dict[tuple[str, str], tuple[int, int, int, float]] = {}
        ends = np.asarray(ap.meta["job_end"], np.int64)
        for a in arcs.tolist():
            k, t, j = int(ap.arc_agent[a]), int(at[a]), int(ap.arc_job[a])
            self.pair[(p.tasks[t].id, p.volunteers[k].id)] = (a, int(c.job_start[j]), int(ends[j]), float(c.arc_km[a]))
        self.rkey: dict[tuple[str, str], Key] = {}
        self.pkey: dict[tuple[str, str], Key] = {}
        for oid, kid in self.pair:
            order, offer = mp.order(oid), mp.offer(kid)
            km = math.ceil(self.pair[(oid, kid)][3] - 1e-9)
            if offer.provider in order.ranked_providers:
                self.rkey[(oid, kid)] = (0.0, float(order.ranked_providers.index(offer.provider)))
            else:
                self.rkey[(oid, kid)] = (1.0, -float(round(2 * mapping.reliability[offer.provider])), float(km))
            if order.requester in offer.ranked_requesters:
                self.pkey[(oid, kid)] = (0.0, float(offer.ranked_requesters.index(order.requester)))
            else:
                self.pkey[(oid, kid)] = (1.0, -float(order.priority), float(km))
        self.cap: dict[str, int] = {}
        for v in p.volunteers:
            dur = mp.item(mapping.item[v.id]).duration
            cap = mp.offer(v.id).capacity
            limits = [x for x in (cap, None if v.max_minutes is None else v.max_minutes // dur) if x is not None]
            self.cap[v.id] = min(limits) if limits else len(p.tasks)

    def lists(self, removed: set[tuple[str, str]]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """Requester and provider preference lists (tie groups as tuples) without ``removed`` pairs."""
        by_r: dict[str, list[tuple[Key, str]]] = {}
        by_p: dict[str, list[tuple[Key, str]]] = {}
        for pr in self.pair:
            if pr not in removed:
                by_r.setdefault(pr[0], []).append((self.rkey[pr], pr[1]))
                by_p.setdefault(pr[1], []).append((self.pkey[pr], pr[0]))
        return ({r: _grouped(x) for r, x in by_r.items()}, {k: _grouped(x) for k, x in by_p.items()})

    def conflicts(self, pp: Mapping[str, list[Any]], speed: float) -> dict[str, list[set[str]]]:
        """Per offer: maximal sets of its orders overlapping at one moment, and pairs too close to travel."""
        p = self.c.problem
        out: dict[str, list[set[str]]] = {}
        for kid, entries in pp.items():
            ids = [x for e in entries for x in (e if isinstance(e, tuple) else (e,))]
            if len(ids) < 2:
                continue
            iv = sorted((self.pair[(o, kid)][1], self.pair[(o, kid)][2], o) for o in ids)
            sets: list[set[str]] = []
            active: list[tuple[int, int, str]] = []
            for n, (s, e, o) in enumerate(iv):
                active = [x for x in active if x[1] > s] + [(s, e, o)]
                nxt = iv[n + 1][0] if n + 1 < len(iv) else None
                if len(active) > 1 and (nxt is None or nxt >= min(x[1] for x in active)):
                    sets.append({x[2] for x in active})
            loc = {o: p.task(o).location for o in ids}
            reach = 2 * max(self.pair[(o, kid)][3] for o in ids)
            tmax = travel_minutes(reach, speed)
            starts = [x[0] for x in iv]
            for n, (_s, e, o) in enumerate(iv):
                hi = int(np.searchsorted(starts, e + tmax, side="left"))
                for s2, _e2, o2 in iv[n + 1 : hi]:
                    if s2 >= e:
                        km = _km(loc[o], loc[o2])
                        if s2 - e < travel_minutes(km, speed):
                            sets.append({o, o2})
            if sets:
                out[kid] = sets
        return out


def _km(a: Any, b: Any) -> float:
    from vmatch.geo import haversine_km

    return float(haversine_km(a.lat, a.lon, b.lat, b.lon))


def _grouped(entries: list[tuple[Key, str]]) -> list[Any]:
    entries.sort()
    out: list[Any] = []
    n = 0
    while n < len(entries):
        m = n
        while m + 1 < len(entries) and entries[m + 1][0] == entries[n][0]:
            m += 1
        grp = tuple(x[1] for x in entries[n : m + 1])
        out.append(grp[0] if len(grp) == 1 else grp)
        n = m + 1
    return out


def stable_input(mp: MenuProblem, problem: Problem, mapping: MenuMapping, objective: Objective) -> StableInput:
    """The :class:`StableInput` of a compiled menu problem."""
    return StableInput(mp, compile_by_item(problem, objective), mapping)


def _breaches(mp: MenuProblem, si: StableInput, match: Mapping[str, str], mapping: MenuMapping) -> set[tuple[str, str]]:
    """Pairs to remove: per provider, the lower-ranked order of each clash and orders over a workload limit."""
    p = si.c.problem
    speed = p.settings.travel_speed_kmh
    by_person: dict[str, list[tuple[int, int, str, str]]] = {}
    for oid, kid in match.items():
        _, s, e, _ = si.pair[(oid, kid)]
        by_person.setdefault(mapping.provider[kid], []).append((s, e, oid, kid))
    bad: set[tuple[str, str]] = set()
    for pid, js in by_person.items():
        js.sort()
        kept: list[tuple[int, int, str, str]] = []
        for cur in js:
            if kept:
                last = kept[-1]
                km = _km(p.task(last[2]).location, p.task(cur[2]).location)
                if cur[0] - last[1] < travel_minutes(km, speed):
                    worse = max(last, cur, key=lambda x: si.pkey[(x[2], x[3])])
                    bad.add((worse[2], worse[3]))
                    if worse is last:
                        kept[-1] = cur
                    continue
            kept.append(cur)
        if mp.provider_kind(pid) != "volunteer":
            continue
        v = mp.volunteer(pid)
        tb = si.c.tables
        groups: list[tuple[int | None, list[tuple[int, int, str, str]]]] = [(v.max_minutes, kept)]
        if v.max_minutes_per_day is not None:
            days = tb.local_date_ordinal(np.asarray([x[0] for x in kept], np.int64)).tolist()
            for d in set(days):
                groups.append((v.max_minutes_per_day, [x for x, dd in zip(kept, days, strict=True) if dd == d]))
        for lim, xs in groups:
            if lim is None:
                continue
            xs = sorted(xs, key=lambda x: si.pkey[(x[2], x[3])])
            while xs and sum(x[1] - x[0] for x in xs) > lim:
                worst = xs.pop()
                bad.add((worst[2], worst[3]))
    return bad


def stable_dispatch(
    mp: MenuProblem,
    problem: Problem,
    mapping: MenuMapping,
    objective: Objective,
    *,
    optimal: Literal["requester", "provider"] = "requester",
    largest: bool = False,
    time_limit: float = 10.0,
    seed: int = 0,
    max_rounds: int = 100,
) -> tuple[Result, dict[str, Any]]:
    """A stable matching of orders to offers, as a :class:`~vmatch.result.Result` on ``problem``.

    Returns
    -------
    (Result, dict)
        The result (status FEASIBLE; levels valued, bounds NaN) and statistics.

    Notes
    -----
    Guarantee, for the preference lists of the module docstring over the pairs left acceptable
    (all but ``stats["stable_removed_pairs"]``, which the repair removed):

    1. Every hard rule holds (``vmatch.verify`` finds nothing): the times are fixed arcs of the
       compiled problem and no provider is double-booked or over a workload limit.
    2. Without time conflicts among an offer's orders: the requester-optimal (resp. provider-optimal)
       stable matching of the tie-broken lists, hence weakly stable for the lists with ties.
    3. With time conflicts, ``optimal="requester"`` gives what
       :func:`vmatch.stable.stable_match_with_conflicts` promises: feasible and non-wasteful (no
       order is unserved, or served by an offer it likes less, while an offer it prefers could add
       it without dropping anyone); stable and requester-optimal when each offer's conflict sets
       are pairwise disjoint (e.g. services in fixed, non-overlapping slots spaced for travel). With
       overlapping conflict sets a stable matching need not exist, and only non-wastefulness is
       promised. ``optimal="provider"`` and ``largest`` see no conflicts: the repair resolves them,
       so their result is stable for the pairs it leaves acceptable.
    """
    t0 = time.perf_counter()
    si = stable_input(mp, problem, mapping, objective)
    speed = problem.settings.travel_speed_kmh
    removed: set[tuple[str, str]] = set()
    match: dict[str, str] = {}
    extra: dict[str, Any] = {}
    for rnd in range(max_rounds):
        rp, pp = si.lists(removed)
        caps = {k: si.cap[k] for k in pp}
        if largest:
            ws = max_weakly_stable_result(rp, pp, caps, time_limit=time_limit, seed=seed)
            match = ws.matching
            extra["largest_status"] = ws.status.value
            extra["largest_bound"] = ws.bound
        elif optimal == "requester":
            match = stable_match_with_conflicts(rp, pp, caps, si.conflicts(pp, speed))
        else:
            match = stable_match(rp, pp, caps, optimal="provider")
        bad = _breaches(mp, si, match, mapping)
        log.info("stable round %d: %d pairs matched, %d to remove", rnd, len(match), len(bad))
        if not bad:
            break
        removed |= bad
    else:
        match = {o: k for o, k in match.items() if (o, k) not in _breaches(mp, si, match, mapping)}
    ap = si.c.arcs
    arcs = np.asarray(sorted(si.pair[(o, k)][0] for o, k in match.items()), np.int64)
    jobs = np.unique(ap.arc_job[arcs])
    values = tuple(lv.value(arcs, jobs) for lv in ap.levels)
    sol = ArcSolution(
        SolveStatus.FEASIBLE,
        arcs,
        jobs,
        values,
        tuple(math.nan for _ in values),
        time.perf_counter() - t0,
        f"stable-{'largest' if largest else optimal}",
    )
    extra.update(
        {
            "stable_removed_pairs": len(removed),
            "stable_removed": sorted([o, k] for o, k in removed),
            "stable_rounds": rnd + 1,
            "stable_pairs": len(si.pair),
        }
    )
    return decode_by_item(si.c, sol, extra_stats=extra), extra
