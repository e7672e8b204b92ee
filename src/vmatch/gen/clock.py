"""Local wall-clock helper for the generators: minutes from a start date to shared objects.

Generators draw times as integer minutes from local midnight of the first day; this
turns them into aware datetimes, :class:`~vmatch.model.TimeWindow` and
:class:`~vmatch.model.WeeklyRule` objects, cached so that equal values share one object
(cheap to build, light in memory for 100k volunteers).

Examples
--------
>>> from datetime import date
>>> c = Clock("Asia/Shanghai", date(2026, 12, 7))
>>> c.window(600, 660).start.isoformat()
'2026-12-07T10:00:00+08:00'
>>> c.window(600, 660) is c.window(600, 660)
True
>>> c.weekday(5)
6
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vmatch.model import TimeWindow, WeeklyRule

__all__ = ["Clock"]


class Clock:
    """Minutes from local midnight of ``start`` (in zone ``tz``) to model objects."""

    __slots__ = ("_dates", "_dt", "_rules", "_windows", "epoch", "start", "tz")

    def __init__(self, tz: str, start: date) -> None:
        self.tz = ZoneInfo(tz)
        self.start = start
        self.epoch = datetime(start.year, start.month, start.day, tzinfo=self.tz)
        self._dt: dict[int, datetime] = {}
        self._windows: dict[tuple[int, int], TimeWindow] = {}
        self._rules: dict[tuple[tuple[int, ...], int, int], WeeklyRule] = {}
        self._dates: dict[int, date] = {}

    def dt(self, minute: int) -> datetime:
        """Aware local datetime ``minute`` minutes (wall clock) after the epoch."""
        d = self._dt.get(minute)
        if d is None:
            # aware arithmetic with one tzinfo is wall-clock arithmetic
            d = self._dt[minute] = self.epoch + timedelta(minutes=minute)
        return d

    def window(self, start: int, end: int) -> TimeWindow:
        """The shared window ``[start, end)`` in minutes."""
        w = self._windows.get((start, end))
        if w is None:
            w = self._windows[(start, end)] = TimeWindow(self.dt(start), self.dt(end))
        return w

    def rule(self, days: tuple[int, ...], start: int, end: int) -> WeeklyRule:
        """The shared weekly rule on ISO ``days`` from ``start`` to ``end`` minutes after midnight."""
        key = (days, start, end)
        r = self._rules.get(key)
        if r is None:
            r = self._rules[key] = WeeklyRule(days, time(start // 60, start % 60), time((end // 60) % 24, end % 60))
        return r

    def date(self, day: int) -> date:
        """The local date ``day`` days after the start date."""
        d = self._dates.get(day)
        if d is None:
            d = self._dates[day] = self.start + timedelta(days=day)
        return d

    def weekday(self, day: int) -> int:
        """ISO weekday (1 = Monday) of the day ``day`` days after the start date."""
        return (self.start.isoweekday() - 1 + day) % 7 + 1
