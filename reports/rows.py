"""Context parts reshaped into the row tuples the charts draw (no statistics here)."""

from __future__ import annotations

import unicodedata

from .charts import text_width
from .context import GroupComparison, Ipa, LeagueTable, NationalReport, Node, TrendPoint

__all__ = ["GLOBALS"]


def bar_rows(c: NationalReport, dims: tuple[Node, ...]) -> list[tuple[str, float, float, float]]:
    return [(d.label, d.score.value, d.score.low, d.score.high) for d in dims]


def node_rows(nodes: tuple[Node, ...]) -> list[tuple[str, float, float, float]]:
    return [(n.label, n.score.value, n.score.low, n.score.high) for n in nodes]


def radar_series(group: tuple[str, tuple[tuple[str, tuple[float, ...]], ...]]) -> list[tuple[str, tuple[float, ...]]]:
    """The highest and the lowest unit of a grouping (by the mean of its dimensions)."""
    _, units = group
    if len(units) < 2:
        return list(units)
    ranked = sorted(units, key=lambda u: sum(u[1]) / max(len(u[1]), 1))
    return [ranked[-1], ranked[0]]


def ipa_points(ipa: Ipa) -> list[tuple[str, float, float, str]]:
    return [(p.label, p.importance, p.performance, p.quadrant) for p in ipa.points]


def league_rows(lt: LeagueTable) -> list[tuple[str, float, float, float]]:
    return [(r.label, r.score.value, r.score.low, r.score.high) for r in lt.rows]


def group_rows(g: GroupComparison) -> list[tuple[str, float, float, float]]:
    return [(name, s.value, s.low, s.high) for name, s in g.groups]


def trend_rows(trend: tuple[TrendPoint, ...]) -> list[tuple[str, float, float, float]]:
    return [(t.wave, t.value, t.low, t.high) for t in trend]


def dist_rows(chunk) -> list[tuple[str, tuple[float, ...]]]:
    return [(d.label, d.shares) for d in chunk]


def dist_groups(distributions, size: int = 18) -> list[list]:
    """Distributions grouped by their answer categories (one scale per chart or table, in the
    order the scales first appear), at most `size` per chunk."""
    by: dict[tuple, list] = {}
    for d in distributions:
        by.setdefault(d.categories, []).append(d)
    return [ds[k:k + size] for ds in by.values() for k in range(0, len(ds), size)]


def card_series(card, L) -> list[tuple[str, list[float]]]:
    """A scorecard's radar: the community, its district and all respondents."""
    out = [(card.label, [d.value for d in card.dimensions])]
    if any(d.district_value == d.district_value for d in card.dimensions):
        out.append((f"{L['district']} {card.district}", [d.district_value for d in card.dimensions]))
    out.append((L["national"], [d.overall_value for d in card.dimensions]))
    return out


def pairs(labels, values) -> list[tuple[str, float]]:
    return list(zip(labels, values))


def hist_rows(histogram, zh: bool) -> list[tuple[str, float]]:
    return [(f"{label}{'天' if zh else ' days'}", n) for label, n in histogram]


# Columns of figures set as text (the scorecards' tables): a row is its label, a tab, and the
# figures right-aligned in fields of a fixed number of cells, a cell being half an em. With the
# OpenType feature 'hwid' of Noto Sans CJK, ASCII and full-width ASCII forms are half-width
# (digits, '.', '+', '-', the space and the parentheses all one cell) and CJK characters 1 em
# (two cells), so the fields line up exactly; one text run per row costs WeasyPrint a fraction
# of a table cell per figure.
MISSING = "\u2015"  # a missing figure: the horizontal bar, 1 em (fmt.DASH is 0.894 em)


def cells(s: str) -> int:
    """Width of `s` in half-em cells under 'hwid' in Noto Sans CJK: exact for ASCII, full-width
    ASCII forms, CJK and MISSING (wide and ambiguous-width characters two cells, the rest one,
    which for other characters is an approximation)."""
    n = 0
    for ch in s:
        o = ord(ch)
        if o < 0x7F or 0xFF02 <= o <= 0xFF19 or 0xFF1C <= o <= 0xFF1E or 0xFF20 <= o <= 0xFF5E or o == 0x3000:
            n += 1
        else:
            n += 2 if unicodedata.east_asian_width(ch) in "WFA" else 1
    return n


def pad(s: str, width: int, key: int = 0) -> str:
    """Spaces before `s` (and a key of `key` cells) to right-align it in a field of `width` cells."""
    return " " * max(width - key - cells(s), 0)


def field(s: str, width: int) -> str:
    return pad(s, width) + s


def figure(s: str) -> str:
    return MISSING if s == "\u2014" else s


def fits(labels, em: float) -> bool:
    """Every label is narrower than `em` (its tab stop)."""
    return all(text_width(str(x), 1) < em for x in labels)


GLOBALS = dict(cells=cells, pad=pad, field=field, figure=figure, fits=fits,
               pairs=pairs, hist_rows=hist_rows, card_series=card_series, dist_groups=dist_groups,
               dist_rows=dist_rows, bar_rows=bar_rows, node_rows=node_rows, radar_series=radar_series,
               ipa_points=ipa_points, league_rows=league_rows, group_rows=group_rows, trend_rows=trend_rows)
