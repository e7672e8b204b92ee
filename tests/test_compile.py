"""The compiler's conflict rows against a brute-force pairwise check."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, given, settings

from strategies import problems
from vmatch.compile import _conflicts, compile_problem
from vmatch.model import Problem


def _clash(p: Problem, c, i: int, k: int) -> bool:  # type: ignore[no-untyped-def]
    """Arcs i and k of one volunteer cannot both hold: they overlap, or one ends too late to reach the other."""
    ap = c.arcs
    js, je = ap.meta["job_start"], ap.meta["job_end"]
    ji, jk = int(ap.arc_job[i]), int(ap.arc_job[k])
    if js[ji] < je[jk] and js[jk] < je[ji]:
        return True
    if js[jk] < js[ji]:
        ji, jk = jk, ji
    a, b = p.tasks[int(c.job_task[ji])].location, p.tasks[int(c.job_task[jk])].location
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    km = 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
    return bool(js[jk] - je[ji] < math.ceil(km * 60.0 / p.settings.travel_speed_kmh))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_volunteers=3, max_tasks=6))
def test_conflict_rows_are_exactly_the_clashes(p: Problem) -> None:
    c = compile_problem(p)
    ap = c.arcs
    rows = ap.cliques
    together: set[tuple[int, int]] = set()
    for r in range(len(rows)):
        arcs = rows.indices[rows.indptr[r] : rows.indptr[r + 1]].tolist()
        assert len(set(ap.arc_agent[arcs].tolist())) == 1, "a row mixes volunteers"
        for i, k in itertools.combinations(arcs, 2):
            same_task = c.job_task[ap.arc_job[i]] == c.job_task[ap.arc_job[k]]
            assert same_task or _clash(p, c, i, k), f"row {r} holds arcs {i}, {k} that do not clash"
            together.add((min(i, k), max(i, k)))
    for i, k in itertools.combinations(range(ap.n_arcs), 2):
        if ap.arc_agent[i] != ap.arc_agent[k] or c.job_task[ap.arc_job[i]] == c.job_task[ap.arc_job[k]]:
            continue
        assert (i, k) in together or not _clash(p, c, i, k), f"arcs {i}, {k} clash but share no row"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_volunteers=4, max_tasks=5))
def test_conflict_rows_do_not_depend_on_the_chunk_size(p: Problem) -> None:
    c = compile_problem(p)
    ap = c.arcs
    tb = c.tables
    s = c.job_start[ap.arc_job]
    e = np.asarray(ap.meta["job_end"])[ap.arc_job]
    args = (tb, ap.arc_agent, c.job_task[ap.arc_job], s, e, c.arc_km, p.settings.travel_speed_kmh)

    def canon(chunk: int) -> list[tuple[int, ...]]:
        rows = _conflicts(*args, chunk=chunk)
        return sorted(tuple(sorted(rows.indices[a:b].tolist())) for a, b in itertools.pairwise(rows.indptr))

    assert canon(1) == canon(400_000)
