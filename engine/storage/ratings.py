"""Storing ratings and working their cases: one rating per (transaction, stage, sequence),
a case opened in the same transaction as its bad rating, and case transitions that only one
of several concurrent handlers can make (compare-and-set on the case version)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..calendar import Calendar
from ..haocha.cases import Case, open_case, transition
from ..haocha.intake import Rating
from ..schema import Policy
from .models import AuditEntry, CaseEventRow, CaseRow, RatingRow
from .store import Conflict, NotFound, Store

__all__ = ["add_rating", "ratings_today", "act_on_case", "load_case"]


def add_rating(store: Store, rating: Rating, policy: Policy, calendar: Calendar, *, is_default: bool = False
               ) -> tuple[int, int | None]:
    """Store an accepted rating and, for a real bad rating, its case (one transaction: durable
    when this returns). A second rating of the same (transaction, stage, sequence) is a
    Conflict and changes nothing."""
    with store.session() as s:
        try:
            with s.begin():
                fields = {k: v for k, v in asdict(rating).items() if k not in ("opens_case", "real_name")}
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
