"""Working days across the State Council's holidays and makeup days."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.calendar import CalendarError, national_calendar
from engine.loader import loads
from engine.schema import Duration

D = dt.date


def test_deadlines_across_national_day_2026_by_hand():
    cal = national_calendar()
    # The 2026 calendar used (State Council notice, via chinesecalendar 1.11): Oct 1-7 off
    # (National Day; Mid-Autumn was Sep 25-27), Sat Oct 10 a makeup working day.
    assert [cal.is_working_day(D(2026, 10, d)) for d in range(1, 13)] == \
        [False] * 7 + [True, True, True, False, True]
    # A bad rating on Wed 2026-09-30 (day 0). Working days after it, counted by hand:
    # Oct 8 (1), 9 (2), Sat 10 (3, makeup), 12 (4), 13 (5), 14 (6), 15 (7), 16 (8), 19 (9),
    # 20 (10), 21 (11), 22 (12), 23 (13), 26 (14), 27 (15).
    bad_rating = D(2026, 9, 30)
    assert cal.due(bad_rating, Duration(days=5)) == D(2026, 10, 13)
    assert cal.due(bad_rating, Duration(days=15)) == D(2026, 10, 27)
    assert cal.due(bad_rating, Duration(days=7, calendar="natural")) == D(2026, 10, 7)
    assert cal.due(dt.datetime(2026, 9, 30, 23, 59), Duration(days=1)) == D(2026, 10, 8)


def test_a_year_without_data_is_refused_and_named():
    cal = national_calendar()
    with pytest.raises(CalendarError, match="no data for 2027"):
        cal.due(D(2026, 12, 21), Duration(days=15))


YEAR_2030 = """\
kind: working_calendar
id: test_2030
years:
  - year: 2030
    source: test data, not a State Council notice
    holidays:
      - {start: 2030-01-01, end: 2030-01-03}
    workdays: [2030-01-05]
local:
  - region: "440300"
    holidays:
      - {start: 2030-01-07, end: 2030-01-07}
"""


def test_years_and_local_adjustments_come_from_yaml(tmp_path):
    cal = national_calendar()
    cal.add(loads(YEAR_2030, expect="calendar"))
    # counting from Fri 2029-12-28 passes through 2029, which has no data
    with pytest.raises(CalendarError, match="2029"):
        cal.due(D(2029, 12, 28), Duration(days=1))
    # Tue 2030-01-01 .. Thu 01-03 off, Sat 01-05 worked
    assert cal.due(D(2030, 1, 1), Duration(days=1)) == D(2030, 1, 4)
    assert cal.due(D(2030, 1, 1), Duration(days=2)) == D(2030, 1, 5)
    assert cal.due(D(2030, 1, 4), Duration(days=2)) == D(2030, 1, 7)
    # a Shenzhen closure on Mon 2030-01-07 moves a Shenzhen deadline, not another city's
    assert cal.due(D(2030, 1, 4), Duration(days=2), region="440304") == D(2030, 1, 8)
    p = tmp_path / "c.yaml"
    p.write_text(YEAR_2030, encoding="utf-8")
    assert 2030 in national_calendar([p]).years
