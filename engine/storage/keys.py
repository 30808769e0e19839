"""API key rotation: a new key with the old one's role and label; the old key stops working at
once or after a grace period (so a service system can switch without an outage). Keys are
stored as SHA-256 hashes only; every rotation leaves an audit row naming both prefixes."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from .models import ApiKey, AuditEntry
from .store import NotFound, Store, hash_token

__all__ = ["rotate_api_key"]


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def rotate_api_key(store: Store, key: str, *, grace: dt.timedelta = dt.timedelta(0),
                   expires_at: dt.datetime | None = None, actor: str = "system") -> str:
    """Issue the successor of a valid key and return it (shown once). The old key is revoked
    now (`grace` 0) or expires after `grace`; the new key expires at `expires_at`, or keeps
    the old key's expiry."""
    if grace < dt.timedelta(0):
        raise ValueError(f"grace must be zero or positive; got {grace}")
    now = dt.datetime.now(dt.timezone.utc)
    new = "mny_" + secrets.token_urlsafe(32)
    with store.session() as s, s.begin():
        old = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
        old_expiry = _aware(old.expires_at) if old is not None else None
        if old is None or old.revoked_at is not None or (old_expiry is not None and old_expiry <= now):
            raise NotFound("no such valid key (unknown, revoked or expired): create a new one instead")
        s.add(ApiKey(prefix=new[:10], key_hash=hash_token(new), role=old.role, label=old.label, user_id=old.user_id,
                     expires_at=expires_at or old_expiry))
        if grace == dt.timedelta(0):
            old.revoked_at = now
        else:
            old.expires_at = min(now + grace, old_expiry) if old_expiry else now + grace
        s.add(AuditEntry(actor=actor, action="rotate_key", target_type="api_key", target_id=old.prefix,
                         detail={"successor": new[:10], "role": old.role, "grace_seconds": grace.total_seconds()}))
    return new
