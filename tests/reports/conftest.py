"""A generated wave and the wave before it, scored by `manyi score`, for the report tests."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from engine.analysis.simulate import simulate, write_csv
from engine.cli import main
from engine.loader import check_file
from tests.conftest import QUESTIONNAIRES

PLAN = QUESTIONNAIRES / "plans" / "community_2026.yaml"


@dataclass(frozen=True)
class Wave:
    dir: Path
    plan: Path
    data: Path
    results: Path
    previous: Path

    def load(self) -> dict:
        return json.loads(self.results.read_text(encoding="utf-8"))


def write_plan(path: Path, previous: Path | None) -> Path:
    """The shipped plan with absolute paths (and the previous wave's results, if any)."""
    text = PLAN.read_text(encoding="utf-8")
    text = text.replace("questionnaire: ../community_satisfaction.yaml",
                        f"questionnaire: {QUESTIONNAIRES / 'community_satisfaction.yaml'}")
    text = text.replace("csv: age_band_margins.csv", f"csv: {PLAN.parent / 'age_band_margins.csv'}")
    text = text.replace("units: units.csv", f"units: {PLAN.parent / 'units.csv'}")
    if previous is not None:
        text = text.replace("design:\n", f"previous_wave: {previous}\n\ndesign:\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def wave(tmp_path_factory) -> Wave:
    d = tmp_path_factory.mktemp("wave")
    q = check_file(QUESTIONNAIRES / "community_satisfaction.yaml", expect="questionnaire").document
    # 3 districts x 3 streets x 6 communities; community sizes vary, so some fall under n=30
    for name, seed in (("prev", 4), ("wave", 3)):
        header, rows = simulate(q, n=3000, seed=seed, districts=3, streets=3, communities=6)
        write_csv(d / f"{name}.csv", header, rows)
    plan_prev = write_plan(d / "plan_prev.yaml", None)
    assert main(["score", "--plan", str(plan_prev), "--data", str(d / "prev.csv"), "--out", str(d / "prev.json"),
                 "--bootstrap", "10", "-q"]) == 0
    plan = write_plan(d / "plan.yaml", d / "prev.json")
    assert main(["score", "--plan", str(plan), "--data", str(d / "wave.csv"), "--out", str(d / "results.json"),
                 "--bootstrap", "10", "-q"]) == 0
    return Wave(dir=d, plan=plan, data=d / "wave.csv", results=d / "results.json", previous=d / "prev.json")


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def pdf_fonts(path: Path) -> list[str]:
    """Base font names embedded in a PDF, without the subset tag (ABCDEF+)."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    return sorted({n.split("+", 1)[-1] for n in names})


@lru_cache(maxsize=None)
def _cmap(name: str) -> frozenset[int]:
    """The characters of an embedded font, found by fontconfig from its PDF base name."""
    family = name.replace("-", " ")
    style = "Regular"
    if family.endswith(" Bold"):
        family, style = family[:-5], "Bold"
    spec = subprocess.run(["fc-match", "-f", "%{file}:%{index}:%{family}", f"{family}:style={style}"],
                          check=True, capture_output=True, text=True).stdout
    file, index, found = spec.split(":", 2)
    assert family in found.split(","), f"fontconfig has no {family!r} (found {found!r})"
    return frozenset(TTFont(file, fontNumber=int(index), lazy=True).getBestCmap())


def assert_fonts_cover(pdf: Path, more_text: str = "") -> set[str]:
    """Only the local Noto Sans CJK faces are embedded (no fallback font was needed), and
    every character of the PDF's text (and of `more_text`, e.g. the HTML it came from) is in
    their character maps. Returns the characters checked."""
    fonts = pdf_fonts(pdf)
    assert fonts and set(fonts) <= {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold", "Noto-Sans-Mono-CJK-SC"}, fonts
    covered = frozenset().union(*(_cmap(f) for f in fonts))
    chars = {c for c in pdftotext(pdf) + more_text if not c.isspace()}
    assert sorted(c for c in chars if ord(c) not in covered) == []
    return chars


@lru_cache(maxsize=None)
def unit_name(code: str, lang: str = "zh") -> str:
    """The name the shipped plan's units file gives a unit (reports show names, not codes)."""
    from engine.units import unit_names
    name = unit_names("units.csv", PLAN.parent).name
    for variable in ("community", "street", "district"):
        shown = name(variable, code, lang)
        if shown:
            return shown
    return code

