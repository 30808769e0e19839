"""Cookies, CSRF tokens, signed values and security headers of the resident and staff pages.

CSRF: every page sets a random session cookie (`manyi_sid`, HttpOnly, SameSite=Lax); each form
carries `_csrf` = HMAC(secret, "csrf|" + sid). A POST is refused unless the field matches the
HMAC of the cookie it came with, so a page on another site can neither read nor forge it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from litestar.datastructures import Cookie

__all__ = ["PageSecurity", "SECURITY_HEADERS", "PageContext", "SID", "DEVICE", "STAFF", "LANG", "LARGE", "safe_next"]

SID, DEVICE, STAFF, LANG, LARGE = "manyi_sid", "manyi_device", "manyi_staff", "manyi_lang", "manyi_large"
YEAR = 365 * 24 * 3600

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # the link of a survey is its key: never sent onwards
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}


def safe_next(value: str | None, default: str = "/staff") -> str:
    """A local path to go on to (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


@dataclass
class PageContext:
    """Per request: language, large text, the session id and the cookies to set."""

    lang: str
    large: bool
    sid: str
    path: str
    secure: bool
    cookies: list[Cookie] = field(default_factory=list)

    def set(self, key: str, value: str, *, max_age: int | None = YEAR, httponly: bool = True) -> None:
        self.cookies.append(Cookie(key=key, value=value, max_age=max_age, httponly=httponly, samesite="lax",
                                   secure=self.secure, path="/"))

    def clear(self, key: str) -> None:
        self.cookies.append(Cookie(key=key, value="", max_age=0, httponly=True, samesite="lax", path="/"))


class PageSecurity:
    def __init__(self, secret: bytes):
        self.secret = secret

    def sign(self, purpose: str, value: str) -> str:
        return hmac.new(self.secret, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()

    def keyed(self, purpose: str, value: str) -> str:
        """A keyed hash to store instead of a device id or an address."""
        return self.sign(purpose, value)[:64]

    def context(self, cookies: Mapping[str, str], query: Mapping[str, Any], path: str, scheme: str) -> PageContext:
        ctx = PageContext(lang="zh", large=False, sid=cookies.get(SID, ""), path=path, secure=scheme == "https")
        lang = query.get("lang")
        if lang in ("zh", "en"):
            ctx.lang = lang
            ctx.set(LANG, lang, httponly=True)
        elif cookies.get(LANG) in ("zh", "en"):
            ctx.lang = cookies[LANG]
        large = query.get("large")
        if large in ("0", "1"):
            ctx.large = large == "1"
            ctx.set(LARGE, large)
        else:
            ctx.large = cookies.get(LARGE) == "1"
        if len(ctx.sid) < 20:
            ctx.sid = secrets.token_urlsafe(24)
            ctx.set(SID, ctx.sid, max_age=None)
        return ctx

    def csrf(self, sid: str) -> str:
        return self.sign("csrf", sid)[:40]

    def csrf_ok(self, cookies: Mapping[str, str], form: Mapping[str, list[str]]) -> bool:
        sid = cookies.get(SID, "")
        sent = (form.get("_csrf") or [""])[0]
        return len(sid) >= 20 and bool(sent) and hmac.compare_digest(sent, self.csrf(sid))

    # -- a signed time stamp: when a page was shown (per-page times in paradata) -----------------
    def stamp(self) -> str:
        ms = str(int(time.time() * 1000))
        return f"{ms}.{self.sign('t', ms)[:16]}"

    def elapsed(self, stamp: str | None, *, cap: float = 3600.0) -> float | None:
        if not stamp or "." not in stamp:
            return None
        ms, sig = stamp.split(".", 1)
        if not hmac.compare_digest(sig, self.sign("t", ms)[:16]) or not ms.isdigit():
            return None
        return max(0.0, min(cap, time.time() - int(ms) / 1000))

    # -- staff sessions -----------------------------------------------------------------------------
    def staff_cookie(self, user_id: int, hours: int = 12) -> str:
        exp = str(int(time.time()) + hours * 3600)
        body = f"{user_id}.{exp}"
        return f"{body}.{self.sign('staff', body)[:32]}"

    def staff_user_id(self, value: str | None) -> int | None:
        if not value or value.count(".") != 2:
            return None
        uid, exp, sig = value.split(".")
        if not hmac.compare_digest(sig, self.sign("staff", f"{uid}.{exp}")[:32]):
            return None
        if not (uid.isdigit() and exp.isdigit()) or int(exp) < time.time():
            return None
        return int(uid)
