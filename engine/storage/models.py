"""Tables of the collection service (SQLAlchemy 2). Questionnaire versions are immutable and
keep their source text and hash; responses record the version they were given under; the
audit log is append-only (the database refuses updates and deletes, see the migration)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "QuestionnaireVersion", "Wave", "Invitation", "Response", "User", "ApiKey", "AuditEntry",
           "RatingRow", "CaseRow", "CaseEventRow", "ServiceTransaction",
           "MODES", "ROLES", "WAVE_STATUS"]

MODES = ("web", "interviewer", "paper", "phone")
ROLES = ("admin", "evaluator", "handler", "leader", "integrator")
WAVE_STATUS = ("draft", "open", "closed")

IdType = BigInteger().with_variant(Integer(), "sqlite")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version", name="uq_questionnaire_version"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str | None] = mapped_column(String(128))


class Wave(Base):
    __tablename__ = "wave"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    title: Mapped[str] = mapped_column(String(200))
    plan_source: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    quotas: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Invitation(Base):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stratum: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Response(Base):
    """One respondent's answers. A completed response of an invitation is unique (partial
    unique index), so two concurrent submissions on one token cannot both complete."""

    __tablename__ = "response"
    __table_args__ = (
        Index("uq_response_invitation_complete", "invitation_id", unique=True,
              sqlite_where=text("status = 'complete' AND superseded_by IS NULL"),
              postgresql_where=text("status = 'complete' AND superseded_by IS NULL")),
        Index("ix_response_wave_device", "wave_id", "device_key"),
        Index("ix_response_wave_address", "wave_id", "address_key"),
        Index("ix_response_wave_community", "wave_id", "community"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    status: Mapped[str] = mapped_column(String(16), default="partial")
    mode: Mapped[str] = mapped_column(String(16), default="web")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    paradata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("response.id"))
    entered_by: Mapped[str | None] = mapped_column(String(128))
    # survey pages (migration 0003): keyed hashes of the device cookie and the address that
    # started it (open-link limits), and the community and stratum it counts under (quotas)
    device_key: Mapped[str | None] = mapped_column(String(64))
    address_key: Mapped[str | None] = mapped_column(String(64))
    community: Mapped[str | None] = mapped_column(String(64))
    stratum: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RatingRow(Base):
    """A good/bad rating as accepted (meanings, not adapter codes); personal data as keyed
    hashes. One per (transaction, stage, sequence); never edited (an upheld appeal marks it
    removed through its case, the row stays)."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("transaction_no", "stage", "sequence", name="uq_rating_once"),
                      Index("ix_rating_rater_day", "rater_key", "rated_at"),
                      Index("ix_rating_device_day", "device_key", "rated_at"))

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    transaction_no: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    item_code: Mapped[str | None] = mapped_column(String(24))
    department_code: Mapped[str | None] = mapped_column(String(18), index=True)
    hall: Mapped[str | None] = mapped_column(String(64))
    window: Mapped[str | None] = mapped_column(String(64))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    rater_type: Mapped[str] = mapped_column(String(16))
    rater_key: Mapped[str | None] = mapped_column(String(64))  # indexed with rated_at (ix_rating_rater_day)
    device_key: Mapped[str | None] = mapped_column(String(64))  # indexed with rated_at (ix_rating_device_day)
    sub_ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason_tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    text: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CaseRow(Base):
    """The case a bad rating opens; `version` makes concurrent transitions safe (one wins)."""

    __tablename__ = "rating_case"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id"), unique=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    handler: Mapped[str | None] = mapped_column(String(128))
    region_code: Mapped[str | None] = mapped_column(String(12))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    before_appeal: Mapped[str | None] = mapped_column(String(24))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEventRow(Base):
    """Every act on a case, append-only (the database refuses updates and deletes)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("rating_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))


class ServiceTransaction(Base):
    """A finished service transaction as a service system reports it: what the default-rating
    job rates when nobody rated it within the policy's window (migration 0003)."""

    __tablename__ = "service_transaction"
    __table_args__ = (UniqueConstraint("transaction_no", name="uq_service_transaction_no"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    transaction_no: Mapped[str] = mapped_column(String(50))
    item_code: Mapped[str | None] = mapped_column(String(24))
    department_code: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(12))
    hall: Mapped[str | None] = mapped_column(String(64))
    window: Mapped[str | None] = mapped_column(String(64))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
