"""Storage on SQLite and PostgreSQL: migrations, immutable versions, idempotent and
single-use submissions, hashed keys, the append-only audit log."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from engine.storage import Conflict, Store, downgrade, upgrade
from tests.conftest import QUESTIONNAIRES

PG_URL = os.environ.get("MANYI_TEST_DATABASE_URL")


@contextlib.contextmanager
def database(kind: str, folder, prefix: str = "manyi_test"):
    """A fresh database of `kind`: an SQLite file in `folder`, or a new PostgreSQL database
    (dropped afterwards; skipped with a reason when MANYI_TEST_DATABASE_URL is not set)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'manyi.db'}"
        return
    if not PG_URL:
        pytest.skip("MANYI_TEST_DATABASE_URL is not set (no PostgreSQL here); .ci/run sets it")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    with database(request.param, tmp_path) as u:
        yield u


@pytest.fixture
def store(url):
    upgrade(url)
    st = Store(url)
    yield st
    st.engine.dispose()


SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


def _open_wave(store: Store) -> str:
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="第一轮")
    store.set_wave_status("w1", "open")
    return "w1"


def test_migrations_go_from_empty_to_head_and_back(url):
    upgrade(url)
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    tables = set(inspect(eng).get_table_names())
    assert {"questionnaire_version", "wave", "invitation", "response", "app_user", "api_key", "audit_log",
            "alembic_version"} <= tables
    downgrade(url, "base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert "response" in inspect(eng).get_table_names()
    eng.dispose()


def test_published_versions_never_change(store):
    vid = store.publish_questionnaire(SOURCE)
    assert store.publish_questionnaire(SOURCE) == vid
    with pytest.raises(Conflict, match="already published"):
        store.publish_questionnaire(SOURCE.replace("城乡社区服务满意度调查问卷", "另一个标题"))
    assert store.questionnaire_source(vid) == SOURCE


def test_same_submission_twice_with_one_key_is_stored_once(store):
    wave = _open_wave(store)
    a = store.submit(wave, {"a_health": "5"}, idempotency_key="k-1", attributes={"community": "c1"})
    b = store.submit(wave, {"a_health": "5"}, idempotency_key="k-1", attributes={"community": "c1"})
    assert a.id == b.id
    assert len(list(store.responses(wave))) == 1
    with pytest.raises(Conflict, match="idempotency key"):
        store.submit(wave, {"a_health": "4"}, idempotency_key="k-1", attributes={"community": "c1"})


def test_concurrent_submissions_on_one_invitation_one_wins(store):
    wave = _open_wave(store)
    (token,) = store.create_invitations(wave, [{"stratum": "330102", "community": "330102001001"}])
    results: list[str] = []
    barrier = threading.Barrier(2)

    def go(k: int) -> None:
        barrier.wait()
        try:
            store.submit(wave, {"a_health": str(k + 4)}, token=token)
            results.append("ok")
        except Conflict:
            results.append("409")

    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["409", "ok"]
    (stored,) = list(store.responses(wave))
    assert stored.attributes["community"] == "330102001001"


def test_tokens_and_keys_are_stored_hashed(store, url):
    wave = _open_wave(store)
    (token,) = store.create_invitations(wave, [{"community": "c1"}])
    key = store.create_api_key("evaluator", label="test")
    eng = store.engine
    with eng.connect() as c:
        dump = " ".join(str(v) for row in c.execute(text("SELECT * FROM invitation")) for v in row)
        dump += " ".join(str(v) for row in c.execute(text("SELECT * FROM api_key")) for v in row)
    assert token not in dump and key not in dump
    assert store.api_key_role(key) == "evaluator"
    store.revoke_api_key(key)
    assert store.api_key_role(key) is None
    old = store.create_api_key("leader", expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    assert store.api_key_role(old) is None
    assert store.api_key_role("mny_not_a_key") is None


def test_audit_log_refuses_updates_and_deletes(store):
    _open_wave(store)
    assert store.audit_entries()
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with store.engine.connect() as c:
            with pytest.raises(Exception, match="append-only"):
                c.execute(text(sql))
                c.commit()
    assert all(e["actor"] != "x" for e in store.audit_entries())


def test_closed_wave_refuses_submissions(store):
    wave = _open_wave(store)
    store.set_wave_status(wave, "closed")
    with pytest.raises(Conflict, match="closed"):
        store.submit(wave, {"a_health": "5"})


def test_responses_stream_in_batches(store):
    wave = _open_wave(store)
    for k in range(25):
        store.submit(wave, {"a_health": "5"}, attributes={"community": f"c{k}"})
    got = list(store.responses(wave, batch=7))
    assert [r.attributes["community"] for r in got] == [f"c{k}" for k in range(25)]


def test_score_a_stored_wave(store, url, tmp_path):
    """manyi score --wave reads the stored responses of a wave."""
    import csv
    import json

    from engine.cli import main
    wave = _open_wave(store)
    sim = tmp_path / "sim.csv"
    assert main(["simulate", str(QUESTIONNAIRES / "community_satisfaction.yaml"), "--n", "300", "--out", str(sim),
                 "-q"]) == 0
    with open(sim, encoding="utf-8") as f:
        for k, row in enumerate(csv.DictReader(f)):
            attrs = {a: row.pop(a) for a in ("district", "street", "community")}
            row.pop("respondent_id")
            row.pop("duration_seconds")
            answers = {q: (v.split(";") if q in ("q_services_used", "q_elderly_needs", "q_priorities") and v else v)
                       for q, v in row.items() if v != ""}
            store.submit(wave, answers, attributes=attrs, mode="paper", idempotency_key=f"sim-{k}")
    out = tmp_path / "r.json"
    plan = QUESTIONNAIRES / "plans" / "community_2026.yaml"
    assert main(["score", "--plan", str(plan), "--wave", wave, "--database", url, "--out", str(out), "-q",
                 "--bootstrap", "0"]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["data"]["rows"] == 300 and res["data"]["path"] == f"wave:{wave}"
