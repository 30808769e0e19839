"""The R `survey` fixtures: data sets and numbers, read as stored."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NUMERIC = {"pw", "fpc", "fpc1", "fpc2", "api00", "api99", "enroll", "api.stu", "meals", "ell", "dnum", "snum"}


@lru_cache(maxsize=None)
def dataset(name: str) -> dict[str, np.ndarray]:
    with open(FIXTURES / f"{name}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for col in rows[0]:
        values = [r[col] for r in rows]
        if col in NUMERIC:
            out[col] = np.array([float(v) if v not in ("", "NA") else np.nan for v in values])
        else:
            out[col] = np.array(values, dtype=object)
    return out


@lru_cache(maxsize=None)
def r_cases() -> dict:
    return json.loads((FIXTURES / "r_survey.json").read_text(encoding="utf-8"))["cases"]


def case(case_id: str) -> dict:
    return r_cases()[case_id]
