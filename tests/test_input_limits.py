"""Integer limits and oversized inputs: refused with one named error, never a crash deeper down.

A document that reads can still break the compiler (a 10**20 workload limit does not fit the
64-bit tables; a task window of a century has millions of starts). These tests pin the limits
in the model, the readers and the schema together, and mutate menu and pairing documents at
random through reading *and* compiling: only :class:`~vmatch.errors.ModelError` may come out.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmatch._pairing_compile import compile_pairing
from vmatch.compile import MAX_STARTS, compile_problem
from vmatch.errors import FormatError, ModelError
from vmatch.gen.menu import generate_menu
from vmatch.generate import GENERATORS
from vmatch.io.json_format import json_schema, problem_from_dict, problem_to_dict
from vmatch.io.menu_json import menu_problem_from_dict, menu_problem_to_dict
from vmatch.io.pairing_json import pairing_problem_from_dict, pairing_problem_to_dict
from vmatch.menu.compile import menu_to_problem
from vmatch.model import MAX_HEADCOUNT, MAX_INT, MAX_MINUTES, MAX_PRIORITY, Task
from vmatch.pairing import generate_pairing

W = ["2026-12-05T09:00+08:00", "2026-12-05T12:00+08:00"]


def doc() -> dict[str, Any]:
    return {
        "format": "vmatch/1",
        "volunteers": [{"id": "v1", "location": [30.6, 114.3], "availability": [W]}],
        "tasks": [
            {
                "id": "t1",
                "location": [30.6, 114.3],
                "window": W,
                "duration": 60,
                "requirements": [{"skill": "driving", "count": 1}],
            }
        ],
    }


def put(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = d
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    return d


LIMITS = [
    ("volunteers.0.max_minutes", "volunteer 'v1'", "max_minutes", MAX_MINUTES),
    ("volunteers.0.max_minutes_per_day", "volunteer 'v1'", "max_minutes_per_day", MAX_MINUTES),
    ("tasks.0.headcount", "task 't1'", "headcount", MAX_HEADCOUNT),
    ("tasks.0.priority", "task 't1'", "priority", MAX_PRIORITY),
    ("tasks.0.requirements.0.count", "task 't1'", "requirements[0].count", MAX_HEADCOUNT),
]


@pytest.mark.parametrize(("path", "obj", "fld", "limit"), LIMITS, ids=[x[0] for x in LIMITS])
def test_dispatch_limits_accept_the_limit_and_refuse_one_more(path: str, obj: str, fld: str, limit: int) -> None:
    d = doc()
    if fld == "requirements[0].count":
        put(d, "tasks.0.headcount", MAX_HEADCOUNT)
    p = problem_from_dict(put(d, path, limit))
    assert compile_problem(p).arcs.n_arcs == 9  # the one volunteer at each of the 9 starts (9:00-11:00)
    with pytest.raises(FormatError) as e:
        problem_from_dict(put(doc(), path, limit + 1))
    assert str(e.value).startswith(f"{obj}: field '{fld}' must be")
    assert f"got {limit + 1}" in str(e.value)


def test_schema_states_the_same_limits() -> None:
    s = json_schema("problem")["$defs"]
    assert s["minutes_limit"]["maximum"] == MAX_MINUTES
    assert s["task"]["properties"]["headcount"]["maximum"] == MAX_HEADCOUNT
    assert s["task"]["properties"]["min_headcount"]["maximum"] == MAX_HEADCOUNT
    assert s["task"]["properties"]["priority"]["maximum"] == MAX_PRIORITY
    assert s["task"]["properties"]["duration"]["maximum"] == MAX_INT
    req = s["requirement"] if "requirement" in s else s["task"]["properties"]["requirements"]["items"]
    assert req["properties"]["count"]["maximum"] == MAX_HEADCOUNT


def test_model_refuses_what_the_reader_refuses() -> None:
    t = problem_from_dict(doc()).tasks[0]
    with pytest.raises(ModelError, match=r"^task 't1': field 'priority' must be in \[0, 1000000\], got 1000001$"):
        Task(t.id, t.location, t.window, priority=MAX_PRIORITY + 1)
    with pytest.raises(ModelError, match=r"^task 't1': field 'headcount' must be in \[1, 100000\]"):
        Task(t.id, t.location, t.window, headcount=10**20)


def test_any_other_integer_is_capped() -> None:
    d = menu_problem_to_dict(generate_menu(4, 2, seed=0))
    d["menu"]["offers"][0]["capacity"] = MAX_INT + 1
    with pytest.raises(FormatError, match=r"field 'capacity' must be <= 1000000000, got 1000000001$"):
        menu_problem_from_dict(d)
    d["menu"]["offers"][0]["capacity"] = None
    d["menu"]["orders"][0]["priority"] = MAX_PRIORITY + 1
    with pytest.raises(FormatError, match=r"field 'priority' must be in \[0, 1000000\]"):
        menu_problem_from_dict(d)


def test_a_window_with_too_many_starts_is_refused_when_compiled() -> None:
    d = doc()
    put(d, "tasks.0.window", ["2026-01-01T00:00+08:00", "2027-01-01T00:00+08:00"])  # a year at 15 min
    put(d, "volunteers.0.availability", [["2026-01-01T00:00+08:00", "2027-01-01T00:00+08:00"]])
    p = problem_from_dict(d)
    with pytest.raises(ModelError, match=r"^task 't1': field 'window' gives 35,037 starts of 60 min every 15 min"):
        compile_problem(p)
    # the same year with a duration close to the window has few starts, and compiles
    t = p.tasks[0]
    q = problem_from_dict(put(d, "tasks.0.duration", int((t.window.end - t.window.start) / timedelta(minutes=1)) - 60))
    assert compile_problem(q).arcs.n_jobs == 5
    assert MAX_STARTS < 35_037


def test_pairing_workload_beyond_64_bits_is_refused_not_an_overflow() -> None:
    d = pairing_problem_to_dict(generate_pairing(4, 3, seed=1))
    d["volunteers"][0]["max_minutes"] = 10**20  # was an OverflowError in the pairing's eligibility
    with pytest.raises(FormatError, match=r"field 'max_minutes' must be in \[0, 10000000\]"):
        pairing_problem_from_dict(d)


# ---------------------------------------------------------------- mutated documents

ODD = [None, True, 0, -1, 2.5, "", "x", [], {}, 2**63, 10**20, -(10**20), ["2000-01-01T00:00Z", "2100-01-01T00:00Z"]]


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """``base`` with one or two values replaced, keys removed or keys added, anywhere."""
    d = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 2))):
        paths: list[list[Any]] = []
        stack: list[tuple[list[Any], Any]] = [([], d)]
        while stack:
            path, node = stack.pop()
            if path:
                paths.append(path)
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            stack.extend(([*path, k], v) for k, v in items)
        path = draw(st.sampled_from(sorted(paths, key=str)))
        parent: Any = d
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        value = copy.deepcopy(draw(st.sampled_from(ODD)))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["id", "capacity", "windows", "max_minutes", "zz"]))] = value
        else:
            parent[path[-1]] = value
    return d


SCHEMA = jsonschema.Draft202012Validator(json_schema("problem"))


def schema_errors(d: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in SCHEMA.iter_errors(d)]


MENU = json.loads(json.dumps(menu_problem_to_dict(generate_menu(10, 5, seed=1))))
PAIRING = json.loads(json.dumps(pairing_problem_to_dict(generate_pairing(8, 6, seed=1))))
CITY = json.loads(json.dumps(problem_to_dict(GENERATORS["city"](12, 6, seed=1))))


#: Per kind of document: an example, its reader, and its compiler.
KINDS: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "menu": (MENU, menu_problem_from_dict, lambda mp: compile_problem(menu_to_problem(mp)[0])),
    "pairing": (PAIRING, pairing_problem_from_dict, compile_pairing),
    "dispatch": (CITY, problem_from_dict, compile_problem),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_documents_compile_or_give_one_named_error(kind: str, data: st.DataObject) -> None:
    base, read, build = KINDS[kind]
    d = data.draw(mutated(base))
    try:
        problem = read(d)
    except ModelError as e:
        assert "\n" not in str(e)
        return
    assert schema_errors(d) == []  # what the reader takes, the bundled schema takes
    try:
        build(problem)
    except ModelError as e:
        assert "\n" not in str(e)


def test_a_menu_order_with_too_many_starts_is_named_as_the_order() -> None:
    d = menu_problem_to_dict(generate_menu(10, 5, seed=1))
    o = d["menu"]["orders"][3]
    o["window"] = ["2020-01-01T00:00+08:00", "2030-01-01T00:00+08:00"]
    item = next(i for i in d["menu"]["items"] if i["id"] == o["item"])
    n = ((10 * 365 + 3) * 1440 - item["duration"]) // 30 + 1  # ten years with 3 leap days, 30-min steps
    with pytest.raises(ModelError, match=rf"^order '{o['id']}': field 'window' gives {n:,} starts of"):
        compile_problem(menu_to_problem(menu_problem_from_dict(d))[0])
