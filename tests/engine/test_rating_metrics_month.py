"""A generated month of 100,000 ratings with cases in every state: metrics against plain SQL."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import text

from engine.analysis.ratings import rating_metrics
from engine.calendar import national_calendar
from engine.haocha.intake import Rating
from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.ratings import act_on_case, add_ratings
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_rating_metrics import PATHS, ROLE
from tests.engine.test_storage import url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")
CAL = national_calendar()
T0 = dt.datetime(2026, 9, 1, 8, tzinfo=dt.timezone.utc)
BUCKET = {5: "good", 4: "good", 3: "neutral", 2: "bad", 1: "bad"}


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def test_a_month_of_100000_ratings(store):
    rnd = random.Random(11)
    batch = []
    for k in range(100_000):
        level = rnd.choices([5, 4, 3, 2, 1], weights=[60, 20, 10, 6, 4])[0]
        rated = T0 + dt.timedelta(minutes=rnd.randrange(30 * 24 * 60 - 120))
        batch.append(Rating(
            transaction_no=f"M{k}", stage="overall", sequence=1, level=level, bucket=BUCKET[level],
            channel=rnd.choice(["hall_tablet", "pc", "mobile"]), region_code="440106", item_code=None,
            department_code=f"D{rnd.randrange(12):02d}".ljust(18, "0"), hall=None, window=None, staff_id=None,
            rater_type="person", rater_key=None if k % 4 else f"h{k}", device_key=None, sub_ratings={},
            reason_tags=(), text=None, finished_at=rated - dt.timedelta(hours=1), rated_at=rated,
            opens_case=BUCKET[level] == "bad", real_name=k % 4 == 0))
    ids = []
    for i in range(0, len(batch), 5000):
        ids += add_ratings(store, batch[i:i + 5000], POLICY, CAL)
    cases = [c for _, c, _ in ids if c is not None]
    states = list(PATHS)
    for j, case in enumerate(cases[:len(states) * 4]):  # cases in every state; the rest stay open
        at = T0 + dt.timedelta(days=2)
        for step in PATHS[states[j % len(states)]]:
            act_on_case(store, case, step.rstrip("+-"), role=ROLE.get(step, "handler"), actor="h1", note="说明",
                        at=at, policy=POLICY, calendar=CAL, handler="h1",
                        recheck="satisfied" if step.endswith("+") else "unsatisfied", due=at.date())
    got = rating_metrics(store, POLICY, start=T0, end=T0 + dt.timedelta(days=31), by="department_code",
                         today=dt.date(2026, 11, 1))
    assert sum(m["valid"] for m in got.values()) + sum(m["appeal_upheld_rate"].numerator for m in got.values()) \
        == 100_000
    sql = """
      SELECT r.department_code,
             count(*) FILTER (WHERE c.state IS DISTINCT FROM 'closed_removed') AS valid,
             count(*) FILTER (WHERE r.level >= 4 AND c.state IS DISTINCT FROM 'closed_removed') AS good,
             count(*) FILTER (WHERE r.level >= 3 AND c.state IS DISTINCT FROM 'closed_removed') AS satisfied,
             count(c.id) FILTER (WHERE c.state IN ('closed', 'closed_disputed')) AS closed,
             count(c.id) FILTER (WHERE c.state = 'closed_removed') AS upheld,
             count(c.id) FILTER (WHERE c.state <> 'closed_removed') AS cases
      FROM rating r LEFT JOIN rating_case c ON c.rating_id = r.id
      GROUP BY r.department_code"""
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # SQLite has FILTER but not IS DISTINCT FROM
            sql = sql.replace("IS DISTINCT FROM 'closed_removed'", "IS NOT 'closed_removed'")
        rows = conn.execute(text(sql)).all()
    assert len(rows) == len(got) == 12
    for dept, valid, good, satisfied, closed, upheld, n_cases in rows:
        m = got[dept]
        assert (m["valid"], m["good_rate"].numerator, m["satisfaction_rate"].numerator) == (valid, good, satisfied)
        assert (m["rectification_rate"].numerator, m["rectification_rate"].denominator) == (closed, n_cases)
        assert m["appeal_upheld_rate"].numerator == upheld
        assert m["bad_rate"].numerator == n_cases
