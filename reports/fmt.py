"""How numbers appear in every report (one place, so tests can format results.json alike)."""

from __future__ import annotations

import math

__all__ = ["index", "interval", "share", "pvalue", "number", "signed", "count", "DASH"]

DASH = "—"


def _ok(x: float | None) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def index(x: float | None, digits: int = 2) -> str:
    """An index on 0-100: 85.13."""
    return f"{x:.{digits}f}" if _ok(x) else DASH


def interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """An interval: 84.37–85.89 (en dash between the bounds); [-1.53, 0.63] when it starts below 0."""
    if not (_ok(low) and _ok(high)):
        return DASH
    if low < 0:  # "-3.79–-1.74" reads badly: brackets for intervals of differences
        return f"[{low:.{digits}f}, {high:.{digits}f}]"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def number(x: float | None, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if _ok(x) else DASH


def signed(x: float | None, digits: int = 2) -> str:
    return f"{x:+.{digits}f}" if _ok(x) else DASH


def share(x: float | None, digits: int = 1) -> str:
    """A proportion (0-1) as a percentage: 72.4%."""
    return f"{100 * x:.{digits}f}%" if _ok(x) else DASH


def pvalue(p: float | None) -> str:
    if not _ok(p):
        return DASH
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def count(n: int | float | None) -> str:
    if not _ok(n):
        return DASH
    return f"{int(n):,}"
