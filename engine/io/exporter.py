"""A wave's completed responses as CSV, XLSX, SPSS .sav, and its codebook (CSV, Markdown,
JSON). Rows are fetched from Store.responses in pages and written as they come, so memory
stays bounded whatever the number of responses. Columns are the questionnaire's ids; personal
data (phone, ID number, name, address: see layout.PERSONAL) and attributes the questionnaire
does not declare are never exported by default."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..loader import loads
from ..schema import Questionnaire
from ..storage import Store, StoredResponse
from ..storage.paper import response_pages
from .layout import RECORD_FIELDS, Column, cell_text, columns, is_personal
from .sav import MAX_STRING, SavVariable, SavWriter
from .xlsx import XlsxWriter

__all__ = ["FORMATS", "CODEBOOK_FORMATS", "wave_questionnaire", "export_columns", "export_wave", "csv_chunks",
           "codebook", "write_codebook", "sav_variables"]

FORMATS = ("csv", "xlsx", "sav", "codebook")
CODEBOOK_FORMATS = ("csv", "md", "json")
XLSX_MAX_ROWS = 1_048_575  # rows per sheet under the header; more go on a next sheet
_RECORD_LABELS = {"response_id": ("记录编号", "Response id"), "respondent_id": ("问卷编号", "Respondent id"),
                  "mode": ("填答方式", "Mode"), "submitted_at": ("提交时间", "Submitted at")}
_SELECTED = {"zh": ("未选", "选中"), "en": ("Not selected", "Selected")}


def wave_questionnaire(store: Store, wave_id: str) -> Questionnaire:
    wave = store.wave(wave_id)
    return loads(store.questionnaire_source(wave["questionnaire_version_id"]), path=f"wave {wave_id}",
                 expect="questionnaire")


def export_columns(q: Questionnaire, *, include_personal: bool = False) -> list[Column]:
    return [c for c in columns(q) if include_personal or not is_personal(c.id)]


def _numeric_codes(col: Column) -> bool:
    return all(re.fullmatch(r"-?[0-9]+", c) for c, _, _ in col.choices)


def _record(r: StoredResponse) -> list[Any]:
    return [r.id, r.attributes.get("respondent_id") or "", r.mode,
            r.submitted_at.isoformat() if r.submitted_at else ""]


def _responses(store: Store, wave_id: str) -> Iterator[StoredResponse]:
    """Completed responses in id order, fetched a page at a time (bounded memory)."""
    for page in response_pages(store, wave_id, batch=1000):
        yield from page


def _values(r: StoredResponse, cols: list[Column]) -> list[Any]:
    return [(r.attributes if c.is_attribute else r.answers).get(c.id) for c in cols]


# ---- CSV and XLSX -------------------------------------------------------------------------------


def csv_chunks(store: Store, wave_id: str, q: Questionnaire, *, include_personal: bool = False,
               progress: Callable[[int], None] | None = None, batch: int = 1000) -> Iterator[bytes]:
    """The CSV (UTF-8 with BOM, so that Excel reads Chinese) in chunks of about `batch` rows."""
    cols = export_columns(q, include_personal=include_personal)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(RECORD_FIELDS) + [c.id for c in cols])
    yield "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    n = 0
    for r in _responses(store, wave_id):
        w.writerow([cell_text(v) for v in _record(r)] + [cell_text(v) for v in _values(r, cols)])
        n += 1
        if n % batch == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
            if progress:
                progress(n)
    if buf.tell():
        yield buf.getvalue().encode("utf-8")
    if progress:
        progress(n)


def _xlsx_cell(col: Column, value: Any) -> Any:
    """Numbers stay numbers; numeric choice codes become numbers (Excel sorts and sums them);
    other codes, region codes and several choices are text."""
    if value is None:
        return None
    if col.kind == "number":
        return value
    if col.choices and not isinstance(value, list) and re.fullmatch(r"-?[1-9][0-9]{0,5}|0", str(value)):
        return int(value)
    return cell_text(value)


def _write_xlsx(store: Store, wave_id: str, q: Questionnaire, path: Path, cols: list[Column], language: str,
                progress: Callable[[int], None] | None) -> int:
    wb = XlsxWriter(path)
    header = list(RECORD_FIELDS) + [c.id for c in cols]
    wb.add_sheet("data")
    wb.append(header)
    n = in_sheet = 0
    for r in _responses(store, wave_id):
        if in_sheet == XLSX_MAX_ROWS:  # an Excel sheet holds 1,048,576 rows
            wb.add_sheet(f"data_{n // XLSX_MAX_ROWS + 1}")
            wb.append(header)
            in_sheet = 0
        wb.append(_record(r) + [_xlsx_cell(c, v) for c, v in zip(cols, _values(r, cols))])
        n += 1
        in_sheet += 1
        if progress and n % 10000 == 0:
            progress(n)
    wb.add_sheet("codebook")
    rows = codebook(q, cols=cols, language=language)
    wb.append(list(rows[0]))
    for row in rows:
        wb.append([str(v) for v in row.values()])
    wb.close()
    return n


# ---- SPSS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SavColumn:
    """How one data column becomes SPSS variables: `recode` maps a code to its number (None:
    numeric codes as they are); a multi-choice question becomes one 0/1 variable per choice."""

    col: Column
    names: tuple[str, ...]
    recode: dict[str, int] | None = None


def _spss_name(base: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", base)[:64]
    if not name[:1].isalpha():
        name = ("v_" + name)[:64]
    out, k = name, 1
    while out.upper() in taken:
        k += 1
        out = f"{name[:60]}_{k}"
    taken.add(out.upper())
    return out


def sav_variables(q: Questionnaire, cols: list[Column], *, language: str = "zh"
                  ) -> tuple[list[SavVariable], list[_SavColumn]]:
    taken = {f.upper() for f in RECORD_FIELDS} | {c.id.upper() for c in cols}
    zh = language != "en"
    variables = [SavVariable("response_id", _RECORD_LABELS["response_id"][0 if zh else 1], measure="scale"),
                 SavVariable("respondent_id", _RECORD_LABELS["respondent_id"][0 if zh else 1], width=64),
                 SavVariable("mode", _RECORD_LABELS["mode"][0 if zh else 1], width=16),
                 SavVariable("submitted_at", _RECORD_LABELS["submitted_at"][0 if zh else 1], width=32)]
    plan: list[_SavColumn] = []
    for c in cols:
        label = c.label(language)
        if c.kind == "multi":
            names = []
            for code, czh, cen in c.choices:
                name = _spss_name(f"{c.id}_{code}", taken)
                names.append(name)
                variables.append(SavVariable(name, f"{label}: {cen if not zh and cen else czh}",
                                             value_labels={0: _SELECTED[language if language == 'en' else 'zh'][0],
                                                           1: _SELECTED[language if language == 'en' else 'zh'][1]}))
            plan.append(_SavColumn(c, tuple(names)))
        elif c.choices:
            recode = None if _numeric_codes(c) else {code: k for k, (code, _, _) in enumerate(c.choices, start=1)}
            value = (lambda code: recode[code]) if recode else int
            variables.append(SavVariable(
                c.id, label, value_labels={value(code): c.choice_label(code, language) or code for code, _, _ in c.choices},
                missing=tuple(value(m) for m in c.missing)[:3],
                measure="ordinal" if c.kind in ("scale", "matrix_item", "nps") else "nominal"))
            plan.append(_SavColumn(c, (c.id,), recode))
        elif c.kind == "number":
            variables.append(SavVariable(c.id, label, decimals=0 if c.integer else 2, measure="scale"))
            plan.append(_SavColumn(c, (c.id,)))
        else:
            width = {"region": 12, "date": 10}.get(c.kind) or min(MAX_STRING, 3 * (c.max_length or 64))
            variables.append(SavVariable(c.id, label, width=width))
            plan.append(_SavColumn(c, (c.id,)))
    return variables, plan


def _sav_values(r: StoredResponse, plan: list[_SavColumn]) -> list[Any]:
    out: list[Any] = [r.id, r.attributes.get("respondent_id") or "", r.mode,
                      r.submitted_at.isoformat() if r.submitted_at else ""]
    for p in plan:
        c = p.col
        v = (r.attributes if c.is_attribute else r.answers).get(c.id)
        if c.kind == "multi":
            if v is None:
                out.extend([None] * len(p.names))
            else:
                chosen = set(v if isinstance(v, list) else str(v).split(";"))
                out.extend(1 if code in chosen else 0 for code, _, _ in c.choices)
        elif c.choices:
            if v is None:
                out.append(None)
            elif p.recode is not None:
                out.append(p.recode.get(str(v)))
            else:
                try:
                    out.append(int(str(v)))
                except ValueError:
                    out.append(None)
        elif c.kind == "number":
            out.append(None if v is None else float(v))
        else:
            out.append(None if v is None else cell_text(v))
    return out


def _write_sav(store: Store, wave_id: str, q: Questionnaire, path: Path, cols: list[Column], language: str,
               progress: Callable[[int], None] | None) -> int:
    variables, plan = sav_variables(q, cols, language=language)
    notes = [f"manyi export of wave {wave_id}: questionnaire {q.id} version {q.version}",
             f"text answers are cut to {MAX_STRING} bytes; the CSV and XLSX exports hold them in full"]
    n = 0
    with open(path, "wb") as f:
        w = SavWriter(f, variables, label=q.title.get(language), notes=notes)
        for r in _responses(store, wave_id):
            w.write_row(_sav_values(r, plan))
            n += 1
            if progress and n % 10000 == 0:
                progress(n)
        w.close()
    return n


# ---- codebook --------------------------------------------------------------------------------


def codebook(q: Questionnaire, *, cols: list[Column] | None = None, language: str = "zh") -> list[dict[str, str]]:
    """One row per column: variable, label, type, values (code=label), missing (codes never
    scored), spss (how .sav numbers a text code, or the 0/1 variables of a multi-choice), and
    the condition it is asked under."""
    cols = export_columns(q) if cols is None else cols
    _, plan = sav_variables(q, cols, language=language)
    zh = language != "en"
    rows = [{"variable": f, "label": _RECORD_LABELS[f][0 if zh else 1],
             "type": "number" if f == "response_id" else "text", "values": "", "missing": "", "spss": "",
             "asked_if": ""} for f in RECORD_FIELDS]
    for p in plan:
        c = p.col
        spss = ""
        if c.kind == "multi":
            spss = "; ".join(f"{n}=1 if {code} chosen" for n, (code, _, _) in zip(p.names, c.choices))
        elif p.recode:
            spss = "; ".join(f"{k}={code}" for code, k in p.recode.items())
        elif c.kind == "text":
            spss = f"cut to {MAX_STRING} bytes"
        conds = [x for x in (c.section_show_if, getattr(c.question, "show_if", None), c.item_show_if) if x]
        rows.append({"variable": c.id, "label": c.label(language),
                     "type": "attribute" if c.is_attribute and c.kind == "attribute" else c.kind,
                     "values": "; ".join(f"{code}={c.choice_label(code, language)}" for code, _, _ in c.choices),
                     "missing": "; ".join(c.missing), "spss": spss, "asked_if": " and ".join(f"({x})" for x in conds)})
    return rows


def write_codebook(q: Questionnaire, path: str | Path, *, fmt: str = "csv", language: str = "zh",
                   include_personal: bool = False) -> int:
    if fmt not in CODEBOOK_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(CODEBOOK_FORMATS)}; got {fmt!r}")
    rows = codebook(q, cols=export_columns(q, include_personal=include_personal), language=language)
    path = Path(path)
    if fmt == "json":
        path.write_text(json.dumps({"questionnaire": q.id, "version": q.version, "variables": rows},
                                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif fmt == "md":
        keys = list(rows[0])
        lines = [f"# {q.title.get(language)} ({q.id} {q.version})", "", "| " + " | ".join(keys) + " |",
                 "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(str(r[k]).replace("|", "\\|") for k in keys) + " |" for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return len(rows)


# ---- one entry point ---------------------------------------------------------------------------


def export_wave(store: Store, wave_id: str, fmt: str, path: str | Path, *, language: str = "zh",
                include_personal: bool = False, codebook_format: str = "csv",
                progress: Callable[[int], None] | None = None) -> int:
    """Write the wave's completed responses (or its codebook) to `path`; returns the rows
    written (codebook: variables)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if language not in ("zh", "en"):
        raise ValueError(f"language must be zh or en; got {language!r}")
    q = wave_questionnaire(store, wave_id)
    path = Path(path)
    cols = export_columns(q, include_personal=include_personal)
    if fmt == "codebook":
        return write_codebook(q, path, fmt=codebook_format, language=language, include_personal=include_personal)
    if fmt == "xlsx":
        return _write_xlsx(store, wave_id, q, path, cols, language, progress)
    if fmt == "sav":
        return _write_sav(store, wave_id, q, path, cols, language, progress)
    counted = [0]

    def seen(k: int) -> None:
        counted[0] = k
        if progress:
            progress(k)

    with open(path, "wb") as f:
        for chunk in csv_chunks(store, wave_id, q, include_personal=include_personal, progress=seen):
            f.write(chunk)
    return counted[0]
