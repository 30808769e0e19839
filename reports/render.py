"""Contexts -> HTML (Jinja2) -> PDF (WeasyPrint), with nothing fetched at render time.

Fonts are the local Noto Sans CJK (fonts-noto-cjk, found by fontconfig); the print CSS is
read from this package and inlined; charts are inline SVG. The URL fetcher refuses
everything but `data:` URLs, so a stray `http://` in a template fails the render loudly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from . import charts, fmt
from .context import NationalReport, ScorecardBatch
from .rating_context import MonthlyRatingReport
from .labels import METHODS, STATES, labels
from .rows import GLOBALS
from .summary import monthly_sentences, summary_sentences

__all__ = ["render_html", "render_pdf", "render_document", "html_to_pdf", "refuse_network",
           "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def refuse_network():
    """A WeasyPrint URL fetcher that fetches nothing but inline `data:` URLs; anything else
    stops the render (FatalURLFetchingError)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher  # noqa: PLC0415

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise FatalURLFetchingError(f"reports fetch nothing at render time; refused {url[:80]!r}")

    return LocalOnly(allowed_protocols={"data"}, fail_on_errors=True)


PUNCT = {"zh": {"sp": "\u3000", "lp": "（", "rp": "）", "semi": "；", "comma": "，"},
         "en": {"sp": "\u2002", "lp": " (", "rp": ")", "semi": "; ", "comma": ", "}}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(idx=fmt.index, iv=fmt.interval, pct=fmt.share, p=fmt.pvalue, num=fmt.number,
                       signed=fmt.signed, count=fmt.count, css_str=_css_str, svg_uri=_svg_uri)
    env.globals.update(fmt=fmt, charts=charts, stars=_stars, **GLOBALS)
    return env


@lru_cache(maxsize=2)
def _css(name: str = "print.css") -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _svg_uri(svg: str) -> str:
    """An SVG as a data: URL for <img> (one element to style instead of one per shape)."""
    import base64
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _css_str(s: str) -> str:
    """A CSS string literal (quotes and backslashes escaped)."""
    return '"' + str(s).replace("\\", "\\5c ").replace('"', "\\22 ").replace("\n", " ") + '"'


def _stars(p: float) -> str:
    if not (p == p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _template(context: Any) -> str:
    if isinstance(context, NationalReport):
        return "national.html"
    if isinstance(context, ScorecardBatch):
        return "scorecards.html"
    if isinstance(context, MonthlyRatingReport):
        return "monthly.html"
    raise TypeError(f"context must be a NationalReport, ScorecardBatch or MonthlyRatingReport; "
                    f"got {type(context).__name__}")


def render_html(context: NationalReport | ScorecardBatch | MonthlyRatingReport) -> str:
    """The report as one HTML document: print CSS inlined (with screen rules, so the same
    document serves as the web app's page), charts inline; it refers to nothing outside."""
    L = labels(context.lang)
    extra: dict[str, Any] = {}
    if isinstance(context, NationalReport):
        extra["summary"] = summary_sentences(context)
    elif isinstance(context, MonthlyRatingReport):
        extra["summary"] = monthly_sentences(context)
    return _env().get_template(_template(context)).render(
        c=context, L=L, P=PUNCT[context.lang], methods=METHODS[context.lang], states=STATES[context.lang],
        lang=context.lang, zh=context.lang == "zh",
        css=_css("cards.css" if isinstance(context, ScorecardBatch) else "print.css"),
        level=f"{100 * context.confidence_level:g}%",
        quadrants={q: L["q_" + q] for q in ("keep", "fix_first", "low_priority", "possible_overkill")}, **extra)


#: WeasyPrint's user-agent rules for pseudo-elements that match every element. Each makes a
#: computed style per element of the document (six per element), whether or not the element
#: is a list item or holds a footnote; documents without lists, footnotes or notes (the
#: scorecards) lay out a third faster without them.
_EVERY_ELEMENT_PSEUDO = ("marker", "footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback")


@lru_cache(maxsize=1)
def _lean_html_class():
    """weasyprint.HTML whose user-agent stylesheet lacks the rules of _EVERY_ELEMENT_PSEUDO
    (WeasyPrint asks an HTML document for its UA stylesheets through `_ua_stylesheets`)."""
    import re  # noqa: PLC0415

    import weasyprint  # noqa: PLC0415
    from weasyprint.html import UA  # noqa: PLC0415  (the text of WeasyPrint's html5_ua.css)

    rule = re.compile(r"^::(%s)\s*\{[^}]*\}[ \t]*$" % "|".join(_EVERY_ELEMENT_PSEUDO), re.M)
    lean, dropped = rule.subn("", UA)
    if dropped != len(_EVERY_ELEMENT_PSEUDO) or not hasattr(weasyprint.HTML, "_ua_stylesheets"):
        return weasyprint.HTML  # another WeasyPrint: its own stylesheet (correct, only slower)
    sheet = weasyprint.CSS(string=lean)

    class LeanHTML(weasyprint.HTML):
        def _ua_stylesheets(self, forms=False):
            return [sheet]

    return LeanHTML


def render_document(html: str, *, lean: bool = False, font_config=None, **options: Any):
    """WeasyPrint's laid-out document of an HTML string (no base URL: nothing to resolve).
    lean=True: for documents without lists, footnotes or notes (see _lean_html_class).
    font_config: a weasyprint FontConfiguration shared by the documents of one batch."""
    import weasyprint  # noqa: PLC0415  (heavy; only when a PDF is made)

    cls = _lean_html_class() if lean else weasyprint.HTML
    return cls(string=html, url_fetcher=refuse_network()).render(font_config=font_config, **options)


def html_to_pdf(html: str, target: str | Path | None = None, **options: Any) -> bytes | None:
    """Write the PDF of an HTML string (to `target`, or return the bytes)."""
    return render_document(html, **options).write_pdf(target, **options)


def render_pdf(context: NationalReport | ScorecardBatch | MonthlyRatingReport, target: str | Path | None = None,
               **options: Any) -> bytes | None:
    return html_to_pdf(render_html(context), target, **options)
