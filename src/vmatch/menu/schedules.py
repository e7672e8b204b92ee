"""Each provider's best schedule at given prices: an exact dynamic programme with travel time.

For a menu's arc problem every agent (an offer) serves orders one after another: two of its arcs
may both be chosen only when one ends, and the trip between the two sites fits, before the other
starts; their loads must fit the agent's capacity. :func:`best_schedules` finds, for every agent
at once, the schedule of largest total weight under exactly those rules (travel at the problem's
speed, rounded up to whole minutes as the compiler does), by a dynamic programme over the agent's
arcs in end order and the capacity used so far (in load units, see
:func:`vmatch.solvers.lagrange._units`).

The programme relaxes what spans several agents or several arcs of one order (a provider's other
offers, per-day workload rows, two arcs of one order far apart in time): its value is at least
the best schedule the arc problem allows, so it can price a Lagrangian bound; the schedules it
returns keep each agent's own time, travel and capacity rules.

The structure that does not depend on the weights (the order of the arcs, each arc's predecessors)
is built once by :func:`timeline`; :func:`best_schedules` is then called with new weights.

Examples
--------
>>> import numpy as np
>>> tl = timeline(agent=np.array([0, 0, 0]), start=np.array([0, 60, 65]), end=np.array([45, 105, 110]),
...               lat=np.zeros(3), lon=np.array([0.0, 0.0, 0.1]), group=np.array([0, 1, 2]),
...               load=np.ones(3, np.int64), capacity=np.array([2]), n_agents=1, speed_kmh=15.0)
>>> value, taken = best_schedules(tl, np.array([2.0, 1.0, 2.5]))
>>> float(value[0]), taken.tolist()    # the third site is 11 km away: 45 min of travel do not fit
(3.0, [True, True, False])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vmatch.geo import haversine_km, travel_minutes
from vmatch.solvers.lagrange import _units

__all__ = ["Timeline", "best_schedules", "timeline"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Cells of the programme's table held at once (agents are taken in chunks of similar capacity).
CELLS = 8_000_000
#: Columns of one agent's table at most (a provider's offers: one digit each).
MAX_WIDTH = 128
_EPS = 1e-9


@dataclass(frozen=True)
class Timeline:
    """The weight-free structure of the programme (see :func:`timeline`); arrays are by position.

    Positions sort the arcs by chunk (agents of similar capacity), then end, then agent; an
    *end group* is one agent's arcs with one end time.
    """

    n_agents: int
    arc: I64  # arc index at each position
    agent: I64
    units: I64  # load in its offer's units (0: the offer's capacity is not counted)
    shift: I64  # units times the offer's stride in the table's column index
    stride: I64  # the offer's digit: (column // stride) % radix units used
    radix: I64
    top: I64  # per agent: the table column with every capacity full
    eg: I64  # end group of each position
    eg_prev: I64  # per end group: the agent's previous end group (-1: none)
    eg_last: I64  # per agent: its last end group (-1: none)
    far: I64  # per position: the agent's last end group that ends a full trip before it starts (-1)
    near_ptr: I64  # CSR over positions: predecessors ending within a trip of the start that fit
    near_pos: I64
    waves: I64  # position boundaries of the runs with one chunk and one end time
    chunks: tuple[tuple[int, int, int], ...]  # (first position, last position + 1, table width)
    trip: I64  # per agent: at least the longest trip between two of its sites


def _digits(
    agent: I64, offer: I64, load: I64, capacity: I64, n_agents: int, n_offers: int, max_width: int
) -> tuple[I64, I64, I64, I64]:
    """Per arc: units, stride and radix of its offer's digit in its agent's table; per agent: the
    table width. An agent whose offers' capacities would need more than ``max_width`` columns
    leaves the largest out (not counted: a relaxation)."""
    lu, capu = _units(load, capacity, offer, n_offers, 48)
    pair = agent * max(n_offers, 1) + offer
    up, inv = np.unique(pair, return_inverse=True)
    p_agent, p_radix = up // max(n_offers, 1), capu[up % max(n_offers, 1)] + 1
    p_stride = np.ones(len(up), np.int64)
    width = np.ones(n_agents, np.int64)
    for k in np.lexsort((p_radix, p_agent)).tolist():  # per agent, small radices first
        a, r = int(p_agent[k]), int(p_radix[k])
        if r > 1 and width[a] * r <= max_width:
            p_stride[k] = width[a]
            width[a] *= r
        else:
            p_radix[k] = 1  # not counted
    counted = p_radix[inv] > 1
    units = np.where(counted, lu, 0).astype(np.int64)
    return units, p_stride[inv], np.maximum(p_radix[inv], 1).astype(np.int64), width


def _spans(lo: I64, hi: I64) -> tuple[I64, I64]:
    """(owner, value) for every value in ``[lo[k], hi[k])``."""
    cnt = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo), dtype=np.int64), cnt)
    first = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    return owner, np.repeat(lo - first, cnt) + np.arange(len(owner), dtype=np.int64)


def timeline(
    *,
    agent: I64,
    start: I64,
    end: I64,
    lat: F64,
    lon: F64,
    group: I64,
    load: I64,
    capacity: I64,
    n_agents: int,
    speed_kmh: float,
    cells: int = CELLS,
    trip: I64 | None = None,
    pairs: tuple[I64, I64] | None = None,
    offer: I64 | None = None,
    max_width: int = MAX_WIDTH,
) -> Timeline:
    """The structure of :func:`best_schedules` for arcs with these agents, times (minutes), sites
    (degrees), orders (``group``: two arcs of one order are never consecutive), loads and agent
    capacities (``< 0``: none).

    ``trip`` (per agent, at least the longest trip between two of its sites) and ``pairs`` (every
    pair ``(i, j)`` of arcs of one agent, other orders, where ``j`` ends within ``trip`` before
    ``i`` starts and the trip fits) may be given when known (parts of a timeline already built).

    With ``offer`` (per arc), an agent is a provider with several offers and ``capacity`` is per
    offer: the table counts each offer's load apart (one digit per offer, at most ``max_width``
    columns per agent).
    """
    n = len(agent)
    load = np.asarray(load, np.int64)
    if offer is None:
        lu, strd, rad, width = _digits(
            agent, agent, load, np.asarray(capacity, np.int64), n_agents, n_agents, max_width
        )
    else:
        lu, strd, rad, width = _digits(
            agent, offer, load, np.asarray(capacity, np.int64), n_agents, len(capacity), max_width
        )
    if trip is None:  # the longest trip between two sites of one agent: at most twice the farthest from their centre
        cnt = np.maximum(np.bincount(agent, minlength=n_agents), 1)
        clat = np.bincount(agent, weights=lat, minlength=n_agents) / cnt
        clon = np.bincount(agent, weights=lon, minlength=n_agents) / cnt
        reach = np.zeros(n_agents)
        if n:
            np.maximum.at(reach, agent, haversine_km(clat[agent], clon[agent], lat, lon))
        trip = np.asarray(travel_minutes(2.0 * reach + 1e-6, speed_kmh), np.int64)
    # chunks of agents with similar table widths
    by_width = np.argsort(width, kind="stable")
    arcs_of = np.bincount(agent, minlength=n_agents)
    chunk_of = np.zeros(n_agents, np.int64)
    c, used = 0, 0
    for ag in by_width.tolist():  # widths grow: the current agent's is the chunk's widest
        if used and (used + int(arcs_of[ag])) * int(width[ag]) > cells:
            c, used = c + 1, 0
        chunk_of[ag] = c
        used += int(arcs_of[ag])
    t0 = int(min(start.min(), end.min())) if n else 0
    span = int(max(start.max(), end.max())) - t0 + 2 if n else 1
    order = np.lexsort((start, agent, end, chunk_of[agent]))
    a, s, e = agent[order], start[order] - t0, end[order] - t0
    pos_ch = chunk_of[a]
    # end groups: one agent, one end (contiguous in this order)
    new_eg = np.ones(n, bool)
    new_eg[1:] = (a[1:] != a[:-1]) | (e[1:] != e[:-1])
    eg = np.cumsum(new_eg) - 1
    n_eg = int(eg[-1]) + 1 if n else 0
    eg_first = np.flatnonzero(new_eg)
    eg_agent, eg_end = a[eg_first], e[eg_first]
    by_ae = np.lexsort((eg_end, eg_agent))  # end groups per agent in end order
    prev = np.full(n_eg, -1, np.int64)
    same = eg_agent[by_ae][1:] == eg_agent[by_ae][:-1]
    prev[by_ae[1:][same]] = by_ae[:-1][same]
    last = np.full(n_agents, -1, np.int64)
    last[eg_agent[by_ae]] = by_ae  # the last write per agent wins: its latest end
    key = eg_agent[by_ae] * span + eg_end[by_ae]
    k = np.searchsorted(key, a * span + np.maximum(s - trip[a], -1), side="right") - 1
    far = np.where((k >= 0) & (eg_agent[by_ae[np.maximum(k, 0)]] == a), by_ae[np.maximum(k, 0)], -1)
    # near predecessors: same agent, ending in (start - trip, start], the trip fits, another order
    if pairs is not None:
        inv = np.empty(n, np.int64)
        inv[order] = np.arange(n)
        i, j = inv[pairs[0]], inv[pairs[1]]
    else:
        by_end = np.lexsort((e, a))
        key_e = a[by_end] * span + e[by_end]
        lo = np.searchsorted(key_e, a * span + np.maximum(s - trip[a], -1), side="right")
        hi = np.searchsorted(key_e, a * span + s, side="right")
        i, jj = _spans(lo, hi)
        j = by_end[jj]
        grp, la, lo_ = group[order], lat[order], lon[order]
        ok = grp[i] != grp[j]
        i, j = i[ok], j[ok]
        need = np.asarray(travel_minutes(haversine_km(la[i], lo_[i], la[j], lo_[j]), speed_kmh), np.int64)
        ok = e[j] + need <= s[i]
        i, j = i[ok], j[ok]
    srt = np.lexsort((j, i))
    i, j = i[srt], j[srt]
    near_ptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=n))]).astype(np.int64)
    wave_start = np.ones(n, bool)
    wave_start[1:] = (e[1:] != e[:-1]) | (pos_ch[1:] != pos_ch[:-1])
    waves = np.append(np.flatnonzero(wave_start), n).astype(np.int64)
    chunks = []
    for c0, c1 in itertools.pairwise(np.append(np.flatnonzero(np.diff(pos_ch, prepend=-1)), n).tolist()):
        chunks.append((c0, c1, int(width[a[c0:c1]].max())))
    lu, strd, rad = lu[order], strd[order], rad[order]
    return Timeline(
        n_agents,
        order.astype(np.int64),
        a,
        lu,
        lu * strd,
        strd,
        rad,
        width - 1,
        eg,
        prev,
        last,
        far.astype(np.int64),
        near_ptr,
        j.astype(np.int64),
        waves,
        tuple(chunks),
        trip,
    )


def best_schedules(tl: Timeline, weight: F64) -> tuple[F64, B]:
    """Each agent's best schedule at arc weights ``weight`` (indexed by arc): its value (0 when
    no arc is worth taking) and which arcs the schedules take (see the module docstring)."""
    value = np.zeros(tl.n_agents)
    taken = np.zeros(len(tl.arc), bool)
    w = np.asarray(weight, np.float64)[tl.arc]
    for c0, c1, width in tl.chunks:
        _chunk(tl, w, c0, c1, width, value, taken)
    out = np.zeros(len(tl.arc), bool)
    out[tl.arc[taken]] = True
    return value, out


def _chunk(tl: Timeline, w: F64, c0: int, c1: int, width: int, value: F64, taken: B) -> None:
    """The programme over positions ``c0:c1`` (whole agents), in place."""
    m = c1 - c0
    eg0 = int(tl.eg[c0])
    n_eg = int(tl.eg[c1 - 1]) - eg0 + 1
    f = np.full((m, width), -np.inf)  # best schedule ending with this arc, at most k units
    gt = np.full((n_eg + 1, width), -np.inf)  # per end group: the best over the agent's arcs so far
    ga = np.full((n_eg + 1, width), -1, np.int64)  # ... and the position that reaches it
    cols = np.arange(width, dtype=np.int64)
    lo_w = np.searchsorted(tl.waves, c0)
    hi_w = np.searchsorted(tl.waves, c1)
    for w0, w1 in itertools.pairwise(tl.waves[lo_w : hi_w + 1].tolist()):
        pos = np.arange(w0, w1, dtype=np.int64)
        pos = pos[w[pos] > _EPS]
        egs = tl.eg[w0:w1] - eg0
        if len(pos):
            far = tl.far[pos]
            best = np.where((far >= 0)[:, None], gt[np.where(far >= 0, far - eg0, n_eg)], -np.inf)
            owner, pj = _spans(tl.near_ptr[pos], tl.near_ptr[pos + 1])
            if len(owner):
                np.maximum.at(best, owner, f[tl.near_pos[pj] - c0])
            best = np.maximum(best, 0.0)
            src = cols[None, :] - tl.shift[pos][:, None]
            fits = (cols[None, :] // tl.stride[pos][:, None]) % tl.radix[pos][:, None] >= tl.units[pos][:, None]
            fv = np.where(fits, best[np.arange(len(pos))[:, None], np.maximum(src, 0)] + w[pos][:, None], -np.inf)
            f[pos - c0] = fv
        # end groups of this wave: the agent's previous best, or an arc of the group
        ug = np.unique(egs)
        prev = tl.eg_prev[ug + eg0]
        pv = np.where(prev >= 0, prev - eg0, n_eg)
        gt[ug] = gt[pv]
        ga[ug] = ga[pv]
        if len(pos):
            rows = f[pos - c0]
            g_of = tl.eg[pos] - eg0
            starts = np.flatnonzero(np.diff(g_of, prepend=-1))
            seg = np.cumsum(np.diff(g_of, prepend=-1) != 0) - 1
            top = np.maximum.reduceat(rows, starts, axis=0)  # the best arc per end group and column
            big = np.iinfo(np.int64).max
            arg = np.minimum.reduceat(np.where(rows >= top[seg], pos[:, None], big), starts, axis=0)
            sg = g_of[starts]
            better = top > gt[sg]
            gt[sg] = np.where(better, top, gt[sg])
            ga[sg] = np.where(better, arg, ga[sg])
    # values at each agent's capacity, then the schedules backwards
    ags = np.unique(tl.agent[c0:c1])
    le = tl.eg_last[ags] - eg0
    k = tl.top[ags]
    v = gt[le, k]
    value[ags] = np.maximum(v, 0.0)
    live = v > _EPS
    cur, k = ga[le[live], k[live]], k[live]
    while len(cur):
        taken[cur] = True
        rest = f[cur - c0, k] - w[cur]
        k = k - tl.shift[cur]
        go = rest > _EPS * np.maximum(1.0, np.abs(rest)) + 1e-9
        cur, k, rest = cur[go], k[go], rest[go]
        if not len(cur):
            break
        nxt = np.full(len(cur), -1, np.int64)
        far = tl.far[cur]
        fg = np.where(far >= 0, far - eg0, n_eg)
        tol = 1e-9 * np.maximum(1.0, np.abs(rest))
        use_far = (far >= 0) & (gt[fg, k] >= rest - tol)
        nxt[use_far] = ga[fg[use_far], k[use_far]]
        owner, pj = _spans(tl.near_ptr[cur], tl.near_ptr[cur + 1])
        if len(owner):
            cand = tl.near_pos[pj]
            fits = (f[cand - c0, k[owner]] >= rest[owner] - tol[owner]) & ~use_far[owner]
            first = np.full(len(cur), -1, np.int64)
            np.maximum.at(first, owner[fits][::-1], cand[fits][::-1])  # any fitting one
            nxt = np.where(nxt >= 0, nxt, first)
        if (nxt < 0).any():  # rounding: stop where no predecessor reaches the value
            keep = nxt >= 0
            cur, k = nxt[keep], k[keep]
        else:
            cur = nxt
