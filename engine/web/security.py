"""Protections on every answer of the service, applied when the app is built (`on_app_init`):

- security headers on every response, errors and 404s included (nosniff, no referrer so
  invitation tokens in links never leak, no framing, no caching of answers that carry data);
- a rate limit on public traffic: requests that carry no API key (resident pages, the rating
  page, the API documentation, attempts without a key) are limited per client address,
  `MANYI_PUBLIC_RATE_LIMIT` requests a minute (default 600: a hall of tablets or a
  community centre may share one address; 0 turns the limit off). Requests
  with a key are answered by the key check and the per-device/per-rater velocity rules, and
  pass the limiter by a look at the raw headers (no request object is built for them).

API route handlers are `api_post` / `api_get`: litestar's own guard call hands every guard a
copy of the route handler (copy.copy of an object of some forty attributes, about a tenth of
an API submission's time on the event loop); the API's guards never look at the handler, so
these pass it as it is.

Behind a reverse proxy, let the proxy set the client address (uvicorn --proxy-headers)."""

from __future__ import annotations

import os
from typing import Any

from litestar import get, post
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection, Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware

__all__ = ["HEADERS", "api_get", "api_post", "protect", "public_rate_limit"]

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


_EXTRA = tuple(HEADERS.items())
_EXTRA_HTTPS = (*_EXTRA, _HSTS)
_NAMES = frozenset(HEADERS) | {_HSTS[0]}


async def _add_headers(message: Any, scope: Any) -> None:
    if message.get("type") != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    extra = _EXTRA_HTTPS if scope.get("scheme") == "https" else _EXTRA
    present = [n for n in (bytes(k).lower() for k, _ in headers) if n in _NAMES]  # set by the handler
    if present:
        headers.extend((k, v) for k, v in extra if k not in present)
    else:
        headers.extend(extra)
    message["headers"] = headers


def _has_key(request: Request) -> bool:
    h = request.headers
    return bool(h.get("authorization") or h.get("x-api-key"))


async def _public(request: Request) -> bool:
    return not _has_key(request)


def _keyed(scope: Any) -> bool:
    """_has_key on the raw ASGI headers (names are lower case in ASGI; the first value counts)."""
    auth = key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if auth is None:
                auth = value
        elif name == b"x-api-key" and key is None:
            key = value
    return bool(auth or key)


def _limit_public(app: Any, config: RateLimitConfig) -> Any:
    """litestar's rate limiter for requests without a key; requests with one go straight on."""
    limited = RateLimitMiddleware(app=app, config=config)

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _keyed(scope):
            await app(scope, receive, send)
        else:
            await limited(scope, receive, send)
    return middleware


class _Guarded:
    async def authorize_connection(self, connection: ASGIConnection) -> None:
        for guard in self.resolve_guards():  # type: ignore[attr-defined]
            await guard(connection, self)


class api_post(_Guarded, post):  # noqa: N801 (a decorator, like litestar's)
    """litestar's `post` whose guards get the route handler itself, not a copy."""


class api_get(_Guarded, get):  # noqa: N801
    """litestar's `get` whose guards get the route handler itself, not a copy."""


def public_rate_limit() -> RateLimitConfig | None:
    per_minute = int(os.environ.get("MANYI_PUBLIC_RATE_LIMIT", "600"))
    if per_minute <= 0:
        return None
    return RateLimitConfig(rate_limit=("minute", per_minute), check_throttle_handler=_public)


def protect(app_config: AppConfig) -> AppConfig:
    app_config.before_send.append(_add_headers)
    limit = public_rate_limit()
    if limit is not None:
        app_config.middleware.append(DefineMiddleware(_limit_public, config=limit))
    return app_config
