"""Working-day calendar additions (`kind: working_calendar`): years the shipped calendar does
not have yet (the State Council's notice for next year comes each November), and local
adjustments by region. Loaded without a release."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from msgspec import Meta

from ._base import Doc, RegionCode, Text

__all__ = ["WorkingCalendar", "CalendarYear", "LocalAdjustment", "DateRange"]


class DateRange(Doc, kw_only=True):
    __subject__: ClassVar[str] = "date range"

    start: dt.date
    end: dt.date
    name: Text | None = None


class CalendarYear(Doc, kw_only=True):
    """One year's days off (holidays) and makeup working days (调休, weekend days worked)."""

    __subject__: ClassVar[str] = "year"

    year: Annotated[int, Meta(ge=2000, le=2100)]
    holidays: list[DateRange] = []
    workdays: list[dt.date] = []
    source: str | None = None


class LocalAdjustment(Doc, kw_only=True):
    """Extra days off or working days of one region (a local holiday, a closure)."""

    __subject__: ClassVar[str] = "adjustment"

    region: RegionCode
    holidays: list[DateRange] = []
    workdays: list[dt.date] = []
    note: Text | None = None


class WorkingCalendar(Doc, kw_only=True):
    __subject__: ClassVar[str] = "calendar"

    kind: Literal["working_calendar"]
    id: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")]
    years: list[CalendarYear] = []
    local: list[LocalAdjustment] = []
