"""Ratings and cases in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import msgspec
import pytest
from sqlalchemy import text

from engine.calendar import national_calendar
from engine.haocha import TransitionError
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Conflict, Store, upgrade
from engine.storage.ratings import act_on_case, add_rating, load_case, ratings_today
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401  (the SQLite / PostgreSQL fixture)

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
CAL = national_calendar()
SECRET = b"k"
T = dt.datetime(2026, 10, 8, 9, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def _rating(code: str = "5", tx: str = "T1", device: str = "d1"):
    r = msgspec.convert(dict(transaction_no=tx, adapter="gbt39046", level_code=code, channel_code="4",
                             region_code="440106", rater_phone="13800000000", device_id=device,
                             finished_at="2026-09-30T10:00:00+00:00", rated_at="2026-09-30T11:00:00+00:00"),
                        RatingIn)
    return accept_rating(r, POLICY, CAL, secret=SECRET)


def _counts(store):
    with store.engine.connect() as c:
        return tuple(c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("rating", "rating_case"))


def test_a_duplicate_rating_is_a_conflict_and_changes_nothing(store):
    rid, case = add_rating(store, _rating("5"), POLICY, CAL)  # code 5 = 非常不满意: a case opens
    assert case is not None
    before = _counts(store)
    with pytest.raises(Conflict, match="already rated"):
        add_rating(store, _rating("1"), POLICY, CAL)
    assert _counts(store) == before == (1, 1)
    # national.yaml: callback in 3 working days: Oct 8, 9 and the makeup Saturday Oct 10
    assert load_case(store, case).due["callback"] == dt.date(2026, 10, 10)
    assert ratings_today(store, device_key=_rating().device_key, rater_key=_rating().rater_key,
                         day=dt.date(2026, 9, 30)) == (1, 1)


def test_good_ratings_and_defaults_open_no_case(store):
    assert add_rating(store, _rating("1", tx="T2"), POLICY, CAL)[1] is None
    assert add_rating(store, _rating("5", tx="T3"), POLICY, CAL, is_default=True)[1] is None


def test_concurrent_acts_on_one_case_one_wins(store):
    _, case = add_rating(store, _rating("5"), POLICY, CAL)
    act_on_case(store, case, "assign", role="admin", actor="a", note="指派", at=T, policy=POLICY, calendar=CAL,
                handler="h1")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def go(k: int) -> None:
        barrier.wait()
        try:
            act_on_case(store, case, "call_back", role="handler", actor="h1", note=f"回访{k}", at=T, policy=POLICY,
                        calendar=CAL)
            results.append("ok")
        except (Conflict, TransitionError):
            results.append("409")

    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["409", "ok"]
    assert load_case(store, case).state == "called_back"
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM case_event")).scalar() == 2
        with pytest.raises(Exception, match="append-only"):
            c.execute(text("UPDATE case_event SET note = 'x'"))
            c.commit()


def test_ratings_cli_metrics_and_escalation(tmp_path, capsys):
    import json

    from engine.cli import main
    db = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(db)
    st = Store(db)
    add_rating(st, _rating("5", tx="C1"), POLICY, CAL)
    add_rating(st, _rating("1", tx="C2"), POLICY, CAL)
    assert main(["ratings", "metrics", "--database", db, "--start", "2026-09-01", "--end", "2026-10-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["all"]["valid"] == 2 and out["all"]["bad_rate"]["numerator"] == 1
    assert main(["ratings", "escalate", "--database", db, "--today", "2026-11-02"]) == 0
    assert "escalated 1 overdue case(s)" in capsys.readouterr().out
    st.engine.dispose()
