"""Paper data (CSV or XLSX) checked against a wave's questionnaire, then imported on request.

Step one, `check_file`, reads the whole file and reports every bad cell (row, column,
question id, code, reason) without storing anything. Step two, `import_valid`, reads and
checks the file again and stores only the rows without problems, as complete responses with
mode 'paper'. Each row's idempotency key is independent of the file: the wave and the
`respondent_id` column (the form number), or, without that column, the wave, the row's
content and how many identical rows came before it in the file. Importing the same rows again
stores nothing new.

Headers are ids (or, where unique, a question's Chinese or English label); cells are codes
or a choice's label (非常满意 for "5"); several choices are separated by ';' or '；'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Callable, Iterator

from ..diagnostics import did_you_mean
from ..expressions import compile_condition, compile_expr, evaluate, names, parse
from ..schema import CalculateQuestion, MultiQuestion, Questionnaire
from ..storage import Store
from ..storage.paper import PaperRow, insert_paper_rows, record_audit
from .layout import RECORD_FIELDS, Column, columns
from .report import ImportReport, ImportResult, Problem
from .tables import TableError, open_table

__all__ = ["Problem", "ImportReport", "ImportResult", "check_file", "import_valid", "Progress", "check_answers",
           "accept_answers", "layout_of"]

#: progress(rows read, fraction of the file read)
Progress = Callable[[int, float], None]
PAGE = 1000
_TRUE_VALUES = {"1", "true", "yes", "是"}


# ---- one row ---------------------------------------------------------------------------------


class _Layout:
    """What the checker needs, made once per questionnaire: columns by id, code and label
    lookups, parsed conditions and the names they read."""

    def __init__(self, q: Questionnaire):
        self.q = q
        self.columns = columns(q)
        self.by_id = {c.id: c for c in self.columns}
        # the order answers are known in: columns, with computed values where they stand
        self.steps: list[Column | tuple[str, Any, set[str]]] = [c for c in self.columns if c.is_attribute]
        for sec in q.sections:
            for qu in sec.questions:
                if isinstance(qu, CalculateQuestion):
                    tree = parse(qu.expression)
                    self.steps.append((qu.id, tree, {n.id for n in names(tree)}))
                else:
                    self.steps += [c for c in self.columns if c.question is qu]
        self.lookup: dict[str, dict[str, str]] = {}
        for c in self.columns:
            if c.choices:
                m: dict[str, str] = {}
                for code, zh, en in c.choices:  # labels first so that a code always wins
                    for lab in (zh, en):
                        if lab:
                            m.setdefault(lab.strip(), code)
                m.update({code: code for code, _, _ in c.choices})
                self.lookup[c.id] = m
        self.trees: dict[str, Any] = {}
        self.conds: dict[str, Callable[[dict], bool]] = {}
        self.reads: dict[str, set[str]] = {}
        for c in self.columns:
            for text in (c.section_show_if, getattr(c.question, "show_if", None), c.item_show_if,
                         getattr(c.question, "constraint", None)):
                if text and text not in self.trees:
                    tree = parse(text)
                    self.trees[text] = tree
                    self.conds[text] = compile_condition(text)
                    self.reads[text] = {n.id for n in names(tree)}
        self.derived = {a.question: a.id for a in q.attributes if a.source == "question" and a.question}
        labels: dict[str, list[str]] = {}
        for c in self.columns:
            for lab in (c.label_zh, c.label_en):
                if lab:
                    labels.setdefault(lab.strip(), []).append(c.id)
        self.header_labels = {lab: ids[0] for lab, ids in labels.items() if len(set(ids)) == 1}


def _code(layout: _Layout, col: Column, raw: str) -> tuple[str | None, str | None, str | None]:
    """(code, error message, fix)."""
    m = layout.lookup.get(col.id)
    if m is None:  # an attribute without declared choices: free text
        return raw, None, None
    if raw in m:
        return m[raw], None, None
    codes = [c for c, _, _ in col.choices]
    if raw.endswith(".0") and raw[:-2] in codes:
        return raw[:-2], None, None
    shown = ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else "")
    return None, f"'{raw}' is not a code or label of '{col.id}' (codes: {shown})", did_you_mean(raw, list(m))


def _parse_cell(layout: _Layout, col: Column, raw: str) -> tuple[Any, tuple[str, str, str | None] | None]:
    """(value, (code, message, fix) if bad)."""
    kind = col.kind
    if kind in ("single", "scale", "matrix_item", "nps", "attribute"):
        code, msg, fix = _code(layout, col, raw)
        return (code, None) if msg is None else (None, ("C002", msg, fix))
    if kind == "multi":
        parts = [p.strip() for p in raw.replace("；", ";").split(";") if p.strip()]
        out: list[str] = []
        for p in parts:
            code, msg, fix = _code(layout, col, p)
            if msg is not None:
                return None, ("C002", msg, fix or "separate several codes with ;")
            if code not in out:
                out.append(code)
        return out, None
    if kind == "number":
        try:
            x = float(raw)
            if not math.isfinite(x):
                raise ValueError
        except ValueError:
            return None, ("C005", f"'{raw}' is not a number", None)
        if col.low is not None and x < col.low:
            return None, ("C005", f"{raw} is below the minimum {col.low:g}", None)
        if col.high is not None and x > col.high:
            return None, ("C005", f"{raw} is above the maximum {col.high:g}", None)
        if col.integer and not x.is_integer():
            return None, ("C005", f"{raw} is not a whole number", None)
        return (int(x) if x.is_integer() else x), None
    if kind == "text":
        if col.max_length is not None and len(raw) > col.max_length:
            return None, ("C005", f"the answer has {len(raw)} characters; at most {col.max_length}", None)
        return raw, None
    if kind == "date":
        try:
            d = dt.date.fromisoformat(raw)
        except ValueError:
            return None, ("C005", f"'{raw}' is not a date", "write YYYY-MM-DD")
        q = col.question
        if q is not None and ((q.min and d < q.min) or (q.max and d > q.max)):
            return None, ("C005", f"{raw} is outside {q.min or '...'} to {q.max or '...'}", None)
        return d.isoformat(), None
    if kind == "region":
        if not (raw.isascii() and raw.isdigit()) or not 2 <= len(raw) <= 12:
            return None, ("C005", f"'{raw}' is not a region code (2 to 12 digits)", None)
        within = getattr(col.question, "within", None)
        if within and not raw.startswith(within):
            return None, ("C005", f"'{raw}' is not within region {within}", None)
        return raw, None
    return raw, None


def _visible(layout: _Layout, col: Column, env: dict, bad: set[str]) -> bool | None:
    """True or False; None when a condition reads a cell that is itself bad (unknown)."""
    for text in (col.section_show_if, getattr(col.question, "show_if", None), col.item_show_if):
        if not text:
            continue
        if layout.reads[text] & bad:
            return None
        if not layout.conds[text](env):
            return False
    return True


def _check_row(layout: _Layout, mapping: list[tuple[int, str, str]], cells: list[str], rownum: int
               ) -> tuple[list[Problem], dict, dict, dict]:
    """Problems, answers, attributes and record fields of one row."""
    problems: list[Problem] = []
    raw: dict[str, tuple[int, str, str]] = {}
    record: dict[str, str] = {}
    for j, header, cid in mapping:
        v = cells[j] if j < len(cells) else ""
        if cid in RECORD_FIELDS or cid == "duration_seconds":
            record[cid] = v
        elif v != "":
            raw[cid] = (j + 1, header, v)
    where = {cid: (j + 1, header) for j, header, cid in mapping}
    env: dict[str, Any] = {}
    bad: set[str] = set()
    answers: dict[str, Any] = {}
    attributes: dict[str, Any] = {}

    def problem(code: str, col: Column, message: str, value: str = "", fix: str | None = None) -> None:
        colnum, header = where.get(col.id, (0, ""))
        problems.append(Problem(code, rownum, colnum, header, col.id, message, value, fix))

    for col in layout.steps:
        if isinstance(col, tuple):  # a computed value: unknown when it reads a bad cell
            cid, tree, reads = col
            if reads & bad:
                bad.add(cid)
            else:
                env[cid] = evaluate(tree, env)
            continue
        value = None
        if col.id in raw:
            _, _, text = raw[col.id]
            value, err = _parse_cell(layout, col, text)
            if err is not None:
                problem(err[0], col, err[1], text, err[2])
                bad.add(col.id)
                if col.id in layout.derived:
                    bad.add(layout.derived[col.id])
                continue
        if col.is_attribute:
            env[col.id] = value
            if value is not None:
                attributes[col.id] = value
            continue
        shown = _visible(layout, col, env, bad)
        if shown is False and value is not None:
            problem("C007", col, "answered, but the question is hidden for this respondent "
                    f"(show_if: {col.item_show_if or col.question.show_if or col.section_show_if})", raw[col.id][2],
                    "leave it empty or correct the answers it depends on")
            bad.add(col.id)
            value = None
        empty = value is None or value == []
        if shown is True and empty and col.required:
            problem("C006", col, "required answer missing")
        if shown is not False and not empty and col.kind != "matrix_item":
            q = col.question
            if isinstance(q, MultiQuestion):
                if len(value) < q.min_selected:
                    problem("C008", col, f"{len(value)} selected; at least {q.min_selected}", raw[col.id][2])
                elif q.max_selected is not None and len(value) > q.max_selected:
                    problem("C008", col, f"{len(value)} selected; at most {q.max_selected}", raw[col.id][2])
            if q.constraint and not (layout.reads[q.constraint] & bad):
                if evaluate(layout.trees[q.constraint], env, this=value) is not True:
                    msg = q.constraint_message.zh if q.constraint_message else f"constraint `{q.constraint}` is not met"
                    problem("C008", col, msg, raw[col.id][2])
        env[col.id] = value
        if col.id in layout.derived:
            env[layout.derived[col.id]] = value
        if not empty:
            answers[col.id] = value
    return problems, answers, attributes, record


# ---- the file ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _header(layout: _Layout, header: list[str]) -> tuple[list[tuple[int, str, str]], list[Problem]]:
    mapping: list[tuple[int, str, str]] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    known = list(layout.by_id) + list(RECORD_FIELDS)
    for j, name in enumerate(header):
        if not name or name.startswith("_"):
            continue
        cid = name if (name in layout.by_id or name in RECORD_FIELDS or name == "duration_seconds") \
            else layout.header_labels.get(name)
        if cid is None:
            problems.append(Problem("C001", 1, j + 1, name, "", f"'{name}' is not a question, item, attribute or "
                                    f"record field of '{layout.q.id}'", name, did_you_mean(name, known)))
            continue
        if cid in seen:
            problems.append(Problem("C004", 1, j + 1, name, cid if cid in layout.by_id else "",
                                    f"column '{cid}' appears twice (also column {seen[cid] + 1})", name))
            continue
        seen[cid] = j
        mapping.append((j, name, cid))
    return mapping, problems


def _rows(path: Path, q: Questionnaire, wave_id: str, report: ImportReport, progress: Progress | None
          ) -> Iterator[tuple[int, list[Problem], PaperRow | None]]:
    """Checks every row; yields (row number, problems, the row to store if it has none)."""
    layout = _Layout(q)
    try:
        table = open_table(path)
    except TableError as e:
        report.file_problems.append(Problem("C004", e.row, 0, "", "", str(e)))
        return
    mapping, header_problems = _header(layout, table.header)
    report.file_problems.extend(header_problems)
    has_id = any(cid == "respondent_id" for _, _, cid in mapping)
    ids: dict[str, int] = {}
    same: dict[bytes, int] = {}
    try:
        for k, (rownum, cells, fraction) in enumerate(table.rows, start=1):
            problems, answers, attributes, record = _check_row(layout, mapping, cells, rownum)
            rid = record.get("respondent_id", "")
            if has_id and rid:
                if rid in ids:
                    j = next(j for j, _, cid in mapping if cid == "respondent_id")
                    problems.append(Problem("C009", rownum, j + 1, table.header[j], "",
                                            f"respondent id '{rid}' is also in row {ids[rid]}", rid))
                else:
                    ids[rid] = rownum
            submitted = None
            if record.get("submitted_at"):
                try:
                    submitted = dt.datetime.fromisoformat(record["submitted_at"])
                    if submitted.tzinfo is None:
                        submitted = submitted.replace(tzinfo=dt.timezone.utc)
                except ValueError:
                    j = next(j for j, _, cid in mapping if cid == "submitted_at")
                    problems.append(Problem("C005", rownum, j + 1, table.header[j], "",
                                            f"'{record['submitted_at']}' is not a date and time",
                                            record["submitted_at"], "write YYYY-MM-DD HH:MM"))
            report.rows += 1
            if progress is not None and k % 5000 == 0:
                progress(k, fraction)
            if problems:
                report.problems.extend(problems)
                yield rownum, problems, None
                continue
            report.valid_rows += 1
            if has_id and rid:
                key_src: list = ["paper", wave_id, "id", rid]
                attributes = {**attributes, "respondent_id": rid}
            else:
                content = json.dumps([answers, attributes], sort_keys=True, ensure_ascii=False, default=str)
                digest = hashlib.sha256(content.encode("utf-8")).digest()[:16]
                same[digest] = same.get(digest, 0) + 1
                key_src = ["paper", wave_id, "row", digest.hex(), same[digest]]
            key = "paper:" + hashlib.sha256(json.dumps(key_src, ensure_ascii=False).encode("utf-8")).hexdigest()
            paradata: dict[str, Any] = {"source": "paper", "file_row": rownum}
            if record.get("duration_seconds"):
                paradata["duration_seconds"] = record["duration_seconds"]
            yield rownum, [], PaperRow(key, answers, attributes, paradata, submitted)
    except TableError as e:
        report.file_problems.append(Problem("C004", e.row, 0, "", "", str(e)))
    if progress is not None and report.rows % 5000:
        progress(report.rows, 1.0)


def check_file(path: str | Path, q: Questionnaire, wave_id: str, *, progress: Progress | None = None
               ) -> ImportReport:
    """Read the whole file and report every problem; stores nothing."""
    path = Path(path)
    report = ImportReport(str(path), _sha256(path), "")
    report.format = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    for _ in _rows(path, q, wave_id, report, progress):
        pass
    return report


def import_valid(store: Store, wave_id: str, path: str | Path, q: Questionnaire, *, actor: str = "import",
                 progress: Progress | None = None, checked: ImportReport | None = None) -> ImportResult:
    """Store the valid rows of a checked file (pages of 1,000, one transaction each). The file
    is checked first (unless `checked` is the report of these very bytes); with a problem in
    its header or structure nothing is stored."""
    path = Path(path)
    store.wave(wave_id)  # NotFound before reading a large file
    digest = _sha256(path)
    if checked is None or checked.sha256 != digest:
        checked = check_file(path, q, wave_id, progress=progress)
    if not checked.importable:
        return ImportResult(checked, 0, 0, 0)
    report = ImportReport(str(path), digest, checked.format)
    # the header is checked before the first row is yielded: no page is written with header problems
    rows = _rows(path, q, wave_id, report, progress)
    page: list[PaperRow] = []
    inserted = already = conflicts = 0

    def flush() -> None:
        nonlocal inserted, already, conflicts
        if page and not report.file_problems:
            r = insert_paper_rows(store, wave_id, page, actor=actor)
            inserted, already, conflicts = inserted + r.inserted, already + r.already, conflicts + len(r.conflicts)
        page.clear()

    for _, _, row in rows:
        if report.file_problems:
            break
        if row is not None:
            page.append(row)
            if len(page) >= PAGE:
                flush()
    if report.file_problems:
        page.clear()
    flush()
    if inserted or already or conflicts:
        record_audit(store, actor, "import_paper", "wave", wave_id, sha256=report.sha256, rows=report.rows,
                     inserted=inserted, already=already, conflicts=conflicts, skipped=report.bad_rows)
    return ImportResult(report, inserted, already, conflicts)


# ---- one submission through the API -------------------------------------------------------------

_LAYOUTS: dict[int, tuple[Questionnaire, _Layout]] = {}
_CHOICE_KINDS = frozenset({"single", "scale", "matrix_item", "nps", "attribute"})


def layout_of(q: Questionnaire) -> _Layout:
    """The checker's layout of a questionnaire, made once per questionnaire object."""
    hit = _LAYOUTS.get(id(q))
    if hit is None or hit[0] is not q:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        hit = _LAYOUTS[id(q)] = (q, _Layout(q))
    return hit[1]


def _cell(value: Any) -> str | None:
    """A JSON value as the text of a cell (None: not a kind of answer)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)) if math.isfinite(value) else None
    if isinstance(value, list) and all(isinstance(v, str) and ";" not in v for v in value):
        return ";".join(value)
    return None


def check_answers(q: Questionnaire, answers: dict[str, Any], attributes: dict[str, Any], *,
                  complete: bool = True) -> tuple[list[Problem], dict[str, Any], dict[str, Any]]:
    """A submission sent as JSON, checked as a row of paper data is: every key a question,
    item or attribute of the questionnaire; codes (or labels) among the choices, numbers, dates
    and regions well formed and in range; selections, lengths and constraints; no answer to a
    question its `show_if` hides; and, for a complete response, every required answer.
    Returns (problems, answers, attributes) with the values typed as imports type them; a
    problem's `row` is 0 and its `column` the key's position in the answers (1-based)."""
    layout = layout_of(q)
    problems: list[Problem] = []
    mapping: list[tuple[int, str, str]] = []
    cells: list[str] = []
    # attributes the questionnaire declares are checked (and conditions read them); others are kept as sent
    declared = [(a, v) for a, v in attributes.items() if v is not None and a in layout.by_id
                and layout.by_id[a].is_attribute]
    for k, (key, value) in enumerate(list(answers.items()) + declared):
        col = layout.by_id.get(key)
        if col is None or key in RECORD_FIELDS or (col.is_attribute and k < len(answers)):
            what = "an attribute: send it in attributes" if col is not None and col.is_attribute else \
                f"not a question or item of questionnaire '{q.id}'"
            problems.append(Problem("C001", 0, k + 1, key, key, f"'{key}' is {what}", "",
                                    did_you_mean(key, [c for c, v in layout.by_id.items() if not v.is_attribute])))
            continue
        text = _cell(value)
        if text is None or (isinstance(value, list) and col.kind != "multi"):
            want = "a list of codes" if col.kind == "multi" else "a code, number or text"
            problems.append(Problem("C002", 0, k + 1, key, key, f"'{key}' must be {want}; got {type(value).__name__}",
                                    "", None))
            continue
        mapping.append((len(cells), key, key))
        cells.append(text)
    if problems:
        return problems, {}, {}
    found, typed, attrs, _ = _check_row(layout, mapping, cells, 0)
    if not complete:
        found = [p for p in found if p.code != "C006"]
    return found, typed, {**attributes, **attrs}


class _Step:
    """One column as accept_answers walks it: what it needs, looked up once."""

    __slots__ = ("col", "id", "attribute", "lookup", "conds", "required", "multi", "constraint", "derived")

    def __init__(self, layout: _Layout, col: Column):
        self.col, self.id, self.attribute = col, col.id, col.is_attribute
        self.lookup = layout.lookup.get(col.id) if col.kind in _CHOICE_KINDS else None
        texts = (col.section_show_if, getattr(col.question, "show_if", None), col.item_show_if)
        self.conds = tuple(layout.conds[t] for t in texts if t)
        self.required = col.required
        q = col.question
        self.multi = q if isinstance(q, MultiQuestion) and col.kind != "matrix_item" else None
        self.constraint = compile_expr(layout.trees[q.constraint]) if (
            q is not None and col.kind != "matrix_item" and getattr(q, "constraint", None)) else None
        self.derived = layout.derived.get(col.id)


def _fast_steps(layout: _Layout) -> Callable[[dict, dict, bool], tuple[dict, dict] | None]:
    """accept_answers' function for one questionnaire, made once: Python source with a block
    per column in the order answers are known (the lookups and conditions of each column bound
    by name), compiled. The same walk as _check_row, stopping at the first problem."""
    got = getattr(layout, "_fast", None)
    if got is not None:
        return got
    ns: dict[str, Any] = {"ANSWER_IDS": frozenset(c.id for c in layout.columns
                                                  if not c.is_attribute and c.id not in RECORD_FIELDS),
                          "_typed": _typed, "layout": layout, "MISSING": object(), "_str": str}
    src = ["def accept(answers, attributes, complete):",
           "    for key in answers:",
           "        if key not in ANSWER_IDS:",
           "            return None",
           "    env = {}",
           "    typed = {}",
           "    attrs = {}"]
    for k, s in enumerate(layout.steps):
        if isinstance(s, tuple):  # a computed value
            ns[f"f{k}"] = compile_expr(s[1])
            src.append(f"    env[{s[0]!r}] = f{k}(env, None)")
            continue
        step = ns[f"s{k}"] = _Step(layout, s)
        sid = repr(step.id)
        if step.attribute:
            src += [f"    raw = attributes.get({sid})",
                    "    value = None",
                    "    if raw is not None:",
                    f"        ok, value = _typed(layout, s{k}, raw)",
                    "        if not ok:",
                    "            return None",
                    "        if value is not None:",
                    f"            attrs[{sid}] = value",
                    f"    env[{sid}] = value"]
            continue
        src += [f"    raw = answers.get({sid}, MISSING)",
                "    if raw is MISSING:",
                "        value = None",
                "    else:"]
        if step.lookup is not None:
            ns[f"l{k}"] = step.lookup
            src += [f"        value = l{k}.get(raw) if type(raw) is _str and raw else None",  # '': no answer
                    "        if value is None:  # not a code or label as sent: the general way",
                    f"            ok, value = _typed(layout, s{k}, raw)",
                    "            if not ok:",
                    "                return None"]
        else:
            src += [f"        ok, value = _typed(layout, s{k}, raw)",
                    "        if not ok:",
                    "            return None"]
        shown = ["if value is None or value == []:",
                 "    if complete:" if step.required else "    pass",
                 *(["        return None"] if step.required else []),
                 "else:"]
        checks = []
        if step.multi is not None:
            m = step.multi
            over = f" or len(value) > {int(m.max_selected)}" if m.max_selected is not None else ""
            checks += [f"    if len(value) < {int(m.min_selected)}{over}:", "        return None"]
        if step.constraint is not None:
            ns[f"k{k}"] = step.constraint
            checks += [f"    if k{k}(env, value) is not True:", "        return None"]
        shown += checks or ["    pass"]
        if step.conds:
            for j, cond in enumerate(step.conds):
                ns[f"c{k}_{j}"] = cond
            test = " and ".join(f"c{k}_{j}(env)" for j in range(len(step.conds)))
            src += [f"    if not ({test}):",
                    "        if value is not None:",
                    "            return None",
                    "    else:", *("        " + line for line in shown)]
        else:
            src += ["    " + line for line in shown]
        src.append(f"    env[{sid}] = value")
        if step.derived is not None:
            src.append(f"    env[{step.derived!r}] = value")
        src += ["    if value is not None and value != []:",
                f"        typed[{sid}] = value"]
    src.append("    return typed, {**attributes, **attrs}")
    exec(compile("\n".join(src), f"<accept_answers {layout.q.id}>", "exec"), ns)  # noqa: S102 (our own source)
    layout._fast = ns["accept"]  # type: ignore[attr-defined]
    return ns["accept"]


def _typed(layout: _Layout, step: _Step, value: Any) -> tuple[bool, Any]:
    """(ok, typed value or None for no answer) of one JSON value, as check_answers types it."""
    if type(value) is str:
        text = value
    else:
        if isinstance(value, list) and step.col.kind != "multi":
            return False, None
        text = _cell(value)
        if text is None:
            return False, None
    if text == "":
        return True, None
    if step.lookup is not None:
        code = step.lookup.get(text)
        if code is not None:
            return True, code
    typed, err = _parse_cell(layout, step.col, text)
    return err is None, typed


def accept_answers(q: Questionnaire, answers: dict[str, Any], attributes: dict[str, Any], *,
                   complete: bool = True) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """check_answers' verdict on a submission it accepts, found without its bookkeeping:
    (answers, attributes) typed exactly as check_answers returns them, or None at the first
    thing it would report (then call check_answers for the problems). The API checks every
    submission this way (tests/engine/test_api_answers.py compares the two on mutated
    answer sets)."""
    return _fast_steps(layout_of(q))(answers, attributes, complete)
