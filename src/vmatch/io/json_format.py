"""The ``vmatch/1`` JSON interchange format: problems and solutions (see ``docs/format.md``).

Readers refuse bad input with one :class:`vmatch.FormatError` line naming the object and
the field (``task 't7': field 'headcount' must be in [1, 100000], got 0``); they never return a
half-built problem. Writers produce documents that read back equal.

Examples
--------
>>> p = loads_problem('''{"format": "vmatch/1",
...   "volunteers": [{"id": "v1", "location": [30.66, 114.31], "skills": {"first_aid": 2}}],
...   "tasks": [{"id": "t1", "location": [30.61, 114.28], "duration": 60,
...              "window": ["2026-12-05T09:00+08:00", "2026-12-05T11:00+08:00"]}]}''')
>>> p.task("t1").duration_minutes, p.settings.timezone
(60, 'UTC')
>>> loads_problem(dumps_problem(p)) == p
True
>>> loads_problem('{"format": "vmatch/1", "tasks": [{"id": "t1", "headcount": 0}]}')
Traceback (most recent call last):
...
vmatch.errors.FormatError: task 't1': field 'location' is missing (required)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import IO, Any

from vmatch.errors import FormatError
from vmatch.io import _json_read, _json_solution
from vmatch.io._json_read import FORMAT
from vmatch.io._json_solution import SOLUTION_FORMAT
from vmatch.io._json_text import parse_json
from vmatch.io._json_write import problem_to_dict
from vmatch.model import Problem
from vmatch.result import Result

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "SOLUTION_FORMAT",
    "dumps_problem",
    "dumps_solution",
    "json_schema",
    "loads_problem",
    "loads_solution",
    "problem_from_dict",
    "problem_to_dict",
    "read_problem",
    "read_solution",
    "result_from_dict",
    "result_to_dict",
    "write_problem",
    "write_solution",
]

logger = logging.getLogger(__name__)

MAX_BYTES = 256 * 2**20
"""Default size limit of a document; larger input is refused before it is parsed."""

PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]


@contextmanager
def _guard(what: str) -> Iterator[None]:
    """Last line of defence: no exception other than FormatError leaves a reader."""
    try:
        yield
    except FormatError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError, RecursionError) as e:
        logger.debug("unexpected %s while reading a %s", type(e).__name__, what)
        raise FormatError(f"{what}: cannot be read ({type(e).__name__})") from None


def problem_from_dict(d: Mapping[str, Any]) -> Problem:
    """Build a :class:`Problem` from a parsed ``vmatch/1`` document (raises :class:`FormatError`)."""
    with _guard("problem"):
        return _json_read.problem_from_dict(d)


def result_from_dict(d: Mapping[str, Any], problem: Problem) -> Result:
    """Read a parsed ``vmatch-solution/1`` document against ``problem`` (raises :class:`FormatError`)."""
    with _guard("solution"):
        return _json_solution.result_from_dict(d, problem)


def result_to_dict(result: Result, problem: Problem) -> dict[str, Any]:
    """The ``vmatch-solution/1`` document of ``result``; starts in the problem's time zone, NaN as null."""
    return _json_solution.result_to_dict(result, problem)


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _dumps(x: Any, indent: int = 0) -> str:
    """JSON text, one line per value that fits in 100 characters (arrays of objects always broken)."""
    if isinstance(x, dict | list) and x:
        one = _ENCODER.encode(x)
        objects = isinstance(x, list) and any(isinstance(v, dict) for v in x)
        if indent + len(one) <= 100 and not objects:
            return one
        pad, inner = " " * indent, " " * (indent + 2)
        if isinstance(x, dict):
            key = [_ENCODER.encode(k) for k in x]
            items = [f"{inner}{k}: {_dumps(v, indent + 2)}" for k, v in zip(key, x.values(), strict=True)]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        return "[\n" + ",\n".join(f"{inner}{_dumps(v, indent + 2)}" for v in x) + "\n" + pad + "]"
    return _ENCODER.encode(x)


def dumps_problem(p: Problem) -> str:
    """The ``vmatch/1`` document of ``p`` as JSON text (UTF-8 safe, ends with a newline)."""
    return _dumps(problem_to_dict(p)) + "\n"


def loads_problem(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> Problem:
    """Parse ``vmatch/1`` JSON text (raises :class:`FormatError` naming the object and field)."""
    return problem_from_dict(parse_json(text, "problem", max_bytes))


def dumps_solution(result: Result, problem: Problem) -> str:
    """The ``vmatch-solution/1`` document of ``result`` as JSON text."""
    return _dumps(result_to_dict(result, problem)) + "\n"


def loads_solution(text: str | bytes, problem: Problem, *, max_bytes: int = MAX_BYTES) -> Result:
    """Parse ``vmatch-solution/1`` JSON text of a solve of ``problem``."""
    return result_from_dict(parse_json(text, "solution", max_bytes), problem)


def _read(src: PathOrFile, what: str, max_bytes: int) -> str | bytes:
    if hasattr(src, "read"):
        data = src.read(max_bytes + 1)
    else:
        with open(os.fspath(src), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise FormatError(f"{what}: file is {size} bytes, over the limit of {max_bytes} bytes")
            data = f.read(max_bytes + 1)
    if not isinstance(data, str | bytes):
        raise FormatError(f"{what}: the file object returned {type(data).__name__}, not text")
    if len(data) > max_bytes:
        raise FormatError(f"{what}: input is larger than the limit of {max_bytes} bytes (refused unread)")
    return data


def _write(text: str, dst: PathOrFile) -> None:
    if hasattr(dst, "write"):
        out: Any = dst
        try:
            out.write(text)
        except TypeError:  # a binary file
            out.write(text.encode("utf-8"))
    else:
        Path(os.fspath(dst)).write_text(text, encoding="utf-8")


def read_problem(path_or_file: PathOrFile, *, max_bytes: int = MAX_BYTES) -> Problem:
    """Read a ``vmatch/1`` problem from a path or an open (text or binary) file.

    Parameters
    ----------
    path_or_file : str, os.PathLike or file object
        A path (a ``str`` is a path, not JSON text: see :func:`loads_problem`) or a file.
    max_bytes : int
        Larger input is refused before it is parsed.

    Raises
    ------
    FormatError
        Malformed, oversized or invalid input (one line naming the object and field).
    OSError
        The file cannot be opened.
    """
    return loads_problem(_read(path_or_file, "problem", max_bytes), max_bytes=max_bytes)


def write_problem(p: Problem, path_or_file: PathOrFile) -> None:
    """Write ``p`` as a ``vmatch/1`` document (UTF-8) to a path or an open file."""
    _write(dumps_problem(p), path_or_file)


def read_solution(path_or_file: PathOrFile, problem: Problem, *, max_bytes: int = MAX_BYTES) -> Result:
    """Read a ``vmatch-solution/1`` document of a solve of ``problem`` from a path or file."""
    return loads_solution(_read(path_or_file, "solution", max_bytes), problem, max_bytes=max_bytes)


def write_solution(result: Result, path_or_file: PathOrFile, problem: Problem) -> None:
    """Write ``result`` as a ``vmatch-solution/1`` document to a path or an open file."""
    _write(dumps_solution(result, problem), path_or_file)


def json_schema(kind: str = "problem") -> dict[str, Any]:
    """The bundled JSON Schema (draft 2020-12) of a document: ``problem`` (``vmatch/1``, with its
    menu and pairing sections), ``solution`` (``vmatch-solution/1``), ``menu-solution`` or
    ``pairing-solution``.

    >>> json_schema("solution")["properties"]["format"]["const"]
    'vmatch-solution/1'
    >>> json_schema("menu-solution")["properties"]["format"]["const"]
    'vmatch-menu-solution/1'
    """
    names = {
        "problem": "vmatch-1.schema.json",
        "solution": "vmatch-solution-1.schema.json",
        "menu-solution": "vmatch-menu-solution-1.schema.json",
        "pairing-solution": "vmatch-pairing-solution-1.schema.json",
    }
    if kind not in names:
        raise ValueError(f"json_schema: kind must be one of {sorted(names)}, got {kind!r}")
    text = resources.files("vmatch").joinpath("schema", names[kind]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
