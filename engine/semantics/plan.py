"""Semantic checks of an evaluation plan: the questionnaire it names, design and domain
variables, population margins (inline or CSV) and their sums, bounds and dates."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Callable

from ..diagnostics import did_you_mean
from ..schema import Plan, Questionnaire
from ._context import Context

__all__ = ["check_plan", "read_margin_csv"]


def read_margin_csv(path: Path, ctx: Context, subject: str) -> dict[str, float] | None:
    """`code,count` rows of a margin file; diagnostics point into the CSV itself."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        ctx.report_at("L003", shown, line, 1, subject, "the margin file is not UTF-8 text", "save it as UTF-8")
        return None
    except OSError as e:
        ctx.report_at("L003", shown, 1, 1, subject, f"cannot read the margin file: {e.strerror or e}")
        return None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        ctx.report_at("L003", shown, 1, 1, subject, f"the margin file is not valid CSV ({e})")
        return None
    if not rows or [c.strip() for c in rows[0]][:2] != ["code", "count"]:
        ctx.report_at("L003", shown, 1, 1, subject, "the first row must be the header 'code,count'")
        return None
    out: dict[str, float] = {}
    ok = True
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < 2:
            ctx.report_at("L003", shown, lineno, 1, subject, "a row needs a code and a count")
            ok = False
            continue
        code, count = row[0].strip(), row[1].strip()
        try:
            value = float(count)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        except ValueError:
            ctx.report_at("L003", shown, lineno, len(row[0]) + 2, subject,
                          f"count '{count}' of '{code}' is not a number >= 0")
            ok = False
            continue
        if code in out:
            ctx.report_at("L003", shown, lineno, 1, subject, f"code '{code}' appears twice")
            ok = False
        out[code] = value
    return out if ok else None


def check_plan(p: Plan, ctx: Context, load_questionnaire: Callable[[Path], tuple[Questionnaire | None, int]]) -> None:
    subject = f"plan '{p.id}'"
    base = ctx.base_dir or Path(".")
    q: Questionnaire | None = None
    qpath = base / p.questionnaire
    if not qpath.is_file():
        ctx.report("L002", ("questionnaire",), subject, f"questionnaire file '{p.questionnaire}' not found "
                   f"(looked in {qpath.parent})")
    else:
        q, errors = load_questionnaire(qpath)
        if q is None:
            ctx.report("L002", ("questionnaire",), subject, f"questionnaire '{p.questionnaire}' does not load "
                       f"({errors} error{'s' if errors != 1 else ''})", f"run: manyi validate {p.questionnaire}")
    if p.previous_wave is not None and not (base / p.previous_wave).is_file():
        ctx.report("L002", ("previous_wave",), subject, f"previous wave file '{p.previous_wave}' not found")

    if p.wave.end < p.wave.start:
        ctx.report("L006", ("wave", "end"), subject, f"the wave ends ({p.wave.end}) before it starts ({p.wave.start})")
    w = p.weighting
    t = w.trimming
    if t is not None and t.lower is not None and t.upper is not None and t.lower >= t.upper:
        ctx.report("L006", ("weighting", "trimming", "upper"), subject,
                   f"trimming upper bound {t.upper:g} is not above the lower bound {t.lower:g}")
    if w.bounds is not None and w.bounds[0] >= w.bounds[1]:
        ctx.report("L006", ("weighting", "bounds"), subject,
                   f"calibration bounds ({w.bounds[0]:g}, {w.bounds[1]:g}) are empty")
    if w.method in ("poststratify", "rake", "calibrate") and not w.margins:
        ctx.report("S003", ("weighting",), subject, f"weighting method {w.method} needs margins",
                   "add margins: or set method: none")
    if w.method == "poststratify" and len(w.margins) > 1:
        ctx.report("S004", ("weighting", "margins"), subject,
                   "post-stratification takes one margin (the cells); use method: rake for several")

    variables: dict[str, tuple[str, ...] | None] = {}
    if q is not None:
        qchoices: dict[str, tuple[str, ...] | None] = {}
        for sec in q.sections:
            for question in sec.questions:
                qchoices[question.id] = tuple(c.code for c in question.choices) if hasattr(question, "choices") else None
                for item in getattr(question, "items", []) or []:
                    qchoices[item.id] = None
        variables.update(qchoices)
        for a in q.attributes:
            if a.choices:
                variables[a.id] = tuple(c.code for c in a.choices)
            elif a.question is not None:
                variables[a.id] = qchoices.get(a.question)
            else:
                variables[a.id] = None

    def check_var(name: str | None, where: tuple) -> bool:
        if name is None or q is None:
            return q is not None
        if name not in variables:
            attrs = [a.id for a in q.attributes]
            ctx.report("L004", where, subject, f"'{name}' is not an attribute or question of '{q.id}'",
                       did_you_mean(name, attrs + [v for v in variables if v not in attrs]))
            return False
        return True

    d = p.design
    check_var(d.weights, ("design", "weights"))
    check_var(d.strata, ("design", "strata"))
    for k, v in enumerate(d.psu):
        check_var(v, ("design", "psu", k))
    for k, v in enumerate(d.fpc):
        check_var(v, ("design", "fpc", k))
    for k, v in enumerate(p.domains):
        check_var(v, ("domains", k))
    for k, v in enumerate(p.report.league_tables):
        check_var(v, ("report", "league_tables", k))
    for k, c in enumerate(p.comparisons):
        where = ("comparisons", k)
        if c.kind == "domains" and c.by is None:
            ctx.report("S003", where, f"comparison '{c.id}'", "a comparison of domains needs 'by:'", "add by: <variable>")
        check_var(c.by, where + ("by",))
        if c.kind == "waves" and p.previous_wave is None:
            ctx.report("S003", where, f"comparison '{c.id}'", "a comparison of waves needs previous_wave: in the plan")

    if p.units is not None:
        _check_units(p, base, ctx, subject)

    sums: list[tuple[str, float, tuple]] = []
    for k, m in enumerate(w.margins):
        where = ("weighting", "margins", k)
        msub = f"margin '{m.variable}'"
        if (m.population is None) == (m.csv is None):
            ctx.report("S004", where, msub, "give exactly one of 'population' (inline) or 'csv' (a file)")
            continue
        if m.population is not None:
            counts = m.population
            count_where = where + ("population",)
        else:
            cpath = base / m.csv  # type: ignore[operator]
            if not cpath.is_file():
                ctx.report("L002", where + ("csv",), msub, f"margin file '{m.csv}' not found (looked in {cpath.parent})")
                continue
            counts = read_margin_csv(cpath, ctx, msub)
            count_where = where + ("csv",)
            if counts is None:
                continue
        if check_var(m.variable, where + ("variable",)):
            codes = variables.get(m.variable)
            if codes is not None:
                for code in counts:
                    if code not in codes:
                        key = m.population is not None
                        ctx.report("L005", count_where + ((code,) if key else ()), msub,
                                   f"'{code}' is not a code of '{m.variable}' (codes: {', '.join(codes)})",
                                   did_you_mean(code, codes), key=key)
                lacking = [c for c in codes if c not in counts]
                if lacking:
                    ctx.report("L005", count_where, msub, f"no population count for {', '.join(map(repr, lacking))} "
                               f"of '{m.variable}'", "add them (a category with no count cannot be weighted)")
        sums.append((m.variable, float(sum(counts.values())), count_where))

    if sums:
        if w.population_total is not None:
            ref, ref_name = w.population_total, "population_total"
        else:
            ref, ref_name = sums[0][1], f"margin '{sums[0][0]}'"
        for name, total, where in sums:
            if abs(total - ref) > 1e-6 * max(abs(ref), 1.0):
                ctx.report("L001", where, f"margin '{name}'",
                           f"counts sum to {total:,.6g}, but {ref_name} is {ref:,.6g} (off by {total - ref:+,.6g})",
                           "margins must describe the same population")


def _check_units(p: Plan, base: Path, ctx: Context, subject: str) -> None:
    """The units file: present, UTF-8 CSV with its header, one named row per unit of a design,
    domain or league-table variable; diagnostics point into the CSV itself."""
    from ..units import parse_units

    upath = base / p.units  # type: ignore[operator]
    if not upath.is_file():
        ctx.report("L002", ("units",), subject, f"units file '{p.units}' not found (looked in {upath.parent})")
        return
    try:
        text = upath.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = upath.read_bytes()[: e.start].count(b"\n") + 1
        ctx.report_at("L007", str(upath), line, 1, subject, "the units file is not UTF-8 text", "save it as UTF-8")
        return
    d = p.design
    known = {v for v in [d.strata, *d.psu, *p.domains, *p.report.league_tables] if v}
    _, problems = parse_units(text, str(upath), known)
    for e in problems:
        ctx.report_at("L007", e.path, e.line, e.column, subject, e.message)
