"""The printable QR sheet of a community's invitations: a real PDF (pages, fonts, text), one
card per invitation whose link opens the survey; the CLI writes it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from engine.cli import main
from engine.invitation_sheet import invitation_sheet, qr_svg
from engine.storage import Store, upgrade
from reports.qrsheet import render_html
from engine.invitation_sheet import sheet_context
from tests.conftest import QUESTIONNAIRES

SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    st = Store(url)
    st.create_wave("w1", st.publish_questionnaire(SOURCE), title="2026年第一轮")
    yield st
    st.engine.dispose()


@needs_poppler
def test_sheet_has_one_card_per_invitation_eight_to_a_page(store, tmp_path):
    pdf, tokens = invitation_sheet(store, "w1", community="和平里社区", stratum="urban", count=11,
                                   base_url="https://survey.example.cn/")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           2" in info  # 8 + 3
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts.replace("-", "")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("城乡社区服务满意度调查问卷") == 11 and "和平里社区" in text
    for t in tokens:
        assert f"https://survey.example.cn/s/{t}" in text.replace("\n", "")
        inv = store.invitation(t)
        assert (inv["community"], inv["stratum"], inv["used"]) == ("和平里社区", "urban", False)


def test_each_card_carries_the_qr_code_of_its_own_link():
    ctx = sheet_context("https://s.example.cn", ["tokA", "tokB"], survey_title="t", wave_title="w", community="c")
    assert [c.svg for c in ctx.cards] == [qr_svg("https://s.example.cn/s/tokA"), qr_svg("https://s.example.cn/s/tokB")]
    assert ctx.cards[0].svg != ctx.cards[1].svg and ctx.cards[0].svg.startswith("<svg")
    html = render_html(ctx)
    assert html.count("<svg") == 2 and "&#34;" not in html.split("</style>")[0]  # CSS is not escaped


def test_bad_arguments_are_named(store):
    with pytest.raises(ValueError, match="count"):
        invitation_sheet(store, "w1", community="c", count=0, base_url="https://x")
    with pytest.raises(ValueError, match="base_url"):
        invitation_sheet(store, "w1", community="c", count=1, base_url="survey.example.cn")


def test_cli_writes_the_sheet(store, tmp_path, capsys):
    out = tmp_path / "inv.pdf"
    url = str(store.engine.url)
    assert main(["invitations", "sheet", "--wave", "w1", "--community", "c7", "--count", "3", "--base-url",
                 "http://127.0.0.1:8000", "--out", str(out), "--database", url]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "3 invitations of community c7" in capsys.readouterr().out
    assert main(["invitations", "sheet", "--wave", "w1", "--community", "c7", "--count", "0", "--base-url",
                 "http://x", "--out", str(out), "--database", url]) == 2
