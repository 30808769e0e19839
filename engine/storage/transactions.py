"""Finished service transactions and the default-rating job (issue 6, DOMAIN.md "Window and
default"): a transaction nobody rated within the policy's rating window gets the policy's
default rating, flagged as default. A default rating is never an active rating (metrics count
it in V, not in A) and never opens a case, whatever its level."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import exists, func, select

from ..calendar import Calendar
from ..haocha.intake import Rating
from ..schema import Policy
from ._fast import insert_returning_ids
from .models import RatingRow, ServiceTransaction
from .ratings import write_ratings
from .store import Store

__all__ = ["add_transactions", "default_ratings", "DefaultRun", "TRANSACTION_FIELDS"]

TRANSACTION_FIELDS = ("transaction_no", "item_code", "department_code", "region_code", "hall", "window",
                      "staff_id", "finished_at")
_TX = ServiceTransaction.__table__


def add_transactions(store: Store, transactions: Iterable[dict[str, Any]], *, source: str | None = None
                     ) -> list[int | None]:
    """Store finished transactions (dicts of TRANSACTION_FIELDS) in one transaction: the new
    id of each, or None for a transaction number stored before or earlier in the list (a
    transaction is reported once; reporting it again changes nothing). Durable on return."""
    now = dt.datetime.now(dt.timezone.utc)
    rows, seen, where = [], set(), []
    items = list(transactions)
    for k, t in enumerate(items):
        if t["transaction_no"] in seen:
            continue
        seen.add(t["transaction_no"])
        rows.append({**{f: t.get(f) for f in TRANSACTION_FIELDS}, "source": source, "created_at": now})
        where.append(k)
    out: list[int | None] = [None] * len(items)
    with store.engine.begin() as conn:
        for k, tid in zip(where, insert_returning_ids(conn, _TX, rows, unique=("transaction_no",))):
            out[k] = tid
    return out


@dataclass(frozen=True)
class DefaultRun:
    rated: int          # default ratings stored by this run
    checked: int        # unrated transactions old enough to look at
    still_open: int     # unrated transactions left (inside their rating window) after the run
    note: str = ""


def _closes(finished_at: dt.datetime, policy: Policy, calendar: Calendar, region: str) -> dt.date:
    return calendar.due(finished_at, policy.window.after_service, region)


def default_ratings(store: Store, policy: Policy, calendar: Calendar, *, today: dt.date, page: int = 1000
                    ) -> DefaultRun:
    """Rate every finished, unrated transaction whose rating window closed before `today`
    with the policy's default level: stage `overall`, sequence 1, channel `system_default`,
    rated at the start of the day after the window closed, flagged is_default. Running it again
    changes nothing (one rating per transaction stage and sequence)."""
    d = policy.default_rating
    if not d.enabled or d.level is None:
        return DefaultRun(0, 0, 0, f"policy '{policy.id}' gives no default rating")
    bucket = {lv.level: lv.bucket for lv in policy.levels}[d.level]
    w = policy.window.after_service
    # a window of N days (working or natural) closes N natural days after the service at the earliest
    latest = dt.datetime.combine(today - dt.timedelta(days=w.days), dt.time.min, tzinfo=dt.timezone.utc) \
        + dt.timedelta(days=1)
    rated = checked = 0
    last = 0
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(_TX).where(_TX.c.id > last, _TX.c.finished_at < latest,
                                  ~exists().where(RatingRow.transaction_no == _TX.c.transaction_no))
                .order_by(_TX.c.id).limit(page)).all()
        if not rows:
            break
        last = rows[-1].id
        due: list[Rating] = []
        for t in rows:
            checked += 1
            closes = _closes(t.finished_at, policy, calendar, t.region_code)
            if closes >= today:
                continue
            tz = t.finished_at.tzinfo or dt.timezone.utc
            due.append(Rating(
                transaction_no=t.transaction_no, stage="overall", sequence=1, level=d.level, bucket=bucket,
                channel="system_default", region_code=t.region_code, item_code=t.item_code,
                department_code=t.department_code, hall=t.hall, window=t.window, staff_id=t.staff_id,
                rater_type="person", rater_key=None, device_key=None, sub_ratings={}, reason_tags=(), text=None,
                finished_at=t.finished_at,
                rated_at=dt.datetime.combine(closes + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
                opens_case=False, real_name=False))
        if due:
            with store.engine.begin() as conn:
                out = write_ratings(conn, due, policy, calendar, is_default=True, actor="default_job")
            rated += sum(1 for rid, _, _ in out if rid is not None)
    with store.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(_TX).where(
            ~exists().where(RatingRow.transaction_no == _TX.c.transaction_no))).scalar()
    return DefaultRun(rated, checked, int(left or 0))
