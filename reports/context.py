"""The contexts the reports render: plain frozen dataclasses of labels and floats.

The engine builds them (engine.analysis.report); nothing here reads files, SQL or YAML.
Labels arrive in the report's language; numbers arrive unformatted (NaN: not available)
and are formatted by reports.fmt, so that a test can format a figure of results.json the
same way and find it in the PDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Score", "Node", "Stamp", "Change", "TrendPoint", "ComparisonRow", "GroupComparison", "LeagueRow",
    "LeagueTable", "IpaPoint", "Ipa", "Distribution", "StructureRow", "ReliabilityRow", "Validity", "WeightRow",
    "AhpMatrix", "ScalePoint", "ScaleText", "QuestionText", "Fieldwork", "NationalReport", "ScorecardDimension",
    "ScorecardItem", "Scorecard", "ScorecardBatch", "NAN",
]

NAN = math.nan
_FROZEN = dict(frozen=True, slots=True, kw_only=True)


@dataclass(**_FROZEN)
class Score:
    """An index (0-100) with its interval; NaN bounds when no interval applies."""
    value: float
    low: float = NAN
    high: float = NAN
    std_error: float = NAN
    n: int = 0


@dataclass(**_FROZEN)
class Node:
    """A node of the indicator tree with its score; weights local (among siblings) and global."""
    id: str
    label: str
    level: str  # "dimension" | "indicator" | "item"
    parent: str | None
    weight: float
    global_weight: float
    score: Score


@dataclass(**_FROZEN)
class Stamp:
    data_sha256: str
    questionnaire_id: str
    questionnaire_version: str
    plan_id: str = ""
    plan_version: str = ""
    software_version: str
    generated_at: str  # ISO 8601, UTC
    results_generated_at: str = ""


@dataclass(**_FROZEN)
class Change:
    """A node's change since the previous wave (design-based test, Holm-adjusted p)."""
    id: str
    label: str
    before: float
    after: float
    difference: float
    low: float
    high: float
    p_value: float
    p_adjusted: float
    significant: bool


@dataclass(**_FROZEN)
class TrendPoint:
    wave: str
    value: float
    low: float = NAN
    high: float = NAN


@dataclass(**_FROZEN)
class ComparisonRow:
    a: str
    b: str
    difference: float
    low: float
    high: float
    p_adjusted: float
    effect_size_d: float
    significant: bool


@dataclass(**_FROZEN)
class GroupComparison:
    id: str
    by: str
    by_label: str
    method: str
    adjust: str
    groups: tuple[tuple[str, Score], ...]  # each group's overall index
    rows: tuple[ComparisonRow, ...]


@dataclass(**_FROZEN)
class LeagueRow:
    unit: str
    label: str
    rank: int
    score: Score
    shrunk_value: float
    shrinkage: float
    tied_with_next: bool


@dataclass(**_FROZEN)
class LeagueTable:
    variable: str
    label: str
    variance: str  # "design" | "within_unit"
    min_n: int
    rows: tuple[LeagueRow, ...]  # units at or above min_n only
    suppressed: int  # units under min_n, never shown individually


@dataclass(**_FROZEN)
class IpaPoint:
    id: str
    label: str
    importance: float  # share of explained variance
    importance_low: float
    importance_high: float
    performance: float
    quadrant: str  # keep | fix_first | low_priority | possible_overkill


@dataclass(**_FROZEN)
class Ipa:
    target_label: str
    method: str
    r_squared: float
    importance_cut: float
    performance_cut: float
    cut_rule: str
    points: tuple[IpaPoint, ...]


@dataclass(**_FROZEN)
class Distribution:
    """Weighted shares of the scored answer points of one item (best first) and of 不了解."""
    id: str
    label: str
    categories: tuple[str, ...]
    shares: tuple[float, ...]
    na_share: float
    n: int


@dataclass(**_FROZEN)
class StructureRow:
    variable: str
    category: str
    sample_n: int
    sample_share: float
    weighted_share: float
    population_share: float


@dataclass(**_FROZEN)
class ReliabilityRow:
    id: str
    label: str
    items: int
    alpha: float
    alpha_low: float
    alpha_high: float
    standardized_alpha: float
    omega_total: float


@dataclass(**_FROZEN)
class Validity:
    kmo: float
    bartlett_statistic: float
    bartlett_df: float
    bartlett_p: float


@dataclass(**_FROZEN)
class WeightRow:
    id: str
    label: str
    method: str
    children: tuple[tuple[str, float], ...]  # (label, weight)
    consistency_ratio: float = NAN


@dataclass(**_FROZEN)
class AhpMatrix:
    id: str
    label: str
    labels: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]  # judgements as written ("1/2")
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    experts: int = 1


@dataclass(**_FROZEN)
class ScalePoint:
    code: str
    label: str
    points: float  # NaN: not scored (不了解)


@dataclass(**_FROZEN)
class ScaleText:
    id: str
    label: str
    scoring: str
    points: tuple[ScalePoint, ...]


@dataclass(**_FROZEN)
class QuestionText:
    id: str
    section: str
    kind: str
    label: str
    scale: str = ""
    reverse: bool = False
    choices: tuple[str, ...] = ()
    items: tuple[tuple[str, str, bool], ...] = ()  # (id, label, reverse) of a matrix


@dataclass(**_FROZEN)
class Fieldwork:
    start: str
    end: str
    strata: str
    psu: str
    rows: int
    used: int
    contacted: int | None
    weighting_method: str
    weighting_iterations: int
    weighting_converged: bool
    max_margin_error: float
    weighting_notes: tuple[str, ...]
    n_effective: float
    weight_design_effect: float
    df: float
    quality_counts: tuple[tuple[str, int], ...]
    flagged_any: int
    excluded: int
    exclude_rules: tuple[str, ...]
    unweighted_index: float
    units: tuple[tuple[str, int], ...] = ()  # (domain label, number of units in the sample)


@dataclass(**_FROZEN)
class NationalReport:
    lang: str
    title: str
    organisation: str
    wave_label: str
    confidence_level: float
    min_n: int
    overall: Score
    index_label: str
    nodes: tuple[Node, ...]  # dimensions, indicators and items, tree order
    changes: tuple[Change, ...]
    previous_wave: str
    trend: tuple[TrendPoint, ...]
    distributions: tuple[Distribution, ...]
    structure: tuple[StructureRow, ...]
    reliability: tuple[ReliabilityRow, ...]
    validity: Validity | None
    ipa: Ipa | None
    league_tables: tuple[LeagueTable, ...]
    comparisons: tuple[GroupComparison, ...]
    dimension_by_group: tuple[tuple[str, tuple[tuple[str, tuple[float, ...]], ...]], ...]
    weights: tuple[WeightRow, ...]
    ahp: tuple[AhpMatrix, ...]
    scales: tuple[ScaleText, ...]
    questions: tuple[QuestionText, ...]
    fieldwork: Fieldwork
    stamp: Stamp
    top_n: int = 5

    def of_level(self, level: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.level == level)

    def children(self, parent: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.parent == parent)


@dataclass(**_FROZEN)
class ScorecardDimension:
    id: str
    label: str
    value: float
    district_value: float
    overall_value: float


@dataclass(**_FROZEN)
class ScorecardItem:
    id: str
    label: str
    value: float
    n: int


@dataclass(**_FROZEN)
class Scorecard:
    unit: str
    label: str
    district: str
    street: str
    score: Score
    rank: int
    of: int
    district_value: float
    dimensions: tuple[ScorecardDimension, ...]
    weakest: tuple[ScorecardItem, ...]
    #: names shown for `district` and `street` (their codes when empty)
    district_label: str = ""
    street_label: str = ""


@dataclass(**_FROZEN)
class ScorecardBatch:
    lang: str
    title: str
    organisation: str
    wave_label: str
    confidence_level: float
    min_n: int
    overall: Score
    variance_note: str
    scorecards: tuple[Scorecard, ...]
    suppressed: int
    stamp: Stamp
