"""Responses in progress on the resident pages: a draft is a `response` row with status
`partial`, found again by the key in its link (an invitation token, or the random key of an
open-link or interviewer session), stored only as a hash in `idempotency_key` ("draft:<sha256>").

Completing a draft promotes the same row to `complete` in one transaction, with the rules of
`Store.submit`: the wave must be open, an invitation completes once (its `used_at` is set and
the partial unique index refuses a second complete response), and the commit happens before
the caller answers. Quotas count complete responses by community or stratum; open-link limits
count the responses a device or an address started."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .models import MODES, Invitation, Response, Wave
from .store import Conflict, NotFound, Store, hash_token

__all__ = ["Draft", "QuotaFull", "draft_key_hash", "find_draft", "start_draft", "save_draft", "complete_draft",
           "quota_status", "started_by", "new_draft_key", "open_waves"]


class QuotaFull(Conflict):
    """The quota of the respondent's community or stratum is reached."""

    def __init__(self, message: str, *, group: str, value: str):
        super().__init__(message)
        self.group, self.value = group, value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def draft_key_hash(key: str) -> str:
    return "draft:" + hash_token(key)


def new_draft_key() -> str:
    """A random key for a session without an invitation (distinct from tokens by its prefix)."""
    return "r" + secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    wave_id: str
    questionnaire_version_id: int
    invitation_id: int | None
    status: str
    mode: str
    entered_by: str | None
    community: str | None
    stratum: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    paradata: dict[str, Any] = field(default_factory=dict)
    started_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None


def _draft(r: Response) -> Draft:
    return Draft(r.id, r.wave_id, r.questionnaire_version_id, r.invitation_id, r.status, r.mode, r.entered_by,
                 r.community, r.stratum, dict(r.attributes or {}), dict(r.answers or {}), dict(r.paradata or {}),
                 r.started_at, r.submitted_at)


def find_draft(store: Store, key: str) -> Draft | None:
    """The response started under this link key (partial or complete), if any."""
    with store.session() as s:
        r = s.scalar(select(Response).where(Response.idempotency_key == draft_key_hash(key)))
        return None if r is None else _draft(r)


def _full_quota(s, w: Wave, community: str | None, stratum: str | None) -> tuple[str, str, int, int] | None:
    quotas = w.quotas or {}
    for group, value in (("community", community), ("stratum", stratum)):
        targets = quotas.get(group) or {}
        if value is None or value not in targets:
            continue
        column = Response.community if group == "community" else Response.stratum
        inv_column = Invitation.community if group == "community" else Invitation.stratum
        done = s.scalar(
            select(func.count()).select_from(Response).outerjoin(Invitation, Response.invitation_id == Invitation.id)
            .where(Response.wave_id == w.id, Response.status == "complete", Response.superseded_by.is_(None),
                   func.coalesce(column, inv_column) == value))
        if done >= int(targets[value]):
            return group, value, int(targets[value]), int(done)
    return None


def quota_status(store: Store, wave_id: str, *, community: str | None, stratum: str | None
                 ) -> tuple[str, str, int, int] | None:
    """(group, value, target, completed) of the first full quota that applies, else None.
    Wave quotas look like {"community": {"c1": 120}, "stratum": {"urban": 600}}; a response
    counts under its own community/stratum, or its invitation's (API submissions)."""
    with store.session() as s:
        w = s.get(Wave, wave_id)
        if w is None:
            raise NotFound(f"no wave '{wave_id}'")
        return _full_quota(s, w, community, stratum)


def _check_quota(s, w: Wave, community: str | None, stratum: str | None) -> None:
    full = _full_quota(s, w, community, stratum)
    if full is not None:
        group, value, target, done = full
        raise QuotaFull(f"the {group} quota of '{value}' is reached ({done} of {target})", group=group, value=value)


def started_by(store: Store, wave_id: str, *, device_key: str | None, address_key: str | None
               ) -> tuple[int, int, Draft | None]:
    """How many responses of the wave this device and this address started (superseded ones
    not counted), and the device's latest unfinished draft (to resume instead of refusing)."""
    with store.session() as s:
        base = select(func.count()).select_from(Response).where(Response.wave_id == wave_id,
                                                                Response.superseded_by.is_(None))
        n_dev = s.scalar(base.where(Response.device_key == device_key)) if device_key else 0
        n_addr = s.scalar(base.where(Response.address_key == address_key)) if address_key else 0
        partial = None
        if device_key:
            r = s.scalar(select(Response).where(Response.wave_id == wave_id, Response.device_key == device_key,
                                                Response.status == "partial", Response.superseded_by.is_(None))
                         .order_by(Response.id.desc()).limit(1))
            partial = _draft(r) if r is not None else None
        return int(n_dev or 0), int(n_addr or 0), partial


def start_draft(store: Store, key: str, *, wave_id: str, invitation: bool, mode: str = "web",
                entered_by: str | None = None, community: str | None = None, stratum: str | None = None,
                attributes: dict[str, Any] | None = None, device_key: str | None = None,
                address_key: str | None = None, paradata: dict[str, Any] | None = None) -> Draft:
    """Start (or return the existing) draft of a link key. With `invitation`, the key is the
    invitation token: its community, stratum and attributes are taken from the invitation; a
    used invitation is a Conflict. The wave must be open and the quota not full."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    found = find_draft(store, key)
    if found is not None:
        if mode == "interviewer" and (found.mode != mode or found.entered_by != entered_by) and found.status == "partial":
            with store.session() as s, s.begin():  # an interviewer takes over a resident's draft
                r = s.get(Response, found.id)
                r.mode, r.entered_by = mode, entered_by
                store._audit(s, entered_by or "system", "interview", "response", r.id)
            return find_draft(store, key)  # type: ignore[return-value]
        return found
    now = _now()
    with store.session() as s:
        try:
            with s.begin():
                w = s.get(Wave, wave_id)
                if w is None:
                    raise NotFound(f"no wave '{wave_id}'")
                if w.status != "open":
                    raise Conflict(f"wave '{wave_id}' is {w.status}, not open")
                inv = None
                attrs = dict(attributes or {})
                if invitation:
                    inv = s.scalar(select(Invitation).where(Invitation.token_hash == hash_token(key)))
                    if inv is None or inv.wave_id != wave_id:
                        raise NotFound("no such invitation for this wave")
                    if inv.used_at is not None:
                        raise Conflict("this invitation has already been used")
                    community, stratum = inv.community, inv.stratum
                    attrs = {**(inv.attributes or {}), "stratum": inv.stratum, "community": inv.community, **attrs}
                elif community is not None or stratum is not None:
                    attrs = {"community": community, "stratum": stratum, **attrs}
                _check_quota(s, w, community, stratum)
                row = Response(wave_id=wave_id, questionnaire_version_id=w.questionnaire_version_id,
                               invitation_id=inv.id if inv else None, status="partial", mode=mode,
                               attributes=attrs, answers={}, paradata={"start": now.isoformat(), **(paradata or {})},
                               idempotency_key=draft_key_hash(key), started_at=now, entered_by=entered_by,
                               device_key=device_key, address_key=address_key, community=community, stratum=stratum)
                s.add(row)
                s.flush()
                return _draft(row)
        except IntegrityError:  # the same link started twice at once: the other one won
            s.rollback()
    found = find_draft(store, key)
    if found is None:
        raise Conflict("the response could not be started; try again")
    return found


def save_draft(store: Store, draft_id: int, *, answers: dict[str, Any], paradata: dict[str, Any]) -> Draft:
    """Replace the answers and paradata of a partial response (committed when this returns).
    One UPDATE first, so that on SQLite the write lock is taken before anything is read."""
    with store.session() as s, s.begin():
        done = s.execute(update(Response).where(Response.id == draft_id, Response.status == "partial")
                         .values(answers=dict(answers), paradata=dict(paradata)))
        r = s.get(Response, draft_id)
        if r is None:
            raise NotFound(f"no response {draft_id}")
        if done.rowcount != 1:
            raise Conflict("this response has already been submitted")
        return _draft(r)


def complete_draft(store: Store, draft_id: int, *, answers: dict[str, Any], paradata: dict[str, Any]) -> Draft:
    """Promote a draft to the complete response, durable when this returns. A second
    completion of one invitation (another draft, or the API) is a Conflict; so is a closed wave
    or a full quota."""
    now = _now()
    with store.session() as s:
        try:
            with s.begin():
                # write first: takes SQLite's write lock before any read and locks the row on
                # PostgreSQL, so concurrent completions are serialized
                s.execute(update(Response).where(Response.id == draft_id).values(status=Response.status))
                r = s.get(Response, draft_id)
                if r is None:
                    raise NotFound(f"no response {draft_id}")
                if r.status == "complete":
                    return _draft(r)
                w = s.get(Wave, r.wave_id)
                if w.quotas:  # completions of a wave with quotas go one at a time (the count is exact)
                    s.execute(update(Wave).where(Wave.id == w.id).values(status=Wave.status))
                if w.status != "open":
                    raise Conflict(f"wave '{r.wave_id}' is {w.status}, not open")
                if r.invitation_id is not None:
                    inv = s.get(Invitation, r.invitation_id)
                    if inv.used_at is not None:
                        raise Conflict("this invitation has already been used")
                    inv.used_at = now
                _check_quota(s, w, r.community or (r.attributes or {}).get("community"),
                             r.stratum or (r.attributes or {}).get("stratum"))
                r.answers = dict(answers)
                r.paradata = {**paradata, "end": now.isoformat()}
                r.status, r.submitted_at = "complete", now
                s.flush()
                store._audit(s, r.entered_by or "resident", "complete", "response", r.id, mode=r.mode)
                return _draft(r)
        except IntegrityError:
            s.rollback()
            raise Conflict("this invitation has already been used") from None


def open_waves(store: Store) -> list[dict[str, Any]]:
    """Waves taking answers now (for the interviewer's list)."""
    with store.session() as s:
        return [{"id": w.id, "title": w.title, "questionnaire_version_id": w.questionnaire_version_id,
                 "limits": dict(w.limits or {}), "quotas": dict(w.quotas or {})}
                for w in s.scalars(select(Wave).where(Wave.status == "open").order_by(Wave.id))]
