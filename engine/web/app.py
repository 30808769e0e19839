"""The staff and integrator API (/api/v1): thin handlers that parse, call a service, return.

Every write commits before the 2xx answer. Keys are sent as `Authorization: Bearer <key>`;
each route names the roles it admits."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.connection import ASGIConnection
from litestar._asgi.utils import is_valid_host
from litestar.handlers.base import BaseRouteHandler
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.openapi import OpenAPIConfig
from litestar.utils import normalize_path
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter

from ..analysis.ratings import GROUPS
from ..calendar import Calendar, national_calendar
from ..haocha.cases import ACTIONS
from ..haocha.intake import RatingIn, RatingRejected, accept_rating
from ..io.routes import IO_ROUTE_ROLES, document_downloads, io_routes
from ..loader import loads
from ..schema import Policy
from ..storage import Store
from ..storage.ratings import act_on_case, load_case
from ..storage.submissions import submission_item
from ..storage.transactions import add_transactions
from . import contract, errors, security
from .answers import AnswerChecker
from .heap import settle_heap, unsettle_heap
from .lane import IDEMPOTENCY_KEY, ManyiApp, read_body, replay, send_json
from .security import api_get, api_post
from .pages import WaveLimits, WaveQuotas, survey_pages
from .leaders import leader_pages
from .rating_pages import rating_page_routes
from .writes import Writes

__all__ = ["create_app", "ROUTE_ROLES"]


#: a stored record's id (64-bit, as the databases keep them)
MAX_ID = 2**63 - 1
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]


#: short texts as the tables keep them: at most n characters, no control characters
_PRINTABLE = r"^[^\x00-\x1f]+$"
Text64 = Annotated[str, Meta(min_length=1, max_length=64, pattern=_PRINTABLE)]
Text128 = Annotated[str, Meta(min_length=1, max_length=128, pattern=_PRINTABLE)]
Text200 = Annotated[str, Meta(min_length=1, max_length=200, pattern=_PRINTABLE)]


class WaveIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Text64
    questionnaire_version_id: Id
    title: Text200
    plan_source: Annotated[str, Meta(pattern=r"^[^\x00]*$")] | None = None
    quotas: WaveQuotas | None = None
    limits: WaveLimits | None = None


class PersonIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    stratum: Text64 | None = None
    community: Text64 | None = None
    attributes: dict[str, Any] = {}


class InvitationsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    people: list[PersonIn]


class SubmissionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    answers: dict[str, Any]
    token: str | None = None
    attributes: dict[str, Any] = {}
    mode: Literal["web", "interviewer", "paper", "phone"] = "web"
    complete: bool = True


class TransactionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """A finished service transaction, reported by a service system (for default ratings)."""

    transaction_no: Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=_PRINTABLE)]
    region_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6,12}$")]
    finished_at: dt.datetime
    item_code: Annotated[str, msgspec.Meta(min_length=1, max_length=24, pattern=_PRINTABLE)] | None = None
    department_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")] | None = None
    hall: Text64 | None = None
    window: Text64 | None = None
    staff_id: Text64 | None = None


_TRANSACTIONS = msgspec.json.Decoder(list[TransactionIn])
_SUBMISSION = msgspec.json.Decoder(SubmissionIn)
_RESPONSES_TEMPLATE = "/api/v1/waves/{wave_id}/responses"  # the route's, as litestar's router names it
#: the largest body the submission lane reads itself (larger ones go to the route, limit 10 MB)
LANE_MAX_BODY = 1 << 20


class CaseActionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    note: Annotated[str, Meta(max_length=4000, pattern=r"^[^\x00]*$")]
    handler: Text128 | None = None
    recheck: Literal["satisfied", "basic", "unsatisfied"] | None = None
    due: dt.date | None = None


#: seconds a key's role is remembered: a revoked or expired key stops working within this time
KEY_TTL = 2.0

#: route path -> roles admitted (a test checks every route of the OpenAPI document is here)
ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    "POST /api/v1/questionnaires": ("admin", "evaluator"),
    "POST /api/v1/waves": ("admin", "evaluator"),
    "POST /api/v1/waves/{wave_id}/open": ("admin", "evaluator"),
    "POST /api/v1/waves/{wave_id}/close": ("admin", "evaluator"),
    "POST /api/v1/waves/{wave_id}/invitations": ("admin", "evaluator"),
    "POST /api/v1/waves/{wave_id}/responses": ("admin", "evaluator", "integrator"),
    "GET /api/v1/waves/{wave_id}/responses": ("admin", "evaluator", "leader"),
    "POST /api/v1/ratings": ("admin", "integrator"),
    "POST /api/v1/ratings/batch": ("admin", "integrator"),
    "POST /api/v1/transactions": ("admin", "integrator"),
    "GET /api/v1/metrics": ("admin", "leader", "evaluator"),
    "GET /api/v1/cases/{case_id}": ("admin", "handler", "leader"),
    "POST /api/v1/cases/{case_id}/actions": ("admin", "handler", "integrator", "leader"),
}
ROUTE_ROLES.update(IO_ROUTE_ROLES)  # paper-data import and exports (engine/io/routes.py)


def _plain_metrics(res: dict) -> dict:
    """Rates as {numerator, denominator, value, ci_low, ci_high}."""
    out = {}
    for group, m in res.items():
        row = {}
        for k, v in m.items():
            if hasattr(v, "confidence_interval"):
                ci = v.confidence_interval()
                row[k] = {"numerator": v.numerator, "denominator": v.denominator,
                          "value": None if v.value != v.value else v.value,
                          "ci_low": None if ci.low != ci.low else ci.low,
                          "ci_high": None if ci.high != ci.high else ci.high}
            elif isinstance(v, float) and v != v:
                row[k] = None
            else:
                row[k] = v
        out[group] = row
    return out


def create_app(store: Store, *, policy: Policy, calendar: Calendar | None = None, secret: bytes | None = None,
               reports: str | os.PathLike | None = None) -> Litestar:
    cal = calendar or national_calendar()
    key_secret = secret or os.environ.get("MANYI_SECRET", "").encode() or b"manyi-development-secret"
    writes = Writes(store, policy, cal, secret=key_secret)
    checker = AnswerChecker(store)
    roles: dict[str, tuple[str | None, float]] = {}  # key -> (role, checked at): revocations apply within KEY_TTL
    lookups: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task] = {}  # one lookup of a key at a time

    async def look_up(key: str) -> str | None:
        now = time.monotonic()
        try:
            role = await asyncio.to_thread(store.api_key_role, key)
        finally:
            lookups.pop((asyncio.get_running_loop(), key), None)
        if len(roles) > 10_000:
            roles.clear()
        roles[key] = (role, now)
        return role

    async def key_role(key: str) -> str | None:
        hit = roles.get(key)
        if hit is not None and time.monotonic() - hit[1] < KEY_TTL:
            return hit[0]
        # the requests that find the entry expired together wait for one lookup (not one each)
        loop = asyncio.get_running_loop()
        task = lookups.get((loop, key))
        if task is None:
            task = lookups[(loop, key)] = loop.create_task(look_up(key))
        return await asyncio.shield(task)

    def allow(route: str):
        """Guard: a valid key whose role the route admits (checked before the body is read)."""
        async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
            auth = connection.headers.get("authorization", "")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else connection.headers.get("x-api-key", "")
            role = await key_role(key) if key else None
            if role is None:
                raise NotAuthorizedException()
            if role not in ROUTE_ROLES[route]:
                raise PermissionDeniedException(detail=f"a {role} key may not call {route}")
            # the dict that connection.state wraps (a State, with its own lock, is made per access)
            state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
            state["role"], state["actor"] = role, key[:10]
        return [guard]

    def role_of(request: Request, route: str) -> tuple[str, str]:
        state = request.scope["state"]  # type: ignore[typeddict-item]
        return state["role"], state["actor"]

    @api_post("/api/v1/questionnaires", status_code=201, guards=allow("POST /api/v1/questionnaires"))
    async def publish(request: Request) -> dict:
        _, actor = role_of(request, "POST /api/v1/questionnaires")
        text = (await request.body()).decode("utf-8")
        loads(text, path="upload.yaml", expect="questionnaire")  # 422 with every diagnostic
        return {"questionnaire_version_id": store.publish_questionnaire(text, actor=actor)}

    @api_post("/api/v1/waves", status_code=201, guards=allow("POST /api/v1/waves"))
    async def create_wave(request: Request, data: JSONBody[WaveIn]) -> dict:
        _, actor = role_of(request, "POST /api/v1/waves")
        store.create_wave(data.id, data.questionnaire_version_id, title=data.title, plan_source=data.plan_source,
                          quotas=msgspec.to_builtins(data.quotas) if data.quotas else None,
                          limits=msgspec.to_builtins(data.limits) if data.limits else None, actor=actor)
        return store.wave(data.id)

    @api_post("/api/v1/waves/{wave_id:str}/open", status_code=200, guards=allow("POST /api/v1/waves/{wave_id}/open"))
    async def open_wave(request: Request, wave_id: FromPath[str]) -> dict:
        _, actor = role_of(request, "POST /api/v1/waves/{wave_id}/open")
        store.set_wave_status(wave_id, "open", actor=actor)
        return store.wave(wave_id)

    @api_post("/api/v1/waves/{wave_id:str}/close", status_code=200, guards=allow("POST /api/v1/waves/{wave_id}/close"))
    async def close_wave(request: Request, wave_id: FromPath[str]) -> dict:
        _, actor = role_of(request, "POST /api/v1/waves/{wave_id}/close")
        store.set_wave_status(wave_id, "closed", actor=actor)
        return store.wave(wave_id)

    @api_post("/api/v1/waves/{wave_id:str}/invitations", status_code=201, guards=allow("POST /api/v1/waves/{wave_id}/invitations"))
    async def invite(request: Request, wave_id: FromPath[str], data: JSONBody[InvitationsIn]) -> dict:
        _, actor = role_of(request, "POST /api/v1/waves/{wave_id}/invitations")
        return {"tokens": store.create_invitations(wave_id, [msgspec.to_builtins(p) for p in data.people], actor=actor)}

    @api_post("/api/v1/waves/{wave_id:str}/responses", status_code=201, guards=allow("POST /api/v1/waves/{wave_id}/responses"))
    async def submit(request: Request, wave_id: FromPath[str], data: JSONBody[SubmissionIn],
                     idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=128,
                                                                            pattern=r"^[\x21-\x7e]+$")] = None) -> dict:
        role, actor = role_of(request, "POST /api/v1/waves/{wave_id}/responses")
        answers, attributes = checker.check(wave_id, data.answers, data.attributes, token=data.token,
                                            complete=data.complete)
        r = await writes.submit(submission_item(wave_id, answers, token=data.token, attributes=attributes,
                                                mode=data.mode, complete=data.complete,
                                                idempotency_key=idempotency_key, entered_by=actor))
        return {"id": r.id, "status": r.status}

    @api_get("/api/v1/waves/{wave_id:str}/responses", guards=allow("GET /api/v1/waves/{wave_id}/responses"))
    async def list_responses(request: Request, wave_id: FromPath[str], limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
                             after: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0) -> dict:
        role_of(request, "GET /api/v1/waves/{wave_id}/responses")
        rows = []
        for r in store.responses(wave_id, batch=min(limit, 1000)):
            if r.id > after:
                rows.append({"id": r.id, "mode": r.mode, "answers": r.answers,
                             "attributes": {k: v for k, v in r.attributes.items()}})
            if len(rows) >= limit:
                break
        return {"responses": rows, "next_after": rows[-1]["id"] if rows else None}

    @api_post("/api/v1/ratings", status_code=201, guards=allow("POST /api/v1/ratings"))
    async def rate(request: Request, data: JSONBody[RatingIn]) -> dict:
        role_of(request, "POST /api/v1/ratings")
        probe = accept_rating(data, policy, cal, secret=key_secret)  # 422 before the writer; 429 and 409 in it
        rid, case = await writes.rate(data, probe)
        return {"rating_id": rid, "case_id": case, "level": probe.level, "bucket": probe.bucket}

    @api_post("/api/v1/ratings/batch", status_code=200, guards=allow("POST /api/v1/ratings/batch"))
    async def rate_batch(request: Request, data: JSONBody[list[RatingIn]]) -> dict:
        if len(data) > 1000:
            raise HTTPException(status_code=413, detail="at most 1,000 ratings per batch")
        results: list[dict] = [{} for _ in data]
        accepted, where = [], []
        for k, r in enumerate(data):
            try:
                accepted.append(accept_rating(r, policy, cal, secret=key_secret))
                where.append(k)
            except RatingRejected as e:
                results[k] = {"index": k, "status": e.status, "field": e.field, "detail": str(e)}
        for k, res in zip(where, await writes.rate_batch(accepted)):
            if isinstance(res, RatingRejected):  # a velocity limit (429)
                results[k] = {"index": k, "status": res.status, "field": res.field, "detail": str(res)}
                continue
            rid, case, reason = res
            results[k] = ({"index": k, "status": 201, "rating_id": rid, "case_id": case} if reason is None
                          else {"index": k, "status": 409, "detail": reason})
        return {"results": results, "stored": sum(r.get("status") == 201 for r in results)}

    @api_post("/api/v1/transactions", status_code=200, guards=allow("POST /api/v1/transactions"))
    async def report_transactions(request: Request) -> dict:
        """Body: a JSON list of TransactionIn (decoded here so that a bad field is named by its
        path, e.g. `$[3].region_code`, in a 422)."""
        _, actor = role_of(request, "POST /api/v1/transactions")
        try:
            data = _TRANSACTIONS.decode(await request.body())
        except msgspec.ValidationError as e:
            raise HTTPException(status_code=422, detail=f"invalid transaction: {e}") from None
        except msgspec.DecodeError as e:
            raise HTTPException(status_code=400, detail=f"the body is not a JSON list of transactions: {e}") from None
        if len(data) > 10_000:
            raise HTTPException(status_code=413, detail="at most 10,000 transactions per request")
        ids = await asyncio.to_thread(add_transactions, store, [msgspec.structs.asdict(t) for t in data],
                                      source=actor)
        return {"results": [{"index": k, "status": 201, "id": i} if i is not None else
                            {"index": k, "status": 409, "detail": f"transaction {data[k].transaction_no} was "
                             "reported before"} for k, i in enumerate(ids)],
                "stored": sum(i is not None for i in ids)}

    @api_get("/api/v1/metrics", guards=allow("GET /api/v1/metrics"))
    async def metrics(request: Request, start: FromQuery[dt.date], end: FromQuery[dt.date],
                      by: FromQuery[Literal[GROUPS] | None] = None,  # type: ignore[valid-type]
                      min_count: Annotated[int, QueryParameter(ge=0)] = 0) -> dict:
        from ..analysis.ratings import rating_metrics
        res = rating_metrics(store, policy, start=dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc),
                             end=dt.datetime.combine(end, dt.time.min, tzinfo=dt.timezone.utc), by=by,
                             min_count=min_count)
        return {"by": by, "start": start.isoformat(), "end": end.isoformat(), "groups": _plain_metrics(res)}

    @api_get("/api/v1/cases/{case_id:int}", guards=allow("GET /api/v1/cases/{case_id}"))
    async def get_case(request: Request, case_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)]) -> dict:
        role_of(request, "GET /api/v1/cases/{case_id}")
        c = load_case(store, case_id)
        return {"id": case_id, "state": c.state, "handler": c.handler, "version": c.version,
                "due": {k: v.isoformat() for k, v in c.due.items()}, "reopens": c.reopens}

    @api_post("/api/v1/cases/{case_id:int}/actions", status_code=200, guards=allow("POST /api/v1/cases/{case_id}/actions"))
    async def act(request: Request, case_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)], data: JSONBody[CaseActionIn],
                  x_user: Annotated[str | None, HeaderParameter(name="X-User", min_length=1, max_length=128,
                                                                pattern=r"^[^\x00-\x1f]+$")] = None) -> dict:
        role, actor = role_of(request, "POST /api/v1/cases/{case_id}/actions")
        user = x_user or actor
        c = act_on_case(store, case_id, data.action, role=role, actor=user, note=data.note,
                        at=dt.datetime.now(dt.timezone.utc), policy=policy, calendar=cal, handler=data.handler,
                        recheck=data.recheck, due=data.due)  # type: ignore[arg-type]
        return {"id": case_id, "state": c.state, "version": c.version}

    submit_roles = ROUTE_ROLES["POST /api/v1/waves/{wave_id}/responses"]

    async def submission_lane(app: Litestar, scope: Any, receive: Any, send: Any) -> Any:
        """POST /api/v1/waves/{wave_id}/responses as the route answers it, for an ordinary
        request (engine/web/lane.py); None or a replaying receive hands it to the route."""
        if scope["method"] != "POST":
            return None
        path = scope["path"]
        if root_path := scope.get("root_path", ""):  # as litestar's router reads the path
            path = path.split(root_path, maxsplit=1)[-1]
        try:
            _, _, _, params, template = app.asgi_router.handle_routing(path=normalize_path(path), method="POST")
        except Exception:
            return None
        if template != _RESPONSES_TEMPLATE:
            return None
        auth = api_key = idem = ctype = host = None
        idem_count = 0
        for name, value in scope["headers"]:
            if name == b"host":
                host = value if host is None else host
            elif name == b"authorization":
                auth = value if auth is None else auth
            elif name == b"x-api-key":
                api_key = value if api_key is None else api_key
            elif name == b"idempotency-key":
                idem, idem_count = value, idem_count + 1
            elif name == b"content-type":
                ctype = value if ctype is None else ctype
        if idem_count > 1 or (idem is not None and not IDEMPOTENCY_KEY.fullmatch(idem)):
            return None
        if host is not None and not is_valid_host(host):  # the router answers 400
            return None
        if ctype is None or not ctype.lower().startswith(b"application/json"):
            return None
        text = (auth or b"").decode("latin-1")
        key = text[7:].strip() if text.lower().startswith("bearer ") else (api_key or b"").decode("latin-1")
        hit = roles.get(key) if key else None
        if hit is None or hit[0] not in submit_roles or time.monotonic() - hit[1] >= KEY_TTL:
            return None  # the route looks the key up, or refuses it
        chunks, more, complete = await read_body(receive, LANE_MAX_BODY)
        if not complete:
            return replay(chunks, more, receive)
        try:
            data = _SUBMISSION.decode(b"".join(chunks))
            wave_id = params["wave_id"]
            answers, attributes = checker.check(wave_id, data.answers, data.attributes, token=data.token,
                                                complete=data.complete)
        except Exception:  # the route says what is wrong (400, 404, 422)
            return replay(chunks, more, receive)
        item = submission_item(wave_id, answers, token=data.token, attributes=attributes, mode=data.mode,
                               complete=data.complete, idempotency_key=idem.decode("ascii") if idem else None,
                               entered_by=key[:10])
        try:
            r = await writes.submit(item)
        except Exception as e:  # a refusal (409, 404): as the route's exception handler makes it
            scope["app"] = scope["litestar_app"] = app
            scope.setdefault("state", {})
            problem = errors.handle(Request(scope), e)
            await send_json(app, scope, send, problem.status_code, problem.content, errors.PROBLEM.encode())
            return True
        await send_json(app, scope, send, 201, {"id": r.id, "status": r.status})
        return True

    app = ManyiApp(
        route_handlers=[publish, create_wave, open_wave, close_wave, invite, submit, list_responses, rate, rate_batch,
                        report_transactions, metrics, get_case, act, survey_pages(store, secret=key_secret),
                        *io_routes(store, allow), *rating_page_routes(store, policy, cal, writes, secret=key_secret),
                        *([leader_pages(store, secret=key_secret, folder=Path(reports))] if reports else [])],
        exception_handlers={Exception: errors.handle},
        openapi_config=OpenAPIConfig(title="manyi API", version="1"),
        on_app_init=[contract.document, security.protect],
        on_startup=[settle_heap, writes.start], on_shutdown=[writes.stop, unsettle_heap],
        state=State({"writes": writes}),
    )
    app.lanes = (submission_lane,)
    document_downloads(app)
    return app
