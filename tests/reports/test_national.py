"""The national report of a generated wave: chapters, the index as results.json has it,
suppression of small units, fonts that cover every character, English."""

from __future__ import annotations

import html as htmlmod
import re
from pathlib import Path

import pytest

from engine.cli import main
from reports import fmt
from reports.labels import LABELS

from .conftest import assert_fonts_cover, pdftotext, unit_name

CHAPTERS = [k for k in LABELS["zh"] if k.startswith(("ch_", "app_"))]


@pytest.fixture(scope="module")
def report_zh(wave, tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("national")
    pdf, html = d / "report.pdf", d / "report.html"
    common = ["report", "--plan", str(wave.plan), "--results", str(wave.results), "--data", str(wave.data), "-q"]
    assert main(common + ["--out", str(pdf)]) == 0
    assert main(common + ["--out", str(html), "--html"]) == 0
    return pdf, html


@pytest.fixture(scope="module")
def report_en(wave, tmp_path_factory) -> Path:
    pdf = tmp_path_factory.mktemp("national_en") / "report_en.pdf"
    assert main(["report", "--plan", str(wave.plan), "--results", str(wave.results), "--data", str(wave.data),
                 "--lang", "en", "--out", str(pdf), "-q"]) == 0
    return pdf


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_has_every_chapter_and_the_overall_index_as_results_json_has_it(wave, report_zh):
    pdf, _ = report_zh
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = _flat(pdftotext(pdf))
    for key in CHAPTERS:
        assert _flat(LABELS["zh"][key]) in text, key
    res = wave.load()
    o = next(e for e in res["estimates"] if e["target"] == "overall_index" and e["domain"] is None)
    assert fmt.index(o["value"]) in text
    assert fmt.interval(o["ci_low"], o["ci_high"]) in text
    # every dimension's index too, and the AHP consistency ratio of the appendix
    for e in res["estimates"]:
        if e["domain"] is None and e["target"].startswith("dim_"):
            assert fmt.interval(e["ci_low"], e["ci_high"]) in text, e["target"]
    assert fmt.number(res["weights"]["overall_index"]["consistency_ratio"], 4) in text
    assert res["data"]["sha256"] in text


def test_summary_states_the_change_since_the_previous_wave(wave, report_zh):
    pdf, _ = report_zh
    text = _flat(pdftotext(pdf))
    row = next(r for c in wave.load()["comparisons"] if c["id"] == "previous_wave" for r in c["results"]
               if r["target"] == "overall_index")
    word = ("显著上升" if row["difference"] > 0 else "显著下降") if row["p_adjusted"] < 0.05 else "变化不显著"
    assert f"{word}（{fmt.signed(row['difference'])}分" in text


def test_units_under_the_minimum_n_are_never_shown(wave, report_zh):
    pdf, html = report_zh
    res = wave.load()
    lt = res["league_tables"]["community"]
    small = [r["unit"] for r in lt["rows"] if r["n"] < lt["min_n"]]
    shown = [r["unit"] for r in lt["rows"] if r["n"] >= lt["min_n"]]
    assert small and shown  # the generated wave has both, or this test would prove nothing
    text = pdftotext(pdf) + html.read_text(encoding="utf-8")
    assert [u for u in small if u in text or unit_name(u) in text] == []  # neither code nor name
    assert all(unit_name(u) in text for u in shown)
    assert f"样本量不足{lt['min_n']}的{len(small)}个单位未单独列示" in _flat(pdftotext(pdf))


def _visible_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return htmlmod.unescape(re.sub(r"<[^>]+>", " ", html))


def test_fonts_cover_every_character_rendered(report_zh):
    pdf, html = report_zh
    chars = assert_fonts_cover(pdf, _visible_text(html.read_text(encoding="utf-8")))
    assert len(chars) > 300  # Chinese text, digits, punctuation


def test_english_report(report_en):
    text = pdftotext(report_en)
    for key in CHAPTERS:
        assert _flat(LABELS["en"][key]) in _flat(text), key
    cjk = sorted({c for c in text if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"})
    assert cjk == []


def test_nothing_is_fetched_at_render_time():
    from weasyprint.urls import FatalURLFetchingError

    from reports.render import html_to_pdf
    with pytest.raises(FatalURLFetchingError, match="refused"):
        html_to_pdf('<html><body><img src="http://example.invalid/logo.png"></body></html>')
    with pytest.raises(FatalURLFetchingError, match="refused"):
        html_to_pdf('<html><head><link rel="stylesheet" href="file:///etc/hosts"></head><body>x</body></html>')


def test_leaders_page_is_the_same_report_as_html(wave):
    from engine.analysis.report import leaders_page
    page = leaders_page(wave.plan, wave.results, data_path=wave.data)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    for key in CHAPTERS:
        assert LABELS["zh"][key] in page, key
    assert re.findall(r'(?:src|href)="(?!#|data:)[^"]*"', page) == []  # refers to nothing outside itself
    o = next(e for e in wave.load()["estimates"] if e["target"] == "overall_index" and e["domain"] is None)
    assert fmt.interval(o["ci_low"], o["ci_high"]) in page
