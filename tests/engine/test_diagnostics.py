"""Every diagnostic code, asserted as (code, line, subject) on inline documents.

A line marked `#! CODE subject` is where a diagnostic must be; a case passes only when the
diagnostics of its text are exactly its marks (nothing missing, nothing extra).
"""

from __future__ import annotations

import textwrap

import pytest

from engine.diagnostics import RULES
from engine.loader import check_file, check_text
from tests.conftest import expected_marks, got_marks

HEAD = """\
kind: survey
id: t
version: "1"
title: {zh: 测试}
scales:
  - id: sat5
    scoring: explicit
    points:
      - {code: "5", label: {zh: 满意}, points: 100}
      - {code: "3", label: {zh: 一般}, points: 60}
      - {code: "1", label: {zh: 不满意}, points: 0}
      - {code: "9", label: {zh: 不了解}, na: true}
"""


def survey(body: str) -> str:
    return HEAD + textwrap.dedent(body)


def policy(body: str = "", *, levels: str | None = None, default: str | None = None,
           deadlines: str | None = None) -> str:
    levels = levels if levels is not None else """\
  - {level: 5, label: {zh: 非常满意}, bucket: good, points: 100}
  - {level: 4, label: {zh: 满意}, bucket: good, points: 80}
  - {level: 3, label: {zh: 基本满意}, bucket: neutral, points: 60}
  - {level: 2, label: {zh: 不满意}, bucket: bad, points: 30}
  - {level: 1, label: {zh: 非常不满意}, bucket: bad, points: 0}
"""
    default = default if default is not None else "  enabled: true\n  level: 3\n"
    deadlines = deadlines if deadlines is not None else """\
  assignment: {days: 1}
  callback: {days: 2}
  rectification: {days: 5}
  feedback: {days: 5}
  appeal: {days: 3}
"""
    return ("kind: rating_policy\nid: p\nversion: \"1\"\n"
            "jurisdiction: {code: \"440000\", name: {zh: 广东省}}\neffective_from: 2026-01-01\n"
            "levels:\n" + levels +
            "window: {after_service: {days: 7, calendar: natural}}\n"
            "default_rating:\n" + default +
            "deadlines:\n" + deadlines + textwrap.dedent(body))


SURVEY_CASES: dict[str, str] = {
    "F002": "kind: surveys  #! F002\n",
    "Y001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            title: {zh: 二}  #! Y001 section 's1'
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
        """),
    "Y002": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: single
                label: {zh: 是否}
                choices:
                  - {code: "yes", label: {zh: 是}}
                  - {code: no, label: {zh: 否}}  #! Y002 question 'q1'
        """),
    "Y003": survey("""\
        sections:
          - id: s1
            title: {zh: [一}  #! Y003
        """),
    "Y004": survey("""\
        sections:
          - id: s1
            title: !python/object {zh: 一}  #! Y004 section 's1'
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
        """),
    "S001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, lable: {zh: 一}, scale: sat5}  #! S001 question 'q1'
        """),
    "S002": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: number
                label: {zh: 年龄}
                min: eighteen  #! S002 question 'q1'
        """),
    "S003": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, scale: sat5}  #! S003 question 'q1'
        """),
    "S004": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: Q1, kind: scale, label: {zh: 一}, scale: sat5}  #! S004 question 'Q1'
        """),
    "D001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
              - {id: q1, kind: text, label: {zh: 二}}  #! D001 question 'q1'
        """),
    "D002": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: single
                label: {zh: 性别}
                choices:
                  - {code: m, label: {zh: 男}}
                  - {code: m, label: {zh: 女}}  #! D002 question 'q1'
        """),
    "Q001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat7}  #! Q001 question 'q1'
        """),
    "Q002": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: number
                label: {zh: 年龄}
                min: 90
                max: 18  #! Q002 question 'q1'
        """),
    "Q003": """\
kind: survey
id: t
version: "1"
title: {zh: 测试}
scales:
  - id: sat5
    scoring: explicit
    points:
      - {code: "5", label: {zh: 满意}, points: 100}
      - {code: "1", label: {zh: 不满意}}  #! Q003 scale 'sat5'
sections:
  - id: s1
    title: {zh: 一}
    questions:
      - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
""",
    "Q004": survey("""\
        languages: [zh, en]
        sections:
          - id: s1
            title: {zh: 一, en: One}
            questions:
              - id: q1
                kind: text
                label: {zh: 建议}  #! Q004 question 'q1'
        """).replace("title: {zh: 测试}", "title: {zh: 测试, en: Test}").replace(
        "{zh: 满意}", "{zh: 满意, en: S}").replace("{zh: 一般}", "{zh: 一般, en: N}").replace(
        "{zh: 不满意}", "{zh: 不满意, en: D}").replace("{zh: 不了解}", "{zh: 不了解, en: DK}"),
    "Q005": survey("""\
        attributes:
          - id: gender
            label: {zh: 性别}
            source: question
            question: q_gendr  #! Q005 attribute 'gender'
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q_gender
                kind: single
                label: {zh: 性别}
                choices: [{code: m, label: {zh: 男}}, {code: f, label: {zh: 女}}]
        """),
    "E001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
              - id: q2
                kind: text
                label: {zh: 为什么}
                show_if: "q1 = '1'"  #! E001 question 'q2'
        """),
    "E002": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
              - id: q2
                kind: text
                label: {zh: 为什么}
                show_if: "q9 in ['1']"  #! E002 question 'q2'
        """),
    "E003": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: text
                label: {zh: 为什么}
                show_if: "q2 == '1'"  #! E003 question 'q1'
              - {id: q2, kind: scale, label: {zh: 一}, scale: sat5}
        """),
    "E004": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - id: q1
                kind: scale
                label: {zh: 一}
                scale: sat5
                show_if: "answered(q1)"  #! E004 question 'q1'
        """),
    "E005": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
              - id: q2
                kind: text
                label: {zh: 为什么}
                show_if: "selected(q1, '7')"  #! E005 question 'q2'
        """),
    "I001": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
        indicators:
          dimensions:
            - id: dim_a
              label: {zh: 甲}
              indicators:
                - id: ind_a
                  label: {zh: 甲一}
                  items: [q1, q2]  #! I001 indicator 'ind_a'
        """),
    "I002": survey("""\
        sections:
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
                  weights:
                    kind: fixed
                    values: {q1: 0.5, q2: 0.4}  #! I002 indicator 'ind_a'
        """),
    "I003": survey("""\
        sections:
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
                  weights:
                    kind: ahp
                    matrix:
                      - [1, 3]
                      - [3, 1]  #! I003 indicator 'ind_a'
        """),
    "I004": survey("""\
        sections:
          - id: s1
            title: {zh: 一}
            questions:
              - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
              - {id: q2, kind: scale, label: {zh: 二}, scale: sat5}
              - {id: q3, kind: scale, label: {zh: 三}, scale: sat5}
        indicators:
          dimensions:
            - id: dim_a
              label: {zh: 甲}
              indicators:
                - id: ind_a
                  label: {zh: 甲一}
                  items: [q1, q2, q3]
                  weights:
                    kind: ahp
                    matrix:  #! I004 indicator 'ind_a'
                      - [1, 9, "1/9"]
                      - ["1/9", 1, 9]
                      - [9, "1/9", 1]
        """),
    "I005": survey("""\
        sections:
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
                - {id: ind_a, label: {zh: 甲一}, items: [q1, q2]}
                - id: ind_b
                  label: {zh: 甲二}
                  items:
                    - q2  #! I005 indicator 'ind_b'
        """),
}

POLICY_CASES: dict[str, str] = {
    "P001": policy(levels="""\
  - {level: 5, label: {zh: 非常满意}, bucket: good, points: 100}
  - {level: 4, label: {zh: 满意}, bucket: good, points: 80}
  - {level: 3, label: {zh: 基本满意}, bucket: neutral, points: 60}
  - {level: 2, label: {zh: 不满意}, bucket: bad, points: 30}
  - {level: 2, label: {zh: 非常不满意}, bucket: bad, points: 0}  #! P001 policy 'p'
""").replace("levels:\n", "levels:  #! P001 policy 'p'\n"),
    "P002": policy("""\
        adapters:
          - id: gbt39046
            levels:  #! P002 adapter 'gbt39046'
              "1": 5
              "2": 4
              "3": 3
              "4": 2
              "5": 2  #! P002 adapter 'gbt39046'
        """),
    "P003": policy("""\
        reason_tags:
          - code: slow
            label: {zh: 办事慢}
            levels: [2, 6]  #! P003 policy 'p'
        """).replace("levels: [2, 6]  #! P003 policy 'p'", "levels: [2, 0]  #! S004 policy 'p'").replace(
        "  level: 3\n", "  level: 3\n") + "recheck: {enabled: true, reopen_levels: [2]}\n",
    "P004": policy(deadlines="""\
  assignment: {days: 1}
  callback: {days: 5}
  rectification: {days: 3}  #! P004 policy 'p'
  feedback: {days: 5}
  appeal: {days: 3}
"""),
    "P005": policy(default="  enabled: true\n  level: 2  #! P005 policy 'p'\n"),
}

# P003 proper: a level the policy lacks. Levels 1..5 are the only ones the schema allows, so
# the case is a policy that defines four levels and refers to the fifth.
POLICY_CASES["P003"] = policy(levels="""\
  - {level: 5, label: {zh: 非常满意}, bucket: good, points: 100}
  - {level: 4, label: {zh: 满意}, bucket: good, points: 80}
  - {level: 2, label: {zh: 不满意}, bucket: bad, points: 30}
  - {level: 1, label: {zh: 非常不满意}, bucket: bad, points: 0}
""", default="  enabled: true\n  level: 3  #! P003 policy 'p'\n").replace(
    "levels:\n", "levels:  #! P001 policy 'p'\n", 1)


CALENDAR_CASES: dict[str, str] = {
    "K001": """\
kind: working_calendar
id: c
years:
  - year: 2030
    holidays:
      - {start: 2030-12-30, end: 2031-01-02}  #! K001 year 2030
""",
    "K002": """\
kind: working_calendar
id: c
years:
  - year: 2030
    holidays:
      - {start: 2030-01-05, end: 2030-01-06}
    workdays:
      - 2030-01-05  #! K002 year 2030
""",
}


@pytest.mark.parametrize("code", sorted(SURVEY_CASES) + sorted(POLICY_CASES) + sorted(CALENDAR_CASES))
def test_code_is_reported_at_its_line_with_its_subject(code):
    text = SURVEY_CASES.get(code) or POLICY_CASES.get(code) or CALENDAR_CASES[code]
    result = check_text(text, path="case.yaml")
    want = expected_marks(text)
    assert code in {c for c, _, _ in want}
    assert got_marks(result.diagnostics) == want, "\n".join(d.format() for d in result.diagnostics)


QUESTIONNAIRE_FOR_PLAN = """\
kind: survey
id: hh
version: "1"
title: {zh: 测试}
scales:
  - id: sat5
    points:
      - {code: "5", label: {zh: 满意}}
      - {code: "1", label: {zh: 不满意}}
attributes:
  - id: district
    label: {zh: 区}
    kind: region
    level: district
  - id: gender
    label: {zh: 性别}
    choices: [{code: m, label: {zh: 男}}, {code: f, label: {zh: 女}}]
sections:
  - id: s1
    title: {zh: 一}
    questions:
      - {id: q1, kind: scale, label: {zh: 一}, scale: sat5}
"""

PLAN_HEAD = """\
kind: evaluation_plan
id: w
wave: {id: w1, label: {zh: 第一轮}, start: 2026-04-01, end: 2026-05-31}
questionnaire: q.yaml
"""

PLAN_CASES: dict[str, tuple[str, str]] = {
    "L001": (PLAN_HEAD + """\
weighting:
  method: rake
  population_total: 1000
  margins:
    - variable: gender
      population: {m: 500, f: 499}  #! L001 margin 'gender'
""", ""),
    "L002": (PLAN_HEAD.replace("questionnaire: q.yaml", "questionnaire: missing.yaml  #! L002 plan 'w'"), ""),
    "L003": (PLAN_HEAD + """\
weighting:
  method: rake
  margins:
    - variable: gender
      csv: gender.csv
""", "code,count\nm,500\nf,many\n"),
    "L004": (PLAN_HEAD + "domains: [district, gendr]  #! L004 plan 'w'\n", ""),
    "L005": (PLAN_HEAD + """\
weighting:
  method: rake
  margins:
    - variable: gender
      population:
        m: 500
        x: 500  #! L005 margin 'gender'
        f: 0
""", ""),
    "L006": (PLAN_HEAD + """\
weighting:
  method: none
  trimming: {lower: 3, upper: 0.5}  #! L006 plan 'w'
""", ""),
}


@pytest.mark.parametrize("code", sorted(PLAN_CASES))
def test_plan_code_is_reported_at_its_line(code, tmp_path):
    text, csv_text = PLAN_CASES[code]
    (tmp_path / "q.yaml").write_text(QUESTIONNAIRE_FOR_PLAN, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    if csv_text:
        (tmp_path / "gender.csv").write_text(csv_text, encoding="utf-8")
    result = check_file(plan)
    got = {(d.code, d.line, d.subject) for d in result.diagnostics if d.path == str(plan)}
    if code == "L003":  # the diagnostic points into the CSV file, at the bad row
        (d,) = result.diagnostics
        assert (d.code, d.path, d.line, d.column, d.subject) == ("L003", str(tmp_path / "gender.csv"), 3, 3,
                                                                 "margin 'gender'")
        return
    assert got == expected_marks(text), "\n".join(d.format() for d in result.diagnostics)


def test_F001_unreadable_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    (d,) = check_file(missing).diagnostics
    assert (d.code, d.line, d.subject) == ("F001", 1, "")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"kind: survey\nid: t\ntitle: {zh: caf\xe9}\n")
    (d,) = check_file(bad).diagnostics
    assert (d.code, d.line, d.subject) == ("F001", 3, "")


TESTED_ELSEWHERE = {"F001", "C001", "C002", "C003", "C004"}  # C: tests/engine/test_score.py
TESTED_ELSEWHERE |= {"C005", "C006", "C007", "C008", "C009"}  # paper import: tests/engine/test_import.py
TESTED_ELSEWHERE |= {"L007"}  # units files: tests/reports/test_units.py (the diagnostic points into the CSV)


def test_every_code_of_the_registry_has_a_case():
    covered = set(SURVEY_CASES) | set(POLICY_CASES) | set(PLAN_CASES) | set(CALENDAR_CASES) | TESTED_ELSEWHERE
    assert covered == set(RULES)
