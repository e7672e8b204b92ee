"""Time helpers for :mod:`vmatch.verify`: instants, local dates and available time.

Written apart from :mod:`vmatch.timeaxis` on purpose: the checker must not share the
compiler's code. Instants are integer microseconds since the Unix epoch, so comparisons
are exact whatever the ``tzinfo`` of the datetimes they came from.

A volunteer's available time is the union of the one-off windows and the weekly rules
(expanded on the local dates asked for), where overlapping or touching windows join.

Examples
--------
>>> from datetime import date, datetime, time, timezone
>>> from zoneinfo import ZoneInfo
>>> from vmatch.model import Location, TimeWindow, Volunteer, WeeklyRule
>>> tz = ZoneInfo("UTC")
>>> v = Volunteer("v1", Location(0, 0), weekly=(WeeklyRule((6,), time(9), time(17)),),
...               availability=(TimeWindow(datetime(2026, 12, 5, 17, tzinfo=tz),
...                                        datetime(2026, 12, 5, 20, tzinfo=tz)),))
>>> av = available_time(v, [date(2026, 12, 5)], tz)
>>> av.covers(to_us(datetime(2026, 12, 5, 16, tzinfo=tz)), to_us(datetime(2026, 12, 5, 18, tzinfo=tz)))
True
>>> av.covers(to_us(datetime(2026, 12, 5, 8, tzinfo=tz)), to_us(datetime(2026, 12, 5, 10, tzinfo=tz)))
False
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from vmatch.model import Volunteer

__all__ = ["US_PER_MIN", "AvailableTime", "available_time", "days_around", "local_date", "td_us", "to_us"]

US_PER_MIN = 60_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)


def to_us(dt: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (dt - _EPOCH) // _ONE_US


def td_us(td: timedelta) -> int:
    """Microseconds in a timedelta."""
    return td // _ONE_US


def local_date(us: int, tz: tzinfo) -> date:
    """Local calendar date, in ``tz``, of the instant ``us``."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz).date()


def days_around(start_us: int, end_us: int, tz: tzinfo) -> list[date]:
    """Local dates from the day before ``start_us`` to the day after ``end_us``.

    A weekly window that meets ``[start, end]`` lies on one of these dates.
    """
    d = local_date(start_us, tz) - _ONE_DAY
    last = local_date(end_us, tz) + _ONE_DAY
    out = []
    while d <= last:
        out.append(d)
        d += _ONE_DAY
    return out


class AvailableTime:
    """Merged available intervals ``[start, end)`` in microseconds, sorted."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: Iterable[tuple[int, int]]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for s, e in sorted(intervals):
            if starts and s <= ends[-1]:
                if e > ends[-1]:
                    ends[-1] = e
            else:
                starts.append(s)
                ends.append(e)
        self.starts = starts
        self.ends = ends

    def covers(self, start_us: int, end_us: int) -> bool:
        """True when ``[start_us, end_us)`` lies inside one merged interval."""
        i = bisect_right(self.starts, start_us) - 1
        return i >= 0 and end_us <= self.ends[i]


def _wall(day: date, t: time, tz: tzinfo) -> int:
    return to_us(datetime(day.year, day.month, day.day, t.hour, t.minute, t.second, t.microsecond, tzinfo=tz))


def available_time(vol: Volunteer, days: Iterable[date], tz: tzinfo) -> AvailableTime | None:
    """The volunteer's available time on ``days`` (all one-off windows are included).

    Returns None when the volunteer has neither one-off windows nor weekly rules
    (always available). Weekly times are local wall-clock times in ``tz``; a rule ending at
    ``time(0)`` ends at midnight after its day.
    """
    if not vol.availability and not vol.weekly:
        return None
    iv = [(to_us(w.start), to_us(w.end)) for w in vol.availability]
    if vol.weekly:
        for d in days:
            wd = d.isoweekday()
            for r in vol.weekly:
                if wd in r.days:
                    end = _wall(d + _ONE_DAY, time(0), tz) if r.end == time(0) else _wall(d, r.end, tz)
                    iv.append((_wall(d, r.start, tz), end))
    return AvailableTime(iv)
