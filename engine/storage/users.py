"""Staff users who sign in to the pages (interviewers enter answers for residents).
Passwords are stored as scrypt hashes (hashlib.scrypt, n=2**14, r=8, p=1, 16-byte salt)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .models import ROLES, User
from .store import Conflict, Store

__all__ = ["StaffUser", "create_user", "authenticate", "hash_password", "verify_password", "get_user"]

_N, _R, _P = 2 ** 14, 8, 1


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    username: str
    display_name: str | None
    role: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def create_user(store: Store, username: str, password: str, *, role: str = "evaluator",
                display_name: str | None = None, actor: str = "system") -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not username or len(username) > 128:
        raise ValueError("username must be 1 to 128 characters")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    try:
        with store.session() as s, s.begin():
            u = User(username=username, display_name=display_name, role=role, password_hash=hash_password(password))
            s.add(u)
            s.flush()
            store._audit(s, actor, "create_user", "app_user", username, role=role)
            return u.id
    except IntegrityError:
        raise Conflict(f"user '{username}' exists") from None


def _record(u: User) -> StaffUser:
    return StaffUser(u.id, u.username, u.display_name, u.role)


def authenticate(store: Store, username: str, password: str) -> StaffUser | None:
    """The active user with this password, else None (the hash is computed either way)."""
    with store.session() as s:
        u = s.scalar(select(User).where(User.username == username))
    ok = verify_password(password, u.password_hash if u is not None else _DUMMY)
    if u is None or not u.active or not ok:
        return None
    return _record(u)


def get_user(store: Store, user_id: int) -> StaffUser | None:
    with store.session() as s:
        u = s.get(User, user_id)
        return _record(u) if u is not None and u.active else None


_DUMMY = hash_password(secrets.token_hex(8))
