"""Rating metrics from storage against an independent computation in plain SQL."""

from __future__ import annotations

import datetime as dt
import random

import msgspec
import pytest
from sqlalchemy import text

from engine.analysis.ratings import rating_metrics
from engine.calendar import national_calendar
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.ratings import act_on_case, add_rating
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")  # recheck enabled
CAL = national_calendar()
T0 = dt.datetime(2026, 9, 1, 9, tzinfo=dt.timezone.utc)

# paths that leave cases in every state
PATHS = {
    "open": [], "assigned": ["assign"], "called_back": ["assign", "call_back"],
    "rectifying": ["assign", "call_back", "plan_rectification"], "explained": ["assign", "call_back", "explain"],
    "feedback_sent": ["assign", "call_back", "rectify", "send_feedback"],
    "closed": ["assign", "call_back", "rectify", "send_feedback", "recheck+"],
    "closed_disputed": ["assign", "call_back", "rectify", "send_feedback", "recheck-", "call_back", "rectify",
                        "send_feedback", "recheck-"],
    "closed_removed": ["assign", "appeal", "uphold_appeal"], "appealed": ["appeal"],
}
ROLE = {"assign": "admin", "uphold_appeal": "admin", "recheck+": "integrator", "recheck-": "integrator"}


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def test_metrics_equal_plain_sql(store):
    rnd = random.Random(5)
    states = list(PATHS)
    for k in range(240):
        code = rnd.choice(["1", "2", "3", "4", "5", "5", "4"])  # gbt39046: 4, 5 are bad
        rated = T0 + dt.timedelta(days=rnd.randrange(25), hours=1)
        r = msgspec.convert(dict(transaction_no=f"T{k}", adapter="gbt39046", level_code=code, channel_code="4",
                                 region_code="440106", department_code=rnd.choice(["D1", "D2"]).ljust(18, "0"),
                                 rater_phone=None if k % 3 else f"1380000{k:04d}",
                                 finished_at=(rated - dt.timedelta(hours=1)).isoformat(),
                                 rated_at=rated.isoformat()), RatingIn)
        rating = accept_rating(r, POLICY, CAL, secret=b"k")
        _, case = add_rating(store, rating, POLICY, CAL, is_default=(k % 17 == 0 and rating.bucket != "bad"))
        if case is None:
            continue
        at = rated + dt.timedelta(days=1)
        for step in PATHS[states[k % len(states)]]:
            action = step.rstrip("+-")
            act_on_case(store, case, action, role=ROLE.get(step, "handler"), actor="h1", note="说明", at=at,
                        policy=POLICY, calendar=CAL, handler="h1",
                        recheck="satisfied" if step.endswith("+") else "unsatisfied", due=at.date())
    got = rating_metrics(store, POLICY, start=T0, end=T0 + dt.timedelta(days=40), by="department_code",
                         today=dt.date(2026, 11, 1))
    with store.engine.connect() as c:
        for dept, m in got.items():
            q = lambda sql: c.execute(text(sql), {"d": dept}).scalar()  # noqa: E731
            removed = ("(SELECT rating_id FROM rating_case WHERE state = 'closed_removed')")
            valid = q(f"SELECT count(*) FROM rating WHERE department_code = :d AND id NOT IN {removed}")
            good = q(f"SELECT count(*) FROM rating WHERE department_code = :d AND level >= 4 AND id NOT IN {removed}")
            bad = q(f"SELECT count(*) FROM rating WHERE department_code = :d AND level <= 2 AND id NOT IN {removed}")
            active = q(f"SELECT count(*) FROM rating WHERE department_code = :d AND NOT is_default "
                       f"AND id NOT IN {removed}")
            kept = q("SELECT count(*) FROM rating_case c JOIN rating r ON r.id = c.rating_id "
                     "WHERE r.department_code = :d AND c.state <> 'closed_removed'")
            closed = q("SELECT count(*) FROM rating_case c JOIN rating r ON r.id = c.rating_id "
                       "WHERE r.department_code = :d AND c.state IN ('closed', 'closed_disputed')")
            upheld = q("SELECT count(*) FROM rating_case c JOIN rating r ON r.id = c.rating_id "
                       "WHERE r.department_code = :d AND c.state = 'closed_removed'")
            feedback = q("SELECT count(DISTINCT e.case_id) FROM case_event e JOIN rating_case c ON c.id = e.case_id "
                         "JOIN rating r ON r.id = c.rating_id WHERE r.department_code = :d "
                         "AND e.action = 'send_feedback' AND c.state <> 'closed_removed'")
            assert (m["valid"], m["good_rate"].numerator, m["bad_rate"].numerator, m["active"]) == \
                (valid, good, bad, active)
            assert (m["rectification_rate"].denominator, m["rectification_rate"].numerator) == (kept, closed)
            assert m["appeal_upheld_rate"].numerator == upheld and m["feedback_rate"].numerator == feedback
            assert m["bad_rate"].numerator == kept  # every bad rating opened a case
    states_seen = {s for (s,) in store.engine.connect().execute(text("SELECT DISTINCT state FROM rating_case"))}
    assert states_seen == set(PATHS)
