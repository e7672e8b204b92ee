"""CP-SAT model of an arc problem, solved level by level (lexicographic) or weighted.

Variables: one Boolean per arc, one per job that needs a "served" switch (minimum
head-count above one, composition rows, several jobs in the group, a required group, or a
level that counts served jobs, ``Level.job_coef``); a job with one place has its switch equal to
the sum of its arcs. A group whose jobs all have one place, no composition row and no count in
a level has no switches: at most one of all its arcs is chosen (exactly one when required).
Each level is solved in turn; the next level keeps the previous level's value as a
constraint and starts from the previous solution as a hint.

Examples
--------
>>> from vmatch.arcs import ArcProblem, Level
>>> ap = ArcProblem.build(n_agents=2, n_jobs=2, arc_agent=[0, 0, 1], arc_job=[0, 1, 1],
...                       arc_load=[3, 4, 2], agent_capacity=[5, 5],
...                       levels=[Level("cost", [1.0, 2.0, 5.0], "min")], required=[True, True])
>>> sol = solve_cpsat(ap, time_limit=5)
>>> sol.status.value, sorted(sol.arcs.tolist()), sol.values
('OPTIMAL', [0, 2], (6.0,))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from vmatch.arcs import ArcProblem, ArcSolution, Level, SolveStatus

__all__ = ["CpModel", "build_model", "solve_cpsat", "tie_weights"]

log = logging.getLogger(__name__)


#: A linear expression as (variable indices, integer coefficients).
Terms = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


@dataclass
class CpModel:
    """A CP-SAT model of an arc problem and its variables."""

    model: cp_model.CpModel
    x: list[Any]  # x[a] is the model's variable a (index a)
    y: dict[int, Any]
    terms: list[Terms]  # per level: variable indices, integer coefficients
    assumptions: dict[tuple[str, int], Any] | None = None  # request -> literal (build_model(assume=True))

    def set_objective(self, terms: Terms, sense: str) -> None:
        """Make ``terms`` (indices, coefficients) the objective, to maximise or minimise (``sense``)."""
        idx, coef = terms
        self.model.clear_objective()
        o = self.model.model_proto.objective
        o.vars.extend(idx.tolist())
        o.coeffs.extend((-coef if sense == "max" else coef).tolist())
        o.scaling_factor = -1.0 if sense == "max" else 1.0

    def keep(self, terms: Terms, sense: str, value: int) -> None:
        """Add ``terms >= value`` (``sense`` "max") or ``terms <= value`` ("min") as a constraint."""
        idx, coef = terms
        lin = self.model.model_proto.constraints.add().linear
        lin.vars.extend(idx.tolist())
        lin.coeffs.extend(coef.tolist())
        lin.domain.extend([value, cp_model.INT_MAX] if sense == "max" else [cp_model.INT_MIN, value])

    def hint(self, arcs: npt.NDArray[np.bool_], served: npt.NDArray[np.bool_]) -> None:
        """Hint every arc variable (``arcs``, a mask) and every job switch (``served``, by job)."""
        self.model.clear_hints()
        h = self.model.model_proto.solution_hint
        h.vars.extend(range(len(self.x)))
        h.values.extend(arcs.astype(np.int64).tolist())
        if self.y:
            jobs = np.fromiter(self.y, np.int64, len(self.y))
            h.vars.extend(yj.index for yj in self.y.values())
            h.values.extend(served[jobs].astype(np.int64).tolist())


def _job_arcs(ap: ArcProblem) -> list[npt.NDArray[np.int64]]:
    order = np.argsort(ap.arc_job, kind="stable")
    counts = np.bincount(ap.arc_job, minlength=ap.n_jobs)
    return np.split(order, np.cumsum(counts)[:-1])


def build_model(ap: ArcProblem, *, fix_zero: npt.NDArray[np.bool_] | None = None, assume: bool = False) -> CpModel:
    """The full CP-SAT model of ``ap`` (arcs with ``fix_zero`` set are left out).

    With ``assume``, each request that can make the model infeasible -- a pinned row
    ``("pinned", r)``, a group's minimum head-count ``("min_headcount", g)``, a composition
    row ``("composition", r)`` -- holds only under its own literal (``CpModel.assumptions``).
    """
    m = cp_model.CpModel()
    lits: dict[tuple[str, int], Any] = {}

    def lit(kind: str, i: int) -> list[Any]:
        if not assume:
            return []
        if (kind, i) not in lits:
            lits[(kind, i)] = m.new_bool_var(f"{kind}:{i}")
        return [lits[(kind, i)]]

    n = ap.n_arcs
    x = [m.new_bool_var("") for _ in range(n)]
    assert not x or x[-1].index == n - 1  # arc a is the model's variable a (CpModel.hint relies on it)
    if fix_zero is not None:
        for a in np.flatnonzero(fix_zero):
            m.add(x[a] == 0)
    job_arcs = _job_arcs(ap)
    group_size = np.bincount(ap.job_group, minlength=ap.n_groups)
    has_comp = np.zeros(ap.n_jobs, bool)
    if len(ap.composition):
        has_comp[ap.composition.owner] = True
    counted = np.zeros(ap.n_jobs, bool)
    for lv in ap.levels:  # a level that counts served jobs needs their switches
        if lv.job_coef is not None:
            counted |= np.rint(lv.job_coef * lv.scale) != 0
    # a group whose jobs each have one place (no composition, not counted) needs no switch: at
    # most one of all its arcs (exactly one when required)
    plain_job = (ap.job_min == 1) & (ap.job_max == 1) & ~has_comp & ~counted
    plain_group = np.bincount(ap.job_group, weights=~plain_job, minlength=ap.n_groups) == 0
    need_y = (ap.job_min > 1) | has_comp | (group_size[ap.job_group] > 1) | ap.group_required[ap.job_group] | counted
    need_y &= ~plain_group[ap.job_group]
    y: dict[int, Any] = {}
    jmin, jmax, jgroup = ap.job_min.tolist(), ap.job_max.tolist(), ap.job_group.tolist()
    plain = plain_group[ap.job_group].tolist()
    for j, need in enumerate(need_y.tolist()):
        if plain[j]:
            continue
        xs = [x[a] for a in job_arcs[j].tolist()]
        total = cp_model.LinearExpr.sum(xs)
        if need and jmin[j] == 1 and jmax[j] == 1:  # one place: the switch is the sum
            yj = m.new_bool_var("")
            y[j] = yj
            m.add(total == yj)
        elif need:
            yj = m.new_bool_var("")
            y[j] = yj
            g_lit = lit("min_headcount", jgroup[j]) if jmin[j] > 1 else []
            if len(xs) < jmin[j]:
                m.add(yj == 0).only_enforce_if(g_lit)
            m.add(total <= jmax[j] * yj)
            m.add(total >= jmin[j] * yj).only_enforce_if(g_lit)
            if g_lit:
                m.add(total >= yj)
            for xa in xs:
                m.add_implication(xa, yj)
        elif len(xs) > jmax[j]:
            m.add(total <= jmax[j])
    g_jobs: dict[int, list[Any]] = {}
    for j, yj in y.items():
        g_jobs.setdefault(int(ap.job_group[j]), []).append(yj)
    for g, ys in g_jobs.items():
        if ap.group_required[g]:
            m.add_exactly_one(ys)
        elif len(ys) > 1:
            m.add_at_most_one(ys)
    arc_group = ap.job_group[ap.arc_job]
    by_group = np.argsort(arc_group, kind="stable")
    g_ptr = np.concatenate([[0], np.cumsum(np.bincount(arc_group, minlength=ap.n_groups))]).tolist()
    required = ap.group_required.tolist()
    for g in np.flatnonzero(plain_group).tolist():
        arcs_g = by_group[g_ptr[g] : g_ptr[g + 1]].tolist()
        if required[g]:
            m.add_exactly_one([x[a] for a in arcs_g])
        elif len(arcs_g) > 1:
            m.add_at_most_one([x[a] for a in arcs_g])
    for g_req in np.flatnonzero(ap.group_required & ~plain_group).tolist():
        if g_req not in g_jobs:
            m.add_bool_or([])  # a required group with no job: infeasible
    load = ap.arc_load
    # capacity rows only for the agents whose arcs could exceed it (a part holds few of all agents)
    agent_load = np.bincount(ap.arc_agent, weights=load, minlength=ap.n_agents)
    tight = (ap.agent_capacity >= 0) & (agent_load > ap.agent_capacity)
    if tight.any():
        arcs_t = np.flatnonzero(tight[ap.arc_agent])
        arcs_t = arcs_t[np.argsort(ap.arc_agent[arcs_t], kind="stable")]
        ag_t = ap.arc_agent[arcs_t]
        cut = np.flatnonzero(np.diff(ag_t)) + 1
        for arcs in np.split(arcs_t, cut):
            m.add(
                cp_model.LinearExpr.weighted_sum([x[a] for a in arcs.tolist()], load[arcs].tolist())
                <= int(ap.agent_capacity[ap.arc_agent[arcs[0]]])
            )
    ptr, idx = ap.cliques.indptr.tolist(), ap.cliques.indices.tolist()
    for r in range(len(ap.cliques)):
        m.add_at_most_one([x[a] for a in idx[ptr[r] : ptr[r + 1]]])
    for r in range(len(ap.capacity)):
        arcs = ap.capacity.row(r)
        row = cp_model.LinearExpr.weighted_sum([x[a] for a in arcs.tolist()], load[arcs].tolist())
        m.add(row <= int(ap.capacity.rhs[r]))
    for r in range(len(ap.composition)):
        j = int(ap.composition.owner[r])
        arcs = ap.composition.row(r)
        need = int(ap.composition.rhs[r])
        c_lit = lit("composition", r)
        if len(arcs) < need:
            m.add(y[j] == 0).only_enforce_if(c_lit)
        else:
            m.add(sum(x[a] for a in arcs) >= need * y[j]).only_enforce_if(c_lit)
    for r in range(len(ap.pinned)):
        if assume:
            m.add(sum(x[a] for a in ap.pinned.row(r)) == 1).only_enforce_if(lit("pinned", r))
        else:
            m.add_exactly_one([x[a] for a in ap.pinned.row(r)])
    terms = []
    for lv in ap.levels:
        c = lv.int_coef()
        idx = [np.flatnonzero(c)]
        coef = [c[idx[0]]]
        if lv.job_coef is not None:
            jc = np.rint(lv.job_coef * lv.scale).astype(np.int64)
            js = [int(j) for j in np.flatnonzero(jc) if int(j) in y]
            idx.append(np.array([y[j].index for j in js], np.int64))
            coef.append(jc[js])
        if lv.has_share:
            idx.append(np.array([_max_share_var(m, x, lv).index], np.int64))
            coef.append(np.array([round(lv.share_weight * lv.scale)], np.int64))
        terms.append((np.concatenate(idx).astype(np.int64), np.concatenate(coef).astype(np.int64)))
    return CpModel(m, x, y, terms, lits if assume else None)


def _max_share_var(m: cp_model.CpModel, x: list[Any], lv: Level) -> Any:
    """An integer z >= every agent's per-mille load share (see :class:`~vmatch.arcs.Level`)."""
    den = np.asarray(lv.share_den, np.int64)
    agent = np.asarray(lv.share_agent, np.int64)
    load = np.asarray(lv.share_load, np.int64)
    base = np.zeros(len(den), np.int64) if lv.share_base is None else np.asarray(lv.share_base, np.int64)
    ok = den > 0
    lo = int((-(-1000 * base[ok] // den[ok])).max()) if ok.any() else 0
    z = m.new_int_var(lo, 1000 * 1000, "max_share")
    order = np.argsort(agent, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(agent, minlength=len(den)))])
    for a in np.flatnonzero(ok & (ptr[1:] > ptr[:-1])).tolist():
        arcs = order[ptr[a] : ptr[a + 1]]
        m.add(1000 * int(base[a]) + sum(1000 * int(load[i]) * x[i] for i in arcs) <= int(den[a]) * z)
    return z


def _hint(cm: CpModel, ap: ArcProblem, chosen: npt.NDArray[np.bool_]) -> None:
    """Hint every variable: the arcs, and the jobs served by them."""
    served = np.zeros(ap.n_jobs, bool)
    served[ap.arc_job[chosen]] = True
    cm.hint(chosen, served)


def _weighted(weights: Sequence[float], terms: list[Terms], levels: list[Level]) -> Terms:
    """The levels' terms summed with integer ``weights`` (a "min" level negated), one term per variable."""
    idx = [t[0] for w, t in zip(weights, terms, strict=True) if w]
    coef = [
        int(w) * (t[1] if lv.sense == "max" else -t[1]) for w, t, lv in zip(weights, terms, levels, strict=True) if w
    ]
    if not idx:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    u, inv = np.unique(np.concatenate(idx), return_inverse=True)
    c = np.zeros(len(u), np.int64)
    np.add.at(c, inv, np.concatenate(coef))
    return u.astype(np.int64), c


#: With ``deterministic``, the wall-clock safety limit: this many seconds per unit of deterministic time.
DETERMINISTIC_WALL = 20.0
#: The tie-break's time: at most this share of the time the levels took, plus ``TIE_SECONDS``.
TIE_SHARE, TIE_SECONDS = 0.5, 0.5


def tie_weights(ap: ArcProblem, seed: int = 0, span: int = 1) -> npt.NDArray[np.int64]:
    """Per arc, the cost :func:`solve_cpsat`'s tie-break minimises: each arc's start rank among
    its group's starts (earliest first; 0 without start times) times ``1024 * span``, plus a
    number in [0, 1024) drawn from ``seed`` (so that no two answers tie). Among answers of at
    most ``span`` arcs, a smaller sum of ranks always costs less."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 1024, ap.n_arcs, dtype=np.int64)
    if "job_start" not in ap.meta or not ap.n_arcs:
        return noise
    start = np.asarray(ap.meta["job_start"], np.int64)
    group = ap.job_group
    # each job's rank among the distinct starts of its group
    order = np.lexsort((start, group))
    g, s_ = group[order], start[order]
    new_group = np.ones(len(order), bool)
    new_group[1:] = g[1:] != g[:-1]
    new_start = new_group.copy()
    new_start[1:] |= s_[1:] != s_[:-1]
    count = np.cumsum(new_start)
    first = np.maximum.accumulate(np.where(new_group, count, 0))
    rank = np.empty(ap.n_jobs, np.int64)
    rank[order] = count - first
    return rank[ap.arc_job] * (1024 * max(1, span)) + noise


def _tie_break(
    solver: cp_model.CpSolver,
    cm: CpModel,
    ap: ArcProblem,
    chosen: npt.NDArray[np.int64],
    mode: str,
    seed: int,
    limit: float,
    deterministic: bool = False,
) -> SolveStatus:
    """Minimise :func:`tie_weights` over the arcs ``mode`` allows (the other arcs are fixed to 0 in
    ``cm``, whose levels are kept at their values): "starts", the other starts of the chosen
    (agent, group) pairs (a small model); "swaps", every arc between a chosen agent and a chosen
    group. ``limit``: seconds, or deterministic time with ``deterministic`` (as
    :func:`solve_cpsat`'s levels). Returns the status (the answer is ``solver``'s, see
    :func:`_answer`)."""
    agent, group = ap.arc_agent, ap.job_group[ap.arc_job]
    if mode == "starts":
        pair = agent * ap.n_groups + group
        allowed = np.isin(pair, pair[chosen])
    elif mode == "all":
        allowed = np.ones(ap.n_arcs, bool)
    else:
        allowed = np.isin(agent, agent[chosen]) & np.isin(group, group[chosen])
    variables = cm.model.model_proto.variables
    for a in np.flatnonzero(~allowed).tolist():
        variables[a].domain[1] = 0  # (a Boolean: domain [0, 1])
    span = int(allowed.sum())
    w = tie_weights(ap, seed, span)
    if int(w.max(initial=0)) * span > 2**52:  # (no overflow: earliest starts come first only mostly)
        w = tie_weights(ap, seed)
    cm.set_objective((np.arange(ap.n_arcs, dtype=np.int64), w), "min")
    xs = np.zeros(ap.n_arcs, bool)
    xs[chosen] = True
    _hint(cm, ap, xs)
    _limit(solver.parameters, limit, deterministic)
    return _STATUS[solver.solve(cm.model)]


def _limit(p: Any, budget: float, deterministic: bool) -> None:
    """Set the solver parameters ``p`` to stop after ``budget`` seconds, or ``budget`` of CP-SAT's
    deterministic time (with a wall-clock safety limit, ``DETERMINISTIC_WALL``)."""
    if deterministic:
        p.max_deterministic_time = max(0.01, budget)
        p.max_time_in_seconds = DETERMINISTIC_WALL * max(0.05, budget) + 1.0
    else:
        p.max_time_in_seconds = max(0.05, budget)


def _answer(
    solver: cp_model.CpSolver, cm: CpModel, ap: ArcProblem
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The solver's last answer: the arc mask, the chosen arcs, and the jobs served (by a switch
    or by an arc)."""
    xs = np.fromiter((solver.boolean_value(v) for v in cm.x), bool, ap.n_arcs)
    chosen = np.flatnonzero(xs).astype(np.int64)
    ys = [j for j, yj in cm.y.items() if solver.boolean_value(yj)]
    return xs, chosen, np.union1d(np.asarray(ys, np.int64), ap.arc_job[chosen]).astype(np.int64)


_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.MODEL_INVALID: SolveStatus.UNKNOWN,
    cp_model.UNKNOWN: SolveStatus.UNKNOWN,
}


def solve_cpsat(
    ap: ArcProblem,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    hint: npt.NDArray[np.int64] | None = None,
    weights: Sequence[float] | None = None,
    log_search: bool = False,
    params: dict[str, Any] | None = None,
    quiet: bool = False,
    tie_break: str = "none",
    deterministic: bool = False,
) -> ArcSolution:
    """Solve ``ap`` with CP-SAT.

    Parameters
    ----------
    ap : ArcProblem
    time_limit : float
        Seconds for all levels together; later levels get at least a fifth of what is left.
    seed, workers : int
        CP-SAT ``random_seed`` and ``num_workers`` (default: all cores, at most 8).
    hint : array of int, optional
        Arc indices of a known solution, given to CP-SAT as a hint.
    weights : sequence of int, optional
        Solve one weighted sum of the levels (in their ``sense``) instead of levels in turn.
    params : dict, optional
        Extra CP-SAT parameters (``SatParameters`` field names).
    quiet : bool
        Log each level's status at DEBUG instead of INFO (the many parts of a search).
    tie_break : {"none", "starts", "swaps", "all"}
        Once every level is proven optimal, choose among the optimal answers by one more
        objective, :func:`tie_weights` (earliest starts, then a fixed order of the arcs drawn
        from ``seed``), with every level kept at its value. "starts": over the other starts of
        the chosen (agent, group) pairs only, in at most :data:`TIE_SHARE` of the time used so
        far plus ``TIE_SECONDS`` (a small model: 0.03-0.2 s where the levels took 2-5 s).
        "swaps": over every arc between the chosen agents and the chosen groups; "all": over
        every arc; both in the time left ("all" cost about what "swaps" did: 1.0-1.9 s on the
        bundled example, where the levels take 2.5 s). When that solve is proven, the answer
        does not depend on how CP-SAT's threads ran: with "all" the same input and seed give
        the same plan; with "swaps" the same plan for the same chosen agents and groups (which
        agents serve may still differ); with "starts" the same start times for the same pairs.
        ``stats["tie_break"]`` says how it ended.
    deterministic : bool
        ``time_limit`` is CP-SAT's deterministic time (a count of work, the same on every run)
        instead of seconds, with at most ``DETERMINISTIC_WALL`` times as many seconds as a safety
        limit: with one worker, the answer no longer depends on the machine's load.
        ``stats["deterministic_time"]`` is the deterministic time used.
    """
    if tie_break not in ("none", "starts", "swaps", "all"):
        raise ValueError(f"solve_cpsat: tie_break must be 'none', 'starts', 'swaps' or 'all', got {tie_break!r}")
    t0 = time.perf_counter()
    cm = build_model(ap)
    build = time.perf_counter() - t0
    m = cm.model
    if hint is not None:
        h = np.zeros(ap.n_arcs, bool)
        h[hint] = True
        _hint(cm, ap, h)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers if workers else 8
    p.log_search_progress = log_search
    for name, val in (params or {}).items():
        setattr(p, name, val)
    levels = list(ap.levels)
    if weights is not None:
        plan = [("weighted", _weighted(weights, cm.terms, levels), "max")]
    else:
        plan = [(lv.name, t, lv.sense) for lv, t in zip(levels, cm.terms, strict=True)]
    bounds: list[float] = [float("nan")] * len(levels)
    statuses: list[SolveStatus] = []
    det_used = 0.0
    chosen: npt.NDArray[np.int64] | None = None
    served: npt.NDArray[np.int64] = np.zeros(0, np.int64)
    if not plan:
        plan = [("feasibility", (np.zeros(0, np.int64), np.zeros(0, np.int64)), "max")]
    for k, (name, terms, sense) in enumerate(plan):
        left = time_limit - (det_used if deterministic else time.perf_counter() - t0)
        later = len(plan) - k - 1
        budget = left if later == 0 else left * (0.8 if k == 0 else 0.5)
        _limit(p, budget, deterministic)
        cm.set_objective(terms, sense)
        st = _STATUS[solver.solve(m)]
        det_used += solver.deterministic_time
        statuses.append(st)
        log.log(logging.DEBUG if quiet else logging.INFO, "level %s: %s in %.2fs", name, st.value, solver.wall_time)
        if st not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            break
        xs, chosen, served = _answer(solver, cm, ap)
        obj_val = round(solver.objective_value)
        if name not in ("weighted", "feasibility"):
            scale = levels[k].scale
            best = obj_val if st == SolveStatus.OPTIMAL else float(solver.best_objective_bound)
            bounds[k] = best / scale
        if later:
            _hint(cm, ap, xs)
            cm.keep(terms, sense, obj_val)
    stats: dict[str, Any] = {
        "build_seconds": build,
        "level_status": [s_.value for s_ in statuses],
        "deterministic_time": det_used,
    }
    proven = len(statuses) == len(plan) and all(s_ == SolveStatus.OPTIMAL for s_ in statuses)
    if tie_break != "none" and proven and chosen is not None and ap.n_arcs:
        _, terms, sense = plan[-1]
        cm.keep(terms, sense, obj_val)  # every level keeps its value (the others are kept already)
        # (deterministic: the limit is deterministic time, as the levels')
        used = det_used if deterministic else time.perf_counter() - t0
        limit = time_limit - used if tie_break != "starts" else min(time_limit - used, TIE_SHARE * used + TIE_SECONDS)
        st = _tie_break(solver, cm, ap, chosen, tie_break, seed, max(0.05, limit), deterministic)
        det_used += solver.deterministic_time
        stats["deterministic_time"] = det_used
        stats["tie_break"] = st.value
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "tie-break (%s): %s in %.2fs",
            tie_break,
            st.value,
            solver.wall_time,
        )
        if st in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            _, chosen, served = _answer(solver, cm, ap)
    wall = time.perf_counter() - t0
    if chosen is None:
        status = statuses[0] if statuses and statuses[0] == SolveStatus.INFEASIBLE else SolveStatus.UNKNOWN
        nan = tuple(float("nan") for _ in levels)
        return ArcSolution(status, np.zeros(0, np.int64), served, nan, tuple(bounds), wall, "cpsat", stats)
    final = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
    values = tuple(lv.value(chosen, served) for lv in levels)
    # a level proven optimal in integer units has its own value as bound (no rounding residue)
    bounds = [
        values[k] if k < len(statuses) and statuses[k] == SolveStatus.OPTIMAL and weights is None else bounds[k]
        for k in range(len(levels))
    ]
    return ArcSolution(final, chosen, served, values, tuple(bounds), wall, "cpsat", stats)
