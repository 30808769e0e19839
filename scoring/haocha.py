"""Good/bad-rating metrics (DOMAIN.md, Metrics) as pure functions over arrays.

Levels are meanings 5 (非常满意) .. 1 (非常不满意). Buckets (good / neutral / bad) and points
come from the policy, passed in. V = valid ratings in scope (appeals upheld removed),
A = V without default ratings. Every rate carries a Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from scipy import stats

from ._results import ConfidenceInterval

__all__ = ["Rate", "rate", "rating_metrics", "case_metrics", "by_group"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    numerator: int
    denominator: int
    value: float

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """Wilson score interval."""
        n = self.denominator
        if n == 0:
            return ConfidenceInterval(math.nan, math.nan, confidence_level)
        z = float(stats.norm.ppf(1 - (1 - confidence_level) / 2))
        p = self.value
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return ConfidenceInterval(max(0.0, centre - half), min(1.0, centre + half), confidence_level)


def rate(numerator: int, denominator: int) -> Rate:
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError(f"need 0 <= numerator <= denominator; got {numerator}/{denominator}")
    return Rate(numerator=int(numerator), denominator=int(denominator),
                value=numerator / denominator if denominator else math.nan)


def rating_metrics(levels: Any, *, buckets: Mapping[int, str], points: Mapping[int, float], is_default: Any = None,
                   valid: Any = None, finished_transactions: int | None = None,
                   rated_transactions: int | None = None) -> dict[str, Any]:
    """好评率, 差评率, 满意率 (5+4+3), 平均分 (mean level), 百分制得分, 评价率, 主动评价率."""
    lv = np.asarray(levels, dtype=int)
    n = lv.shape[0]
    dflt = np.zeros(n, bool) if is_default is None else np.asarray(is_default, bool)
    ok = np.ones(n, bool) if valid is None else np.asarray(valid, bool)
    unknown = sorted(set(np.unique(lv).tolist()) - set(buckets))
    if unknown:
        raise ValueError(f"levels {unknown} have no bucket; buckets cover {sorted(buckets)}")
    V = lv[ok]
    A = lv[ok & ~dflt]
    good = int(sum(buckets[int(x)] == "good" for x in V))
    bad = int(sum(buckets[int(x)] == "bad" for x in V))
    sat = int((V >= 3).sum())
    pts = np.array([points[int(x)] for x in V], dtype=float)
    out: dict[str, Any] = {
        "valid": int(V.shape[0]),
        "active": int(A.shape[0]),
        "good_rate": rate(good, V.shape[0]),
        "bad_rate": rate(bad, V.shape[0]),
        "satisfaction_rate": rate(sat, V.shape[0]),
        "mean_level": float(V.mean()) if V.size else math.nan,
        "score": float(pts.mean()) if pts.size else math.nan,
    }
    if finished_transactions is not None and rated_transactions is not None:
        out["rating_rate"] = rate(rated_transactions, finished_transactions)
        out["active_rating_rate"] = rate(min(int(A.shape[0]), finished_transactions), finished_transactions)
    return out


def case_metrics(*, bad_after_appeals: int, closed: int, closed_on_time: int, open_overdue: int,
                 real_name_bad: int, real_name_called_back: int, feedback_sent: int, rechecks: int,
                 rechecks_satisfied: int, appeals: int, appeals_upheld: int) -> dict[str, Any]:
    """差评整改率, 按时整改率, 超期件, 实名差评回访率, 回复率, 整改满意率, 申诉率, 申诉成立率."""
    return {
        "rectification_rate": rate(closed, bad_after_appeals),
        "on_time_rectification_rate": rate(closed_on_time, closed),
        "overdue_open": int(open_overdue),
        "callback_rate_real_name": rate(real_name_called_back, real_name_bad),
        "feedback_rate": rate(feedback_sent, bad_after_appeals),
        "recheck_satisfaction_rate": rate(rechecks_satisfied, rechecks),
        "appeal_rate": rate(appeals, bad_after_appeals + appeals_upheld),
        "appeal_upheld_rate": rate(appeals_upheld, appeals),
    }


def by_group(levels: Any, groups: Any, **kwargs: Any) -> dict[Any, dict[str, Any]]:
    """rating_metrics for every group (unit, window, staff ...)."""
    lv = np.asarray(levels)
    g = np.asarray(groups)
    extra = {k: np.asarray(v) for k, v in kwargs.items() if k in ("is_default", "valid") and v is not None}
    rest = {k: v for k, v in kwargs.items() if k not in extra}
    out = {}
    for lab in np.unique(g).tolist():
        m = g == lab
        out[lab] = rating_metrics(lv[m], **{k: v[m] for k, v in extra.items()}, **rest)
    return out
