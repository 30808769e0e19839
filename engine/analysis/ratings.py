"""Good/bad-rating metrics from storage (DOMAIN.md, Metrics), by any grouping column.

Reads plain arrays from the rating, case and case-event tables and hands them to
scoring.haocha. A rating whose case ended with an upheld appeal is out of every metric."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import select

from scoring import haocha

from ..schema import Policy
from ..storage import Store
from ..storage.models import CaseEventRow, CaseRow, RatingRow

__all__ = ["rating_metrics", "GROUPS"]

GROUPS = ("department_code", "item_code", "region_code", "hall", "window", "staff_id", "channel")
OPEN_STATES = ("open", "assigned", "called_back", "rectifying", "rectified", "explained", "feedback_sent", "appealed")


def rating_metrics(store: Store, policy: Policy, *, start: dt.datetime, end: dt.datetime, by: str | None = None,
                   today: dt.date | None = None, min_count: int = 0) -> dict[str, dict[str, Any]]:
    """Metrics of the ratings given in [start, end), per value of `by` (or "all")."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}; got {by!r}")
    today = today or dt.date.today()
    with store.session() as s:
        cols = [RatingRow.id, RatingRow.level, RatingRow.is_default, RatingRow.rater_key,
                getattr(RatingRow, by) if by else RatingRow.policy_id]
        ratings = s.execute(select(*cols).where(RatingRow.rated_at >= start, RatingRow.rated_at < end)).all()
        cases = {r.rating_id: r for r in s.execute(select(CaseRow.id, CaseRow.rating_id, CaseRow.state, CaseRow.due,
                                                          CaseRow.closed_at)).all()}
        acts: dict[int, set[str]] = defaultdict(set)
        rechecks: dict[int, list[str]] = defaultdict(list)
        for e in s.execute(select(CaseEventRow.case_id, CaseEventRow.action, CaseEventRow.to_state)).all():
            acts[e.case_id].add(e.action)
            if e.action == "recheck":
                rechecks[e.case_id].append(e.to_state)
    buckets = {lv.level: lv.bucket for lv in policy.levels}
    points = {lv.level: lv.points for lv in policy.levels}
    groups: dict[str, list] = defaultdict(list)
    for r in ratings:
        groups["all" if by is None else str(r[4])].append(r)
    out: dict[str, dict[str, Any]] = {}
    for key, rows in sorted(groups.items()):
        levels = np.array([r.level for r in rows], dtype=int)
        default = np.array([r.is_default for r in rows], dtype=bool)
        removed = np.array([cases.get(r.id) is not None and cases[r.id].state == "closed_removed" for r in rows])
        m = haocha.rating_metrics(levels, buckets=buckets, points=points, is_default=default, valid=~removed)
        mine = [cases[r.id] for r in rows if r.id in cases]
        kept = [c for c in mine if c.state != "closed_removed"]
        closed = [c for c in kept if c.state in ("closed", "closed_disputed")]
        on_time = [c for c in closed if c.closed_at is not None and c.closed_at.date() <= dt.date.fromisoformat(
            c.due["feedback"])]
        overdue = [c for c in kept if c.state in OPEN_STATES and today > dt.date.fromisoformat(c.due["feedback"])]
        named = {r.id for r in rows if r.rater_key is not None}
        real_name = [c for c in kept if c.rating_id in named]
        re = [t for c in kept for t in rechecks.get(c.id, [])]
        m.update(haocha.case_metrics(
            bad_after_appeals=len(kept), closed=len(closed), closed_on_time=len(on_time), open_overdue=len(overdue),
            real_name_bad=len(real_name), real_name_called_back=sum("call_back" in acts[c.id] for c in real_name),
            feedback_sent=sum("send_feedback" in acts[c.id] for c in kept), rechecks=len(re),
            rechecks_satisfied=sum(t == "closed" for t in re), appeals=sum("appeal" in acts[c.id] for c in mine),
            appeals_upheld=len(mine) - len(kept)))
        m["suppressed"] = m["valid"] < min_count
        out[key] = m
    return out
