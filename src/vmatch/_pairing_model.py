"""The pairing model (结对服务): beneficiaries, weights and the pairing problem.

A :class:`PairingProblem` pairs volunteers (:class:`vmatch.Volunteer`, with their weekly
availability) with beneficiaries who need a visit of ``minutes_per_week`` minutes every
week. Every class is a frozen, slotted dataclass validated at construction; an invalid
value raises :class:`vmatch.ModelError` naming the object id and the field.

Examples
--------
>>> from datetime import date, time
>>> from vmatch.model import Location, Volunteer, WeeklyRule
>>> b = Beneficiary("b1", Location(31.29, 114.62), (WeeklyRule((2, 4), time(16, 30), time(18, 30)),),
...                 minutes_per_week=60, group="child", waiting_since=date(2026, 6, 1))
>>> p = PairingProblem((Volunteer("v1", Location(31.30, 114.61)),), (b,), today=date(2026, 12, 7),
...                    max_beneficiaries={"v1": 2})
>>> p.capacity("v1"), p.weight(b), p.horizon_end.isoformat()
(2, 126, '2027-06-06')
>>> Beneficiary("b2", Location(0, 0), ())
Traceback (most recent call last):
...
vmatch.errors.ModelError: beneficiary 'b2': field 'weekly' must list at least one weekly rule
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from vmatch._pairing_weights import DEFAULT_GROUP_WEIGHTS, PairingWeights, fail, int_in
from vmatch.errors import ModelError
from vmatch.model import MAX_LEVEL, Location, Settings, Volunteer, WeeklyRule

__all__ = ["DEFAULT_GROUP_WEIGHTS", "Beneficiary", "PairingProblem", "PairingWeights"]


def _is_date(x: object) -> bool:
    return isinstance(x, date) and not isinstance(x, datetime)


def _value_sets(kind: str, oid: str, fld: str, m: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    if not isinstance(m, Mapping):
        raise fail(kind, oid, fld, "must be a mapping of key to allowed values")
    out: dict[str, frozenset[str]] = {}
    for k, vals in m.items():
        if not isinstance(k, str) or not k:
            raise fail(kind, oid, fld, f"has a key that is not a non-empty string: {k!r}")
        if isinstance(vals, str) or not isinstance(vals, Iterable):
            raise fail(kind, oid, f"{fld}.{k}", "must be a set of strings")
        s = frozenset(vals)
        if not s or not all(isinstance(x, str) for x in s):
            raise fail(kind, oid, f"{fld}.{k}", "must be a non-empty set of strings")
        out[k] = s
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """A person who needs a regular weekly visit.

    Parameters
    ----------
    id : str
        Unique id; the only personal datum the library prints or logs.
    location : Location
        Home, where the visits happen.
    weekly : tuple of WeeklyRule
        When visits can happen (local time of the problem's zone); at least one rule.
    minutes_per_week : int
        Length of the one weekly visit, 1-1440 minutes.
    needs : mapping of str to int
        Skills the volunteer must hold at this level or above (1-5).
    certificates : tuple of str
        Certificates the volunteer must hold, valid until the end of the pairing horizon.
    wishes : mapping of str to frozenset of str
        Hard wishes on volunteer attributes: for each key the volunteer holds one of the values.
    preferences : mapping of str to frozenset of str
        Soft wishes of the same form; each one met adds to the fit.
    group : str
        Vulnerability group (``"elderly"``, ``"child"``, ``"disabled"``, ...).
    waiting_since : date or None
        Since when the person has been waiting for a volunteer.
    extra : mapping
        Free data carried along untouched.
    """

    id: str
    location: Location
    weekly: tuple[WeeklyRule, ...]
    minutes_per_week: int = 60
    needs: Mapping[str, int] = field(default_factory=dict)
    certificates: tuple[str, ...] = ()
    wishes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    preferences: Mapping[str, frozenset[str]] = field(default_factory=dict)
    group: str = "other"
    waiting_since: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k, i = "beneficiary", self.id
        if not isinstance(i, str) or not i:
            raise ModelError(f"beneficiary {i!r}: field 'id' must be a non-empty string")
        if not isinstance(self.location, Location):
            raise fail(k, i, "location", "must be a Location")
        if isinstance(self.weekly, WeeklyRule) or not isinstance(self.weekly, Iterable):
            raise fail(k, i, "weekly", "must be a tuple of WeeklyRule")
        object.__setattr__(self, "weekly", tuple(self.weekly))
        if not self.weekly:
            raise fail(k, i, "weekly", "must list at least one weekly rule")
        for n, r in enumerate(self.weekly):
            if not isinstance(r, WeeklyRule):
                raise fail(k, i, f"weekly[{n}]", "must be a WeeklyRule")
        int_in(k, i, "minutes_per_week", self.minutes_per_week, 1, 1440)
        if not isinstance(self.needs, Mapping):
            raise fail(k, i, "needs", "must be a mapping of skill to level")
        for s, lvl in self.needs.items():
            if not isinstance(s, str) or not s:
                raise fail(k, i, "needs", f"has a key that is not a non-empty string: {s!r}")
            int_in(k, i, f"needs.{s}", lvl, 1, MAX_LEVEL)
        object.__setattr__(self, "needs", MappingProxyType(dict(self.needs)))
        if isinstance(self.certificates, str):
            raise fail(k, i, "certificates", "must be a tuple of strings")
        object.__setattr__(self, "certificates", tuple(self.certificates))
        if not all(isinstance(c, str) and c for c in self.certificates):
            raise fail(k, i, "certificates", "must list non-empty strings")
        object.__setattr__(self, "wishes", _value_sets(k, i, "wishes", self.wishes))
        object.__setattr__(self, "preferences", _value_sets(k, i, "preferences", self.preferences))
        if not isinstance(self.group, str) or not self.group:
            raise fail(k, i, "group", "must be a non-empty string")
        if self.waiting_since is not None and not _is_date(self.waiting_since):
            raise fail(k, i, "waiting_since", "must be a date or None")
        if not isinstance(self.extra, Mapping):
            raise fail(k, i, "extra", "must be a mapping")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))


def _pairs(
    fld: str, pairs: Iterable[tuple[str, str]], vids: Mapping[str, int], bids: Mapping[str, int]
) -> tuple[tuple[str, str], ...]:
    out = []
    for n, p in enumerate(pairs):
        if not (isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ModelError(f"pairing: field '{fld}[{n}]' must be a (volunteer id, beneficiary id) pair")
        if p[0] not in vids:
            raise ModelError(f"pairing: field '{fld}[{n}]' names unknown volunteer {p[0]!r}")
        if p[1] not in bids:
            raise ModelError(f"pairing: field '{fld}[{n}]' names unknown beneficiary {p[1]!r}")
        out.append((p[0], p[1]))
    if len(set(out)) != len(out):
        raise ModelError(f"pairing: field {fld!r} lists a pair twice")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PairingProblem:
    """Who can be paired with whom, for a lasting weekly visit.

    Parameters
    ----------
    volunteers : tuple of Volunteer
        Weekly availability from ``weekly`` (one-off windows do not recur: a volunteer with
        only one-off windows has no weekly time; one with neither is always free);
        ``max_minutes`` is the weekly limit, ``max_minutes_per_day`` the limit per weekday.
    beneficiaries : tuple of Beneficiary
    today : date
        Planning date: waiting time is counted up to it and the pairing horizon starts on it.
    settings : Settings
        Time zone of the weekly rules, travel speed, default distance limit, time step.
    weights : PairingWeights
        Objective weights.
    horizon_weeks : int
        Length of the pairing horizon; certificates must be valid on its last day.
    max_beneficiaries : mapping of volunteer id to int
        How many beneficiaries a volunteer may take (default 1: one-to-one; 0: none).
    existing : tuple of (volunteer id, beneficiary id)
        Current pairs, kept (second objective level) unless they can no longer be served.
    dissolved : tuple of (volunteer id, beneficiary id)
        Former pairs that are never formed again.
    forbidden : tuple of (volunteer id, beneficiary id)
        Pairs that must never be formed.
    extra : mapping
        Free data carried along untouched.
    """

    volunteers: tuple[Volunteer, ...]
    beneficiaries: tuple[Beneficiary, ...]
    today: date
    settings: Settings = field(default_factory=Settings)
    weights: PairingWeights = field(default_factory=PairingWeights)
    horizon_weeks: int = 26
    max_beneficiaries: Mapping[str, int] = field(default_factory=dict)
    existing: tuple[tuple[str, str], ...] = ()
    dissolved: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    _vindex: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _bindex: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "volunteers", tuple(self.volunteers))
        object.__setattr__(self, "beneficiaries", tuple(self.beneficiaries))
        vindex: dict[str, int] = {}
        for n, v in enumerate(self.volunteers):
            if not isinstance(v, Volunteer):
                raise ModelError(f"pairing: field 'volunteers[{n}]' must be a Volunteer")
            if v.id in vindex:
                raise ModelError(f"volunteer {v.id!r}: field 'id' is a duplicate")
            vindex[v.id] = n
        bindex: dict[str, int] = {}
        for n, b in enumerate(self.beneficiaries):
            if not isinstance(b, Beneficiary):
                raise ModelError(f"pairing: field 'beneficiaries[{n}]' must be a Beneficiary")
            if b.id in bindex:
                raise ModelError(f"beneficiary {b.id!r}: field 'id' is a duplicate")
            bindex[b.id] = n
        if not _is_date(self.today):
            raise ModelError(f"pairing: field 'today' must be a date, got {self.today!r}")
        if not isinstance(self.settings, Settings):
            raise ModelError("pairing: field 'settings' must be a Settings")
        if not isinstance(self.weights, PairingWeights):
            raise ModelError("pairing: field 'weights' must be a PairingWeights")
        int_in("pairing", "pairing", "horizon_weeks", self.horizon_weeks, 1, 520)
        if not isinstance(self.max_beneficiaries, Mapping):
            raise ModelError("pairing: field 'max_beneficiaries' must be a mapping of volunteer id to int")
        for vid, k in self.max_beneficiaries.items():
            if vid not in vindex:
                raise ModelError(f"pairing: field 'max_beneficiaries' names unknown volunteer {vid!r}")
            int_in("volunteer", vid, "max_beneficiaries", k, 0, 1000)
        object.__setattr__(self, "max_beneficiaries", MappingProxyType(dict(self.max_beneficiaries)))
        for fld in ("existing", "dissolved", "forbidden"):
            object.__setattr__(self, fld, _pairs(fld, getattr(self, fld), vindex, bindex))
        seen: dict[str, str] = {}
        for vid, bid in self.existing:
            if bid in seen:
                raise ModelError(f"beneficiary {bid!r}: field 'existing' pairs it with both {seen[bid]!r} and {vid!r}")
            seen[bid] = vid
        for fld in ("dissolved", "forbidden"):
            clash = sorted(set(self.existing) & set(getattr(self, fld)))
            if clash:
                raise ModelError(f"pairing: field 'existing' pair {clash[0]} is also {fld}")
        if not isinstance(self.extra, Mapping):
            raise ModelError("pairing: field 'extra' must be a mapping")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "_vindex", MappingProxyType(vindex))
        object.__setattr__(self, "_bindex", MappingProxyType(bindex))

    @property
    def horizon_end(self) -> date:
        """Last day of the pairing horizon (certificates must be valid on it)."""
        return self.today + timedelta(days=7 * self.horizon_weeks - 1)

    def capacity(self, vid: str) -> int:
        """How many beneficiaries volunteer ``vid`` may take."""
        return int(self.max_beneficiaries.get(vid, 1))

    def weight(self, b: Beneficiary) -> int:
        """Weight of pairing ``b`` in the first objective level."""
        w = self.weights
        months = 0 if b.waiting_since is None else max(0, (self.today - b.waiting_since).days // 30)
        return w.base + int(w.groups.get(b.group, 0)) + w.per_month_waiting * min(months, w.max_months)

    def volunteer(self, vid: str) -> Volunteer:
        """The volunteer with id ``vid`` (KeyError when absent)."""
        return self.volunteers[self._vindex[vid]]

    def beneficiary(self, bid: str) -> Beneficiary:
        """The beneficiary with id ``bid`` (KeyError when absent)."""
        return self.beneficiaries[self._bindex[bid]]

    def volunteer_index(self, vid: str) -> int:
        """Position of volunteer ``vid``."""
        return self._vindex[vid]

    def beneficiary_index(self, bid: str) -> int:
        """Position of beneficiary ``bid``."""
        return self._bindex[bid]
