"""manyi backup / manyi restore on SQLite and PostgreSQL: a restored database equals its
source table by table (row counts and content hashes), keeps its append-only rules, and a
restore never lands on a database that holds data unless asked to replace it."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import pytest
from sqlalchemy import create_engine, text

from engine.calendar import national_calendar
from engine.cli import main
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.backup import table_digests
from engine.storage.ratings import act_on_case, add_rating, add_ratings
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_storage import PG_URL, url  # noqa: F401
from tests.hardening._figures import record

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
CAL = national_calendar()
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


def _rating(tx: str, code: str):
    r = msgspec.convert({"transaction_no": tx, "adapter": "gbt39046", "level_code": code, "channel_code": "4",
                         "region_code": "440106", "rater_phone": f"1390000{tx[-4:]}", "text": "窗口态度 \"ok\"",
                         "finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"},
                        RatingIn)
    return accept_rating(r, POLICY, CAL, secret=b"b")


def _fill(url: str) -> None:
    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="备份")
    store.set_wave_status("w1", "open")
    tokens = store.create_invitations("w1", [{"community": f"c{k}"} for k in range(5)])
    for k in range(40):
        store.submit("w1", {"a_health": str(1 + k % 5), "q_note": "中文 ünïcode"}, token=tokens[k] if k < 5 else None,
                     attributes={"community": f"c{k % 3}"}, idempotency_key=f"b-{k}")
    _, case = add_rating(store, _rating("T0000", "5"), POLICY, CAL)
    add_ratings(store, [_rating(f"T{k:04d}", str(1 + k % 5)) for k in range(1, 60)], POLICY, CAL)
    act_on_case(store, case, "assign", role="admin", actor="a", note="指派", policy=POLICY, calendar=CAL,
                at=dt.datetime(2026, 10, 8, 9, tzinfo=dt.timezone.utc), handler="h1")
    store.revoke_api_key(store.create_api_key("admin"))
    store.engine.dispose()


@pytest.fixture
def target(url, tmp_path):  # noqa: F811
    """An empty database of the same kind as `url`."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"manyi_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_restore_gives_back_every_table(url, target, tmp_path, capsys):  # noqa: F811
    _fill(url)
    before = table_digests(url)
    assert {"response", "rating", "rating_case", "case_event", "audit_log", "api_key"} <= set(before)
    assert all(before[t].rows > 0 for t in ("response", "rating", "rating_case", "case_event", "audit_log"))
    out = tmp_path / "manyi.backup"
    assert main(["backup", "--database", url, str(out)]) == 0
    assert f"{len(before)} tables" in capsys.readouterr().out
    assert main(["restore", str(out), "--database", target]) == 0
    after = table_digests(target)
    assert after == before  # every table: same rows, same content
    record(f"backup-{url.split(':')[0].split('+')[0]}", {"tables": len(after), "tables_equal": len(after),
                                                          "rows": sum(d.rows for d in after.values())})
    # the restored database keeps its rules: the audit log is still append-only
    eng = create_engine(target)
    with eng.connect() as c, pytest.raises(Exception, match="append-only"):
        c.execute(text("DELETE FROM audit_log"))
        c.commit()
    eng.dispose()
    # and it is a working database: the service's own code reads and writes it
    store = Store(target)
    assert len(list(store.responses("w1"))) == 40
    store.submit("w1", {"a_health": "3"}, idempotency_key="after-restore")
    store.engine.dispose()


def test_restore_refuses_a_database_with_data(url, tmp_path, capsys):  # noqa: F811
    _fill(url)
    out = tmp_path / "b.backup"
    assert main(["backup", "--database", url, str(out)]) == 0
    before = table_digests(url)
    assert main(["restore", str(out), "--database", url]) == 1
    assert "already has" in capsys.readouterr().err
    assert table_digests(url) == before
    assert main(["restore", str(tmp_path / "missing.backup"), "--database", url]) == 1
    (tmp_path / "junk.backup").write_bytes(b"not a backup")
    assert main(["restore", str(tmp_path / "junk.backup"), "--database", url, "--replace"]) == 1
    assert "not a" in capsys.readouterr().err
    assert table_digests(url) == before


def test_replace_restores_over_a_changed_database(url, tmp_path):  # noqa: F811
    _fill(url)
    out = tmp_path / "c.backup"
    assert main(["backup", "--database", url, str(out)]) == 0
    before = table_digests(url)
    store = Store(url)
    store.submit("w1", {"a_health": "1"}, idempotency_key="later")
    store.engine.dispose()
    assert table_digests(url)["response"].rows == before["response"].rows + 1
    assert main(["restore", str(out), "--database", url, "--replace"]) == 0
    assert table_digests(url) == before
