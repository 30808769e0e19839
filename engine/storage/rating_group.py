"""Ratings through the group commit: single ratings of many requests in one transaction, each
with the outcome add_rating would give it alone in arrival order (409 for a rating of a
stored or earlier (transaction, stage, sequence), 429 past a velocity limit counting the
ratings stored today and those earlier in the group), and batches of ratings as add_ratings
writes them, under the same velocity limits (each rating counted as if sent alone in the
batch's order)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy.engine import Connection

from ..calendar import Calendar
from ..haocha.intake import Rating, RatingIn, RatingRejected, accept_rating, check_velocity
from ..schema import Policy
from ._fast import bind, select_in
from .models import RatingRow
from .ratings import write_ratings
from .store import Conflict

__all__ = ["RatingItem", "single_ratings_kind", "rating_batches_kind"]


@dataclass(frozen=True, slots=True)
class RatingItem:
    """A rating that passed the rules that need no storage (accept_rating without counts)."""

    data: RatingIn
    rating: Rating


def _day(data: RatingIn) -> dt.date:
    return data.rated_at.date()


def _counts(conn: Connection, column: str, keys: set[tuple[str, dt.date]]) -> Counter:
    """Ratings stored per (key, day): one query per day in the group, each key counted on the
    index of (key, rated_at). (On PostgreSQL one count per key of an array: with `key IN (...)
    AND rated_at in the day`, a planner whose statistics lag behind a fast-growing table
    counted the whole day by the rated_at index instead, 30 ms and more per query.)"""
    out: Counter = Counter()
    by_day: dict[dt.date, set[str]] = {}
    for key, day in keys:
        by_day.setdefault(day, set()).add(key)
    for day, ks in by_day.items():
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
        lo, hi = (bind(conn, RatingRow.rated_at, t) for t in (start, start + dt.timedelta(days=1)))
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                f"SELECT k, (SELECT count(*) FROM rating WHERE {column} = k AND rated_at >= %s AND rated_at < %s) "
                "FROM unnest(CAST(%s AS text[])) AS k", (lo, hi, sorted(ks)))
        else:
            rows = select_in(conn, f"SELECT {column}, count(*) FROM rating WHERE rated_at >= {{p}} AND "
                             f"rated_at < {{p}} AND {column} IN ({{in}}) GROUP BY {column}", sorted(ks), lo, hi)
        for key, n in rows:
            if n:
                out[(key, day)] = int(n)
    return out


def single_ratings_kind(policy: Policy, calendar: Calendar, *, secret: bytes):
    lim = policy.limits
    limited = lim.per_device_per_day is not None or lim.per_phone_per_day is not None

    def single_ratings(conn: Connection, items: Sequence[RatingItem]) -> list[Any]:
        out: list[Any] = [None] * len(items)
        keys = {(i.rating.transaction_no, i.rating.stage, i.rating.sequence) for i in items}
        stored = {k for k in select_in(conn, "SELECT transaction_no, stage, sequence FROM rating "
                                       "WHERE transaction_no IN ({in})", sorted({k[0] for k in keys}))
                  if k in keys} if len(items) > 1 else set()
        if limited:
            by_device = _counts(conn, "device_key", {(i.rating.device_key, _day(i.data)) for i in items
                                                             if i.rating.device_key is not None})
            by_rater = _counts(conn, "rater_key", {(i.rating.rater_key, _day(i.data)) for i in items
                                                           if i.rating.rater_key is not None})
        accepted, where = [], []
        for k, i in enumerate(items):
            r = i.rating
            key = (r.transaction_no, r.stage, r.sequence)
            if limited:
                dev, rater = (r.device_key, _day(i.data)), (r.rater_key, _day(i.data))
                try:  # the same rules again, now with today's counts: 429 past a limit
                    accept_rating(i.data, policy, calendar, secret=secret,
                                  recent_by_device=by_device[dev] if r.device_key else 0,
                                  recent_by_rater=by_rater[rater] if r.rater_key else 0)
                except Exception as e:
                    out[k] = e
                    continue
            if key in stored:
                out[k] = _duplicate(r)
                continue
            stored.add(key)
            if limited:
                if r.device_key:
                    by_device[dev] += 1
                if r.rater_key:
                    by_rater[rater] += 1
            accepted.append(r)
            where.append(k)
        for k, (rid, case, reason) in zip(where, write_ratings(conn, accepted, policy, calendar, audit="each")):
            out[k] = (rid, case) if reason is None else _duplicate(items[k].rating)
        return out

    return single_ratings


def _duplicate(r: Rating) -> Conflict:
    return Conflict(f"transaction {r.transaction_no} stage {r.stage} was already rated (rating {r.sequence}); "
                    "a rating is never replaced")


def rating_batches_kind(policy: Policy, calendar: Calendar):
    """Each item is one batch (a list of accepted ratings); its answer has, for each rating,
    add_ratings's (rating id, case id, reason) or the RatingRejected (429) of a velocity limit."""
    lim = policy.limits
    limited = lim.per_device_per_day is not None or lim.per_phone_per_day is not None

    def rating_batches(conn: Connection, items: Sequence[list[Rating]]) -> list[Any]:
        out = []
        for batch in items:
            refused = _over_limits(conn, batch, policy) if limited else {}
            written = iter(write_ratings(conn, [r for k, r in enumerate(batch) if k not in refused] if refused
                                         else batch, policy, calendar))
            out.append([refused[k] if k in refused else next(written) for k in range(len(batch))])
        return out

    return rating_batches


def _over_limits(conn: Connection, batch: Sequence[Rating], policy: Policy) -> dict[int, RatingRejected]:
    """The ratings of a batch that a velocity limit refuses, as single ratings sent one after
    the other would be: each counts today's stored ratings of its device and rater and those
    accepted before it in the batch (a refused or duplicate rating counts for nothing)."""
    lim = policy.limits
    devices: Counter = Counter()  # ratings of the batch per (key, day) of the limits the policy sets
    raters: Counter = Counter()
    for r in batch:
        day = r.rated_at.date()
        if r.device_key is not None and lim.per_device_per_day is not None:
            devices[(r.device_key, day)] += 1
        if r.rater_key is not None and lim.per_phone_per_day is not None:
            raters[(r.rater_key, day)] += 1
    by_device = _counts(conn, "device_key", set(devices)) if devices else Counter()
    by_rater = _counts(conn, "rater_key", set(raters)) if raters else Counter()
    # no key can reach its limit even if every rating of the batch were stored: nothing to refuse
    if all(by_device[k] + n <= lim.per_device_per_day for k, n in devices.items()) \
            and all(by_rater[k] + n <= lim.per_phone_per_day for k, n in raters.items()):
        return {}
    # else in order, knowing the stored ratings of the batch's transactions (a duplicate is not counted)
    stored = set(select_in(conn, "SELECT transaction_no, stage, sequence FROM rating WHERE transaction_no IN ({in})",
                           sorted({r.transaction_no for r in batch})))
    refused: dict[int, RatingRejected] = {}
    for k, r in enumerate(batch):
        day = r.rated_at.date()
        dev, rater = (r.device_key, day), (r.rater_key, day)
        try:
            check_velocity(policy, by_device[dev] if r.device_key is not None else 0,
                           by_rater[rater] if r.rater_key is not None else 0)
        except RatingRejected as e:
            refused[k] = e
            continue
        key = (r.transaction_no, r.stage, r.sequence)
        if key in stored:  # write_ratings answers it 409
            continue
        stored.add(key)
        if r.device_key is not None:
            by_device[dev] += 1
        if r.rater_key is not None:
            by_rater[rater] += 1
    return refused
