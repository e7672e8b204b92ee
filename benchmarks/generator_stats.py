"""How big and how hard are the generated instances? (issue 3)

Prints, for ``generate_city(V, T, seed)`` (default 10 000 volunteers x 5 000 tasks):

* generation time (and peak memory of the process);
* (volunteer, task) pairs passing the distance rule, distance + skills, and all per-pair
  rules (distance, skills, certificates, attributes, availability), each with tasks per
  volunteer (mean / median) and, per such pair, how many of the same volunteer's
  candidate tasks overlap it in time (mean / median, share of volunteers whose mean is
  at least 12);
* demand (head-count x duration) against supply (min of weekly limit and available time);
* coverage: a static upper bound (each task filled up to its number of fully eligible
  volunteers) and a greedy lower bound that respects every hard rule (priority first,
  scarce tasks first, one shared start per task, travel between sites, workload limits).

Usage::

    .venv/bin/python benchmarks/generator_stats.py [--volunteers 10000] [--tasks 5000] [--seed 0]
        [--region city|province] [--no-greedy]
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from collections import defaultdict

import numpy as np

from vmatch.gen import generate_city, pair_stats, static_pairs, supply_demand
from vmatch.gen.stats import RULES
from vmatch.geo import haversine_km
from vmatch.model import Problem
from vmatch.timeaxis import TimeAxis, expand_weekly, merge_intervals


def greedy_coverage(p: Problem, vi: np.ndarray, ti: np.ndarray) -> dict[str, float]:
    """A feasible assignment built greedily over the statically eligible pairs ``(vi, ti)``."""
    ax = TimeAxis.for_problem(p)
    step, speed = p.settings.time_step_minutes, p.settings.travel_speed_kmh
    ts, vs = p.tasks, p.volunteers
    ws = [ax.minute(t.window.start) for t in ts]
    we = [ax.minute(t.window.end) for t in ts]
    lo, hi = min(ws), max(we)
    avail: list[list[tuple[int, int]] | None] = []
    for vol in vs:
        if not vol.availability and not vol.weekly:
            avail.append(None)
        else:
            free = [ax.window(w) for w in vol.availability] + expand_weekly(vol.weekly, ax, lo, hi)
            avail.append(merge_intervals(free))
    d0 = ax.epoch.date()
    cands: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(vi.tolist(), ti.tolist(), strict=True):
        cands[b].append(a)
    booked: list[list[tuple[int, int, int]]] = [[] for _ in vs]  # (start, end, task)
    used = [0] * len(vs)
    used_day: list[dict[int, int]] = [defaultdict(int) for _ in vs]
    order = sorted(range(len(ts)), key=lambda k: (-ts[k].priority, len(cands[k])))
    filled = [0] * len(ts)
    for k in order:
        t = ts[k]
        d = t.duration_minutes
        best: list[int] = []
        for s in range(ws[k], we[k] - d + 1, step):
            e, day = s + d, (ax.local_date(s) - d0).days
            ok: list[tuple[float, int]] = []
            for v in cands[k]:
                vo = vs[v]
                if vo.max_minutes is not None and used[v] + d > vo.max_minutes:
                    continue
                if vo.max_minutes_per_day is not None and used_day[v][day] + d > vo.max_minutes_per_day:
                    continue
                av = avail[v]
                if av is not None and not any(a <= s and e <= b for a, b in av):
                    continue
                clash = False
                for s2, e2, k2 in booked[v]:
                    tt = math.ceil(
                        float(haversine_km(t.location.lat, t.location.lon, ts[k2].location.lat, ts[k2].location.lon))
                        * 60.0
                        / speed
                    )
                    if not (e + tt <= s2 or e2 + tt <= s):
                        clash = True
                        break
                if not clash:
                    km = float(haversine_km(vo.location.lat, vo.location.lon, t.location.lat, t.location.lon))
                    ok.append((km, v))
            ok.sort()
            team: list[int] = []
            for r in t.requirements:
                have = sum(1 for v in team if vs[v].skills.get(r.skill, 0) >= r.level)
                for _, v in ok:
                    if have >= r.count:
                        break
                    if v not in team and vs[v].skills.get(r.skill, 0) >= r.level:
                        team.append(v)
                        have += 1
            if (
                any(sum(1 for v in team if vs[v].skills.get(r.skill, 0) >= r.level) < r.count for r in t.requirements)
                or len(team) > t.headcount
            ):
                continue
            for _, v in ok:
                if len(team) >= t.headcount:
                    break
                if v not in team:
                    team.append(v)
            if len(team) >= t.min_headcount and len(team) > len(best):
                best, best_s = team, s
                if len(team) == t.headcount:
                    break
        if best:
            day = (ax.local_date(best_s) - d0).days
            for v in best:
                booked[v].append((best_s, best_s + d, k))
                used[v] += d
                used_day[v][day] += d
            filled[k] = len(best)
    places = sum(t.priority * t.headcount for t in ts)
    got = sum(t.priority * f for t, f in zip(ts, filled, strict=True))
    return {
        "weighted_coverage": got / places if places else 1.0,
        "tasks_served": sum(1 for f in filled if f) / len(ts),
        "tasks_full": sum(1 for t, f in zip(ts, filled, strict=True) if f == t.headcount) / len(ts),
        "volunteers_used": sum(1 for b in booked if b) / len(vs),
    }


def upper_bound(p: Problem, ti: np.ndarray) -> dict[str, float]:
    """Each task filled up to its number of fully eligible volunteers (0 below min_headcount)."""
    n = np.bincount(ti, minlength=len(p.tasks))
    places = sum(t.priority * t.headcount for t in p.tasks)
    got, dead = 0, 0
    for t, c in zip(p.tasks, n.tolist(), strict=True):
        f = min(t.headcount, c) if c >= t.min_headcount else 0
        got += t.priority * f
        dead += f == 0
    return {"weighted_coverage": got / places, "tasks_unservable": dead / len(p.tasks)}


def _show(name: str, p: Problem, rules: tuple[str, ...]) -> None:
    t0 = time.perf_counter()
    s = pair_stats(p, rules)
    print(f"{name}: {s.pairs:,} pairs  ({time.perf_counter() - t0:.1f} s)")
    print(
        f"  tasks per volunteer: mean {s.per_volunteer_mean:.1f}, median {s.per_volunteer_median:.0f}; "
        f"volunteers with none {s.volunteers_without}, tasks with none {s.tasks_without}"
    )
    print(
        f"  overlapping candidate tasks per pair: mean {s.overlap_mean:.1f}, median {s.overlap_median:.0f}; "
        f"volunteers with mean >= 12: {s.volunteers_overlap_12:.0%}, "
        f"median over volunteers {s.volunteer_overlap_median:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--volunteers", type=int, default=10_000)
    ap.add_argument("--tasks", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--region", default="city")
    ap.add_argument("--no-greedy", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    p = generate_city(a.volunteers, a.tasks, a.seed, region=a.region)
    gen = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"generate_city({a.volunteers}, {a.tasks}, seed={a.seed}, region={a.region!r}): "
        f"{gen:.2f} s, peak RSS {rss:.0f} MB"
    )
    _show("distance", p, ("distance",))
    _show("distance + skills", p, ("distance", "skills"))
    _show("all per-pair rules", p, RULES)
    demand, supply = supply_demand(p)
    print(f"demand {demand:,} min, supply {supply:,} min, ratio {demand / supply:.2f}")
    vi, ti = static_pairs(p, RULES)
    ub = upper_bound(p, ti)
    print(
        f"static upper bound: weighted coverage {ub['weighted_coverage']:.1%}, "
        f"tasks unservable {ub['tasks_unservable']:.1%}"
    )
    if not a.no_greedy:
        t0 = time.perf_counter()
        g = greedy_coverage(p, vi, ti)
        print(
            f"greedy (all hard rules): weighted coverage {g['weighted_coverage']:.1%}, "
            f"tasks served {g['tasks_served']:.1%}, full {g['tasks_full']:.1%}, "
            f"volunteers used {g['volunteers_used']:.1%}  ({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
