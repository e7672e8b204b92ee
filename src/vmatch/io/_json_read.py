"""Reading a ``vmatch/1`` problem document (a parsed JSON object) into a :class:`Problem`.

Every check names the object and the field; nothing but :class:`FormatError` leaves
:func:`problem_from_dict`.

Examples
--------
>>> p = problem_from_dict({"format": "vmatch/1", "volunteers": [{"id": "v1", "location": [30.6, 114.3]}]})
>>> p.volunteers[0].id, p.settings.time_step_minutes
('v1', 15)
>>> problem_from_dict({"format": "vmatch/1", "tasks": [{"id": "t1", "location": [0, 0]}]})
Traceback (most recent call last):
...
vmatch.errors.FormatError: task 't1': field 'window' is missing (required)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vmatch.errors import FormatError
from vmatch.io._json_util import (
    Ctx,
    as_clock,
    as_date,
    as_int,
    as_list,
    as_location,
    as_num,
    as_obj,
    as_str,
    as_window,
    check_keys,
    json_data,
)
from vmatch.model import (
    MAX_HEADCOUNT,
    MAX_LEVEL,
    MAX_MINUTES,
    MAX_PRIORITY,
    Problem,
    Requirement,
    Settings,
    Task,
    Volunteer,
    WeeklyRule,
)

__all__ = [
    "FIELDS",
    "FORMAT",
    "problem_from_dict",
]

FORMAT = "vmatch/1"

FIELDS: dict[str, tuple[str, ...]] = {
    "problem": ("format", "settings", "volunteers", "tasks", "pinned", "forbidden", "preferences", "previous", "extra"),
    "settings": ("timezone", "travel_speed_kmh", "max_distance_km", "time_step_minutes"),
    "volunteer": (
        "id",
        "location",
        "skills",
        "certificates",
        "availability",
        "weekly",
        "max_minutes",
        "max_minutes_per_day",
        "max_distance_km",
        "attributes",
        "team",
        "rating",
        "hours_served",
        "extra",
    ),
    "task": (
        "id",
        "location",
        "window",
        "duration",
        "headcount",
        "min_headcount",
        "priority",
        "skills",
        "requirements",
        "certificates",
        "attributes",
        "category",
        "requester",
        "extra",
    ),
    "weekly": ("days", "start", "end"),
    "requirement": ("skill", "level", "count"),
}
"""The field names the reader accepts, per kind of object (the JSON Schema lists the same)."""


def _req(ctx: Ctx, d: Mapping[str, Any], key: str) -> Any:
    if key not in d:
        ctx.fail(key, "is missing (required)")
    return d[key]


def _opt(d: Mapping[str, Any], key: str, default: Any = None) -> Any:
    return d.get(key, default)


def _levels(ctx: Ctx, fld: str, x: object, lo: int) -> dict[str, int]:
    m = as_obj(ctx, fld, x)
    out = {}
    for k, v in m.items():
        if not k:
            ctx.fail(fld, "has an empty skill name")
        out[k] = as_int(ctx, f"{fld}.{k}", v, lo, MAX_LEVEL)
    return out


def _strings(ctx: Ctx, fld: str, x: object, *, nonempty: bool) -> list[str]:
    xs = as_list(ctx, fld, x)
    if nonempty and not xs:
        ctx.fail(fld, "must list at least one value")
    return [as_str(ctx, f"{fld}[{n}]", s) for n, s in enumerate(xs)]


def _attributes(ctx: Ctx, x: object, *, task: bool) -> dict[str, frozenset[str]]:
    m = as_obj(ctx, "attributes", x)
    out = {}
    for k, vals in m.items():
        if not k:
            ctx.fail("attributes", "has an empty attribute name")
        out[k] = frozenset(_strings(ctx, f"attributes.{k}", vals, nonempty=task))
    return out


def _opt_int(ctx: Ctx, d: Mapping[str, Any], key: str, lo: int, hi: int | None = None) -> int | None:
    x = d.get(key)
    return None if x is None else as_int(ctx, key, x, lo, hi)


def _opt_num(ctx: Ctx, d: Mapping[str, Any], key: str, lo: float, hi: float) -> float | None:
    x = d.get(key)
    return None if x is None else as_num(ctx, key, x, lo, hi)


def _opt_str(ctx: Ctx, d: Mapping[str, Any], key: str) -> str | None:
    x = d.get(key)
    return None if x is None else as_str(ctx, key, x)


def _extra(ctx: Ctx, d: Mapping[str, Any]) -> dict[str, Any]:
    if "extra" not in d:
        return {}
    return dict(json_data(ctx, "extra", as_obj(ctx, "extra", d["extra"])))


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory such as "America"
        return False
    return True


def _settings(x: object) -> Settings:
    ctx = Ctx("settings")
    d = as_obj(Ctx("problem"), "settings", x)
    check_keys(ctx, d, FIELDS["settings"])
    tz = as_str(ctx, "timezone", _opt(d, "timezone", "UTC"))
    if not _known_zone(tz):
        ctx.fail("timezone", f"is not a known time zone: {tz!r}")
    speed = as_num(ctx, "travel_speed_kmh", _opt(d, "travel_speed_kmh", 15.0), 1e-6, 1e6)
    if speed <= 0:
        ctx.fail("travel_speed_kmh", f"must be positive, got {speed}")
    dist = _opt_num(ctx, d, "max_distance_km", 0.0, 40075.0)
    step = as_int(ctx, "time_step_minutes", _opt(d, "time_step_minutes", 15), 1, 1440)
    with ctx.model():
        return Settings(timezone=tz, travel_speed_kmh=speed, max_distance_km=dist, time_step_minutes=step)


def _start(kind: str, n: int, x: object) -> tuple[Ctx, Mapping[str, Any]]:
    """Context named ``kind 'id'`` once the id is known, and the object itself."""
    ctx = Ctx(f"{kind}s[{n}]")
    d = as_obj(Ctx("problem"), f"{kind}s[{n}]", x)
    oid = as_str(ctx, "id", _req(ctx, d, "id"))
    ctx.name = f"{kind} {oid!r}"
    check_keys(ctx, d, FIELDS[kind])
    return ctx, d


def _weekly(ctx: Ctx, n: int, x: object) -> WeeklyRule:
    fld = f"weekly[{n}]"
    d = as_obj(ctx, fld, x)
    check_keys(ctx, d, FIELDS["weekly"], prefix=f"{fld}.")
    for key in FIELDS["weekly"]:
        if key not in d:
            ctx.fail(f"{fld}.{key}", "is missing (required)")
    days = as_list(ctx, f"{fld}.days", d["days"])
    if not days:
        ctx.fail(f"{fld}.days", "must list at least one ISO weekday (1 = Monday ... 7 = Sunday)")
    ds = tuple(as_int(ctx, f"{fld}.days[{i}]", v, 1, 7) for i, v in enumerate(days))
    start = as_clock(ctx, f"{fld}.start", d["start"])
    end = as_clock(ctx, f"{fld}.end", d["end"], end=True)
    if end != time(0) and end <= start:
        ctx.fail(f"{fld}.end", f"({d['end']}) must be after start ({d['start']})")
    with ctx.model():
        return WeeklyRule(ds, start, end)


def _volunteer(n: int, x: object) -> Volunteer:
    ctx, d = _start("volunteer", n, x)
    loc = as_location(ctx, "location", _req(ctx, d, "location"))
    certs: dict[str, date | None] = {}
    for c, exp in as_obj(ctx, "certificates", _opt(d, "certificates", {})).items():
        if not c:
            ctx.fail("certificates", "has an empty certificate name")
        certs[c] = None if exp is None else as_date(ctx, f"certificates.{c}", exp)
    avail = as_list(ctx, "availability", _opt(d, "availability", []))
    weekly = as_list(ctx, "weekly", _opt(d, "weekly", []))
    with ctx.model():
        return Volunteer(
            id=d["id"],
            location=loc,
            skills=_levels(ctx, "skills", _opt(d, "skills", {}), 0),
            certificates=certs,
            availability=tuple(as_window(ctx, f"availability[{i}]", w) for i, w in enumerate(avail)),
            weekly=tuple(_weekly(ctx, i, r) for i, r in enumerate(weekly)),
            max_minutes=_opt_int(ctx, d, "max_minutes", 0, MAX_MINUTES),
            max_minutes_per_day=_opt_int(ctx, d, "max_minutes_per_day", 0, MAX_MINUTES),
            max_distance_km=_opt_num(ctx, d, "max_distance_km", 0.0, 40075.0),
            attributes=_attributes(ctx, _opt(d, "attributes", {}), task=False),
            team=_opt_str(ctx, d, "team"),
            rating=_opt_num(ctx, d, "rating", 0.0, 5.0),
            hours_served=as_num(ctx, "hours_served", _opt(d, "hours_served", 0.0), 0.0, 1e9),
            extra=_extra(ctx, d),
        )


def _requirement(ctx: Ctx, n: int, x: object) -> Requirement:
    fld = f"requirements[{n}]"
    d = as_obj(ctx, fld, x)
    check_keys(ctx, d, FIELDS["requirement"], prefix=f"{fld}.")
    if "skill" not in d:
        ctx.fail(f"{fld}.skill", "is missing (required)")
    skill = as_str(ctx, f"{fld}.skill", d["skill"])
    level = as_int(ctx, f"{fld}.level", _opt(d, "level", 1), 1, MAX_LEVEL)
    count = as_int(ctx, f"{fld}.count", _opt(d, "count", 1), 1, MAX_HEADCOUNT)
    with ctx.model():
        return Requirement(skill, level, count)


def _task(n: int, x: object) -> Task:
    ctx, d = _start("task", n, x)
    loc = as_location(ctx, "location", _req(ctx, d, "location"))
    window = as_window(ctx, "window", _req(ctx, d, "window"))
    dur = _opt_int(ctx, d, "duration", 1)
    if dur is not None and dur > window.minutes:
        ctx.fail("duration", f"({dur} min) must not exceed the window ({window.minutes} min)")
    head = as_int(ctx, "headcount", _opt(d, "headcount", 1), 1, MAX_HEADCOUNT)
    low = as_int(ctx, "min_headcount", _opt(d, "min_headcount", 1), 1, MAX_HEADCOUNT)
    if low > head:
        ctx.fail("min_headcount", f"({low}) must not exceed 'headcount' ({head})")
    reqs = as_list(ctx, "requirements", _opt(d, "requirements", []))
    with ctx.model():
        return Task(
            id=d["id"],
            location=loc,
            window=window,
            duration=None if dur is None else timedelta(minutes=dur),
            headcount=head,
            min_headcount=low,
            priority=as_int(ctx, "priority", _opt(d, "priority", 1), 0, MAX_PRIORITY),
            skills=_levels(ctx, "skills", _opt(d, "skills", {}), 1),
            requirements=tuple(_requirement(ctx, i, r) for i, r in enumerate(reqs)),
            certificates=tuple(_strings(ctx, "certificates", _opt(d, "certificates", []), nonempty=False)),
            attributes=_attributes(ctx, _opt(d, "attributes", {}), task=True),
            category=_opt_str(ctx, d, "category"),
            requester=_opt_str(ctx, d, "requester"),
            extra=_extra(ctx, d),
        )


def _unique(kind: str, items: list[Any]) -> set[str]:
    seen: dict[str, int] = {}
    for n, it in enumerate(items):
        if it.id in seen:
            raise FormatError(f"{kind} {it.id!r}: field 'id' is a duplicate ({kind}s[{seen[it.id]}] and {kind}s[{n}])")
        seen[it.id] = n
    return set(seen)


def _pairs(ctx: Ctx, kind: str, x: object, vids: set[str], tids: set[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for n, p in enumerate(as_list(ctx, kind, x)):
        fld = f"{kind}[{n}]"
        if not isinstance(p, list | tuple) or len(p) != 2 or not all(isinstance(s, str) for s in p):
            ctx.fail(fld, "must be a [volunteer id, task id] pair of strings")
        if p[0] not in vids:
            ctx.fail(fld, f"names unknown volunteer {p[0]!r}")
        if p[1] not in tids:
            ctx.fail(fld, f"names unknown task {p[1]!r}")
        out.append((p[0], p[1]))
    return tuple(out)


def problem_from_dict(d: object) -> Problem:
    """Build a :class:`Problem` from a parsed ``vmatch/1`` document.

    Parameters
    ----------
    d : mapping
        The document (as returned by :func:`json.loads`).

    Returns
    -------
    Problem

    Raises
    ------
    FormatError
        One line naming the object and the field, for any deviation from the format.
    """
    root = Ctx("problem")
    if not isinstance(d, Mapping):
        raise FormatError(f"problem: the document must be a JSON object, got {type(d).__name__}")
    as_obj(root, "(document)", d)
    if "format" not in d:
        root.fail("format", f"is missing (expected {FORMAT!r})")
    if d["format"] != FORMAT:
        hint = " (this is a solution document)" if d["format"] == "vmatch-solution/1" else ""
        root.fail("format", f"must be {FORMAT!r}, got {d['format']!r}{hint}")
    for section, how in (
        ("pairing", "vmatch.pairing.read_pairing_problem (vmatch pair)"),
        ("menu", "vmatch.menu's reader (vmatch menu)"),
    ):
        if section in d:
            root.fail(section, f"holds a {section} problem, not a dispatch problem: read it with {how}")
    check_keys(root, d, FIELDS["problem"])
    settings = _settings(_opt(d, "settings", {}))
    vs = as_list(root, "volunteers", _opt(d, "volunteers", []))
    volunteers = [_volunteer(n, x) for n, x in enumerate(vs)]
    tasks = [_task(n, x) for n, x in enumerate(as_list(root, "tasks", _opt(d, "tasks", [])))]
    vids = _unique("volunteer", volunteers)
    tids = _unique("task", tasks)
    pinned = _pairs(root, "pinned", _opt(d, "pinned", []), vids, tids)
    forbidden = _pairs(root, "forbidden", _opt(d, "forbidden", []), vids, tids)
    prefs: dict[tuple[str, str], float] = {}
    for n, e in enumerate(as_list(root, "preferences", _opt(d, "preferences", []))):
        fld = f"preferences[{n}]"
        if not isinstance(e, list | tuple) or len(e) != 3:
            root.fail(fld, "must be a [volunteer id, task id, score] triple")
        (pair,) = _pairs(root, fld, [e[:2]], vids, tids)
        if pair in prefs:
            root.fail(fld, f"repeats the pair {list(pair)}")
        prefs[pair] = as_num(root, f"{fld}[2]", e[2], -1000.0, 1000.0)
    previous = []
    for n, e in enumerate(as_list(root, "previous", _opt(d, "previous", []))):
        fld = f"previous[{n}]"
        if not isinstance(e, list | tuple) or len(e) != 2 or not all(isinstance(s, str) and s for s in e):
            root.fail(fld, "must be a [volunteer id, requester id] pair of strings")
        if e[0] not in vids:
            root.fail(fld, f"names unknown volunteer {e[0]!r}")
        previous.append((e[0], e[1]))
    with root.model():
        return Problem(
            volunteers=tuple(volunteers),
            tasks=tuple(tasks),
            settings=settings,
            pinned=pinned,
            forbidden=forbidden,
            preferences=prefs,
            previous=tuple(previous),
            extra=_extra(root, d),
        )
