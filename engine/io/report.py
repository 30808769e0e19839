"""What a check of a paper-data file found: each bad cell (row, column, question id, code,
reason), the counts of rows, and what an import stored."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Problem", "ImportReport", "ImportResult"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad cell (or, with row 1, a bad header). `column` is 1-based; 0 is the whole row."""

    code: str
    row: int
    column: int
    header: str
    question: str
    message: str
    value: str = ""
    fix: str | None = None

    @property
    def cell(self) -> str:
        """Spreadsheet reference (C12)."""
        n, letters = self.column, ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            letters = chr(65 + r) + letters
        return f"{letters}{self.row}" if letters else str(self.row)

    def format(self, path: str) -> str:
        subject = f" question '{self.question}':" if self.question else (f" column '{self.header}':" if self.header else "")
        fix = f"; {self.fix}" if self.fix else ""
        return f"{path}:{self.row}:{self.column}: error[{self.code}]{subject} {self.message}{fix}"

    def to_dict(self) -> dict:
        return {"code": self.code, "row": self.row, "column": self.column, "cell": self.cell, "header": self.header,
                "question": self.question, "message": self.message, "value": self.value, "fix": self.fix}


@dataclass
class ImportReport:
    path: str
    sha256: str
    format: str
    rows: int = 0
    valid_rows: int = 0
    #: header problems: nothing can be imported until they are fixed
    file_problems: list[Problem] = field(default_factory=list)
    #: cell problems: their rows are left out of an import
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return self.rows - self.valid_rows

    @property
    def importable(self) -> bool:
        return not self.file_problems

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "format": self.format, "rows": self.rows, "valid_rows": self.valid_rows,
                "bad_rows": self.bad_rows, "importable": self.importable,
                "file_problems": [p.to_dict() for p in self.file_problems],
                "problems": [p.to_dict() for p in self.problems]}


@dataclass(frozen=True)
class ImportResult:
    report: ImportReport
    inserted: int
    already: int
    conflicts: int

    def to_dict(self) -> dict:
        return {"inserted": self.inserted, "already_stored": self.already, "conflicts": self.conflicts,
                "skipped_rows": self.report.bad_rows, **{k: v for k, v in self.report.to_dict().items()
                                                         if k in ("sha256", "rows", "valid_rows")}}
