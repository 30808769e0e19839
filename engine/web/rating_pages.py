"""The resident's rating page (issue 6): a QR code on a receipt or at a window opens the
rating of that transaction at /r/{token}; two taps rate it (a level, then 提交 on the page of
that level's reason tags and an optional comment). Server-rendered, no JavaScript needed;
zh by default, en with ?lang=en; large text with ?large=1; CSRF protection by a signed
double-submit cookie; the thank-you page is sent after the commit that holds the rating.

The token is the transaction number signed with the deployment's secret (HMAC-SHA256, 96
bits): it cannot be guessed or altered, and it carries nothing personal. The transaction must
have been reported by its service system (POST /api/v1/transactions): its region, hall,
window, staff and finish time come from there, not from the resident."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

import msgspec
import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, URLEncodedBody
from sqlalchemy import select

from ..calendar import Calendar
from ..errors import ManyiError
from ..haocha.intake import RatingIn, RatingRejected, accept_rating
from ..schema import Policy
from ..storage import Conflict, Store
from ..storage.models import ServiceTransaction

__all__ = ["rating_page_routes", "make_token", "read_token", "rating_url", "qr_svg"]

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

CSRF_COOKIE, DEVICE_COOKIE = "mny_csrf", "mny_dev"

UI = {
    "zh": {"title": "服务评价", "how": "请为本次服务评价", "item": "办件", "hall": "大厅", "window": "窗口",
           "tags": "您的评价理由（可多选）", "text": "其他意见（选填）", "submit": "提交评价",
           "change": "重新选择", "thanks": "感谢您的评价！", "saved": "您的评价已提交。",
           "bad_followup": "我们会尽快联系核实并整改。", "already": "该办件已评价过",
           "not_found": "未找到该办件，请核对二维码。", "refused": "评价未能提交", "forbidden":
           "页面已过期，请重新打开评价页面。", "large": "大字模式", "normal": "标准字号", "lang": "English",
           "other_lang": "en", "chosen": "您的选择"},
    "en": {"title": "Rate this service", "how": "How was this service?", "item": "Transaction", "hall": "Hall",
           "window": "Window", "tags": "Why? (choose any)", "text": "Other comments (optional)",
           "submit": "Submit", "change": "Choose again", "thanks": "Thank you for your rating!",
           "saved": "Your rating has been recorded.", "bad_followup": "We will contact you and put it right.",
           "already": "This service has already been rated", "not_found":
           "No such transaction: please check the QR code.", "refused": "The rating was not accepted",
           "forbidden": "This page has expired: please open the rating page again.", "large": "Large text",
           "normal": "Normal text", "lang": "中文", "other_lang": "zh", "chosen": "Your choice"},
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sig(secret: bytes, purpose: bytes, data: bytes, n: int = 12) -> bytes:
    return hmac.new(secret, purpose + b"\0" + data, hashlib.sha256).digest()[:n]


def make_token(transaction_no: str, secret: bytes) -> str:
    raw = transaction_no.encode("utf-8")
    return f"{_b64(raw)}.{_b64(_sig(secret, b'rate', raw))}"


def read_token(token: str, secret: bytes) -> str | None:
    """The transaction number of a well-signed token; None for anything else."""
    try:
        body, sig = token.split(".", 1)
        raw = _unb64(body)
        if not hmac.compare_digest(_unb64(sig), _sig(secret, b"rate", raw)):
            return None
        return raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def rating_url(base_url: str, transaction_no: str, secret: bytes) -> str:
    return f"{base_url.rstrip('/')}/r/{make_token(transaction_no, secret)}"


def qr_svg(url: str, *, scale: int = 4) -> str:
    """The QR code of a rating link as inline SVG (error correction M, for print on receipts)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=scale, title="评价二维码")


def _csrf(secret: bytes, cookie: str, token: str) -> str:
    return _b64(_sig(secret, b"csrf", f"{cookie}|{token}".encode(), 16))


def _qr_adapter(policy: Policy) -> tuple[str, dict[int, str], str]:
    """An adapter with a QR-code channel, read in the other direction: level -> code."""
    for a in policy.adapters:
        qr = [code for code, ch in a.channels.items() if ch == "qr_code"]
        if qr:
            return a.id, {lv: code for code, lv in a.levels.items()}, qr[0]
    raise ManyiError(f"policy '{policy.id}' has no adapter with a qr_code channel; the rating page needs one")


def rating_page_routes(store: Store, policy: Policy, calendar: Calendar, writes: Any, *, secret: bytes) -> list:
    """The page handlers, for create_app's route list (not in the OpenAPI document)."""
    adapter, level_codes, qr_channel = _qr_adapter(policy)
    levels = sorted(policy.levels, key=lambda lv: -lv.level)

    def transaction(no: str) -> dict | None:
        with store.engine.connect() as c:
            row = c.execute(select(ServiceTransaction.__table__).where(
                ServiceTransaction.transaction_no == no)).first()
        return dict(row._mapping) if row is not None else None

    def ctx(request: Request, token: str, **more: Any) -> dict:
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        large = request.query_params.get("large") == "1"
        return {"lang": lang, "large": large, "t": UI[lang], "token": token, **more}

    def page(name: str, context: dict, status: int = 200, cookies: list[Cookie] | None = None) -> Response:
        html = _env.get_template(f"rating/{name}.html").render(**context)
        return Response(html, status_code=status, media_type="text/html; charset=utf-8", cookies=cookies or [])

    def cookies_for(request: Request) -> tuple[str, str, list[Cookie]]:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16)
        dev = request.cookies.get(DEVICE_COOKIE) or secrets.token_urlsafe(16)
        new = []
        if CSRF_COOKIE not in request.cookies:
            new.append(Cookie(key=CSRF_COOKIE, value=csrf, httponly=True, samesite="lax", path="/r/"))
        if DEVICE_COOKIE not in request.cookies:
            new.append(Cookie(key=DEVICE_COOKIE, value=dev, httponly=True, samesite="lax", path="/r/",
                              max_age=365 * 86400))
        return csrf, dev, new

    def level_view(lang: str, lv) -> dict:
        return {"level": lv.level, "label": lv.label.get(lang), "bucket": lv.bucket}

    @get("/r/{token:str}", include_in_schema=False)
    async def rating_page(request: Request, token: FromPath[str]) -> Response:
        no = read_token(token, secret)
        tx = transaction(no) if no is not None else None
        c = ctx(request, token)
        if tx is None:
            return page("message", {**c, "heading": c["t"]["not_found"], "detail": ""}, 404)
        csrf, _, new = cookies_for(request)
        chosen = request.query_params.get("level")
        by_level = {lv.level: lv for lv in levels}
        if chosen is not None and chosen.isdigit() and int(chosen) in by_level:
            lv = by_level[int(chosen)]
            tags = [{"code": t.code, "label": t.label.get(c["lang"])} for t in policy.reason_tags
                    if lv.level in t.levels]
            return page("details", {**c, "tx": tx, "chosen": level_view(c["lang"], lv), "tags": tags,
                                    "csrf": _csrf(secret, csrf, token)}, cookies=new)
        return page("levels", {**c, "tx": tx, "levels": [level_view(c["lang"], lv) for lv in levels]}, cookies=new)

    @post("/r/{token:str}", include_in_schema=False, status_code=200)
    async def rate_by_page(request: Request, token: FromPath[str], data: URLEncodedBody[dict[str, Any]]) -> Response:
        no = read_token(token, secret)
        tx = transaction(no) if no is not None else None
        c = ctx(request, token)
        if tx is None:
            return page("message", {**c, "heading": c["t"]["not_found"], "detail": ""}, 404)
        cookie = request.cookies.get(CSRF_COOKIE)
        sent = data.get("csrf")
        if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, _csrf(secret, cookie, token)):
            return page("message", {**c, "heading": c["t"]["forbidden"], "detail": "", "again": True}, 403)
        tags = data.get("tags") or []
        tags = [tags] if isinstance(tags, str) else list(tags)
        text = (data.get("text") or "").strip() or None
        level = str(data.get("level", ""))
        if not level.isdigit() or int(level) not in level_codes:
            return page("message", {**c, "heading": c["t"]["refused"], "detail": "level", "again": True}, 422)
        finished = tx["finished_at"] if tx["finished_at"].tzinfo else tx["finished_at"].replace(tzinfo=dt.timezone.utc)
        body = {"transaction_no": no, "adapter": adapter, "level_code": level_codes[int(level)],
                "channel_code": qr_channel, "region_code": tx["region_code"], "item_code": tx["item_code"],
                "department_code": tx["department_code"], "hall": tx["hall"], "window": tx["window"],
                "staff_id": tx["staff_id"], "device_id": request.cookies.get(DEVICE_COOKIE), "reason_tags": tags,
                "text": text, "finished_at": finished, "rated_at": dt.datetime.now(dt.timezone.utc)}
        try:
            data_in = msgspec.convert({k: v for k, v in body.items() if v is not None}, RatingIn)
            probe = accept_rating(data_in, policy, calendar, secret=secret)
            _, case = await writes.rate(data_in, probe)  # answered after the commit
        except Conflict:
            return page("message", {**c, "heading": c["t"]["already"], "detail": ""}, 409)
        except RatingRejected as e:
            return page("message", {**c, "heading": c["t"]["refused"], "detail": str(e), "again": e.status != 409},
                        e.status)
        except msgspec.ValidationError as e:
            return page("message", {**c, "heading": c["t"]["refused"], "detail": str(e), "again": True}, 422)
        return page("done", {**c, "bad": probe.bucket == "bad"})

    return [rating_page, rate_by_page]
