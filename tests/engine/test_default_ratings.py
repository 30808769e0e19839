"""Default ratings (issue 6): finished transactions unrated after the policy's window get the
policy's default level, flagged as default: never an active rating, never a case. On SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from engine.calendar import national_calendar
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.ratings import add_rating
from engine.storage.transactions import add_transactions, default_ratings
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import url  # noqa: F401

GUANGDONG = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")  # 7 natural days, default 基本满意 (3)
NATIONAL = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")    # no default rating
CAL = national_calendar()
UTC = dt.timezone.utc


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def _tx(no: str, finished: dt.datetime, **kw) -> dict:
    return {"transaction_no": no, "region_code": "440106", "finished_at": finished, "hall": "h1", "window": "w2",
            "staff_id": "s1", **kw}


def _ratings(store: Store) -> list[dict]:
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(text(
            "SELECT transaction_no, level, bucket, channel, is_default, rated_at, hall FROM rating "
            "ORDER BY transaction_no"))]


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as c:
        return c.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_many_transactions_at_once_get_their_ids_and_repeats_get_none(store):
    """120 in one call (on PostgreSQL the COPY path, from 50 rows), some reported before or twice."""
    at = dt.datetime(2026, 9, 20, 10, tzinfo=UTC)
    first = add_transactions(store, [_tx(f"A{k:03d}", at) for k in range(0, 120, 3)])  # 40 stored before
    batch = [_tx(f"A{k:03d}", at, hall=f"h{k}") for k in range(120)] + [_tx("A007", at)]
    ids = add_transactions(store, batch)
    assert ids[120] is None and all((ids[k] is None) == (k % 3 == 0) for k in range(120))
    assert len(set(first) | {i for i in ids if i is not None}) == 120 and _count(store, "service_transaction") == 120
    with store.engine.connect() as c:
        row = c.execute(text("SELECT id, hall FROM service_transaction WHERE transaction_no = 'A005'")).one()
    assert tuple(row) == (ids[5], "h5")


def test_unrated_transactions_after_the_window_get_the_default_flagged(store):
    ids = add_transactions(store, [_tx("T1", dt.datetime(2026, 9, 20, 10, tzinfo=UTC)),   # window closed 9-27
                                   _tx("T2", dt.datetime(2026, 9, 25, 10, tzinfo=UTC)),   # open until 10-02
                                   _tx("T3", dt.datetime(2026, 9, 20, 10, tzinfo=UTC)),   # rated by the resident
                                   _tx("T1", dt.datetime(2026, 9, 21, 10, tzinfo=UTC))])  # reported twice
    assert ids[3] is None and None not in ids[:3]
    assert add_transactions(store, [_tx("T1", dt.datetime(2026, 9, 20, 10, tzinfo=UTC))]) == [None]
    bad = accept_rating(msgspec.convert({
        "transaction_no": "T3", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
        "region_code": "440106", "finished_at": "2026-09-20T10:00:00+00:00",
        "rated_at": "2026-09-21T10:00:00+00:00"}, RatingIn), GUANGDONG, CAL, secret=b"s")
    add_rating(store, bad, GUANGDONG, CAL)
    assert _count(store, "rating_case") == 1
    assert default_ratings(store, GUANGDONG, CAL, today=dt.date(2026, 9, 27)).rated == 0  # last day of T1's window
    run = default_ratings(store, GUANGDONG, CAL, today=dt.date(2026, 9, 28))
    assert (run.rated, run.still_open) == (1, 1)
    t1 = [r for r in _ratings(store) if r["transaction_no"] == "T1"]
    assert len(t1) == 1 and t1[0]["level"] == 3 and t1[0]["bucket"] == "neutral" and t1[0]["is_default"]
    assert t1[0]["channel"] == "system_default" and t1[0]["hall"] == "h1"
    assert str(t1[0]["rated_at"]).startswith("2026-09-28")
    assert _count(store, "rating_case") == 1  # the default opened no case
    again = default_ratings(store, GUANGDONG, CAL, today=dt.date(2026, 10, 30))  # T2 now; T1 never twice
    assert again.rated == 1 and _count(store, "rating") == 3
    assert default_ratings(store, GUANGDONG, CAL, today=dt.date(2026, 10, 30)).rated == 0


def test_a_bad_default_level_never_opens_a_case_and_is_never_active(store):
    from engine.analysis.ratings import rating_metrics
    harsh = msgspec.structs.replace(GUANGDONG, default_rating=msgspec.structs.replace(GUANGDONG.default_rating,
                                                                                    level=1))
    add_transactions(store, [_tx(f"D{k}", dt.datetime(2026, 9, 1, 9, tzinfo=UTC)) for k in range(5)])
    assert default_ratings(store, harsh, CAL, today=dt.date(2026, 9, 20)).rated == 5
    assert _count(store, "rating_case") == 0
    (m,) = rating_metrics(store, harsh, start=dt.datetime(2026, 9, 1, tzinfo=UTC),
                          end=dt.datetime(2026, 10, 1, tzinfo=UTC)).values()
    assert m["valid"] == 5 and m["active"] == 0


def test_a_working_day_window_is_counted_on_the_calendar(store):
    # 5 working days after 2026-09-30: Oct 1-7 are the National Day holiday, Oct 8 (Thu) is day 1,
    # Oct 9 day 2, Saturday Oct 10 a makeup workday (day 3), Oct 12 day 4, Oct 13 day 5
    p = msgspec.structs.replace(GUANGDONG, window=msgspec.structs.replace(
        GUANGDONG.window, after_service=msgspec.structs.replace(GUANGDONG.window.after_service, days=5,
                                                                calendar="working")))
    add_transactions(store, [_tx("W1", dt.datetime(2026, 9, 30, 9, tzinfo=UTC))])
    assert default_ratings(store, p, CAL, today=dt.date(2026, 10, 13)).rated == 0
    assert default_ratings(store, p, CAL, today=dt.date(2026, 10, 14)).rated == 1
    assert str(_ratings(store)[0]["rated_at"]).startswith("2026-10-14")


def test_a_policy_without_default_gives_none(store):
    add_transactions(store, [_tx("N1", dt.datetime(2026, 9, 1, 9, tzinfo=UTC))])
    run = default_ratings(store, NATIONAL, CAL, today=dt.date(2026, 12, 1))
    assert run.rated == 0 and "no default" in run.note and _count(store, "rating") == 0


def test_transactions_api_and_defaults_command(tmp_path, capsys):
    from engine.cli import main
    from engine.web import create_app
    db = f"sqlite:///{tmp_path / 't.db'}"
    upgrade(db)
    store = Store(db)
    key = store.create_api_key("integrator")
    leader = store.create_api_key("leader")
    body = [{"transaction_no": "A1", "region_code": "440106", "finished_at": "2026-09-01T09:00:00+08:00"},
            {"transaction_no": "A2", "region_code": "440106", "finished_at": "2026-09-29T09:00:00+08:00"},
            {"transaction_no": "A1", "region_code": "440106", "finished_at": "2026-09-01T09:00:00+08:00"}]
    with TestClient(app=create_app(store, policy=GUANGDONG, secret=b"s")) as client:
        r = client.post("/api/v1/transactions", json=body, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == [201, 201, 409]
        bad = client.post("/api/v1/transactions", json=[{"transaction_no": "A3", "region_code": "x",
                                                         "finished_at": "2026-09-01T09:00:00+08:00"}],
                          headers={"Authorization": f"Bearer {key}"})
        assert bad.status_code == 422 and "$[0].region_code" in bad.json()["detail"]
        assert client.post("/api/v1/transactions", json=[], headers={"Authorization": f"Bearer {leader}"}
                           ).status_code == 403
    policy = str(QUESTIONNAIRES / "policies" / "guangdong.yaml")
    assert main(["ratings", "defaults", "--policy", policy, "--database", db, "--today", "2026-10-01"]) == 0
    assert capsys.readouterr().out.startswith("1 default rating(s) given; 1 unrated")
    assert main(["ratings", "defaults", "--policy", policy, "--database", db, "--today", "2026-10-01"]) == 0
    assert capsys.readouterr().out.startswith("0 default rating(s)")
    assert main(["ratings", "metrics", "--policy", policy, "--database", db, "--start", "2026-09-01",
                 "--end", "2026-11-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert json.dumps(out).count('"valid": 1') >= 1
    store.engine.dispose()
