"""Storing imported paper responses in bulk, idempotently: each row carries a key that does
not depend on the file (wave + respondent id, or wave + row content), so importing the same
rows again adds nothing. One transaction per page of rows; a page is durable when its call
returns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .models import AuditEntry, Response, Wave
from .store import NotFound, Store, StoredResponse, quota_keys

__all__ = ["PaperRow", "PageResult", "payload_digest", "insert_paper_rows", "record_audit", "response_pages"]


@dataclass(frozen=True, slots=True)
class PaperRow:
    idempotency_key: str
    answers: dict[str, Any]
    attributes: dict[str, Any]
    paradata: dict[str, Any]
    submitted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PageResult:
    inserted: int
    already: int  # same key, same content: stored before
    conflicts: tuple[str, ...]  # same key, other content: kept as stored, reported


def payload_digest(wave_id: str, answers: dict, attributes: dict, mode: str = "paper") -> str:
    """The digest Store.submit keeps for a complete response without invitation token."""
    payload = json.dumps({"w": wave_id, "a": answers, "t": None, "x": attributes, "m": mode, "c": True},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def insert_paper_rows(store: Store, wave_id: str, rows: Sequence[PaperRow], *, actor: str = "import") -> PageResult:
    """Insert one page of complete paper responses in one transaction (INSERT ... ON CONFLICT
    DO NOTHING on the idempotency key). Rows whose key is stored already are not touched."""
    if not rows:
        return PageResult(0, 0, ())
    now = dt.datetime.now(dt.timezone.utc)
    with store.session() as s, s.begin():
        w = s.get(Wave, wave_id)
        if w is None:
            raise NotFound(f"no wave '{wave_id}'")
        keys = [r.idempotency_key for r in rows]
        stored = dict(s.execute(select(Response.idempotency_key, Response.payload_sha256)
                                .where(Response.idempotency_key.in_(keys))).all())
        todo, already, conflicts = [], 0, []
        for r in rows:
            digest = payload_digest(wave_id, r.answers, r.attributes)
            if r.idempotency_key in stored:
                if stored[r.idempotency_key] == digest:
                    already += 1
                else:
                    conflicts.append(r.idempotency_key)
                continue
            todo.append({"wave_id": wave_id, "questionnaire_version_id": w.questionnaire_version_id,
                         "invitation_id": None, "status": "complete", "mode": "paper", "answers": r.answers,
                         "attributes": r.attributes, "paradata": r.paradata, "idempotency_key": r.idempotency_key,
                         "payload_sha256": digest, "submitted_at": r.submitted_at or now, "created_at": now,
                         "entered_by": actor, **dict(zip(("community", "stratum"), quota_keys(r.attributes)))})
        inserted = 0
        if todo:
            ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(Response.__table__)
            stmt = ins.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Response.id)
            got = s.execute(stmt, todo).all() if len(todo) > 1 else s.execute(stmt.values(todo[0])).all()
            inserted = len(got)
            already += len(todo) - inserted  # a concurrent import stored them first
        return PageResult(inserted, already, tuple(conflicts))


def record_audit(store: Store, actor: str, action: str, target_type: str, target_id: Any, **detail: Any) -> None:
    """An audit row for imports and exports (who took or loaded which data)."""
    with store.session() as s, s.begin():
        s.add(AuditEntry(actor=actor, action=action, target_type=target_type, target_id=str(target_id),
                         detail=detail))


def response_pages(store: Store, wave_id: str, *, batch: int = 2000) -> Iterator[list[StoredResponse]]:
    """The completed responses of a wave in id order, a page at a time (keyset pagination,
    one short read per page, only the columns an export needs): Store.responses without the
    ORM, for exports of millions of rows."""
    t = Response.__table__
    cols = (t.c.id, t.c.wave_id, t.c.questionnaire_version_id, t.c.invitation_id, t.c.status, t.c.mode,
            t.c.attributes, t.c.answers, t.c.submitted_at)
    last = 0
    while True:
        with store.engine.connect() as c:
            rows = c.execute(select(*cols).where(t.c.wave_id == wave_id, t.c.id > last, t.c.status == "complete",
                                                 t.c.superseded_by.is_(None)).order_by(t.c.id).limit(batch)).all()
        if not rows:
            return
        yield [StoredResponse(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or {}, r[7] or {}, r[8]) for r in rows]
        last = rows[-1][0]
