"""Nodes -> plain values, checked against the schema structs, every mistake reported.

msgspec stops at the first error and names it by ``$.path``; an evaluator needs every
mistake with its line. So the node tree is walked against ``msgspec.inspect`` type info:
unknown keys (S001, with "did you mean" and a repair when the misspelling is clear), wrong
types (S002), missing keys (S003) and values out of bounds (S004). The output is plain data
that ``msgspec.convert`` turns into the frozen structs; an element that cannot be repaired is
dropped so the checks of the rest can go on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
import msgspec.inspect as mi
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic, close_match, did_you_mean
from .yamlnodes import bool_word_value, describe, is_bool_word, position, scalar_value

__all__ = ["Converter", "INVALID", "Path"]

Path = tuple  # of str keys and int indices, as in the output


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()
_PATTERN_HELP = {
    r"^[a-z][a-z0-9_]*$": "lower-case letters, digits and _, starting with a letter",
    r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$": "letters, digits and _ . + -",
    r"^[0-9]{2,12}$": "2 to 12 digits",
}


def _type_name(t: mi.Type) -> str:
    if isinstance(t, mi.Metadata):
        return _type_name(t.type)
    if isinstance(t, mi.StructType):
        return "a mapping"
    if isinstance(t, (mi.ListType, mi.TupleType, mi.VarTupleType)):
        return "a list"
    if isinstance(t, mi.DictType):
        return "a mapping"
    if isinstance(t, mi.StrType):
        return "text"
    if isinstance(t, mi.IntType):
        return "an integer"
    if isinstance(t, mi.FloatType):
        return "a number"
    if isinstance(t, mi.BoolType):
        return "true or false"
    if isinstance(t, mi.DateType):
        return "a date (YYYY-MM-DD)"
    if isinstance(t, mi.NoneType):
        return "null"
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(map(str, t.values))
    if isinstance(t, mi.UnionType):
        names = []
        for u in t.types:
            n = _type_name(u)
            if n not in names:
                names.append(n)
        return " or ".join(names)
    return "a value"


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return describe(scalar_value(node))  # type: ignore[arg-type]


class Converter:
    """One pass over one document. After :meth:`convert`, ``diagnostics`` holds every
    structural mistake, ``nodes`` maps output paths to nodes, ``broken_ids`` holds the ids
    of elements dropped for mistakes (so references to them are not reported twice)."""

    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.nodes: dict[Path, Node] = {}
        self.key_nodes: dict[Path, Node] = {}
        self.broken_ids: set[str] = set()
        #: (line, column) of every node visited -> the subject it belongs to
        self.subjects: dict[tuple[int, int], str] = {}
        #: levels (rating policy) of elements dropped for mistakes
        self.broken_levels: set[int] = set()
        self._trial = 0  # > 0 while trying the alternatives of a union quietly

    # -- reporting ----------------------------------------------------------------------
    def report(self, code: str, node: Node, subject: str, message: str, fix: str | None = None) -> None:
        line, col = position(node)
        self.diagnostics.append(Diagnostic(code, self.path, line, col, subject, message, fix))

    # -- entry --------------------------------------------------------------------------
    def convert(self, node: Node, typ: Any) -> Any:
        info = mi.type_info(typ)
        return self._value(node, info, (), "")

    # -- dispatch -----------------------------------------------------------------------
    def _value(self, node: Node, t: mi.Type, where: Path, subject: str) -> Any:
        self.nodes[where] = node
        self.subjects.setdefault(position(node), subject)
        while isinstance(t, mi.Metadata):
            t = t.type
        if isinstance(t, mi.StructType):
            return self._struct(node, t, where, subject)
        if isinstance(t, mi.UnionType):
            return self._union(node, t, where, subject)
        if isinstance(t, (mi.ListType, mi.VarTupleType)):
            return self._list(node, t, where, subject)
        if isinstance(t, mi.TupleType):
            return self._tuple(node, t, where, subject)
        if isinstance(t, mi.DictType):
            return self._dict(node, t, where, subject)
        if isinstance(t, mi.AnyType):
            return self._plain(node)
        return self._scalar(node, t, where, subject)

    def _plain(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return {self._plain(k): self._plain(v) for k, v in node.value if isinstance(k, ScalarNode)}
        if isinstance(node, SequenceNode):
            return [self._plain(v) for v in node.value]
        return scalar_value(node)  # type: ignore[arg-type]

    def _key_label(self, where: Path) -> str:
        for part in reversed(where):
            if part == "<key>":
                return "a key"
            if isinstance(part, str):
                return f"'{part}'"
        return "the document"

    def _wrong(self, node: Node, t: mi.Type, where: Path, subject: str) -> Any:
        got = _node_kind(node)
        fix = None
        if isinstance(node, ScalarNode) and isinstance(t, mi.StrType) and not node.style:
            fix = f'quote it: "{node.value}"'
        self.report("S002", node, subject, f"{self._key_label(where)} must be {_type_name(t)}, got {got}", fix)
        if fix is not None and not self._trial:
            return node.value  # the text that was meant, so that the checks after this one go on
        return INVALID

    # -- scalars --------------------------------------------------------------------------
    def _scalar(self, node: Node, t: mi.Type, where: Path, subject: str) -> Any:
        if not isinstance(node, ScalarNode):
            return self._wrong(node, t, where, subject)
        if is_bool_word(node):
            # Reported once as Y002 by the YAML pass; repair to what was meant.
            if isinstance(t, mi.BoolType):
                return bool_word_value(node)
            if isinstance(t, (mi.StrType, mi.LiteralType)):
                value: Any = node.value
                return self._check_str(node, t, value, where, subject) if isinstance(t, mi.StrType) \
                    else self._literal(node, t, value, where, subject)
        value = scalar_value(node)
        if isinstance(t, mi.NoneType):
            return None if value is None else self._wrong(node, t, where, subject)
        if isinstance(t, mi.BoolType):
            return value if isinstance(value, bool) else self._wrong(node, t, where, subject)
        if isinstance(t, mi.IntType):
            if isinstance(value, bool) or not isinstance(value, int):
                return self._wrong(node, t, where, subject)
            return self._bounds(node, t, value, where, subject)
        if isinstance(t, mi.FloatType):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return self._wrong(node, t, where, subject)
            if value != value:
                self.report("S004", node, subject, f"{self._key_label(where)} must be a number, got .nan")
                return INVALID
            try:
                number = float(value)
            except OverflowError:
                self.report("S004", node, subject, f"{self._key_label(where)} is too large a number")
                return INVALID
            return self._bounds(node, t, number, where, subject)
        if isinstance(t, mi.StrType):
            if not isinstance(value, str):
                return self._wrong(node, t, where, subject)
            return self._check_str(node, t, value, where, subject)
        if isinstance(t, mi.DateType):
            if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
                return self._wrong(node, t, where, subject)
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    self.report("S004", node, subject, f"{self._key_label(where)}: '{value}' is not a date",
                                "write YYYY-MM-DD")
                    return INVALID
            return value
        if isinstance(t, mi.LiteralType):
            return self._literal(node, t, value, where, subject)
        return value

    def _literal(self, node: Node, t: mi.LiteralType, value: Any, where: Path, subject: str) -> Any:
        if value in t.values and not isinstance(value, bool):
            return value
        allowed = ", ".join(map(str, t.values))
        self.report("S004", node, subject, f"{self._key_label(where)} is '{value}', not one of: {allowed}",
                    did_you_mean(str(value), [str(v) for v in t.values]))
        return INVALID

    def _bounds(self, node: Node, t: Any, value: Any, where: Path, subject: str) -> Any:
        label = self._key_label(where)
        for attr, test, words in (("ge", lambda a, b: a >= b, "at least"), ("gt", lambda a, b: a > b, "more than"),
                                  ("le", lambda a, b: a <= b, "at most"), ("lt", lambda a, b: a < b, "less than")):
            bound = getattr(t, attr, None)
            if bound is not None and not test(value, bound):
                self.report("S004", node, subject, f"{label} is {value}; it must be {words} {bound}")
                return INVALID
        return value

    def _check_str(self, node: Node, t: mi.StrType, value: str, where: Path, subject: str) -> Any:
        label = self._key_label(where)
        if t.min_length is not None and len(value) < t.min_length:
            self.report("S004", node, subject, f"{label} must not be empty" if t.min_length == 1
                        else f"{label} must have at least {t.min_length} characters")
            return INVALID
        if t.max_length is not None and len(value) > t.max_length:
            self.report("S004", node, subject, f"{label} has {len(value)} characters; at most {t.max_length}")
            return INVALID
        if t.pattern is not None and (not re.search(t.pattern, value) or "\n" in value):
            help_ = _PATTERN_HELP.get(t.pattern, f"the pattern {t.pattern}")
            fix = None
            if t.pattern == r"^[a-z][a-z0-9_]*$":
                cand = re.sub(r"[^a-z0-9_]", "_", value.lower()).strip("_")
                if cand and re.match(t.pattern, cand):
                    fix = f"did you mean '{cand}'?"
            self.report("S004", node, subject, f"{label} '{value}' must be {help_}", fix)
            return INVALID
        return value

    # -- containers ---------------------------------------------------------------------
    def _length(self, node: Node, t: Any, n: int, where: Path, subject: str) -> bool:
        label = self._key_label(where)
        if getattr(t, "min_length", None) is not None and n < t.min_length:
            self.report("S004", node, subject, f"{label} needs at least {t.min_length} "
                        f"entr{'y' if t.min_length == 1 else 'ies'}, has {n}")
            return False
        if getattr(t, "max_length", None) is not None and n > t.max_length:
            self.report("S004", node, subject, f"{label} has {n} entries; at most {t.max_length}")
            return False
        return True

    def _list(self, node: Node, t: Any, where: Path, subject: str) -> Any:
        if not isinstance(node, SequenceNode):
            return self._wrong(node, t, where, subject)
        out = []
        for item in node.value:
            v = self._value(item, t.item_type, where + (len(out),), subject)
            if v is INVALID:
                self._remember_broken(item)
            else:
                out.append(v)
        if not self._length(node, t, len(node.value), where, subject):
            return INVALID
        if getattr(t, "min_length", None) is not None and len(out) < t.min_length:
            return INVALID  # too few left after dropping elements already reported
        return out

    def _tuple(self, node: Node, t: mi.TupleType, where: Path, subject: str) -> Any:
        if not isinstance(node, SequenceNode):
            return self._wrong(node, t, where, subject)
        if len(node.value) != len(t.item_types):
            self.report("S004", node, subject, f"{self._key_label(where)} must have exactly "
                        f"{len(t.item_types)} entries, has {len(node.value)}")
            return INVALID
        out = [self._value(item, it, where + (i,), subject) for i, (item, it) in enumerate(zip(node.value, t.item_types))]
        return INVALID if any(v is INVALID for v in out) else out

    def _dict(self, node: Node, t: mi.DictType, where: Path, subject: str) -> Any:
        if not isinstance(node, MappingNode):
            return self._wrong(node, t, where, subject)
        out: dict[Any, Any] = {}
        ok = True
        key_type = t.key_type.type if isinstance(t.key_type, mi.Metadata) else t.key_type
        for knode, vnode in node.value:
            if isinstance(key_type, mi.StrType) and isinstance(knode, ScalarNode) and not knode.style \
                    and knode.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
                # JSON object keys are text: a number as a key means its text, as in the JSON Schema
                key = self._check_str(knode, key_type, knode.value, where + ("<key>",), subject)
            else:
                key = self._value(knode, t.key_type, where + ("<key>",), subject)
            if key is INVALID:
                ok = False
                continue
            self.key_nodes[where + (key,)] = knode
            v = self._value(vnode, t.value_type, where + (key,), subject)
            if v is INVALID:
                ok = False
            else:
                out[key] = v
        if not self._length(node, t, len(node.value), where, subject):
            return INVALID
        return out if ok else INVALID

    def _remember_broken(self, node: Node) -> None:
        """Ids (and policy levels) inside an element dropped for a mistake, so that references
        to them are not reported a second time."""
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, MappingNode):
                for k, v in cur.value:
                    if isinstance(k, ScalarNode) and isinstance(v, ScalarNode):
                        if k.value == "id":
                            self.broken_ids.add(v.value)
                        elif k.value == "level" and v.value.isdigit():
                            self.broken_levels.add(int(v.value))
                    stack.append(v)
            elif isinstance(cur, SequenceNode):
                stack.extend(cur.value)

    # -- structs ------------------------------------------------------------------------
    def _struct(self, node: Node, t: mi.StructType, where: Path, subject: str) -> Any:
        if not isinstance(node, MappingNode):
            return self._wrong(node, t, where, subject)
        fields = {f.encode_name: f for f in t.fields}
        pairs: dict[str, tuple[Node, Node]] = {}
        unknown: list[tuple[str, Node, Node]] = []
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                self.report("S002", knode, subject, "a key must be a plain word")
                continue
            key = str(scalar_value(knode)) if not is_bool_word(knode) else knode.value
            if key in fields or key == t.tag_field:
                pairs[key] = (knode, vnode)
            else:
                unknown.append((key, knode, vnode))
        subject = self._subject(t, pairs, subject)
        for knode, _ in node.value:
            self.subjects[position(knode)] = subject
        for key, knode, vnode in unknown:
            candidates = [n for n in fields if n not in pairs]
            target = close_match(key, candidates)
            if target is not None:
                self.report("S001", knode, subject, f"unknown key '{key}'", f"did you mean '{target}'?")
                pairs[target] = (knode, vnode)  # repaired, so the checks after this one go on
            else:
                known = ", ".join(fields)
                self.report("S001", knode, subject, f"unknown key '{key}' (known keys: {known})")
        out: dict[str, Any] = {}
        ok = True
        if t.tag_field is not None:
            out[t.tag_field] = t.tag
            tag_pair = pairs.pop(t.tag_field, None)
            if tag_pair is None:
                self.report("S003", node, subject, f"required key '{t.tag_field}' is missing",
                            f"add '{t.tag_field}: {t.tag}'")
                ok = False
            elif not isinstance(tag_pair[1], ScalarNode) or scalar_value(tag_pair[1]) != t.tag:
                got = tag_pair[1].value if isinstance(tag_pair[1], ScalarNode) else "a collection"
                self.report("S004", tag_pair[1], subject, f"'{t.tag_field}' must be '{t.tag}' here, got '{got}'")
                ok = False
        for name, (knode, vnode) in pairs.items():
            f = fields[name]
            self.key_nodes[where + (name,)] = knode
            v = self._value(vnode, f.type, where + (name,), subject)
            if v is INVALID:
                if f.required:
                    ok = False
            else:
                out[name] = v
        for name, f in fields.items():
            if f.required and name not in pairs:
                self.report("S003", node, subject, f"required key '{name}' is missing",
                            f"add '{name}:'")
                ok = False
        return out if ok else INVALID

    def _subject(self, t: mi.StructType, pairs: dict[str, tuple[Node, Node]], parent: str) -> str:
        name = getattr(t.cls, "__subject__", "")
        ident = pairs.get("id")
        if name and ident is not None and isinstance(ident[1], ScalarNode):
            return f"{name} '{ident[1].value}'"
        return parent

    # -- unions -------------------------------------------------------------------------
    def _union(self, node: Node, t: mi.UnionType, where: Path, subject: str) -> Any:
        types = [u.type if isinstance(u, mi.Metadata) else u for u in t.types]
        if isinstance(node, ScalarNode) and scalar_value(node) is None and not node.style \
                and any(isinstance(u, mi.NoneType) for u in types):
            return None
        structs = [u for u in types if isinstance(u, mi.StructType)]
        tagged = [s for s in structs if s.tag_field is not None]
        if isinstance(node, MappingNode) and tagged:
            return self._tagged(node, tagged, where, subject)
        if isinstance(node, MappingNode):
            for u in t.types:
                inner = u.type if isinstance(u, mi.Metadata) else u
                if isinstance(inner, (mi.StructType, mi.DictType)):
                    return self._value(node, u, where, subject)
        if isinstance(node, SequenceNode):
            for u in t.types:
                inner = u.type if isinstance(u, mi.Metadata) else u
                if isinstance(inner, (mi.ListType, mi.TupleType, mi.VarTupleType)):
                    return self._value(node, u, where, subject)
        if isinstance(node, ScalarNode):
            # Try each scalar alternative quietly; report the one that fits the value's type.
            value = scalar_value(node)
            first_report: list[Diagnostic] | None = None
            for u in t.types:
                inner = u.type if isinstance(u, mi.Metadata) else u
                if isinstance(inner, (mi.StructType, mi.DictType, mi.ListType, mi.TupleType, mi.VarTupleType, mi.NoneType)):
                    continue
                saved = self.diagnostics
                self.diagnostics = []
                self._trial += 1
                try:
                    v = self._value(node, u, where, subject)
                finally:
                    self._trial -= 1
                tried, self.diagnostics = self.diagnostics, saved
                if v is not INVALID:
                    return v
                if tried and tried[0].code != "S002" and first_report is None:
                    first_report = tried
            if first_report:
                self.diagnostics.extend(first_report)
                return INVALID
            del value
        return self._wrong(node, t, where, subject)

    def _tagged(self, node: MappingNode, tagged: list[mi.StructType], where: Path, subject: str) -> Any:
        tag_field = tagged[0].tag_field
        by_tag = {s.tag: s for s in tagged}
        for knode, vnode in node.value:
            if isinstance(knode, ScalarNode) and knode.value == tag_field:
                self.nodes[where + (tag_field,)] = vnode
                tag = scalar_value(vnode) if isinstance(vnode, ScalarNode) else None
                if tag in by_tag:
                    return self._struct(node, by_tag[tag], where, subject)
                self.report("S004", vnode, subject, f"'{tag_field}' is '{tag}', not one of: {', '.join(by_tag)}",
                            did_you_mean(str(tag), by_tag))
                return INVALID
        self.report("S003", node, subject, f"required key '{tag_field}' is missing",
                    f"add '{tag_field}:' with one of {', '.join(by_tag)}")
        return INVALID


def build(data: Any, typ: Any) -> Any:
    """Plain data checked by :class:`Converter` -> frozen structs."""
    return msgspec.convert(data, typ, strict=True)
