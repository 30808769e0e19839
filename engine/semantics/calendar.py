"""Semantic checks of a working-day calendar: dates inside their year, ranges in order, no day
both a holiday and a working day, each year once."""

from __future__ import annotations

import datetime as dt

from ..schema import WorkingCalendar
from ._context import Context

__all__ = ["check_calendar"]


def _days(r) -> list[dt.date]:
    return [r.start + dt.timedelta(days=k) for k in range((r.end - r.start).days + 1)]


def check_calendar(c: WorkingCalendar, ctx: Context) -> None:
    years: dict[int, int] = {}
    for yi, y in enumerate(c.years):
        where = ("years", yi)
        subject = f"year {y.year}"
        if y.year in years:
            line, _ = ctx.position(("years", years[y.year], "year"))
            ctx.report("D001", where + ("year",), subject, f"year {y.year} is already given on line {line}")
        years.setdefault(y.year, yi)
        off: set[dt.date] = set()
        for ri, r in enumerate(y.holidays):
            if r.end < r.start:
                ctx.report("K001", where + ("holidays", ri, "end"), subject, f"the range ends ({r.end}) before it "
                           f"starts ({r.start})")
                continue
            if r.start.year != y.year or r.end.year != y.year:
                ctx.report("K001", where + ("holidays", ri), subject, f"{r.start} .. {r.end} is not inside {y.year}")
            off.update(_days(r))
        for wi, d in enumerate(y.workdays):
            if d.year != y.year:
                ctx.report("K001", where + ("workdays", wi), subject, f"{d} is not inside {y.year}")
            if d in off:
                ctx.report("K002", where + ("workdays", wi), subject, f"{d} is both a holiday and a working day")
            if d.weekday() < 5:
                ctx.report("K002", where + ("workdays", wi), subject,
                           f"{d} is a {d.strftime('%A')}: a makeup working day is a Saturday or Sunday")
    for li, adj in enumerate(c.local):
        where = ("local", li)
        subject = f"region {adj.region}"
        off = set()
        for ri, r in enumerate(adj.holidays):
            if r.end < r.start:
                ctx.report("K001", where + ("holidays", ri, "end"), subject, f"the range ends ({r.end}) before it "
                           f"starts ({r.start})")
                continue
            off.update(_days(r))
        for wi, d in enumerate(adj.workdays):
            if d in off:
                ctx.report("K002", where + ("workdays", wi), subject, f"{d} is both a holiday and a working day")
