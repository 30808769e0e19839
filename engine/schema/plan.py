"""The evaluation plan of one survey wave (`kind: evaluation_plan`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from msgspec import Meta

from ._base import Code, Doc, Id, Text

__all__ = [
    "Plan", "Wave", "Design", "Margin", "Weighting", "Trimming", "Comparison",
    "QualityRules", "ReportOptions",
]


class Wave(Doc, kw_only=True):
    __subject__: ClassVar[str] = "wave"

    id: Id
    label: Text
    start: dt.date
    end: dt.date


class Design(Doc, kw_only=True):
    """Sample design columns: names of respondent attributes (or frame columns)."""

    __subject__: ClassVar[str] = "design"

    weights: Id | None = None
    strata: Id | None = None
    psu: list[Id] = []
    fpc: list[Id] = []
    single_psu: Literal["fail", "remove", "certainty", "adjust", "average"] = "fail"


class Margin(Doc, kw_only=True):
    """Population counts of one variable: inline (`population`) or from a CSV file with
    columns `code,count` (`csv`, relative to the plan)."""

    __subject__: ClassVar[str] = "margin"

    variable: Id
    population: dict[Code, Annotated[float, Meta(ge=0)]] | None = None
    csv: Annotated[str, Meta(min_length=1)] | None = None


class Trimming(Doc, kw_only=True):
    __subject__: ClassVar[str] = "trimming"

    lower: Annotated[float, Meta(ge=0)] | None = None
    upper: Annotated[float, Meta(gt=0)] | None = None
    relative: bool = True
    max_iterations: Annotated[int, Meta(ge=1, le=1000)] = 10


class Weighting(Doc, kw_only=True):
    __subject__: ClassVar[str] = "weighting"

    method: Literal["none", "poststratify", "rake", "calibrate"] = "rake"
    calibration: Literal["linear", "raking", "logit"] = "raking"
    bounds: tuple[float, float] | None = None
    population_total: Annotated[float, Meta(gt=0)] | None = None
    margins: list[Margin] = []
    trimming: Trimming | None = None
    max_iterations: Annotated[int, Meta(ge=1, le=10000)] = 100
    tolerance: Annotated[float, Meta(gt=0, lt=1)] = 1e-7


class Comparison(Doc, kw_only=True):
    __subject__: ClassVar[str] = "comparison"

    id: Id
    kind: Literal["domains", "waves"] = "domains"
    by: Id | None = None
    pairs: Literal["each_vs_rest", "all_pairs"] = "each_vs_rest"
    test: Literal["design", "rank"] = "design"
    adjust: Literal["holm", "bh", "none"] = "holm"


class QualityRules(Doc, kw_only=True):
    __subject__: ClassVar[str] = "quality"

    min_duration_seconds: Annotated[float, Meta(ge=0)] | None = None
    straightlining: bool = True
    max_na_share: Annotated[float, Meta(ge=0, le=1)] | None = None
    max_missing_share: Annotated[float, Meta(ge=0, le=1)] | None = None
    flag_duplicates: bool = True
    #: flags whose respondents are left out of the estimates (they are counted either way)
    exclude: list[Literal["duplicate", "speeder", "straightlining", "item_nonresponse", "na_share"]] = []


class ReportOptions(Doc, kw_only=True):
    __subject__: ClassVar[str] = "report"

    language: Literal["zh", "en"] = "zh"
    title: Text | None = None
    organisation: Text | None = None
    scorecards: bool = True
    league_tables: list[Id] = []
    top_n: Annotated[int, Meta(ge=1, le=50)] = 5


class Plan(Doc, kw_only=True):
    __subject__: ClassVar[str] = "plan"

    kind: Literal["evaluation_plan"]
    id: Id
    version: Annotated[str, Meta(min_length=1, max_length=32)] = "1"
    wave: Wave
    #: The questionnaire file, relative to the plan.
    questionnaire: Annotated[str, Meta(min_length=1)]
    previous_wave: Annotated[str, Meta(min_length=1)] | None = None
    design: Design = Design()
    weighting: Weighting = Weighting(method="none")
    domains: list[Id] = []
    comparisons: list[Comparison] = []
    confidence_level: Annotated[float, Meta(gt=0.5, lt=1)] = 0.95
    min_cell_size: Annotated[int, Meta(ge=1)] = 30
    quality: QualityRules = QualityRules()
    report: ReportOptions = ReportOptions()
    #: Names of the units (districts, streets, communities) for reports: a CSV file relative to
    #: the plan with the header `variable,code,zh` (and optionally `,en`); codes without a name
    #: are shown as codes.
    units: Annotated[str, Meta(min_length=1)] | None = None
