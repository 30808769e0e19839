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
