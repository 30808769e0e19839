"""Working days in China: the State Council's holidays and makeup working days (调休).

The national calendar comes from the `chinesecalendar` package (the State Council notices
it has, year by year) plus years and local adjustments in working-calendar YAML documents
(`kind: working_calendar`), so next year's notice is added without a release. A date in a
year with no data is refused, naming the year: it is never guessed from weekends.

Counting follows GB/T practice and the policies of DOMAIN.md: "N working days" after an
event count from the next working day (the event's own day is day 0) and fall due at the end
of day N; "N natural days" are N calendar days after the event's day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import ManyiError
from .schema import Duration, WorkingCalendar

__all__ = ["Calendar", "CalendarError", "national_calendar"]


class CalendarError(ManyiError):
    """A deadline needs a year the calendar has no data for."""


def _expand(ranges) -> set[dt.date]:
    out: set[dt.date] = set()
    for r in ranges:
        out.update(r.start + dt.timedelta(days=k) for k in range((r.end - r.start).days + 1))
    return out


def _area_prefix(code: str) -> str:
    """The part of a division code its subdivisions share: 440000 -> 44, 440300 -> 4403."""
    if len(code) == 6:
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
    return code


@dataclass
class Calendar:
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)   # weekend days worked (makeup days)
    years: set[int] = field(default_factory=set)          # years with data
    local: dict[str, tuple[set[dt.date], set[dt.date]]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)  # (start, days, region) -> day

    def add(self, doc: WorkingCalendar, source: str = "") -> "Calendar":
        """Add the years and local adjustments of a calendar document (a given year replaces
        the data the calendar had for it)."""
        for y in doc.years:
            self.holidays = {d for d in self.holidays if d.year != y.year} | _expand(y.holidays)
            self.workdays = {d for d in self.workdays if d.year != y.year} | set(y.workdays)
            self.years.add(y.year)
        for adj in doc.local:
            off, on = self.local.setdefault(adj.region, (set(), set()))
            off.update(_expand(adj.holidays))
            on.update(adj.workdays)
        self.sources.append(source or doc.id)
        self._memo.clear()
        return self

    def _check(self, day: dt.date) -> None:
        if day.year not in self.years:
            have = f"{min(self.years)}-{max(self.years)}" if self.years else "none"
            raise CalendarError(f"the working-day calendar has no data for {day.year} (it has {have}); add the "
                                f"State Council's {day.year} holiday notice as a working_calendar document")

    def is_working_day(self, day: dt.date, region: str | None = None) -> bool:
        self._check(day)
        if region is not None:
            for code, (off, on) in self.local.items():
                if region.startswith(_area_prefix(code)):
                    if day in off:
                        return False
                    if day in on:
                        return True
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int, region: str | None = None) -> dt.date:
        """The day that ends `days` working days after `start` (start is day 0)."""
        if days < 0:
            raise ValueError(f"days must be >= 0; got {days}")
        key = (start, days, region)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        day = start
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day, region):
                counted += 1
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[key] = day
        return day

    def due(self, event: dt.date | dt.datetime, duration: Duration, region: str | None = None) -> dt.date:
        """Due date (end of that day) of a policy duration counted from an event."""
        start = event.date() if isinstance(event, dt.datetime) else event
        if duration.calendar == "natural":
            return start + dt.timedelta(days=duration.days)
        return self.add_working_days(start, duration.days, region)

    def working_days_between(self, start: dt.date, end: dt.date, region: str | None = None) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        n, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            n += self.is_working_day(day, region)
        return n


def national_calendar(extra: Iterable[str | Path] = ()) -> Calendar:
    """The national calendar from `chinesecalendar`, plus working_calendar documents."""
    from chinese_calendar import constants

    cal = Calendar(holidays=set(constants.holidays), workdays=set(constants.workdays),
                   years={d.year for d in constants.holidays}, sources=["chinesecalendar"])
    if extra:
        from .loader import load

        for path in extra:
            cal.add(load(path, expect="calendar"), str(path))
    return cal
