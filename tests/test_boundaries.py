"""The import boundaries of shared/STYLE.md: scoring <- reports <- engine, one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ALLOWED = {
    "scoring": {"numpy", "scipy", "scoring"},
    # pypdf: joins the parts of a batch's one PDF made on several processes (reports.batch)
    "reports": {"scoring", "reports", "jinja2", "weasyprint", "pypdf", "numpy"},
}
FORBIDDEN_IN_SCHEMA = {"engine.loader", "engine.storage", "engine.web", "engine.cli", "yaml", "sqlalchemy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _stdlib(name: str) -> bool:
    import sys
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package):
    bad = []
    for f in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(f):
            if not _stdlib(name) and name.split(".")[0] not in ALLOWED[package]:
                bad.append(f"{f.relative_to(ROOT)}: {name}")
    assert bad == []


def test_schema_imports_only_stdlib_and_msgspec():
    bad = []
    for f in sorted((ROOT / "engine" / "schema").rglob("*.py")):
        for name in _imports(f):
            if not _stdlib(name) and name.split(".")[0] != "msgspec":
                bad.append(f"{f.relative_to(ROOT)}: {name}")
    assert bad == []


def test_web_and_cli_do_not_call_scipy_or_weasyprint_directly():
    bad = []
    for sub in ("web",):
        for f in sorted((ROOT / "engine" / sub).rglob("*.py")):
            for name in _imports(f):
                if name.split(".")[0] in ("scipy", "weasyprint"):
                    bad.append(f"{f.relative_to(ROOT)}: {name}")
    for name in _imports(ROOT / "engine" / "cli.py"):
        if name.split(".")[0] in ("scipy", "weasyprint"):
            bad.append(f"engine/cli.py: {name}")
    assert bad == []
