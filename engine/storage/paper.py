"""Storing imported paper responses in bulk, idempotently: each row carries a key that does
not depend on the file (wave + respondent id, or wave + row content), so importing the same
rows again adds nothing. One transaction per page of rows; a page is durable when its call
returns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .models import AuditEntry, Response, Wave
from .store import NotFound, Store

__all__ = ["PaperRow", "PageResult", "payload_digest", "insert_paper_rows", "record_audit"]


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
                         "entered_by": actor})
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
