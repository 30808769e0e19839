"""Semantic checks of a questionnaire: ids, scales, ranges, languages, attributes,
expressions (references, order, cycles) and the indicator tree with its weights."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scoring.weights import CR_THRESHOLD, ahp_weights, combine_judgements

from .. import expressions as ex
from ..diagnostics import did_you_mean
from ..errors import ExpressionError
from ..schema import (
    AhpWeights, BlendWeights, FixedWeights, MatrixQuestion, MultiQuestion, NpsQuestion, Questionnaire,
    ScaleQuestion, SingleQuestion, Text,
)
from ._context import Context, walk_structs

__all__ = ["check_questionnaire", "judgement_value"]

_FRACTION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def judgement_value(v: float | str) -> float:
    """An AHP judgement as a number ("1/3" -> 0.333...); NaN if it cannot be one."""
    if isinstance(v, str):
        m = _FRACTION.match(v)
        if not m or float(m.group(2)) == 0:
            return float("nan")
        return float(m.group(1)) / float(m.group(2))
    return float(v)


@dataclass(frozen=True, slots=True)
class _Element:
    """A question, matrix item or section: something with an id, a place and maybe show_if."""

    id: str
    kind: str  # question kind, "matrix_item" or "section"
    where: tuple
    subject: str
    order: float
    section: str
    choices: tuple[str, ...] | None
    parent: str | None = None


def _scale_codes(q: Questionnaire) -> dict[str, tuple[str, ...]]:
    return {s.id: tuple(p.code for p in s.points) for s in q.scales}


def _elements(q: Questionnaire) -> list[_Element]:
    scale_codes = _scale_codes(q)
    out: list[_Element] = []
    order = 0
    for si, sec in enumerate(q.sections):
        swhere = ("sections", si)
        out.append(_Element(sec.id, "section", swhere, f"section '{sec.id}'", order - 0.5, sec.id, None))
        for qi, question in enumerate(sec.questions):
            qwhere = swhere + ("questions", qi)
            choices = None
            if isinstance(question, (SingleQuestion, MultiQuestion)):
                choices = tuple(c.code for c in question.choices)
            elif isinstance(question, ScaleQuestion):
                choices = scale_codes.get(question.scale)
            elif isinstance(question, NpsQuestion):
                choices = tuple(str(i) for i in range(11))
            out.append(_Element(question.id, question.kind, qwhere, f"question '{question.id}'", order, sec.id,
                                choices, parent=sec.id))
            order += 1
            if isinstance(question, MatrixQuestion):
                for ii, item in enumerate(question.items):
                    out.append(_Element(item.id, "matrix_item", qwhere + ("items", ii), f"item '{item.id}'",
                                        order, sec.id, scale_codes.get(question.scale), parent=question.id))
                    order += 1
    return out


def check_questionnaire(q: Questionnaire, ctx: Context) -> None:
    elements = _elements(q)
    _check_ids(q, elements, ctx)
    _check_scales(q, ctx)
    _check_questions(q, ctx)
    _check_languages(q, ctx)
    _check_attributes(q, elements, ctx)
    _check_expressions(q, elements, ctx)
    if q.indicators is not None:
        _check_indicators(q, elements, ctx)


# ---- ids ---------------------------------------------------------------------------------


def _check_ids(q: Questionnaire, elements: list[_Element], ctx: Context) -> None:
    seen: dict[str, tuple] = {}
    for ai, a in enumerate(q.attributes):
        seen.setdefault(a.id, ("attributes", ai))
    for e in elements:
        if e.id in seen:
            line, _ = ctx.position(seen[e.id] + ("id",))
            ctx.report("D001", e.where + ("id",), e.subject, f"id '{e.id}' is already used on line {line}",
                       "give each section, question, item and attribute its own id")
        else:
            seen[e.id] = e.where
    scales: dict[str, tuple] = {}
    for si, s in enumerate(q.scales):
        where = ("scales", si, "id")
        if s.id in scales:
            line, _ = ctx.position(scales[s.id])
            ctx.report("D001", where, f"scale '{s.id}'", f"scale id '{s.id}' is already used on line {line}")
        else:
            scales[s.id] = where


def _duplicate_codes(codes: list[str], where: tuple, item_key: str, subject: str, ctx: Context) -> None:
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code in seen:
            line, _ = ctx.position(where + (seen[code], item_key))
            ctx.report("D002", where + (i, item_key), subject, f"code '{code}' is already used on line {line}",
                       "give each choice its own code")
        else:
            seen[code] = i


# ---- scales and questions ----------------------------------------------------------------


def _check_scales(q: Questionnaire, ctx: Context) -> None:
    for si, s in enumerate(q.scales):
        where = ("scales", si)
        subject = f"scale '{s.id}'"
        _duplicate_codes([p.code for p in s.points], where + ("points",), "code", subject, ctx)
        scored = [(pi, p) for pi, p in enumerate(s.points) if not p.na]
        for pi, p in enumerate(s.points):
            if p.na and p.points is not None:
                ctx.report("Q003", where + ("points", pi, "points"), subject,
                           f"point '{p.code}' is marked na (不了解/不适用) and so never scores; it cannot have points",
                           "remove 'points:' from it")
        if len(scored) < 2:
            ctx.report("Q003", where + ("points",), subject, "a scale needs at least two points that score")
            continue
        if s.scoring == "explicit":
            for pi, p in scored:
                if p.points is None:
                    ctx.report("Q003", where + ("points", pi), subject,
                               f"point '{p.code}' has no 'points:' but the scale's scoring is explicit",
                               "add points: (0-100) or use scoring: linear")
        else:
            given = [pi for pi, p in scored if p.points is not None]
            if given:
                ctx.report("Q003", where + ("points", given[0], "points"), subject,
                           "points are given but the scale's scoring is linear (computed from the order)",
                           "set scoring: explicit, or remove the points")


def _check_questions(q: Questionnaire, ctx: Context) -> None:
    scale_ids = [s.id for s in q.scales]
    for si, sec in enumerate(q.sections):
        for qi, question in enumerate(sec.questions):
            where = ("sections", si, "questions", qi)
            subject = f"question '{question.id}'"
            kind = question.kind
            if isinstance(question, (SingleQuestion, MultiQuestion)):
                _duplicate_codes([c.code for c in question.choices], where + ("choices",), "code", subject, ctx)
            if kind in ("scale", "matrix") and question.scale not in scale_ids \
                    and question.scale not in ctx.broken_ids:
                defined = ", ".join(scale_ids) or "none"
                ctx.report("Q001", where + ("scale",), subject,
                           f"scale '{question.scale}' is not defined (defined: {defined})",
                           did_you_mean(question.scale, scale_ids))
            if kind == "number" and question.min is not None and question.max is not None \
                    and question.min > question.max:
                ctx.report("Q002", where + ("max",), subject,
                           f"max {question.max:g} is below min {question.min:g}; no answer is possible")
            if kind == "date" and question.min is not None and question.max is not None \
                    and question.min > question.max:
                ctx.report("Q002", where + ("max",), subject,
                           f"max {question.max} is before min {question.min}; no answer is possible")
            if kind == "multi":
                n = len(question.choices)
                if question.max_selected is not None and question.min_selected > question.max_selected:
                    ctx.report("Q002", where + ("min_selected",), subject,
                               f"min_selected {question.min_selected} is above max_selected {question.max_selected}")
                elif question.min_selected > n + (1 if question.other else 0):
                    ctx.report("Q002", where + ("min_selected",), subject,
                               f"min_selected {question.min_selected} is more than the {n} choices")
                if question.max_selected is not None and question.max_selected > n + (1 if question.other else 0):
                    ctx.report("Q002", where + ("max_selected",), subject,
                               f"max_selected {question.max_selected} is more than the {n} choices")


def _check_languages(q: Questionnaire, ctx: Context) -> None:
    if "en" not in q.languages:
        return
    for where, value in walk_structs(q):
        if isinstance(value, Text) and value.en is None:
            subject = _subject_for(q, where)
            ctx.report("Q004", where, subject, f"label has no English ('en') text, and languages lists en",
                       "add en: or remove en from languages")


def _subject_for(q: Any, where: tuple) -> str:
    """The nearest enclosing thing with an id, for a path."""
    value = q
    subject = f"questionnaire '{q.id}'"
    for part in where:
        try:
            value = value[part] if isinstance(part, int) or isinstance(value, dict) else getattr(value, part)
        except (AttributeError, IndexError, KeyError, TypeError):
            break
        name = getattr(type(value), "__subject__", "")
        ident = getattr(value, "id", None)
        if name and isinstance(ident, str):
            subject = f"{name} '{ident}'"
    return subject


def _check_attributes(q: Questionnaire, elements: list[_Element], ctx: Context) -> None:
    by_id = {e.id: e for e in elements if e.kind != "section"}
    for ai, a in enumerate(q.attributes):
        where = ("attributes", ai)
        subject = f"attribute '{a.id}'"
        if a.source == "question":
            if a.question is None:
                ctx.report("Q005", where + ("source",), subject, "source is question but 'question:' is not given",
                           "add question: <id of a single-choice or region question>")
            elif a.question not in by_id:
                if a.question not in ctx.broken_ids:
                    ctx.report("Q005", where + ("question",), subject, f"question '{a.question}' does not exist",
                               did_you_mean(a.question, by_id))
            elif by_id[a.question].kind not in ("single", "region", "number"):
                ctx.report("Q005", where + ("question",), subject,
                           f"question '{a.question}' is a {by_id[a.question].kind} question; an attribute "
                           "takes a single-choice, region or number answer")
        else:
            if a.question is not None:
                ctx.report("Q005", where + ("question",), subject,
                           "'question:' is given but source is frame", "set source: question")
            if a.kind == "choice" and not a.choices:
                ctx.report("Q005", where, subject, "a choice attribute from the frame needs its choices",
                           "add choices:")
        if a.kind == "region" and a.level is None:
            ctx.report("Q005", where, subject, "a region attribute needs its level", "add level: community")
        if a.choices:
            _duplicate_codes([c.code for c in a.choices], where + ("choices",), "code", subject, ctx)


# ---- expressions -------------------------------------------------------------------------


def _check_expressions(q: Questionnaire, elements: list[_Element], ctx: Context) -> None:
    by_id: dict[str, _Element] = {}
    for e in elements:
        if e.kind != "section":
            by_id.setdefault(e.id, e)
    attributes = {a.id: a for a in q.attributes}
    known = list(by_id) + list(attributes)
    sections = {e.id: e for e in elements if e.kind == "section"}

    def attr_choices(aid: str) -> tuple[str, ...] | None:
        a = attributes[aid]
        if a.choices:
            return tuple(c.code for c in a.choices)
        if a.question and a.question in by_id:
            return by_id[a.question].choices
        return None

    def choices_of(target: str) -> tuple[str, ...] | None:
        if target in by_id:
            el = by_id[target]
            codes = el.choices
            if codes is not None and el.kind in ("single", "multi"):
                q = _get(q_root, el.where)
                if getattr(q, "other", False):
                    codes = codes + ("other",)
            return codes
        if target in attributes:
            return attr_choices(target)
        return None

    q_root = q
    edges: dict[str, list[tuple[str, ex.Name, tuple]]] = {}  # show_if graph: element -> referenced

    def check(e: _Element, key: str, text: str, this_allowed: bool) -> None:
        where = e.where + (key,)
        try:
            tree = ex.parse(text)
        except ExpressionError as err:
            ctx.report_expression(where, e.subject, err)
            return
        for node in ex.walk(tree):
            if isinstance(node, ex.This) and not this_allowed:
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E005", "'.' (the question's own value) only means something in a constraint", node.column),
                    fix="name the question by its id")
            if isinstance(node, ex.Name) and node.id not in by_id and node.id not in attributes:
                if node.id in ctx.broken_ids:
                    continue
                what = "a section, which has no value" if node.id in sections else "not a question or attribute"
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E002", f"'{node.id}' is {what}", node.column, did_you_mean(node.id, known)))
            elif isinstance(node, ex.Name) and node.id in by_id and by_id[node.id].kind == "matrix":
                items = [x.id for x in elements if x.parent == node.id and x.kind == "matrix_item"]
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E005", f"'{node.id}' is a matrix, which has no value of its own", node.column,
                    f"use one of its items: {', '.join(items[:4])}{', ...' if len(items) > 4 else ''}"))
            elif isinstance(node, ex.Name) and key in ("constraint", "expression") and node.id in by_id:
                target = by_id[node.id]
                if node.id == e.id and key == "expression":
                    ctx.report_expression(where, e.subject, ExpressionError(
                        "E004", f"the expression of '{e.id}' uses its own value", node.column))
                elif target.order > e.order:
                    ctx.report_expression(where, e.subject, ExpressionError(
                        "E003", f"{key} uses '{node.id}', which is asked later", node.column),
                        fix="use only answers given before this question")
            if isinstance(node, ex.Binary) and node.op in ("==", "!=", "in", "not in"):
                _check_literal_codes(node, e, where, ctx, choices_of)
            if isinstance(node, ex.Call) and node.function == "selected" and isinstance(node.args[0], (ex.Name, ex.This)):
                target = e.id if isinstance(node.args[0], ex.This) else node.args[0].id
                if target not in by_id and target not in attributes:
                    continue
                choices = choices_of(target)
                code = node.args[1].value  # type: ignore[union-attr]
                if choices is None:
                    if target not in ctx.broken_ids:
                        ctx.report_expression(where, e.subject, ExpressionError(
                            "E005", f"selected() needs a question with choices; '{target}' has none", node.column))
                elif code not in choices:
                    ctx.report_expression(where, e.subject, ExpressionError(
                        "E005", f"'{code}' is not a code of '{target}' (codes: {', '.join(choices)})",
                        node.args[1].column, did_you_mean(code, choices)))
        if key == "show_if":
            edges.setdefault(e.id, []).extend((n.id, n, where) for n in ex.names(tree))

    for e in elements:
        obj = _get(q, e.where)
        for key in ("show_if", "constraint", "expression"):
            text = getattr(obj, key, None)
            if text is not None:
                check(e, key, text, this_allowed=(key == "constraint"))
    _check_order(elements, edges, ctx)


def _check_literal_codes(node: ex.Binary, e: _Element, where: tuple, ctx: Context, choices_of) -> None:
    """`q == 'x'` and `q in ['x', 'y']`: every quoted text must be a code of q."""
    pairs = [(node.left, node.right), (node.right, node.left)] if node.op in ("==", "!=") else [(node.left, node.right)]
    for side, other in pairs:
        if not isinstance(side, (ex.Name, ex.This)):
            continue
        target = e.id if isinstance(side, ex.This) else side.id
        choices = choices_of(target)
        if choices is None:
            continue
        literals = [other] if isinstance(other, ex.Literal) else list(other.items) if isinstance(other, ex.ListExpr) else []
        for lit in literals:
            if isinstance(lit, ex.Literal) and isinstance(lit.value, str) and lit.value not in choices:
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E005", f"'{lit.value}' is not a code of '{target}' (codes: {', '.join(choices)})", lit.column,
                    did_you_mean(lit.value, choices)))


def _get(root: Any, where: tuple) -> Any:
    value = root
    for part in where:
        value = value[part] if isinstance(part, int) else getattr(value, part)
    return value


def _check_order(elements: list[_Element], edges: dict[str, list[tuple[str, ex.Name, tuple]]], ctx: Context) -> None:
    """show_if may only look back: a cycle is E004, a look forward E003."""
    by_id = {}
    for e in elements:
        by_id.setdefault(e.id, e)
    graph: dict[str, set[str]] = {e.id: set() for e in elements}
    for src, refs in edges.items():
        graph[src].update(r for r, _, _ in refs if r in by_id)
    for e in elements:  # what contains an element governs it
        if e.parent is not None:
            graph[e.id].add(e.parent)
    # Strongly connected components (iterative Tarjan).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comp_of: dict[str, int] = {}
    comps: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp_of[w] = len(comps)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(comp)
    reported_cycles: set[int] = set()
    for src, refs in edges.items():
        e = by_id[src]
        for ref, name, where in refs:
            if ref not in by_id:
                continue
            target = by_id[ref]
            in_cycle = comp_of.get(src) == comp_of.get(ref) and (len(comps[comp_of[src]]) > 1 or ref == src)
            if in_cycle:
                c = comp_of[src]
                if c in reported_cycles:
                    continue
                reported_cycles.add(c)
                members = sorted(comps[c], key=lambda i: by_id[i].order)
                chain = " -> ".join(members + [members[0]])
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E004", f"show_if depends on itself: {chain}", name.column),
                    fix="a condition may only use answers given before the question")
            elif target.order > e.order or (e.kind == "section" and target.section == e.id):
                ctx.report_expression(where, e.subject, ExpressionError(
                    "E003", f"show_if uses '{ref}', which is asked later", name.column),
                    fix="move the question before this one, or use an earlier one")


# ---- indicator tree ----------------------------------------------------------------------


def _check_indicators(q: Questionnaire, elements: list[_Element], ctx: Context) -> None:
    tree = q.indicators
    assert tree is not None
    base = ("indicators",)
    question_ids = {e.id: e for e in elements if e.kind != "section"}
    scored = {e.id for e in elements if e.kind in ("scale", "nps", "matrix_item")}
    seen: dict[str, tuple] = {}
    for di, dim in enumerate(tree.dimensions):
        dwhere = base + ("dimensions", di)
        for node_id, where, subject in [(dim.id, dwhere, f"dimension '{dim.id}'")] + [
                (ind.id, dwhere + ("indicators", ii), f"indicator '{ind.id}'") for ii, ind in enumerate(dim.indicators)]:
            if node_id in seen or node_id in question_ids:
                other = seen.get(node_id) or question_ids[node_id].where
                line, _ = ctx.position(other + ("id",))
                ctx.report("D001", where + ("id",), subject, f"id '{node_id}' is already used on line {line}",
                           "give dimensions and indicators ids of their own (e.g. dim_..., ind_...)")
            else:
                seen[node_id] = where
    used: dict[str, tuple] = {}

    def check_item(item: str, where: tuple, subject: str) -> None:
        if item in scored:
            return
        if item in question_ids:
            ctx.report("I001", where, subject, f"'{item}' is a {question_ids[item].kind} question, which does not "
                       "score on 0-100", "use scale, matrix item or nps questions")
        elif item not in ctx.broken_ids:
            ctx.report("I001", where, subject, f"item '{item}' is not a question",
                       did_you_mean(item, sorted(scored)))

    for di, dim in enumerate(tree.dimensions):
        dwhere = base + ("dimensions", di)
        for ii, ind in enumerate(dim.indicators):
            iwhere = dwhere + ("indicators", ii)
            subject = f"indicator '{ind.id}'"
            for k, item in enumerate(ind.items):
                check_item(item, iwhere + ("items", k), subject)
                if item in used and item in scored:
                    line, _ = ctx.position(used[item])
                    ctx.report("I005", iwhere + ("items", k), subject,
                               f"item '{item}' is already in an indicator on line {line}; it will count twice")
                else:
                    used.setdefault(item, iwhere + ("items", k))
            _check_weights(ind.weights, ind.items, iwhere + ("weights",), subject, ctx)
        _check_weights(dim.weights, [i.id for i in dim.indicators], dwhere + ("weights",), f"dimension '{dim.id}'", ctx)
    _check_weights(tree.weights, [d.id for d in tree.dimensions], base + ("weights",), "indicators", ctx)
    for k, item in enumerate(tree.overall):
        check_item(item, base + ("overall", k), "indicators")


def _check_weights(w: Any, children: list[str], where: tuple, subject: str, ctx: Context) -> None:
    if isinstance(w, FixedWeights):
        missing = [c for c in children if c not in w.values]
        extra = [k for k in w.values if k not in children]
        for k in extra:
            ctx.report("I002", where + ("values", k), subject, f"weight for '{k}', which is not a child here "
                       f"(children: {', '.join(children)})", did_you_mean(k, missing or children), key=True)
        if missing:
            ctx.report("I002", where + ("values",), subject, f"no weight for {', '.join(map(repr, missing))}")
        total = sum(w.values.values())
        if abs(total - 1.0) > 1e-6:
            ctx.report("I002", where + ("values",), subject, f"fixed weights sum to {total:.6g}, not 1",
                       "make them add up to 1")
    elif isinstance(w, AhpWeights):
        _check_ahp(w, children, where, subject, ctx)
    elif isinstance(w, BlendWeights):
        _check_ahp(w.ahp, children, where + ("ahp",), subject, ctx)


def _check_ahp(w: AhpWeights, children: list[str], where: tuple, subject: str, ctx: Context) -> None:
    if (w.matrix is None) == (w.experts is None):
        ctx.report("I003", where, subject, "give exactly one of 'matrix' (one judge) or 'experts' (several)")
        return
    order = children
    if w.order is not None:
        if sorted(w.order) != sorted(children):
            ctx.report("I003", where + ("order",), subject, f"order must list the children exactly once: "
                       f"{', '.join(children)}")
            return
        order = w.order
    n = len(order)
    matrices = [(where + ("matrix",), w.matrix)] if w.matrix is not None else \
        [(where + ("experts", k), m) for k, m in enumerate(w.experts or [])]
    values = []
    for mwhere, m in matrices:
        if len(m) != n or any(len(row) != n for row in m):
            shape = f"{len(m)} rows of {', '.join(str(len(r)) for r in m)}"
            ctx.report("I003", mwhere, subject, f"the AHP matrix must be {n}x{n} for {n} children "
                       f"({', '.join(order)}); it has {shape}")
            continue
        a = [[judgement_value(x) for x in row] for row in m]
        ok = True
        for i in range(n):
            for j in range(n):
                if not a[i][j] == a[i][j] or a[i][j] <= 0:
                    ctx.report("I003", mwhere + (i, j), subject, f"entry ({i + 1},{j + 1}) '{m[i][j]}' is not a "
                               "positive number or fraction")
                    ok = False
                elif not (1 / 9 - 1e-9 <= a[i][j] <= 9 + 1e-9):
                    ctx.report("I003", mwhere + (i, j), subject, f"entry ({i + 1},{j + 1}) '{m[i][j]}' is outside "
                               "Saaty's scale 1/9 .. 9")
                    ok = False
        if not ok:
            continue
        for i in range(n):
            if abs(a[i][i] - 1) > 1e-9:
                ctx.report("I003", mwhere + (i, i), subject, f"diagonal entry ({i + 1},{i + 1}) is {m[i][i]}, not 1")
                ok = False
            for j in range(i + 1, n):
                if abs(a[i][j] * a[j][i] - 1) > 0.02:
                    ctx.report("I003", mwhere + (j, i), subject,
                               f"not reciprocal: entry ({j + 1},{i + 1}) is {m[j][i]} but ({i + 1},{j + 1}) is "
                               f"{m[i][j]}", f"write {_reciprocal(m[i][j])}")
                    ok = False
        if not ok:
            continue
        values.append(a)
        if len(matrices) > 1 or True:
            r = ahp_weights(a)
            if r.consistency_ratio >= CR_THRESHOLD:
                who = "" if w.matrix is not None else f"expert {mwhere[-1] + 1}: "
                ctx.report("I004", mwhere, subject,
                           f"{who}consistency ratio CR = {r.consistency_ratio:.3f} >= {CR_THRESHOLD:.2f} "
                           f"(lambda_max {r.lambda_max:.3f}, CI {r.consistency_index:.3f}, RI {r.random_index:.2f})",
                           "revise the judgements that contradict each other")
    if w.experts is not None and len(values) == len(matrices) and len(values) > 1:
        r = ahp_weights(combine_judgements(values))
        if r.consistency_ratio >= CR_THRESHOLD:
            ctx.report("I004", where + ("experts",), subject,
                       f"combined judgements: consistency ratio CR = {r.consistency_ratio:.3f} >= {CR_THRESHOLD:.2f}")


def _reciprocal(v: float | str) -> str:
    x = judgement_value(v)
    if x != x or x <= 0 or not (1e-6 < x < 1e6):
        return "the reciprocal"
    if x >= 1 and float(x).is_integer():
        return f'"1/{int(x)}"'
    inv = 1 / x
    if abs(inv - round(inv)) < 1e-6:
        return str(int(round(inv)))
    return f"{inv:.4g}"
