"""A stored wave as a data set: the responses of a wave written as the CSV a collection
exports, then read and checked like any data file."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from ..schema import Plan, Questionnaire
from ..storage import Store
from .codebook import codebook
from .csvdata import Dataset, read_csv

__all__ = ["export_wave_csv", "wave_dataset"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def export_wave_csv(store: Store, wave_id: str, q: Questionnaire, path: str | Path) -> int:
    """Write the completed responses of a wave (columns by id); returns the rows written."""
    book = codebook(q)
    rows = list(store.responses(wave_id))
    present: list[str] = []
    seen = set()
    for r in rows:
        for k in list(r.attributes) + list(r.answers):
            if k in book and k not in seen:
                seen.add(k)
                present.append(k)
    timed = any(r.duration_seconds is not None for r in rows)
    header = ["respondent_id", "mode"] + (["duration_seconds"] if timed else []) + [k for k in book if k in seen]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            values = {**r.attributes, **r.answers}
            meta = [f"resp{r.id}", r.mode]
            if timed:
                d = r.duration_seconds
                meta.append("" if d is None else f"{d:.0f}")
            w.writerow(meta + [_cell(values.get(k)) for k in header[len(meta):]])
    return len(rows)


def wave_dataset(store: Store, wave_id: str, q: Questionnaire, plan: Plan) -> Dataset:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{wave_id}.csv"
        export_wave_csv(store, wave_id, q, path)
        data = read_csv(path, q, plan)
    return Dataset(f"wave:{wave_id}", data.sha256, data.n, data.text, data.numbers, data.scores, data.codebook)
