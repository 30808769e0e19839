"""Semantic checks of decoded documents: references, ids, ranges, weights, sums."""

from ._context import Context
from .calendar import check_calendar
from .plan import check_plan
from .policy import check_policy
from .questionnaire import check_questionnaire

__all__ = ["Context", "check_questionnaire", "check_policy", "check_plan", "check_calendar"]
