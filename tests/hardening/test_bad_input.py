"""Inputs the fuzzer rarely draws but people and systems send: NUL characters, values longer
than their column, bytes that are not UTF-8, wrong types inside free-form objects. None may
break the service (no 5xx): each gets a 4xx problem+json, and nothing is stored. PostgreSQL
is the strict one here (it refuses NUL in text and over-long values), so this runs on both."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.web import create_app
from tests.conftest import QUESTIONNAIRES, valid_answers

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
RATING = {"transaction_no": "N1", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
          "region_code": "440106", "finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"}

BAD = [  # (what, method, path, request keywords); {case} is a real case id
    ("Idempotency-Key of 300 characters", "post", "/api/v1/waves/w1/responses",
     {"json": {"answers": valid_answers(0)}, "headers": {"Idempotency-Key": "k" * 300}}),
    ("Idempotency-Key with a NUL", "post", "/api/v1/waves/w1/responses",
     {"json": {"answers": valid_answers(0)}, "headers": {"Idempotency-Key": "a\x00b"}}),
    ("wave id of 200 characters", "post", "/api/v1/waves", {"json": {"id": "w" * 200, "questionnaire_version_id": 1,
                                                                    "title": "t"}}),
    ("wave title of 500 characters", "post", "/api/v1/waves", {"json": {"id": "w2", "questionnaire_version_id": 1,
                                                                       "title": "t" * 500}}),
    ("wave title with a NUL", "post", "/api/v1/waves", {"json": {"id": "w3", "questionnaire_version_id": 1,
                                                                "title": "a\u0000"}}),
    ("plan text with a NUL", "post", "/api/v1/waves", {"json": {"id": "w4", "questionnaire_version_id": 1,
                                                               "title": "t", "plan_source": "a\u0000"}}),
    ("invitation stratum of 300 characters", "post", "/api/v1/waves/w1/invitations",
     {"json": {"people": [{"stratum": "s" * 300}]}}),
    ("invitation stratum of the wrong type", "post", "/api/v1/waves/w1/invitations",
     {"json": {"people": [{"stratum": 5}]}}),
    ("rating text with a NUL", "post", "/api/v1/ratings", {"json": {**RATING, "text": "a\u0000b"}}),
    ("transaction number with a NUL", "post", "/api/v1/ratings", {"json": {**RATING, "transaction_no": "N\u00002"}}),
    ("batch item with a NUL", "post", "/api/v1/ratings/batch", {"json": [{**RATING, "transaction_no": "N\u00003"}]}),
    ("questionnaire that is not UTF-8", "post", "/api/v1/questionnaires", {"content": b"\xff\xfe\x00id"}),
    ("questionnaire with a NUL", "post", "/api/v1/questionnaires", {"content": b"id: a\x00"}),
    ("wave id in the path with a NUL", "post", "/api/v1/waves/a%00b/open", {}),
    ("case handler of 500 characters", "post", "/api/v1/cases/{case}/actions",
     {"json": {"action": "assign", "note": "n", "handler": "h" * 500}}),
    ("case note with a NUL", "post", "/api/v1/cases/{case}/actions",
     {"json": {"action": "assign", "note": "n\u0000", "handler": "h"}}),
    ("X-User of 500 characters", "post", "/api/v1/cases/{case}/actions",
     {"json": {"action": "assign", "note": "n", "handler": "h"}, "headers": {"X-User": "u" * 500}}),
]


@pytest.fixture(scope="module")
def env(module_url):
    upgrade(module_url)
    store = Store(module_url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="坏输入")
    store.set_wave_status("w1", "open")
    key = store.create_api_key("admin")
    with TestClient(app=create_app(store, policy=POLICY, secret=b"bad"), raise_server_exceptions=False) as client:
        h = {"Authorization": f"Bearer {key}"}
        case = client.post("/api/v1/ratings", json={**RATING, "transaction_no": "CASE"}, headers=h).json()["case_id"]
        yield client, store, h, case
    store.engine.dispose()


def _counts(store: Store) -> tuple:
    with store.engine.connect() as c:
        return tuple(c.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                     for t in ("wave", "invitation", "response", "rating", "case_event", "questionnaire_version"))


@pytest.mark.parametrize("what,method,path,kw", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_4xx_problem_and_stores_nothing(env, what, method, path, kw):
    client, store, h, case = env
    before = _counts(store)
    r = client.request(method.upper(), path.format(case=case), **{**kw, "headers": {**h, **kw.get("headers", {})}})
    assert 400 <= r.status_code < 500, (what, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), what
    assert _counts(store) == before, what
