"""Small inline SVG charts (no chart library: a few ms each, text kept as text).

Colours are the Okabe-Ito palette, and every series differs also by lightness, line style,
marker shape or hatching, and carries a direct label, so a chart reads in greyscale and with
any colour-vision deficiency. Every chart's numbers are printed in a table by the template.
"""

from __future__ import annotations

import itertools
import math
from html import escape
from typing import Sequence

__all__ = ["bar_intervals", "caterpillar", "radar", "ipa_scatter", "trend_line", "stacked_shares", "line_series",
           "bars", "text_width", "PALETTE", "SHARE_FILLS"]

BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILLION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
PALETTE = (BLUE, ORANGE, BLACK, GREEN, VERMILLION, PURPLE, SKY)
DASHES = ("", "6 3", "2 2", "8 3 2 3")
GREY = "#666666"
FONT = 11  # px in the viewBox; charts are drawn at about 1 px = 0.26 mm

#: fills of ordered answer points best -> worst: lightness falls then rises, the bad side is
#: hatched (pattern ids defined in _defs), so greyscale keeps all five apart
SHARE_FILLS = ("#08519c", "#6baed6", "#e0e0e0", "#fdd0a2", "#a63603")


#: advance widths of ASCII U+0020-U+007E in Noto Sans CJK SC, in 1/1000 em
_ASCII = (224, 323, 474, 555, 555, 921, 680, 278, 338, 338, 467, 555, 278, 347, 278, 392, 555, 555, 555, 555, 555,
          555, 555, 555, 555, 555, 278, 278, 555, 555, 555, 474, 946, 608, 657, 638, 688, 589, 552, 689, 728, 293,
          535, 646, 543, 812, 723, 742, 633, 742, 635, 596, 599, 721, 575, 878, 573, 531, 603, 338, 392, 338, 555,
          559, 606, 563, 618, 510, 620, 554, 325, 564, 607, 275, 275, 552, 284, 926, 610, 606, 620, 620, 388, 468,
          377, 607, 521, 802, 498, 521, 475, 338, 270, 338, 555)


def text_width(s: str, size: float = FONT) -> float:
    """Width in Noto Sans CJK SC: ASCII from the font's advances, CJK and full-width
    characters 1 em, others about 0.56 em."""
    return sum(size * _ASCII[o - 32] / 1000 if 32 <= (o := ord(c)) < 127 else size if o > 0x2E7F else size * 0.56
               for c in s)


def fit(s: str, width: float, size: float = FONT) -> str:
    """`s` cut with an ellipsis to fit `width` (the full text is in the table beside the chart)."""
    if text_width(s, size) <= width:
        return s
    while s and text_width(s + "…", size) > width:
        s = s[:-1]
    return s.rstrip() + "…"


def _t(x: float, y: float, s: str, *, size: float = FONT, anchor: str = "start", fill: str = "#000",
       weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
            f'{" font-weight=" + chr(34) + weight + chr(34) if weight != "normal" else ""}{extra}>{escape(s)}</text>')


def _svg(width: float, height: float, body: list[str], title: str, defs: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}" '
            f'font-family="Noto Sans CJK SC">{defs}' + "".join(body) + "</svg>")


_ids = itertools.count(1)


def _hatches() -> tuple[str, tuple[str, ...]]:
    """Hatch patterns with ids unique in the document, and the five fills that use them."""
    k = next(_ids)
    defs = (f'<defs><pattern id="hl{k}" width="6" height="6" patternUnits="userSpaceOnUse">'
            '<rect width="6" height="6" fill="#fdd0a2"/><path d="M0 6L6 0" stroke="#a63603" stroke-width="1"/>'
            f'</pattern><pattern id="hd{k}" width="6" height="6" patternUnits="userSpaceOnUse">'
            '<rect width="6" height="6" fill="#a63603"/><path d="M0 6L6 0M0 0L6 6" stroke="#fff" '
            'stroke-width="1"/></pattern></defs>')
    return defs, SHARE_FILLS[:3] + (f"url(#hl{k})", f"url(#hd{k})")


def _ok(*xs: float) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / n)) if span > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def axis_range(values: Sequence[float], *, pad: float = 0.1, floor: float = 0.0, ceil: float = 100.0,
               ) -> tuple[float, float]:
    vals = [v for v in values if _ok(v)]
    if not vals:
        return floor, ceil
    lo, hi = min(vals), max(vals)
    span = max(hi - lo, 2.0)
    lo = max(floor, math.floor((lo - pad * span) / 5) * 5)
    hi = min(ceil, math.ceil((hi + pad * span) / 5) * 5)
    return lo, hi if hi > lo else lo + 5


def bar_intervals(rows: Sequence[tuple[str, float, float, float]], *, title: str, ref: float | None = None,
                  ref_label: str = "", width: float = 640, bar: float = 16, lo: float | None = None,
                  hi: float | None = None, digits: int = 1) -> str:
    """Horizontal bars with interval whiskers; rows are (label, value, low, high)."""
    label_w = min(max((text_width(r[0]) for r in rows), default=40) + 8, width * 0.42)
    if lo is None or hi is None:
        lo, hi = axis_range([v for r in rows for v in r[1:]] + ([ref] if ref is not None else []))
    plot_l, plot_r = label_w, width - 44
    top, row_h = 18, bar + 8
    height = top + row_h * len(rows) + 24
    sx = lambda v: plot_l + (v - lo) / (hi - lo) * (plot_r - plot_l)  # noqa: E731
    body = []
    for t in _ticks(lo, hi):
        x = sx(t)
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>')
        body.append(_t(x, height - 6, f"{t:g}", size=9, anchor="middle", fill=GREY))
    for k, (label, v, low, high) in enumerate(rows):
        y = top + k * row_h
        body.append(_t(label_w - 6, y + bar * 0.75, fit(label, label_w - 8, 10), anchor="end", size=10))
        if not _ok(v):
            continue
        body.append(f'<rect x="{plot_l:.1f}" y="{y:.1f}" width="{max(sx(v) - plot_l, 0):.1f}" height="{bar}" '
                    f'fill="{SKY}" stroke="{BLUE}" stroke-width="0.8"/>')
        end = sx(v)
        if _ok(low, high):
            a, b, c = sx(max(low, lo)), sx(min(high, hi)), y + bar / 2
            body.append(f'<path d="M{a:.1f} {c:.1f}H{b:.1f}M{a:.1f} {c - 5:.1f}V{c + 5:.1f}M{b:.1f} {c - 5:.1f}'
                        f'V{c + 5:.1f}" stroke="{BLACK}" stroke-width="1.2" fill="none"/>')
            end = max(end, b)
        body.append(_t(end + 4, y + bar * 0.75, f"{v:.{digits}f}", size=9))
    if ref is not None and _ok(ref):
        x = sx(ref)
        body.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 20}" stroke="{VERMILLION}" '
                    f'stroke-width="1.4" stroke-dasharray="5 3"/>')
        body.append(_t(x, top - 9, f"{ref_label} {ref:.{digits}f}", size=9, anchor="middle", fill=VERMILLION))
    return _svg(width, height, body, title)


def caterpillar(rows: Sequence[tuple[str, float, float, float]], *, title: str, ref: float | None = None,
                ref_label: str = "", width: float = 640, height: float = 220, count_label: str = "{n}") -> str:
    """Units sorted by value: a point and its interval each, for many units at once."""
    rows = sorted(rows, key=lambda r: r[1])
    lo, hi = axis_range([v for r in rows for v in r[1:]] + ([ref] if ref is not None else []))
    left, right, top, bottom = 36, width - 8, 16, height - 22
    step = (right - left) / max(len(rows), 1)
    sy = lambda v: bottom - (v - lo) / (hi - lo) * (bottom - top)  # noqa: E731
    body = []
    for t in _ticks(lo, hi):
        y = sy(t)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(_t(left - 4, y + 3, f"{t:g}", size=9, anchor="end", fill=GREY))
    path = []
    dots = []
    for k, (_, v, low, high) in enumerate(rows):
        x = left + (k + 0.5) * step
        if _ok(low, high):
            path.append(f"M{x:.1f} {sy(max(low, lo)):.1f}V{sy(min(high, hi)):.1f}")
        dots.append(f'<circle cx="{x:.1f}" cy="{sy(v):.1f}" r="{min(2.2, step / 2.2):.1f}" fill="{BLUE}"/>')
    body.append(f'<path d="{"".join(path)}" stroke="{GREY}" stroke-width="{min(1.2, step / 2):.2f}"/>')
    body.extend(dots)
    if ref is not None and _ok(ref):
        y = sy(ref)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{VERMILLION}" '
                    f'stroke-dasharray="5 3" stroke-width="1.2"/>')
        body.append(_t(right, y - 4, f"{ref_label} {ref:.1f}", size=9, anchor="end", fill=VERMILLION))
    body.append(_t((left + right) / 2, height - 6, count_label.format(n=len(rows)), size=9, anchor="middle",
                   fill=GREY))
    return _svg(width, height, body, title)


def radar(axes: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
          lo: float | None = None, hi: float = 100, size: float = 330, legend: bool = True,
          tick_every: int = 1) -> str:
    """Up to four series on the same axes; styles differ by line pattern and marker.
    legend=False leaves the legend to the page (series k is drawn in PALETTE[k] with
    DASHES[k]); tick_every=2 labels every other ring (the outermost always). WeasyPrint lays
    out SVG text a letter at a time, so each label left out saves a little per chart."""
    n = len(axes)
    if lo is None:
        lo, hi = axis_range([v for _, vals in series for v in vals], pad=0.6)
    width = size + 150 if legend else size + 80
    cx, cy, r = size / 2 + 40, size / 2 + 6, size / 2 - 40
    ang = [-math.pi / 2 + 2 * math.pi * k / n for k in range(n)]
    pt = lambda k, v: (cx + r * (v - lo) / (hi - lo) * math.cos(ang[k]),  # noqa: E731
                       cy + r * (v - lo) / (hi - lo) * math.sin(ang[k]))
    body = []
    rings, spokes = [], []
    ticks = _ticks(lo, hi, 4)
    for j, t in enumerate(ticks):
        pts = [pt(k, t) for k in range(n)]
        rings.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + "Z")
        if j % tick_every == 0 or j == len(ticks) - 1:
            x, y = pts[0]
            body.append(_t(x + 3, y + 3, f"{t:g}", size=8, fill=GREY))
    for k, a in enumerate(axes):
        x, y = pt(k, hi)
        spokes.append(f"M{cx:.1f} {cy:.1f}L{x:.1f} {y:.1f}")
        c = math.cos(ang[k])
        lx, ly = cx + (r + 10) * c, cy + (r + 12) * math.sin(ang[k]) + 4
        # anchored by hand (middle, start or end): WeasyPrint draws each text-anchored label
        # into a form XObject of its own, four more PDF objects per radar
        lx -= text_width(a, 10) * (0.5 if abs(c) < 0.2 else 0 if c > 0 else 1)
        body.append(_t(lx, ly, a, size=10))
    body.insert(0, f'<path d="{"".join(rings)}{"".join(spokes)}" fill="none" stroke="#ccc"/>')
    markers = ("circle", "square", "triangle", "diamond")
    for s, (name, vals) in enumerate(series):
        pts = [pt(k, v) for k, v in enumerate(vals) if _ok(v)]
        colour = PALETTE[s % len(PALETTE)]
        poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        fill = f'fill="{colour}" fill-opacity="0.12"' if s == 0 else 'fill="none"'
        body.append(f'<polygon points="{poly}" {fill} stroke="{colour}" stroke-width="1.8" '
                    f'stroke-dasharray="{DASHES[s % len(DASHES)]}"/>')
        body.append(f'<path d="{"".join(_marker_path(markers[s % 4], x, y) for x, y in pts)}" fill="{colour}"/>')
        if not legend:
            continue
        ly = 24 + s * 18
        body.append(f'<line x1="{size + 34}" y1="{ly - 4}" x2="{size + 58}" y2="{ly - 4}" stroke="{colour}" '
                    f'stroke-width="1.8" stroke-dasharray="{DASHES[s % len(DASHES)]}"/>')
        body.append(f'<path d="{_marker_path(markers[s % 4], size + 46, ly - 4)}" fill="{colour}"/>')
        body.append(_t(size + 62, ly, name, size=10))
    return _svg(width, size + 12, body, title)


def _marker_path(kind: str, x: float, y: float, r: float = 3.2) -> str:
    """A marker as path data (many markers make one <path>: fewer elements to lay out)."""
    if kind == "circle":
        return f"M{x - r:.1f} {y:.1f}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0Z"
    if kind == "square":
        return f"M{x - r:.1f} {y - r:.1f}h{2 * r}v{2 * r}h{-2 * r}Z"
    if kind == "triangle":
        return f"M{x:.1f} {y - r * 1.2:.1f}L{x + r * 1.1:.1f} {y + r * 0.9:.1f}L{x - r * 1.1:.1f} {y + r * 0.9:.1f}Z"
    return f"M{x:.1f} {y - r * 1.3:.1f}L{x + r * 1.3:.1f} {y:.1f}L{x:.1f} {y + r * 1.3:.1f}L{x - r * 1.3:.1f} {y:.1f}Z"


def _marker(kind: str, x: float, y: float, colour: str, r: float = 3.2) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{colour}"/>'
    if kind == "triangle":
        return (f'<polygon points="{x:.1f},{y - r * 1.2:.1f} {x + r * 1.1:.1f},{y + r * 0.9:.1f} '
                f'{x - r * 1.1:.1f},{y + r * 0.9:.1f}" fill="{colour}"/>')
    return (f'<polygon points="{x:.1f},{y - r * 1.3:.1f} {x + r * 1.3:.1f},{y:.1f} {x:.1f},{y + r * 1.3:.1f} '
            f'{x - r * 1.3:.1f},{y:.1f}" fill="{colour}"/>')


def ipa_scatter(points: Sequence[tuple[str, float, float, str]], *, title: str, x_cut: float, y_cut: float,
                x_label: str, y_label: str, quadrant_names: dict[str, str], width: float = 640,
                height: float = 400) -> str:
    """Importance (x) against performance (y) with the cut lines; points carry their number
    (the table beside the chart names them) and a marker shape per quadrant."""
    xs = [p[1] for p in points] + [x_cut]
    ys = [p[2] for p in points] + [y_cut]
    x_pad = (max(xs) - min(xs)) * 0.12 or 0.01
    x_lo, x_hi = max(0.0, min(xs) - x_pad), max(xs) + x_pad
    y_lo, y_hi = axis_range(ys, pad=0.15)
    left, right, top, bottom = 48, width - 12, 14, height - 36
    sx = lambda v: left + (v - x_lo) / (x_hi - x_lo) * (right - left)  # noqa: E731
    sy = lambda v: bottom - (v - y_lo) / (y_hi - y_lo) * (bottom - top)  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#999"/>']
    for t in _ticks(y_lo, y_hi):
        body.append(_t(left - 4, sy(t) + 3, f"{t:g}", size=9, anchor="end", fill=GREY))
    for t in _ticks(x_lo, x_hi):
        body.append(_t(sx(t), bottom + 12, f"{100 * t:g}%", size=9, anchor="middle", fill=GREY))
    body.append(f'<line x1="{sx(x_cut):.1f}" y1="{top}" x2="{sx(x_cut):.1f}" y2="{bottom}" stroke="{VERMILLION}" '
                f'stroke-dasharray="5 3"/>')
    body.append(f'<line x1="{left}" y1="{sy(y_cut):.1f}" x2="{right}" y2="{sy(y_cut):.1f}" stroke="{VERMILLION}" '
                f'stroke-dasharray="5 3"/>')
    corners = {"keep": (right - 4, top + 12, "end"), "fix_first": (right - 4, bottom - 5, "end"),
               "possible_overkill": (left + 4, top + 12, "start"), "low_priority": (left + 4, bottom - 5, "start")}
    for q, (x, y, a) in corners.items():
        body.append(_t(x, y, quadrant_names.get(q, q), size=10, anchor=a, fill=GREY, weight="bold"))
    shape = {"keep": "circle", "fix_first": "triangle", "low_priority": "square", "possible_overkill": "diamond"}
    colour = {"keep": BLUE, "fix_first": VERMILLION, "low_priority": BLACK, "possible_overkill": GREEN}
    for k, (_, x, y, q) in enumerate(points):
        px, py = sx(x), sy(y)
        body.append(_marker(shape.get(q, "circle"), px, py, colour.get(q, BLUE), r=4))
        body.append(_t(px + 6, py - 4, str(k + 1), size=9))
    body.append(_t((left + right) / 2, height - 6, x_label, size=10, anchor="middle"))
    body.append(_t(12, (top + bottom) / 2, y_label, size=10, anchor="middle",
                   extra=f' transform="rotate(-90 12 {(top + bottom) / 2:.1f})"'))
    return _svg(width, height, body, title)


def trend_line(points: Sequence[tuple[str, float, float, float]], *, title: str, width: float = 640,
               height: float = 220) -> str:
    """Values across waves with interval whiskers and direct value labels."""
    lo, hi = axis_range([v for p in points for v in p[1:]], pad=0.3)
    left, right, top, bottom = 40, width - 20, 16, height - 26
    step = (right - left) / max(len(points), 1)
    sx = lambda k: left + (k + 0.5) * step  # noqa: E731
    sy = lambda v: bottom - (v - lo) / (hi - lo) * (bottom - top)  # noqa: E731
    body = []
    for t in _ticks(lo, hi):
        body.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{right}" y2="{sy(t):.1f}" stroke="#ddd"/>')
        body.append(_t(left - 4, sy(t) + 3, f"{t:g}", size=9, anchor="end", fill=GREY))
    line = " ".join(f"{sx(k):.1f},{sy(p[1]):.1f}" for k, p in enumerate(points) if _ok(p[1]))
    body.append(f'<polyline points="{line}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for k, (wave, v, low, high) in enumerate(points):
        x = sx(k)
        if _ok(low, high):
            body.append(f'<path d="M{x - 5:.1f} {sy(low):.1f}H{x + 5:.1f}M{x:.1f} {sy(low):.1f}V{sy(high):.1f}'
                        f'M{x - 5:.1f} {sy(high):.1f}H{x + 5:.1f}" stroke="{BLACK}" stroke-width="1.2"/>')
        if _ok(v):
            body.append(_marker("circle", x, sy(v), BLUE, r=4))
            body.append(_t(x + 8, sy(v) - 6, f"{v:.2f}", size=10))
        body.append(_t(x, height - 8, wave, size=10, anchor="middle"))
    return _svg(width, height, body, title)


def stacked_shares(rows: Sequence[tuple[str, Sequence[float]]], categories: Sequence[str], *, title: str,
                   width: float = 640, bar: float = 14) -> str:
    """100% stacked bars of ordered answer shares (best first), a legend and direct labels."""
    label_w = min(max((text_width(r[0], 9.5) for r in rows), default=40) + 8, width * 0.45)
    left, right = label_w, width - 6
    body = []
    defs, fills = _hatches()
    lx, ly = left, 4
    for c, name in enumerate(categories):  # the legend, on as many lines as it needs
        w = 24 + text_width(name, 9)
        if lx + w > right and lx > left:
            lx, ly = left, ly + 14
        body.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="10" fill="{fills[c % 5]}" stroke="#444" '
                    f'stroke-width="0.5"/>')
        body.append(_t(lx + 15, ly + 9, name, size=9))
        lx += w
    top, row_h = ly + 24, bar + 5
    height = top + row_h * len(rows) + 4
    for k, (label, shares) in enumerate(rows):
        y = top + k * row_h
        body.append(_t(left - 5, y + bar * 0.78, fit(label, left - 8, 9.5), size=9.5, anchor="end"))
        x = left
        total = sum(s for s in shares if _ok(s)) or 1.0
        for c, s in enumerate(shares):
            if not _ok(s) or s <= 0:
                continue
            w = s / total * (right - left)
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar}" fill="{fills[c % 5]}" '
                        f'stroke="#fff" stroke-width="0.5"/>')
            if w > 24:
                dark = c in (0, 4)
                txt = f"{100 * s / total:.0f}"
                if c in (3, 4):  # hatched: a white box keeps the label legible
                    body.append(f'<rect x="{x + w / 2 - 8:.1f}" y="{y + 2:.1f}" width="16" height="{bar - 4}" '
                                f'fill="#fff"/>')
                    dark = False
                body.append(_t(x + w / 2, y + bar * 0.76, txt, size=8.5, anchor="middle",
                               fill="#fff" if dark else "#000"))
            x += w
    return _svg(width, height, body, title, defs)


def line_series(xs: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
                width: float = 640, height: float = 220, percent: bool = True) -> str:
    """Several series over months; each with its own colour, dash and marker, labelled at its end."""
    vals = [v for _, s in series for v in s if _ok(v)]
    lo, hi = (0.0, 1.0) if not vals else (max(0.0, min(vals) - 0.05), min(1.0, max(vals) + 0.05))
    if not percent:
        lo, hi = axis_range(vals)
    left, right, top, bottom = 44, width - 110, 12, height - 24
    step = (right - left) / max(len(xs) - 1, 1)
    sx = lambda k: left + k * step if len(xs) > 1 else (left + right) / 2  # noqa: E731
    sy = lambda v: bottom - (v - lo) / (hi - lo or 1) * (bottom - top)  # noqa: E731
    body = []
    for t in _ticks(lo, hi, 5):
        body.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{right}" y2="{sy(t):.1f}" stroke="#ddd"/>')
        body.append(_t(left - 4, sy(t) + 3, f"{100 * t:.0f}%" if percent else f"{t:g}", size=9, anchor="end",
                       fill=GREY))
    for k, x in enumerate(xs):
        body.append(_t(sx(k), height - 8, x, size=9, anchor="middle"))
    markers = ("circle", "square", "triangle", "diamond")
    ends: list[float] = []
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        pts = [(sx(k), sy(v)) for k, v in enumerate(values) if _ok(v)]
        if not pts:
            continue
        body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="none" '
                    f'stroke="{colour}" stroke-width="1.8" stroke-dasharray="{DASHES[s % len(DASHES)]}"/>')
        body.extend(_marker(markers[s % 4], x, y, colour) for x, y in pts)
        y_end = pts[-1][1]
        for e in ends:  # keep end labels apart
            if abs(y_end - e) < 11:
                y_end = e + 11
        ends.append(y_end)
        last = [v for v in values if _ok(v)][-1]
        body.append(_t(pts[-1][0] + 8, y_end + 3, f"{name} {100 * last:.1f}%" if percent else f"{name} {last:.1f}",
                       size=9, fill="#000"))
    return _svg(width, height, body, title)


def bars(rows: Sequence[tuple[str, float]], *, title: str, width: float = 640, bar: float = 14,
         percent: bool = False, colour: str = BLUE) -> str:
    """Plain horizontal bars with the value at the end of each."""
    label_w = min(max((text_width(r[0], 10) for r in rows), default=40) + 8, width * 0.45)
    top, row_h = 6, bar + 6
    height = top + row_h * len(rows) + 6
    vmax = max((v for _, v in rows if _ok(v)), default=1) or 1
    right = width - 60
    body = []
    for k, (label, v) in enumerate(rows):
        y = top + k * row_h
        body.append(_t(label_w - 6, y + bar * 0.78, fit(label, label_w - 8, 10), size=10, anchor="end"))
        if not _ok(v):
            continue
        w = v / vmax * (right - label_w)
        body.append(f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar}" fill="{colour}"/>')
        body.append(_t(label_w + w + 4, y + bar * 0.78, f"{100 * v:.1f}%" if percent else f"{v:g}", size=9))
    return _svg(width, height, body, title)
