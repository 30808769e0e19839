"""Storing ratings and working their cases: one rating per (transaction, stage, sequence),
a case opened in the same transaction as its bad rating, and case transitions that only one
of several concurrent handlers can make (compare-and-set on the case version)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..calendar import Calendar
from ..haocha.cases import Case, case_deadlines, open_case, transition
from ..haocha.intake import Rating
from ..schema import Policy
from ._fast import insert_rows, insert_values_returning_ids
from .models import AuditEntry, CaseEventRow, CaseRow, RatingRow
from .store import Conflict, NotFound, Store

__all__ = ["add_rating", "add_ratings", "write_ratings", "ratings_today", "act_on_case", "load_case", "escalate_overdue"]


def add_rating(store: Store, rating: Rating, policy: Policy, calendar: Calendar, *, is_default: bool = False
               ) -> tuple[int, int | None]:
    """Store an accepted rating and, for a real bad rating, its case (one transaction: durable
    when this returns). A second rating of the same (transaction, stage, sequence) is a
    Conflict and changes nothing."""
    with store.session() as s:
        try:
            with s.begin():
                fields = {k: v for k, v in msgspec.structs.asdict(rating).items() if k not in ("opens_case", "real_name")}
                fields["reason_tags"] = list(fields["reason_tags"])
                row = RatingRow(policy_id=policy.id, is_default=is_default, **fields)
                s.add(row)
                s.flush()
                case_id = None
                if rating.opens_case and not is_default:
                    case = open_case(str(row.id), rating.rated_at, policy, calendar, region=rating.region_code)
                    crow = CaseRow(rating_id=row.id, state=case.state, version=0, region_code=rating.region_code,
                                   opened_at=rating.rated_at, due={k: v.isoformat() for k, v in case.due.items()})
                    s.add(crow)
                    s.flush()
                    case_id = crow.id
                s.add(AuditEntry(actor="intake", action="rate", target_type="rating", target_id=str(row.id),
                                 detail={"bucket": rating.bucket, "case": case_id}))
                return row.id, case_id
        except IntegrityError:
            raise Conflict(f"transaction {rating.transaction_no} stage {rating.stage} was already rated "
                           f"(rating {rating.sequence}); a rating is never replaced") from None


def ratings_today(store: Store, *, device_key: str | None, rater_key: str | None, day: dt.date) -> tuple[int, int]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
    end = start + dt.timedelta(days=1)
    with store.session() as s:
        def count(col, key) -> int:
            if key is None:
                return 0
            return int(s.scalar(select(func.count()).select_from(RatingRow).where(
                col == key, RatingRow.rated_at >= start, RatingRow.rated_at < end)) or 0)
        return count(RatingRow.device_key, device_key), count(RatingRow.rater_key, rater_key)


def _case(row: CaseRow) -> Case:
    return Case(str(row.rating_id), row.state, row.opened_at, region=row.region_code, handler=row.handler,
                version=row.version, reopens=row.reopens, before_appeal=row.before_appeal,
                due={k: dt.date.fromisoformat(v) for k, v in (row.due or {}).items()}, escalations=row.escalations)


def load_case(store: Store, case_id: int) -> Case:
    with store.session() as s:
        row = s.get(CaseRow, case_id)
        if row is None:
            raise NotFound(f"no case {case_id}")
        return _case(row)


def act_on_case(store: Store, case_id: int, action: str, *, role: str, actor: str, note: str, at: dt.datetime,
                policy: Policy, calendar: Calendar, **kwargs: Any) -> Case:
    """One act on a case: checked by the rules, then written only if nobody changed the case
    meanwhile (else Conflict, and nothing changes); the event joins the append-only trail."""
    before = load_case(store, case_id)
    after = transition(before, action, role=role, actor=actor, note=note, at=at, policy=policy, calendar=calendar,
                       **kwargs)
    event = after.events[-1]
    with store.session() as s, s.begin():
        done = s.execute(update(CaseRow).where(CaseRow.id == case_id, CaseRow.version == before.version).values(
            state=after.state, version=after.version, handler=after.handler, reopens=after.reopens,
            escalations=after.escalations, before_appeal=after.before_appeal,
            due={k: v.isoformat() for k, v in after.due.items()},
            closed_at=at if after.state.startswith("closed") else None))
        if done.rowcount != 1:
            raise Conflict(f"case {case_id} was changed by someone else; reload it")
        s.add(CaseEventRow(case_id=case_id, action=event.action, actor=event.actor, role=event.role, at=event.at,
                           note=event.note, from_state=event.from_state, to_state=event.to_state))
    return after


_RATING = RatingRow.__table__
_CASE = CaseRow.__table__
_AUDIT = AuditEntry.__table__
_ONCE = ("transaction_no", "stage", "sequence")


_RATING_COLUMNS = ("policy_id", "is_default", "created_at", "transaction_no", "stage", "sequence", "level", "bucket",
                   "channel", "region_code", "item_code", "department_code", "hall", "window", "staff_id", "rater_type",
                   "rater_key", "device_key", "sub_ratings", "reason_tags", "text", "finished_at", "rated_at")
_CASE_COLUMNS = ("rating_id", "state", "version", "region_code", "opened_at", "due", "reopens", "escalations")


def _rating_values(r: Rating, policy_id: str, is_default: bool, now: dt.datetime) -> tuple:
    """The row of a rating as a tuple of _RATING_COLUMNS."""
    return (policy_id, is_default, now, r.transaction_no, r.stage, r.sequence, r.level, r.bucket, r.channel,
            r.region_code, r.item_code, r.department_code, r.hall, r.window, r.staff_id, r.rater_type, r.rater_key,
            r.device_key, r.sub_ratings, list(r.reason_tags), r.text, r.finished_at, r.rated_at)


def _rating_row(r: Rating, policy_id: str, is_default: bool, now: dt.datetime) -> dict[str, Any]:
    return dict(zip(_RATING_COLUMNS, _rating_values(r, policy_id, is_default, now)))


def write_ratings(conn: Connection, ratings: Sequence[Rating], policy: Policy, calendar: Calendar, *,
                  is_default: bool = False, audit: str = "batch", actor: str = "intake"
                  ) -> list[tuple[int | None, int | None, str | None]]:
    """Write accepted ratings on `conn` inside its open transaction: (rating id, case id, None)
    for each stored, (None, None, reason) for a duplicate of a stored rating or of an earlier
    one in the list. A real bad rating opens its case; a default rating never does. Audit:
    one row for the batch ("batch") or one per stored rating ("each")."""
    out: list[tuple[int | None, int | None, str | None]] = [(None, None, None)] * len(ratings)
    now = dt.datetime.now(dt.timezone.utc)
    seen: set[tuple[str, str, int]] = set()
    where: list[int] = []
    values: list[tuple] = []
    for k, rating in enumerate(ratings):
        key = (rating.transaction_no, rating.stage, rating.sequence)
        if key in seen:
            out[k] = (None, None, f"transaction {key[0]} stage {key[1]} is twice in the batch")
            continue
        seen.add(key)
        where.append(k)
        values.append(_rating_values(rating, policy.id, is_default, now))
    # INSERT ... ON CONFLICT DO NOTHING: a row that gets an id is new; one that does not was
    # rated before
    ids = insert_values_returning_ids(conn, _RATING, _RATING_COLUMNS, values, unique=_ONCE)
    case_values, case_at = [], []
    deadlines: dict[tuple[dt.date, str], dict[str, str]] = {}  # by (day rated, region): the same for all
    for k, rid in zip(where, ids):
        rating = ratings[k]
        if rid is None:
            out[k] = (None, None, f"transaction {rating.transaction_no} stage {rating.stage} was already rated "
                      f"(rating {rating.sequence})")
        elif rating.opens_case and not is_default:
            day = (rating.rated_at.date(), rating.region_code)
            due = deadlines.get(day)
            if due is None:
                due = deadlines[day] = {n: v.isoformat() for n, v in case_deadlines(
                    rating.rated_at, policy, calendar, rating.region_code).items()}
            case_values.append((rid, "open", 0, rating.region_code, rating.rated_at, due, 0, 0))
            case_at.append((k, rid))
        else:
            out[k] = (rid, None, None)
    for (k, rid), cid in zip(case_at, insert_values_returning_ids(conn, _CASE, _CASE_COLUMNS, case_values,
                                                                  unique=("rating_id",))):
        out[k] = (rid, cid, None)
    stored = sum(1 for rid, _, _ in out if rid is not None)
    if audit == "each":
        audit_rows = [{"at": now, "actor": actor, "action": "rate", "target_type": "rating", "target_id": str(rid),
                       "detail": {"bucket": r.bucket, "case": cid}}
                      for (rid, cid, _), r in zip(out, ratings) if rid is not None]
    else:
        audit_rows = [{"at": now, "actor": actor, "action": "default_batch" if is_default else "rate_batch",
                       "target_type": "rating", "target_id": str(stored),
                       "detail": {"stored": stored, "refused": len(ratings) - stored}}]
    insert_rows(conn, _AUDIT, audit_rows)
    return out


def add_ratings(store: Store, ratings: list[Rating], policy: Policy, calendar: Calendar
                ) -> list[tuple[int | None, int | None, str | None]]:
    """Store many accepted ratings in one transaction: (rating id, case id, None) for each
    stored, (None, None, reason) for a duplicate of a stored rating or of an earlier one in the
    batch. Durable when this returns."""
    with store.engine.begin() as conn:
        return write_ratings(conn, ratings, policy, calendar)


def escalate_overdue(store: Store, policy: Policy, calendar: Calendar, *, today: dt.date,
                     at: dt.datetime | None = None) -> list[int]:
    """督办: escalate every open case with a step past its deadline (once a day at most)."""
    at = at or dt.datetime.combine(today, dt.time(9), tzinfo=dt.timezone.utc)
    with store.session() as s:
        rows = s.execute(select(CaseRow.id).where(CaseRow.state.in_(
            ("open", "assigned", "called_back", "rectifying")))).all()
    done = []
    for (case_id,) in rows:
        case = load_case(store, case_id)
        late = case.overdue(today)
        if not late:
            continue
        with store.session() as s:
            already = s.scalar(select(func.count()).select_from(CaseEventRow).where(
                CaseEventRow.case_id == case_id, CaseEventRow.action == "escalate",
                CaseEventRow.at >= dt.datetime.combine(today, dt.time.min, tzinfo=dt.timezone.utc)))
        if already:
            continue
        try:
            act_on_case(store, case_id, "escalate", role="admin", actor="system", note=f"逾期: {', '.join(late)}",
                        at=at, policy=policy, calendar=calendar)
            done.append(case_id)
        except Conflict:
            continue
    return done
