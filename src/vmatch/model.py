"""The domain model: volunteers, tasks and the problem that holds them.

Every class is a frozen, slotted dataclass validated once at construction. An invalid
value raises :class:`vmatch.ModelError` naming the object id and the field.

Public fields take timezone-aware :class:`datetime.datetime` and
:class:`datetime.timedelta`; :mod:`vmatch.timeaxis` turns them into integer minutes from
the problem's epoch for the compiler.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> tz = timezone(timedelta(hours=8))
>>> v = Volunteer("v1", Location(30.66, 114.31), skills={"first_aid": 2})
>>> t = Task("t1", Location(30.61, 114.28),
...          TimeWindow(datetime(2026, 12, 5, 9, tzinfo=tz), datetime(2026, 12, 5, 11, tzinfo=tz)),
...          duration=timedelta(minutes=60), skills={"first_aid": 1})
>>> p = Problem(volunteers=(v,), tasks=(t,))
>>> p.task("t1").duration_minutes
60
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vmatch.errors import ModelError

__all__ = [
    "MAX_HEADCOUNT",
    "MAX_INT",
    "MAX_LEVEL",
    "MAX_MINUTES",
    "MAX_PRIORITY",
    "Location",
    "Problem",
    "Requirement",
    "Settings",
    "Task",
    "TimeWindow",
    "Volunteer",
    "WeeklyRule",
]

MAX_LEVEL = 5
#: The largest value of any integer field without a tighter limit (the compiled problem holds
#: them in 64-bit integers, and the solvers multiply them together).
MAX_INT = 10**9
#: The largest head-count of a task, or count of a requirement.
MAX_HEADCOUNT = 100_000
#: The largest priority of a task or a menu order (a weight in the coverage level).
MAX_PRIORITY = 1_000_000
#: The largest workload limit in minutes (about 19 years).
MAX_MINUTES = 10**7


def _fail(kind: str, oid: str, fld: str, msg: str) -> ModelError:
    return ModelError(f"{kind} {oid!r}: field {fld!r} {msg}")


def _frozen_map(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(m or {}))


def _check_id(kind: str, oid: object) -> None:
    if not isinstance(oid, str) or not oid:
        raise ModelError(f"{kind} {oid!r}: field 'id' must be a non-empty string")


def _check_finite(kind: str, oid: str, fld: str, x: object, lo: float, hi: float) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
        raise _fail(kind, oid, fld, f"must be a number, got {x!r}")
    if not lo <= x <= hi:
        raise _fail(kind, oid, fld, f"must be in [{lo}, {hi}], got {x!r}")


def int_range_error(x: int, lo: int, hi: int | None) -> str | None:
    """Why ``x`` is outside ``[lo, hi]`` (``hi`` None: :data:`MAX_INT`), or None when inside."""
    if hi is None:
        if x < lo:
            return f"must be >= {lo}"
        return f"must be <= {MAX_INT}" if x > MAX_INT else None
    return f"must be in [{lo}, {hi}]" if not lo <= x <= hi else None


def _check_int(kind: str, oid: str, fld: str, x: object, lo: int, hi: int | None = None) -> None:
    if isinstance(x, bool) or not isinstance(x, int):
        raise _fail(kind, oid, fld, f"must be an integer, got {x!r}")
    why = int_range_error(x, lo, hi)
    if why:
        raise _fail(kind, oid, fld, f"{why}, got {x!r}")


def _check_levels(kind: str, oid: str, fld: str, m: Mapping[str, int]) -> None:
    for k, lvl in m.items():
        if not isinstance(k, str) or not k:
            raise _fail(kind, oid, fld, f"has a key that is not a non-empty string: {k!r}")
        _check_int(kind, oid, f"{fld}.{k}", lvl, 0 if kind == "volunteer" else 1, MAX_LEVEL)


def _check_attrs(kind: str, oid: str, m: Mapping[str, frozenset[str]]) -> None:
    for k, vals in m.items():
        if not isinstance(vals, frozenset) or not all(isinstance(s, str) for s in vals):
            raise _fail(kind, oid, f"attributes.{k}", "must be a set of strings")
        if kind == "task" and not vals:
            raise _fail(kind, oid, f"attributes.{k}", "must allow at least one value")


@dataclass(frozen=True, slots=True)
class Location:
    """A point in WGS 84 degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        _check_finite("location", f"({self.lat}, {self.lon})", "lat", self.lat, -90.0, 90.0)
        _check_finite("location", f"({self.lat}, {self.lon})", "lon", self.lon, -180.0, 180.0)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open span of time ``[start, end)`` with timezone-aware ends."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            v = getattr(self, name)
            if not isinstance(v, datetime) or v.tzinfo is None or v.utcoffset() is None:
                raise ModelError(f"time window: field {name!r} must be a timezone-aware datetime")
        if self.end <= self.start:
            raise ModelError(
                f"time window: field 'end' ({self.end.isoformat()}) must be after 'start' ({self.start.isoformat()})"
            )

    @property
    def minutes(self) -> int:
        """Length in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Recurring local availability: ISO weekdays (1 = Monday) from ``start`` to ``end``.

    ``end`` equal to ``time(0, 0)`` means midnight at the end of the day.
    """

    days: tuple[int, ...]
    start: time
    end: time

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", tuple(sorted(set(self.days))))
        if not self.days or any(isinstance(d, bool) or d not in range(1, 8) for d in self.days):
            raise ModelError(f"weekly rule: field 'days' must list ISO weekdays 1-7, got {self.days}")
        if self.end != time(0) and self.end <= self.start:
            raise ModelError("weekly rule: field 'end' must be after 'start'")

    @property
    def start_minute(self) -> int:
        """Minutes after local midnight at which the rule starts."""
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after local midnight at which the rule ends (1440 for midnight)."""
        return 1440 if self.end == time(0) else self.end.hour * 60 + self.end.minute


@dataclass(frozen=True, slots=True)
class Requirement:
    """Composition rule: a served task has at least ``count`` assignees with ``skill`` >= ``level``."""

    skill: str
    level: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.skill, str) or not self.skill:
            raise ModelError("requirement: field 'skill' must be a non-empty string")
        _check_int("requirement", self.skill, "level", self.level, 1, MAX_LEVEL)
        _check_int("requirement", self.skill, "count", self.count, 1, MAX_HEADCOUNT)


@dataclass(frozen=True, slots=True)
class Volunteer:
    """A person who can serve.

    Parameters
    ----------
    id : str
        Unique id; the only personal datum the library ever prints.
    location : Location
        Home (the point distance limits are measured from).
    skills : mapping of str to int
        Skill levels 0-5 (an absent skill is level 0).
    certificates : mapping of str to date or None
        Certificate name to expiry date (None: does not expire).
    availability : tuple of TimeWindow
        One-off available windows.
    weekly : tuple of WeeklyRule
        Recurring windows in the problem's time zone. With neither this nor
        ``availability`` the volunteer is always available.
    max_minutes, max_minutes_per_day : int or None
        Workload limits over the horizon and per local day (None: no limit).
    max_distance_km : float or None
        Own distance limit, replacing the problem's.
    attributes : mapping of str to frozenset of str
        Attribute values held (language, gender, ...).
    team, rating, hours_served
        Used by teams, reliability and fairness terms.
    extra : mapping
        Free data carried along untouched.
    """

    id: str
    location: Location
    skills: Mapping[str, int] = field(default_factory=dict)
    certificates: Mapping[str, date | None] = field(default_factory=dict)
    availability: tuple[TimeWindow, ...] = ()
    weekly: tuple[WeeklyRule, ...] = ()
    max_minutes: int | None = None
    max_minutes_per_day: int | None = None
    max_distance_km: float | None = None
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    team: str | None = None
    rating: float | None = None
    hours_served: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k, i = "volunteer", self.id
        _check_id(k, i)
        if not isinstance(self.location, Location):
            raise _fail(k, i, "location", "must be a Location")
        object.__setattr__(self, "skills", _frozen_map(self.skills))
        object.__setattr__(self, "certificates", _frozen_map(self.certificates))
        object.__setattr__(self, "attributes", _frozen_map({a: frozenset(v) for a, v in self.attributes.items()}))
        object.__setattr__(self, "extra", _frozen_map(self.extra))
        object.__setattr__(self, "availability", tuple(self.availability))
        object.__setattr__(self, "weekly", tuple(self.weekly))
        _check_levels(k, i, "skills", self.skills)
        for c, exp in self.certificates.items():
            if exp is not None and (not isinstance(exp, date) or isinstance(exp, datetime)):
                raise _fail(k, i, f"certificates.{c}", "must be a date or None")
        for n, w in enumerate(self.availability):
            if not isinstance(w, TimeWindow):
                raise _fail(k, i, f"availability[{n}]", "must be a TimeWindow")
        for n, r in enumerate(self.weekly):
            if not isinstance(r, WeeklyRule):
                raise _fail(k, i, f"weekly[{n}]", "must be a WeeklyRule")
        for fld in ("max_minutes", "max_minutes_per_day"):
            v = getattr(self, fld)
            if v is not None:
                _check_int(k, i, fld, v, 0, MAX_MINUTES)
        if self.max_distance_km is not None:
            _check_finite(k, i, "max_distance_km", self.max_distance_km, 0.0, 40075.0)
        if self.rating is not None:
            _check_finite(k, i, "rating", self.rating, 0.0, 5.0)
        _check_finite(k, i, "hours_served", self.hours_served, 0.0, 1e9)
        _check_attrs(k, i, self.attributes)


@dataclass(frozen=True, slots=True)
class Task:
    """A piece of demand: a place, a time window, a head-count and rules for who may serve.

    Parameters
    ----------
    id : str
        Unique id.
    location : Location
        Where the service happens.
    window : TimeWindow
        When it may happen.
    duration : timedelta or None
        Length of the service; None means the whole window. A window longer than the
        duration lets the solver pick one start, on the time step, shared by all assignees.
    headcount, min_headcount : int
        At most ``headcount`` assignees; a served task gets at least ``min_headcount``.
    priority : int
        Weight of one filled place in the coverage term.
    skills : mapping of str to int
        Every assignee holds each skill at this level or above (1-5).
    requirements : tuple of Requirement
        Composition rules over the assignees as a group.
    certificates : tuple of str
        Every assignee holds each, valid on the local date the task ends.
    attributes : mapping of str to frozenset of str
        For each key, every assignee holds at least one allowed value.
    category : str or None
        Free label (menu item category, etc.).
    requester : str or None
        Who asked for the service (a resident, a beneficiary): continuity keeps previous
        volunteer-requester pairs together.
    extra : mapping
        Free data carried along untouched.
    """

    id: str
    location: Location
    window: TimeWindow
    duration: timedelta | None = None
    headcount: int = 1
    min_headcount: int = 1
    priority: int = 1
    skills: Mapping[str, int] = field(default_factory=dict)
    requirements: tuple[Requirement, ...] = ()
    certificates: tuple[str, ...] = ()
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    category: str | None = None
    requester: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k, i = "task", self.id
        _check_id(k, i)
        if not isinstance(self.location, Location):
            raise _fail(k, i, "location", "must be a Location")
        if not isinstance(self.window, TimeWindow):
            raise _fail(k, i, "window", "must be a TimeWindow")
        object.__setattr__(self, "skills", _frozen_map(self.skills))
        object.__setattr__(self, "attributes", _frozen_map({a: frozenset(v) for a, v in self.attributes.items()}))
        object.__setattr__(self, "extra", _frozen_map(self.extra))
        object.__setattr__(self, "requirements", tuple(self.requirements))
        object.__setattr__(self, "certificates", tuple(self.certificates))
        if self.duration is not None:
            if not isinstance(self.duration, timedelta):
                raise _fail(k, i, "duration", "must be a timedelta")
            secs = self.duration.total_seconds()
            if secs <= 0 or secs % 60:
                raise _fail(k, i, "duration", f"must be a positive whole number of minutes, got {self.duration}")
            if self.duration > self.window.end - self.window.start:
                raise _fail(k, i, "duration", "must not exceed the window")
        _check_int(k, i, "headcount", self.headcount, 1, MAX_HEADCOUNT)
        _check_int(k, i, "min_headcount", self.min_headcount, 1, self.headcount)
        _check_int(k, i, "priority", self.priority, 0, MAX_PRIORITY)
        _check_levels(k, i, "skills", self.skills)
        for n, r in enumerate(self.requirements):
            if not isinstance(r, Requirement):
                raise _fail(k, i, f"requirements[{n}]", "must be a Requirement")
            if r.count > self.headcount:
                raise _fail(k, i, f"requirements[{n}].count", f"exceeds headcount {self.headcount}")
        for c in self.certificates:
            if not isinstance(c, str) or not c:
                raise _fail(k, i, "certificates", "must list non-empty strings")
        _check_attrs(k, i, self.attributes)
        if self.category is not None and not isinstance(self.category, str):
            raise _fail(k, i, "category", "must be a string")
        if self.requester is not None and (not isinstance(self.requester, str) or not self.requester):
            raise _fail(k, i, "requester", "must be a non-empty string")

    @property
    def duration_minutes(self) -> int:
        """Service length in minutes (the whole window when ``duration`` is None)."""
        if self.duration is None:
            return self.window.minutes
        return int(self.duration.total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class Settings:
    """Problem-wide settings.

    Parameters
    ----------
    timezone : str
        IANA zone for weekly rules, local dates (certificate expiry, per-day workload).
    travel_speed_kmh : float
        Speed for travel time between task sites.
    max_distance_km : float or None
        Default home-to-task distance limit (None: no limit).
    time_step_minutes : int
        Grid for flexible starts, counted from each task's window start.
    """

    timezone: str = "UTC"
    travel_speed_kmh: float = 15.0
    max_distance_km: float | None = None
    time_step_minutes: int = 15

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as e:
            raise ModelError(f"settings: field 'timezone' is not a known time zone: {self.timezone!r}") from e
        _check_finite("settings", "settings", "travel_speed_kmh", self.travel_speed_kmh, 1e-6, 1e6)
        if self.max_distance_km is not None:
            _check_finite("settings", "settings", "max_distance_km", self.max_distance_km, 0.0, 40075.0)
        _check_int("settings", "settings", "time_step_minutes", self.time_step_minutes, 1, 1440)

    @property
    def tz(self) -> ZoneInfo:
        """The time zone object."""
        return ZoneInfo(self.timezone)


def _pairs(kind: str, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    out = []
    for n, p in enumerate(pairs):
        if not (isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ModelError(f"problem: field '{kind}[{n}]' must be a (volunteer id, task id) pair")
        out.append((p[0], p[1]))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Problem:
    """A dispatch problem: who can serve which task.

    Parameters
    ----------
    volunteers, tasks : tuple
        Unique ids within each kind.
    settings : Settings
        Problem-wide settings.
    pinned : tuple of (volunteer id, task id)
        Pairs that must be in the answer.
    forbidden : tuple of (volunteer id, task id)
        Pairs that must never be in the answer.
    preferences : mapping of (volunteer id, task id) to float
        Preference score of a pair (either side's wish; -1000 to 1000), for the
        ``preference`` objective term.
    previous : tuple of (volunteer id, requester id)
        Pairs that served together before, for the ``continuity`` term.
    extra : mapping
        Free data carried along untouched.
    """

    volunteers: tuple[Volunteer, ...] = ()
    tasks: tuple[Task, ...] = ()
    settings: Settings = field(default_factory=Settings)
    pinned: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()
    preferences: Mapping[tuple[str, str], float] = field(default_factory=dict)
    previous: tuple[tuple[str, str], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    _vindex: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _tindex: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "volunteers", tuple(self.volunteers))
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "pinned", _pairs("pinned", self.pinned))
        object.__setattr__(self, "forbidden", _pairs("forbidden", self.forbidden))
        object.__setattr__(self, "extra", _frozen_map(self.extra))
        if not isinstance(self.settings, Settings):
            raise ModelError("problem: field 'settings' must be a Settings")
        vindex: dict[str, int] = {}
        for n, v in enumerate(self.volunteers):
            if not isinstance(v, Volunteer):
                raise ModelError(f"problem: field 'volunteers[{n}]' must be a Volunteer")
            if v.id in vindex:
                raise ModelError(f"volunteer {v.id!r}: field 'id' is a duplicate")
            vindex[v.id] = n
        tindex: dict[str, int] = {}
        for n, t in enumerate(self.tasks):
            if not isinstance(t, Task):
                raise ModelError(f"problem: field 'tasks[{n}]' must be a Task")
            if t.id in tindex:
                raise ModelError(f"task {t.id!r}: field 'id' is a duplicate")
            tindex[t.id] = n
        for kind in ("pinned", "forbidden"):
            for n, (vid, tid) in enumerate(getattr(self, kind)):
                if vid not in vindex:
                    raise ModelError(f"problem: field '{kind}[{n}]' names unknown volunteer {vid!r}")
                if tid not in tindex:
                    raise ModelError(f"problem: field '{kind}[{n}]' names unknown task {tid!r}")
        object.__setattr__(self, "preferences", MappingProxyType(dict(self.preferences)))
        for n, (pair, score) in enumerate(self.preferences.items()):
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ModelError(f"problem: field 'preferences[{n}]' must be keyed by (volunteer id, task id)")
            if pair[0] not in vindex:
                raise ModelError(f"problem: field 'preferences[{n}]' names unknown volunteer {pair[0]!r}")
            if pair[1] not in tindex:
                raise ModelError(f"problem: field 'preferences[{n}]' names unknown task {pair[1]!r}")
            _check_finite("problem", "problem", f"preferences[{n}]", score, -1000.0, 1000.0)
        object.__setattr__(self, "previous", _pairs("previous", self.previous))
        for n, (vid, _rid) in enumerate(self.previous):
            if vid not in vindex:
                raise ModelError(f"problem: field 'previous[{n}]' names unknown volunteer {vid!r}")
        clash = set(self.pinned) & set(self.forbidden)
        if clash:
            vid, tid = sorted(clash)[0]
            raise ModelError(f"problem: field 'pinned' pair ({vid!r}, {tid!r}) is also forbidden")
        object.__setattr__(self, "_vindex", MappingProxyType(vindex))
        object.__setattr__(self, "_tindex", MappingProxyType(tindex))

    def volunteer(self, vid: str) -> Volunteer:
        """The volunteer with id ``vid`` (KeyError when absent)."""
        return self.volunteers[self._vindex[vid]]

    def task(self, tid: str) -> Task:
        """The task with id ``tid`` (KeyError when absent)."""
        return self.tasks[self._tindex[tid]]

    def volunteer_index(self, vid: str) -> int:
        """Position of volunteer ``vid`` in :attr:`volunteers`."""
        return self._vindex[vid]

    def task_index(self, tid: str) -> int:
        """Position of task ``tid`` in :attr:`tasks`."""
        return self._tindex[tid]
