"""The loader: shipped documents, the five planted mistakes, repairs, and fuzzing."""

from __future__ import annotations

import string

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import LoadError, ManyiError
from engine.loader import check_file, check_text, load_plan, load_policy, load_questionnaire, loads
from engine.schema import AhpWeights, MatrixQuestion, Plan, Policy, Questionnaire
from tests.conftest import QUESTIONNAIRES, expected_marks, got_marks, shipped_documents

PLANTED = """\
kind: survey
id: planted
version: "1"
title: {zh: 五个错误}
scales:
  - id: sat5
    points:
      - {code: "5", label: {zh: 满意}}
      - {code: "1", label: {zh: 不满意}}
sections:
  - id: s1
    title: {zh: 第一页}
    questions:
      - id: q_service
        kind: scale
        lable: {zh: 您对社区服务满意吗}   #! S001 question 'q_service'
        scale: sat5
      - id: q_staff
        kind: scale
        label: {zh: 您对工作人员满意吗}
        scale: agree7                   #! Q001 question 'q_staff'
      - id: q_why
        kind: text
        label: {zh: 不满意的原因}
        show_if: "q_servce == '1'"       #! E002 question 'q_why'
      - id: q_visit
        kind: single
        label: {zh: 是否走访过您家}
        choices:
          - {code: "yes", label: {zh: 是}}
          - {code: no, label: {zh: 否}}   #! Y002 question 'q_visit'
      - id: q_staff                     #! D001 question 'q_staff'
        kind: text
        label: {zh: 其他意见}
"""


def test_five_planted_mistakes_give_five_diagnostics_on_their_lines():
    result = check_text(PLANTED, path="planted.yaml")
    assert got_marks(result.diagnostics) == expected_marks(PLANTED)
    assert len(result.diagnostics) == 5
    assert result.document is None
    by_code = {d.code: d for d in result.diagnostics}
    assert by_code["S001"].fix == "did you mean 'label'?"
    assert by_code["E002"].fix == "did you mean 'q_service'?"
    assert by_code["E002"].column == 19  # the q_servce inside the quoted expression
    assert by_code["Q001"].message.startswith("scale 'agree7' is not defined (defined: sat5)")
    assert by_code["Y002"].fix.startswith('quote it if text was meant: "no"')


def test_diagnostic_format_is_path_line_col_code_subject_message():
    result = check_text(PLANTED, path="planted.yaml")
    lines = [d.format() for d in result.diagnostics]
    assert "planted.yaml:21:16: error[Q001] question 'q_staff': scale 'agree7' is not defined" in lines[1]


def test_load_raises_the_projects_error_with_every_diagnostic():
    with pytest.raises(LoadError) as info:
        loads(PLANTED, path="planted.yaml")
    assert len(info.value.diagnostics) == 5
    assert isinstance(info.value, ManyiError)


@pytest.mark.parametrize("path", shipped_documents(), ids=lambda p: p.name)
def test_every_shipped_document_is_valid(path):
    result = check_file(path)
    assert result.ok, "\n".join(d.format() for d in result.diagnostics)
    assert not result.diagnostics


def test_community_questionnaire_meets_the_default_tree():
    q = load_questionnaire(QUESTIONNAIRES / "community_satisfaction.yaml")
    assert isinstance(q, Questionnaire) and q.kind == "survey"
    assert q.languages == ["zh", "en"]
    tree = q.indicators
    assert len(tree.dimensions) == 6
    items = [i for d in tree.dimensions for ind in d.indicators for i in ind.items]
    assert len(items) >= 30 and len(set(items)) == len(items)
    assert len(tree.overall) == 3
    assert isinstance(tree.weights, AhpWeights)
    reverse = [it.id for s in q.sections for qu in s.questions if isinstance(qu, MatrixQuestion)
               for it in qu.items if it.reverse]
    assert len(reverse) >= 2
    assert any(p.na for s in q.scales for p in s.points)
    with pytest.raises(AttributeError):
        q.id = "changed"  # frozen


def test_policies_differ_in_deadlines_and_default_rating():
    pols = {p: load_policy(QUESTIONNAIRES / "policies" / f"{p}.yaml") for p in ("national", "guangdong", "guangxi")}
    assert all(isinstance(p, Policy) for p in pols.values())
    gd, gx = pols["guangdong"], pols["guangxi"]
    assert gd.default_rating.level != gx.default_rating.level
    assert gd.deadlines != gx.deadlines != pols["national"].deadlines


def test_example_plan_loads_with_its_questionnaire_and_margins():
    plan = load_plan(QUESTIONNAIRES / "plans" / "community_2026.yaml")
    assert isinstance(plan, Plan)
    assert plan.weighting.method == "rake"


def test_misspelt_key_is_repaired_so_later_checks_still_run():
    text = PLANTED.replace("scale: agree7", "scale: sat5").replace("q_servce", "q_service") \
        .replace("code: no,", 'code: "no",').replace("- id: q_staff                     #! D001 question 'q_staff'",
                                                     "- id: q_other")
    result = check_text(text)
    assert [d.code for d in result.diagnostics] == ["S001"]


def test_a_document_of_another_kind_is_refused_when_one_kind_is_expected():
    r = check_text(PLANTED, expect="policy")
    assert "F002" in [d.code for d in r.diagnostics] and r.document is None


def test_duplicate_yaml_documents_and_non_mappings_are_diagnosed():
    assert [d.code for d in check_text("kind: survey\n---\nkind: survey\n").diagnostics] == ["Y004"]
    assert [d.code for d in check_text("- a\n- b\n").diagnostics] == ["F002"]
    assert [d.code for d in check_text("").diagnostics] == ["Y003"]


def test_checks_do_not_depend_on_msgspec_for_errors():
    # A struct the converter accepted always builds: check_text never lets ValidationError out.
    with pytest.raises(LoadError):
        loads("kind: survey\nid: x\nversion: '1'\ntitle: {zh: a}\nsections: []\n")


# ---- fuzzing ------------------------------------------------------------------------------

_yaml_chars = st.sampled_from(list(string.ascii_lowercase[:8]) + list(" :-[]{},'\"#!&*|>\n\t") +
                              ["kind: survey\n", "id: ", "sections:\n", "  - ", "no", "yes", "1/3", "好"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_yaml_chars, max_size=60).map("".join))
def test_random_text_never_raises(text):
    result = check_text(text, path="fuzz.yaml")
    assert result.document is None or not result.errors
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1


def _mutations():
    lines = PLANTED.replace("#!", "#").splitlines()
    return st.tuples(st.integers(0, len(lines) - 1), st.sampled_from(
        ["", "  x: 1", "- ", ":", "  kind: matrix", "    items: [a]", "show_if: '(('", "points: -3", "  id: Q",
         "weights: {kind: ahp, matrix: [[1, 2], [2, 1]]}", "indicators: {dimensions: []}", "{"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), max_size=4))
def test_mutated_documents_never_raise(mutations):
    lines = PLANTED.splitlines()
    for index, new in mutations:
        lines[index] = new
    check_text("\n".join(lines) + "\n", path="mutated.yaml")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                              st.text(max_size=8)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.sampled_from(
                                                ["kind", "id", "version", "title", "sections", "questions",
                                                 "scales", "points", "label", "zh", "indicators", "weights",
                                                 "matrix", "levels", "wave", "questionnaire"]), inner, max_size=5)),
                    max_leaves=25),
       st.sampled_from(["survey", "rating", "rating_policy", "evaluation_plan"]))
def test_structured_random_documents_never_raise(body, kind):
    doc = {"kind": kind, **body} if isinstance(body, dict) else {"kind": kind, "x": body}
    check_text(msgspec.json.encode(doc).decode(), path="random.yaml")


# ---- hostile and unlucky input (found in review) -------------------------------------------------

HEAD = PLANTED.split("sections:")[0]


def codes_of(text: str) -> list[str]:
    return sorted(d.code for d in check_text(text, path="x.yaml").diagnostics)


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    text = "kind: survey\nsections: " + "[" * 30000 + "]" * 30000 + "\n"
    assert codes_of(text) == ["Y003"]


def test_anchors_and_aliases_are_refused_before_they_expand():
    bomb = "kind: survey\na: &a [1, 1, 1]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    assert codes_of(bomb) == ["Y004"]


def test_huge_numbers_are_diagnostics():
    text = HEAD + """sections:
  - id: s1
    title: {zh: 一}
    questions:
      - {id: q1, kind: number, label: {zh: 年龄}, min: %s}
""" % ("1" + "0" * 400)
    assert codes_of(text) == ["S004"]


def test_ahp_judgements_outside_saatys_scale():
    text = HEAD.replace('id: planted', 'id: t') + """sections:
  - id: s1
    title: {zh: 一}
    questions:
      - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
      - {id: q2, kind: scale, label: {zh: 二}, scale: sat5}
indicators:
  dimensions:
    - id: dim_a
      label: {zh: 甲}
      indicators:
        - id: ind_a
          label: {zh: 甲一}
          items: [q1, q2]
          weights: {kind: ahp, matrix: [[1, 5.0e-324], [1, 1]]}
"""
    assert "I003" in codes_of(text)


def test_huge_csv_field_is_a_diagnostic(tmp_path):
    from tests.engine.test_diagnostics import PLAN_HEAD, QUESTIONNAIRE_FOR_PLAN
    (tmp_path / "q.yaml").write_text(QUESTIONNAIRE_FOR_PLAN, encoding="utf-8")
    (tmp_path / "g.csv").write_text("code,count\n" + "a" * 200_000 + ",1\n", encoding="utf-8")
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN_HEAD + "weighting:\n  method: rake\n  margins:\n    - {variable: gender, csv: g.csv}\n",
                    encoding="utf-8")
    assert [d.code for d in check_file(plan).diagnostics] == ["L003"]


def test_a_wrong_type_at_the_top_does_not_hide_the_other_mistakes():
    text = PLANTED.replace('version: "1"', "version: 1.0")
    codes = codes_of(text)
    assert codes.count("S002") == 1 and {"S001", "Q001", "E002", "Y002", "D001"} <= set(codes)


def test_a_dropped_section_does_not_cascade():
    text = PLANTED.replace("    title: {zh: 第一页}\n", "")
    # the section is dropped; its questions' own mistakes wait for the next run, but nothing
    # that refers to them is reported as dangling
    assert codes_of(text) == ["S001", "S003", "Y002"]


def test_quoted_codes_in_comparisons_are_checked():
    text = PLANTED.replace("q_servce == '1'", "q_visit == 'yes' and q_service in ['5', '7']") \
        .replace("scale: agree7", "scale: sat5").replace("code: no,", 'code: "no",') \
        .replace("- id: q_staff                     #! D001 question 'q_staff'", "- id: q_other")
    diags = [d for d in check_text(text).diagnostics if d.code == "E005"]
    assert [d.message.split(" (")[0] for d in diags] == ["'7' is not a code of 'q_service'"]


def test_calculate_may_not_look_ahead_or_at_itself():
    text = HEAD + """sections:
  - id: s1
    title: {zh: 一}
    questions:
      - {id: c1, kind: calculate, label: {zh: 计算}, expression: "q1 * 2"}
      - {id: c2, kind: calculate, label: {zh: 计算}, expression: "c2 + 1"}
      - {id: q1, kind: number, label: {zh: 数}}
"""
    assert codes_of(text) == ["E003", "E004"]


def test_channel_codes_must_be_one_to_one():
    from tests.engine.test_diagnostics import policy
    text = policy("""\
        adapters:
          - id: a
            levels: {"1": 5, "2": 4, "3": 3, "4": 2, "5": 1}
            channels: {"1": pc, "2": pc}
        """)
    assert codes_of(text) == ["P002"]


def test_ids_with_a_trailing_newline_are_refused():
    text = PLANTED.replace("id: q_why", 'id: "q_why\\n"')
    assert "S004" in codes_of(text)


def test_packaging_finds_every_package(root):
    import tomllib
    conf = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert isinstance(conf["packages"], dict) and "find" in conf["packages"], \
        "list packages with packages.find so that new subpackages ship"
    from setuptools import find_packages
    found = set(find_packages(str(root), include=conf["packages"]["find"]["include"]))
    assert {"engine", "engine.schema", "engine.semantics", "scoring", "reports", "questionnaires"} <= found
