"""What the API answers, as the OpenAPI document states it: the shape of every success answer
(keyed like ROUTE_ROLES) and the problem+json errors each operation can give. Applied to the
route handlers when the app is built (`on_app_init`), so the handlers stay parse -> call ->
return; the fuzz test (tests/hardening/test_fuzz.py) checks real answers against it."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from .errors import PROBLEM

__all__ = ["Problem", "SHAPES", "document"]


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details; `errors` lists diagnostics (code, line, subject ...) and
    `field` names the field of a refused rating."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[Any] | None = None
    field: str | None = None


class _Out(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class QuestionnaireOut(_Out):
    questionnaire_version_id: int


class WaveOut(_Out):
    id: str
    questionnaire_version_id: int
    title: str
    status: str
    plan_source: str | None
    quotas: dict[str, Any]
    limits: dict[str, Any]


class TokensOut(_Out):
    tokens: list[str]


class SubmissionOut(_Out):
    id: int
    status: str


class StoredResponseOut(_Out):
    id: int
    mode: str
    answers: dict[str, Any]
    attributes: dict[str, Any]


class ResponsesPage(_Out):
    responses: list[StoredResponseOut]
    next_after: int | None


class RatingOut(_Out):
    rating_id: int
    case_id: int | None
    level: int
    bucket: str


class BatchItemOut(_Out):
    index: int
    status: int
    rating_id: int | None = None
    case_id: int | None = None
    field: str | None = None
    detail: str | None = None


class BatchOut(_Out):
    results: list[BatchItemOut]
    stored: int


class MetricsOut(_Out):
    by: str | None
    start: str
    end: str
    groups: dict[str, dict[str, Any]]


class CaseOut(_Out):
    id: int
    state: str
    handler: str | None
    version: int
    due: dict[str, str]
    reopens: int


class CaseStateOut(_Out):
    id: int
    state: str
    version: int


#: "METHOD /path" -> the struct of the success answer
SHAPES: dict[str, type] = {
    "POST /api/v1/questionnaires": QuestionnaireOut,
    "POST /api/v1/waves": WaveOut,
    "POST /api/v1/waves/{wave_id}/open": WaveOut,
    "POST /api/v1/waves/{wave_id}/close": WaveOut,
    "POST /api/v1/waves/{wave_id}/invitations": TokensOut,
    "POST /api/v1/waves/{wave_id}/responses": SubmissionOut,
    "GET /api/v1/waves/{wave_id}/responses": ResponsesPage,
    "POST /api/v1/ratings": RatingOut,
    "POST /api/v1/ratings/batch": BatchOut,
    "GET /api/v1/metrics": MetricsOut,
    "GET /api/v1/cases/{case_id}": CaseOut,
    "POST /api/v1/cases/{case_id}/actions": CaseStateOut,
}

_WHY = {
    400: "the request cannot be read (malformed body, parameter of the wrong type)",
    401: "no key, or an unknown, revoked or expired key",
    403: "the key's role may not call this operation, or the rules forbid the act",
    404: "no such record",
    409: "conflicts with what is stored (duplicate, used invitation, changed meanwhile)",
    413: "the body is too large",
    422: "the content is invalid; the answer names the field, question id or file:line",
    429: "too many requests",
}


def _plain_path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def document(app_config: AppConfig) -> AppConfig:
    """Declare on each /api handler its success shape and its problem+json errors."""
    for handler in app_config.route_handlers:
        if not isinstance(handler, HTTPRouteHandler):
            continue
        for path in handler.paths:
            if not path.startswith("/api/"):
                continue
            methods = sorted(m for m in handler.http_methods if m not in ("HEAD", "OPTIONS"))
            statuses = {400, 401, 403, 422, 429}
            if "{" in path or "POST" in methods:
                statuses.add(404)
            if "POST" in methods:
                statuses |= {409, 413}
            spec = {s: ResponseSpec(Problem, media_type=PROBLEM, description=_WHY[s], generate_examples=False)
                    for s in sorted(statuses)}
            shape = next((SHAPES[k] for m in methods if (k := f"{m} {_plain_path(path)}") in SHAPES), None)
            if shape is not None:
                spec[handler.status_code] = ResponseSpec(shape, description="done", generate_examples=False)
            handler.responses = {**spec, **(handler.responses or {})}
    return app_config
