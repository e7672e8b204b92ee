"""Best schedules in which each order appears once, and the arc data they are computed from.

:func:`vmatch.menu.schedules.best_schedules` may take one order twice in a schedule (at two
starts far enough apart): the programme does not remember which orders it took.
:func:`elementary_schedules` removes those repeats exactly, by splitting the agents that repeat
into copies (see there). :class:`ArcData` holds what the timelines are built from, so that the
timelines of parts (copies, or only the arcs worth taking) reuse the whole one's pairs.

Examples
--------
>>> import numpy as np
>>> one = np.zeros(3, np.int64)
>>> data = ArcData(agent=one, start=np.array([0, 60, 120]), end=np.array([45, 105, 165]), lat=np.zeros(3),
...                lon=np.zeros(3), group=np.array([0, 1, 0]), load=np.ones(3, np.int64),
...                capacity=np.array([-1]), n_agents=1, speed_kmh=15.0)
>>> from vmatch.menu.schedules import best_schedules
>>> float(best_schedules(data.timeline(), np.ones(3))[0][0])    # order 0 twice
3.0
>>> value, taken = elementary_schedules(data, np.ones(3))
>>> float(value[0]), taken.tolist()
(2.0, [True, True, False])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vmatch.menu.schedules import Timeline, _spans, best_schedules, timeline

__all__ = ["ArcData", "elementary_schedules"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Below this share of arcs worth taking, :func:`elementary_schedules` builds a timeline of those.
SPARSE = 0.3


@dataclass(frozen=True)
class ArcData:
    """What :func:`timeline` needs, per arc (and capacity per agent), kept to build timelines of
    parts of the arcs (:func:`elementary_schedules`)."""

    agent: I64
    start: I64
    end: I64
    lat: F64
    lon: F64
    group: I64
    load: I64
    capacity: I64  # per agent, or per offer when ``offer`` is given
    n_agents: int
    speed_kmh: float
    offer: I64 | None = None  # per arc, when an agent (a provider) has several offers
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _base(self) -> tuple[Timeline, I64, I64, I64]:
        """The timeline of all arcs, each agent's trip, and its near pairs by arc (CSR by arc)."""
        if "base" not in self._cache:
            tl = timeline(
                agent=self.agent,
                start=self.start,
                end=self.end,
                lat=self.lat,
                lon=self.lon,
                group=self.group,
                load=self.load,
                capacity=self.capacity,
                n_agents=self.n_agents,
                speed_kmh=self.speed_kmh,
                offer=self.offer,
            )
            n = len(self.agent)
            i = tl.arc[np.repeat(np.arange(n), np.diff(tl.near_ptr))]
            j = tl.arc[tl.near_pos]
            srt = np.lexsort((j, i))
            ptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=n))]).astype(np.int64)
            self._cache["base"] = (tl, tl.trip, ptr, j[srt])
        out: tuple[Timeline, I64, I64, I64] = self._cache["base"]
        return out

    def timeline(self, sel: I64 | None = None, owner: I64 | None = None, n_owners: int = 0) -> Timeline:
        """The timeline of all arcs, or of arcs ``sel`` with ``owner[k]`` as the agent of ``sel[k]``
        (each owner one agent's copy, with that agent's capacities); parts reuse the near pairs of
        the whole (built once)."""
        base, trip, ptr, near = self._base()
        if sel is None:
            return base
        assert owner is not None
        own_trip = np.zeros(n_owners, np.int64)
        own_trip[owner] = trip[self.agent[sel]]
        # the near pairs among the selected arcs of one owner
        n = len(self.agent)
        key = owner * n + sel
        by_key = np.argsort(key, kind="stable")
        k, pj = _spans(ptr[sel], ptr[sel + 1])
        want = owner[k] * n + near[pj]
        at = np.minimum(np.searchsorted(key[by_key], want), len(key) - 1)
        hit = key[by_key][at] == want if len(key) else np.zeros(0, bool)
        offer = self.agent[sel] if self.offer is None else self.offer[sel]
        return timeline(
            agent=owner,
            start=self.start[sel],
            end=self.end[sel],
            lat=self.lat[sel],
            lon=self.lon[sel],
            group=self.group[sel],
            load=self.load[sel],
            capacity=self.capacity,
            n_agents=n_owners,
            speed_kmh=self.speed_kmh,
            trip=own_trip,
            pairs=(k[hit], by_key[at[hit]]),
            offer=offer,
        )


def _first_repeat(owner: I64, group: I64, start: I64) -> tuple[I64, I64, I64]:
    """Owners whose taken arcs repeat an order: (owner, that order, the later start of the repeat)."""
    o = np.lexsort((start, group, owner))
    ow, gr, st = owner[o], group[o], start[o]
    rep = np.flatnonzero((ow[1:] == ow[:-1]) & (gr[1:] == gr[:-1])) + 1
    own, first = np.unique(ow[rep], return_index=True)
    return own, gr[rep[first]], st[rep[first]]


def elementary_schedules(
    data: ArcData, weight: F64, tl: Timeline | None = None, *, max_depth: int = 12, cutoff: float = np.inf
) -> tuple[F64, B]:
    """:func:`best_schedules` with each order at most once in an agent's schedule.

    Where an agent's best schedule repeats an order (at two starts, ``t1 < t2``), the agent's
    arcs are split into two copies, one without the order's starts from ``t2`` on and one without
    those before it (every schedule that takes the order once lives in one of them), and the copies
    are solved again, down to ``max_depth`` splits; the agent's value is the best copy's. A copy
    that still repeats at the depth limit counts with its value, which is still an upper bound.
    Returns the value per agent and the arcs of schedules without repeats (a repeat left at the
    depth limit keeps one arc of the order). When the values with repeats sum to more than
    ``cutoff``, nothing is split (they are then only the relaxed ones, still upper bounds: a
    caller that needs a bound below ``cutoff`` saves the work).
    """
    w = np.asarray(weight, np.float64)
    pos = np.flatnonzero(w > 1e-9)
    if tl is None or len(pos) < SPARSE * len(w):  # few arcs worth taking: a timeline of those only
        value, tk = best_schedules(data.timeline(pos, data.agent[pos], data.n_agents), w[pos])
        taken = np.zeros(len(w), bool)
        taken[pos[tk]] = True
    else:
        value, taken = best_schedules(tl, w)
    t = np.flatnonzero(taken)
    bad, _, _ = _first_repeat(data.agent[t], data.group[t], data.start[t])
    if float(value.sum()) > cutoff:  # the relaxed values stand (still bounds)
        return value, _first_only(data, taken)
    if not len(bad):
        return value, taken
    # copies: the positive arcs of each agent with a repeat
    pos = np.flatnonzero(np.isin(data.agent, bad) & (w > 1e-9))
    sel, owner = pos, np.searchsorted(bad, data.agent[pos])
    copy_agent = bad.copy()
    best = np.full(len(bad), -np.inf)  # best copy without repeats, per agent of ``bad``
    final = np.zeros(len(w), bool)  # its arcs
    for depth in range(max_depth + 1):
        v, tk = best_schedules(data.timeline(sel, owner, len(copy_agent)), w[sel])
        ta = np.flatnonzero(tk)
        rep_own, rep_grp, rep_t = _first_repeat(owner[ta], data.group[sel[ta]], data.start[sel[ta]])
        who = np.searchsorted(bad, copy_agent)
        clean = np.ones(len(copy_agent), bool)
        clean[rep_own] = False
        last = depth == max_depth
        done = clean | last
        cand = np.flatnonzero(done)
        cand = cand[np.lexsort((-v[cand], who[cand]))]
        if len(cand):  # each agent's best finished copy
            cand = cand[np.append(True, who[cand][1:] != who[cand][:-1])]
        upd = cand[v[cand] > best[who[cand]]]
        if len(upd):
            best[who[upd]] = v[upd]
            final[np.isin(data.agent, bad[who[upd]])] = False
            final[sel[ta[np.isin(owner[ta], upd)]]] = True
        if last:
            break
        # split the copies that repeat and can still beat their agent's best
        split = rep_own[v[rep_own] > best[who[rep_own]] + 1e-9]
        if not len(split):
            break
        k = np.searchsorted(rep_own, split)
        o_grp, o_t = np.full(len(copy_agent), -1), np.zeros(len(copy_agent), np.int64)
        o_grp[split], o_t[split] = rep_grp[k], rep_t[k]
        keep = np.isin(owner, split)
        s2, ow2 = sel[keep], owner[keep]
        is_o = data.group[s2] == o_grp[ow2]
        late = data.start[s2] >= o_t[ow2]
        new_id = np.full(len(copy_agent), -1, np.int64)
        new_id[split] = np.arange(len(split))
        a_keep = ~(is_o & late)
        b_keep = ~(is_o & ~late)
        sel = np.concatenate([s2[a_keep], s2[b_keep]])
        owner = np.concatenate([2 * new_id[ow2[a_keep]], 2 * new_id[ow2[b_keep]] + 1])
        copy_agent = np.repeat(copy_agent[split], 2)
    value[bad] = np.maximum(best, 0.0)
    taken[np.isin(data.agent, bad)] = False
    taken |= final & np.isin(data.agent, bad[best > 1e-9])
    return value, _first_only(data, taken)


def _first_only(data: ArcData, taken: B) -> B:
    """``taken`` with only the first arc of each order in an agent's schedule."""
    t = np.flatnonzero(taken)
    t = t[np.lexsort((data.start[t], data.group[t], data.agent[t]))]
    dup = np.zeros(len(t), bool)
    dup[1:] = (data.agent[t[1:]] == data.agent[t[:-1]]) & (data.group[t[1:]] == data.group[t[:-1]])
    out = taken.copy()
    out[t[dup]] = False
    return out
