"""The express lane of the busiest write: `POST /api/v1/waves/{wave_id}/responses` from a service
system, answered without litestar's per-request machinery when the request is an ordinary one.

litestar gives every request a chain of about ten coroutines (middleware, router, route,
handler, kwargs and signature models, response objects); a submission waits for its group
commit in the middle of that chain, so the chain is suspended and resumed once more per
request. For the integrator's submission that chain cost more of the event loop than the
submission's own work. The lane runs first (`ManyiApp.__call__`) and takes a request only
when everything about it is already known to be fine:

- litestar's router would give it to the route (its own routing of the path, after the
  `root_path`), and the Host header is one the router accepts;
- the API key's role is in the key cache, fresh, and admitted by the route;
- the body is a JSON `SubmissionIn` of at most the app's body limit, and the
  Idempotency-Key header (if any) is one header that the route's parameter accepts;
- the questionnaire's checks accept the answers (engine.web.answers).

Anything else is handed to the litestar route with the body it read given back unchanged, and
the route gives the answer it always gives (401, 403, 400, 422, or a key looked up for the
first time). From the commit on, the lane answers itself: the stored response (201) or the
error the route's exception handler makes of a refusal (409, 404), with the app's
`before_send` hooks (the security headers) applied as litestar applies them. The route stays
the documented operation (OpenAPI); tests compare the lane's answers with the route's."""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

import msgspec
from litestar import Litestar

__all__ = ["ManyiApp", "Lane", "replay"]

#: a lane: handles the request and returns True, or returns the receive to hand on (None: as it was)
Lane = Callable[[Litestar, Any, Any, Any], Awaitable[Any]]


class ManyiApp(Litestar):
    """litestar's app with express lanes run before its router (lanes: see this module)."""

    lanes: tuple[Lane, ...] = ()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            for lane in self.lanes:
                got = await lane(self, scope, receive, send)
                if got is True:
                    return
                if got is not None:
                    receive = got
        await super().__call__(scope, receive, send)


def replay(chunks: list[bytes], more: bool, receive: Any) -> Any:
    """A receive that gives back the body chunks already read, then goes on with `receive`."""
    pending = [{"type": "http.request", "body": c, "more_body": more or k < len(chunks) - 1}
               for k, c in enumerate(chunks)] or [{"type": "http.request", "body": b"", "more_body": more}]

    async def again() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()
    return again


async def read_body(receive: Any, limit: int) -> tuple[list[bytes], bool, bool]:
    """(chunks, more_body left unread, complete): reads until the body ends or passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the route see it
            return chunks, True, False
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
        more = message.get("more_body", False)
        if not more:
            return chunks, False, size <= limit
        if size > limit:
            return chunks, True, False


#: the route's Idempotency-Key parameter: 1 to 128 printable ASCII characters, no space
IDEMPOTENCY_KEY = re.compile(rb"[\x21-\x7e]{1,128}")


async def send_json(app: Litestar, scope: Any, send: Any, status: int, content: Any,
                    media_type: bytes = b"application/json") -> None:
    """A JSON answer as litestar sends one (content-type, content-length, then the app's
    before_send hooks on each message)."""
    body = msgspec.json.encode(content)
    messages = [{"type": "http.response.start", "status": status,
                 "headers": [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]},
                {"type": "http.response.body", "body": body, "more_body": False}]
    for message in messages:
        for hook in app.before_send:
            await hook(message, scope)
        await send(message)
