"""Paper-data import: every bad cell reported with (row, column, question id, code); nothing
stored until asked; the valid rows stored once, however often the file is imported. Storage
tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.cli import main
from engine.io import check_file, import_valid
from engine.storage import Store
from engine.storage.models import Response
from tests.conftest import QUESTIONNAIRES
from tests.engine.paper_data import QUESTIONNAIRE as Q
from tests.engine.paper_data import valid_rows, write
from tests.engine.test_storage import store, url  # noqa: F401  (fixtures: SQLite and PostgreSQL)

SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")


def _wave(st: Store, wave_id: str = "paper1") -> str:
    vid = st.publish_questionnaire(SOURCE)
    st.create_wave(wave_id, vid, title="纸质问卷")
    return wave_id


def _snapshot(st: Store, wave_id: str) -> list[tuple]:
    return [(r.id, r.mode, r.status, r.answers, r.attributes) for r in st.responses(wave_id)]


def _count(st: Store) -> int:
    with st.session() as s:
        return s.scalar(select(func.count()).select_from(Response))


def _plant(header, rows, cells: dict[tuple[int, str], str]) -> dict[tuple[int, str], str]:
    """Set cells by (data row index, column id); returns {(file row, column id): value}."""
    out = {}
    for (i, col), value in cells.items():
        rows[i][header.index(col)] = value
        out[(i + 2, col)] = value  # the header is row 1
    return out


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory) -> tuple[Path, set]:
    header, rows = valid_rows(10_000, seed=11)
    # three bad cells of three kinds: a code outside the scale, text in a number, a constraint
    # (居住年限 at least half a year) violated by an otherwise allowed number
    planted = _plant(header, rows, {(1233, "a_health"): "7", (4999, "q_years_lived"): "abc",
                                    (8765, "q_years_lived"): "0.2"})
    path = write(tmp_path_factory.mktemp("paper") / "wave.csv", header, rows)
    expected = {(row, header.index(col) + 1, col) for (row, col) in planted}
    return path, expected


def test_clean_file_has_no_problems(tmp_path):
    header, rows = valid_rows(2000, seed=3)
    report = check_file(write(tmp_path / "ok.csv", header, rows), Q, "w")
    assert (report.rows, report.valid_rows, report.problems, report.file_problems) == (2000, 2000, [], [])


def test_three_bad_cells_in_10000_rows_are_exactly_the_three_reported(ten_thousand):
    path, expected = ten_thousand
    report = check_file(path, Q, "w")
    assert report.rows == 10_000 and report.valid_rows == 9_997 and report.importable
    got = {(p.row, p.column, p.question) for p in report.problems}
    assert got == expected
    assert sorted(p.code for p in report.problems) == ["C002", "C005", "C008"]
    by_code = {p.code: p for p in report.problems}
    assert by_code["C002"].value == "7" and "codes: 5, 4, 3, 2, 1, 9" in by_code["C002"].message
    assert "居住年限" in by_code["C008"].message  # the questionnaire's own constraint message
    assert by_code["C005"].cell == f"H{by_code['C005'].row}" and by_code["C005"].header == "q_years_lived"


def test_valid_rows_go_in_only_on_request_and_a_second_import_changes_nothing(store, ten_thousand):  # noqa: F811
    path, _ = ten_thousand
    wave = _wave(store)
    check_file(path, Q, wave)
    assert _count(store) == 0  # checking stores nothing
    first = import_valid(store, wave, path, Q, actor="tester")
    assert (first.inserted, first.already, first.conflicts) == (9_997, 0, 0)
    before = _snapshot(store, wave)
    assert len(before) == 9_997 and {m for _, m, _, _, _ in before} == {"paper"}
    again = import_valid(store, wave, path, Q, actor="tester")
    assert (again.inserted, again.already, again.conflicts) == (0, 9_997, 0)
    assert _snapshot(store, wave) == before
    # stored values are codes of the file, typed: numbers as numbers, several choices as lists
    header, rows = valid_rows(10_000, seed=11)
    r0 = dict(zip(header, rows[0]))
    stored = next(r for r in before if r[4]["respondent_id"] == r0["respondent_id"])
    assert stored[3]["a_health"] == r0["a_health"]
    assert stored[3]["q_years_lived"] == float(r0["q_years_lived"])
    assert stored[3]["q_services_used"] == r0["q_services_used"].split(";")
    assert stored[4]["community"] == r0["community"]
    assert any(e["action"] == "import_paper" for e in store.audit_entries("wave"))


def test_fixed_rows_are_added_and_a_changed_row_is_a_conflict_not_an_overwrite(store, tmp_path):  # noqa: F811
    header, rows = valid_rows(50, seed=5)
    wave = _wave(store)
    rows[10][header.index("a_health")] = "7"
    res = import_valid(store, wave, write(tmp_path / "a.csv", header, rows), Q)
    assert res.inserted == 49
    rows[10][header.index("a_health")] = "5"  # corrected
    rows[20][header.index("b_noise")] = "1" if rows[20][header.index("b_noise")] != "1" else "2"  # changed
    res = import_valid(store, wave, write(tmp_path / "b.csv", header, rows), Q)
    assert (res.inserted, res.already, res.conflicts) == (1, 48, 1)
    assert _count(store) == 50


def test_without_respondent_ids_identical_rows_are_kept_and_reimport_is_idempotent(store, tmp_path):  # noqa: F811
    header, rows = valid_rows(30, seed=2, respondent_ids=False)
    rows.append(list(rows[0]))  # two residents answered the same
    path = write(tmp_path / "noid.csv", header, rows)
    wave = _wave(store)
    assert import_valid(store, wave, path, Q).inserted == 31
    assert import_valid(store, wave, path, Q).inserted == 0
    assert _count(store) == 31


def _small(tmp_path, edits: dict[str, str], *, header_map: dict[str, str] | None = None, seed=1) -> Path:
    header, rows = valid_rows(1, seed=seed)
    for k, v in edits.items():
        rows[0][header.index(k)] = v
    if header_map:
        header = [header_map.get(h, h) for h in header]
    return write(tmp_path / "small.csv", header, rows)


def test_required_missing_and_hidden_answered_are_reported(tmp_path):
    path = _small(tmp_path, {"q_gender": "", "q_reported_problem": "no", "d_timely": "5", "d_solved": ""})
    report = check_file(path, Q, "w")
    assert {(p.code, p.question) for p in report.problems} == {("C006", "q_gender"), ("C007", "d_timely")}


def test_a_bad_cell_does_not_cascade_into_the_questions_it_controls(tmp_path):
    # q_reported_problem is bad: whether d_timely is asked is unknown, so only one problem
    path = _small(tmp_path, {"q_reported_problem": "maybe", "d_timely": "5"})
    report = check_file(path, Q, "w")
    assert [(p.code, p.question) for p in report.problems] == [("C002", "q_reported_problem")]


def test_multi_choice_rules(tmp_path):
    report = check_file(_small(tmp_path, {"q_services_used": "none;health", "q_elderly_service_eval": ""}), Q, "w")
    assert [(p.code, p.question) for p in report.problems] == [("C008", "q_services_used")]
    report = check_file(_small(tmp_path, {"q_priorities": "services;environment;safety;workers"}), Q, "w")
    assert [(p.code, p.question) for p in report.problems] == [("C008", "q_priorities")]


def test_labels_are_accepted_for_values_and_headers(store, tmp_path):  # noqa: F811
    path = _small(tmp_path, {"q_gender": "女", "a_health": "非常满意", "q_reported_problem": "no", "d_timely": "",
                             "d_solved": "", "q_priorities": "社区服务；Safety"},
                  header_map={"q_gender": "您的性别", "a_health": "社区卫生和健康服务"})
    report = check_file(path, Q, "w")
    assert report.problems == [] and report.file_problems == []
    wave = _wave(store)
    import_valid(store, wave, path, Q)
    (r,) = list(store.responses(wave))
    assert (r.answers["q_gender"], r.answers["a_health"], r.answers["q_priorities"]) == ("female", "5",
                                                                                       ["services", "safety"])


def test_unknown_and_duplicate_columns_block_the_import(store, tmp_path):  # noqa: F811
    header, rows = valid_rows(5, seed=1)
    header[header.index("a_health")] = "a_helth"
    path = write(tmp_path / "h.csv", header, rows)
    report = check_file(path, Q, "w")
    (p,) = report.file_problems
    assert (p.code, p.row, p.header, p.fix) == ("C001", 1, "a_helth", "did you mean 'a_health'?")
    assert not report.importable
    wave = _wave(store)
    assert import_valid(store, wave, path, Q).inserted == 0
    assert _count(store) == 0


def test_gbk_csv_from_chinese_excel(tmp_path):
    header, rows = valid_rows(20, seed=9)
    rows[0][header.index("q_suggestions")] = "楼道灯坏了"
    rows[1][header.index("a_health")] = "很不满意"
    report = check_file(write(tmp_path / "gbk.csv", header, rows, encoding="gbk"), Q, "w")
    assert report.rows == 20 and report.problems == []


def test_xlsx_import_with_numbers_and_labels(store, tmp_path):  # noqa: F811
    header, rows = valid_rows(300, seed=4)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问卷")
    ws.append(header)
    for row in rows:  # Excel keeps numeric-looking codes as numbers
        ws.append([int(v) if v.isdigit() and len(v) < 6 else (float(v) if v.replace(".", "", 1).isdigit() else v)
                   for v in row])
    bad_row = ["P999999"] + rows[7][1:]
    ws.append(bad_row[:header.index("a_health")] + ["很好"] + bad_row[header.index("a_health") + 1:])
    path = tmp_path / "paper.xlsx"
    wb.save(path)
    report = check_file(path, Q, "w")
    assert report.rows == 301 and report.valid_rows == 300
    (p,) = report.problems
    assert (p.row, p.question, p.code) == (302, "a_health", "C002")
    wave = _wave(store)
    res = import_valid(store, wave, path, Q)
    assert res.inserted == 300
    # the stored row equals the values written (numbers read back as the codes they were)
    got = {r.attributes["respondent_id"]: r for r in store.responses(wave)}
    r8 = dict(zip(header, rows[7]))
    assert got[r8["respondent_id"]].answers["a_health"] == r8["a_health"]
    assert got[r8["respondent_id"]].attributes["community"] == r8["community"]
    assert import_valid(store, wave, path, Q).inserted == 0


def test_duplicate_respondent_id_in_one_file(tmp_path):
    header, rows = valid_rows(3, seed=1)
    rows[2][0] = rows[0][0]
    report = check_file(write(tmp_path / "dup.csv", header, rows), Q, "w")
    assert [(p.code, p.row) for p in report.problems] == [("C009", 4)]


def test_cli_import_checks_then_imports_on_request(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    from engine.storage import upgrade

    upgrade(db)
    st = Store(db)
    _wave(st, "w9")
    header, rows = valid_rows(100, seed=8)
    rows[41][header.index("b_greenery")] = "6"
    path = write(tmp_path / "w9.csv", header, rows)
    assert main(["import", "--wave", "w9", "--database", db, str(path), "-q"]) == 1
    out = capsys.readouterr()
    assert f"{path}:43:{header.index('b_greenery') + 1}: error[C002] question 'b_greenery'" in out.out
    assert "--import-valid" in out.err and _count(st) == 0
    assert main(["import", "--wave", "w9", "--database", db, str(path), "-q", "--import-valid"]) == 0
    assert "imported 99 rows" in capsys.readouterr().out and _count(st) == 99
    assert main(["import", "--wave", "nope", "--database", db, str(path), "-q"]) == 1


MINI = """\
kind: survey
id: mini
version: "1"
title: {zh: 小问卷}
sections:
  - id: s1
    title: {zh: 一}
    questions:
      - kind: number
        id: q_age
        label: {zh: 年龄}
      - kind: calculate
        id: c_old
        label: {zh: 老年}
        expression: "q_age >= 60"
      - kind: text
        id: q_care
        label: {zh: 养老需求}
        show_if: "c_old"
"""


def test_computed_values_decide_what_is_asked(tmp_path):
    from engine.loader import loads

    q = loads(MINI, expect="questionnaire")
    path = tmp_path / "mini.csv"
    path.write_text("q_age,q_care\n70,多些助餐\n30,多些助餐\n70,\nabc,多些助餐\n", encoding="utf-8")
    report = check_file(path, q, "w")
    assert [(p.row, p.code, p.question) for p in report.problems] == [
        (3, "C007", "q_care"), (4, "C006", "q_care"), (5, "C005", "q_age")]
