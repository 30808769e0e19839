"""Races over HTTP, as deployed: two `manyi serve` processes on one database (like two
workers), eight clients released together by a barrier. On one invitation token, one
transaction, one case: exactly one wins, every other gets 409, and the database holds one
result. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import create_engine, text

from engine.storage import Store, upgrade
from tests.conftest import QUESTIONNAIRES, valid_answers
from tests.hardening._server import Server

CLIENTS = 8
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(module_url, tmp_path_factory):
    url = module_url
    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="并发")
    store.set_wave_status("w1", "open")
    keys = {role: store.create_api_key(role) for role in ("admin", "handler", "integrator", "leader")}
    tokens = store.create_invitations("w1", [{"community": "330102001001"}])
    store.engine.dispose()
    logs = tmp_path_factory.mktemp("logs")
    servers = [Server(url, logs / f"server{k}.log", probe_key=keys["leader"]) for k in range(2)]
    try:
        for s in servers:
            s.start()
        yield [s.base for s in servers], keys, tokens[0]
    finally:
        for s in servers:
            s.stop()


def race(bases: list[str], key: str, path: str, bodies: list, headers: list[dict] | None = None) -> list[httpx.Response]:
    """Send bodies[k] from client k (to server k % 2) all at once; the answers in order."""
    out: list = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def go(k: int) -> None:
        with httpx.Client(base_url=bases[k % len(bases)], timeout=60) as c:
            c.get("/api/v1/cases/1", headers={"Authorization": f"Bearer {key}"})  # connect before the race
            barrier.wait()
            out[k] = c.post(path, json=bodies[k], headers={"Authorization": f"Bearer {key}",
                                                           **((headers or [{}] * len(bodies))[k])})

    threads = [threading.Thread(target=go, args=(k,)) for k in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _count(url: str, sql: str) -> int:
    eng = create_engine(url)
    with eng.connect() as c:
        n = c.execute(text(sql)).scalar()
    eng.dispose()
    return n


def test_parallel_submissions_on_one_invitation(served, module_url):
    bases, keys, token = served
    bodies = [{"answers": valid_answers(k, a_health=str(1 + k % 5)), "token": token} for k in range(CLIENTS)]
    codes = sorted(r.status_code for r in race(bases, keys["integrator"], "/api/v1/waves/w1/responses", bodies))
    assert codes == [201] + [409] * (CLIENTS - 1)
    assert _count(module_url, "SELECT count(*) FROM response WHERE invitation_id IS NOT NULL") == 1


def test_parallel_retries_with_one_idempotency_key_store_once(served, module_url):
    bases, keys, _ = served
    bodies = [{"answers": valid_answers(0, a_health="4"), "mode": "paper"}] * CLIENTS
    answers = race(bases, keys["integrator"], "/api/v1/waves/w1/responses", bodies,
                   [{"Idempotency-Key": "same-sheet"}] * CLIENTS)
    assert [r.status_code for r in answers] == [201] * CLIENTS
    assert len({r.json()["id"] for r in answers}) == 1
    assert _count(module_url, "SELECT count(*) FROM response WHERE idempotency_key = 'same-sheet'") == 1


def test_parallel_ratings_of_one_transaction(served, module_url):
    bases, keys, _ = served
    bodies = [{"transaction_no": "RACE1", "adapter": "gbt39046", "level_code": str(4 + k % 2), "channel_code": "4",
               "region_code": "440106", "finished_at": "2026-09-30T10:00:00+00:00",
               "rated_at": "2026-09-30T11:00:00+00:00"} for k in range(CLIENTS)]
    answers = race(bases, keys["integrator"], "/api/v1/ratings", bodies)
    assert sorted(r.status_code for r in answers) == [201] + [409] * (CLIENTS - 1)
    assert _count(module_url, "SELECT count(*) FROM rating WHERE transaction_no = 'RACE1'") == 1
    assert _count(module_url, "SELECT count(*) FROM rating_case JOIN rating ON rating.id = rating_case.rating_id "
                  "WHERE transaction_no = 'RACE1'") == 1  # codes 4 and 5 are both bad: one case
    # the same transaction inside parallel batches: stored once over all of them
    batches = [[{**bodies[0], "transaction_no": f"RACE{2 + j}"} for j in range(5)] for _ in range(CLIENTS)]
    results = [x["status"] for r in race(bases, keys["integrator"], "/api/v1/ratings/batch", batches)
               for x in r.json()["results"]]
    assert sorted(results) == [201] * 5 + [409] * (5 * (CLIENTS - 1))
    assert _count(module_url, "SELECT count(*) FROM rating WHERE transaction_no LIKE 'RACE%'") == 6


def test_parallel_transitions_of_one_case(served, module_url):
    bases, keys, _ = served
    with httpx.Client(base_url=bases[0]) as c:
        h = {"Authorization": f"Bearer {keys['integrator']}"}
        case = c.post("/api/v1/ratings", headers=h, json={
            "transaction_no": "CASE1", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
            "region_code": "440106", "finished_at": "2026-09-30T10:00:00+00:00",
            "rated_at": "2026-09-30T11:00:00+00:00"}).json()["case_id"]
        assert c.post(f"/api/v1/cases/{case}/actions", json={"action": "assign", "note": "指派", "handler": "h1"},
                      headers={"Authorization": f"Bearer {keys['admin']}"}).status_code == 200
    bodies = [{"action": "call_back", "note": f"回访 {k}"} for k in range(CLIENTS)]
    answers = race(bases, keys["handler"], f"/api/v1/cases/{case}/actions", bodies, [{"X-User": "h1"}] * CLIENTS)
    assert sorted(r.status_code for r in answers) == [200] + [409] * (CLIENTS - 1)
    assert _count(module_url, f"SELECT count(*) FROM case_event WHERE case_id = {case}") == 2  # assign + one call-back
    assert _count(module_url, f"SELECT version FROM rating_case WHERE id = {case}") == 2
