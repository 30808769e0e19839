"""Typed, frozen structs of every YAML document an evaluator writes.

The documents, told apart by their top-level `kind`:

- :class:`Questionnaire` (`kind: survey` or `kind: rating`)
- :class:`Policy` (`kind: rating_policy`)
- :class:`Plan` (`kind: evaluation_plan`)
- :class:`WorkingCalendar` (`kind: working_calendar`): years and local adjustments of the
  working-day calendar

Decode them with :mod:`engine.loader`, never with ``yaml.safe_load``: the loader checks keys,
types and references and says where a mistake is.
"""

from __future__ import annotations

import msgspec

from ._base import CODE_PATTERN, ID_PATTERN, Code, Doc, Id, Text
from .calendar import CalendarYear, DateRange, LocalAdjustment, WorkingCalendar
from .plan import Comparison, Design, Margin, Plan, QualityRules, ReportOptions, Trimming, Wave, Weighting
from .policy import (
    CHANNELS, LEVELS, Adapter, Appeal, Deadlines, DefaultRating, Duration, Jurisdiction, LevelDef,
    Limits, Policy, ReasonTag, Recheck, Window,
)
from .questionnaire import (
    REGION_LEVELS, SCORED_KINDS, AhpWeights, Attribute, BlendWeights, CalculateQuestion, Choice,
    DateQuestion, Dimension, EntropyWeights, EqualWeights, FixedWeights, Indicator, IndicatorTree,
    MatrixItem, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, Question,
    Questionnaire, RegionQuestion, Scale, ScalePoint, ScaleQuestion, Section, SingleQuestion,
    TextQuestion, Weights,
)

#: Document name (as in ``manyi schema NAME``) -> root struct.
DOCUMENTS: dict[str, type[Doc]] = {
    "questionnaire": Questionnaire,
    "policy": Policy,
    "plan": Plan,
    "calendar": WorkingCalendar,
}
#: Top-level ``kind`` value -> document name.
KINDS: dict[str, str] = {
    "survey": "questionnaire",
    "rating": "questionnaire",
    "rating_policy": "policy",
    "evaluation_plan": "plan",
    "working_calendar": "calendar",
}


def json_schema(document: str) -> dict:
    """JSON Schema (2020-12) of a document, for editors and the YAML language server."""
    try:
        root = DOCUMENTS[document]
    except KeyError:
        raise ValueError(f"document must be one of {', '.join(DOCUMENTS)}; got {document!r}") from None
    schema = msgspec.json.schema(root)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": f"https://manyi.dev/schemas/{document}.schema.json",
              "title": f"manyi {document}", **schema}
    return schema


__all__ = [
    "DOCUMENTS", "KINDS", "json_schema", "Doc", "Id", "Code", "Text", "ID_PATTERN", "CODE_PATTERN",
    "Questionnaire", "Scale", "ScalePoint", "Choice", "Attribute", "Section", "Question",
    "SingleQuestion", "MultiQuestion", "ScaleQuestion", "MatrixQuestion", "MatrixItem",
    "NpsQuestion", "NumberQuestion", "TextQuestion", "DateQuestion", "RegionQuestion",
    "CalculateQuestion", "IndicatorTree", "Dimension", "Indicator", "Weights", "FixedWeights",
    "EqualWeights", "AhpWeights", "EntropyWeights", "BlendWeights", "REGION_LEVELS",
    "SCORED_KINDS", "Policy", "Jurisdiction", "LevelDef", "Adapter", "Window", "DefaultRating",
    "Duration", "Deadlines", "ReasonTag", "Recheck", "Appeal", "Limits", "CHANNELS", "LEVELS",
    "Plan", "Wave", "Design", "Margin", "Weighting", "Trimming", "Comparison", "QualityRules",
    "ReportOptions", "WorkingCalendar", "CalendarYear", "LocalAdjustment", "DateRange",
]
