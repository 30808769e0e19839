"""Crash test: the real server (`manyi serve`, a separate process) is killed with SIGKILL at
least five times while clients submit survey responses (with Idempotency-Key) and ratings,
singly and in batches (the transaction number is the natural idempotency key). Clients retry
every request that got no answer, with the same key, until it is answered.

Afterwards, read straight from the database: every acknowledged item is stored exactly once
and as sent, nothing is half-written (every bad rating has its case, a batch is stored whole
or not at all, the audit log accounts for every rating, every used invitation has its
response), and no rater phone number reached the server's log.

The figures are printed (run with -s) and written to $MANYI_HARDENING_FIGURES/crash-<db>.json
when that variable names a folder; docs/hardening.md quotes them."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from engine.storage import Store, upgrade
from tests.conftest import QUESTIONNAIRES, valid_answers
from tests.engine.test_storage import url  # noqa: F401  (SQLite file / fresh PostgreSQL database)
from tests.hardening._figures import record
from tests.hardening._server import Server

KILLS = int(os.environ.get("MANYI_CRASH_KILLS", "6"))
WORKERS = 6
BATCH = 10
TOKENS = 200
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
RATED = {"finished_at": "2026-09-30T10:00:00+00:00", "rated_at": "2026-09-30T11:00:00+00:00"}


def _rating(tx: str, k: int) -> dict:
    # gbt39046 codes: 1 = 非常满意 (level 5) ... 5 = 非常不满意 (level 1); codes 4 and 5 open a case
    return {"transaction_no": tx, "adapter": "gbt39046", "level_code": str(1 + k % 5), "channel_code": "4",
            "region_code": "440106", "rater_phone": f"139{k:08d}", **RATED}


@dataclass
class Item:
    n: int                         # its place in the load
    kind: str                      # response | rating | batch
    key: str                       # Idempotency-Key, transaction number, or batch name
    path: str
    body: Any
    headers: dict
    attempts: int = 0
    unanswered: int = 0            # attempts that got no answer (refused, reset, timed out)
    result: Any = None
    stored_unanswered: bool = False  # a retry found it stored by an attempt that got no answer
    last_attempt: dt.datetime | None = None


@dataclass
class Load:
    base: str
    wave: str
    key: str
    tokens: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    producing: bool = True
    items: list[Item] = field(default_factory=list)
    acked: list[Item] = field(default_factory=list)
    failures: list[tuple] = field(default_factory=list)
    sent: int = 0
    unanswered: int = 0
    server_errors: int = 0
    in_flight: int = 0

    def next_item(self) -> Item | None:
        with self.lock:
            if not self.producing:
                return None
            k = len(self.items)
            auth = {"Authorization": f"Bearer {self.key}"}
            kind = ("response", "rating", "response", "rating", "batch")[k % 5]
            if kind == "response":
                body: Any = {"answers": valid_answers(k % 7, a_health=str(1 + k % 5), q_overall_sat=str(1 + (k // 5) % 5)),
                             "attributes": {"community": f"3301020010{k % 17:02d}"}, "mode": "paper"}
                if k % 3 == 0 and self.tokens:
                    body["token"] = self.tokens.pop()
                item = Item(k, "response", f"crash-{k}", f"/api/v1/waves/{self.wave}/responses", body,
                            {**auth, "Idempotency-Key": f"crash-{k}"})
            elif kind == "rating":
                item = Item(k, "rating", f"CR{k:06d}", "/api/v1/ratings", _rating(f"CR{k:06d}", k), auth)
            else:
                body = [_rating(f"CB{k:06d}-{j}", k + j) for j in range(BATCH)]
                item = Item(k, "batch", f"CB{k:06d}", "/api/v1/ratings/batch", body, auth)
            self.items.append(item)
            return item

    def work(self) -> None:
        with httpx.Client(base_url=self.base, timeout=15) as client:
            while (item := self.next_item()) is not None:
                self._until_answered(client, item)

    def _until_answered(self, client: httpx.Client, item: Item) -> None:
        while True:
            item.attempts += 1
            item.last_attempt = dt.datetime.now(dt.timezone.utc)
            # one item in seven loses its first answer on the way back (the client stops waiting
            # after 30 ms): the server may well have stored it, and the retry must not store it again
            lose = item.attempts == 1 and item.n % 7 == 3
            with self.lock:
                self.sent += 1
                self.in_flight += 1
            try:
                r = client.post(item.path, json=item.body, headers=item.headers,
                                timeout=httpx.Timeout(15, read=0.03) if lose else httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError:
                r = None
            finally:
                with self.lock:
                    self.in_flight -= 1
            if r is None or r.status_code >= 500:
                with self.lock:
                    self.unanswered += r is None
                    self.server_errors += r is not None
                item.unanswered += 1
                time.sleep(min(0.5, 0.02 * 2 ** min(item.unanswered, 5)))  # the server may be restarting
                continue
            ok = self._acknowledged(item, r)
            with self.lock:
                (self.acked.append(item) if ok else self.failures.append((item.kind, item.key, r.status_code,
                                                                            r.text[:300])))
            return

    @staticmethod
    def _acknowledged(item: Item, r: httpx.Response) -> bool:
        # a 409 on a retry means an attempt that got no answer was stored: acknowledged now
        retried = item.unanswered > 0
        if item.kind == "response":
            item.result = r.json().get("id") if r.status_code == 201 else None
            return r.status_code == 201
        if item.kind == "rating":
            item.result = r.json().get("rating_id") if r.status_code == 201 else None
            item.stored_unanswered = r.status_code == 409 and retried
            return r.status_code == 201 or item.stored_unanswered
        if r.status_code != 200:
            return False
        statuses = {x["status"] for x in r.json()["results"]}
        item.stored_unanswered = statuses == {409} and retried
        return statuses == {201} or item.stored_unanswered  # whole or not at all


def _setup(url: str) -> tuple[dict[str, str], list[str]]:
    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("crash", vid, title="崩溃测试")
    store.set_wave_status("crash", "open")
    tokens = store.create_invitations("crash", [{"stratum": "s1", "community": f"33010200{k:04d}"} for k in range(TOKENS)])
    keys = {role: store.create_api_key(role) for role in ("integrator", "leader")}
    store.engine.dispose()
    return keys, tokens


@pytest.mark.slow
def test_acknowledged_items_survive_sigkill_exactly_once(url, tmp_path):  # noqa: F811
    keys, tokens = _setup(url)
    log = tmp_path / "server.log"
    server = Server(url, log, probe_key=keys["leader"])
    load = Load(server.base, "crash", keys["integrator"], list(tokens))
    rng = random.Random(9)
    in_flight_at_kill: list[int] = []
    started = time.monotonic()
    server.start()
    workers = [threading.Thread(target=load.work, daemon=True) for _ in range(WORKERS)]
    try:
        for t in workers:
            t.start()
        for _ in range(KILLS):
            before = len(load.acked)
            time.sleep(rng.uniform(0.8, 2.0))
            deadline = time.monotonic() + 30
            while len(load.acked) < before + 20 and time.monotonic() < deadline:
                time.sleep(0.05)  # kill only while load is flowing
            in_flight_at_kill.append(load.in_flight)
            server.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            server.start()
        time.sleep(1.0)
        load.producing = False
        for t in workers:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in workers), "clients still waiting for answers"
    finally:
        load.producing = False
        server.stop()

    assert not load.failures, load.failures[:5]
    assert load.server_errors == 0
    assert len(load.acked) == len(load.items)  # every item sent was in the end acknowledged
    figures = _verify(url, load, log)
    figures.update(database=url.split(":")[0].split("+")[0], kills=KILLS, restarts=server.starts - 1,
                   requests_sent=load.sent, requests_unanswered=load.unanswered,
                   in_flight_at_kill=in_flight_at_kill, seconds=round(time.monotonic() - started, 1))
    record(f"crash-{figures['database']}", figures)
    assert figures["lost"] == figures["duplicated"] == 0
    assert sum(1 for n in in_flight_at_kill if n > 0) >= 1, "no kill hit a request in flight"


def _verify(url: str, load: Load, log: Path) -> dict:
    responses = [i for i in load.acked if i.kind == "response"]
    expected_ratings: dict[str, tuple[int, str]] = {}  # transaction -> (level, how it came)
    for i in load.acked:
        for r in ([i.body] if i.kind == "rating" else i.body if i.kind == "batch" else []):
            expected_ratings[r["transaction_no"]] = (6 - int(r["level_code"]), i.kind)
    eng = create_engine(url)
    with eng.connect() as c:
        if url.startswith("sqlite"):
            assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        rows = c.execute(text("SELECT id, idempotency_key, answers, status, invitation_id, created_at "
                              "FROM response")).all()
        ratings = c.execute(text("SELECT id, transaction_no, level, bucket FROM rating")).all()
        cases = c.execute(text("SELECT rating_id, state, version FROM rating_case")).all()
        audit = c.execute(text("SELECT action, target_id, detail FROM audit_log WHERE target_type = 'rating'")).all()
        used = c.execute(text("SELECT id FROM invitation WHERE used_at IS NOT NULL")).all()
    eng.dispose()

    # responses: one row per acknowledged key, the id acknowledged, the answers sent, nothing else
    by_key = {r.idempotency_key: r for r in rows}
    key_counts = Counter(r.idempotency_key for r in rows)
    lost = sum(1 for i in responses if i.key not in by_key)
    dup = sum(n - 1 for n in key_counts.values()) + max(0, len(rows) - len(responses))
    for i in responses:
        row = by_key[i.key]
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers)
        assert row.id == i.result and answers == i.body["answers"] and row.status == "complete", i.key
        assert (row.invitation_id is not None) == ("token" in i.body), i.key
    def created(row) -> dt.datetime:
        t = row.created_at if isinstance(row.created_at, dt.datetime) else dt.datetime.fromisoformat(row.created_at)
        return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    responses_stored_on_retry = sum(1 for i in responses if i.unanswered and created(by_key[i.key]) < i.last_attempt)
    with_token = [by_key[i.key].invitation_id for i in responses if "token" in i.body]
    assert sorted(with_token) == sorted(r.id for r in used), "a used invitation without its response, or the reverse"
    assert len(set(with_token)) == len(with_token)

    # ratings: each acknowledged transaction once, at the level sent; no rating nobody sent
    tx_counts = Counter(r.transaction_no for r in ratings)
    lost += sum(1 for tx in expected_ratings if tx not in tx_counts)
    dup += sum(n - 1 for n in tx_counts.values()) + sum(1 for tx in tx_counts if tx not in expected_ratings)
    for r in ratings:
        assert r.level == expected_ratings[r.transaction_no][0], r.transaction_no
    # no half-written rating: every bad rating has exactly one case, every case its rating
    bad = {r.id for r in ratings if r.bucket == "bad"}
    case_of = Counter(c.rating_id for c in cases)
    assert set(case_of) == bad and set(case_of.values()) <= {1}
    assert all(c.state == "open" and c.version == 0 for c in cases)
    # the audit log accounts for every rating: one `rate` row each, batches by their count
    singles = {r.id for r in ratings if expected_ratings[r.transaction_no][1] == "rating"}
    rate_targets = [int(a.target_id) for a in audit if a.action == "rate"]
    assert sorted(rate_targets) == sorted(singles)
    batch_stored = sum((a.detail if isinstance(a.detail, dict) else json.loads(a.detail))["stored"]
                       for a in audit if a.action == "rate_batch")
    assert batch_stored == len(ratings) - len(singles)

    # personal data: no rater phone number in what the server wrote
    logged = log.read_text(encoding="utf-8", errors="replace")
    phones = {r["rater_phone"] for i in load.items if i.kind != "response"
              for r in ([i.body] if i.kind == "rating" else i.body)}
    assert not [p for p in phones if p in logged]

    n_batches = sum(1 for i in load.acked if i.kind == "batch")
    return {"items_acknowledged": len(responses) + len(expected_ratings), "items_found": len(rows) + len(ratings),
            "responses_acknowledged": len(responses), "responses_found": len(rows),
            "ratings_acknowledged": len(expected_ratings), "ratings_found": len(ratings),
            "batches_acknowledged": n_batches, "cases_found": len(cases), "invitations_used": len(used),
            "acknowledged_after_a_retry": sum(1 for i in load.acked if i.unanswered),
            "found_stored_on_retry": {"responses": responses_stored_on_retry,
                                      "ratings_or_batches": sum(1 for i in load.acked if i.stored_unanswered)},
            "lost": lost, "duplicated": dup, "server_log_bytes": len(logged)}
