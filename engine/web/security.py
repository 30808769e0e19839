"""Protections on every answer of the service, applied when the app is built (`on_app_init`):

- security headers on every response, errors and 404s included (nosniff, no referrer so
  invitation tokens in links never leak, no framing, no caching of answers that carry data);
- a rate limit on public traffic: requests that carry no API key (resident pages, the rating
  page, the API documentation, attempts without a key) are limited per client address,
  `MANYI_PUBLIC_RATE_LIMIT` requests a minute (default 600: a hall of tablets or a
  community centre may share one address; 0 turns the limit off). Requests
  with a key are answered by the key check and the per-device/per-rater velocity rules.

Behind a reverse proxy, let the proxy set the client address (uvicorn --proxy-headers)."""

from __future__ import annotations

import os
from typing import Any

from litestar.config.app import AppConfig
from litestar.connection import Request
from litestar.middleware.rate_limit import RateLimitConfig

__all__ = ["HEADERS", "protect", "public_rate_limit"]

#: set on every response unless the handler set its own value
HEADERS: dict[bytes, bytes] = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
    b"cache-control": b"no-store",
}
_HSTS = (b"strict-transport-security", b"max-age=31536000")


async def _add_headers(message: Any, scope: Any) -> None:
    if message.get("type") != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {bytes(k).lower() for k, _ in headers}
    extra = dict(HEADERS)
    if scope.get("scheme") == "https":
        extra[_HSTS[0]] = _HSTS[1]
    headers.extend((k, v) for k, v in extra.items() if k not in present)
    message["headers"] = headers


def _has_key(request: Request) -> bool:
    h = request.headers
    return bool(h.get("authorization") or h.get("x-api-key"))


async def _public(request: Request) -> bool:
    return not _has_key(request)


def public_rate_limit() -> RateLimitConfig | None:
    per_minute = int(os.environ.get("MANYI_PUBLIC_RATE_LIMIT", "600"))
    if per_minute <= 0:
        return None
    return RateLimitConfig(rate_limit=("minute", per_minute), check_throttle_handler=_public)


def protect(app_config: AppConfig) -> AppConfig:
    app_config.before_send.append(_add_headers)
    limit = public_rate_limit()
    if limit is not None:
        app_config.middleware.append(limit.middleware)
    return app_config
