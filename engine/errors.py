"""The project's own error types."""

from __future__ import annotations

__all__ = ["ManyiError", "LoadError", "ExpressionError"]


class ManyiError(Exception):
    """Base of every error manyi raises on purpose."""


class LoadError(ManyiError):
    """A document did not load; `diagnostics` says every reason, with file:line:col."""

    def __init__(self, diagnostics):
        self.diagnostics = tuple(diagnostics)
        lines = [d.format() for d in self.diagnostics]
        super().__init__("\n".join(lines) if lines else "document did not load")


class ExpressionError(ManyiError):
    """An expression of the condition language is wrong; `column` is 1-based within it."""

    def __init__(self, code: str, message: str, column: int, fix: str | None = None):
        self.code = code
        self.message = message
        self.column = column
        self.fix = fix
        super().__init__(f"column {column}: {message}" + (f"; {fix}" if fix else ""))
