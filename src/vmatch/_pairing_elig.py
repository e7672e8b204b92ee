"""Pair-level eligibility for pairing: who may be paired with whom, and in which weekly slots.

The per-pair rules are those of dispatch (DESIGN §3), taken from :mod:`vmatch.eligibility`
on a *dispatch view* of the pairing problem (one task per beneficiary: home, needs,
certificates, wishes): distance (k-d tree, then haversine), skills, attributes. The pairing
rules are added here, vectorised over pairs: certificates valid on the horizon's last day,
forbidden and dissolved pairs, a single visit within the weekly (and per-day) limit,
``max_beneficiaries >= 1``, and **time**: at least one visit slot inside both weekly times.

Weekly slots come from :class:`~vmatch._pairing_week.WeekTables` (seven table look-ups
per pair). Soft preferences met are counted here too (:func:`preference_count`).

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> from vmatch._pairing_model import Beneficiary, PairingProblem
>>> b = Beneficiary("b", Location(30.0, 114.0), (WeeklyRule((1,), time(9), time(11)),), 60)
>>> vs = (Volunteer("near", Location(30.0, 114.01), weekly=(WeeklyRule((1,), time(10), time(12)),)),
...       Volunteer("late", Location(30.0, 114.0), weekly=(WeeklyRule((1,), time(10, 30), time(12)),)))
>>> pe = pair_eligibility(PairingProblem(vs, (b,), today=date(2026, 12, 7)))
>>> pe.v.tolist(), pe.week.starts(0, 0).tolist(), pe.reasons["time"].tolist(), pe.shared.tolist()
([0], [600], [1], [60])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from vmatch import eligibility as el
from vmatch._pairing_model import PairingProblem
from vmatch._pairing_week import WeekTables, day_windows, volunteer_week
from vmatch.geo import EARTH_RADIUS_KM, unit_xyz
from vmatch.model import Problem, Settings, Task, TimeWindow

__all__ = ["PAIR_RULES", "PairElig", "dispatch_view", "pair_eligibility", "preference_count", "within_reach"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: Hard rules counted in the reasons of an unpaired beneficiary, in report order.
PAIR_RULES = (
    "skill",
    "certificate",
    "attribute",
    "time",
    "distance",
    "workload",
    "capacity",
    "forbidden",
    "dissolved",
)


def dispatch_view(pp: PairingProblem) -> Problem:
    """A dispatch problem with one task per beneficiary (home, needs, certificates, wishes).

    Only its per-pair rule tables are used; the one-minute task window is a placeholder.
    """
    t0 = datetime(2001, 1, 1, tzinfo=UTC)
    w = TimeWindow(t0, t0.replace(minute=1))
    tasks = tuple(
        Task(b.id, b.location, w, skills=b.needs, certificates=b.certificates, attributes=b.wishes)
        for b in pp.beneficiaries
    )
    s = pp.settings
    st = Settings("UTC", s.travel_speed_kmh, s.max_distance_km, s.time_step_minutes)
    return Problem(volunteers=pp.volunteers, tasks=tasks, settings=st)


@dataclass(frozen=True, slots=True)
class PairElig:
    """Eligible pairs (``v``, ``b`` index arrays) with their km, number of visit starts and
    shared weekly minutes.

    ``reasons[rule][b]`` counts the volunteers that ``rule`` excludes for beneficiary b
    (distance: out of reach; the others: among those within reach); ``eligible[b]`` counts
    the volunteers passing every rule. ``pair_fail`` maps (v, b) of each existing pair to
    its first failing rule ("" if none).
    """

    tables: el.Tables
    week: WeekTables
    v: I64
    b: I64
    km: npt.NDArray[np.float64]
    n_start: I64
    shared: I64
    minutes: I64
    reasons: dict[str, I64]
    eligible: I64
    pair_fail: dict[tuple[int, int], str]


def preference_count(pp: PairingProblem, v: I64, b: I64) -> I64:
    """Per pair, how many of the beneficiary's soft preferences the volunteer's attributes meet."""
    out = np.zeros(len(v), np.int64)
    for k in sorted({k for x in pp.beneficiaries for k in x.preferences}):
        vals = sorted({s for x in pp.beneficiaries for s in x.preferences.get(k, ())})
        bit = {s: i for i, s in enumerate(vals)}
        words = (len(vals) + 63) // 64
        vm = np.zeros((len(pp.volunteers), words), np.uint64)
        bm = np.zeros((len(pp.beneficiaries), words), np.uint64)
        for arr, objs, fld in ((vm, pp.volunteers, "attributes"), (bm, pp.beneficiaries, "preferences")):
            for i, o in enumerate(objs):
                for x in getattr(o, fld).get(k, ()):
                    if x in bit:
                        arr[i, bit[x] // 64] |= np.uint64(1) << np.uint64(bit[x] % 64)
        out += (vm[v] & bm[b]).any(axis=1)
    return out


def within_reach(tb: el.Tables, chunk: int = 20_000) -> tuple[I64, I64, npt.NDArray[np.float64]]:
    """(volunteer, beneficiary, km) of every pair within the volunteer's distance limit.

    One k-d tree query per distinct limit; km from the chord on the unit sphere (equal to the
    haversine distance up to rounding).
    """
    vs: list[I64] = []
    bs: list[I64] = []
    ks: list[npt.NDArray[np.float64]] = []
    if tb.nt and tb.nv:
        bxyz = unit_xyz(tb.tlat, tb.tlon)
        btree = cKDTree(bxyz)
        vxyz = unit_xyz(tb.vlat, tb.vlon)
        for r in np.unique(tb.vradius).tolist():
            group = np.flatnonzero(tb.vradius == r)
            for c0 in range(0, len(group), chunk):
                vi = group[c0 : c0 + chunk]
                if np.isfinite(r):
                    chord = 2.0 * np.sin(min(r / EARTH_RADIUS_KM, np.pi) / 2.0) * (1.0 + 1e-9) + 1e-12
                    res = cKDTree(vxyz[vi]).sparse_distance_matrix(btree, chord, output_type="ndarray")
                    v, b, d = vi[res["i"]].astype(np.int64), res["j"].astype(np.int64), res["v"]
                else:
                    v = np.repeat(vi, tb.nt)
                    b = np.tile(np.arange(tb.nt, dtype=np.int64), len(vi))
                    d = np.linalg.norm(vxyz[v] - bxyz[b], axis=1)
                vs.append(v)
                bs.append(b)
                ks.append(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(d / 2.0, 0.0, 1.0)))
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(vs), np.concatenate(bs), np.concatenate(ks)


def _certificate_ok(tb: el.Tables, v: I64, b: I64, last_day: int) -> B:
    ok = np.ones(len(v), bool)
    if tb.vcert.shape[1] == 0:
        return ok
    need = tb.tcert[b]
    rows = np.flatnonzero(need.any(axis=1))
    ok[rows] = np.all((tb.vcert[v[rows]] >= last_day) | ~need[rows], axis=1)
    return ok


def _not_in(pp: PairingProblem, pairs: tuple[tuple[str, str], ...], key: I64) -> B:
    if not pairs:
        return np.ones(len(key), bool)
    nb = len(pp.beneficiaries)
    bad = np.asarray([pp.volunteer_index(a) * nb + pp.beneficiary_index(c) for a, c in pairs], np.int64)
    return ~np.isin(key, bad)


def pair_eligibility(pp: PairingProblem) -> PairElig:
    """Eligible (volunteer, beneficiary) pairs, their slots, and per-rule exclusion counts."""
    tb = el.Tables(dispatch_view(pp))
    nv, nb = len(pp.volunteers), len(pp.beneficiaries)
    v, b, km = within_reach(tb)
    near = km <= tb.vradius[v] * (1 + 1e-9)
    v, b, km = v[near], b[near], km[near]
    minutes = np.fromiter((x.minutes_per_week for x in pp.beneficiaries), np.int64, nb)
    cap = np.fromiter((pp.capacity(x.id) for x in pp.volunteers), np.int64, nv)
    m = minutes[b]
    key = v * nb + b
    vw: dict[object, list[tuple[int, int]]] = {}
    bw: dict[object, list[tuple[int, int]]] = {}
    week = WeekTables(
        [
            vw[k] if (k := (x.weekly, bool(x.availability))) in vw else vw.setdefault(k, volunteer_week(x))
            for x in pp.volunteers
        ],
        [bw[x.weekly] if x.weekly in bw else bw.setdefault(x.weekly, day_windows(x.weekly)) for x in pp.beneficiaries],
        minutes.tolist(),
        pp.settings.time_step_minutes,
    )
    n_start = week.n_starts(v, b)
    masks = {
        "skill": el.skill_ok(tb, v, b),
        "certificate": _certificate_ok(tb, v, b, pp.horizon_end.toordinal()),
        "attribute": el.attribute_ok(tb, v, b),
        "time": n_start > 0,
        "workload": ((tb.vmax[v] < 0) | (m <= tb.vmax[v])) & ((tb.vmaxday[v] < 0) | (m <= tb.vmaxday[v])),
        "capacity": cap[v] >= 1,
        "forbidden": _not_in(pp, pp.forbidden, key),
        "dissolved": _not_in(pp, pp.dissolved, key),
    }
    reasons = {r: np.bincount(b[~mk], minlength=nb).astype(np.int64) for r, mk in masks.items()}
    reasons["distance"] = nv - np.bincount(b, minlength=nb).astype(np.int64)
    ok = np.logical_and.reduce(list(masks.values())) if len(v) else np.zeros(0, bool)
    pair_fail: dict[tuple[int, int], str] = {}
    if pp.existing:
        order = np.argsort(key, kind="stable")
        sk = key[order]
        for vid, bid in pp.existing:
            vi, bi = pp.volunteer_index(vid), pp.beneficiary_index(bid)
            j = int(np.searchsorted(sk, vi * nb + bi))
            i = int(order[j]) if j < len(sk) and sk[j] == vi * nb + bi else -1
            pair_fail[(vi, bi)] = (
                "distance" if i < 0 else next((r for r in PAIR_RULES if r in masks and not masks[r][i]), "")
            )
    sel = np.flatnonzero(ok)
    v, b = v[sel], b[sel]
    return PairElig(
        tb,
        week,
        v,
        b,
        km[sel],
        n_start[sel],
        week.shared(v, b),
        minutes,
        {r: reasons[r] for r in PAIR_RULES},
        np.bincount(b, minlength=nb).astype(np.int64),
        pair_fail,
    )
