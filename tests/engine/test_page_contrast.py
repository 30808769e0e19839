"""WCAG AA contrast of the resident pages' colours: every text colour in the stylesheet
against every light background it can sit on (white, the selected option, the notices)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "engine" / "web" / "static" / "survey.css").read_text(encoding="utf-8")
LIGHT_BACKGROUNDS = ["#ffffff", "#e8f1fb", "#fff4d6", "#f3f3f3"]


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_the_wcag_examples():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the well-known AA grey


def _rules() -> list[tuple[str, str]]:
    body = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    return re.findall(r"([^{}]+)\{([^}]*)\}", body)


def test_every_text_colour_on_light_backgrounds_meets_aa():
    failures = []
    for selector, decls in _rules():
        m = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", decls)
        if not m or "header.top" in selector or "#fff" == m.group(1).lower() or "button" in selector:
            continue
        for bg in LIGHT_BACKGROUNDS:
            if contrast(m.group(1), bg) < 4.5:
                failures.append((selector.strip(), m.group(1), bg, round(contrast(m.group(1), bg), 2)))
    assert failures == []


def test_white_text_on_the_dark_fills_and_focus_outlines():
    fills = set(re.findall(r"background:\s*(#[0-9a-fA-F]{6})", CSS))
    dark = [f for f in fills if _luminance(f) < 0.2]
    assert dark and all(contrast("#ffffff", f) >= 4.5 for f in dark)
    for outline in re.findall(r"outline:\s*3px solid\s*(#[0-9a-fA-F]{6})", CSS):
        assert contrast(outline, "#ffffff") >= 3.0 or contrast(outline, "#0a4d8c") >= 3.0  # non-text: 3:1
