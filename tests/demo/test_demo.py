"""`manyi demo` end to end on SQLite: the default demo, run once."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from sqlalchemy import text

from engine.demo import run_demo
from engine.storage import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo") / "demo")


def test_weighting_moves_the_index_by_more_than_its_standard_error(demo):
    f = demo.facts
    assert f["respondents"] == 20_000
    assert abs(f["overall_index"] - f["unweighted_index"]) > f["std_error"]
    res = json.loads(demo.waves["wave_2026"].read_text(encoding="utf-8"))
    o = next(e for e in res["estimates"] if e["target"] == "overall_index" and e["domain"] is None)
    assert (o["value"], o["std_error"]) == (f["overall_index"], f["std_error"])
    assert res["weighting"]["converged"]
    text = subprocess.run(["pdftotext", "-layout", str(demo.files["national report"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert f"加权使其变化{abs(f['overall_index'] - f['unweighted_index']):.2f}分，超过其标准误" in flat


def test_three_pdfs_are_written(demo):
    for what in ("national report", "scorecards", "rating report"):
        pdf = demo.files[what]
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000, what
    assert demo.facts["scorecards"] > 100


def test_the_sample_has_the_planted_problems_and_six_districts_of_120_communities(demo):
    res = json.loads(demo.waves["wave_2026"].read_text(encoding="utf-8"))
    q = res["quality"]["counts"]
    assert q["speeder"] > 0 and q["straightlining"] > 0
    districts = {e["domain"]["value"] for e in res["estimates"] if e["domain"] and e["domain"]["variable"] == "district"}
    communities = {e["domain"]["value"] for e in res["estimates"]
                   if e["domain"] and e["domain"]["variable"] == "community"}
    assert len(districts) == 6 and len(communities) == 120
    assert any(c["id"] == "previous_wave" for c in res["comparisons"])
    store = Store(demo.database_url)
    with store.engine.connect() as c:
        answers = [json.loads(a) if isinstance(a, str) else a for (a,) in c.execute(
            text("SELECT answers FROM response WHERE wave_id = 'wave_2026'")).all()]
    store.engine.dispose()
    dont_know = sum(v == "9" for a in answers for v in a.values())  # 不了解 / 说不清
    assert len(answers) == 20_000 and dont_know > 20_000


def test_ratings_have_2_to_5_percent_bad_and_cases_in_every_state_some_overdue(demo):
    f = demo.facts
    assert 0.02 <= f["bad_ratings"] / f["ratings"] <= 0.05
    store = Store(demo.database_url)
    with store.engine.connect() as c:
        states = dict(c.execute(text("SELECT state, count(*) FROM rating_case GROUP BY state")).all())
        departments = c.execute(text("SELECT count(DISTINCT department_code) FROM rating")).scalar()
        channels = c.execute(text("SELECT count(DISTINCT channel) FROM rating")).scalar()
        escalated = c.execute(text("SELECT count(*) FROM case_event WHERE action = 'escalate'")).scalar()
    store.engine.dispose()
    for s in ("open", "assigned", "called_back", "rectifying", "explained", "feedback_sent", "appealed", "closed",
              "closed_removed", "closed_disputed"):
        assert states.get(s, 0) > 0, s
    assert departments >= 6 and channels >= 5 and escalated > 0
