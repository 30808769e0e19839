"""The /api/v1 service on SQLite and PostgreSQL: roles on every route, problem+json errors,
idempotent submissions, duplicate and late ratings."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.models import ROLES
from engine.web import create_app
from engine.web.app import ROUTE_ROLES
from tests.conftest import QUESTIONNAIRES, valid_answers
from tests.engine.test_loader import PLANTED
from tests.engine.test_storage import url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


@pytest.fixture
def env(url):  # noqa: F811
    upgrade(url)
    store = Store(url)
    keys = {role: store.create_api_key(role) for role in ROLES}
    revoked = store.create_api_key("admin")
    store.revoke_api_key(revoked)
    keys["revoked"] = revoked
    keys["expired"] = store.create_api_key("admin", expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(1))
    with TestClient(app=create_app(store, policy=POLICY, secret=b"s")) as client:
        yield client, store, keys
    store.engine.dispose()


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_every_route_of_the_openapi_document_has_roles(env):
    client, _, _ = env
    paths = client.get("/schema/openapi.json").json()["paths"]
    routes = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}
    assert routes == set(ROUTE_ROLES)


CALLS = {
    "POST /api/v1/questionnaires": ("post", "/api/v1/questionnaires", {"content": SOURCE.encode()}),
    "POST /api/v1/waves": ("post", "/api/v1/waves", {"json": {"id": "w9", "questionnaire_version_id": 999,
                                                            "title": "x"}}),
    "POST /api/v1/waves/{wave_id}/open": ("post", "/api/v1/waves/none/open", {}),
    "POST /api/v1/waves/{wave_id}/close": ("post", "/api/v1/waves/none/close", {}),
    "POST /api/v1/waves/{wave_id}/invitations": ("post", "/api/v1/waves/none/invitations", {"json": {"people": []}}),
    "POST /api/v1/waves/{wave_id}/responses": ("post", "/api/v1/waves/none/responses", {"json": {"answers": {}}}),
    "GET /api/v1/waves/{wave_id}/responses": ("get", "/api/v1/waves/none/responses", {}),
    "POST /api/v1/ratings": ("post", "/api/v1/ratings", {"json": {}}),
    "POST /api/v1/ratings/batch": ("post", "/api/v1/ratings/batch", {"json": []}),
    "POST /api/v1/transactions": ("post", "/api/v1/transactions", {"json": []}),
    "GET /api/v1/metrics": ("get", "/api/v1/metrics?start=2026-09-01&end=2026-10-01", {}),
    "GET /api/v1/cases/{case_id}": ("get", "/api/v1/cases/999", {}),
    "POST /api/v1/cases/{case_id}/actions": ("post", "/api/v1/cases/999/actions",
                                              {"json": {"action": "assign", "note": "x"}}),
    "POST /api/v1/waves/{wave_id}/imports": ("post", "/api/v1/waves/none/imports", {"content": b"q_gender\nmale\n"}),
    "POST /api/v1/waves/{wave_id}/imports/{import_id}/commit": ("post", "/api/v1/waves/none/imports/0/commit", {}),
    "GET /api/v1/waves/{wave_id}/export": ("get", "/api/v1/waves/none/export?format=csv", {}),
}


@pytest.mark.parametrize("route", sorted(ROUTE_ROLES))
def test_every_route_for_every_role(env, route):
    client, _, keys = env
    method, path, kw = CALLS[route]
    for who in list(ROLES) + ["none", "revoked", "expired"]:
        headers = auth(keys[who]) if who in keys else {}
        r = getattr(client, method)(path, headers=headers, **kw)
        if who in ROUTE_ROLES[route]:
            assert r.status_code not in (401, 403), (who, r.status_code, r.text)
        else:
            assert r.status_code == (403 if who in ROLES else 401), (who, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")


def test_upload_with_mistakes_is_422_naming_each_question(env):
    client, _, keys = env
    r = client.post("/api/v1/questionnaires", content=PLANTED.encode(), headers=auth(keys["evaluator"]))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    errs = r.json()["errors"]
    assert {e["code"] for e in errs} == {"S001", "Q001", "E002", "Y002", "D001"}
    assert any("q_staff" in e["subject"] for e in errs)


def test_survey_flow_and_idempotent_submission(env):
    client, store, keys = env
    h = auth(keys["evaluator"])
    vid = client.post("/api/v1/questionnaires", content=SOURCE.encode(), headers=h).json()["questionnaire_version_id"]
    assert client.post("/api/v1/waves", json={"id": "w1", "questionnaire_version_id": vid, "title": "一"},
                       headers=h).status_code == 201
    assert client.post("/api/v1/waves/w1/open", headers=h).json()["status"] == "open"
    body = {"answers": valid_answers(1, a_health="5"), "attributes": {"community": "330102001001"}, "mode": "paper"}
    hk = {**auth(keys["integrator"]), "Idempotency-Key": "paper-001"}
    a = client.post("/api/v1/waves/w1/responses", json=body, headers=hk)
    b = client.post("/api/v1/waves/w1/responses", json=body, headers=hk)
    assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]
    c = client.post("/api/v1/waves/w1/responses", json={**body, "answers": valid_answers(1, a_health="4")}, headers=hk)
    assert c.status_code == 409
    listed = client.get("/api/v1/waves/w1/responses", headers=auth(keys["leader"])).json()["responses"]
    assert len(listed) == 1 and listed[0]["mode"] == "paper" and listed[0]["answers"] == body["answers"]


def test_answers_the_questionnaire_does_not_accept_are_422_naming_each_question(env):
    client, store, keys = env
    h = auth(keys["evaluator"])
    vid = client.post("/api/v1/questionnaires", content=SOURCE.encode(), headers=h).json()["questionnaire_version_id"]
    client.post("/api/v1/waves", json={"id": "w1", "questionnaire_version_id": vid, "title": "一"}, headers=h)
    client.post("/api/v1/waves/w1/open", headers=h)
    hk = auth(keys["integrator"])
    bad = {"a_health": "7", "q_years_lived": 0.2, "q_nonexistent": "1", "q_recommend": "11"}
    r = client.post("/api/v1/waves/w1/responses", json={"answers": valid_answers(2, **bad)}, headers=hk)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert {e["question"] for e in r.json()["errors"]} == {"q_nonexistent"}  # unknown ids first, alone
    del bad["q_nonexistent"]
    r = client.post("/api/v1/waves/w1/responses", json={"answers": valid_answers(2, **bad)}, headers=hk)
    got = {e["question"]: e for e in r.json()["errors"]}
    assert r.status_code == 422 and set(got) == {"a_health", "q_years_lived", "q_recommend"}
    assert "not a code" in got["a_health"]["message"] and "a_health" in r.json()["detail"]
    missing = valid_answers(2)
    del missing["q_gender"]
    r = client.post("/api/v1/waves/w1/responses", json={"answers": missing}, headers=hk)
    assert r.status_code == 422 and [e["question"] for e in r.json()["errors"]] == ["q_gender"]
    partial = client.post("/api/v1/waves/w1/responses", json={"answers": missing, "complete": False}, headers=hk)
    assert partial.status_code == 201 and partial.json()["status"] == "partial"
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM response")).scalar() == 1  # only the partial one


def _rating(**kw) -> dict:
    base = {"transaction_no": "T1", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
            "region_code": "440106", "rater_phone": "13800000000",
            "finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"}
    return {**base, **kw}


def _rows(store) -> tuple:
    with store.engine.connect() as c:
        return tuple(c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("rating", "rating_case"))


def test_duplicate_rating_409_and_late_rating_422_change_nothing(env):
    client, store, keys = env
    h = auth(keys["integrator"])
    r = client.post("/api/v1/ratings", json=_rating(), headers=h)
    assert r.status_code == 201 and r.json()["bucket"] == "bad" and r.json()["case_id"]
    before = _rows(store)
    dup = client.post("/api/v1/ratings", json=_rating(level_code="1"), headers=h)
    assert dup.status_code == 409 and "already rated" in dup.json()["detail"]
    late = client.post("/api/v1/ratings", json=_rating(transaction_no="T2", rated_at="2026-10-09T09:00:00+00:00"),
                       headers=h)
    assert late.status_code == 422 and late.json()["field"] == "rated_at"
    assert "7 natural days" in late.json()["detail"]
    assert _rows(store) == before
    with store.engine.connect() as c:
        stored = " ".join(str(v) for row in c.execute(text("SELECT * FROM rating")) for v in row)
    assert "13800000000" not in stored


def test_case_actions_through_the_api(env):
    client, store, keys = env
    case = client.post("/api/v1/ratings", json=_rating(), headers=auth(keys["integrator"])).json()["case_id"]
    r = client.post(f"/api/v1/cases/{case}/actions", json={"action": "assign", "note": "指派", "handler": "h1"},
                    headers=auth(keys["admin"]))
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    wrong = client.post(f"/api/v1/cases/{case}/actions", json={"action": "call_back", "note": "x"},
                        headers={**auth(keys["handler"]), "X-User": "h2"})
    assert wrong.status_code == 403
    ok = client.post(f"/api/v1/cases/{case}/actions", json={"action": "call_back", "note": "已回访"},
                     headers={**auth(keys["handler"]), "X-User": "h1"})
    assert ok.status_code == 200 and ok.json()["state"] == "called_back"
    assert client.get(f"/api/v1/cases/{case}", headers=auth(keys["leader"])).json()["state"] == "called_back"


def test_batch_of_ratings_stores_the_valid_ones_and_says_why_not_the_others(env):
    client, store, keys = env
    h = auth(keys["integrator"])
    batch = [_rating(transaction_no=f"B{k}", level_code=str(1 + k % 5), rater_phone=f"1390000{k:04d}")
             for k in range(20)]
    batch.append(_rating(transaction_no="B3", rater_phone="13900009999"))          # duplicate in the batch
    batch.append(_rating(transaction_no="B99", rated_at="2026-10-20T09:00:00+00:00"))  # late
    r = client.post("/api/v1/ratings/batch", json=batch, headers=h)
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x["status"] for x in res] == [201] * 20 + [409, 422]
    assert _rows(store)[0] == 20 and _rows(store)[1] == sum(1 for k in range(20) if 1 + k % 5 >= 4)
    again = client.post("/api/v1/ratings/batch", json=batch[:2], headers=h).json()["results"]
    assert [x["status"] for x in again] == [409, 409] and _rows(store)[0] == 20
    m = client.get("/api/v1/metrics?start=2026-09-01&end=2026-10-31&by=channel", headers=auth(keys["leader"]))
    assert m.status_code == 200
    (grp,) = m.json()["groups"].values()
    assert grp["valid"] == 20 and grp["bad_rate"]["numerator"] == 8


def test_velocity_limits_hold_in_a_batch_as_for_ratings_sent_one_by_one(env):
    client, store, keys = env
    h = auth(keys["integrator"])  # national policy: 20 ratings a day from one phone
    assert client.post("/api/v1/ratings", json=_rating(transaction_no="V0"), headers=h).status_code == 201
    batch = [_rating(transaction_no=f"V{k}") for k in range(1, 23)]
    batch[3] = _rating(transaction_no="V0")                                         # stored before: 409, not counted
    batch[5] = _rating(transaction_no="V1")                                         # twice in the batch: 409
    batch.append(_rating(transaction_no="V99", rater_phone="13900000001"))          # another phone
    batch.append(_rating(transaction_no="V98", rated_at="2026-10-01T09:00:00+00:00"))  # the phone's next day
    res = client.post("/api/v1/ratings/batch", json=batch, headers=h).json()["results"]
    # V0, then 19 new ratings of the batch make the phone's 20 today: the 20th new one is refused
    assert [x["status"] for x in res] == [201, 201, 201, 409, 201, 409] + [201] * 15 + [429, 201, 201]
    assert res[21]["field"] == "rater_phone" and "20 ratings from one rater today" in res[21]["detail"]
    assert _rows(store)[0] == 1 + 19 + 2
    again = client.post("/api/v1/ratings/batch", json=[_rating(transaction_no="V50"), _rating(transaction_no="V0")],
                        headers=h).json()["results"]
    assert [x["status"] for x in again] == [429, 429]   # the limit first, as for a single rating
    assert client.post("/api/v1/ratings", json=_rating(transaction_no="V51"), headers=h).status_code == 429


def test_overdue_cases_are_escalated_once_a_day(env):
    from engine.calendar import national_calendar
    from engine.storage.ratings import escalate_overdue, load_case
    client, store, keys = env
    case = client.post("/api/v1/ratings", json=_rating(), headers=auth(keys["integrator"])).json()["case_id"]
    cal = national_calendar()
    late_day = load_case(store, case).due["assignment"] + dt.timedelta(days=3)
    assert escalate_overdue(store, POLICY, cal, today=late_day) == [case]
    assert escalate_overdue(store, POLICY, cal, today=late_day) == []
    assert load_case(store, case).escalations == 1


def test_keys_command_creates_a_working_key_and_revokes_it(tmp_path, capsys):
    from engine.cli import main
    db = f"sqlite:///{tmp_path / 'k.db'}"
    assert main(["keys", "create", "--role", "leader", "--database", db]) == 0
    key = capsys.readouterr().out.strip()
    store = Store(db)
    assert store.api_key_role(key) == "leader"
    assert main(["keys", "revoke", "--key", key, "--database", db]) == 0
    assert store.api_key_role(key) is None
    store.engine.dispose()


def test_a_key_revoked_while_the_service_runs_stops_working_within_the_ttl(env, monkeypatch):
    import time

    import engine.web.app as web_app
    client, store, _ = env
    monkeypatch.setattr(web_app, "KEY_TTL", 0.2)
    key = store.create_api_key("evaluator")
    assert client.get("/api/v1/waves/none/responses", headers=auth(key)).status_code == 200
    store.revoke_api_key(key)
    time.sleep(0.3)
    assert client.get("/api/v1/waves/none/responses", headers=auth(key)).status_code == 401


def test_requests_that_find_a_key_unchecked_wait_for_one_lookup(env, monkeypatch):
    import time
    from concurrent.futures import ThreadPoolExecutor

    client, store, _ = env
    key = store.create_api_key("evaluator")
    calls: list[str] = []
    real = store.api_key_role

    def counted(k: str):
        calls.append(k)
        time.sleep(0.2)  # a slow lookup: the other requests arrive while it runs
        return real(k)

    monkeypatch.setattr(store, "api_key_role", counted)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.get("/api/v1/waves/none/responses", headers=auth(key)).status_code,
                              range(8)))
    assert codes == [200] * 8 and calls == [key]
