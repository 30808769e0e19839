"""The resident survey pages and interviewer entry (server-rendered, no JavaScript needed).

    /s/{key}                  landing: start, or continue a saved response (any browser)
    /s/{key}/p/{section}      one section per page; POST saves it (next / back / save for later)
    /s/{key}/review           every answer, with links to change; POST /s/{key}/submit completes
    /s/{key}/done             thank-you page (shown after the commit)
    /w/{wave_id}[?c=...]      open link of a wave, with its per-device and per-address limits
    /staff/login, /staff      interviewers sign in and enter answers for a respondent

`key` is an invitation token or the random key of an open-link or interviewer session; the
response in progress is stored server-side (engine.storage.drafts). Every POST carries a CSRF
token; every answer is POST-redirect-GET. Kept out of the OpenAPI document (not API routes)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
import secrets
from urllib.parse import quote
from typing import Annotated, Any

import msgspec

import jinja2
from litestar import MediaType, Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from ..form_runtime import FormRuntime
from ..loader import loads
from ..storage import Conflict, NotFound, Store
from ..storage.drafts import (
    Draft, QuotaFull, complete_draft, find_draft, new_draft_key, open_waves, quota_status, save_draft, start_draft,
    started_by,
)
from ..storage.users import StaffUser, authenticate, get_user
from ._page_security import DEVICE, SECURITY_HEADERS, STAFF, PageContext, PageSecurity, safe_next
from ._survey_view import question_views, review_sections, texts

__all__ = ["survey_pages", "STAFF_ROLES", "WaveLimits", "WaveQuotas"]

log = logging.getLogger("manyi.pages")
HERE = Path(__file__).parent
#: roles that may enter answers as interviewers
STAFF_ROLES = ("admin", "evaluator")
#: roles that sign in only to read reports (the leaders' pages)
READER_ROLES = ("leader",)

Count = Annotated[int, msgspec.Meta(ge=0)]


class WaveLimits(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Settings of a wave's open link /w/{wave_id}: off unless `open_link`; how many responses
    one device (cookie) and one address may start; communities an open link may name (?c=)."""

    open_link: bool = False
    per_device: Count | None = None
    per_address: Count | None = None
    communities: list[str] = []


class WaveQuotas(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Completed responses wanted per community and per stratum; a full group closes politely."""

    community: dict[str, Count] = {}
    stratum: dict[str, Count] = {}


def survey_pages(store: Store, *, secret: bytes) -> Router:
    sec = PageSecurity(secret)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    css = (HERE / "static" / "survey.css").read_text(encoding="utf-8")
    runtimes: dict[int, FormRuntime] = {}

    def runtime(version_id: int) -> FormRuntime:
        if version_id not in runtimes:
            runtimes[version_id] = FormRuntime(loads(store.questionnaire_source(version_id), expect="questionnaire"))
        return runtimes[version_id]

    # -- responses ---------------------------------------------------------------------------------
    def context(request: Request) -> PageContext:
        return sec.context(request.cookies, request.query_params, request.url.path, request.url.scheme)

    def render(ctx: PageContext, template: str, *, status: int = 200, title: str = "", **values: Any) -> Response:
        t = texts(ctx.lang)
        links = {"lang": f"{ctx.path}?lang={'zh' if ctx.lang == 'en' else 'en'}",
                 "large": f"{ctx.path}?large={'0' if ctx.large else '1'}"}
        html = env.get_template(template).render(t=t, lang=ctx.lang, large=ctx.large, links=links,
                                                 page_title=title or t["brand"], csrf=sec.csrf(ctx.sid), **values)
        return Response(html, status_code=status, media_type=MediaType.HTML, headers=SECURITY_HEADERS,
                        cookies=ctx.cookies)

    def message(ctx: PageContext, kind: str, *, status: int = 200, link: dict | None = None,
                resume_link: str | None = None, extra: list[str] | None = None) -> Response:
        t = texts(ctx.lang)
        return render(ctx, "message.html", status=status, title=t[f"{kind}_title"], heading=t[f"{kind}_title"],
                      paragraphs=[t[f"{kind}_text"], *(extra or [])], link=link, resume_link=resume_link)

    def redirect(ctx: PageContext, path: str) -> Redirect:
        return Redirect(path, status_code=303, headers=SECURITY_HEADERS, cookies=ctx.cookies)

    async def form_of(request: Request) -> dict[str, list[str]]:
        data = await request.form()
        return {k: [str(v) for v in data.getall(k)] for k in data.keys()}

    def staff_of(request: Request) -> StaffUser | None:
        uid = sec.staff_user_id(request.cookies.get(STAFF))
        user = get_user(store, uid) if uid is not None else None
        return user if user is not None and user.role in STAFF_ROLES else None

    def interviewer_banner(ctx: PageContext, draft: Draft) -> str | None:
        return texts(ctx.lang)["interviewer"].format(name=draft.entered_by) if draft.mode == "interviewer" else None

    def guard(request: Request, ctx: PageContext, draft: Draft) -> Response | None:
        """An interviewer's response is continued by signed-in staff only."""
        if draft.mode == "interviewer" and staff_of(request) is None:
            return redirect(ctx, f"/staff/login?next={request.url.path}")
        return None

    def first_section(form: FormRuntime, draft: Draft) -> str:
        return form.visible_sections(draft.answers, draft.attributes)[0].id

    def client_keys(request: Request, ctx: PageContext) -> tuple[str, str]:
        device = request.cookies.get(DEVICE, "")
        if len(device) < 20:
            device = secrets.token_urlsafe(24)
            ctx.set(DEVICE, device)
        host = request.client.host if request.client else "unknown"
        return sec.keyed("device", device), sec.keyed("address", host)

    # -- invitation links and the pages of a response ---------------------------------------------------
    @get("/s/{key:str}")
    async def landing(request: Request, key: FromPath[str]) -> Response:
        ctx = context(request)
        draft = find_draft(store, key)
        if draft is not None:
            if (blocked := guard(request, ctx, draft)) is not None:
                return blocked
            if draft.status == "complete":
                return message(ctx, "used")
            if store.wave(draft.wave_id)["status"] != "open":
                return message(ctx, "closed")
            form = runtime(draft.questionnaire_version_id)
            page = draft.paradata.get("page") or first_section(form, draft)
            return render(ctx, "landing.html", title=form.q.title.get(ctx.lang), survey_title=form.q.title.get(ctx.lang),
                          description=form.q.description.get(ctx.lang) if form.q.description else None,
                          resume_href=f"/s/{key}/p/{page}", interviewer=interviewer_banner(ctx, draft))
        try:
            inv = store.invitation(key)
        except NotFound:
            return message(ctx, "invalid", status=404)
        if inv["used"]:
            return message(ctx, "used")
        wave = store.wave(inv["wave_id"])
        if wave["status"] != "open":
            return message(ctx, "closed")
        if quota_status(store, wave["id"], community=inv["community"], stratum=inv["stratum"]) is not None:
            return message(ctx, "quota")
        form = runtime(wave["questionnaire_version_id"])
        return render(ctx, "landing.html", title=form.q.title.get(ctx.lang), survey_title=form.q.title.get(ctx.lang),
                      description=form.q.description.get(ctx.lang) if form.q.description else None,
                      start_action=f"/s/{key}/start")

    @post("/s/{key:str}/start", status_code=303)
    async def start(request: Request, key: FromPath[str]) -> Response:
        ctx = context(request)
        if not sec.csrf_ok(request.cookies, await form_of(request)):
            return message(ctx, "csrf", status=403)
        draft = find_draft(store, key)
        if draft is None:
            try:
                inv = store.invitation(key)
            except NotFound:
                return message(ctx, "invalid", status=404)
            device, address = client_keys(request, ctx)
            try:
                draft = start_draft(store, key, wave_id=inv["wave_id"], invitation=True, device_key=device,
                                    address_key=address, paradata={"lang": ctx.lang})
            except QuotaFull:
                return message(ctx, "quota")
            except Conflict:
                return message(ctx, "used" if inv["used"] else "closed", status=409)
        if draft.status == "complete":
            return message(ctx, "used")
        return redirect(ctx, f"/s/{key}/p/{first_section(runtime(draft.questionnaire_version_id), draft)}")

    def page_response(ctx: PageContext, key: str, draft: Draft, form: FormRuntime, section_id: str, *,
                      answers: dict, raw: dict, errors: dict, notice: str | None = None, status: int = 200) -> Response:
        sections = form.visible_sections(answers, draft.attributes)
        ids = [s.id for s in sections]
        section = form.section(section_id)
        index = ids.index(section_id)
        before = sum(len(form.visible_questions(s, answers, draft.attributes)) for s in sections[:index])
        views = question_views(form, section, answers, draft.attributes, raw=raw, errors=errors, lang=ctx.lang,
                               first_number=before + 1)
        shown = [v["id"] for v in views] + [it["id"] for v in views for it in v.get("matrix_items", [])]
        error_list = []
        for v in views:
            if v["error"]:
                error_list.append({"anchor": f"q-{v['id']}", "label": texts(ctx.lang)["question_n"].format(n=v["number"]),
                                   "message": v["error"]})
        t = texts(ctx.lang)
        return render(ctx, "page.html", status=status, title=f"{section.title.get(ctx.lang)} - {form.q.title.get(ctx.lang)}",
                      section_title=section.title.get(ctx.lang),
                      section_intro=section.intro.get(ctx.lang) if section.intro else None,
                      progress=t["page_of"].format(n=index + 1, total=len(ids)), questions=views,
                      error_list=error_list, notice=notice, action=f"/s/{key}/p/{section_id}", shown=" ".join(shown),
                      stamp=sec.stamp(), has_back=index > 0, last=index == len(ids) - 1,
                      interviewer=interviewer_banner(ctx, draft))

    def open_draft(request: Request, ctx: PageContext, key: str) -> tuple[Draft | None, Response | None]:
        draft = find_draft(store, key)
        if draft is None:
            return None, redirect(ctx, f"/s/{key}")
        if (blocked := guard(request, ctx, draft)) is not None:
            return None, blocked
        if draft.status == "complete":
            return None, message(ctx, "used")
        if store.wave(draft.wave_id)["status"] != "open":
            return None, message(ctx, "closed")
        return draft, None

    @get("/s/{key:str}/p/{section_id:str}")
    async def page(request: Request, key: FromPath[str], section_id: FromPath[str]) -> Response:
        ctx = context(request)
        draft, stop = open_draft(request, ctx, key)
        if stop is not None:
            return stop
        form = runtime(draft.questionnaire_version_id)
        visible = [s.id for s in form.visible_sections(draft.answers, draft.attributes)]
        if section_id not in visible:
            return redirect(ctx, f"/s/{key}/p/{visible[0]}")
        errors = {}
        if request.query_params.get("check") == "1":
            errors = form.check(form.section(section_id), draft.answers, draft.attributes, {}, lang=ctx.lang)
        return page_response(ctx, key, draft, form, section_id, answers=draft.answers, raw={}, errors=errors,
                             status=422 if errors else 200)

    @post("/s/{key:str}/p/{section_id:str}", status_code=303)
    async def save_page(request: Request, key: FromPath[str], section_id: FromPath[str]) -> Response:
        ctx = context(request)
        fields = await form_of(request)
        if not sec.csrf_ok(request.cookies, fields):
            return message(ctx, "csrf", status=403)
        draft, stop = open_draft(request, ctx, key)
        if stop is not None:
            return stop
        form = runtime(draft.questionnaire_version_id)
        section = form.section(section_id)
        if section is None:
            return redirect(ctx, f"/s/{key}")
        page_answers, raw, parse_errors = form.parse(section, fields)
        own = _section_ids(section)
        answers = {k: v for k, v in draft.answers.items() if k not in own and k.removesuffix("_other") not in own}
        answers.update(page_answers)
        action = (fields.get("_action") or ["next"])[0]
        errors = form.check(section, answers, draft.attributes, parse_errors, lang=ctx.lang, require=action == "next")
        for bad in errors:  # what fails a check is not kept; what was typed is shown again
            answers.pop(bad, None)
        paradata = _paradata(draft.paradata, section_id, sec.elapsed((fields.get("_t") or [""])[0]), ctx,
                             session_tag=sec.keyed("session", ctx.sid)[:12])
        visible = form.visible_sections(answers, draft.attributes)
        ids = [s.id for s in visible]
        shown = set((fields.get("_shown") or [""])[0].split())
        appeared = [v for v in _visible_ids(form, section, answers, draft.attributes) if v not in shown]
        if action == "next" and (errors or appeared) and section_id in ids:
            paradata["page"] = section_id
            draft = save_draft(store, draft.id, answers=answers, paradata=paradata)
            errors = {k: v for k, v in errors.items() if k not in appeared}
            notice = texts(ctx.lang)["new_questions"] if appeared else None
            return page_response(ctx, key, draft, form, section_id, answers=answers, raw=raw, errors=errors,
                                 notice=notice, status=422 if errors else 200)
        here = ids.index(section_id) if section_id in ids else -1
        if action == "back":
            target = f"/s/{key}/p/{ids[here - 1]}" if here > 0 else f"/s/{key}"
            paradata["page"] = ids[here - 1] if here > 0 else section_id
        elif action == "save":
            paradata["page"] = section_id if section_id in ids else ids[0]
            target = None
        else:
            following = [s for s in form.section_ids if s in ids and form.section_ids.index(s) > form.section_ids.index(section_id)]
            paradata["page"] = following[0] if following else section_id
            target = f"/s/{key}/p/{following[0]}" if following else f"/s/{key}/review"
        save_draft(store, draft.id, answers=answers, paradata=paradata)
        if target is None:
            base = str(request.base_url).rstrip("/")
            return message(ctx, "saved", resume_link=f"{base}/s/{key}",
                           link={"href": f"/s/{key}/p/{paradata['page']}", "text": texts(ctx.lang)["continue"]})
        return redirect(ctx, target)

    @get("/s/{key:str}/review")
    async def review(request: Request, key: FromPath[str]) -> Response:
        ctx = context(request)
        draft, stop = open_draft(request, ctx, key)
        if stop is not None:
            return stop
        form = runtime(draft.questionnaire_version_id)
        sections = review_sections(form, draft.answers, draft.attributes, lang=ctx.lang,
                                   href=lambda sid: f"/s/{key}/p/{sid}")
        return render(ctx, "review.html", title=texts(ctx.lang)["review_heading"], sections=sections,
                      action=f"/s/{key}/submit", interviewer=interviewer_banner(ctx, draft))

    @post("/s/{key:str}/submit", status_code=303)
    async def submit(request: Request, key: FromPath[str]) -> Response:
        ctx = context(request)
        if not sec.csrf_ok(request.cookies, await form_of(request)):
            return message(ctx, "csrf", status=403)
        already = find_draft(store, key)
        if already is not None and already.status == "complete":  # a second click on submit
            return redirect(ctx, f"/s/{key}/done")
        draft, stop = open_draft(request, ctx, key)
        if stop is not None:
            return stop
        form = runtime(draft.questionnaire_version_id)
        problems = form.check_all(draft.answers, draft.attributes, lang=ctx.lang)
        if problems:
            return redirect(ctx, f"/s/{key}/p/{next(iter(problems))}?check=1")
        try:
            complete_draft(store, draft.id, answers=form.clean(draft.answers, draft.attributes),
                           paradata={**draft.paradata, "lang": ctx.lang})
        except QuotaFull:
            return message(ctx, "quota")
        except Conflict:
            closed = store.wave(draft.wave_id)["status"] != "open"
            return message(ctx, "closed" if closed else "used", status=409)
        return redirect(ctx, f"/s/{key}/done")  # after the commit: the answers are durable

    @get("/s/{key:str}/done")
    async def done(request: Request, key: FromPath[str]) -> Response:
        ctx = context(request)
        draft = find_draft(store, key)
        if draft is None or draft.status != "complete":
            return redirect(ctx, f"/s/{key}")
        link = {"href": "/staff", "text": texts(ctx.lang)["staff_home"]} if draft.mode == "interviewer" else None
        return message(ctx, "done", link=link)

    # -- open links ----------------------------------------------------------------------------------
    def open_wave(wave_id: str, community: str | None) -> tuple[dict | None, str | None]:
        try:
            wave = store.wave(wave_id)
        except NotFound:
            return None, "invalid"
        if not wave["limits"].get("open_link"):
            return None, "invalid"
        if wave["status"] != "open":
            return None, "closed"
        allowed = set(wave["limits"].get("communities") or []) | set((wave["quotas"] or {}).get("community") or {})
        if community is not None and community not in allowed:
            return None, "invalid"
        if quota_status(store, wave_id, community=community, stratum=None) is not None:
            return None, "quota"
        return wave, None

    def resume_cookie(wave_id: str) -> str:
        return "manyi_r_" + sec.keyed("wave", wave_id)[:12]

    @get("/w/{wave_id:str}")
    async def open_link(request: Request, wave_id: FromPath[str]) -> Response:
        ctx = context(request)
        community = request.query_params.get("c") or None
        wave, why = open_wave(wave_id, community)
        if wave is None:
            return message(ctx, why, status=404 if why == "invalid" else 200)
        client_keys(request, ctx)  # the device cookie, before the start form is posted
        form = runtime(wave["questionnaire_version_id"])
        mine = find_draft(store, request.cookies.get(resume_cookie(wave_id), "") or "-")
        resume = f"/s/{request.cookies[resume_cookie(wave_id)]}" if mine and mine.status == "partial" else None
        action = f"/w/{wave_id}/start" + (f"?c={quote(community)}" if community else "")
        return render(ctx, "landing.html", title=form.q.title.get(ctx.lang), survey_title=form.q.title.get(ctx.lang),
                      description=form.q.description.get(ctx.lang) if form.q.description else None,
                      start_action=action, resume_href=resume)

    @post("/w/{wave_id:str}/start", status_code=303)
    async def open_start(request: Request, wave_id: FromPath[str]) -> Response:
        ctx = context(request)
        if not sec.csrf_ok(request.cookies, await form_of(request)):
            return message(ctx, "csrf", status=403)
        community = request.query_params.get("c") or None
        wave, why = open_wave(wave_id, community)
        if wave is None:
            return message(ctx, why, status=404 if why == "invalid" else 200)
        mine_key = request.cookies.get(resume_cookie(wave_id), "")
        mine = find_draft(store, mine_key) if mine_key else None
        if mine is not None and mine.status == "partial":
            return redirect(ctx, f"/s/{mine_key}")
        device, address = client_keys(request, ctx)
        n_device, n_address, _ = started_by(store, wave_id, device_key=device, address_key=address)
        limits = wave["limits"]
        if limits.get("per_device") is not None and n_device >= int(limits["per_device"]):
            return message(ctx, "device", status=429)
        if limits.get("per_address") is not None and n_address >= int(limits["per_address"]):
            return message(ctx, "address", status=429)
        key = new_draft_key()
        try:
            draft = start_draft(store, key, wave_id=wave_id, invitation=False, community=community, device_key=device,
                                address_key=address, paradata={"lang": ctx.lang, "link": "open"})
        except QuotaFull:
            return message(ctx, "quota")
        ctx.set(resume_cookie(wave_id), key, max_age=30 * 24 * 3600)
        return redirect(ctx, f"/s/{key}/p/{first_section(runtime(draft.questionnaire_version_id), draft)}")

    # -- staff: interviewer entry -------------------------------------------------------------------
    @get("/staff/login")
    async def login_form(request: Request) -> Response:
        ctx = context(request)
        return render(ctx, "staff_login.html", title=texts(ctx.lang)["staff_login"],
                      next=safe_next(request.query_params.get("next")))

    @post("/staff/login", status_code=303)
    async def login(request: Request) -> Response:
        ctx = context(request)
        fields = await form_of(request)
        if not sec.csrf_ok(request.cookies, fields):
            return message(ctx, "csrf", status=403)
        one = lambda k: (fields.get(k) or [""])[0]  # noqa: E731
        user = authenticate(store, one("username"), one("password"))
        t = texts(ctx.lang)
        if user is None or user.role not in STAFF_ROLES + READER_ROLES:
            return render(ctx, "staff_login.html", status=401, title=t["staff_login"], next=safe_next(one("next")),
                          error=t["login_failed"] if user is None else t["not_allowed"])
        ctx.set(STAFF, sec.staff_cookie(user.id), max_age=12 * 3600)
        return redirect(ctx, safe_next(one("next")))

    @post("/staff/logout", status_code=303)
    async def logout(request: Request) -> Response:
        ctx = context(request)
        if not sec.csrf_ok(request.cookies, await form_of(request)):
            return message(ctx, "csrf", status=403)
        ctx.clear(STAFF)
        return redirect(ctx, "/staff/login")

    @get("/staff")
    async def staff_home(request: Request) -> Response:
        ctx = context(request)
        user = staff_of(request)
        if user is None:
            return redirect(ctx, "/staff/login?next=/staff")
        t = texts(ctx.lang)
        return render(ctx, "staff_home.html", title=t["staff_home"], waves=open_waves(store),
                      signed_in=t["signed_in"].format(name=user.display_name or user.username))

    @post("/staff/interviews", status_code=303)
    async def start_interview(request: Request) -> Response:
        ctx = context(request)
        fields = await form_of(request)
        if not sec.csrf_ok(request.cookies, fields):
            return message(ctx, "csrf", status=403)
        user = staff_of(request)
        if user is None:
            return redirect(ctx, "/staff/login?next=/staff")
        one = lambda k: (fields.get(k) or [""])[0].strip()  # noqa: E731
        wave_id, token, community = one("wave_id"), one("token"), one("community") or None
        try:
            if token:
                inv = store.invitation(token)
                if inv["wave_id"] != wave_id:
                    raise NotFound("no such invitation for this wave")
                key = token
                draft = start_draft(store, key, wave_id=wave_id, invitation=True, mode="interviewer",
                                    entered_by=user.username, paradata={"lang": ctx.lang})
            else:
                key = new_draft_key()
                draft = start_draft(store, key, wave_id=wave_id, invitation=False, mode="interviewer",
                                    entered_by=user.username, community=community, paradata={"lang": ctx.lang})
        except QuotaFull:
            return message(ctx, "quota")
        except NotFound:
            return message(ctx, "invalid", status=404)
        except Conflict:
            return message(ctx, "used", status=409)
        if draft.status == "complete":
            return message(ctx, "used")
        return redirect(ctx, f"/s/{key}/p/{first_section(runtime(draft.questionnaire_version_id), draft)}")

    @get("/static/survey.css")
    async def stylesheet() -> Response:
        return Response(css, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    def on_error(request: Request, exc: Exception) -> Response:
        ctx = context(request)
        if isinstance(exc, NotFound):
            return message(ctx, "invalid", status=404)
        log.exception("survey page %s failed", request.url.path, exc_info=exc)
        return message(ctx, "error", status=500)

    return Router(path="/", include_in_schema=False, exception_handlers={Exception: on_error},
                  route_handlers=[landing, start, page, save_page, review, submit, done, open_link, open_start,
                                  login_form, login, logout, staff_home, start_interview, stylesheet])


def _section_ids(section: Any) -> set[str]:
    ids = set()
    for qu in section.questions:
        ids.add(qu.id)
        ids.update(it.id for it in getattr(qu, "items", []) or [])
    return ids


def _visible_ids(form: FormRuntime, section: Any, answers: dict, attributes: dict) -> list[str]:
    out = []
    for qu in form.visible_questions(section, answers, attributes):
        out.append(qu.id)
        if qu.kind == "matrix":
            out.extend(it.id for it in form.visible_items(qu, answers, attributes))
    return out


def _paradata(old: dict, section_id: str, seconds: float | None, ctx: PageContext, *, session_tag: str) -> dict:
    """Per-page time (seconds between showing a page and posting it, summed over visits), the
    number of visits, the sessions the response was worked on in (resumes), and the language."""
    p = json.loads(json.dumps(old))  # a copy
    pages = p.setdefault("pages", {})
    entry = pages.setdefault(section_id, {"seconds": 0.0, "visits": 0})
    entry["visits"] += 1
    if seconds is not None:
        entry["seconds"] = round(entry["seconds"] + seconds, 3)
    sessions = p.setdefault("sessions", [])
    if session_tag not in sessions:
        sessions.append(session_tag)
    p["lang"] = ctx.lang
    p["large_text"] = ctx.large
    return p

