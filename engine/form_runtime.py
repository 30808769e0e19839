"""One response's runtime on the resident pages: which sections, questions and matrix items
are shown given the answers so far (`show_if`, evaluated on the server), how posted form fields
become answers, and what is wrong with them (required, constraint, ranges), in zh or en.

Answers are stored by id: single, scale and matrix items as the code (text); nps as "0".."10";
multi as a list of codes; number as int or float; text, date (ISO) and region as text; the
text of an `other` choice under "<question id>_other". A hidden question has no answer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

from . import expressions as ex
from .analysis.codebook import NPS_CODES
from .schema import (
    CalculateQuestion, DateQuestion, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, Questionnaire,
    RegionQuestion, ScaleQuestion, Section, SingleQuestion, TextQuestion,
)

__all__ = ["FormRuntime", "MESSAGES", "OTHER"]

OTHER = "other"

MESSAGES = {
    "zh": {
        "required": "请回答此题。",
        "required_items": "请回答每一项（还有 {n} 项未答）。",
        "required_item": "请回答此项。",
        "invalid_choice": "所选选项无效，请重新选择。",
        "number": "请输入数字，如 3 或 0.5。",
        "integer": "请输入整数。",
        "range": "请输入 {low} 至 {high} 之间的数。",
        "min": "请输入不小于 {low} 的数。",
        "max": "请输入不大于 {high} 的数。",
        "min_selected": "请至少选择 {n} 项。",
        "max_selected": "最多只能选择 {n} 项。",
        "too_long": "不能超过 {n} 个字（现有 {m} 个字）。",
        "date": "请输入日期，如 2026-05-01。",
        "date_range": "日期应在 {low} 至 {high} 之间。",
        "region": "请输入 2 至 12 位的行政区划代码。",
        "region_within": "请输入 {within} 开头的行政区划代码。",
        "other_text": "选择“其他”时请填写具体内容。",
        "constraint": "答案不符合要求，请检查。",
    },
    "en": {
        "required": "Please answer this question.",
        "required_items": "Please answer every item ({n} left).",
        "required_item": "Please answer this item.",
        "invalid_choice": "That choice is not valid; please choose again.",
        "number": "Please enter a number, such as 3 or 0.5.",
        "integer": "Please enter a whole number.",
        "range": "Please enter a number from {low} to {high}.",
        "min": "Please enter a number of at least {low}.",
        "max": "Please enter a number of at most {high}.",
        "min_selected": "Please choose at least {n}.",
        "max_selected": "Please choose at most {n}.",
        "too_long": "Please use at most {n} characters (now {m}).",
        "date": "Please enter a date such as 2026-05-01.",
        "date_range": "The date must be from {low} to {high}.",
        "region": "Please enter an administrative division code of 2 to 12 digits.",
        "region_within": "Please enter a division code starting with {within}.",
        "other_text": "Please say what “other” is.",
        "constraint": "This answer is not accepted; please check it.",
    },
}

_REGION = re.compile(r"^[0-9]{2,12}$")


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True, slots=True)
class _Parsed:
    value: Any          # the answer (None: unanswered)
    raw: Any            # what was typed, for showing it again
    error: str | None   # a parse error key


class FormRuntime:
    """Built once per questionnaire version; every method is pure."""

    def __init__(self, q: Questionnaire):
        self.q = q
        self.scales = {s.id: s for s in q.scales}
        self._cond: dict[str, Any] = {}
        for sec in q.sections:
            self._compile(sec.id, sec.show_if)
            for qu in sec.questions:
                self._compile(qu.id, qu.show_if)
                self._compile(qu.id + "#constraint", qu.constraint)
                if isinstance(qu, CalculateQuestion):
                    self._compile(qu.id + "#expression", qu.expression)
                if isinstance(qu, MatrixQuestion):
                    for it in qu.items:
                        self._compile(it.id, it.show_if)
        self.attribute_of_question = {a.question: a.id for a in q.attributes if a.source == "question" and a.question}
        self.section_ids = [s.id for s in q.sections]

    def _compile(self, key: str, text: str | None) -> None:
        if text:
            self._cond[key] = ex.parse(text)

    def _shown(self, key: str, env: Mapping[str, Any]) -> bool:
        tree = self._cond.get(key)
        return True if tree is None else ex._truthy(ex.evaluate(tree, env))

    # -- visibility ------------------------------------------------------------------------------
    def env(self, answers: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Names an expression may use: frame attributes, answers, and attributes taken from
        answers (age_band <- q_age_band)."""
        out = {k: v for k, v in attributes.items() if v is not None}
        out.update(answers)
        for qid, attr in self.attribute_of_question.items():
            if qid in answers:
                out[attr] = answers[qid]
        return out

    def clean(self, answers: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The answers that count: in questionnaire order, anything hidden by a `show_if`
        (given the answers before it) is dropped, and computed values are filled in."""
        kept: dict[str, Any] = {}
        for sec in self.q.sections:
            if not self._shown(sec.id, self.env(kept, attributes)):
                continue
            for qu in sec.questions:
                env = self.env(kept, attributes)
                if not self._shown(qu.id, env):
                    continue
                if isinstance(qu, CalculateQuestion):
                    value = ex.evaluate(self._cond[qu.id + "#expression"], env)
                    if value is not None:
                        kept[qu.id] = value
                elif isinstance(qu, MatrixQuestion):
                    for it in qu.items:
                        if it.id in answers and self._shown(it.id, env):
                            kept[it.id] = answers[it.id]
                elif qu.id in answers:
                    kept[qu.id] = answers[qu.id]
                    if qu.id + "_" + OTHER in answers and _has_other(answers[qu.id]):
                        kept[qu.id + "_" + OTHER] = answers[qu.id + "_" + OTHER]
        return kept

    def visible_sections(self, answers: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[Section]:
        kept = self.clean(answers, attributes)
        return [s for s in self.q.sections if self._shown(s.id, self.env(kept, attributes))
                and self.visible_questions(s, kept, attributes)]

    def visible_questions(self, sec: Section, answers: Mapping[str, Any], attributes: Mapping[str, Any]) -> list:
        """The questions of a section to show given the answers (show_if may only look back,
        so the cleaned answers decide; a question that depends on an earlier one of the same
        page appears once that answer is posted)."""
        env = self.env(self.clean(answers, attributes), attributes)
        return [qu for qu in sec.questions if not isinstance(qu, CalculateQuestion) and self._shown(qu.id, env)]

    def visible_items(self, qu: MatrixQuestion, answers: Mapping[str, Any], attributes: Mapping[str, Any]) -> list:
        env = self.env(self.clean(answers, attributes), attributes)
        return [it for it in qu.items if self._shown(it.id, env)]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.q.sections if s.id == section_id), None)

    # -- parsing and checking ------------------------------------------------------------------------
    def parse(self, sec: Section, form: Mapping[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        """(answers, raw values, parse error keys) of the fields of one section's form."""
        answers: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for qu in sec.questions:
            if isinstance(qu, MatrixQuestion):
                codes = {p.code for p in self.scales[qu.scale].points}
                for it in qu.items:
                    p = _choice(form.get(it.id, []), codes)
                    self._put(it.id, p, answers, raw, errors)
                continue
            p = self._parse_one(qu, form)
            self._put(qu.id, p, answers, raw, errors)
            if isinstance(qu, (SingleQuestion, MultiQuestion)) and qu.other:
                text = (form.get(qu.id + "_" + OTHER) or [""])[0].strip()
                raw[qu.id + "_" + OTHER] = text
                if text and _has_other(p.value):
                    answers[qu.id + "_" + OTHER] = text[:500]
        return answers, raw, errors

    @staticmethod
    def _put(key: str, p: _Parsed, answers: dict, raw: dict, errors: dict) -> None:
        raw[key] = p.raw
        if p.error:
            errors[key] = p.error
        elif p.value is not None:
            answers[key] = p.value

    def _parse_one(self, qu: Any, form: Mapping[str, list[str]]) -> _Parsed:
        values = [v for v in form.get(qu.id, []) if v != ""]
        if isinstance(qu, SingleQuestion):
            return _choice(values, {c.code for c in qu.choices} | ({OTHER} if qu.other else set()))
        if isinstance(qu, ScaleQuestion):
            return _choice(values, {p.code for p in self.scales[qu.scale].points})
        if isinstance(qu, NpsQuestion):
            return _choice(values, set(NPS_CODES))
        if isinstance(qu, MultiQuestion):
            allowed = [c.code for c in qu.choices] + ([OTHER] if qu.other else [])
            if any(v not in allowed for v in values):
                return _Parsed(None, values, "invalid_choice")
            picked = [c for c in allowed if c in values]  # questionnaire order, no repeats
            return _Parsed(picked or None, picked, None)
        text = values[0].strip() if values else ""
        if text == "":
            return _Parsed(None, "", None)
        if isinstance(qu, NumberQuestion):
            t = text.replace("，", ".").replace("。", ".").replace(",", ".")
            t = t.translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", t):
                return _Parsed(None, text, "number")
            x = float(t)
            if qu.integer:
                if x != int(x):
                    return _Parsed(None, text, "integer")
                return _Parsed(int(x), text, None)
            return _Parsed(int(x) if x == int(x) and "." not in t else x, text, None)
        if isinstance(qu, DateQuestion):
            try:
                return _Parsed(dt.date.fromisoformat(text).isoformat(), text, None)
            except ValueError:
                return _Parsed(None, text, "date")
        return _Parsed(text, text, None)  # text, region

    def check(self, sec: Section, answers: Mapping[str, Any], attributes: Mapping[str, Any], parse_errors: Mapping[str, str],
              *, lang: str = "zh", require: bool = True) -> dict[str, str]:
        """Messages by question or item id for one section, given all answers (this page's
        merged in). `require=False` (saving to continue later) skips the required checks only."""
        msg = MESSAGES["en" if lang == "en" else "zh"]
        kept = self.clean(answers, attributes)
        env = self.env(kept, attributes)
        errors: dict[str, str] = {}
        for qu in self.visible_questions(sec, answers, attributes):
            if isinstance(qu, MatrixQuestion):
                items = self.visible_items(qu, answers, attributes)
                missing = [it for it in items if it.id not in kept and it.id not in parse_errors]
                for it in items:
                    if it.id in parse_errors:
                        errors[it.id] = msg[parse_errors[it.id]]
                    elif require and qu.required and it in missing:
                        errors[it.id] = msg["required_item"]
                if require and qu.required and missing:
                    errors[qu.id] = msg["required_items"].format(n=len(missing))
                continue
            if qu.id in parse_errors:
                errors[qu.id] = msg[parse_errors[qu.id]]
                continue
            value = kept.get(qu.id)
            if value is None:
                if require and qu.required:
                    errors[qu.id] = msg["required"]
                continue
            problem = self._bounds(qu, value, msg)
            if problem is None and isinstance(qu, (SingleQuestion, MultiQuestion)) and qu.other and _has_other(value) \
                    and not kept.get(qu.id + "_" + OTHER):
                problem = msg["other_text"]
            if problem is None and qu.id + "#constraint" in self._cond:
                if not ex._truthy(ex.evaluate(self._cond[qu.id + "#constraint"], env, this=value)):
                    problem = qu.constraint_message.get(lang) if qu.constraint_message else msg["constraint"]
            if problem:
                errors[qu.id] = problem
        return errors

    @staticmethod
    def _bounds(qu: Any, value: Any, msg: dict[str, str]) -> str | None:
        if isinstance(qu, NumberQuestion):
            lo, hi = qu.min, qu.max
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                if lo is not None and hi is not None:
                    return msg["range"].format(low=_fmt(lo), high=_fmt(hi))
                return msg["min"].format(low=_fmt(lo)) if lo is not None and value < lo else msg["max"].format(high=_fmt(hi))
        if isinstance(qu, MultiQuestion):
            if qu.min_selected and len(value) < qu.min_selected:
                return msg["min_selected"].format(n=qu.min_selected)
            if qu.max_selected and len(value) > qu.max_selected:
                return msg["max_selected"].format(n=qu.max_selected)
        if isinstance(qu, TextQuestion) and len(value) > qu.max_length:
            return msg["too_long"].format(n=qu.max_length, m=len(value))
        if isinstance(qu, DateQuestion):
            d = dt.date.fromisoformat(value)
            if (qu.min and d < qu.min) or (qu.max and d > qu.max):
                return msg["date_range"].format(low=qu.min or "", high=qu.max or "")
        if isinstance(qu, RegionQuestion):
            if not _REGION.match(value):
                return msg["region"]
            if qu.within and not value.startswith(qu.within):
                return msg["region_within"].format(within=qu.within)
        return None

    def check_all(self, answers: Mapping[str, Any], attributes: Mapping[str, Any], *, lang: str = "zh"
                  ) -> dict[str, dict[str, str]]:
        """Errors by section id over every visible section (before the final submit)."""
        out = {}
        for sec in self.visible_sections(answers, attributes):
            errs = self.check(sec, answers, attributes, {}, lang=lang)
            if errs:
                out[sec.id] = errs
        return out


def _has_other(value: Any) -> bool:
    return value == OTHER or (isinstance(value, list) and OTHER in value)


def _choice(values: list[str], allowed: set[str]) -> _Parsed:
    values = [v for v in values if v != ""]
    if not values:
        return _Parsed(None, None, None)
    if len(values) > 1 or values[0] not in allowed:
        return _Parsed(None, values[0], "invalid_choice")
    return _Parsed(values[0], values[0], None)
