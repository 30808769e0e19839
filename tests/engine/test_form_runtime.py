"""The runtime of one response: show_if on the server, parsing posted fields, and the checks
with their zh/en messages (questionnaires written inline)."""

from __future__ import annotations

import pytest

from engine.form_runtime import FormRuntime
from engine.loader import loads

DOC = """
kind: survey
id: t
version: "1"
languages: [zh, en]
title: {zh: 测试, en: Test}
scales:
  - id: s3
    points:
      - {code: "3", label: {zh: 好, en: Good}}
      - {code: "2", label: {zh: 中, en: Fair}}
      - {code: "1", label: {zh: 差, en: Poor}}
      - {code: "9", label: {zh: 不了解, en: Don't know}, na: true}
attributes:
  - id: district
    label: {zh: 区, en: District}
    kind: region
    level: district
  - id: band
    label: {zh: 年龄段, en: Age band}
    source: question
    question: q_band
sections:
  - id: one
    title: {zh: 一, en: One}
    questions:
      - kind: single
        id: q_band
        label: {zh: 年龄, en: Age}
        choices:
          - {code: young, label: {zh: 青年, en: Young}}
          - {code: old, label: {zh: 老年, en: Old}}
      - kind: number
        id: q_n
        label: {zh: 人数, en: People}
        integer: true
        min: 1
        max: 9
      - kind: multi
        id: q_m
        label: {zh: 多选, en: Many}
        min_selected: 2
        max_selected: 3
        other: true
        choices:
          - {code: a, label: {zh: 甲, en: A}}
          - {code: b, label: {zh: 乙, en: B}}
          - {code: c, label: {zh: 丙, en: C}}
          - {code: d, label: {zh: 丁, en: D}}
      - kind: text
        id: q_t
        label: {zh: 意见, en: Comments}
        required: false
        max_length: 5
        constraint: "length(.) >= 2"
  - id: two
    title: {zh: 二, en: Two}
    show_if: "band == 'old' or district == '110105'"
    questions:
      - kind: matrix
        id: q_grid
        label: {zh: 评价, en: Ratings}
        scale: s3
        items:
          - {id: g_a, label: {zh: 甲, en: A}}
          - {id: g_b, label: {zh: 乙, en: B}, show_if: "q_n > 2"}
      - kind: date
        id: q_d
        label: {zh: 日期, en: Date}
        min: 2026-01-01
        max: 2026-12-31
      - kind: region
        id: q_r
        label: {zh: 社区, en: Community}
        within: "1101"
"""


@pytest.fixture(scope="module")
def form():
    return FormRuntime(loads(DOC, expect="questionnaire"))


def test_show_if_uses_answers_and_frame_attributes(form):
    assert [s.id for s in form.visible_sections({"q_band": "young"}, {})] == ["one"]
    assert [s.id for s in form.visible_sections({"q_band": "old"}, {})] == ["one", "two"]
    assert [s.id for s in form.visible_sections({"q_band": "young"}, {"district": "110105"})] == ["one", "two"]
    two = form.section("two")
    grid = two.questions[0]
    assert [i.id for i in form.visible_items(grid, {"q_band": "old", "q_n": 2}, {})] == ["g_a"]
    assert [i.id for i in form.visible_items(grid, {"q_band": "old", "q_n": 3}, {})] == ["g_a", "g_b"]


def test_clean_drops_what_a_changed_answer_hides(form):
    answers = {"q_band": "old", "q_n": 3, "g_a": "3", "g_b": "1", "q_d": "2026-05-01"}
    assert form.clean(answers, {}) == answers
    assert form.clean({**answers, "q_n": 1}, {}) == {"q_band": "old", "q_n": 1, "g_a": "3", "q_d": "2026-05-01"}
    assert form.clean({**answers, "q_band": "young"}, {}) == {"q_band": "young", "q_n": 3}


def test_parse_posted_fields(form):
    one = form.section("one")
    answers, raw, errors = form.parse(one, {"q_band": ["old"], "q_n": ["４"], "q_m": ["c", "a", "other"],
                                            "q_m_other": ["自填"], "q_t": ["  好的 "]})
    assert answers == {"q_band": "old", "q_n": 4, "q_m": ["a", "c", "other"], "q_m_other": "自填", "q_t": "好的"}
    assert errors == {}
    _, raw, errors = form.parse(one, {"q_band": ["middle"], "q_n": ["2.5"], "q_m": ["z"]})
    assert errors == {"q_band": "invalid_choice", "q_n": "integer", "q_m": "invalid_choice"}
    assert raw["q_n"] == "2.5"  # shown again as typed
    assert form.parse(one, {"q_n": ["three"]})[2] == {"q_n": "number"}


def test_checks_in_chinese_and_english(form):
    one = form.section("one")
    bad = {"q_band": "old", "q_n": 12, "q_m": ["a"], "q_t": "x"}
    zh = form.check(one, bad, {}, {})
    assert zh == {"q_n": "请输入 1 至 9 之间的数。", "q_m": "请至少选择 2 项。", "q_t": "答案不符合要求，请检查。"}
    en = form.check(one, bad, {}, {}, lang="en")
    assert en["q_n"] == "Please enter a number from 1 to 9." and en["q_m"] == "Please choose at least 2."
    assert form.check(one, {}, {}, {})["q_band"] == "请回答此题。"
    assert "q_band" not in form.check(one, {}, {}, {}, require=False)  # saving for later
    assert "q_t" not in form.check(one, {}, {}, {})  # optional
    other = form.check(one, {"q_band": "old", "q_n": 2, "q_m": ["a", "other"]}, {}, {})
    assert other == {"q_m": "选择“其他”时请填写具体内容。"}
    assert form.check(one, {"q_band": "old", "q_n": 2, "q_m": ["a", "b", "c", "d"]}, {}, {})["q_m"] == "最多只能选择 3 项。"


def test_matrix_date_and_region_checks(form):
    two = form.section("two")
    base = {"q_band": "old", "q_n": 3}
    errors = form.check(two, {**base, "g_a": "2", "q_d": "2025-12-31", "q_r": "3201001"}, {}, {})
    assert errors == {"g_b": "请回答此项。", "q_grid": "请回答每一项（还有 1 项未答）。",
                      "q_d": "日期应在 2026-01-01 至 2026-12-31 之间。", "q_r": "请输入 1101 开头的行政区划代码。"}
    assert form.check(two, {**base, "g_a": "2", "g_b": "9", "q_d": "2026-03-01", "q_r": "110105001"}, {}, {}) == {}
    all_errors = form.check_all({**base, "g_a": "2"}, {})
    assert set(all_errors) == {"one", "two"} and "q_m" in all_errors["one"]
