"""Many survey submissions written in one transaction, each with the outcome Store.submit
would give it alone in arrival order: the same idempotency key with the same payload returns
the stored response (also when the first copy is earlier in the same group), with another
payload it is a conflict; a second completed response on one invitation is a conflict; an
unknown wave or invitation is not found; a wave that is not open refuses.

The lookups are one query per group (on SQLite one statement for the idempotency keys, the
waves and the largest id; invitations apart, when tokens are sent), the rows one multi-row
INSERT (on SQLite without RETURNING, see _fast.insert_statement_ids), the invitations one
executemany UPDATE. The database's unique keys still guard against writers in other
processes: if one fires, the group commit writes each item again alone through Store.submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from .db import json_text
from .models import MODES, Invitation, Response
from ._fast import insert_statement_ids, select_in
from .store import Conflict, NotFound, Store, StoredResponse, _now, hash_token, payload_digest, quota_keys

__all__ = ["SubmissionItem", "submission_item", "submissions_kind"]


@dataclass(slots=True)
class SubmissionItem:
    wave_id: str
    answers: dict[str, Any]
    token: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    mode: str = "web"
    complete: bool = True
    idempotency_key: str | None = None
    paradata: dict[str, Any] = field(default_factory=dict)
    entered_by: str | None = None
    digest: str = ""
    token_hash: str | None = None


def submission_item(wave_id: str, answers: dict[str, Any], *, token: str | None = None,
                    attributes: dict | None = None, mode: str = "web", complete: bool = True,
                    idempotency_key: str | None = None, paradata: dict | None = None,
                    entered_by: str | None = None) -> SubmissionItem:
    """Check and fingerprint a submission before it is queued (same checks and payload hash
    as Store.submit)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    return SubmissionItem(wave_id, answers, token, dict(attributes or {}), mode, complete, idempotency_key,
                          dict(paradata or {}), entered_by,
                          payload_digest(wave_id, answers, token, attributes, mode, complete),
                          hash_token(token) if token is not None else None)


_RESPONSE = Response.__table__
#: the columns of a stored submission, in the order write_submissions gives their values
_COLUMNS = ("wave_id", "questionnaire_version_id", "invitation_id", "status", "mode", "attributes", "answers",
            "paradata", "idempotency_key", "payload_sha256", "submitted_at", "entered_by", "created_at", "community",
            "stratum")
_USE = (update(Invitation.__table__).where(Invitation.__table__.c.id == bindparam("iid"))
        .values(used_at=bindparam("used")))


class _WaveRow(NamedTuple):
    id: str
    status: str
    questionnaire_version_id: int


def _stored(row) -> StoredResponse:
    return StoredResponse(row.id, row.wave_id, row.questionnaire_version_id, row.invitation_id, row.status,
                          row.mode, dict(row.attributes or {}), dict(row.answers or {}), row.submitted_at)


def _stored_keys(conn: Connection, keys: set[str]) -> dict[str, Any]:
    """Stored responses of these idempotency keys: one indexed query on the key alone (the
    whole rows are read only for the keys found, which are rare)."""
    if not keys:
        return {}
    found = [k for (k,) in select_in(conn, "SELECT idempotency_key FROM response WHERE idempotency_key IN ({in})",
                                     sorted(keys))]
    return _stored_rows(conn, found)


def _stored_rows(conn: Connection, found: Sequence[str]) -> dict[str, Any]:
    if not found:
        return {}
    return {r.idempotency_key: r for r in conn.execute(select(_RESPONSE).where(
        _RESPONSE.c.idempotency_key.in_(found)))}


#: SQLite: the group's lookups as one statement of constant text (so the driver keeps it
#: prepared) giving one row: the idempotency keys stored already, the waves, the largest
#: response id (for _fast.insert_statement_ids). The sqlite3 module lets go of the GIL around
#: every prepare and step and then waits for it while the event loop runs: three queries with
#: a row each cost the writer about six such waits, this one two.
_SQLITE_LOOKUP = (
    "SELECT (SELECT json_group_array(idempotency_key) FROM response"
    " WHERE idempotency_key IN (SELECT value FROM json_each(?))),"
    " (SELECT json_group_array(json_array(id, status, questionnaire_version_id)) FROM wave"
    " WHERE id IN (SELECT value FROM json_each(?))),"
    " (SELECT max(id) FROM response)")


def _lookups(conn: Connection, items: Sequence[SubmissionItem]) -> tuple[dict[str, Any], dict[str, _WaveRow], int | None]:
    """(stored responses by idempotency key, waves by id, the largest response id or None)."""
    keys = sorted({i.idempotency_key for i in items if i.idempotency_key is not None})
    wave_ids = sorted({i.wave_id for i in items})
    if conn.dialect.name != "sqlite":
        return (_stored_keys(conn, set(keys)), {w[0]: _WaveRow(*w) for w in select_in(
            conn, "SELECT id, status, questionnaire_version_id FROM wave WHERE id IN ({in})", wave_ids)}, None)
    cur = conn.connection.driver_connection.cursor()
    try:
        found, waves, top = cur.execute(_SQLITE_LOOKUP, (json_text(keys), json_text(wave_ids))).fetchone()
    finally:
        cur.close()
    return (_stored_rows(conn, msgspec.json.decode(found)),
            {w[0]: _WaveRow(*w) for w in msgspec.json.decode(waves)}, top or 0)


def write_submissions(conn: Connection, items: Sequence[SubmissionItem]) -> list[Any]:
    out: list[Any] = [None] * len(items)
    old, waves, top = _lookups(conn, items)
    now = _now()  # the group's rows are committed together
    hashes = {i.token_hash for i in items if i.token_hash is not None}
    invitations = {v.token_hash: v for v in conn.execute(select(
        Invitation.id, Invitation.wave_id, Invitation.token_hash, Invitation.stratum, Invitation.community,
        Invitation.attributes, Invitation.used_at).where(Invitation.token_hash.in_(hashes)))} if hashes else {}
    claimed: dict[str, int] = {}        # idempotency key -> index of the item that stores it
    used: set[int] = set()              # invitations completed earlier in this group
    same_as: list[tuple[int, int]] = []  # (item, earlier item whose stored response it returns)
    rows: list[tuple] = []
    row_of: list[int] = []
    uses: list[dict[str, Any]] = []
    for k, i in enumerate(items):
        key = i.idempotency_key
        if key is not None:
            if key in old:
                out[k] = _stored(old[key]) if old[key].payload_sha256 == i.digest else Conflict(
                    "this idempotency key was used for another submission")
                continue
            if key in claimed:
                first = claimed[key]
                if items[first].digest == i.digest:
                    same_as.append((k, first))
                else:
                    out[k] = Conflict("this idempotency key was used for another submission")
                continue
        w = waves.get(i.wave_id)
        if w is None:
            out[k] = NotFound(f"no wave '{i.wave_id}'")
            continue
        if w.status != "open":
            out[k] = Conflict(f"wave '{i.wave_id}' is {w.status}, not open")
            continue
        inv = None
        attrs = i.attributes
        if i.token_hash is not None:
            inv = invitations.get(i.token_hash)
            if inv is None or inv.wave_id != i.wave_id:
                out[k] = NotFound("no such invitation for this wave")
                continue
            if (inv.used_at is not None or inv.id in used) and i.complete:
                out[k] = Conflict("this invitation has already been used")
                continue
            attrs = {**(inv.attributes or {}), "stratum": inv.stratum, "community": inv.community, **attrs}
            if i.complete:
                used.add(inv.id)
                uses.append({"iid": inv.id, "used": now})
        if key is not None:
            claimed[key] = k
        row_of.append(k)
        community, stratum = quota_keys(attrs)
        done = now if i.complete else None
        rows.append((i.wave_id, w.questionnaire_version_id, inv.id if inv else None,
                     "complete" if i.complete else "partial", i.mode, attrs, i.answers, i.paradata, key, i.digest,
                     done, i.entered_by, now, community, stratum))
    if rows:
        ids = insert_statement_ids(conn, _RESPONSE, rows, before=top, columns=_COLUMNS)
        for k, rid, row in zip(row_of, ids, rows):
            out[k] = StoredResponse(rid, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[10])
    if uses:
        conn.execute(_USE, uses)
    for k, first in same_as:
        out[k] = out[first]
    return out


def submissions_kind(store: Store):
    """The group-commit kind for submissions of `store` (alone: Store.submit)."""
    def submissions(conn: Connection, items: Sequence[SubmissionItem]) -> list[Any]:
        return write_submissions(conn, items)

    def alone(i: SubmissionItem) -> StoredResponse:
        return store.submit(i.wave_id, i.answers, token=i.token, attributes=i.attributes, mode=i.mode,
                            complete=i.complete, idempotency_key=i.idempotency_key, paradata=i.paradata,
                            entered_by=i.entered_by)

    submissions.alone = alone  # type: ignore[attr-defined]
    return submissions
