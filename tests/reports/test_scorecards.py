"""Scorecards for every community at or above the plan's minimum n, in one PDF or one each."""

from __future__ import annotations

import pytest

from engine.analysis import read_csv
from engine.analysis.report import weighted_data
from engine.analysis.scorecards import scorecards
from engine.cli import main
from engine.loader import check_file
from reports import fmt
from reports.batch import render_scorecards
from reports.render import _lean_html_class, render_html, render_pdf

import dataclasses
import re
import subprocess

from .conftest import assert_fonts_cover, pdf_pages, pdftotext, unit_name


def _units(wave):
    lt = wave.load()["league_tables"]["community"]
    shown = {r["unit"]: r for r in lt["rows"] if r["n"] >= lt["min_n"]}
    small = [r["unit"] for r in lt["rows"] if r["n"] < lt["min_n"]]
    return shown, small


def test_one_pdf_has_a_page_for_every_community_above_min_n(wave, tmp_path):
    out = tmp_path / "cards.pdf"
    assert main(["report", "--plan", str(wave.plan), "--results", str(wave.results), "--data", str(wave.data),
                 "--kind", "scorecards", "--out", str(out), "-q"]) == 0
    shown, small = _units(wave)
    assert small and shown
    assert pdf_pages(out) == len(shown)
    text = pdftotext(out)
    pages = text.split("\f")
    for unit, r in shown.items():
        page = next(p for p in pages if f"社区满意度评分卡：{unit_name(unit)}\n" in p)
        # the community's index and its within-community interval, as results.json has them
        assert fmt.index(r["value"], 1) in page
        assert fmt.interval(r["ci_low"], r["ci_high"], 1) in page
    assert [u for u in small if u in text or unit_name(u) in text] == []
    assert_fonts_cover(out)


def test_one_file_each_on_two_processes(wave, tmp_path):
    plan = check_file(wave.plan, expect="plan").document
    q = check_file(wave.plan.parent / plan.questionnaire, expect="questionnaire").document
    data = read_csv(str(wave.data), q, plan)
    batch = scorecards(wave.load(), q, plan, data=weighted_data(plan, q, data, base_dir=wave.plan.parent))
    seen = []
    files = render_scorecards(batch, tmp_path / "cards", per="unit", workers=2, chunk=8,
                              progress=lambda done, total: seen.append((done, total)))
    shown, _ = _units(wave)
    assert sorted(f.stem for f in files) == sorted(shown)
    assert seen[-1] == (len(shown), len(shown))
    for f in files[:3]:
        assert f.read_bytes()[:5] == b"%PDF-" and pdf_pages(f) == 1
        assert f"社区满意度评分卡：{unit_name(f.stem)}" in pdftotext(f)  # files by code, cards by name
    # the weakest items are the community's lowest weighted item means
    card = batch.scorecards[0]
    assert len(card.weakest) == 3
    assert [i.value for i in card.weakest] == sorted(i.value for i in card.weakest)


def test_one_file_per_district_holds_its_communities(wave, tmp_path):
    assert main(["report", "--plan", str(wave.plan), "--results", str(wave.results), "--data", str(wave.data),
                 "--scorecards", str(tmp_path), "--per", "district", "-q"]) == 0
    shown, _ = _units(wave)
    files = sorted(tmp_path.glob("*.pdf"))
    assert len(files) == 3  # the generated wave's districts
    assert sum(pdf_pages(f) for f in files) == len(shown)
    for f in files:
        text = pdftotext(f)
        mine = [u for u in shown if f"社区满意度评分卡：{unit_name(u)}\n" in text]
        assert mine and all(u.startswith(f.stem) for u in mine)  # simulated codes nest: district prefix


def _batch(wave):
    plan = check_file(wave.plan, expect="plan").document
    q = check_file(wave.plan.parent / plan.questionnaire, expect="questionnaire").document
    data = read_csv(str(wave.data), q, plan)
    return scorecards(wave.load(), q, plan, data=weighted_data(plan, q, data, base_dir=wave.plan.parent))


def test_one_pdf_made_in_parts_on_two_processes_keeps_the_cards_in_order(wave, tmp_path):
    import pypdf

    batch = _batch(wave)
    seen = []
    out = render_scorecards(batch, tmp_path / "cards.pdf", per="all", workers=2, chunk=4,
                            progress=lambda done, total: seen.append((done, total)))[0]
    n = len(batch.scorecards)
    assert n > 8 and seen[-1] == (n, n) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    pages = pdftotext(out).split("\f")
    assert [next(c.unit for c in batch.scorecards if f"社区满意度评分卡：{c.label}\n" in p) for p in pages[:n]] == \
        [c.unit for c in batch.scorecards]
    reader = pypdf.PdfReader(out)
    assert reader.metadata.title == batch.title
    titles = [o["/Title"] for o in reader.outline if not isinstance(o, list)]
    assert titles == [f"社区满意度评分卡：{c.label}" for c in batch.scorecards]  # a bookmark per card, in order
    assert_fonts_cover(out)
    # the same pages as one process makes them
    one = render_scorecards(batch, tmp_path / "one.pdf", per="all", workers=1, chunk=4)[0]
    assert pdftotext(one) == pdftotext(out)


def test_cards_are_laid_out_without_the_every_element_pseudo_element_rules():
    """The pinned WeasyPrint still asks for its UA stylesheet the way reports.render expects
    (otherwise the cards silently fall back to the slower full stylesheet)."""
    import weasyprint

    assert _lean_html_class() is not weasyprint.HTML


def _rows(pdf, first: str, last: str) -> list[list[tuple[str, float]]]:
    """Words (text, right edge) per line of page 1 from the line starting with `first` to the
    line before the one starting with `last`."""
    out = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    lines: dict[float, list[tuple[str, float]]] = {}
    for y, x, word in re.findall(r'yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', out):
        lines.setdefault(round(float(y), 1), []).append((word, float(x)))
    rows = [ws for _, ws in sorted(lines.items())]
    start = next(k for k, ws in enumerate(rows) if ws[0][0] == first)
    end = next(k for k, ws in enumerate(rows) if k > start and ws[0][0].startswith(last))
    return rows[start:end]


def test_figures_set_as_text_line_up_with_their_headings(wave, tmp_path):
    """The dimensions' and weakest items' figures are text runs in fields of half-em cells:
    every figure's right edge is its heading's (to a hundredth of a point)."""
    batch = _batch(wave)
    batch = dataclasses.replace(batch, scorecards=batch.scorecards[:1])
    assert '<div class="cols dims">' in render_html(batch)
    pdf = tmp_path / "card.pdf"
    render_pdf(batch, pdf)
    card = batch.scorecards[0]
    for first, last, n in (("维度", "得分最低", 4), ("题项", "区间", 2)):
        rows = _rows(pdf, first, last)
        assert len(rows) == 1 + (len(card.dimensions) if n == 4 else len(card.weakest))
        edges = [[x for _, x in ws[-n:]] for ws in rows]
        for row in edges[1:]:
            assert row == [pytest.approx(x, abs=0.01) for x in edges[0]]
    dims = _rows(pdf, "维度", "得分最低")
    assert [w for w, _ in dims[1][-4:]] == [fmt.index(card.dimensions[0].value, 1),
                                            fmt.index(card.dimensions[0].district_value, 1),
                                            fmt.index(card.dimensions[0].overall_value, 1),
                                            fmt.signed(card.dimensions[0].value - card.dimensions[0].district_value, 1)]
    assert_fonts_cover(pdf)


def test_labels_too_long_for_the_text_columns_get_a_table(wave, tmp_path):
    batch = _batch(wave)
    card = batch.scorecards[0]
    long = "很长的维度名称" * 6  # 42 em: past the figures' tab stop
    card = dataclasses.replace(card, dimensions=(dataclasses.replace(card.dimensions[0], label=long),)
                               + card.dimensions[1:])
    batch = dataclasses.replace(batch, scorecards=(card,))
    html = render_html(batch)
    assert '<div class="cols dims">' not in html and f"<td>{long}</td>" in html
    assert '<div class="cols weak">' in html  # the items still fit
    pdf = tmp_path / "card.pdf"
    render_pdf(batch, pdf)
    assert pdf_pages(pdf) == 1 and long in pdftotext(pdf).replace("\n", "")


def test_english_cards_line_up_too(wave, tmp_path):
    batch = dataclasses.replace(_batch(wave), lang="en")
    batch = dataclasses.replace(batch, scorecards=batch.scorecards[:1])
    pdf = tmp_path / "card.pdf"
    render_pdf(batch, pdf)
    rows = _rows(pdf, "Dimension", "Weakest")
    heads = rows[0]
    assert [w for w, _ in heads][-2:] == ["vs", "district"]
    assert len(rows) == 1 + len(batch.scorecards[0].dimensions)
    for row in rows[1:]:  # the last column (headings of several words: only the last edge is a column's)
        assert row[-1][1] == pytest.approx(heads[-1][1], abs=0.05)


def test_a_card_without_district_figures_keeps_its_columns(wave, tmp_path):
    """No district figures (NaN): the radar has two series, the district column shows the
    missing mark (one em, like two cells), and the figures still line up."""
    batch = _batch(wave)
    card = batch.scorecards[0]
    nan = float("nan")
    card = dataclasses.replace(card, dimensions=tuple(dataclasses.replace(d, district_value=nan)
                                                      for d in card.dimensions))
    batch = dataclasses.replace(batch, scorecards=(card,))
    html = render_html(batch)
    assert '<span class="key k1"></span>全部样本' in html and "key k2" not in html
    pdf = tmp_path / "card.pdf"
    render_pdf(batch, pdf)
    rows = _rows(pdf, "维度", "得分最低")
    assert [w for w, _ in rows[1][-3:]] == ["\u2015", fmt.index(card.dimensions[0].overall_value, 1), "\u2015"]
    edges = [[x for _, x in ws[-4:]] for ws in rows]
    for row in edges[1:]:
        assert row == [pytest.approx(x, abs=0.01) for x in edges[0]]
    assert_fonts_cover(pdf)
