"""Units by name: the plan's units file names districts, streets and communities in the
reports (codes where it has no name); a broken file is reported at its line."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from engine.analysis import read_csv
from engine.analysis.report import national_report, weighted_data
from engine.analysis.scorecards import scorecards
from engine.analysis.simulate import region_names
from engine.cli import main
from engine.loader import check_file
from engine.units import UnitsError, parse_units, unit_names

from .conftest import pdftotext


def _set_units(plan_text: str, units) -> str:
    text, k = re.subn(r"(?m)^units: .*$", f"units: {units}", plan_text)
    assert k == 1
    return text


def _with_units(wave, tmp_path, rows: list[tuple[str, str, str, str]]):
    units = tmp_path / "units.csv"
    units.write_text("variable,code,zh,en\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    text = _set_units(wave.plan.read_text(encoding="utf-8"), units)
    plan_path = tmp_path / "plan_units.yaml"
    plan_path.write_text(text, encoding="utf-8")
    r = check_file(plan_path, expect="plan")
    assert r.ok, r.diagnostics
    return plan_path, r.document


@pytest.fixture
def named(wave, tmp_path):
    """The wave's plan with names for every unit but one community (shown by its code)."""
    results = wave.load()
    communities = [r["unit"] for r in results["league_tables"]["community"]["rows"] if not r["suppressed"]]
    unnamed = sorted(communities)[0]  # a community shown in the league table
    rows = [r for r in region_names(3, 3, 6) if r[1] != unnamed]
    plan_path, plan = _with_units(wave, tmp_path, rows)
    q = check_file(plan_path.parent / plan.questionnaire if not plan.questionnaire.startswith("/")
                   else plan.questionnaire, expect="questionnaire").document
    return results, q, plan, plan_path, {code: (zh, en) for _, code, zh, en in rows}, unnamed


def test_league_tables_show_names_and_codes_where_no_name_is_given(wave, named):
    results, q, plan, plan_path, names, unnamed = named
    data = read_csv(wave.data, q, plan)
    wd = weighted_data(plan, q, data, base_dir=plan_path.parent)
    for lang, k in (("zh", 0), ("en", 1)):
        ctx = national_report(results, q, plan, lang=lang, data=wd, base_dir=plan_path.parent)
        tables = {t.variable: t for t in ctx.league_tables}
        seen = 0
        for t in tables.values():
            for row in t.rows:
                want = names[row.unit][k] if row.unit in names else row.unit
                assert row.label == want, (t.variable, row.unit, row.label)
                seen += 1
        assert seen > 20
        assert [r.label for r in tables["community"].rows if r.unit == unnamed] == [unnamed]
    cards = scorecards(results, q, plan, lang="zh", data=wd, base_dir=plan_path.parent)
    assert cards.scorecards
    for c in cards.scorecards:
        assert c.label == (names[c.unit][0] if c.unit in names else c.unit)
        district, street = c.unit[:6], c.unit[:9]  # codes to group files by, names to show
        assert (c.district, c.street) == (district, street)
        assert (c.district_label, c.street_label) == (names[district][0], names[street][0])


def test_the_pdf_names_the_communities(wave, named, tmp_path):
    results, q, plan, plan_path, names, unnamed = named
    out = tmp_path / "cards.pdf"
    assert main(["report", "--kind", "scorecards", "--plan", str(plan_path), "--results", str(wave.results),
                 "--data", str(wave.data), "--out", str(out), "-q"]) == 0
    text = pdftotext(out)
    shown = [c for c in json.loads(wave.results.read_text("utf-8"))["league_tables"]["community"]["rows"]
             if not c["suppressed"] and c["n"] >= plan.min_cell_size and c["unit"] != unnamed]
    assert shown
    for c in shown:
        assert f"社区满意度评分卡：{names[c['unit']][0]}" in text


def test_a_broken_units_file_is_reported_at_its_lines(wave, tmp_path, capsys):
    bad = tmp_path / "bad_units.csv"
    bad.write_text("variable,code,zh\ndistrict,330102,东湖区\nward,1,某处\ncommunity,330102001001,\n"
                   "district,330102,重复\n", encoding="utf-8")
    plan_path = tmp_path / "plan_bad.yaml"
    plan_path.write_text(_set_units(wave.plan.read_text(encoding="utf-8"), bad), encoding="utf-8")
    assert main(["validate", str(plan_path)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:3:1: error[L007]" in out and "'ward' is not a design, domain or league-table variable" in out
    assert f"{bad}:4:" in out and "has no Chinese name" in out
    assert f"{bad}:5:" in out and "appears twice" in out
    with pytest.raises(UnitsError, match=r"bad_units.csv:3:1: 'ward'|bad_units.csv:4:"):
        unit_names(str(bad), tmp_path)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("code,variable,zh\n", "first row must be the header"),
    ("variable,code,zh,fr\n", "first row must be the header"),
    ("variable,code,zh\n,330102,东湖区\n", "needs a variable and a code"),
])
def test_units_file_problems(text, message):
    names, problems = parse_units(text, "u.csv")
    assert problems and message in problems[0].message


def test_units_file_reads_names_in_both_languages_with_a_chinese_fallback():
    names, problems = parse_units("variable,code,zh,en\ndistrict,1,东湖区,Donghu\ndistrict,2,西山区,\n\n", "u.csv")
    assert not problems
    assert names.of("district", "en") == {"1": "Donghu", "2": "西山区"}
    assert names.name("district", "2", "zh") == "西山区" and names.name("street", "2", "zh") is None
    assert dataclasses.asdict(names)["names"]["district"]["1"] == {"zh": "东湖区", "en": "Donghu"}
