"""The columns of a wave's data file, from its questionnaire: what import accepts and export
writes. One column per answer id (questions, matrix items) and per frame attribute, plus the
record fields. Labels are display only; everything is keyed by id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..schema import (
    CalculateQuestion, DateQuestion, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, Questionnaire,
    RegionQuestion, ScaleQuestion, SingleQuestion, TextQuestion,
)

__all__ = ["Column", "columns", "RECORD_FIELDS", "PERSONAL", "is_personal", "cell_text"]

#: fields of every exported row before the answers; import accepts them (respondent_id keys the row)
RECORD_FIELDS = ("response_id", "respondent_id", "mode", "submitted_at")
#: ids that hold personal data (phone, ID number, name, address): never in a default export
PERSONAL = re.compile(r"(^|_)(phone|mobile|tel|telephone|id_?number|id_?card|idcard|sfz|name|address|wechat)(_|$)")


def is_personal(column_id: str) -> bool:
    return bool(PERSONAL.search(column_id))


@dataclass(frozen=True, slots=True)
class Column:
    """One column. `kind`: single multi scale matrix_item nps number text date region attribute;
    `choices`: (code, zh label, en label) in document order; `missing`: codes that are answers
    but never scored (不了解 / 说不清), exported as user-missing."""

    id: str
    kind: str
    label_zh: str
    label_en: str | None
    choices: tuple[tuple[str, str, str | None], ...] = ()
    missing: tuple[str, ...] = ()
    is_attribute: bool = False
    question: Any = None  # the schema question (None for attributes)
    section_show_if: str | None = None
    item_show_if: str | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False
    max_length: int | None = None

    def label(self, language: str = "zh") -> str:
        return self.label_en if language == "en" and self.label_en else self.label_zh

    def choice_label(self, code: str, language: str = "zh") -> str | None:
        for c, zh, en in self.choices:
            if c == code:
                return en if language == "en" and en else zh
        return None

    @property
    def required(self) -> bool:
        return bool(self.question is not None and self.question.required)


def _choices(items) -> tuple[tuple[str, str, str | None], ...]:
    return tuple((c.code, c.label.zh, c.label.en) for c in items)


def columns(q: Questionnaire) -> list[Column]:
    """Frame attributes, then answers in document order (matrix items under their own ids;
    computed values are not data columns). Attributes answered by a question are that
    question's column."""
    scales = {s.id: s for s in q.scales}
    out: list[Column] = []
    for a in q.attributes:
        if a.source != "frame":
            continue
        kind = {"region": "region", "number": "number"}.get(a.kind, "attribute")
        out.append(Column(a.id, kind, a.label.zh, a.label.en, _choices(a.choices or ()), is_attribute=True))
    for sec in q.sections:
        for qu in sec.questions:
            common = dict(label_zh=qu.label.zh, label_en=qu.label.en, question=qu, section_show_if=sec.show_if)
            if isinstance(qu, (SingleQuestion, MultiQuestion)):
                ch = _choices(qu.choices) + ((("other", "其他", "Other"),) if qu.other else ())
                out.append(Column(qu.id, qu.kind, choices=ch, **common))
            elif isinstance(qu, ScaleQuestion):
                sc = scales[qu.scale]
                out.append(Column(qu.id, "scale", choices=_choices(sc.points),
                                  missing=tuple(p.code for p in sc.points if p.na), **common))
            elif isinstance(qu, MatrixQuestion):
                sc = scales[qu.scale]
                for it in qu.items:
                    out.append(Column(it.id, "matrix_item", it.label.zh, it.label.en, _choices(sc.points),
                                      tuple(p.code for p in sc.points if p.na), question=qu,
                                      section_show_if=sec.show_if, item_show_if=it.show_if))
            elif isinstance(qu, NpsQuestion):
                ch = tuple((str(i), str(i), None) for i in range(11))
                if qu.low_label:
                    ch = ((ch[0][0], f"0 {qu.low_label.zh}", f"0 {qu.low_label.en or qu.low_label.zh}"),) + ch[1:]
                if qu.high_label:
                    ch = ch[:10] + (("10", f"10 {qu.high_label.zh}", f"10 {qu.high_label.en or qu.high_label.zh}"),)
                out.append(Column(qu.id, "nps", choices=ch, **common))
            elif isinstance(qu, NumberQuestion):
                out.append(Column(qu.id, "number", low=qu.min, high=qu.max, integer=qu.integer, **common))
            elif isinstance(qu, TextQuestion):
                out.append(Column(qu.id, "text", max_length=qu.max_length, **common))
            elif isinstance(qu, (DateQuestion, RegionQuestion)):
                out.append(Column(qu.id, qu.kind, **common))
            elif isinstance(qu, CalculateQuestion):
                continue
    return out


def cell_text(value: Any) -> str:
    """A stored answer as the text of a data file: codes as written, several codes joined by
    ';', whole numbers without '.0', missing as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ";".join(cell_text(v) for v in value)
    return str(value)
