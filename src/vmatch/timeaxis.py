"""The problem's time axis: integer minutes from an epoch, local dates, weekly rules.

The epoch is local midnight (in the problem's time zone) of the day on which the
earliest task window starts. Weekly rules are expanded into absolute windows over the
horizon, and overlapping or touching windows join into one.

Examples
--------
>>> from datetime import datetime, timezone
>>> ax = TimeAxis(datetime(2026, 12, 5, tzinfo=timezone.utc), "UTC")
>>> ax.minute(datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc))
570
>>> ax.local_date(570).isoformat()
'2026-12-05'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from vmatch.model import Problem, TimeWindow, WeeklyRule

__all__ = ["TimeAxis", "expand_weekly", "merge_intervals"]


class TimeAxis:
    """Conversions between aware datetimes and integer minutes from ``epoch``."""

    __slots__ = ("epoch", "tz")

    def __init__(self, epoch: datetime, timezone: str) -> None:
        self.epoch = epoch
        self.tz = ZoneInfo(timezone)

    @staticmethod
    def for_problem(problem: Problem) -> TimeAxis:
        """Axis whose epoch is local midnight of the earliest task start (or any window)."""
        tz = problem.settings.tz
        starts = [t.window.start for t in problem.tasks]
        if not starts:
            starts = [w.start for v in problem.volunteers for w in v.availability]
        first = min(starts) if starts else datetime(2000, 1, 3, tzinfo=tz)
        d = first.astimezone(tz).date()
        return TimeAxis(datetime(d.year, d.month, d.day, tzinfo=tz), problem.settings.timezone)

    def minute(self, t: datetime) -> int:
        """Whole minutes from the epoch (floor)."""
        return int((t - self.epoch).total_seconds() // 60)

    def datetime(self, minute: int) -> datetime:
        """The aware datetime (in the problem's zone) ``minute`` minutes after the epoch."""
        return (self.epoch + timedelta(minutes=int(minute))).astimezone(self.tz)

    def local_date(self, minute: int) -> date:
        """Local calendar date of the instant ``minute``."""
        return self.datetime(minute).date()

    def window(self, w: TimeWindow) -> tuple[int, int]:
        """A window as ``(start, end)`` minutes."""
        return self.minute(w.start), self.minute(w.end)


def merge_intervals(iv: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and join overlapping or touching ``(start, end)`` intervals."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(iv):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def expand_weekly(rules: Sequence[WeeklyRule], axis: TimeAxis, lo: int, hi: int) -> list[tuple[int, int]]:
    """Absolute ``(start, end)`` minute windows of weekly rules on local days covering ``[lo, hi]``."""
    if not rules:
        return []
    d0 = axis.local_date(lo) - timedelta(days=1)
    d1 = axis.local_date(hi) + timedelta(days=1)
    out = []
    d = d0
    while d <= d1:
        wd = d.isoweekday()
        for r in rules:
            if wd in r.days:
                # aware arithmetic with one tzinfo is wall-clock: DST days keep local hours
                midnight = datetime(d.year, d.month, d.day, tzinfo=axis.tz)
                s = midnight + timedelta(minutes=r.start_minute)
                e = midnight + timedelta(minutes=r.end_minute)
                out.append((axis.minute(s), axis.minute(e)))
        d += timedelta(days=1)
    return out
