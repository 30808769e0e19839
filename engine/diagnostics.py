"""Diagnostics of documents people write, and the one registry of their codes.

A diagnostic reads ``path:line:col: error[CODE] subject: message; fix``. Codes are stable:
tests and users refer to them; wording may improve. Add a code here, never inline.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Literal

__all__ = ["Rule", "RULES", "Diagnostic", "did_you_mean", "format_report"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str


def _rules(*rows: tuple[str, Severity, str]) -> dict[str, Rule]:
    return {code: Rule(code, severity, title) for code, severity, title in rows}


RULES: dict[str, Rule] = _rules(
    # Files and YAML
    ("F001", "error", "file cannot be read"),
    ("F002", "error", "not a manyi document (no or unknown top-level kind)"),
    ("Y001", "error", "duplicate key in a mapping"),
    ("Y002", "error", "YAML 1.1 boolean word (yes/no/on/off/y/n) where text was meant"),
    ("Y003", "error", "YAML syntax error"),
    ("Y004", "error", "unsupported YAML feature (custom tags, several documents in one file)"),
    # Structure (against the schema)
    ("S001", "error", "unknown key"),
    ("S002", "error", "wrong type of value"),
    ("S003", "error", "required key missing"),
    ("S004", "error", "value not allowed (pattern, range or choice)"),
    # Ids
    ("D001", "error", "duplicate id"),
    ("D002", "error", "duplicate code within one list"),
    # Questionnaire
    ("Q001", "error", "scale is not defined"),
    ("Q002", "error", "impossible range"),
    ("Q003", "error", "scale points do not score as declared"),
    ("Q004", "error", "label lacks a declared language"),
    ("Q005", "error", "attribute source is wrong"),
    # Expressions
    ("E001", "error", "expression syntax error"),
    ("E002", "error", "expression names an unknown question or attribute"),
    ("E003", "error", "show_if refers to a question asked later (forward reference)"),
    ("E004", "error", "show_if conditions form a cycle"),
    ("E005", "error", "expression misuses a function or a code"),
    # Indicator tree and weights
    ("I001", "error", "indicator item is not a scored question"),
    ("I002", "error", "fixed weights do not sum to 1 or do not name the children"),
    ("I003", "error", "AHP matrix is malformed (size, diagonal, reciprocity)"),
    ("I004", "error", "AHP consistency ratio is 0.10 or more"),
    ("I005", "warning", "item is used by more than one indicator"),
    # Rating policy
    ("P001", "error", "levels are not exactly 1..5 once each"),
    ("P002", "error", "adapter level codes are not one-to-one onto the levels"),
    ("P003", "error", "reference to a level that is not defined"),
    ("P004", "error", "deadlines out of order"),
    ("P005", "error", "default rating is inconsistent"),
    # Evaluation plan
    ("L001", "error", "margins do not sum to the population"),
    ("L002", "error", "referenced file not found"),
    ("L003", "error", "margin CSV is malformed"),
    ("L004", "error", "variable is not an attribute or question of the questionnaire"),
    ("L005", "error", "margin category is not a code of its variable"),
    ("L006", "error", "impossible bounds or dates"),
    ("L007", "error", "units CSV is malformed (header, duplicate or unnamed unit, unknown variable)"),
    # Working-day calendar
    ("K001", "error", "calendar date outside its year, or a range that ends before it starts"),
    ("K002", "error", "calendar day both off and worked, or a makeup working day on a weekday"),
    # Data files (CSV of responses)
    ("C001", "error", "column is not a question, item, attribute or known field"),
    ("C002", "error", "value not allowed in its column"),
    ("C003", "error", "column the plan or the indicator tree needs is missing"),
    ("C004", "error", "data file is malformed or empty"),
    # Paper-data import (one cell of a row)
    ("C005", "error", "value of the wrong type or out of range (not a number, date or region code; too long)"),
    ("C006", "error", "required answer missing"),
    ("C007", "error", "answer given to a question that show_if hides"),
    ("C008", "error", "constraint of the question not met (constraint, min or max selected)"),
    ("C009", "error", "respondent id appears twice in the file"),
)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    path: str
    line: int
    column: int
    subject: str
    message: str
    fix: str | None = None

    def __post_init__(self) -> None:
        if self.code not in RULES:
            raise ValueError(f"code must be one of the registry in engine.diagnostics; got {self.code!r}")

    @property
    def severity(self) -> Severity:
        return RULES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self) -> str:
        subject = f" {self.subject}:" if self.subject else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.path}:{self.line}:{self.column}: {self.severity}[{self.code}]{subject} {self.message}{fix}"

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "path": self.path, "line": self.line,
                "column": self.column, "subject": self.subject, "message": self.message, "fix": self.fix}


def did_you_mean(word: str, candidates: Iterable[str], *, quote: str = "'") -> str | None:
    """A "did you mean 'x'?" fix for a misspelt word, or None."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"did you mean {quote}{matches[0]}{quote}?" if matches else None


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return matches[0] if matches else None


def format_report(path: str, diagnostics: Iterable[Diagnostic]) -> str:
    """Diagnostics one per line, sorted by position, then a count line."""
    diags = sorted(diagnostics, key=lambda d: (d.line, d.column, d.code))
    lines = [d.format() for d in diags]
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    if diags:
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        lines.append(f"{' and '.join(parts)} in {path}")
    return "\n".join(lines)
