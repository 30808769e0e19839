"""What a semantic check needs: where each value came from, and where to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, Iterator

import msgspec
from yaml.nodes import CollectionNode, Node, ScalarNode

from ..diagnostics import Diagnostic
from ..errors import ExpressionError

__all__ = ["Context", "walk_structs"]


@dataclass
class Context:
    path: str
    nodes: dict[tuple, Node]
    key_nodes: dict[tuple, Node]
    broken_ids: set[str] = field(default_factory=set)
    base_dir: FsPath | None = None
    broken_levels: set[int] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def position(self, where: tuple, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at `where`; of its key when asked, or when the value
        is a block list or mapping (which starts on the line after its key)."""
        value = self.nodes.get(where)
        block = isinstance(value, CollectionNode) and not value.flow_style
        if (key or block) and where in self.key_nodes:
            node = self.key_nodes[where]
        else:
            node = None
            w = where
            while node is None:
                node = self.nodes.get(w)
                if node is None:
                    if not w:
                        return 1, 1
                    w = w[:-1]
        m = node.start_mark
        return m.line + 1, m.column + 1

    def report(self, code: str, where: tuple, subject: str, message: str, fix: str | None = None, *,
               key: bool = False) -> None:
        line, col = self.position(where, key=key)
        self.diagnostics.append(Diagnostic(code, self.path, line, col, subject, message, fix))

    def report_at(self, code: str, path: str, line: int, column: int, subject: str, message: str,
                  fix: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, path, line, column, subject, message, fix))

    def report_expression(self, where: tuple, subject: str, err: ExpressionError, *, code: str | None = None,
                          column: int | None = None, message: str | None = None, fix: str | None = None) -> None:
        """Report a problem inside an expression at its own column in the file."""
        line, col = self.position(where)
        node = self.nodes.get(where)
        offset = (column if column is not None else err.column) - 1
        if isinstance(node, ScalarNode) and node.start_mark.line == node.end_mark.line:
            if node.style in ("'", '"'):
                col += 1 + offset
            elif not node.style:
                col += offset
        self.diagnostics.append(Diagnostic(code or err.code, self.path, line, col, subject,
                                           message or err.message, fix if fix is not None else err.fix))


def walk_structs(value: Any, where: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every struct, list element and field, paths as the converter's."""
    stack = [(where, value)]
    while stack:
        w, v = stack.pop()
        yield w, v
        if isinstance(v, msgspec.Struct):
            for name in reversed(v.__struct_fields__):
                stack.append((w + (name,), getattr(v, name)))
        elif isinstance(v, (list, tuple)):
            for i in reversed(range(len(v))):
                stack.append((w + (i,), v[i]))
        elif isinstance(v, dict):
            for k in reversed(list(v)):
                stack.append((w + (k,), v[k]))
