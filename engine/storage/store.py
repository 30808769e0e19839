"""The storage service: questionnaire versions, waves, invitations, responses, API keys and the
audit log, with the rules that make them trustworthy (immutable versions, single-use
invitations, idempotent submissions, append-only audit). Hands out plain records, never ORM
objects."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterator

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ManyiError
from .db import make_engine
from .models import MODES, ROLES, ApiKey, AuditEntry, Invitation, QuestionnaireVersion, Response, Wave

__all__ = ["Store", "Conflict", "NotFound", "StoredResponse", "hash_token"]


class Conflict(ManyiError):
    """The request conflicts with what is stored (HTTP 409)."""


class NotFound(ManyiError):
    """No such record (HTTP 404)."""


def hash_token(token: str) -> str:
    """Tokens and keys are random (128 bits and more): stored as SHA-256, never in clear."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_sorted_json = msgspec.json.Encoder(order="sorted", enc_hook=str).encode


def payload_digest(wave_id: str, answers: dict[str, Any], token: str | None, attributes: dict | None, mode: str,
                   complete: bool) -> str:
    """The fingerprint of a submission that an idempotency key is bound to (keys sorted)."""
    return hashlib.sha256(_sorted_json({"w": wave_id, "a": answers, "t": token, "x": attributes, "m": mode,
                                        "c": complete})).hexdigest()


def quota_keys(attributes: dict[str, Any]) -> tuple[str | None, str | None]:
    """(community, stratum) a response counts under in the wave's quotas: its attributes'
    (an invitation's, merged in, or as sent by the API or a paper form), where they are codes
    the columns hold (text of at most 64 characters)."""
    c, st = attributes.get("community"), attributes.get("stratum")
    return (c if isinstance(c, str) and 0 < len(c) <= 64 else None,
            st if isinstance(st, str) and 0 < len(st) <= 64 else None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    id: int
    wave_id: str
    questionnaire_version_id: int
    invitation_id: int | None
    status: str
    mode: str
    attributes: dict[str, Any]
    answers: dict[str, Any]
    submitted_at: dt.datetime | None
    started_at: dt.datetime | None = None
    paradata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float | None:
        """Time spent answering: the paradata's own figure, else submission minus start."""
        d = self.paradata.get("duration_seconds")
        if isinstance(d, (int, float)):
            return float(d)
        if self.started_at and self.submitted_at:
            return (self.submitted_at - self.started_at).total_seconds()
        return None


def _record(r: Response) -> StoredResponse:
    return StoredResponse(r.id, r.wave_id, r.questionnaire_version_id, r.invitation_id, r.status, r.mode,
                          dict(r.attributes or {}), dict(r.answers or {}), r.submitted_at, r.started_at,
                          dict(r.paradata or {}))


class Store:
    def __init__(self, url: str | None = None, *, engine: Engine | None = None):
        self.engine = engine or make_engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._session()

    def _audit(self, s: Session, actor: str, action: str, target_type: str, target_id: Any, **detail: Any) -> None:
        s.add(AuditEntry(actor=actor, action=action, target_type=target_type, target_id=str(target_id),
                         detail=detail))

    # -- questionnaires --------------------------------------------------------------------------
    def publish_questionnaire(self, source_text: str, *, actor: str = "system") -> int:
        """Store a version (validated by the caller with engine.loader). The same id and version
        with the same text returns the stored one; with other text it is a conflict: a published
        version never changes."""
        from ..loader import loads

        q = loads(source_text, expect="questionnaire")
        digest = hashlib.sha256(source_text.encode("utf-8")).hexdigest()
        with self.session() as s, s.begin():
            found = s.scalar(select(QuestionnaireVersion).where(
                QuestionnaireVersion.questionnaire_id == q.id, QuestionnaireVersion.version == q.version))
            if found is not None:
                if found.sha256 != digest:
                    raise Conflict(f"questionnaire '{q.id}' version {q.version} is already published with other "
                                   "content; publish it under a new version")
                return found.id
            row = QuestionnaireVersion(questionnaire_id=q.id, version=q.version, kind=q.kind,
                                       source_text=source_text, sha256=digest, created_by=actor)
            s.add(row)
            s.flush()
            self._audit(s, actor, "publish", "questionnaire_version", row.id, questionnaire=q.id, version=q.version)
            return row.id

    def questionnaire_source(self, version_id: int) -> str:
        with self.session() as s:
            row = s.get(QuestionnaireVersion, version_id)
            if row is None:
                raise NotFound(f"no questionnaire version {version_id}")
            return row.source_text

    # -- waves -----------------------------------------------------------------------------------
    def create_wave(self, wave_id: str, questionnaire_version_id: int, *, title: str, plan_source: str | None = None,
                    quotas: dict | None = None, limits: dict | None = None, actor: str = "system") -> None:
        with self.session() as s, s.begin():
            if s.get(QuestionnaireVersion, questionnaire_version_id) is None:
                raise NotFound(f"no questionnaire version {questionnaire_version_id}")
            if s.get(Wave, wave_id) is not None:
                raise Conflict(f"wave '{wave_id}' exists")
            s.add(Wave(id=wave_id, questionnaire_version_id=questionnaire_version_id, title=title,
                       plan_source=plan_source, quotas=quotas or {}, limits=limits or {}))
            self._audit(s, actor, "create", "wave", wave_id)

    def set_wave_status(self, wave_id: str, status: str, *, actor: str = "system") -> None:
        if status not in ("draft", "open", "closed"):
            raise ValueError(f"status must be draft, open or closed; got {status!r}")
        with self.session() as s, s.begin():
            w = s.get(Wave, wave_id)
            if w is None:
                raise NotFound(f"no wave '{wave_id}'")
            w.status = status
            if status == "open":
                w.opens_at = w.opens_at or _now()
            if status == "closed":
                w.closes_at = _now()
            self._audit(s, actor, f"wave_{status}", "wave", wave_id)

    def wave(self, wave_id: str) -> dict[str, Any]:
        with self.session() as s:
            w = s.get(Wave, wave_id)
            if w is None:
                raise NotFound(f"no wave '{wave_id}'")
            return {"id": w.id, "questionnaire_version_id": w.questionnaire_version_id, "title": w.title,
                    "status": w.status, "plan_source": w.plan_source, "quotas": w.quotas, "limits": w.limits}

    # -- invitations -------------------------------------------------------------------------------
    def create_invitations(self, wave_id: str, people: list[dict[str, Any]], *, actor: str = "system") -> list[str]:
        """One single-use token per entry ({stratum, community, attributes}); the tokens are
        returned once and stored only as hashes."""
        tokens = [secrets.token_urlsafe(18) for _ in people]
        with self.session() as s, s.begin():
            if s.get(Wave, wave_id) is None:
                raise NotFound(f"no wave '{wave_id}'")
            s.add_all([Invitation(wave_id=wave_id, token_hash=hash_token(t), stratum=p.get("stratum"),
                                  community=p.get("community"), attributes=p.get("attributes") or {})
                       for t, p in zip(tokens, people)])
            self._audit(s, actor, "invite", "wave", wave_id, count=len(tokens))
        return tokens

    def invitation(self, token: str) -> dict[str, Any]:
        with self.session() as s:
            inv = s.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
            if inv is None:
                raise NotFound("no such invitation")
            return {"id": inv.id, "wave_id": inv.wave_id, "stratum": inv.stratum, "community": inv.community,
                    "attributes": dict(inv.attributes or {}), "used": inv.used_at is not None}

    # -- responses ---------------------------------------------------------------------------------
    def submit(self, wave_id: str, answers: dict[str, Any], *, token: str | None = None, attributes: dict | None = None,
               mode: str = "web", complete: bool = True, idempotency_key: str | None = None,
               paradata: dict | None = None, entered_by: str | None = None) -> StoredResponse:
        """Store a response in one transaction; durable when this returns. The same
        idempotency key with the same payload returns the stored response; with another payload
        it is a conflict. A second completed response on one invitation is a conflict."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        digest = payload_digest(wave_id, answers, token, attributes, mode, complete)
        with self.session() as s:
            try:
                with s.begin():
                    if idempotency_key is not None:
                        old = s.scalar(select(Response).where(Response.idempotency_key == idempotency_key))
                        if old is not None:
                            if old.payload_sha256 != digest:
                                raise Conflict("this idempotency key was used for another submission")
                            return _record(old)
                    w = s.get(Wave, wave_id)
                    if w is None:
                        raise NotFound(f"no wave '{wave_id}'")
                    if w.status != "open":
                        raise Conflict(f"wave '{wave_id}' is {w.status}, not open")
                    inv = None
                    attrs = dict(attributes or {})
                    if token is not None:
                        inv = s.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
                        if inv is None or inv.wave_id != wave_id:
                            raise NotFound("no such invitation for this wave")
                        if inv.used_at is not None and complete:
                            raise Conflict("this invitation has already been used")
                        attrs = {**(inv.attributes or {}), "stratum": inv.stratum, "community": inv.community,
                                 **attrs}
                        if complete:
                            inv.used_at = _now()
                    community, stratum = quota_keys(attrs)
                    row = Response(wave_id=wave_id, questionnaire_version_id=w.questionnaire_version_id,
                                   invitation_id=inv.id if inv else None, status="complete" if complete else "partial",
                                   mode=mode, attributes=attrs, answers=answers, paradata=paradata or {},
                                   idempotency_key=idempotency_key, payload_sha256=digest,
                                   submitted_at=_now() if complete else None, entered_by=entered_by,
                                   community=community, stratum=stratum)
                    s.add(row)
                    s.flush()
                    return _record(row)
            except IntegrityError:
                s.rollback()
                if idempotency_key is not None:
                    with self.session() as s2:
                        old = s2.scalar(select(Response).where(Response.idempotency_key == idempotency_key))
                        if old is not None and old.payload_sha256 == digest:
                            return _record(old)
                raise Conflict("this invitation has already been used, or the submission was already stored") from None

    def responses(self, wave_id: str, *, complete_only: bool = True, batch: int = 1000) -> Iterator[StoredResponse]:
        """Responses of a wave in id order, streamed in batches (bounded memory)."""
        last = 0
        while True:
            with self.session() as s:
                q = select(Response).where(Response.wave_id == wave_id, Response.id > last,
                                           Response.superseded_by.is_(None))
                if complete_only:
                    q = q.where(Response.status == "complete")
                rows = s.scalars(q.order_by(Response.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield _record(r)
            last = rows[-1].id

    # -- API keys -----------------------------------------------------------------------------------
    def create_api_key(self, role: str, *, label: str | None = None, expires_at: dt.datetime | None = None,
                       actor: str = "system") -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        key = "mny_" + secrets.token_urlsafe(32)
        with self.session() as s, s.begin():
            s.add(ApiKey(prefix=key[:10], key_hash=hash_token(key), role=role, label=label, expires_at=expires_at))
            self._audit(s, actor, "create_key", "api_key", key[:10], role=role)
        return key

    def api_key_role(self, key: str) -> str | None:
        """The role of a valid key; None for an unknown, revoked or expired one."""
        with self.session() as s:
            k = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
            if k is None or k.revoked_at is not None:
                return None
            if k.expires_at is not None:
                exp = k.expires_at if k.expires_at.tzinfo else k.expires_at.replace(tzinfo=dt.timezone.utc)
                if exp <= _now():
                    return None
            return k.role

    def revoke_api_key(self, key: str, *, actor: str = "system") -> None:
        with self.session() as s, s.begin():
            k = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
            if k is None:
                raise NotFound("no such key")
            k.revoked_at = _now()
            self._audit(s, actor, "revoke_key", "api_key", k.prefix)

    def audit_entries(self, target_type: str | None = None) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.id)
            if target_type:
                q = q.where(AuditEntry.target_type == target_type)
            return [{"actor": a.actor, "action": a.action, "target_type": a.target_type, "target_id": a.target_id,
                     "detail": a.detail} for a in s.scalars(q)]
