"""`manyi score` and `manyi simulate`: results.json from a CSV, and CSV mistakes reported by
column and row."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.diagnostics import RULES
from tests.conftest import QUESTIONNAIRES

PLAN = QUESTIONNAIRES / "plans" / "community_2026.yaml"
QUESTIONNAIRE = QUESTIONNAIRES / "community_satisfaction.yaml"


@pytest.fixture(scope="module")
def wave(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wave") / "wave.csv"
    assert main(["simulate", str(QUESTIONNAIRE), "--n", "1500", "--seed", "3", "--out", str(path), "-q"]) == 0
    return path


@pytest.fixture(scope="module")
def results(wave, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out") / "results.json"
    assert main(["score", "--plan", str(PLAN), "--data", str(wave), "--out", str(out), "-q", "--bootstrap", "20"]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_results_hold_every_part(results):
    for key in ("weighting", "weights", "estimates", "comparisons", "reliability", "drivers", "ipa",
                "league_tables", "quality", "design", "data", "plan", "questionnaire"):
        assert results[key] is not None, key
    overall = [e for e in results["estimates"] if e["target"] == "overall_index" and e["domain"] is None]
    (o,) = overall
    assert 0 < o["value"] < 100 and o["ci_low"] < o["value"] < o["ci_high"] and o["n"] > 0
    assert results["weighting"]["method"] == "rake+trim" and results["weighting"]["converged"]
    assert results["weights"]["overall_index"]["method"] == "ahp"
    assert results["weights"]["overall_index"]["consistency_ratio"] < 0.1
    doms = {e["domain"]["variable"] for e in results["estimates"] if e["domain"]}
    assert doms == {"district", "street", "community", "gender", "age_band"}


def test_indices_combine_their_children(results):
    est = {(e["target"]): e for e in results["estimates"] if e["domain"] is None and e["kind"] == "index"}
    w = results["weights"]["overall_index"]
    combined = sum(wt * est[c]["value"] for c, wt in zip(w["children"], w["weights"]))
    assert combined == pytest.approx(est["overall_index"]["value"], rel=1e-12)


def test_community_league_table_uses_within_unit_variance(results):
    lt = results["league_tables"]["community"]
    assert lt["variance"].startswith("within-unit")
    ranked = [r for r in lt["rows"] if r["rank"]]
    assert ranked and all(r["std_error"] > 0 for r in ranked)
    assert all(r["n"] >= lt["min_n"] for r in ranked)
    assert all(r["suppressed"] for r in lt["rows"] if r["n"] < lt["min_n"])


def _rewrite(src: Path, dst: Path, *, rename: tuple[str, str] | None = None, set_cell: tuple[int, str, str] | None = None,
             drop: str | None = None) -> None:
    with open(src, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    if rename:
        header[header.index(rename[0])] = rename[1]
    if set_cell:
        row, col, value = set_cell
        rows[row][header.index(col)] = value
    if drop:
        k = header.index(drop)
        rows = [r[:k] + r[k + 1:] for r in rows]
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _score_diags(data: Path, capsys) -> list[str]:
    code = main(["score", "--plan", str(PLAN), "--data", str(data), "--out", str(data.with_suffix(".json")), "-q"])
    assert code == 1
    return [line for line in capsys.readouterr().out.splitlines() if ": error[" in line]


def test_misnamed_column_names_the_column(wave, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    _rewrite(wave, bad, rename=("a_health", "a_helth"))
    lines = _score_diags(bad, capsys)
    assert any("error[C001] column 'a_helth'" in ln and "did you mean 'a_health'?" in ln for ln in lines)
    assert any("error[C003] column 'a_health'" in ln for ln in lines)  # the tree needs it
    assert all(ln.startswith(f"{bad}:1:") for ln in lines)


def test_value_outside_the_scale_names_column_and_row(wave, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    _rewrite(wave, bad, set_cell=(7, "a_health", "6"))
    (line,) = _score_diags(bad, capsys)
    header = next(csv.reader(open(wave, encoding="utf-8")))
    assert line.startswith(f"{bad}:8:{header.index('a_health') + 1}: error[C002] column 'a_health': '6' is not a code")


def test_missing_design_column_is_named(wave, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    _rewrite(wave, bad, drop="community")
    (line,) = _score_diags(bad, capsys)
    assert "error[C003] column 'community': the data has no column 'community' (design PSU)" in line


def test_empty_file_and_bad_encoding(tmp_path, capsys):
    f = tmp_path / "e.csv"
    f.write_text("", encoding="utf-8")
    assert "error[C004]" in "\n".join(_score_diags(f, capsys))
    f.write_bytes("respondent_id\n\xff\xfe".encode("latin-1"))
    assert "error[C004]" in "\n".join(_score_diags(f, capsys))


def test_every_data_code_is_tested():
    # C005-C009 are the paper-import codes, tested in tests/engine/test_import.py
    assert {c for c in RULES if c.startswith("C")} == {"C001", "C002", "C003", "C004", "C005", "C006", "C007",
                                                       "C008", "C009"}


def test_score_runs_as_a_command_without_traceback(wave, tmp_path):
    exe = Path(sys.executable).parent / "manyi"
    out = tmp_path / "r.json"
    run = subprocess.run([str(exe), "score", "--plan", str(PLAN), "--data", str(wave), "--out", str(out),
                          "--bootstrap", "0"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "overall index" in run.stdout and json.loads(out.read_text(encoding="utf-8"))["estimates"]


def test_collapsed_and_row_level_evaluations_agree(tmp_path):
    """The evaluation sums respondents who share every design attribute into one row; the
    numbers must equal those computed from the respondents."""
    from engine.analysis import evaluate, read_csv
    from engine.loader import load_plan, load_questionnaire
    wave = tmp_path / "w.csv"
    assert main(["simulate", str(QUESTIONNAIRE), "--n", "6000", "--seed", "9", "--out", str(wave), "-q"]) == 0
    q, plan = load_questionnaire(QUESTIONNAIRE), load_plan(PLAN)
    data = read_csv(wave, q, plan)
    a = evaluate(plan, q, data, base_dir=PLAN.parent, bootstrap_replicates=0, collapse_rows=True)
    b = evaluate(plan, q, data, base_dir=PLAN.parent, bootstrap_replicates=0, collapse_rows=False)
    assert len(a["estimates"]) == len(b["estimates"])
    for x, y in zip(a["estimates"], b["estimates"]):
        assert (x["target"], x["domain"]) == (y["target"], y["domain"])
        assert x["value"] == pytest.approx(y["value"], rel=1e-9, nan_ok=True)
        assert x["std_error"] == pytest.approx(y["std_error"], rel=1e-7, abs=1e-12, nan_ok=True)
    for ca, cb in zip(a["comparisons"], b["comparisons"]):
        for x, y in zip(ca["results"], cb["results"]):
            assert x["std_error"] == pytest.approx(y["std_error"], rel=1e-7)


def test_straight_lining_counts_the_same_code_across_reverse_worded_items(tmp_path):
    from engine.analysis import evaluate, read_csv
    from engine.loader import load_plan, load_questionnaire
    q, plan = load_questionnaire(QUESTIONNAIRE), load_plan(PLAN)
    blocks = [qu for s in q.sections for qu in s.questions if qu.kind == "matrix" and len(qu.items) >= 5]
    assert any(it.reverse for b in blocks for it in b.items), "a block with a reverse-worded item"
    wave = tmp_path / "w.csv"
    assert main(["simulate", str(QUESTIONNAIRE), "--n", "400", "--seed", "2", "--out", str(wave), "-q"]) == 0
    rows = list(csv.reader(open(wave, encoding="utf-8")))
    header = rows[0]
    for b in blocks:  # data row 1: one code throughout every block; data row 2: never
        for k, it in enumerate(b.items):
            rows[1][header.index(it.id)] = "4"
            rows[2][header.index(it.id)] = "4" if k else "2"
    with open(wave, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    res = evaluate(plan, q, read_csv(wave, q, plan), base_dir=PLAN.parent, bootstrap_replicates=0)
    flagged = res["quality"]["flagged_rows_first"]["straightlining"]
    assert 2 in flagged and 3 not in flagged  # file lines of data rows 1 and 2


def test_excluded_respondents_leave_the_estimates_as_if_their_rows_were_absent(wave, tmp_path):
    """quality.exclude: the flagged respondents count in the quality report but not in the
    estimates; the indices equal those of the file without their rows."""
    import msgspec
    from engine.analysis import evaluate, read_csv
    from engine.loader import load_plan, load_questionnaire
    q, plan = load_questionnaire(QUESTIONNAIRE), load_plan(PLAN)
    plan = msgspec.structs.replace(plan, quality=msgspec.structs.replace(plan.quality, exclude=["speeder"]))
    res = evaluate(plan, q, read_csv(wave, q, plan), base_dir=PLAN.parent, bootstrap_replicates=0)
    rows = list(csv.reader(open(wave, encoding="utf-8")))
    d = rows[0].index("duration_seconds")
    dropped = {line for line, r in enumerate(rows, start=1) if line > 1 and float(r[d]) < plan.quality.min_duration_seconds}
    assert res["quality"]["excluded"] == len(dropped) > 0
    assert res["data"]["used"] == res["data"]["rows"] - len(dropped)
    kept = tmp_path / "kept.csv"
    with open(kept, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([r for line, r in enumerate(rows, start=1) if line not in dropped])
    ref = evaluate(plan, q, read_csv(kept, q, plan), base_dir=PLAN.parent, bootstrap_replicates=0)
    assert ref["quality"]["counts"]["speeder"] == 0
    est = {(e["target"], json.dumps(e["domain"])): e for e in res["estimates"]}
    for e in ref["estimates"]:
        mine = est[(e["target"], json.dumps(e["domain"]))]
        assert mine["value"] == pytest.approx(e["value"], rel=1e-9, nan_ok=True)
        assert mine["n"] == e["n"]
