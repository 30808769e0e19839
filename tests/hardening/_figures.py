"""Figures the hardening tests observe: printed (pytest -s) and, when MANYI_HARDENING_FIGURES
names a folder, written there as <name>.json (docs/hardening.md quotes them)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def record(name: str, figures: dict) -> None:
    print(f"\n{name}: {json.dumps(figures, ensure_ascii=False)}")
    folder = os.environ.get("MANYI_HARDENING_FIGURES")
    if folder:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
