"""YAML documents -> frozen structs, with compiler-grade diagnostics.

Pipeline: read the text (F001) -> compose nodes and catch YAML traps (Y001-Y004) -> find the
document's ``kind`` (F002) -> walk the nodes against the schema (S001-S004) -> build structs
with msgspec -> semantic checks (D, Q, E, I, P, L codes). Every diagnostic of a file is
collected and returned at once, sorted by line.

    result = check_file("questionnaires/community_satisfaction.yaml")
    for d in result.diagnostics: print(d.format())
    q = load_questionnaire("questionnaires/community_satisfaction.yaml")  # or LoadError
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import re
from pathlib import Path
from typing import Any

import msgspec
from yaml.nodes import MappingNode, ScalarNode

from .convert import INVALID, Converter, build
from .diagnostics import Diagnostic, did_you_mean
from .errors import LoadError
from .schema import DOCUMENTS, KINDS, Plan, Policy, Questionnaire, WorkingCalendar
from .semantics import Context, check_calendar, check_plan, check_policy, check_questionnaire
from .yamlnodes import compose

__all__ = ["LoadResult", "check_text", "check_file", "load", "loads", "load_questionnaire",
           "load_policy", "load_plan", "document_name"]

MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class LoadResult:
    path: str
    document: Any  # Questionnaire | Policy | Plan | None
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.errors


def document_name(doc: Any) -> str:
    return {Questionnaire: "questionnaire", Policy: "policy", Plan: "plan", WorkingCalendar: "calendar"}[type(doc)]


def _result(path: str, doc: Any, diags: list[Diagnostic]) -> LoadResult:
    diags = sorted(set(diags), key=lambda d: (d.path != path, d.path, d.line, d.column, d.code, d.message))
    errors = any(d.is_error for d in diags)
    return LoadResult(path, None if errors else doc, tuple(diags))


def check_text(text: str, *, path: str = "<string>", expect: str | None = None,
               base_dir: Path | None = None) -> LoadResult:
    """Check one document given as text. `expect` ('questionnaire', 'policy', 'plan') makes a
    document of another kind an error. Never raises for bad input."""
    if expect is not None and expect not in DOCUMENTS:
        raise ValueError(f"expect must be one of {', '.join(DOCUMENTS)} or None; got {expect!r}")
    root, diags = compose(text, path)
    if root is None:
        return _result(path, None, diags)
    if not isinstance(root, MappingNode):
        diags.append(Diagnostic("F002", path, root.start_mark.line + 1, root.start_mark.column + 1, "",
                                "a document must be a mapping that starts with 'kind:'"))
        return _result(path, None, diags)
    kind_node = next((v for k, v in root.value if isinstance(k, ScalarNode) and k.value == "kind"), None)
    kinds = ", ".join(KINDS)
    if kind_node is None:
        diags.append(Diagnostic("F002", path, root.start_mark.line + 1, root.start_mark.column + 1, "",
                                f"no top-level 'kind:' (one of {kinds})", "add kind: survey, for example"))
        return _result(path, None, diags)
    kind = kind_node.value if isinstance(kind_node, ScalarNode) else None
    if kind not in KINDS:
        diags.append(Diagnostic("F002", path, kind_node.start_mark.line + 1, kind_node.start_mark.column + 1, "",
                                f"kind '{kind}' is not one of {kinds}", did_you_mean(str(kind), KINDS)))
        return _result(path, None, diags)
    name = KINDS[kind]
    if expect is not None and name != expect:
        diags.append(Diagnostic("F002", path, kind_node.start_mark.line + 1, kind_node.start_mark.column + 1, "",
                                f"expected a {expect} document, found kind '{kind}' (a {name})"))
        return _result(path, None, diags)
    root_type = DOCUMENTS[name]
    conv = Converter(path)
    data = conv.convert(root, root_type)
    # YAML-level diagnostics get the subject of the place they are in.
    diags = [replace(d, subject=conv.subjects.get((d.line, d.column), "")) if not d.subject else d for d in diags]
    diags.extend(conv.diagnostics)
    if data is INVALID:
        return _result(path, None, diags)
    try:
        doc = build(data, root_type)
    except msgspec.ValidationError as e:  # the converter should have caught it; say where anyway
        message, _, at = str(e).rpartition(" - at `")
        where = _json_path(at.rstrip("`")) if message else ()
        node = conv.nodes.get(where, root)
        diags.append(Diagnostic("S002", path, node.start_mark.line + 1, node.start_mark.column + 1,
                                conv.subjects.get((node.start_mark.line + 1, node.start_mark.column + 1), ""),
                                message or str(e)))
        return _result(path, None, diags)
    ctx = Context(path, conv.nodes, conv.key_nodes, conv.broken_ids, base_dir=base_dir,
                  broken_levels=conv.broken_levels)
    if isinstance(doc, Questionnaire):
        check_questionnaire(doc, ctx)
    elif isinstance(doc, Policy):
        check_policy(doc, ctx)
    elif isinstance(doc, WorkingCalendar):
        check_calendar(doc, ctx)
    else:
        check_plan(doc, ctx, _questionnaire_for_plan)
    diags.extend(ctx.diagnostics)
    return _result(path, doc, diags)


def _json_path(text: str) -> tuple:
    """msgspec's `$.a[0].b` -> ('a', 0, 'b')."""
    out: list = []
    for name, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", text):
        out.append(name if name else int(index))
    return tuple(out)


def _questionnaire_for_plan(path: Path) -> tuple[Questionnaire | None, int]:
    r = check_file(path, expect="questionnaire")
    return r.document, len(r.errors)


def check_file(path: str | Path, *, expect: str | None = None) -> LoadResult:
    """Check one document file. Never raises for bad input."""
    shown = str(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            return _result(shown, None, [Diagnostic("F001", shown, 1, 1, "",
                                                    f"file is larger than {MAX_BYTES // 1024 // 1024} MiB")])
        raw = p.read_bytes()
    except OSError as e:
        return _result(shown, None, [Diagnostic("F001", shown, 1, 1, "", f"cannot read: {e.strerror or e}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return _result(shown, None, [Diagnostic("F001", shown, line, 1, "", "file is not UTF-8 text",
                                                "save it as UTF-8")])
    return check_text(text, path=shown, expect=expect, base_dir=p.parent)


def load(path: str | Path, *, expect: str | None = None) -> Any:
    """Load a document; raise :class:`LoadError` with every diagnostic if it has errors."""
    r = check_file(path, expect=expect)
    if not r.ok:
        raise LoadError(r.errors or r.diagnostics)
    return r.document


def loads(text: str, *, path: str = "<string>", expect: str | None = None, base_dir: Path | None = None) -> Any:
    r = check_text(text, path=path, expect=expect, base_dir=base_dir)
    if not r.ok:
        raise LoadError(r.errors or r.diagnostics)
    return r.document


def load_questionnaire(path: str | Path) -> Questionnaire:
    return load(path, expect="questionnaire")


def load_policy(path: str | Path) -> Policy:
    return load(path, expect="policy")


def load_plan(path: str | Path) -> Plan:
    return load(path, expect="plan")
