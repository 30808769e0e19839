"""Import and export through /api/v1 on SQLite and PostgreSQL: upload -> every bad cell
reported, nothing stored; commit -> valid rows stored once; exports streamed."""

from __future__ import annotations

import csv
import io
import json

import pyreadstat
import pytest
from litestar.testing import TestClient

from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.web import create_app
from tests.conftest import QUESTIONNAIRES
from tests.engine.paper_data import valid_rows
from tests.engine.test_storage import url  # noqa: F401

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


@pytest.fixture
def api(url, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MANYI_IMPORT_DIR", str(tmp_path / "imports"))
    upgrade(url)
    store = Store(url)
    keys = {r: store.create_api_key(r) for r in ("evaluator", "leader")}
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("p1", vid, title="纸质")
    with TestClient(app=create_app(store, policy=POLICY, secret=b"s")) as client:
        yield client, store, {r: {"Authorization": f"Bearer {k}"} for r, k in keys.items()}
    store.engine.dispose()


def _csv(header, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_upload_reports_every_bad_cell_and_commit_stores_the_valid_rows_once(api):
    client, store, h = api
    header, rows = valid_rows(200, seed=13)
    rows[9][header.index("c_fire_safety")] = "8"
    rows[150][header.index("q_recommend")] = "11"
    r = client.post("/api/v1/waves/p1/imports", content=_csv(header, rows), headers=h["evaluator"])
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["rows"], report["valid_rows"], report["importable"]) == (200, 198, True)
    assert {(p["row"], p["column"], p["question"], p["code"]) for p in report["problems"]} == {
        (11, header.index("c_fire_safety") + 1, "c_fire_safety", "C002"),
        (152, header.index("q_recommend") + 1, "q_recommend", "C002")}
    assert list(store.responses("p1")) == []
    commit = f"/api/v1/waves/p1/imports/{report['import_id']}/commit"
    first = client.post(commit, headers=h["evaluator"])
    assert first.status_code == 200 and first.json()["inserted"] == 198
    second = client.post(commit, headers=h["evaluator"]).json()
    assert (second["inserted"], second["already_stored"]) == (0, 198)
    assert len(list(store.responses("p1"))) == 198
    assert {r.mode for r in store.responses("p1")} == {"paper"}


def test_commit_of_a_file_with_header_problems_is_422_and_stores_nothing(api):
    client, store, h = api
    header, rows = valid_rows(3, seed=1)
    header[5] = "q_gendr"
    report = client.post("/api/v1/waves/p1/imports", content=_csv(header, rows), headers=h["evaluator"]).json()
    assert [p["code"] for p in report["file_problems"]] == ["C001"] and not report["importable"]
    r = client.post(f"/api/v1/waves/p1/imports/{report['import_id']}/commit", headers=h["evaluator"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["header"] == "q_gendr"
    assert list(store.responses("p1")) == []
    missing = client.post("/api/v1/waves/p1/imports/" + "0" * 64 + "/commit", headers=h["evaluator"])
    assert missing.status_code == 404


def test_exports_stream_csv_and_serve_sav_and_codebook(api, tmp_path):
    client, store, h = api
    header, rows = valid_rows(120, seed=2)
    rep = client.post("/api/v1/waves/p1/imports", content=_csv(header, rows), headers=h["evaluator"]).json()
    client.post(f"/api/v1/waves/p1/imports/{rep['import_id']}/commit", headers=h["evaluator"])
    r = client.get("/api/v1/waves/p1/export?format=csv", headers=h["leader"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    got = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(got) == 120 and [g["respondent_id"] for g in got] == [row[0] for row in rows]
    assert [g["a_health"] for g in got] == [row[header.index("a_health")] for row in rows]
    r = client.get("/api/v1/waves/p1/export?format=sav", headers=h["evaluator"])
    assert r.status_code == 200
    (tmp_path / "w.sav").write_bytes(r.content)
    data, meta = pyreadstat.read_sav(str(tmp_path / "w.sav"), output_format="dict")
    assert meta.number_rows == 120 and meta.variable_value_labels["a_health"][9.0] == "不了解"
    r = client.get("/api/v1/waves/p1/export?format=codebook&codebook_format=json&language=en", headers=h["evaluator"])
    book = json.loads(r.content)
    assert next(v for v in book["variables"] if v["variable"] == "a_health")["label"] == "Community health services"
    bad = client.get("/api/v1/waves/p1/export?format=pdf", headers=h["evaluator"])
    assert bad.status_code == 422 and "format must be one of" in bad.json()["detail"]
    assert client.get("/api/v1/waves/nope/export?format=csv", headers=h["evaluator"]).status_code == 404
