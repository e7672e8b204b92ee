"""Synthetic pairing problems: a rural county with a town, township seats and villages.

The county is modelled on Hong'an County, Hubei (红安县; seat at 31.287 N, 114.618 E): the
county town (seven communities), eleven township seats 8-30 km out and 15-25 villages
around each seat (a fixed layout, the same for every seed). Pairing is local: volunteers
go 1.5 km in the town, 2.5 km around a township seat, 3 km in the villages, 6 km by car.
Beneficiaries: elderly people mostly in the town and seats, left-behind children mostly
in the villages, disabled people everywhere. Volunteers live mostly in the town
(teachers, civil servants, students, retirees).

Weekly times are realistic: children after school (16:30-18:30 on school days) and at
weekends; elderly and disabled people in the morning (some afternoons); teachers after
school, retirees in the daytime, workers in the evening and at weekends, students at
weekends. Volunteers offer 1-3 places and mostly weekly hours in line with them. Needs
follow the group (tutoring for children, elderly care, sign language for some deaf
people); children's pairings often ask for a child-safeguarding certificate, some of
which expire within the horizon. About a quarter of the beneficiaries are already
paired (one in ten of these pairs breaks a rule by now), a few pairs were dissolved.

Examples
--------
>>> p = generate_pairing(300, 120, seed=1)
>>> len(p.beneficiaries), len(p.volunteers), p.settings.timezone
(300, 120, 'Asia/Shanghai')
>>> sorted({b.group for b in p.beneficiaries})
['child', 'disabled', 'elderly']
>>> generate_pairing(300, 120, seed=1) == p
True
"""

from __future__ import annotations

import dataclasses
import logging
import time as _time
from datetime import date

import numpy as np

from vmatch._pairing_elig import pair_eligibility
from vmatch._pairing_model import PairingProblem
from vmatch.gen._pairing_people import COUNTY_SEAT, draw_beneficiary, draw_volunteer, homes
from vmatch.gen.clock import Clock
from vmatch.model import Settings

__all__ = ["COUNTY_SEAT", "DEFAULT_TODAY", "generate_pairing"]

log = logging.getLogger(__name__)

#: Planning date of generated problems (a Monday).
DEFAULT_TODAY = date(2026, 12, 7)


def _history(problem: PairingProblem, rng: np.random.Generator) -> PairingProblem:
    """Existing pairs (a quarter of the beneficiaries, one in ten now broken), dissolved, forbidden pairs."""
    pe = pair_eligibility(problem)
    nb = len(problem.beneficiaries)
    left = {v.id: problem.capacity(v.id) for v in problem.volunteers}
    taken: set[int] = set()
    existing: list[tuple[str, str]] = []
    for k in rng.permutation(len(pe.v)).tolist():
        v, b = int(pe.v[k]), int(pe.b[k])
        vid = problem.volunteers[v].id
        if b in taken or left[vid] <= 0 or len(existing) >= nb // 4:
            continue
        taken.add(b)
        left[vid] -= 1
        existing.append((vid, problem.beneficiaries[b].id))
    # some pairs formed earlier no longer keep every rule: a random nearby volunteer
    lat = np.asarray([v.location.lat for v in problem.volunteers])
    lon = np.asarray([v.location.lon for v in problem.volunteers])
    extra: list[tuple[str, str]] = []
    dissolved: list[tuple[str, str]] = []
    forbidden: list[tuple[str, str]] = []
    for b in rng.permutation(nb).tolist():
        if b in taken or not len(lat):
            continue
        x = problem.beneficiaries[b]
        near = np.argsort(np.hypot(lat - x.location.lat, lon - x.location.lon))[:8]
        vid = problem.volunteers[int(rng.choice(near))].id
        if len(extra) < len(existing) // 9:
            extra.append((vid, x.id))
        elif len(dissolved) < nb // 50:
            dissolved.append((vid, x.id))
        elif len(forbidden) < nb // 200:
            forbidden.append((vid, x.id))
        else:
            break
        taken.add(b)
    return dataclasses.replace(
        problem, existing=tuple(existing + extra), dissolved=tuple(dissolved), forbidden=tuple(forbidden)
    )


def generate_pairing(
    n_beneficiaries: int, n_volunteers: int, seed: int = 0, *, today: date | None = None, history: bool = True
) -> PairingProblem:
    """A synthetic pairing problem in a rural county (see the module docstring).

    Parameters
    ----------
    n_beneficiaries, n_volunteers : int
        Sizes (0 or more).
    seed : int
        The same seed gives an equal problem; beneficiaries, volunteers and history use
        independent streams.
    today : date, optional
        Planning date (default :data:`DEFAULT_TODAY`, a Monday).
    history : bool
        Add existing, dissolved and forbidden pairs.
    """
    for name, val in (("n_beneficiaries", n_beneficiaries), ("n_volunteers", n_volunteers)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {val!r}")
    t0 = _time.perf_counter()
    today = today or DEFAULT_TODAY
    clock = Clock("Asia/Shanghai", today)
    bseq, vseq, hseq = np.random.SeedSequence(seed).spawn(3)
    rb, rv = np.random.default_rng(bseq), np.random.default_rng(vseq)
    blat, blon, bkind = homes(rb, n_beneficiaries, (0.25, 0.20, 0.55))
    wb = len(str(max(n_beneficiaries - 1, 0)))
    bens = [
        draw_beneficiary(rb, i, wb, float(blat[i]), float(blon[i]), int(bkind[i]), clock, today)
        for i in range(n_beneficiaries)
    ]
    vlat, vlon, vkind = homes(rv, n_volunteers, (0.45, 0.30, 0.25))
    wv = len(str(max(n_volunteers - 1, 0)))
    made = [
        draw_volunteer(rv, i, wv, float(vlat[i]), float(vlon[i]), int(vkind[i]), clock, today)
        for i in range(n_volunteers)
    ]
    settings = Settings(timezone="Asia/Shanghai", travel_speed_kmh=15.0, max_distance_km=3.0, time_step_minutes=15)
    problem = PairingProblem(
        tuple(v for v, _ in made),
        tuple(bens),
        today,
        settings,
        max_beneficiaries={v.id: k for v, k in made if k != 1},
        extra={
            "generator": "pairing",
            "region": "hong'an county",
            "seed": seed,
            "beneficiaries": n_beneficiaries,
            "volunteers": n_volunteers,
        },
    )
    if history:
        problem = _history(problem, np.random.default_rng(hseq))
    log.info(
        "generated pairing problem: %d beneficiaries, %d volunteers in %.2f s",
        n_beneficiaries,
        n_volunteers,
        _time.perf_counter() - t0,
    )
    return problem
