"""Group commit on SQLite and PostgreSQL: many callers' writes in one transaction, each caller
answered with its own result or its own refusal, as if it had been alone, after the commit."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future

import msgspec
import pytest
from sqlalchemy import text

from engine.calendar import national_calendar
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Conflict, NotFound, Store, upgrade
from engine.storage.group import GroupCommitter
from engine.storage.rating_group import RatingItem, rating_batches_kind, single_ratings_kind
from engine.storage.submissions import submission_item, submissions_kind
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import SOURCE, url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")  # per_phone_per_day: 20
CAL = national_calendar()
SECRET = b"k"


@pytest.fixture
def store(url):  # noqa: F811
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


def _group(store: Store, calls) -> tuple[GroupCommitter, list[Future]]:
    """Queue every call before the writer starts, so that they form one group."""
    gc = GroupCommitter(store.engine, autostart=False)
    futures = [gc.submit(kind, item) for kind, item in calls]
    gc.start()
    for f in futures:
        f.exception(timeout=30)
    gc.stop()
    return gc, futures


def _outcome(f: Future):
    e = f.exception()
    return type(e).__name__ if e is not None else f.result()


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as c:
        return c.execute(text(sql)).scalar()


def test_submissions_in_one_commit_each_with_its_own_outcome(store):
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="一")
    store.set_wave_status("w1", "open")
    store.create_wave("w2", vid, title="二")  # draft: refuses
    t1, t2 = store.create_invitations("w1", [{"stratum": "s1", "community": "c1"}, {"stratum": "s2", "community": "c2"}])
    old = store.submit("w1", {"a_health": "3"}, idempotency_key="stored-before")
    kind = submissions_kind(store)
    items = [
        submission_item("w1", {"a_health": "5"}, token=t1, idempotency_key="k1"),         # 0 stored
        submission_item("w1", {"a_health": "5"}, token=t1, idempotency_key="k1"),         # 1 same as 0
        submission_item("w1", {"a_health": "4"}, token=t1, idempotency_key="k1"),         # 2 key reused: 409
        submission_item("w1", {"a_health": "4"}, token=t1),                              # 3 invitation used: 409
        submission_item("nowave", {"a_health": "4"}),                                     # 4 404
        submission_item("w2", {"a_health": "4"}),                                         # 5 draft wave: 409
        submission_item("w1", {"a_health": "2"}, token="not-a-token"),                    # 6 404
        submission_item("w1", {"a_health": "3"}, idempotency_key="stored-before"),        # 7 the stored one
        submission_item("w1", {"a_health": "1"}, idempotency_key="stored-before"),        # 8 409
        submission_item("w1", {"a_health": "1"}, token=t2, complete=False),               # 9 partial: stored
        submission_item("w1", {"a_health": "2"}, token=t2),                               # 10 completes t2
        submission_item("w1", {"a_health": "2"}, attributes={"community": "c9"}),         # 11 stored
    ]
    gc, fs = _group(store, [(kind, i) for i in items])
    assert gc.commits == 1 and gc.items == len(items)
    out = [_outcome(f) for f in fs]
    assert out[0].id == out[1].id and out[0].attributes["community"] == "c1"
    assert out[2:7] == ["Conflict", "Conflict", "NotFound", "Conflict", "NotFound"]
    assert out[7].id == old.id and out[8] == "Conflict"
    assert out[9].status == "partial" and out[10].status == "complete" and out[11].attributes == {"community": "c9"}
    stored = {r.id: r for r in store.responses("w1", complete_only=False)}
    assert set(stored) == {old.id, out[0].id, out[9].id, out[10].id, out[11].id}
    assert stored[out[0].id].answers == {"a_health": "5"}
    assert store.invitation(t1)["used"] and store.invitation(t2)["used"]
    # what the group decided is what Store.submit decides alone, afterwards too
    with pytest.raises(Conflict):
        store.submit("w1", {"a_health": "5"}, token=t1)
    assert store.submit("w1", {"a_health": "5"}, token=t1, idempotency_key="k1").id == out[0].id


def test_a_group_that_fails_as_a_whole_is_written_item_by_item(store):
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="一")
    store.set_wave_status("w1", "open")
    inner = submissions_kind(store)

    def flaky(conn, items):  # a group of several fails (as a unique key taken by another process would)
        if len(items) > 1:
            raise RuntimeError("lost the race")
        return inner(conn, items)
    flaky.alone = inner.alone
    items = [submission_item("w1", {"a_health": str(k)}, idempotency_key=f"k{k}") for k in range(1, 4)]
    items.append(submission_item("w1", {"a_health": "9"}, idempotency_key="k1"))  # 409 when alone too
    gc, fs = _group(store, [(flaky, i) for i in items])
    assert [_outcome(f) for f in fs][3] == "Conflict"
    assert len({f.result().id for f in fs[:3]}) == 3 and gc.commits == 3
    assert _count(store, "SELECT count(*) FROM response") == 3


def _ids_by_key(store: Store) -> dict[str, int]:
    with store.engine.connect() as c:
        return dict(c.execute(text("SELECT idempotency_key, id FROM response")).all())


def test_a_group_answers_each_caller_with_the_id_of_its_own_row(store):
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="一")
    store.set_wave_status("w1", "open")
    store.submit("w1", {"a_health": "1"}, idempotency_key="before")
    kind = submissions_kind(store)
    items = [submission_item("w1", {"a_health": str(1 + k % 5)}, idempotency_key=f"k{k}") for k in range(40)]
    gc, fs = _group(store, [(kind, i) for i in items])
    assert gc.commits == 1
    ids = _ids_by_key(store)
    assert [f.result().id for f in fs] == [ids[f"k{k}"] for k in range(40)]


def test_sqlite_rowids_that_do_not_follow_on_are_written_item_by_item(store):
    """A table holding the largest rowid gives new rows random rowids: the multi-row insert
    cannot know its ids, so the group is rolled back and each item written alone."""
    if not store.engine.url.get_backend_name().startswith("sqlite"):
        pytest.skip("SQLite's rowids")
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="一")
    store.set_wave_status("w1", "open")
    top = store.submit("w1", {"a_health": "1"}, idempotency_key="top")
    with store.engine.begin() as c:
        c.execute(text("UPDATE response SET id = 9223372036854775807 WHERE id = :i"), {"i": top.id})
    kind = submissions_kind(store)
    gc, fs = _group(store, [(kind, submission_item("w1", {"a_health": str(k)}, idempotency_key=f"k{k}"))
                            for k in range(1, 4)])
    assert gc.commits == 3
    ids = _ids_by_key(store)
    assert [f.result().id for f in fs] == [ids[f"k{k}"] for k in range(1, 4)]


def test_each_answer_comes_after_its_commit_while_the_next_group_is_written(store):
    """Groups queued one behind another: the writer runs the next group's writes before it
    sends the last commit's answers, and never an answer before its own commit."""
    with store.engine.begin() as c:
        c.execute(text("CREATE TABLE group_probe (k INTEGER PRIMARY KEY)"))

    def put(conn, items):
        conn.execute(text("INSERT INTO group_probe (k) VALUES (:k)"), [{"k": k} for k in items])
        return list(items)

    seen: list[int] = []

    def visible(f: Future) -> None:  # in the writer thread, as the answer is sent
        with store.engine.connect() as c:
            seen.append(c.execute(text("SELECT count(*) FROM group_probe WHERE k = :k"), {"k": f.result()}).scalar())

    gc = GroupCommitter(store.engine, max_batch=7)
    futures = [gc.submit(put, k) for k in range(60)]
    for f in futures:
        f.add_done_callback(visible)
    assert [f.result(timeout=30) for f in futures] == list(range(60))
    gc.stop()
    assert seen == [1] * 60 and gc.commits >= 9 and gc.items == 60


def _rating_in(tx: str, code: str = "1", phone: str = "13800000000", **kw) -> RatingIn:
    return msgspec.convert({"transaction_no": tx, "adapter": "gbt39046", "level_code": code, "channel_code": "4",
                            "region_code": "440106", "rater_phone": phone, "finished_at": "2026-09-30T10:00:00+00:00",
                            "rated_at": "2026-09-30T11:00:00+00:00", **kw}, RatingIn)


def _item(data: RatingIn) -> RatingItem:
    return RatingItem(data, accept_rating(data, POLICY, CAL, secret=SECRET))


def test_single_ratings_in_one_commit_with_duplicates_and_velocity_as_if_alone(store):
    kind = single_ratings_kind(POLICY, CAL, secret=SECRET)
    # 18 ratings of one phone are stored before; the limit is 20 a day
    _, before = _group(store, [(kind, _item(_rating_in(f"P{k}"))) for k in range(18)])
    assert all(f.exception() is None for f in before)
    calls = [(kind, _item(_rating_in("P0", code="5"))),          # duplicate of a stored rating: 409, not counted
             (kind, _item(_rating_in("N1", code="5"))),          # 19th of the phone today, bad: case
             (kind, _item(_rating_in("N1", code="1"))),          # duplicate inside the group: 409
             (kind, _item(_rating_in("N2"))),                    # 20th
             (kind, _item(_rating_in("N3"))),                    # 21st: 429
             (kind, _item(_rating_in("N4", phone="13900000000")))]  # another phone
    gc, fs = _group(store, calls)
    assert gc.commits == 1
    out = [_outcome(f) for f in fs]
    assert out[0] == out[2] == "Conflict" and "already rated" in str(fs[2].exception())
    assert out[4] == "RatingRejected" and fs[4].exception().status == 429
    rid, case = out[1]
    assert case is not None and out[3][1] is None and out[5][1] is None
    assert _count(store, "SELECT count(*) FROM rating") == 21
    assert _count(store, "SELECT count(*) FROM rating_case") == 1
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'rate'") == 21


def test_rating_batches_share_a_commit_and_keep_their_own_answers(store):
    kind = rating_batches_kind(POLICY, CAL)
    a = [accept_rating(_rating_in(f"A{k}", code=str(1 + k % 5)), POLICY, CAL, secret=SECRET) for k in range(10)]
    b = [accept_rating(_rating_in(t), POLICY, CAL, secret=SECRET) for t in ("A1", "B1", "B1")]
    gc, (fa, fb) = _group(store, [(kind, a), (kind, b)])
    assert gc.commits == 1
    assert all(reason is None for _, _, reason in fa.result())
    assert sum(case is not None for _, case, _ in fa.result()) == 4  # codes 4 and 5 are bad
    (_, _, r1), (rid, _, r2), (_, _, r3) = fb.result()
    assert "already rated" in r1 and rid is not None and r2 is None and "twice" in r3
    assert _count(store, "SELECT count(*) FROM rating") == 11


def test_the_web_answers_after_the_commit_that_holds_the_write(tmp_path):
    import threading

    from litestar.testing import TestClient

    from engine.web import create_app
    db = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade(db)
    store = Store(db)
    key = store.create_api_key("integrator")
    with TestClient(app=create_app(store, policy=POLICY, secret=SECRET)) as client:
        writes = client.app.state.writes
        codes: list[int] = []

        def go(k: int) -> None:
            body = {"transaction_no": f"W{k}", "adapter": "gbt39046", "level_code": "2", "channel_code": "4",
                    "region_code": "440106", "device_id": f"d{k}",
                    "finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"}
            r = client.post("/api/v1/ratings", json=body, headers={"Authorization": f"Bearer {key}"})
            codes.append(r.status_code)
            if r.status_code == 201:  # answered: so it is committed, visible to a new connection
                with store.engine.connect() as c:
                    assert c.execute(text("SELECT count(*) FROM rating WHERE id = :i"),
                                     {"i": r.json()["rating_id"]}).scalar() == 1

        threads = [threading.Thread(target=go, args=(k,)) for k in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [201] * 40 and writes.committer.items == 40
    store.engine.dispose()
