"""YAML text -> nodes that keep line and column, with the YAML traps caught.

``yaml.safe_load`` silently keeps the last of two equal keys and reads ``no`` as false
(YAML 1.1). Here the text is composed into nodes, then every mapping and scalar is checked:
duplicate keys (Y001), YAML 1.1 boolean words (Y002), syntax (Y003), and features a document
must not use (Y004). Values are made from nodes later, against the schema (engine.convert).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic

__all__ = ["compose", "scalar_value", "position", "BOOL_WORDS", "STANDARD_TAGS"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.SafeLoader("")  # only its scalar constructors are used
STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in
                 ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
#: Plain words YAML 1.1 reads as booleans, besides true/false.
BOOL_WORDS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_TRUE_WORDS = {"y", "yes", "on"}


def position(node: Node) -> tuple[int, int]:
    """1-based line and column of a node."""
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _diag(code: str, path: str, node: Node | None, subject: str, message: str, fix: str | None = None,
          mark: Any = None) -> Diagnostic:
    if node is not None:
        line, col = position(node)
    elif mark is not None:
        line, col = mark.line + 1, mark.column + 1
    else:
        line, col = 1, 1
    return Diagnostic(code, path, line, col, subject, message, fix)


MAX_DEPTH = 100


def _prescan(text: str, path: str) -> list[Diagnostic]:
    """Walk the event stream (no recursion) before composing: refuse nesting deeper than
    MAX_DEPTH (the C composer would overflow its stack) and anchors or aliases (a few lines of
    aliases can expand to gigabytes)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return [_diag("Y003", path, None, "", f"YAML nested more than {MAX_DEPTH} levels deep",
                                  mark=event.start_mark)]
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return [_diag("Y004", path, None, "", "anchors and aliases (& and *) are not supported",
                              "write the values out", mark=event.start_mark)]
    except yaml.YAMLError as e:
        return [_yaml_error(e, path, text)]
    return []


def compose(text: str, path: str) -> tuple[Node | None, list[Diagnostic]]:
    """Compose one YAML document; return its root node (None if unusable) and diagnostics."""
    pre = _prescan(text, path)
    if pre:
        return None, pre
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as e:
        if "single document" in str(e.problem or "") + str(e.context or ""):
            return None, [_diag("Y004", path, None, "", "a file holds one document; found a second one",
                                "remove the '---' line or split the file", mark=e.problem_mark)]
        return None, [_yaml_error(e, path, text)]
    except yaml.YAMLError as e:
        return None, [_yaml_error(e, path, text)]
    except RecursionError:
        return None, [_diag("Y003", path, None, "", "YAML nested too deeply")]
    if root is None:
        return None, [_diag("Y003", path, None, "", "the file holds no YAML document")]
    return root, _check(root, path)


def _yaml_error(e: yaml.YAMLError, path: str, text: str = "") -> Diagnostic:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    context = getattr(e, "context", None)
    message = f"{problem}" + (f" ({context})" if context else "")
    fix = None
    char = ""
    if mark is not None and getattr(mark, "index", None) is not None and 0 <= mark.index < len(text):
        char = text[mark.index]
    if "'\\t'" in message or char == "\t":
        fix = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in message:
        fix = "quote a value that contains ': '"
    if mark is not None and getattr(mark, "line", None) is not None:
        return _diag("Y003", path, None, "", message, fix, mark=mark)
    return _diag("Y003", path, None, "", message, fix)


def _check(root: Node, path: str) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias points at a node already checked
            continue
        seen.add(id(node))
        if node.tag not in STANDARD_TAGS:
            diags.append(_diag("Y004", path, node, "", f"tag {node.tag} is not supported",
                               "remove the tag; write plain YAML"))
        if isinstance(node, MappingNode):
            keys: dict[Any, Node] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.tag == "tag:yaml.org,2002:merge":
                        diags.append(_diag("Y004", path, key, "", "merge keys (<<) are not supported",
                                           "write the keys out"))
                    k = key.value
                    if k in keys:
                        line, _ = position(keys[k])
                        diags.append(_diag("Y001", path, key, "", f"key '{k}' appears twice in this mapping "
                                           f"(first on line {line})", "remove one of them"))
                    else:
                        keys[k] = key
                stack.append(value)
                stack.append(key)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode):
            if not node.style and node.tag == "tag:yaml.org,2002:bool" and BOOL_WORDS.match(node.value):
                word = node.value
                diags.append(_diag("Y002", path, node, "", f"`{word}` was read as a boolean (YAML 1.1)",
                                   f'quote it if text was meant: "{word}"; write true or false for a boolean'))
    return diags


def scalar_value(node: ScalarNode) -> Any:
    """Python value of a scalar as YAML resolves it, except that YAML 1.1 boolean words stay
    text (they are reported as Y002 already) and unknown tags read as text."""
    tag = node.tag
    if node.style or tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        if tag == "tag:yaml.org,2002:bool":
            if BOOL_WORDS.match(node.value):
                return node.value
            return node.value.lower() == "true"
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:int":
            return _constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            return _constructor.construct_yaml_float(node)
        if tag == "tag:yaml.org,2002:timestamp":
            return _constructor.construct_yaml_timestamp(node)
    except (ValueError, OverflowError, yaml.YAMLError):
        return node.value
    return node.value


def is_bool_word(node: Node) -> bool:
    return (isinstance(node, ScalarNode) and not node.style and node.tag == "tag:yaml.org,2002:bool"
            and bool(BOOL_WORDS.match(node.value)))


def bool_word_value(node: ScalarNode) -> bool:
    return node.value.lower() in _TRUE_WORDS


def describe(value: Any) -> str:
    """How a diagnostic names the type of a value it got."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    return type(value).__name__
