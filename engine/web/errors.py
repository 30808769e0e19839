"""One place maps domain errors to application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy.exc import DataError
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException

from ..calendar import CalendarError
from ..errors import LoadError
from ..haocha import TransitionError
from ..haocha.intake import RatingRejected
from ..storage import Conflict, NotFound
from .answers import InvalidAnswers

PROBLEM = "application/problem+json"
_log = logging.getLogger("manyi.web")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    return Response(content={"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                    status_code=status, media_type=PROBLEM)


def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoadError):
        return problem(422, "invalid document", f"{len(exc.diagnostics)} problem(s) in the document",
                       errors=[d.to_dict() for d in exc.diagnostics])
    if isinstance(exc, InvalidAnswers):
        return problem(422, "invalid answers", str(exc), errors=exc.to_list())
    if isinstance(exc, RatingRejected):
        return problem(exc.status, "rating refused", str(exc), field=exc.field)
    if isinstance(exc, TransitionError):
        return problem(exc.status, "not allowed" if exc.status == 403 else "conflict", str(exc))
    if isinstance(exc, Conflict):
        return problem(409, "conflict", str(exc))
    if isinstance(exc, NotFound):
        return problem(404, "not found", str(exc))
    if isinstance(exc, CalendarError):
        return problem(422, "calendar", str(exc))
    if isinstance(exc, DataError):  # PostgreSQL refuses what SQLite would store: say so, store nothing
        return problem(422, "invalid value", "a value is longer than its field allows or holds a character "
                       "the database cannot store (NUL); nothing was stored")
    if isinstance(exc, UnicodeDecodeError):
        return problem(400, "request error", "the body is not UTF-8 text")
    if isinstance(exc, msgspec.ValidationError):
        return problem(422, "invalid request", str(exc))
    if isinstance(exc, NotAuthorizedException):
        return problem(401, "no valid API key", "send Authorization: Bearer <key>")
    if isinstance(exc, PermissionDeniedException):
        return problem(403, "not allowed", exc.detail)
    if isinstance(exc, HTTPException):
        detail = exc.detail
        extra = getattr(exc, "extra", None)
        return problem(exc.status_code, "request error", str(detail), **({"errors": extra} if extra else {}))
    # a bug of ours: the trace goes to the log (method and path only: bodies may hold personal data)
    _log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal error", "the server failed; the request was not applied")
