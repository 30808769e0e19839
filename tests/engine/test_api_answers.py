"""Answers sent as JSON through the API are checked as paper data is (engine.io.importer):
unknown ids, wrong types, bad codes, hidden questions, constraints and, for a complete
response, required answers, each named by its question id."""

from __future__ import annotations

import pytest

from engine.analysis.simulate import answer_sets
from engine.io.importer import check_answers
from engine.loader import load_questionnaire
from tests.conftest import QUESTIONNAIRES

Q = load_questionnaire(QUESTIONNAIRES / "community_satisfaction.yaml")
ATTRS = {"district": "330102", "street": "330102001", "community": "330102001001"}


def _valid(seed: int = 3) -> dict:
    """A complete answer set from a simulated row (simulated rows pass the checks)."""
    return answer_sets(Q, seed=seed)[0]


def _problems(answers, complete=True):
    return {p.question: p for p in check_answers(Q, answers, ATTRS, complete=complete)[0]}


def test_a_simulated_answer_set_passes_and_values_are_typed():
    answers = _valid()
    answers["q_years_lived"] = 12
    problems, typed, attrs = check_answers(Q, answers, ATTRS)
    assert problems == []
    assert typed["q_years_lived"] == 12 and isinstance(typed["q_services_used"], list)
    assert attrs == ATTRS


@pytest.mark.parametrize("seed", range(20))
def test_simulated_waves_are_consistent_with_the_questionnaire(seed):
    assert _problems(_valid(seed)) == {}


def test_each_problem_names_its_question():
    answers = _valid()
    answers.update({"q_nonexistent": "1"})
    p = _problems(answers)
    assert set(p) == {"q_nonexistent"} and p["q_nonexistent"].code == "C001"
    answers = _valid()
    answers.update({"q_gender": "x", "q_years_lived": 0.2, "q_services_used": "elderly;none"})
    p = _problems(answers)
    assert p["q_gender"].code == "C002" and "not a code" in p["q_gender"].message
    assert p["q_years_lived"].code == "C008"   # the questionnaire's constraint (at least half a year)
    assert p["q_services_used"].code == "C008"  # 都没有使用过 with another choice
    answers = _valid()
    answers.update({"q_gender": ["male"], "q_years_lived": True, "a_health": {"v": 1}})
    p = _problems(answers)
    assert {k: v.code for k, v in p.items()} == {"q_gender": "C002", "q_years_lived": "C002", "a_health": "C002"}


def test_an_answer_to_a_hidden_question_is_refused():
    answers = _valid()
    answers["q_reported_problem"] = "no"
    answers["d_timely"] = "5"  # asked only of those who reported a problem
    p = _problems(answers)
    assert p["d_timely"].code == "C007" and "hidden" in p["d_timely"].message


def test_required_answers_only_for_a_complete_response():
    answers = _valid()
    del answers["q_gender"]
    assert _problems(answers)["q_gender"].code == "C006"
    assert _problems(answers, complete=False) == {}
    assert _problems({"q_gender": "female"}, complete=False) == {}


# ---- the API's quick path (accept_answers) against check_answers ----------------------------------

def _strict(x):
    """A value with its types spelled out (1, 1.0 and True compare equal in Python)."""
    if isinstance(x, dict):
        return {k: _strict(v) for k, v in sorted(x.items())}
    if isinstance(x, list):
        return [_strict(v) for v in x]
    return (type(x).__name__, x)


def _vocabulary(layout, col) -> list:
    """Values worth sending for a column: right and wrong, in every JSON type."""
    vals: list = ["", None, True, {"v": 1}, "zz", " ", 0, -1, 2.5, "2.5", "1e1", " 4 ", "４", 7, 7.0, "7.0",
                  "2026-05-01", "2025-12-31", "110105", "1101050", "330102001001", "12", "abcdefgh", "好的", "好"]
    for code, zh, en in col.choices:
        vals += [code, zh, en, code + ".0", f" {code} "]
        if code.isdigit():
            vals += [int(code), float(code)]
    codes = [c for c, _, _ in col.choices]
    if codes:
        vals += [codes[:1], codes[:2], codes[:3], codes[-2:], [codes[0], codes[0]], [codes[0] + ";" + codes[-1]],
                 [codes[0] + "；" + codes[-1]], ["", ""], [], [" "], [codes[0], 5], ";".join(codes[:2]),
                 "；".join(codes[:3])]
    return vals


def _compare(q, seed: int, rounds: int, base: list[dict]) -> tuple[int, int]:
    """Mutated answer sets through both paths; (accepted, refused)."""
    import random

    from engine.io.importer import accept_answers, layout_of

    rng = random.Random(seed)
    layout = layout_of(q)
    answer_cols = [c for c in layout.columns if not c.is_attribute]
    attr_cols = [c for c in layout.columns if c.is_attribute]
    vocab = {c.id: _vocabulary(layout, c) for c in layout.columns}
    accepted = refused = 0
    for _ in range(rounds):
        answers = dict(rng.choice(base)) if base and rng.random() < 0.8 else {}
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 4])):
            c = rng.choice(answer_cols)
            if rng.random() < 0.15:
                answers.pop(c.id, None)
            else:
                answers[c.id] = rng.choice(vocab[c.id])
        if rng.random() < 0.03:
            answers["q_nonexistent"] = "1"
        if attr_cols and rng.random() < 0.03:
            answers[attr_cols[0].id] = "1"
        attributes = {"source": "kiosk"} if rng.random() < 0.3 else {}
        for c in attr_cols:
            if rng.random() < 0.7:
                attributes[c.id] = rng.choice(vocab[c.id])
        complete = rng.random() < 0.7
        fast = accept_answers(q, answers, attributes, complete=complete)
        problems, typed, attrs = check_answers(q, answers, attributes, complete=complete)
        if fast is not None:
            assert problems == [], (answers, attributes, complete)
            assert _strict(fast[0]) == _strict(typed) and _strict(fast[1]) == _strict(attrs), (answers, attributes)
            accepted += 1
        else:
            assert problems, ("refused by the quick path only", answers, attributes, complete)
            refused += 1
    return accepted, refused


def _inline(text: str):
    from engine.loader import loads
    return loads(text, expect="questionnaire")


def test_the_quick_path_accepts_exactly_what_check_answers_accepts_with_the_same_values():
    from tests.engine.test_form_runtime import DOC
    from tests.engine.test_import import MINI

    shipped = _compare(Q, 1, 3000, [answer_sets(Q, seed=s)[0] for s in range(30)])
    form = _inline(DOC)
    small = _compare(form, 2, 4000, [{"q_band": "old", "q_n": 3, "q_m": ["a", "c"], "q_t": "好的", "g_a": "3",
                                      "g_b": "1", "q_d": "2026-05-01", "q_r": "110105001"},
                                     {"q_band": "young", "q_n": 1, "q_m": ["b", "other"]}])
    mini = _compare(_inline(MINI), 3, 1000, [{"q_age": 70, "q_care": "助餐"}, {"q_age": 30}])
    blank = _compare(_inline(BLANK_LABEL), 4, 1000, [{"q1": "a"}, {"q1": "b", "q2": "a"}])
    for accepted, refused in (shipped, small, mini, blank):  # both verdicts were reached often
        assert accepted > 100 and refused > 100, (shipped, small, mini, blank)


#: a label of spaces only (the loader accepts it): '' is still no answer, not that choice
BLANK_LABEL = """\
kind: survey
id: blank
version: "1"
title: {zh: 空白标签}
sections:
  - id: s1
    title: {zh: 一}
    questions:
      - kind: single
        id: q1
        label: {zh: 一}
        choices:
          - {code: a, label: {zh: 甲, en: "\u3000"}}
          - {code: b, label: {zh: " ", en: B}}
      - kind: single
        id: q2
        required: false
        label: {zh: 二}
        choices:
          - {code: a, label: {zh: "\t", en: A}}
"""


def test_region_codes_are_ascii_digits():
    problems, _, _ = check_answers(Q, _valid(), {**ATTRS, "community": "33010200100²"})
    assert [(p.question, p.code) for p in problems] == [("community", "C005")]
