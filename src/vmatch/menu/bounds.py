"""Bounds on a menu's first level from each provider's exact schedule, and the data they need.

A menu's arc problem is a packing: each order goes to at most one offer, at one start. Price each
order with ``λ_o >= 0``; each *agent* -- an offer, or a provider with all its offers
(:func:`persons`) -- may then take its best schedule alone (arcs that keep its own time, travel
and capacity rules, each order once: :func:`vmatch.menu.elementary.elementary_schedules`), and

    L(λ) = Σ_orders λ_o + Σ_agents max(0, best schedule at weights c - λ)

bounds the first level for **any** prices (Lagrangian duality; the schedules relax only the
per-day workload rows, and capacities beyond a table's width). :func:`schedule_bound` evaluates
it; :func:`menu_bounds` takes the min-cost flow's order prices
(:func:`vmatch.solvers.lagrange.flow_prices`) and returns the smaller of the flow bound and ``L``
per provider. The schedules see travel and a provider's offers together, which the flow relaxes:
at 20,000 orders x 5,000 offers the flow bound is 25,425, ``L`` per offer 25,247 and per provider
25,094 (3 splits of repeats; 25,073 with all). :class:`BoundJob` computes them in a process of
its own beside the construction.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> from vmatch.menu.compile import menu_to_problem
>>> from vmatch.menu.people import compile_people
>>> c = compile_people(menu_to_problem(generate_menu(60, 20, seed=1))[0])
>>> menu_shaped(c.arcs)
True
>>> from vmatch.solve import level_bounds
>>> menu_bounds(c.arcs, 15.0)[0] <= level_bounds(c.arcs)[0]
True
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from vmatch.arcs import ArcProblem
from vmatch.menu.elementary import ArcData, elementary_schedules
from vmatch.solve import level_bounds
from vmatch.solvers.background import Reader
from vmatch.solvers.lagrange import flow_prices
from vmatch.solvers.lp import rounded_bound

__all__ = [
    "BoundJob",
    "arc_data",
    "colgen_bound",
    "flow_group_prices",
    "menu_bounds",
    "menu_bounds_and_wanted",
    "menu_shaped",
    "persons",
    "provider_data",
    "schedule_bound",
    "schedule_bound_and_wanted",
]

log = logging.getLogger(__name__)
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Splits of the providers that repeat an order, in :func:`menu_bounds` (20,000 x 5,000 at the flow's
#: prices: 25,389 with repeats, 25,111 after 2 splits in 1.3 s, 25,086 after 4 in 2.8 s, 25,073 all).
DEPTH = 3
#: Seconds :class:`BoundJob` waits for its process before computing the bounds itself.
WAIT = 120.0
#: :class:`BoundJob` goes on with column generation when at least this many seconds are left after
#: its first bound (20,000 x 5,000, :func:`colgen_bound`: 24,881 against 25,094 after 60 s, 24,834
#: after 83 s, 24,820 after 144 s; the whole master's passed 25,094 only after 150-200 s).
COLGEN_SECONDS = 60.0


def menu_shaped(ap: ArcProblem, level: int = 0) -> bool:
    """True when ``ap`` is a packing of one-arc orders that :func:`column_generation` can bound:
    every job takes at most one arc (and needs no more), no composition rows, pins or required
    groups, job times known, and ``level`` is a plain "max" level."""
    lv = ap.levels[level] if level < len(ap.levels) else None
    return (
        lv is not None
        and lv.sense == "max"
        and not lv.has_share
        and lv.job_coef is None
        and bool(np.all(ap.job_max == 1))
        and bool(np.all(ap.job_min <= 1))
        and not len(ap.composition)
        and not len(ap.pinned)
        and not bool(ap.group_required.any())
        and "job_start" in ap.meta
        and "group_lat" in ap.meta
    )


def _scheduled(ap: ArcProblem) -> bool:
    """True when the providers' schedules bound ``ap``'s first level (menu-shaped, with arcs)."""
    return bool(ap.levels) and menu_shaped(ap) and ap.n_arcs > 0


def persons(ap: ArcProblem) -> tuple[int, I64]:
    """Agents joined by a conflict or capacity row (one provider's offers): how many groups, and
    each agent's group."""
    links: list[I64] = []
    for rows in (ap.cliques, ap.capacity):
        if len(rows):
            who = ap.arc_agent[rows.indices]
            first = who[rows.indptr[:-1][np.diff(rows.indptr) > 0]]
            rid = rows.row_ids()
            nz = np.diff(rows.indptr) > 0
            first_of = np.full(len(rows), -1, np.int64)
            first_of[nz] = first
            links.append(np.stack([first_of[rid], who]))
    pairs = np.concatenate(links, axis=1) if links else np.zeros((2, 0), np.int64)
    pairs = pairs[:, pairs[0] != pairs[1]]
    m = sp.coo_matrix((np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(ap.n_agents, ap.n_agents))
    n, lab = connected_components(m, directed=False)
    return int(n), lab.astype(np.int64)


def arc_data(ap: ArcProblem, speed_kmh: float, person: I64 | None = None, n_persons: int = 0) -> ArcData:
    """The arc data of the schedule programme for ``ap`` (sites and times from ``ap.meta``): per
    agent, or per ``person`` (agents' groups from :func:`persons`, each agent an offer with its
    own capacity)."""
    g = ap.job_group[ap.arc_job]
    agent, n, offer = ap.arc_agent, ap.n_agents, None
    if person is not None:
        agent, n, offer = person[ap.arc_agent], n_persons, ap.arc_agent
    return ArcData(
        agent,
        np.asarray(ap.meta["job_start"], np.int64)[ap.arc_job],
        np.asarray(ap.meta["job_end"], np.int64)[ap.arc_job],
        np.asarray(ap.meta["group_lat"], np.float64)[g],
        np.asarray(ap.meta["group_lon"], np.float64)[g],
        g,
        ap.arc_load,
        ap.agent_capacity,
        n,
        float(speed_kmh),
        offer,
    )


def schedule_bound(ap: ArcProblem, data: ArcData, prices: F64, level: int = 0, max_depth: int = 12) -> float:
    """``L(prices)`` on level ``level`` of a menu-shaped ``ap`` (see the module docstring), from
    ``data`` (:func:`arc_data`, per offer or per provider), rounded down to the level's integers;
    ``max_depth``: of :func:`~vmatch.menu.elementary.elementary_schedules` (less work, a weaker
    bound)."""
    return schedule_bound_and_wanted(ap, data, prices, level, max_depth)[0]


def schedule_bound_and_wanted(
    ap: ArcProblem, data: ArcData, prices: F64, level: int = 0, max_depth: int = 12
) -> tuple[float, F64]:
    """:func:`schedule_bound`, and per group (order) the level's value of an arc to it in some
    agent's best schedule at ``prices`` (0 when no agent's schedule takes it): the orders the
    agents want at those prices, which the search starts its parts from when it does not serve
    them (:func:`vmatch.solvers.lns.solve_lns`' ``group_lp``)."""
    lv = ap.levels[level]
    c = np.asarray(lv.coef, np.float64)
    p = np.maximum(np.asarray(prices, np.float64), 0.0)
    val, take = elementary_schedules(data, c - p[data.group], max_depth=max_depth)
    wanted = np.zeros(ap.n_groups)
    np.maximum.at(wanted, data.group[take], c[take])
    return rounded_bound(lv, float(p.sum() + val.sum()), 1e-7), wanted


def provider_data(ap: ArcProblem, speed_kmh: float) -> ArcData:
    """:func:`arc_data` per provider (:func:`persons`)."""
    n, person = persons(ap)
    return arc_data(ap, speed_kmh, person, n)


def menu_bounds(ap: ArcProblem, speed_kmh: float, data: ArcData | None = None) -> tuple[float, ...]:
    """:func:`vmatch.solve.level_bounds` (without the shared Lagrangian bound, never the smallest
    on menus) with the first level bounded by :func:`schedule_bound` per provider at the min-cost
    flow's order prices, when ``ap`` is menu-shaped (``data``: :func:`provider_data` of ``ap`` when
    already built)."""
    return menu_bounds_and_wanted(ap, speed_kmh, data)[0]


def flow_group_prices(ap: ArcProblem) -> tuple[float, F64]:
    """The min-cost-flow bound of the first level and its order prices, per group
    (:func:`vmatch.solvers.lagrange.flow_prices`' head prices, the largest of a group's jobs)."""
    fb, prices, _ = flow_prices(ap, 0)
    group_price = np.zeros(ap.n_groups)
    np.maximum.at(group_price, ap.job_group, prices.head)
    return fb, group_price


def menu_bounds_and_wanted(
    ap: ArcProblem,
    speed_kmh: float,
    data: ArcData | None = None,
    flow: tuple[float, F64] | None = None,
) -> tuple[tuple[float, ...], F64 | None]:
    """:func:`menu_bounds`, and the orders the providers want at the flow's prices
    (:func:`schedule_bound_and_wanted`; None when ``ap`` is not menu-shaped); ``flow``:
    :func:`flow_group_prices` of ``ap`` when already computed."""
    if not _scheduled(ap):
        return level_bounds(ap), None
    t0 = time.perf_counter()
    out = list(level_bounds(ap, flow=False))
    fb, group_price = flow if flow is not None else flow_group_prices(ap)
    data = data if data is not None else provider_data(ap, speed_kmh)
    own, wanted = schedule_bound_and_wanted(ap, data, group_price, max_depth=DEPTH)
    out[0] = min(out[0], fb, own)
    log.info("menu bounds: flow %.6g, schedules %.6g in %.2fs", fb, own, time.perf_counter() - t0)
    return tuple(out), wanted


def colgen_bound(
    ap: ArcProblem,
    speed_kmh: float,
    deadline: float,
    on_better: Callable[[float], None] | None = None,
    *,
    data: ArcData | None = None,
    prices: F64 | None = None,
) -> float:
    """The first level's bound by column generation over providers' schedules from the flow's
    order prices (:func:`vmatch.menu.colgen.column_generation`, per provider, re-pricing only the
    orders those prices get wrong: ``restrict``, without layers, ``DEPTH`` splits) until ``deadline``
    (``time.perf_counter()``), rounded to the level's integers; ``on_better`` sees each bound
    that improves on the last one (after the first round at the flow's prices). ``data``
    (:func:`provider_data`) and ``prices`` (:func:`flow_group_prices`) when already computed."""
    import dataclasses

    from vmatch.menu.colgen import ColumnResult, column_generation
    from vmatch.solvers.greedy import greedy

    ap1 = dataclasses.replace(ap, levels=ap.levels[:1])
    lv = ap1.levels[0]
    lam = prices if prices is not None else flow_group_prices(ap1)[1]
    best = [np.inf]

    def seen(r: ColumnResult) -> None:
        b = rounded_bound(lv, r.bound, 1e-7)
        if b < best[0]:
            best[0] = b
            if on_better is not None:
                on_better(b)

    if data is None:
        data = provider_data(ap1, speed_kmh)
    cg = column_generation(
        ap1,
        data,
        greedy(ap1),
        deadline=deadline,
        prices=lam,
        by_person=True,
        on_round=seen,
        restrict=True,  # only the orders the flow's prices get wrong: 24,881 after 60 s instead of 25,094
        layers=0,
        max_depth=DEPTH,
    )
    return min(best[0], cg.bound)


def _child(
    conn: Connection, ap: ArcProblem, speed_kmh: float, until: float | None
) -> None:  # pragma: no cover - in a child process
    try:
        flow = flow_group_prices(ap) if _scheduled(ap) else None
        data = provider_data(ap, speed_kmh) if flow is not None else None
        first, wanted = menu_bounds_and_wanted(ap, speed_kmh, data, flow)
        conn.send((first, wanted))
        if flow is not None and until is not None and until - time.perf_counter() >= COLGEN_SECONDS:
            colgen_bound(ap, speed_kmh, until, lambda b: conn.send(("better", b)), data=data, prices=flow[1])
    except BaseException as exc:  # reported to the parent, which falls back
        conn.send(exc)
    finally:
        conn.close()


class BoundJob:
    """:func:`menu_bounds` computed beside the caller: in a forked process where the platform forks
    (the arc problem is shared copy-on-write; the caller's construction keeps its core), else in
    the caller when :meth:`result` is asked.

    With ``until`` (``time.perf_counter()``) at least :data:`COLGEN_SECONDS` after the first bound,
    the process goes on with :func:`colgen_bound` until then and sends each better first-level
    bound (a long run: the process keeps its core throughout). Its messages are taken as they
    arrive (:class:`vmatch.solvers.background.Reader`): the first, with the wanted orders, is
    larger than a pipe holds, and the process must not wait on a caller that does not ask."""

    def __init__(self, ap: ArcProblem, speed_kmh: float, until: float | None = None) -> None:
        self.ap, self.speed, self.until = ap, speed_kmh, until
        self._value: tuple[float, ...] | None = None
        self._wanted: F64 | None = None
        self._proc: mp.process.BaseProcess | None = None
        self._reader: Reader | None = None
        self._first = threading.Event()  # the first bounds came, or the process failed
        if "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            conn, child = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(child, ap, speed_kmh, until), daemon=True)
            self._proc.start()
            child.close()
            self._reader = Reader(conn, self._take)

    def cancel(self) -> None:
        """Stop the process (when its bounds are not needed)."""
        self._stop()

    def _stop(self) -> None:
        """End the process and close the pipe."""
        if self._reader is not None:
            self._reader.close(self._proc)
            self._reader = None
        self._proc = None

    def _take(self, got: object) -> bool:
        """One message of the process (the first bounds and wanted orders, or a better first level);
        True when no more will come."""
        if isinstance(got, tuple) and len(got) == 2 and got[0] == "better" and self._value is not None:
            self._value = (min(self._value[0], float(got[1])), *self._value[1:])
        elif isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], tuple):
            self._value, self._wanted = got
            self._first.set()
            return self.until is None
        elif isinstance(got, BaseException):
            log.warning("menu bounds in a child process failed (%r)", got)
            self._first.set()
            return True
        return False

    def _wait_first(self, seconds: float) -> None:
        """Wait at most ``seconds`` for the first bounds (less if the process ends without them)."""
        end = time.perf_counter() + seconds
        reader = self._reader
        while reader is not None and not self._first.is_set() and not reader.ended.is_set():
            left = end - time.perf_counter()
            if left <= 0:
                break
            self._first.wait(min(left, 0.05))

    def _read(self) -> tuple[tuple[float, ...] | None, F64 | None]:
        if self._reader is None:
            return self._value, self._wanted
        with self._reader.lock:
            return self._value, self._wanted

    def wanted(self) -> F64 | None:
        """The orders the providers want at the flow's prices
        (:func:`schedule_bound_and_wanted`) once the process has sent them, else None (does not
        wait)."""
        return self._read()[1]

    def latest(self) -> float | None:
        """The best first-level bound the process has sent so far (does not wait), None before
        its first (for progress lines)."""
        value = self._read()[0]
        return None if value is None else value[0]

    def result(self) -> tuple[float, ...]:
        """The bounds (waits for the process's first ones, computes them here if it failed; with
        ``until``, takes the better ones sent so far and then stops the process)."""
        self._wait_first(WAIT)
        self._stop()
        if self._value is None:
            self._value, self._wanted = menu_bounds_and_wanted(self.ap, self.speed)
        return self._value
