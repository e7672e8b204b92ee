"""Checked access to parsed JSON: every failure is one :class:`FormatError` line.

The readers of :mod:`vmatch.io.json_format` build on these helpers. A :class:`Ctx` names
the object being read (``task 't7'``, ``volunteers[3]``, ``settings``); each helper takes
the field name and raises ``FormatError("<object>: field '<field>' <what is wrong>")``.

Examples
--------
>>> ctx = Ctx("task 't1'")
>>> as_int(ctx, "headcount", 2, 1)
2
>>> as_int(ctx, "headcount", True, 1)
Traceback (most recent call last):
...
vmatch.errors.FormatError: task 't1': field 'headcount' must be an integer, got True
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any, NoReturn

from vmatch.errors import FormatError, ModelError
from vmatch.model import Location, TimeWindow, int_range_error

__all__ = [
    "MAX_DEPTH",
    "Ctx",
    "as_clock",
    "as_date",
    "as_datetime",
    "as_int",
    "as_list",
    "as_location",
    "as_num",
    "as_obj",
    "as_opt_num",
    "as_str",
    "as_window",
    "check_keys",
    "fmt_clock",
    "fmt_datetime",
    "fmt_num",
    "json_data",
]

MAX_DEPTH = 64
"""Deepest nesting accepted inside free data (``extra``, ``stats``)."""

_DT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)")
_NAIVE_RE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class Ctx:
    """The object being read, used as the start of every error message."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, fld: str, msg: str) -> NoReturn:
        """Raise ``FormatError("<name>: field '<fld>' <msg>")``."""
        raise FormatError(f"{self.name}: field {fld!r} {msg}")

    @contextmanager
    def model(self) -> Iterator[None]:
        """Turn a :class:`ModelError` from a model constructor into a :class:`FormatError`."""
        try:
            yield
        except FormatError:
            raise
        except ModelError as e:
            msg = str(e)
            if not msg.startswith(("volunteer ", "task ", "settings", "problem")):
                msg = f"{self.name}: {msg}"
            raise FormatError(msg) from None


def _short(x: object) -> str:
    try:
        r = repr(x)
    except ValueError:  # an integer too long to print
        return "a very large number"
    return r if len(r) <= 60 else r[:57] + "..."


def _type_name(x: object) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, str):
        return "a string"
    if isinstance(x, numbers.Number):
        return "a number"
    if isinstance(x, Mapping):
        return "an object"
    if isinstance(x, list | tuple):
        return "an array"
    return type(x).__name__


def check_keys(ctx: Ctx, m: Mapping[str, Any], allowed: Collection[str], prefix: str = "") -> None:
    """Refuse keys of ``m`` that are not in ``allowed``."""
    for k in m:
        if k not in allowed:
            known = ", ".join(allowed)
            ctx.fail(f"{prefix}{k}", f"is unknown (known fields: {known}; put free data under 'extra')")


def as_obj(ctx: Ctx, fld: str, x: object) -> Mapping[str, Any]:
    """A JSON object with string keys."""
    if not isinstance(x, Mapping):
        ctx.fail(fld, f"must be an object, got {_type_name(x)}")
    for k in x:
        if not isinstance(k, str):
            ctx.fail(fld, f"has a key that is not a string: {_short(k)}")
    return x


def as_list(ctx: Ctx, fld: str, x: object) -> list[Any] | tuple[Any, ...]:
    """A JSON array."""
    if not isinstance(x, list | tuple):
        ctx.fail(fld, f"must be an array, got {_type_name(x)}")
    return x


def as_str(ctx: Ctx, fld: str, x: object) -> str:
    """A non-empty string."""
    if not isinstance(x, str):
        ctx.fail(fld, f"must be a string, got {_type_name(x)}")
    if not x:
        ctx.fail(fld, "must not be empty")
    return x


def as_int(ctx: Ctx, fld: str, x: object, lo: int, hi: int | None = None) -> int:
    """An integer in ``[lo, hi]`` (``hi`` None: at most :data:`vmatch.model.MAX_INT`; a number with
    no fraction, like ``2.0``, counts; booleans do not)."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        x = int(x)
    if isinstance(x, bool) or not isinstance(x, int):
        ctx.fail(fld, f"must be an integer, got {_short(x)}")
    why = int_range_error(x, lo, hi)
    if why:
        ctx.fail(fld, f"{why}, got {_short(x)}")
    return x


def as_num(ctx: Ctx, fld: str, x: object, lo: float, hi: float) -> float:
    """A finite number in ``[lo, hi]`` (an int stays an int)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        ctx.fail(fld, f"must be a number, got {_short(x)}")
    if isinstance(x, float) and not math.isfinite(x):
        ctx.fail(fld, f"must be a finite number, got {x}")
    if not lo <= x <= hi:
        ctx.fail(fld, f"must be in [{lo:g}, {hi:g}], got {_short(x)}")
    return x


def as_opt_num(ctx: Ctx, fld: str, x: object) -> float:
    """A finite number, or null read as NaN."""
    if x is None:
        return math.nan
    return float(as_num(ctx, fld, x, -1e300, 1e300))


def as_datetime(ctx: Ctx, fld: str, x: object) -> datetime:
    """An ISO 8601 date-time with a UTC offset (``2026-12-05T09:00+08:00``); naive times are refused."""
    if not isinstance(x, str):
        ctx.fail(fld, f"must be an ISO 8601 date-time string, got {_type_name(x)}")
    if not _DT_RE.fullmatch(x):
        if _NAIVE_RE.fullmatch(x):
            ctx.fail(fld, f"has no UTC offset: {_short(x)} (naive times are refused; write e.g. +08:00 or Z)")
        ctx.fail(fld, f"must be an ISO 8601 date-time like 2026-12-05T09:00+08:00, got {_short(x)}")
    try:
        t = datetime.fromisoformat(x)
        t.astimezone(UTC)  # OverflowError at the ends of the calendar
        return t
    except (ValueError, OverflowError) as e:
        reason = str(e)
    ctx.fail(fld, f"is not a valid date-time: {_short(x)} ({reason})")


def as_date(ctx: Ctx, fld: str, x: object) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    if not isinstance(x, str) or not _DATE_RE.fullmatch(x):
        ctx.fail(fld, f"must be a date YYYY-MM-DD or null, got {_short(x)}")
    try:
        return date.fromisoformat(x)
    except ValueError as e:
        reason = str(e)
    ctx.fail(fld, f"is not a valid date: {_short(x)} ({reason})")


def as_clock(ctx: Ctx, fld: str, x: object, *, end: bool = False) -> time:
    """A local clock time ``HH:MM``; for an end, ``24:00`` is midnight (``time(0)``)."""
    if end and x == "24:00":
        return time(0)
    m = _CLOCK_RE.fullmatch(x) if isinstance(x, str) else None
    if m is None:
        ctx.fail(fld, f"must be a clock time HH:MM{' (or 24:00)' if end else ''}, got {_short(x)}")
    return time(int(m.group(1)), int(m.group(2)))


def as_location(ctx: Ctx, fld: str, x: object) -> Location:
    """``[lat, lon]`` in degrees."""
    if not isinstance(x, list | tuple) or len(x) != 2:
        got = f"an array of {len(x)}" if isinstance(x, list | tuple) else _type_name(x)
        ctx.fail(fld, f"must be [lat, lon] in degrees, got {got}")
    lat = as_num(ctx, f"{fld}[0] (latitude)", x[0], -90.0, 90.0)
    lon = as_num(ctx, f"{fld}[1] (longitude)", x[1], -180.0, 180.0)
    with ctx.model():
        return Location(lat, lon)


def as_window(ctx: Ctx, fld: str, x: object) -> TimeWindow:
    """``[start, end]`` date-times with ``end`` after ``start``."""
    if not isinstance(x, list | tuple) or len(x) != 2:
        ctx.fail(fld, f"must be a [start, end] pair of date-times, got {_short(x)}")
    s = as_datetime(ctx, f"{fld}[0]", x[0])
    e = as_datetime(ctx, f"{fld}[1]", x[1])
    if e <= s:
        ctx.fail(fld, f"ends ({x[1]}) before or at its start ({x[0]})")
    with ctx.model():
        return TimeWindow(s, e)


def json_data(ctx: Ctx, fld: str, x: object, depth: int = 0) -> Any:
    """A plain copy of free JSON data (objects, arrays, strings, finite numbers, booleans, null)."""
    if depth > MAX_DEPTH:
        ctx.fail(fld, f"is nested deeper than {MAX_DEPTH} levels")
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        if not math.isfinite(x):
            ctx.fail(fld, f"must hold finite numbers only, got {x}")
        return float(x)
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                ctx.fail(fld, f"has a key that is not a string: {_short(k)}")
            out[k] = json_data(ctx, f"{fld}.{k}", v, depth + 1)
        return out
    if isinstance(x, list | tuple):
        return [json_data(ctx, f"{fld}[{n}]", v, depth + 1) for n, v in enumerate(x)]
    ctx.fail(fld, f"must be JSON data, got {type(x).__name__}")


def fmt_datetime(t: datetime) -> str:
    """ISO 8601 with offset; minutes precision when seconds are zero."""
    if t.second == 0 and t.microsecond == 0:
        return t.isoformat(timespec="minutes")
    return t.isoformat()


def fmt_clock(ctx: Ctx, fld: str, t: time, *, end: bool = False) -> str:
    """``HH:MM`` (``24:00`` for a midnight end)."""
    if t.second or t.microsecond:
        ctx.fail(fld, f"cannot be written: {t} is not a whole minute")
    if end and t == time(0):
        return "24:00"
    return f"{t.hour:02d}:{t.minute:02d}"


def fmt_num(x: float) -> float | None:
    """A finite number as itself, NaN and infinities as None (written as null)."""
    if isinstance(x, numbers.Integral):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None
