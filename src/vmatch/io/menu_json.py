"""The ``"menu"`` section of ``vmatch/1``: menu problems, menu solutions, replan events.

A menu document is a ``vmatch/1`` document with ``settings``, ``volunteers`` (read exactly as in
a dispatch problem), a ``menu`` object (``items``, ``offers``, ``orders``, ``ratings``) and
``extra``; see ``docs/format.md``. Bad input is refused with one :class:`vmatch.FormatError`
line naming the object and field, as for the rest of the format.

Examples
--------
>>> mp = loads_menu_problem('''{"format": "vmatch/1",
...   "volunteers": [{"id": "v1", "location": [30.6, 114.3]}],
...   "menu": {"items": [{"id": "haircut", "name": "Haircut", "category": "haircut", "duration": 45}],
...            "offers": [{"id": "o1", "provider": "v1", "item": "haircut", "capacity": 3,
...                        "weekly": [{"days": [6], "start": "09:00", "end": "12:00"}]}],
...            "orders": [{"id": "r1", "requester": "res-1", "item": "haircut", "location": [30.61, 114.3],
...                        "window": ["2026-12-05T09:00+08:00", "2026-12-05T11:00+08:00"]}]}}''')
>>> mp.offer("o1").capacity, loads_menu_problem(dumps_menu_problem(mp)) == mp
(3, True)
>>> loads_menu_problem('{"format": "vmatch/1", "menu": {"items": [{"id": "x", "duration": 0}]}}')
Traceback (most recent call last):
...
vmatch.errors.FormatError: item 'x': field 'name' is missing (required)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

from vmatch.errors import FormatError, ModelError
from vmatch.io._json_read import _requirement, _task, _weekly
from vmatch.io._json_text import parse_json
from vmatch.io._json_util import (
    Ctx,
    as_date,
    as_datetime,
    as_int,
    as_list,
    as_location,
    as_num,
    as_obj,
    as_str,
    as_window,
    check_keys,
    fmt_clock,
    fmt_datetime,
    fmt_num,
    json_data,
)
from vmatch.io._json_write import problem_to_dict
from vmatch.io.json_format import MAX_BYTES, _dumps, _guard, _read, _write, problem_from_dict
from vmatch.menu.model import Offer, Order, Rating, ServiceItem
from vmatch.menu.problem import MenuProblem
from vmatch.menu.result import MENU_SOLUTION_FORMAT, REASON_NAMES, MenuResult, menu_result_to_dict
from vmatch.model import MAX_LEVEL, MAX_PRIORITY, Problem, Task
from vmatch.result import Assignment, Result, Shortfall, Status

__all__ = [
    "MENU_FIELDS",
    "dumps_menu_problem",
    "loads_menu_problem",
    "menu_plan_from_dict",
    "menu_problem_from_dict",
    "menu_problem_to_dict",
    "menu_result_to_dict",
    "read_events",
    "read_menu_plan",
    "read_menu_problem",
    "write_menu_problem",
    "write_menu_solution",
]

PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]

MENU_FIELDS: dict[str, tuple[str, ...]] = {
    "document": ("format", "settings", "volunteers", "menu", "extra"),
    "menu": ("items", "offers", "orders", "ratings"),
    "item": ("id", "name", "category", "duration", "headcount", "skills", "requirements", "certificates"),
    "offer": ("id", "provider", "item", "windows", "weekly", "capacity", "radius_km", "location", "ranked_requesters"),
    "order": ("id", "requester", "item", "window", "location", "priority", "ranked_providers", "refused_providers"),
    "rating": ("order", "provider", "stars", "date"),
    "events": ("accepted", "declined", "withdrawn", "cancelled", "added"),
    "solution": ("format", "mode", "status", "objective", "assignments", "unserved", "breakdown", "stats"),
    "assignment": ("order", "provider", "offer", "start", "crew"),
}
"""Field names accepted per kind of menu object."""


def _need(ctx: Ctx, d: Mapping[str, Any], key: str) -> Any:
    if key not in d:
        ctx.fail(key, "is missing (required)")
    return d[key]


def _start(kind: str, n: int, x: object, id_key: str = "id") -> tuple[Ctx, Mapping[str, Any]]:
    ctx = Ctx(f"{kind}s[{n}]")
    d = as_obj(Ctx("menu"), f"{kind}s[{n}]", x)
    oid = as_str(ctx, id_key, _need(ctx, d, id_key))
    ctx.name = f"{kind} {oid!r}"
    check_keys(ctx, d, MENU_FIELDS[kind])
    return ctx, d


def _strs(ctx: Ctx, d: Mapping[str, Any], key: str) -> tuple[str, ...]:
    xs = as_list(ctx, key, d.get(key, []))
    return tuple(as_str(ctx, f"{key}[{n}]", x) for n, x in enumerate(xs))


def _item(n: int, x: object) -> ServiceItem:
    ctx, d = _start("item", n, x)
    skills = {}
    for k, v in as_obj(ctx, "skills", d.get("skills", {})).items():
        if not k:
            ctx.fail("skills", "has an empty skill name")
        skills[k] = as_int(ctx, f"skills.{k}", v, 1, MAX_LEVEL)
    reqs = as_list(ctx, "requirements", d.get("requirements", []))
    with ctx.model():
        return ServiceItem(
            d["id"],
            as_str(ctx, "name", _need(ctx, d, "name")),
            as_str(ctx, "category", _need(ctx, d, "category")),
            as_int(ctx, "duration", _need(ctx, d, "duration"), 1, 7 * 1440),
            as_int(ctx, "headcount", d.get("headcount", 1), 1, 100),
            skills,
            tuple(_requirement(ctx, i, r) for i, r in enumerate(reqs)),
            _strs(ctx, d, "certificates"),
        )


def _offer(n: int, x: object) -> Offer:
    ctx, d = _start("offer", n, x)
    wins = as_list(ctx, "windows", d.get("windows", []))
    weekly = as_list(ctx, "weekly", d.get("weekly", []))
    cap = d.get("capacity")
    rad = d.get("radius_km")
    loc = d.get("location")
    with ctx.model():
        return Offer(
            d["id"],
            as_str(ctx, "provider", _need(ctx, d, "provider")),
            as_str(ctx, "item", _need(ctx, d, "item")),
            tuple(as_window(ctx, f"windows[{i}]", w) for i, w in enumerate(wins)),
            tuple(_weekly(ctx, i, r) for i, r in enumerate(weekly)),
            None if cap is None else as_int(ctx, "capacity", cap, 0),
            None if rad is None else float(as_num(ctx, "radius_km", rad, 0.0, 40075.0)),
            None if loc is None else as_location(ctx, "location", loc),
            _strs(ctx, d, "ranked_requesters"),
        )


def _order(n: int, x: object) -> Order:
    ctx, d = _start("order", n, x)
    with ctx.model():
        return Order(
            d["id"],
            as_str(ctx, "requester", _need(ctx, d, "requester")),
            as_str(ctx, "item", _need(ctx, d, "item")),
            as_window(ctx, "window", _need(ctx, d, "window")),
            as_location(ctx, "location", _need(ctx, d, "location")),
            as_int(ctx, "priority", d.get("priority", 1), 0, MAX_PRIORITY),
            _strs(ctx, d, "ranked_providers"),
            _strs(ctx, d, "refused_providers"),
        )


def _rating(n: int, x: object) -> Rating:
    ctx, d = _start("rating", n, x, id_key="order")
    with ctx.model():
        return Rating(
            d["order"],
            as_str(ctx, "provider", _need(ctx, d, "provider")),
            as_int(ctx, "stars", _need(ctx, d, "stars"), 1, 5),
            as_date(ctx, "date", _need(ctx, d, "date")),
        )


def _unique(kind: str, objs: list[Any]) -> None:
    seen: dict[str, int] = {}
    for n, o in enumerate(objs):
        if o.id in seen:
            raise FormatError(f"{kind} {o.id!r}: field 'id' is a duplicate ({kind}s[{seen[o.id]}] and {kind}s[{n}])")
        seen[o.id] = n


def _menu_problem(d: object) -> MenuProblem:
    root = Ctx("problem")
    if not isinstance(d, Mapping):
        raise FormatError(f"problem: the document must be a JSON object, got {type(d).__name__}")
    as_obj(root, "(document)", d)
    if "menu" not in d:
        root.fail("menu", "is missing (a menu document has a 'menu' section; a dispatch problem has 'tasks')")
    check_keys(root, d, MENU_FIELDS["document"])
    base = problem_from_dict({k: v for k, v in d.items() if k != "menu"})
    ctx = Ctx("menu")
    m = as_obj(root, "menu", d["menu"])
    check_keys(ctx, m, MENU_FIELDS["menu"])
    items = [_item(n, x) for n, x in enumerate(as_list(ctx, "items", m.get("items", [])))]
    offers = [_offer(n, x) for n, x in enumerate(as_list(ctx, "offers", m.get("offers", [])))]
    orders = [_order(n, x) for n, x in enumerate(as_list(ctx, "orders", m.get("orders", [])))]
    ratings = [_rating(n, x) for n, x in enumerate(as_list(ctx, "ratings", m.get("ratings", [])))]
    for kind, objs in (("item", items), ("offer", offers), ("order", orders)):
        _unique(kind, objs)
    try:
        return MenuProblem(
            tuple(items), tuple(offers), tuple(orders), base.volunteers, tuple(ratings), base.settings, base.extra
        )
    except FormatError:
        raise
    except ModelError as e:
        raise FormatError(str(e)) from None


def menu_problem_from_dict(d: Mapping[str, Any]) -> MenuProblem:
    """Build a :class:`MenuProblem` from a parsed menu document (raises :class:`FormatError`)."""
    with _guard("menu problem"):
        return _menu_problem(d)


def loads_menu_problem(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> MenuProblem:
    """Parse a menu document from JSON text."""
    return menu_problem_from_dict(parse_json(text, "problem", max_bytes))


def read_menu_problem(path_or_file: PathOrFile, *, max_bytes: int = MAX_BYTES) -> MenuProblem:
    """Read a menu document from a path or an open file (raises :class:`FormatError`, ``OSError``)."""
    return loads_menu_problem(_read(path_or_file, "problem", max_bytes), max_bytes=max_bytes)


def menu_problem_to_dict(mp: MenuProblem) -> dict[str, Any]:
    """The menu document of ``mp`` as plain JSON data (reads back equal)."""
    d = problem_to_dict(Problem(volunteers=mp.volunteers, settings=mp.settings, extra=mp.extra))
    del d["tasks"]

    def loc(x: Any) -> list[Any]:
        return [fmt_num(x.lat), fmt_num(x.lon)]

    items = []
    for i in mp.items:
        it: dict[str, Any] = {
            "id": i.id,
            "name": i.name,
            "category": i.category,
            "duration": i.duration,
            "headcount": i.headcount,
        }
        if i.skills:
            it["skills"] = dict(i.skills)
        if i.requirements:
            it["requirements"] = [{"skill": r.skill, "level": r.level, "count": r.count} for r in i.requirements]
        if i.certificates:
            it["certificates"] = list(i.certificates)
        items.append(it)
    offers = []
    for o in mp.offers:
        ctx = Ctx(f"offer {o.id!r}")
        od: dict[str, Any] = {"id": o.id, "provider": o.provider, "item": o.item}
        if o.windows:
            od["windows"] = [[fmt_datetime(w.start), fmt_datetime(w.end)] for w in o.windows]
        if o.weekly:
            od["weekly"] = [
                {
                    "days": list(r.days),
                    "start": fmt_clock(ctx, f"weekly[{n}].start", r.start),
                    "end": fmt_clock(ctx, f"weekly[{n}].end", r.end, end=True),
                }
                for n, r in enumerate(o.weekly)
            ]
        for key in ("capacity", "radius_km"):
            if getattr(o, key) is not None:
                od[key] = fmt_num(getattr(o, key))
        if o.location is not None:
            od["location"] = loc(o.location)
        if o.ranked_requesters:
            od["ranked_requesters"] = list(o.ranked_requesters)
        offers.append(od)
    orders = []
    for r in mp.orders:
        rd: dict[str, Any] = {
            "id": r.id,
            "requester": r.requester,
            "item": r.item,
            "window": [fmt_datetime(r.window.start), fmt_datetime(r.window.end)],
            "location": loc(r.location),
            "priority": r.priority,
        }
        if r.ranked_providers:
            rd["ranked_providers"] = list(r.ranked_providers)
        if r.refused_providers:
            rd["refused_providers"] = list(r.refused_providers)
        orders.append(rd)
    ratings = [
        {"order": x.order, "provider": x.provider, "stars": x.stars, "date": x.date.isoformat()} for x in mp.ratings
    ]
    menu: dict[str, Any] = {"items": items, "offers": offers, "orders": orders}
    if ratings:
        menu["ratings"] = ratings
    out = {k: v for k, v in d.items() if k != "extra"}
    out["menu"] = menu
    if "extra" in d:
        out["extra"] = d["extra"]
    return out


def dumps_menu_problem(mp: MenuProblem) -> str:
    """The menu document of ``mp`` as JSON text."""
    return _dumps(menu_problem_to_dict(mp)) + "\n"


def write_menu_problem(mp: MenuProblem, path_or_file: PathOrFile) -> None:
    """Write ``mp`` as a menu document to a path or an open file."""
    _write(dumps_menu_problem(mp), path_or_file)


def write_menu_solution(result: MenuResult, path_or_file: PathOrFile) -> None:
    """Write a ``vmatch-menu-solution/1`` document to a path or an open file."""
    _write(_dumps(menu_result_to_dict(result)) + "\n", path_or_file)


def menu_plan_from_dict(d: object, problem: Problem, provider: Mapping[str, str] | None = None) -> Result:
    """A parsed ``vmatch-menu-solution/1`` document as the plan it describes on the compiled
    ``problem`` (:func:`vmatch.menu.menu_to_problem` of the same menu): each assignment is its
    offer (a volunteer there) on its order (a task) from its start, and each unserved order a
    shortfall of its whole head-count with its reasons under their dispatch names. This is the
    ``previous_result`` of :func:`vmatch.replan` on a menu. ``provider`` (offer id -> provider id,
    :class:`vmatch.menu.compile.MenuMapping`'s) checks each assignment's provider too.

    Raises
    ------
    FormatError
        One line naming the field, for any deviation from the format, an offer or order the
        problem does not know, or a provider that does not make the offer.
    """
    with _guard("solution"):
        ctx = Ctx("solution")
        m = as_obj(ctx, "(document)", d)
        if m.get("format") != MENU_SOLUTION_FORMAT:
            hint = " (a dispatch solution: use the dispatch problem)" if m.get("format") == "vmatch-solution/1" else ""
            ctx.fail("format", f"must be {MENU_SOLUTION_FORMAT!r}, got {m.get('format')!r}{hint}")
        check_keys(ctx, m, MENU_FIELDS["solution"])
        names = [x.value for x in Status]
        if m.get("status") not in names:
            ctx.fail("status", f"must be one of {', '.join(names)}, got {m.get('status')!r}")
        offers = {v.id: v for v in problem.volunteers}
        tasks = {t.id: t for t in problem.tasks}
        provider = provider or {}
        out = []
        for n, x in enumerate(as_list(ctx, "assignments", m.get("assignments", []))):
            fld = f"assignments[{n}]"
            a = as_obj(ctx, fld, x)
            check_keys(ctx, a, MENU_FIELDS["assignment"], prefix=f"{fld}.")
            for key in ("order", "offer", "start"):
                if key not in a:
                    ctx.fail(f"{fld}.{key}", "is missing (required)")
            oid, tid = as_str(ctx, f"{fld}.offer", a["offer"]), as_str(ctx, f"{fld}.order", a["order"])
            if oid not in offers:
                ctx.fail(f"{fld}.offer", f"names unknown offer {oid!r}")
            if tid not in tasks:
                ctx.fail(f"{fld}.order", f"names unknown order {tid!r}")
            if "provider" in a and oid in provider and as_str(ctx, f"{fld}.provider", a["provider"]) != provider[oid]:
                ctx.fail(f"{fld}.provider", f"is {a['provider']!r}, but offer {oid!r} is made by {provider[oid]!r}")
            out.append(Assignment(oid, tid, as_datetime(ctx, f"{fld}.start", a["start"])))
        back = {v: k for k, v in REASON_NAMES.items()}
        short = {}
        for tid, why in as_obj(ctx, "unserved", m.get("unserved", {})).items():
            if tid not in tasks:
                ctx.fail("unserved", f"names unknown order {tid!r}")
            r = as_obj(ctx, f"unserved.{tid}", why)
            reasons = {back.get(k, k): as_int(ctx, f"unserved.{tid}.{k}", v, 0) for k, v in r.items()}
            short[tid] = Shortfall(tid, tasks[tid].headcount, reasons)
        # the stats carry the events of earlier re-plans (``stats.events``), which hold again
        stats = json_data(ctx, "stats", as_obj(ctx, "stats", m.get("stats", {})))
        return Result(
            status=Status(m["status"]),
            assignments=tuple(sorted(out, key=lambda a: a.task)),
            unassigned=short,
            stats=stats,
        )


def read_menu_plan(
    path_or_file: PathOrFile,
    problem: Problem,
    provider: Mapping[str, str] | None = None,
    *,
    max_bytes: int = MAX_BYTES,
) -> Result:
    """Read a ``vmatch-menu-solution/1`` document as a plan on the compiled ``problem`` (see
    :func:`menu_plan_from_dict`)."""
    text = _read(path_or_file, "solution", max_bytes)
    return menu_plan_from_dict(parse_json(text, "solution", max_bytes), problem, provider)


def _pairs(ctx: Ctx, key: str, x: object) -> tuple[tuple[str, str], ...]:
    out = []
    for n, p in enumerate(as_list(ctx, key, x)):
        if not isinstance(p, list | tuple) or len(p) != 2:
            ctx.fail(f"{key}[{n}]", "must be a [volunteer id, task id] pair")
        out.append((as_str(ctx, f"{key}[{n}][0]", p[0]), as_str(ctx, f"{key}[{n}][1]", p[1])))
    return tuple(out)


def events_from_dict(d: object) -> dict[str, Any]:
    """Replan events from parsed JSON (see :func:`read_events`)."""
    with _guard("events"):
        ctx = Ctx("events")
        m = as_obj(ctx, "(document)", d)
        check_keys(ctx, m, MENU_FIELDS["events"])
        added: list[Task] = [_task(n, x) for n, x in enumerate(as_list(ctx, "added", m.get("added", [])))]
        return {
            "accepted": _pairs(ctx, "accepted", m.get("accepted", [])),
            "declined": _pairs(ctx, "declined", m.get("declined", [])),
            "withdrawn": _strs(ctx, m, "withdrawn"),
            "cancelled": _strs(ctx, m, "cancelled"),
            "added": tuple(added),
        }


def read_events(path_or_file: PathOrFile, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read replan events: ``{"accepted": [[v, t]], "declined": [[v, t]], "withdrawn": [v],
    "cancelled": [t], "added": [task objects as in vmatch/1]}``.

    Returns keyword arguments for :func:`vmatch.replan` (unknown ids are checked there).

    >>> import io
    >>> ev = read_events(io.StringIO('{"declined": [["v1", "t1"]], "withdrawn": ["v2"]}'))
    >>> ev["declined"], ev["withdrawn"], ev["added"]
    ((('v1', 't1'),), ('v2',), ())
    """
    return events_from_dict(parse_json(_read(path_or_file, "events", max_bytes), "events", max_bytes))
