"""The questionnaire document (`kind: survey` or `kind: rating`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal, Union

import msgspec
from msgspec import Meta

from ._base import Code, Doc, Id, Text

__all__ = [
    "Questionnaire", "ScalePoint", "Scale", "Choice", "Attribute", "Section",
    "Question", "SingleQuestion", "MultiQuestion", "ScaleQuestion", "MatrixQuestion",
    "MatrixItem", "NpsQuestion", "NumberQuestion", "TextQuestion", "DateQuestion",
    "RegionQuestion", "CalculateQuestion", "IndicatorTree", "Dimension", "Indicator",
    "Weights", "FixedWeights", "EqualWeights", "AhpWeights", "EntropyWeights", "BlendWeights",
    "REGION_LEVELS", "SCORED_KINDS",
]

Points = Annotated[float, Meta(ge=0, le=100, description="Score of this point on 0-100.")]
RegionLevel = Literal["province", "city", "district", "street", "community"]
REGION_LEVELS: tuple[str, ...] = ("province", "city", "district", "street", "community")
Expression = Annotated[str, Meta(min_length=1, description="An expression of the condition language.")]
# AHP judgements: a number, or a fraction written as text ("1/3").
Judgement = Union[
    Annotated[float, Meta(gt=0)],
    Annotated[str, Meta(pattern=r"^\s*[0-9]+(\.[0-9]+)?\s*/\s*[0-9]+(\.[0-9]+)?\s*$")],
]


class ScalePoint(Doc, kw_only=True):
    __subject__: ClassVar[str] = "scale point"

    code: Code
    label: Text
    points: Points | None = None
    #: 不了解 / 不适用: shown and stored, never scored.
    na: bool = False


class Scale(Doc, kw_only=True):
    """Ordered answer points. `linear` spreads 100..0 over the scored points in list order
    (`order: best_first`, the default) or 0..100 (`worst_first`); `explicit` takes each
    point's `points` (such as 100/80/60/30/0).

    A reverse-worded item mirrors by position: the k-th scored point from the best scores what
    the k-th from the worst scores, so 100/80/60/30/0 reads 0/30/60/80/100."""

    __subject__: ClassVar[str] = "scale"

    id: Id
    label: Text | None = None
    scoring: Literal["linear", "explicit"] = "linear"
    order: Literal["best_first", "worst_first"] = "best_first"
    points: Annotated[list[ScalePoint], Meta(min_length=2)]


class Choice(Doc, kw_only=True):
    __subject__: ClassVar[str] = "choice"

    code: Code
    label: Text


class Attribute(Doc, kw_only=True):
    """A respondent attribute used for quotas, weighting and domains.

    `source: frame` comes with the invitation (sampling frame); `source: question` is the
    answer to `question` (a single-choice or region question)."""

    __subject__: ClassVar[str] = "attribute"

    id: Id
    label: Text
    kind: Literal["choice", "region", "number"] = "choice"
    source: Literal["frame", "question"] = "frame"
    question: Id | None = None
    choices: list[Choice] | None = None
    level: RegionLevel | None = None
    uses: list[Literal["quota", "weighting", "domain", "stratum", "psu"]] = []


class _QuestionBase(Doc, tag_field="kind", kw_only=True):
    __subject__: ClassVar[str] = "question"

    id: Id
    label: Text
    help: Text | None = None
    required: bool = True
    show_if: Expression | None = None
    constraint: Expression | None = None
    constraint_message: Text | None = None

    @property
    def kind(self) -> str:
        """The question kind (the tag)."""
        return type(self).__struct_config__.tag  # type: ignore[return-value]


class SingleQuestion(_QuestionBase, tag="single", kw_only=True):
    choices: Annotated[list[Choice], Meta(min_length=1)]
    other: bool = False


class MultiQuestion(_QuestionBase, tag="multi", kw_only=True):
    choices: Annotated[list[Choice], Meta(min_length=1)]
    min_selected: Annotated[int, Meta(ge=0)] = 0
    max_selected: Annotated[int, Meta(ge=1)] | None = None
    other: bool = False


class ScaleQuestion(_QuestionBase, tag="scale", kw_only=True):
    scale: Id
    reverse: bool = False


class MatrixItem(Doc, kw_only=True):
    __subject__: ClassVar[str] = "item"

    id: Id
    label: Text
    reverse: bool = False
    show_if: Expression | None = None


class MatrixQuestion(_QuestionBase, tag="matrix", kw_only=True):
    """Items sharing one scale; each item is answered, stored and scored under its own id."""

    scale: Id
    items: Annotated[list[MatrixItem], Meta(min_length=1)]


class NpsQuestion(_QuestionBase, tag="nps", kw_only=True):
    """0-10 likelihood to recommend."""

    low_label: Text | None = None
    high_label: Text | None = None


class NumberQuestion(_QuestionBase, tag="number", kw_only=True):
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: Text | None = None


class TextQuestion(_QuestionBase, tag="text", kw_only=True):
    max_length: Annotated[int, Meta(ge=1, le=20000)] = 500
    multiline: bool = False


class DateQuestion(_QuestionBase, tag="date", kw_only=True):
    min: dt.date | None = None
    max: dt.date | None = None


class RegionQuestion(_QuestionBase, tag="region", kw_only=True):
    """A place answered down to `level` (e.g. community), optionally within a region code."""

    level: RegionLevel = "community"
    within: Annotated[str, Meta(pattern=r"^[0-9]{2,12}$")] | None = None


class CalculateQuestion(_QuestionBase, tag="calculate", kw_only=True):
    """A value computed from other answers; never shown."""

    expression: Expression


Question = Union[
    SingleQuestion, MultiQuestion, ScaleQuestion, MatrixQuestion, NpsQuestion,
    NumberQuestion, TextQuestion, DateQuestion, RegionQuestion, CalculateQuestion,
]
#: Question kinds whose answers score on 0-100 and may be indicator items.
SCORED_KINDS: frozenset[str] = frozenset({"scale", "matrix_item", "nps"})


class Section(Doc, kw_only=True):
    """One page for the resident."""

    __subject__: ClassVar[str] = "section"

    id: Id
    title: Text
    intro: Text | None = None
    show_if: Expression | None = None
    questions: Annotated[list[Question], Meta(min_length=1)]


# ---- indicator weights -------------------------------------------------------------------


class _WeightsBase(Doc, tag_field="kind", kw_only=True):
    __subject__: ClassVar[str] = "weights"

    @property
    def kind(self) -> str:
        return type(self).__struct_config__.tag  # type: ignore[return-value]


class FixedWeights(_WeightsBase, tag="fixed", kw_only=True):
    """Weights by child id; they must sum to 1."""

    values: dict[Id, Annotated[float, Meta(ge=0, le=1)]]


class EqualWeights(_WeightsBase, tag="equal", kw_only=True):
    pass


class AhpWeights(_WeightsBase, tag="ahp", kw_only=True):
    """Saaty pairwise comparison: `matrix` (one judge) or `experts` (several, combined by
    geometric mean). Rows and columns follow `order`, by default the children's order."""

    order: list[Id] | None = None
    matrix: list[list[Judgement]] | None = None
    experts: Annotated[list[list[list[Judgement]]], Meta(min_length=1)] | None = None


class EntropyWeights(_WeightsBase, tag="entropy", kw_only=True):
    """Entropy weight method, from the data of the wave."""


class BlendWeights(_WeightsBase, tag="blend", kw_only=True):
    """`ahp_share` * AHP + (1 - `ahp_share`) * entropy."""

    ahp: AhpWeights
    ahp_share: Annotated[float, Meta(ge=0, le=1)] = 0.5


Weights = Union[FixedWeights, EqualWeights, AhpWeights, EntropyWeights, BlendWeights]


class Indicator(Doc, kw_only=True):
    __subject__: ClassVar[str] = "indicator"

    id: Id
    label: Text
    items: Annotated[list[Id], Meta(min_length=1)]
    weights: Weights = EqualWeights()


class Dimension(Doc, kw_only=True):
    __subject__: ClassVar[str] = "dimension"

    id: Id
    label: Text
    indicators: Annotated[list[Indicator], Meta(min_length=1)]
    weights: Weights = EqualWeights()


class IndicatorTree(Doc, kw_only=True):
    """dimension -> indicator -> items; `overall` items validate the index, never weighted."""

    __subject__: ClassVar[str] = "indicators"

    label: Text | None = None
    weights: Weights = EqualWeights()
    dimensions: Annotated[list[Dimension], Meta(min_length=1)]
    overall: list[Id] = []


class Questionnaire(Doc, kw_only=True):
    __subject__: ClassVar[str] = "questionnaire"

    kind: Literal["survey", "rating"]
    id: Id
    version: Annotated[str, Meta(min_length=1, max_length=32)]
    title: Text
    description: Text | None = None
    languages: Annotated[list[Literal["zh", "en"]], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["zh"])
    scales: list[Scale] = []
    attributes: list[Attribute] = []
    sections: Annotated[list[Section], Meta(min_length=1)]
    indicators: IndicatorTree | None = None
