"""What each column of a wave's data means: codes allowed, and the 0-100 points of scored
answers (the questionnaire's points mapping, 不了解 unscored, reverse-worded items mirrored)."""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import (
    Attribute, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, Questionnaire, Scale, ScaleQuestion,
    SingleQuestion,
)

__all__ = ["Variable", "codebook", "scale_points", "NPS_CODES"]

NPS_CODES = tuple(str(i) for i in range(11))


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    kind: str  # single multi scale matrix_item nps number text date region attribute
    codes: tuple[str, ...] | None = None
    points: dict[str, float | None] | None = None  # scored kinds: code -> 0-100 (None: not scored)
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def scored(self) -> bool:
        return self.points is not None


def scale_points(scale: Scale, *, reverse: bool = False) -> dict[str, float | None]:
    """code -> points on 0-100 (None for 不了解/不适用). A reverse-worded item mirrors by position."""
    scored = [p for p in scale.points if not p.na]
    k = len(scored)
    if scale.scoring == "explicit":
        values = [float(p.points) for p in scored]  # type: ignore[arg-type]
    else:
        values = [100.0 * (k - 1 - i) / (k - 1) for i in range(k)]
        if scale.order == "worst_first":
            values.reverse()
    if reverse:
        values = values[::-1]
    out: dict[str, float | None] = {p.code: v for p, v in zip(scored, values)}
    for p in scale.points:
        if p.na:
            out[p.code] = None
    return out


def codebook(q: Questionnaire) -> dict[str, Variable]:
    """Every column a data file of this questionnaire may hold, by id."""
    scales = {s.id: s for s in q.scales}
    out: dict[str, Variable] = {}
    for a in q.attributes:
        out[a.id] = _attribute(a, q)
    for sec in q.sections:
        for qu in sec.questions:
            if isinstance(qu, (SingleQuestion, MultiQuestion)):
                codes = tuple(c.code for c in qu.choices) + (("other",) if qu.other else ())
                out[qu.id] = Variable(qu.id, qu.kind, codes)
            elif isinstance(qu, ScaleQuestion):
                sc = scales[qu.scale]
                out[qu.id] = Variable(qu.id, "scale", tuple(p.code for p in sc.points),
                                      scale_points(sc, reverse=qu.reverse))
            elif isinstance(qu, MatrixQuestion):
                sc = scales[qu.scale]
                for it in qu.items:
                    out[it.id] = Variable(it.id, "matrix_item", tuple(p.code for p in sc.points),
                                          scale_points(sc, reverse=it.reverse))
            elif isinstance(qu, NpsQuestion):
                out[qu.id] = Variable(qu.id, "nps", NPS_CODES, {c: float(c) * 10 for c in NPS_CODES})
            elif isinstance(qu, NumberQuestion):
                out[qu.id] = Variable(qu.id, "number", None, None, qu.min, qu.max, qu.integer)
            elif qu.kind == "calculate":
                continue
            else:
                out[qu.id] = Variable(qu.id, qu.kind)
    return out


def _attribute(a: Attribute, q: Questionnaire) -> Variable:
    if a.kind == "region":
        return Variable(a.id, "region")
    if a.kind == "number":
        return Variable(a.id, "number")
    if a.choices:
        return Variable(a.id, "attribute", tuple(c.code for c in a.choices))
    for sec in q.sections:
        for qu in sec.questions:
            if qu.id == a.question and isinstance(qu, SingleQuestion):
                return Variable(a.id, "attribute", tuple(c.code for c in qu.choices))
    return Variable(a.id, "attribute")
