"""The arc problem: what every solver sees.

An arc problem is a sparse bipartite assignment problem in numpy arrays:

* **agents** (volunteers) with a capacity in load units (minutes, or a GAP agent's
  resource), and optional extra capacity rows (per-day workload);
* **jobs** (task occurrences: one job per candidate start of a task) with head-count
  bounds; jobs of one **group** (one task) are mutually exclusive: at most one is
  served; a served job gets between ``job_min`` and ``job_max`` arcs, all or nothing;
  a ``required`` group must be served;
* **arcs**, one per eligible (agent, job) pair, with a load and one coefficient per
  objective level;
* **rows**: sparse "at most one" cliques over arcs (time conflicts of one agent),
  composition rows ("at least ``count`` of these arcs when job j is served"), capacity
  rows ("the load of these arcs is at most ``cap``") and pinned sets ("exactly one of
  these arcs").

Objectives are **levels**, solved lexicographically in order (or as a weighted sum when
the caller asks). A level is a vector of per-arc coefficients plus a sense.

A GAP instance from OR-Library is an arc problem with one job per group, ``job_min =
job_max = 1``, every group required, and one level: minimise cost.

Examples
--------
>>> import numpy as np
>>> ap = ArcProblem.build(
...     n_agents=2, n_jobs=2,
...     arc_agent=[0, 0, 1], arc_job=[0, 1, 1], arc_load=[3, 4, 2],
...     agent_capacity=[5, 5],
...     levels=[Level("cost", [1.0, 2.0, 5.0], "min")],
...     required=[True, True])
>>> ap.n_arcs
3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["ArcProblem", "ArcSolution", "Level", "Rows", "SolveStatus", "csr_from_lists"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class SolveStatus(Enum):
    """Outcome of a solver on an arc problem."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Level:
    """One objective level: per-arc coefficients and a sense.

    ``job_coef`` (optional) adds a coefficient per served job (e.g. a bonus for serving
    a task at all); ``scale`` is the number of integer units per unit of value used by
    integer solvers (1000 turns km into metres).

    A level may also carry a **max-share** part, ``share_weight`` x the largest agent
    load share in per-mille, ``ceil(1000 * (share_base[a] + load of a's chosen arcs) /
    share_den[a])`` over agents with ``share_den[a] > 0`` (arc agents and loads in
    ``share_agent`` / ``share_load``). The fairness term uses it.
    """

    name: str
    coef: Any
    sense: Literal["min", "max"] = "max"
    scale: float = 1.0
    job_coef: Any = None
    share_weight: float = 0.0
    share_den: Any = None
    share_agent: Any = None
    share_load: Any = None
    share_base: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "coef", np.asarray(self.coef, dtype=np.float64))
        if self.job_coef is not None:
            object.__setattr__(self, "job_coef", np.asarray(self.job_coef, dtype=np.float64))
        if self.sense not in ("min", "max"):
            raise ValueError(f"level {self.name!r}: sense must be 'min' or 'max'")
        if self.share_weight and (self.share_den is None or self.share_agent is None or self.share_load is None):
            raise ValueError(f"level {self.name!r}: a max-share part needs share_den, share_agent, share_load")

    @property
    def has_share(self) -> bool:
        """True when the level has a max-share part."""
        return bool(self.share_weight)

    def max_share(self, arcs: npt.NDArray[Any]) -> int:
        """Largest per-mille load share over agents with a denominator (0 when none)."""
        den = np.asarray(self.share_den, np.int64)
        load = np.bincount(
            np.asarray(self.share_agent)[arcs], weights=np.asarray(self.share_load)[arcs], minlength=len(den)
        ).astype(np.int64)
        if self.share_base is not None:
            load = load + np.asarray(self.share_base, np.int64)
        ok = den > 0
        if not ok.any():
            return 0
        return int((-(-1000 * load[ok] // den[ok])).max())

    def value(self, arcs: npt.NDArray[Any], jobs_served: npt.NDArray[Any] | None = None) -> float:
        """The level's value for chosen arc indices (and served job indices)."""
        v = float(self.coef[arcs].sum())
        if self.job_coef is not None and jobs_served is not None:
            v += float(self.job_coef[jobs_served].sum())
        if self.has_share:
            v += self.share_weight * self.max_share(np.asarray(arcs, np.int64))
        return v

    def int_coef(self) -> IntArray:
        """Coefficients in integer units (rounded)."""
        return np.rint(self.coef * self.scale).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Rows:
    """A CSR list of arc-index rows, each with an integer right-hand side.

    ``indptr[r]:indptr[r+1]`` slices ``indices`` for row r.
    """

    indptr: IntArray
    indices: IntArray
    rhs: IntArray
    owner: IntArray  # the job (composition) or agent (capacity) a row belongs to, or -1

    @staticmethod
    def empty() -> Rows:
        """A list with no rows."""
        z = np.zeros(1, dtype=np.int64)
        e = np.zeros(0, dtype=np.int64)
        return Rows(z, e, e.copy(), e.copy())

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> IntArray:
        """The row of each entry of ``indices``."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.indptr))

    def select(self, rows: npt.NDArray[Any]) -> Rows:
        """The rows where the boolean mask ``rows`` is true, in order."""
        lens = np.diff(self.indptr)
        keep_idx = np.repeat(rows, lens)
        indptr = np.concatenate([[0], np.cumsum(lens[rows])]).astype(np.int64)
        return Rows(indptr, self.indices[keep_idx], self.rhs[rows], self.owner[rows])

    def row(self, r: int) -> IntArray:
        """The arc indices of row ``r``."""
        return self.indices[self.indptr[r] : self.indptr[r + 1]]

    def take_arcs(self, keep: BoolArray, new_index: IntArray) -> Rows:
        """Rows restricted to kept arcs (renumbered by ``new_index``); empty rows stay."""
        mask = keep[self.indices]
        counts = np.bincount(self.row_ids(), weights=mask, minlength=len(self)).astype(np.int64)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return Rows(indptr, new_index[self.indices[mask]], self.rhs.copy(), self.owner.copy())


def csr_from_lists(rows: Sequence[Any], rhs: Sequence[int] | None = None, owner: Sequence[int] | None = None) -> Rows:
    """Build :class:`Rows` from Python lists of arc indices."""
    lens = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    indices = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    r = np.asarray(rhs if rhs is not None else np.ones(len(rows)), dtype=np.int64)
    o = np.asarray(owner if owner is not None else -np.ones(len(rows)), dtype=np.int64)
    return Rows(indptr, indices.astype(np.int64), r, o)


@dataclass(frozen=True, slots=True)
class ArcProblem:
    """A sparse assignment problem (see the module docstring).

    Build it with :meth:`build`, which fills defaults and checks shapes.
    """

    n_agents: int
    n_jobs: int
    arc_agent: IntArray
    arc_job: IntArray
    arc_load: IntArray
    agent_capacity: IntArray  # -1: no limit
    job_min: IntArray
    job_max: IntArray
    job_group: IntArray
    group_required: BoolArray
    levels: tuple[Level, ...]
    cliques: Rows  # at most one arc of each row
    composition: Rows  # owner = job; >= rhs arcs of the row when the job is served
    capacity: Rows  # owner = agent; sum of load over the row <= rhs
    pinned: Rows  # exactly one arc of each row
    meta: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def build(
        *,
        n_agents: int,
        n_jobs: int,
        arc_agent: Any,
        arc_job: Any,
        arc_load: Any = None,
        agent_capacity: Any = None,
        job_min: Any = None,
        job_max: Any = None,
        job_group: Any = None,
        required: Any = None,
        levels: Sequence[Level] = (),
        cliques: Rows | None = None,
        composition: Rows | None = None,
        capacity: Rows | None = None,
        pinned: Rows | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ArcProblem:
        """Make an arc problem, filling defaults: load 1, no capacity, head-count 1, one job per group."""
        aa = np.asarray(arc_agent, dtype=np.int64)
        aj = np.asarray(arc_job, dtype=np.int64)
        n = len(aa)
        if len(aj) != n:
            raise ValueError("arc_agent and arc_job differ in length")
        if n and (aa.min() < 0 or aa.max() >= n_agents or aj.min() < 0 or aj.max() >= n_jobs):
            raise ValueError("arc endpoint out of range")
        load = np.ones(n, np.int64) if arc_load is None else np.asarray(arc_load, dtype=np.int64)
        cap = np.full(n_agents, -1, np.int64) if agent_capacity is None else np.asarray(agent_capacity, dtype=np.int64)
        jmin = np.ones(n_jobs, np.int64) if job_min is None else np.asarray(job_min, dtype=np.int64)
        jmax = np.ones(n_jobs, np.int64) if job_max is None else np.asarray(job_max, dtype=np.int64)
        grp = np.arange(n_jobs, dtype=np.int64) if job_group is None else np.asarray(job_group, np.int64)
        n_groups = int(grp.max()) + 1 if n_jobs else 0
        req = np.zeros(n_groups, bool) if required is None else np.asarray(required, dtype=bool)
        if len(req) != n_groups:
            raise ValueError("required must have one entry per job group")
        for lv in levels:
            if len(lv.coef) != n:
                raise ValueError(f"level {lv.name!r} has {len(lv.coef)} coefficients for {n} arcs")
        return ArcProblem(
            n_agents,
            n_jobs,
            aa,
            aj,
            load,
            cap,
            jmin,
            jmax,
            grp,
            req,
            tuple(levels),
            cliques or Rows.empty(),
            composition or Rows.empty(),
            capacity or Rows.empty(),
            pinned or Rows.empty(),
            dict(meta or {}),
        )

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.arc_agent)

    @property
    def n_groups(self) -> int:
        """Number of job groups (tasks)."""
        return len(self.group_required)

    def group_values(self, arcs: npt.ArrayLike, amount: npt.ArrayLike = 1.0, level: int = 0) -> FloatArray:
        """Per job group: level ``level``'s coefficient of each of ``arcs`` times its ``amount``
        (1 for chosen arcs, or an LP's values), summed (one entry per group).

        Examples
        --------
        >>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 1, 1], arc_job=[0, 0, 1],
        ...                       levels=[Level("c", [2.0, 3.0, 5.0])])
        >>> ap.group_values([0, 2]).tolist(), ap.group_values([0, 1, 2], [0.5, 0.5, 1.0]).tolist()
        ([2.0, 5.0], [2.5, 5.0])
        """
        a = np.asarray(arcs, np.int64)
        w = np.asarray(self.levels[level].coef, np.float64)[a] * np.asarray(amount, np.float64)
        return np.bincount(self.job_group[self.arc_job[a]], weights=w, minlength=self.n_groups).astype(np.float64)

    def check(self, chosen: npt.NDArray[Any], served_jobs: npt.NDArray[Any] | None = None) -> list[str]:
        """Violated arc-level constraints for a set of chosen arc indices (empty: feasible).

        This is the arc-level twin of :func:`vmatch.verify` (which checks the domain rules).
        """
        x = np.zeros(self.n_arcs, dtype=np.int64)
        x[np.asarray(chosen, dtype=np.int64)] = 1
        bad: list[str] = []
        per_job = np.bincount(self.arc_job, weights=x, minlength=self.n_jobs).astype(np.int64)
        served = per_job > 0
        if served_jobs is not None:
            s = np.zeros(self.n_jobs, bool)
            s[np.asarray(served_jobs, dtype=np.int64)] = True
            if np.any(served & ~s):
                bad.append("an arc is chosen on a job not marked served")
            served = s
        for j in np.flatnonzero(served & ((per_job < self.job_min) | (per_job > self.job_max))):
            bad.append(f"job {j}: {per_job[j]} arcs outside [{self.job_min[j]}, {self.job_max[j]}]")
        per_group = np.bincount(self.job_group, weights=served, minlength=self.n_groups)
        for g in np.flatnonzero(per_group > 1):
            bad.append(f"group {g}: {int(per_group[g])} jobs served")
        for g in np.flatnonzero(self.group_required & (per_group < 1)):
            bad.append(f"group {g}: required but not served")
        use = np.bincount(self.arc_agent, weights=x * self.arc_load, minlength=self.n_agents)
        lim = self.agent_capacity >= 0
        for a in np.flatnonzero(lim & (use > self.agent_capacity)):
            bad.append(f"agent {a}: load {int(use[a])} > capacity {self.agent_capacity[a]}")
        for r in range(len(self.cliques)):
            if x[self.cliques.row(r)].sum() > 1:
                bad.append(f"clique {r}: more than one arc")
        for r in range(len(self.composition)):
            j = self.composition.owner[r]
            if served[j] and x[self.composition.row(r)].sum() < self.composition.rhs[r]:
                bad.append(f"composition row {r} of job {j} not met")
        for r in range(len(self.capacity)):
            idx = self.capacity.row(r)
            if (x[idx] * self.arc_load[idx]).sum() > self.capacity.rhs[r]:
                bad.append(f"capacity row {r} exceeded")
        for r in range(len(self.pinned)):
            if x[self.pinned.row(r)].sum() != 1:
                bad.append(f"pinned row {r} not met")
        return bad


@dataclass(frozen=True, slots=True)
class ArcSolution:
    """What a solver returns: chosen arcs, served jobs, and per-level values and bounds.

    ``values[k]`` and ``bounds[k]`` are in the units of level k (not scaled); a bound
    is an optimistic limit on the level's value given the levels before it.
    """

    status: SolveStatus
    arcs: IntArray
    served_jobs: IntArray
    values: tuple[float, ...]
    bounds: tuple[float, ...]
    wall_seconds: float = 0.0
    solver: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def none(n_levels: int, status: SolveStatus = SolveStatus.UNKNOWN, solver: str = "") -> ArcSolution:
        """An empty solution (no arcs) with unknown values."""
        e = np.zeros(0, dtype=np.int64)
        nan = tuple(float("nan") for _ in range(n_levels))
        return ArcSolution(status, e, e.copy(), nan, nan, 0.0, solver)
