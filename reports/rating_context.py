"""The monthly good/bad-rating report's context (plain frozen dataclasses; NaN: not available)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import NAN, Stamp

_FROZEN = dict(frozen=True, slots=True, kw_only=True)

__all__ = ["RateFigure", "MonthPoint", "DepartmentRow", "OverdueCase", "RectificationTimes", "ReasonRow",
           "MonthlyRatingReport"]


@dataclass(**_FROZEN)
class RateFigure:
    numerator: int
    denominator: int
    value: float
    low: float = NAN
    high: float = NAN


@dataclass(**_FROZEN)
class MonthPoint:
    month: str
    valid: int
    good_rate: float
    bad_rate: float
    satisfaction_rate: float
    score: float


@dataclass(**_FROZEN)
class DepartmentRow:
    rank: int
    code: str
    label: str
    valid: int
    good_rate: float
    bad_rate: float
    satisfaction_rate: float
    score: float
    rectification_rate: float
    on_time_rate: float
    overdue: int


@dataclass(**_FROZEN)
class OverdueCase:
    case_id: int
    department: str
    region: str
    state: str
    opened: str
    due: str
    days_overdue: int


@dataclass(**_FROZEN)
class RectificationTimes:
    closed: int
    mean_days: float
    median_days: float
    p90_days: float
    max_days: float
    histogram: tuple[tuple[str, int], ...]  # (bucket label, count)


@dataclass(**_FROZEN)
class ReasonRow:
    tag: str
    label: str
    count: int
    share: float


@dataclass(**_FROZEN)
class MonthlyRatingReport:
    lang: str
    title: str
    organisation: str
    month: str
    policy: str
    confidence_level: float
    min_count: int
    valid: int
    active: int
    defaults: int
    good_rate: RateFigure
    bad_rate: RateFigure
    satisfaction_rate: RateFigure
    mean_level: float
    score: float
    rectification_rate: RateFigure
    on_time_rate: RateFigure
    callback_rate: RateFigure
    feedback_rate: RateFigure
    recheck_satisfaction_rate: RateFigure
    appeal_rate: RateFigure
    appeal_upheld_rate: RateFigure
    overdue_total: int
    trend: tuple[MonthPoint, ...]
    departments: tuple[DepartmentRow, ...]
    suppressed_departments: int
    overdue: tuple[OverdueCase, ...]
    rectification: RectificationTimes
    reasons: tuple[ReasonRow, ...]
    bad_total: int
    stamp: Stamp
    notes: tuple[str, ...] = field(default=())
