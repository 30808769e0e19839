"""The monthly good/bad-rating report from a generated month of ratings in SQLite."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from engine.analysis.rating_report import monthly_report
from engine.cli import main
from engine.storage import Store, upgrade
from reports import fmt
from tests.conftest import QUESTIONNAIRES

from tests.engine.test_storage import url  # noqa: F401

from .conftest import assert_fonts_cover, pdftotext
from .ratings_month import POLICY, generate

TODAY = dt.date(2026, 11, 5)


@pytest.fixture
def store(url):  # noqa: F811  (SQLite, and PostgreSQL when MANYI_TEST_DATABASE_URL is set)
    upgrade(url)
    st = Store(url)
    generate(st)
    yield st
    st.engine.dispose()


START = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _sql(store, sql):
    with store.engine.connect() as c:
        return c.execute(text(sql), {"start": START, "end": END}).all()


def test_context_numbers_agree_with_plain_sql(store):
    ctx = monthly_report(store, POLICY, month=dt.date(2026, 10, 1), today=TODAY, min_count=30)
    month = "rated_at >= :start AND rated_at < :end"
    removed = "(SELECT rating_id FROM rating_case WHERE state = 'closed_removed')"
    (valid,), = _sql(store, f"SELECT count(*) FROM rating WHERE {month} AND id NOT IN {removed}")
    (good,), = _sql(store, f"SELECT count(*) FROM rating WHERE {month} AND level >= 4 AND id NOT IN {removed}")
    assert (ctx.valid, ctx.good_rate.numerator) == (valid, good)
    # overdue: open cases of the month's ratings whose feedback deadline has passed
    rows = _sql(store, f"""SELECT c.id, c.state, c.due FROM rating_case c JOIN rating r ON r.id = c.rating_id
                          WHERE r.{month}""")
    open_states = {"open", "assigned", "called_back", "rectifying", "rectified", "explained", "feedback_sent",
                   "appealed"}
    overdue = [i for i, s, due in rows if s in open_states
               and dt.date.fromisoformat((json.loads(due) if isinstance(due, str) else due)["feedback"]) < TODAY]
    assert ctx.overdue_total == len(overdue) > 0
    assert {o.case_id for o in ctx.overdue} <= set(overdue)
    assert [o.days_overdue for o in ctx.overdue] == sorted((o.days_overdue for o in ctx.overdue), reverse=True)
    # departments: the small one is counted but not ranked
    assert ctx.suppressed_departments == 1
    assert all(not d.code.startswith("DSMALL") for d in ctx.departments)
    assert [d.score for d in ctx.departments] == sorted((d.score for d in ctx.departments), reverse=True)
    (small,), = _sql(store, f"SELECT count(*) FROM rating WHERE {month} AND department_code LIKE 'DSMALL%'")
    assert 0 < small < 30
    # reasons: counted over the month's bad ratings (appeals upheld out)
    (bad,), = _sql(store, f"SELECT count(*) FROM rating WHERE {month} AND level <= 2 AND NOT is_default "
                          f"AND id NOT IN {removed}")
    assert ctx.bad_total == bad
    tags = [json.loads(t) if isinstance(t, str) else t for (t,) in _sql(
        store, f"SELECT reason_tags FROM rating WHERE {month} AND level <= 2 AND NOT is_default "
               f"AND id NOT IN {removed}")]
    expected = {}
    for ts in tags:
        for t in ts or ["_none"]:
            expected[t] = expected.get(t, 0) + 1
    assert {r.tag: r.count for r in ctx.reasons} == expected
    assert ctx.rectification.closed > 0
    assert [m.month for m in ctx.trend] == ["2026-09", "2026-10"]


def test_pdf_in_chinese_and_english(store, tmp_path):
    url = str(store.engine.url)
    for lang, heading in (("zh", "三、部门排名"), ("en", "3. Departments")):
        out = tmp_path / f"ratings_{lang}.pdf"
        assert main(["report", "--kind", "ratings", "--month", "2026-10", "--database", url, "--policy",
                     str(QUESTIONNAIRES / "policies" / "guangdong.yaml"), "--today", TODAY.isoformat(), "--lang", lang, "--out", str(out),
                     "-q"]) == 0
        t = pdftotext(out)
        assert heading in t
        assert_fonts_cover(out)
        ctx = monthly_report(store, POLICY, month=dt.date(2026, 10, 1), today=TODAY, lang=lang)
        assert fmt.share(ctx.good_rate.value) in t
        assert fmt.interval(100 * ctx.good_rate.low, 100 * ctx.good_rate.high, 1).replace("–", "%–") + "%" in t
