from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRES = ROOT / "questionnaires"

_MARK = re.compile(r"#!\s*(?P<code>[A-Z]\d{3})(?:\s+(?P<subject>.*?))?\s*$")


def expected_marks(text: str) -> set[tuple[str, int, str]]:
    """(code, line, subject) of every `#! CODE subject` marker in a YAML text."""
    out = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _MARK.search(line)
        if m:
            out.add((m.group("code"), lineno, (m.group("subject") or "").strip()))
    return out


def got_marks(diagnostics) -> set[tuple[str, int, str]]:
    return {(d.code, d.line, d.subject) for d in diagnostics}


@pytest.fixture
def root() -> Path:
    return ROOT


def shipped_documents() -> list[Path]:
    return sorted(p for p in QUESTIONNAIRES.rglob("*.yaml"))


_VALID: dict[int, dict] = {}


def valid_answers(seed: int = 0, **override) -> dict:
    """A complete answer set of the shipped community questionnaire, as JSON the API accepts
    and stores unchanged (values typed as stored: codes, numbers, lists): a simulated
    respondent (`seed`), with `override` applied."""
    if seed not in _VALID:
        from engine.analysis.simulate import answer_sets
        from engine.loader import load_questionnaire

        _VALID[seed] = answer_sets(load_questionnaire(QUESTIONNAIRES / "community_satisfaction.yaml"), seed=seed)[0]
    return {**_VALID[seed], **override}
