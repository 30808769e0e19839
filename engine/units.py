"""Names of the units that domain and league-table variables code (districts, streets,
communities): the plan's `units:` file, CSV with the header `variable,code,zh` and an optional
`en` column, one row per unit, e.g.

    variable,code,zh,en
    district,330106,西湖区,Xihu District
    community,330106001001,翠苑一区社区,Cuiyuan No. 1 Community

Reports show the name where the file gives one and the code otherwise."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["UnitNames", "UnitsError", "parse_units", "unit_names"]

HEADER = ("variable", "code", "zh")


class UnitsError(ValueError):
    """A problem at a line of the units file (`line` 1-based, `column` 1-based)."""

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path, self.line, self.column, self.message = path, line, column, message


@dataclass(frozen=True)
class UnitNames:
    """variable -> code -> language -> name."""

    names: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def name(self, variable: str, code: str, lang: str) -> str | None:
        by_lang = self.names.get(variable, {}).get(code)
        if not by_lang:
            return None
        return by_lang.get(lang) or by_lang.get("zh")

    def of(self, variable: str, lang: str) -> dict[str, str]:
        """code -> name in `lang` (falling back to Chinese) of one variable."""
        out = {}
        for code, by_lang in self.names.get(variable, {}).items():
            shown = by_lang.get(lang) or by_lang.get("zh")
            if shown:
                out[code] = shown
        return out


def parse_units(text: str, path: str, variables: set[str] | None = None) -> tuple[UnitNames, list[UnitsError]]:
    """The names in a units file's text, and every problem found (all rows are read; a row
    with a problem is left out). `variables`: the variables a unit may belong to, when known."""
    problems: list[UnitsError] = []
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        return UnitNames(), [UnitsError(path, 1, 1, f"the units file is not valid CSV ({e})")]
    if not rows:
        return UnitNames(), [UnitsError(path, 1, 1, "the units file is empty; its first row must be the header "
                                                     "'variable,code,zh' (and optionally ',en')")]
    header = [c.strip() for c in rows[0]]
    if tuple(header[:3]) != HEADER or any(h not in ("en", "") for h in header[3:]) or header.count("en") > 1:
        return UnitNames(), [UnitsError(path, 1, 1, f"the first row must be the header 'variable,code,zh' or "
                                                     f"'variable,code,zh,en'; got '{','.join(header)}'")]
    en = header.index("en") if "en" in header else None
    names: dict[str, dict[str, dict[str, str]]] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        cells = [c.strip() for c in row] + [""] * max(0, len(header) - len(row))
        variable, code, zh = cells[0], cells[1], cells[2]
        if not variable or not code:
            problems.append(UnitsError(path, lineno, 1 if not variable else len(row[0]) + 2,
                                       "a row needs a variable and a code"))
            continue
        if variables is not None and variable not in variables:
            problems.append(UnitsError(path, lineno, 1, f"'{variable}' is not a design, domain or league-table "
                                                        f"variable of the plan ({', '.join(sorted(variables))})"))
            continue
        if not zh:
            problems.append(UnitsError(path, lineno, len(row[0]) + len(row[1]) + 3,
                                       f"unit '{code}' of '{variable}' has no Chinese name (column zh)"))
            continue
        unit = names.setdefault(variable, {})
        if code in unit:
            problems.append(UnitsError(path, lineno, len(row[0]) + 2, f"unit '{code}' of '{variable}' appears twice"))
            continue
        unit[code] = {"zh": zh, **({"en": cells[en]} if en is not None and cells[en] else {})}
    return UnitNames(names), problems


def unit_names(units: str | None, base_dir: Path) -> UnitNames:
    """The names of the plan's `units:` file (relative to the plan's folder); none without one.
    A file with problems raises UnitsError naming the first (file:line:column)."""
    if not units:
        return UnitNames()
    path = Path(base_dir) / units
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise UnitsError(str(path), line, 1, "the units file is not UTF-8 text") from None
    except OSError as e:
        raise UnitsError(str(path), 1, 1, f"cannot read the units file: {e.strerror or e}") from None
    names, problems = parse_units(text, str(path))
    if problems:
        raise problems[0]
    return names
