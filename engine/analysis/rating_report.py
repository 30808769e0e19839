"""The monthly good/bad-rating report's context from the ratings storage: rates and their
trend, the department ranking, overdue cases, rectification times and reasons for bad
ratings. Rates come from rating_metrics (upheld appeals out of every metric); the lists and
times are read here from the rating and case tables."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import numpy as np
from sqlalchemy import func, select

from reports.context import NAN, Stamp
from reports.rating_context import (
    DepartmentRow, MonthlyRatingReport, MonthPoint, OverdueCase, RateFigure, ReasonRow, RectificationTimes,
)

from ..schema import Policy
from ..storage import Store
from ..storage.models import CaseRow, RatingRow
from .ratings import OPEN_STATES, rating_metrics
from .report import software_version

__all__ = ["monthly_report"]

UTC = dt.timezone.utc
OVERDUE_LISTED = 40
BUCKETS = ((1, "≤1"), (3, "2–3"), (7, "4–7"), (15, "8–15"), (30, "16–30"), (math.inf, ">30"))


def _month_start(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, 1, tzinfo=UTC)


def _next_month(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year + (d.month == 12), d.month % 12 + 1, 1, tzinfo=UTC)


def _prev_month(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1, tzinfo=UTC)


def _rate(r: Any, level: float) -> RateFigure:
    if r is None:
        return RateFigure(numerator=0, denominator=0, value=NAN)
    ci = r.confidence_interval(level)
    return RateFigure(numerator=r.numerator, denominator=r.denominator, value=r.value, low=ci.low, high=ci.high)


def _v(r: Any) -> float:
    return NAN if r is None else float(r.value)


def monthly_report(store: Store, policy: Policy, *, month: dt.date, lang: str = "zh", trend_months: int = 6,
                   min_count: int = 30, today: dt.date | None = None, confidence_level: float = 0.95,
                   department_names: dict[str, str] | None = None) -> MonthlyRatingReport:
    """The report of the ratings given in `month` (its first day is enough). Deadlines are
    judged as of `today` (default: today); departments with fewer than `min_count` valid
    ratings are counted but not ranked."""
    today = today or dt.date.today()
    start = _month_start(month)
    end = _next_month(start)
    zh = lang == "zh"
    overall = rating_metrics(store, policy, start=start, end=end, today=today).get("all", {})
    depts = rating_metrics(store, policy, start=start, end=end, by="department_code", today=today,
                           min_count=min_count)
    trend = []
    t = start
    months = [t]
    for _ in range(max(trend_months - 1, 0)):
        t = _prev_month(t)
        months.insert(0, t)
    for m in months:
        got = overall if m == start else rating_metrics(store, policy, start=m, end=_next_month(m),
                                                        today=today).get("all")
        if not got:
            continue
        trend.append(MonthPoint(month=f"{m.year}-{m.month:02d}", valid=int(got["valid"]),
                                good_rate=_v(got["good_rate"]),
                                bad_rate=_v(got["bad_rate"]), satisfaction_rate=_v(got["satisfaction_rate"]),
                                score=float(got["score"])))
    names = department_names or {}
    ranked = sorted(((k, m) for k, m in depts.items() if not m["suppressed"]),
                    key=lambda km: (-km[1]["score"], km[0]))
    rows = [DepartmentRow(rank=i + 1, code=k, label=names.get(k, k), valid=int(m["valid"]),
                          good_rate=_v(m["good_rate"]),
                          bad_rate=_v(m["bad_rate"]), satisfaction_rate=_v(m["satisfaction_rate"]),
                          score=float(m["score"]), rectification_rate=_v(m["rectification_rate"]),
                          on_time_rate=_v(m["on_time_rectification_rate"]), overdue=int(m["overdue_open"]))
            for i, (k, m) in enumerate(ranked)]
    overdue, overdue_total, times, reasons, bad_total, defaults = _cases(store, policy, start, end, today, lang)
    level = confidence_level
    jur = policy.jurisdiction.name.get(lang)
    title = f"{jur}政务服务“好差评”月度报告" if zh else f"{jur}: monthly good/bad rating report"
    notes = (f"超期件按{today.isoformat()}判断；申诉成立的评价不计入任何指标；有效评价少于{min_count}条的部门不参与排名。" if zh else
             f"Deadlines judged as of {today.isoformat()}; ratings removed by upheld appeals count in no metric; "
             f"departments with fewer than {min_count} valid ratings are not ranked.",)
    return MonthlyRatingReport(
        lang=lang, title=title, organisation=jur, month=f"{start.year}-{start.month:02d}",
        policy=f"{policy.id} {policy.version}", confidence_level=level, min_count=min_count,
        valid=int(overall.get("valid", 0)), active=int(overall.get("active", 0)), defaults=defaults,
        good_rate=_rate(overall.get("good_rate"), level), bad_rate=_rate(overall.get("bad_rate"), level),
        satisfaction_rate=_rate(overall.get("satisfaction_rate"), level),
        mean_level=float(overall.get("mean_level", NAN)), score=float(overall.get("score", NAN)),
        rectification_rate=_rate(overall.get("rectification_rate"), level),
        on_time_rate=_rate(overall.get("on_time_rectification_rate"), level),
        callback_rate=_rate(overall.get("callback_rate_real_name"), level),
        feedback_rate=_rate(overall.get("feedback_rate"), level),
        recheck_satisfaction_rate=_rate(overall.get("recheck_satisfaction_rate"), level),
        appeal_rate=_rate(overall.get("appeal_rate"), level),
        appeal_upheld_rate=_rate(overall.get("appeal_upheld_rate"), level),
        overdue_total=overdue_total, trend=tuple(trend), departments=tuple(rows),
        suppressed_departments=sum(1 for m in depts.values() if m["suppressed"]), overdue=tuple(overdue),
        rectification=times, reasons=tuple(reasons), bad_total=bad_total,
        stamp=Stamp(data_sha256=_fingerprint(store, start, end), questionnaire_id=policy.id,
                    questionnaire_version=policy.version, software_version=software_version(),
                    generated_at=dt.datetime.now(UTC).isoformat(timespec="seconds")),
        notes=notes)


def _cases(store: Store, policy: Policy, start: dt.datetime, end: dt.datetime, today: dt.date, lang: str):
    bad_levels = {lv.level for lv in policy.levels if lv.bucket == "bad"}
    with store.session() as s:
        cases = s.execute(
            select(CaseRow.id, CaseRow.state, CaseRow.opened_at, CaseRow.closed_at, CaseRow.due,
                   CaseRow.region_code, RatingRow.department_code)
            .join(RatingRow, RatingRow.id == CaseRow.rating_id)
            .where(RatingRow.rated_at >= start, RatingRow.rated_at < end)).all()
        removed = {c.id for c in cases if c.state == "closed_removed"}
        bad = s.execute(select(RatingRow.reason_tags, RatingRow.level, CaseRow.state)
                        .outerjoin(CaseRow, CaseRow.rating_id == RatingRow.id)
                        .where(RatingRow.rated_at >= start, RatingRow.rated_at < end,
                               RatingRow.level.in_(bad_levels), RatingRow.is_default.is_(False))).all()
        defaults = s.scalar(select(func.count()).select_from(RatingRow).where(
            RatingRow.rated_at >= start, RatingRow.rated_at < end, RatingRow.is_default.is_(True))) or 0
    overdue = []
    for c in cases:
        due = dt.date.fromisoformat((c.due or {}).get("feedback", "9999-12-31"))
        if c.id not in removed and c.state in OPEN_STATES and today > due:
            overdue.append(OverdueCase(case_id=int(c.id), department=c.department_code or "",
                                       region=c.region_code or "",
                                       state=c.state, opened=_day(c.opened_at), due=due.isoformat(),
                                       days_overdue=(today - due).days))
    overdue.sort(key=lambda o: (-o.days_overdue, o.case_id))
    days = np.array([(_aware(c.closed_at) - _aware(c.opened_at)).total_seconds() / 86400 for c in cases
                     if c.state in ("closed", "closed_disputed") and c.closed_at is not None], dtype=float)
    hist = []
    lo = -math.inf
    for hi, label in BUCKETS:
        hist.append((label, int(((days > lo) & (days <= hi)).sum()) if lo > -math.inf else int((days <= hi).sum())))
        lo = hi
    times = RectificationTimes(closed=int(days.size), mean_days=float(days.mean()) if days.size else NAN,
                               median_days=float(np.median(days)) if days.size else NAN,
                               p90_days=float(np.quantile(days, 0.9)) if days.size else NAN,
                               max_days=float(days.max()) if days.size else NAN, histogram=tuple(hist))
    tags = {t.code: t.label.get(lang) for t in policy.reason_tags}
    counted = Counter()
    kept = [b for b in bad if b.state != "closed_removed"]
    for b in kept:
        for tag in (b.reason_tags or []) or ["_none"]:
            counted[tag] += 1
    none_label = "未选择原因" if lang == "zh" else "no reason given"
    reasons = [ReasonRow(tag=t, label=tags.get(t, none_label if t == "_none" else t), count=n,
                         share=n / len(kept) if kept else NAN)
               for t, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))]
    return overdue[:OVERDUE_LISTED], len(overdue), times, reasons, len(kept), int(defaults)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _day(t: dt.datetime) -> str:
    return _aware(t).date().isoformat()


def _fingerprint(store: Store, start: dt.datetime, end: dt.datetime) -> str:
    """A hash of the month's ratings (ids, levels and case states) as this report read them."""
    import hashlib

    h = hashlib.sha256()
    with store.session() as s:
        for row in s.execute(select(RatingRow.id, RatingRow.level, CaseRow.state)
                             .outerjoin(CaseRow, CaseRow.rating_id == RatingRow.id)
                             .where(RatingRow.rated_at >= start, RatingRow.rated_at < end)
                             .order_by(RatingRow.id)):
            h.update(f"{row[0]}:{row[1]}:{row[2]}\n".encode())
    return h.hexdigest()
