"""A wave's responses from a CSV file, checked against the questionnaire and the plan.

One row per respondent; columns named by id: questions, matrix items, attributes (including
the design columns of the plan), and the fields `respondent_id`, `duration_seconds`, `mode`,
`submitted_at`; columns starting with `_` are ignored. A multi-choice answer lists its codes
separated by `;`. An empty cell is missing. Every problem is reported at once as
`file:row:column: error[Cxxx] column 'id': ...` and nothing is read until all are fixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from ..diagnostics import Diagnostic, did_you_mean
from ..errors import LoadError
from ..schema import Plan, Questionnaire
from .codebook import Variable, codebook

__all__ = ["Dataset", "read_csv", "META_COLUMNS", "required_columns"]

META_COLUMNS = ("respondent_id", "duration_seconds", "mode", "submitted_at")
MAX_DIAGNOSTICS = 200


@dataclass(frozen=True)
class Dataset:
    """Columns by id: text columns as object arrays ('' -> None), scored columns also as
    0-100 floats in `scores` (NaN where unscored), numbers as floats."""

    path: str
    sha256: str
    n: int
    text: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    codebook: dict[str, Variable]
    #: derived arrays (group codes ...) made once per data set
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def answered(self, name: str) -> np.ndarray:
        """True where the respondent gave any answer (不了解 included) to a text column."""
        key = ("answered", name)
        if key not in self.cache:
            col = self.text[name]
            self.cache[key] = np.fromiter((v is not None for v in col.tolist()), dtype=bool, count=col.shape[0])
        return self.cache[key]

    def codes(self, name: str) -> tuple[np.ndarray, list]:
        """A grouping column as integer codes (-1 where missing) and the sorted labels they stand
        for; made once (read_csv makes them while reading)."""
        key = ("codes", name)
        if key not in self.cache:
            self.cache[key] = factorize_column(self.column(name))
        return self.cache[key]

    def column(self, name: str) -> np.ndarray:
        if name in self.numbers:
            return self.numbers[name]
        return self.text[name]


def factorize_column(col: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes 0..L-1 in label order (-1 for None / NaN) and the labels."""
    if col.dtype != object:
        ok = ~np.isnan(col)
        labels, inv = np.unique(col[ok], return_inverse=True)
        codes = np.full(col.shape[0], -1, dtype=np.int64)
        codes[ok] = inv.ravel()
        return codes, labels.tolist()
    seen: dict = {}
    raw = np.array([seen.setdefault(v, len(seen)) for v in col.tolist()], dtype=np.int64)
    labels = sorted(k for k in seen if k is not None)
    rank = {k: i for i, k in enumerate(labels)}
    remap = np.array([rank.get(k, -1) for k in seen], dtype=np.int64)
    return (remap[raw] if raw.size else raw), labels


def required_columns(plan: Plan, q: Questionnaire) -> dict[str, str]:
    """Column -> why it is needed."""
    need: dict[str, str] = {}
    d = plan.design
    for name, why in [(d.strata, "design strata"), (d.weights, "design weights")] + \
            [(p, "design PSU") for p in d.psu] + [(f, "design fpc") for f in d.fpc]:
        if name:
            need[name] = why
    for m in plan.weighting.margins if plan.weighting.method != "none" else []:
        need.setdefault(m.variable, "weighting margin")
    for v in plan.domains:
        need.setdefault(v, "domain")
    for c in plan.comparisons:
        if c.by:
            need.setdefault(c.by, f"comparison '{c.id}'")
    if q.indicators is not None:
        for dim in q.indicators.dimensions:
            for ind in dim.indicators:
                for it in ind.items:
                    need.setdefault(it, f"indicator '{ind.id}'")
        for it in q.indicators.overall:
            need.setdefault(it, "overall item")
    return need


def read_csv(path: str | Path, q: Questionnaire, plan: Plan) -> Dataset:
    """Read and check a data file; raise LoadError with every problem (never a traceback)."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise LoadError([Diagnostic("C004", shown, 1, 1, "", f"cannot read: {e.strerror or e}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise LoadError([Diagnostic("C004", shown, line, 1, "", "file is not UTF-8 text",
                                    "save it as UTF-8 (CSV UTF-8 in Excel)")]) from None
    book = codebook(q)
    diags: list[Diagnostic] = []
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise LoadError([Diagnostic("C004", shown, 1, 1, "", "the file has no header row")])
        header = [h.strip() for h in header]
        rows: list[tuple[int, list[str]]] = []
        for row in reader:
            if not row or not any(c.strip() for c in row):
                continue
            rows.append((reader.line_num, row))
    except csv.Error as e:
        raise LoadError([Diagnostic("C004", shown, 1, 1, "", f"not valid CSV ({e})")]) from None
    known = set(book) | set(META_COLUMNS)
    columns: dict[str, int] = {}
    for j, name in enumerate(header):
        if name.startswith("_") or not name:
            continue
        if name in columns:
            diags.append(Diagnostic("C004", shown, 1, j + 1, f"column '{name}'",
                                    f"column '{name}' appears twice (also column {columns[name] + 1})"))
            continue
        if name not in known:
            diags.append(Diagnostic("C001", shown, 1, j + 1, f"column '{name}'",
                                    f"'{name}' is not a question, item or attribute of '{q.id}'",
                                    did_you_mean(name, sorted(known))))
            continue
        columns[name] = j
    derived = {a.id: a.question for a in q.attributes
               if a.source == "question" and a.question and a.id not in columns and a.question in columns}
    for name, why in required_columns(plan, q).items():
        if name not in columns and name not in derived and not any(d.subject == f"column '{name}'" for d in diags):
            diags.append(Diagnostic("C003", shown, 1, 1, f"column '{name}'",
                                    f"the data has no column '{name}' ({why})",
                                    did_you_mean(name, [h for h in header if h not in columns])))
    if not rows:
        diags.append(Diagnostic("C004", shown, 2, 1, "", "the file has a header but no rows"))
    if diags:
        raise LoadError(diags)
    n = len(rows)
    text_cols: dict[str, np.ndarray] = {}
    numbers: dict[str, np.ndarray] = {}
    scores: dict[str, np.ndarray] = {}
    answered_cols: dict[str, np.ndarray] = {}
    numeric_design = {plan.design.weights, *plan.design.fpc} - {None}
    needs_value = {n: why for n, why in required_columns(plan, q).items()
                   if why.startswith(("design", "weighting"))}
    for name, j in columns.items():
        var = book.get(name)
        values = [(line, row[j].strip() if j < len(row) else "") for line, row in rows]
        col_diags: list[Diagnostic] = []
        kind = var.kind if var else name

        def bad(line: int, value: str, message: str, fix: str | None = None) -> None:
            if len(diags) + len(col_diags) < MAX_DIAGNOSTICS:
                col_diags.append(Diagnostic("C002", shown, line, j + 1, f"column '{name}'", message, fix))

        if name in needs_value:
            for line, v in values:
                if v == "":
                    bad(line, v, f"empty, but the {needs_value[name]} needs a value in every row")
        if name in numeric_design or name == "duration_seconds" or kind == "number":
            arr = np.full(n, np.nan)
            for i, (line, v) in enumerate(values):
                if v == "":
                    continue
                try:
                    x = float(v)
                    if not math.isfinite(x):
                        raise ValueError
                except ValueError:
                    bad(line, v, f"'{v}' is not a number")
                    continue
                if var is not None and var.low is not None and x < var.low:
                    bad(line, v, f"{v} is below the minimum {var.low:g}")
                elif var is not None and var.high is not None and x > var.high:
                    bad(line, v, f"{v} is above the maximum {var.high:g}")
                elif var is not None and var.integer and not float(x).is_integer():
                    bad(line, v, f"{v} is not a whole number")
                elif name in numeric_design and not x > 0:
                    bad(line, v, f"{v} must be positive")
                arr[i] = x
            numbers[name] = arr
        else:
            col = np.empty(n, dtype=object)
            codes = var.codes if var else None
            for i, (line, v) in enumerate(values):
                if v == "":
                    col[i] = None
                    continue
                if kind == "multi":
                    parts = [p.strip() for p in v.split(";") if p.strip()]
                    wrong = [p for p in parts if codes is not None and p not in codes]
                    if wrong:
                        bad(line, v, f"'{wrong[0]}' is not a code of '{name}' (codes: {', '.join(codes)})",
                            did_you_mean(wrong[0], codes) or "separate codes with ;")
                    col[i] = ";".join(parts)
                    continue
                if codes is not None and v not in codes:
                    fix = did_you_mean(v, codes)
                    if fix is None and v.endswith(".0") and v[:-2] in codes:
                        fix = f"write '{v[:-2]}'"
                    bad(line, v, f"'{v}' is not a code of '{name}' (codes: {', '.join(codes)})", fix)
                elif kind == "date":
                    try:
                        dt.date.fromisoformat(v)
                    except ValueError:
                        bad(line, v, f"'{v}' is not a date", "write YYYY-MM-DD")
                elif kind == "region" and not v.isdigit():
                    bad(line, v, f"'{v}' is not a region code (digits)")
                col[i] = v
            text_cols[name] = col
            answered_cols[name] = np.fromiter((v is not None for v in col.tolist()), dtype=bool, count=n)
            if var is not None and var.scored:
                pts = var.points or {}
                scores[name] = np.array([np.nan if c is None or pts.get(c) is None else pts[c] for c in col],
                                        dtype=float)
        diags.extend(col_diags)
    if diags:
        raise LoadError(diags)
    for attr, question in derived.items():  # an attribute answered by a question
        text_cols[attr] = text_cols[question]
        answered_cols[attr] = answered_cols[question]
    data = Dataset(shown, hashlib.sha256(raw).hexdigest(), n, text_cols, numbers, scores, book)
    data.cache.update({("answered", k): v for k, v in answered_cols.items()})
    for name in required_columns(plan, q):  # grouping and design columns, as codes once
        if name in text_cols:
            data.codes(name)
    return data


