"""Charts are well-formed SVG whatever the numbers (NaN, one row, long labels)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from reports import charts

NAN = math.nan
LONG = "乱扔垃圾、高空抛物、遛狗不拴绳等不文明现象较多（反向）乱扔垃圾、高空抛物"


@pytest.mark.parametrize("svg", [
    charts.bar_intervals([("社区服务", 85.5, 84.7, 86.3), (LONG, NAN, NAN, NAN)], title="t", ref=85.1, ref_label="全部"),
    charts.caterpillar([(str(k), 80 + k / 10, 78 + k / 10, 82 + k / 10) for k in range(120)], title="t", ref=85),
    charts.radar(["甲", "乙", "丙", "丁", "戊", "己"], [("a", [85, 86, 83, 84, 85, 86]), ("b", [80, NAN, 82, 81, 83, 84])],
                 title="t"),
    charts.radar(["甲", "乙", "丙", "丁", "戊"], [("a", [85, 86, 83, 84, 85]), ("b", [80, NAN, 82, 81, 83])], title="t",
                 legend=False, tick_every=2),
    charts.ipa_scatter([("x", 0.08, 86.5, "keep"), ("y", 0.05, 80.1, "low_priority")], title="t", x_cut=0.07,
                       y_cut=85, x_label="重要性", y_label="表现", quadrant_names={"keep": "继续保持"}),
    charts.trend_line([("2025", 83.2, 82.5, 83.9), ("2026", 85.1, 84.4, 85.9)], title="t"),
    charts.stacked_shares([(LONG, (0.5, 0.3, 0.1, 0.05, 0.05)), ("b", (NAN, NAN, NAN, NAN, NAN))],
                          ["非常满意", "比较满意", "一般", "不太满意", "很不满意"], title="t"),
    charts.line_series(["2026-09", "2026-10"], [("好评率", [0.79, 0.80]), ("差评率", [0.1, NAN])], title="t"),
    charts.bars([("原因", 0.25), (LONG, 0.1)], title="t", percent=True),
])
def test_chart_is_well_formed_svg(svg):
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "nan" not in svg.lower().replace("none", "")
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        assert charts.text_width(t.text or "") < 700


def test_pattern_ids_are_unique_across_charts():
    a = charts.stacked_shares([("x", (1, 0, 0, 0, 0))], list("abcde"), title="t")
    b = charts.stacked_shares([("x", (1, 0, 0, 0, 0))], list("abcde"), title="t")
    ids = lambda s: {e.get("id") for e in ET.fromstring(s).iter() if e.get("id")}  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)


def test_card_radar_leaves_the_legend_to_the_page_and_anchors_labels_itself():
    svg = charts.radar(["社区服务", "Environment", "丙"], [("社区", [85, 86, 83]), ("全部样本", [80, 82, 81])], title="t",
                       legend=False, tick_every=2)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "社区" not in texts and "全部样本" not in texts  # series names: in the page's table header
    assert {"社区服务", "Environment", "丙"} <= set(texts)
    assert "text-anchor=\"middle\"" not in svg and "text-anchor=\"end\"" not in svg
    # the top label is centred on its spoke by its width in Noto Sans CJK SC
    top = next(t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text == "社区服务")
    spoke = float(root.find("{http://www.w3.org/2000/svg}path").get("d").split("M")[-1].split()[0])
    assert float(top.get("x")) == pytest.approx(spoke - 20, abs=0.11)
    assert charts.text_width("Ag", 10) == pytest.approx(6.08 + 5.64)
