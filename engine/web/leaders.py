"""The leaders' pages: the reports of a folder (the national report as HTML, the PDFs beside
it), for staff signed in at /staff/login as leader, evaluator or admin.

    /leaders             the list of reports
    /leaders/{name}      one report: HTML as a page, PDF as a download
"""

from __future__ import annotations

import html
from pathlib import Path

from litestar import MediaType, Request, Response, Router, get
from litestar.params import FromPath
from litestar.response import File, Redirect

from ..storage import Store
from ..storage.users import get_user
from ._page_security import SECURITY_HEADERS, STAFF, PageSecurity

__all__ = ["leader_pages", "READERS"]

READERS = ("admin", "evaluator", "leader")
#: a report page carries its own inline print CSS and inline SVG charts, and nothing else
REPORT_HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'")}
TITLES = {"national_report": "满意度调查报告", "scorecards": "社区评分卡", "ratings": "好差评月度报告"}


def leader_pages(store: Store, *, secret: bytes, folder: Path) -> Router:
    sec = PageSecurity(secret)

    def reader(request: Request) -> bool:
        uid = sec.staff_user_id(request.cookies.get(STAFF))
        user = get_user(store, uid) if uid is not None else None
        return user is not None and user.role in READERS

    def files() -> list[Path]:
        return sorted(p for p in folder.glob("*") if p.suffix in (".html", ".pdf") and p.is_file())

    @get("/leaders")
    async def index(request: Request) -> Response:
        if not reader(request):
            return Redirect("/staff/login?next=/leaders", status_code=303, headers=SECURITY_HEADERS)
        rows = []
        for p in files():
            label = next((t for k, t in TITLES.items() if p.stem.startswith(k)), p.stem)
            kind = "网页" if p.suffix == ".html" else "PDF"
            rows.append(f'<li><a href="/leaders/{html.escape(p.name)}">{html.escape(label)}（{kind}）</a> '
                        f'<small>{html.escape(p.name)}</small></li>')
        body = ("<!doctype html><html lang=zh><meta charset=utf-8><meta name=viewport content='width=device-width'>"
                "<title>评价报告</title><style>body{font:18px/1.6 sans-serif;margin:2rem;color:#1a1a1a}"
                "a{color:#0b4f8a}</style><h1>评价报告</h1><ul>" + "".join(rows) + "</ul></html>")
        return Response(body, media_type=MediaType.HTML, headers=REPORT_HEADERS)

    @get("/leaders/{name:str}")
    async def report(request: Request, name: FromPath[str]) -> Response:
        if not reader(request):
            return Redirect(f"/staff/login?next=/leaders/{name}", status_code=303, headers=SECURITY_HEADERS)
        match = next((p for p in files() if p.name == name), None)  # only files listed, never a path
        if match is None:
            return Response("没有这份报告", status_code=404, media_type=MediaType.TEXT, headers=SECURITY_HEADERS)
        if match.suffix == ".pdf":
            return File(match, filename=match.name, media_type="application/pdf", headers=SECURITY_HEADERS)
        return Response(match.read_text(encoding="utf-8"), media_type=MediaType.HTML, headers=REPORT_HEADERS)

    return Router("/", route_handlers=[index, report], include_in_schema=False)
