"""Exact weekly check of three visits of one volunteer, on runs of starts (faster than a search).

Each visit may start on any of its **runs**: ``lo, lo + step, ..., hi`` (week minutes; from
:meth:`~vmatch._pairing_week.WeekTables.blocks` with ``runs=True``). Three visits fit one
week when some choice of a run each and an order ``a, b, c`` in time gives starts with

    s_b >= s_a + m_a + t_ab,   s_c >= s_b + m_b + t_bc,   s_a + WEEK >= s_c + m_c + t_ca

(``t``: travel minutes between the homes), within the weekly and per-day minutes. For one
order the latest chain (each start as late as the next allows) gives the latest ``s_a``; from
it the earliest chain gives the earliest ``s_c``: the chain fits the week if and only if that
one does (every constraint moves the same way). The starts found are checked again against
the scheduler's own clash rule, so a "yes" always comes with a schedule.

Examples
--------
>>> runs = [[(540, 600)], [(540, 660)], [(540, 720)]]  # Monday mornings, 15-minute steps
>>> fit3(runs, [60, 60, 60], [[0, 5, 5], [5, 0, 5], [5, 5, 0]], -1, -1, 15)
[570, 645, 720]
>>> fit3([[(540, 600)]] * 3, [60, 60, 60], [[0, 5, 5], [5, 0, 5], [5, 5, 0]], -1, -1, 15) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations, product

from vmatch._pairing_sched import clash
from vmatch._pairing_week import DAY, WEEK

__all__ = ["fit3"]

Run = tuple[int, int]


def _down(x: int, lo: int, step: int) -> int:
    """Largest start ``lo + k * step <= x`` (may fall below ``lo``)."""
    return lo + ((x - lo) // step) * step


def _up(x: int, lo: int, step: int) -> int:
    """Smallest start ``lo + k * step >= max(x, lo)``."""
    return lo if x <= lo else lo - ((lo - x) // step) * step


def _chain(
    r: Sequence[Run], m: Sequence[int], t: Sequence[Sequence[int]], o: Sequence[int], step: int
) -> list[int] | None:
    a, b, c = o
    (la, ha), (lb, hb), (lc, hc) = r[a], r[b], r[c]
    sc = hc
    sb = _down(min(hb, sc - m[b] - t[b][c]), lb, step)
    sa = _down(min(ha, sb - m[a] - t[a][b]), la, step)
    if sb < lb or sa < la:
        return None
    sb = _up(sa + m[a] + t[a][b], lb, step)
    sc = _up(sb + m[b] + t[b][c], lc, step)
    if sb > hb or sc > hc or sc + m[c] + t[c][a] > sa + WEEK:
        return None
    out = [0, 0, 0]
    out[a], out[b], out[c] = sa, sb, sc
    return out


def fit3(
    runs: Sequence[Sequence[Run]],
    m: Sequence[int],
    t: Sequence[Sequence[int]],
    vmax: int,
    vday: int,
    step: int,
) -> list[int] | None:
    """Starts of three visits that fit one week, or None when none do.

    ``runs[i]``: the runs of visit i; ``m``: visit minutes; ``t[i][j]``: travel minutes;
    ``vmax``, ``vday``: weekly and per-day minutes (-1: no limit); ``step``: the time step.
    """
    if vmax >= 0 and sum(m) > vmax:
        return None
    for combo in product(*runs):
        days = [lo // DAY for lo, _ in combo]
        if vday >= 0 and any(sum(m[i] for i in range(3) if days[i] == d) > vday for d in set(days)):
            continue
        for o in permutations(range(3)):
            got = _chain(combo, m, t, o, step)
            if got is not None and not any(
                clash(got[i], got[i] + m[i], got[j], got[j] + m[j], t[i][j]) for i, j in ((0, 1), (0, 2), (1, 2))
            ):
                return got
    return None
