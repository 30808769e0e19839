"""The printable sheet of invitation QR codes: cards of one community, eight to an A4 page,
each with its QR code (inline SVG made by the caller), the link written out and a short
instruction. All layout is print CSS; fonts are local (Noto Sans CJK), nothing is fetched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

__all__ = ["QrCard", "QrSheetContext", "render_html", "render_pdf"]

HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class QrCard:
    url: str
    svg: str        # the QR code as an <svg> element
    code: str       # what a person types if they cannot scan (the token)
    number: int


@dataclass(frozen=True, slots=True)
class QrSheetContext:
    survey_title: str
    wave_title: str
    community: str
    instruction: str
    footer: str
    cards: tuple[QrCard, ...]
    lang: str = "zh"


def render_html(ctx: QrSheetContext) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), autoescape=jinja2.select_autoescape(["html"]))
    css = (HERE / "sheet.css").read_text(encoding="utf-8")
    return env.get_template("sheet.html").render(ctx=ctx, css=css)


def render_pdf(ctx: QrSheetContext) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(ctx), base_url=str(HERE)).write_pdf()
