"""Answers submitted through the staff API, checked against the wave's questionnaire version
before they are queued for writing (the checks of paper data: engine.io.importer.check_answers).
A wave's questionnaire version never changes, so it and the parsed questionnaire are cached;
so are what an invitation gives the conditions (its wave, stratum, community and attributes,
fixed when it is made)."""

from __future__ import annotations

from typing import Any

from ..io.importer import Problem, accept_answers, check_answers
from ..loader import loads
from ..schema import Questionnaire
from ..storage import NotFound, Store

__all__ = ["InvalidAnswers", "AnswerChecker"]


class InvalidAnswers(ValueError):
    """The questionnaire does not accept the answers; `problems` name each question id."""

    def __init__(self, questionnaire: str, problems: list[Problem]):
        self.questionnaire = questionnaire
        self.problems = problems
        first = "; ".join(f"{p.question}: {p.message}" for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(f"{len(problems)} answer(s) not accepted by questionnaire '{questionnaire}': {first}{more}")

    def to_list(self) -> list[dict[str, Any]]:
        return [{"question": p.question, "code": p.code, "message": p.message,
                 **({"value": p.value} if p.value else {}), **({"fix": p.fix} if p.fix else {})}
                for p in self.problems]


class AnswerChecker:
    def __init__(self, store: Store):
        self.store = store
        self._version: dict[str, int] = {}
        self._questionnaire: dict[int, Questionnaire] = {}
        self._invitations: dict[str, tuple[str, dict[str, Any]]] = {}  # token -> (wave, what conditions see)

    def questionnaire(self, wave_id: str) -> Questionnaire:
        vid = self._version.get(wave_id)
        if vid is None:
            vid = self._version[wave_id] = int(self.store.wave(wave_id)["questionnaire_version_id"])  # NotFound: 404
        q = self._questionnaire.get(vid)
        if q is None:
            q = self._questionnaire[vid] = loads(self.store.questionnaire_source(vid), expect="questionnaire")
        return q

    def check(self, wave_id: str, answers: dict[str, Any], attributes: dict[str, Any], *, token: str | None,
              complete: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """(answers, attributes) typed as stored; raises InvalidAnswers or NotFound. With an
        invitation token, the invitation's attributes are those the conditions read (as the
        response will hold them)."""
        q = self.questionnaire(wave_id)
        seen = attributes
        if token is not None:
            hit = self._invitations.get(token)
            if hit is None:
                try:
                    inv = self.store.invitation(token)
                except NotFound:  # not remembered: it may be made later
                    inv = None
                if inv is not None:
                    if len(self._invitations) > 100_000:
                        self._invitations.clear()
                    hit = self._invitations[token] = (inv["wave_id"], {**inv["attributes"], "stratum": inv["stratum"],
                                                                       "community": inv["community"]})
            if hit is not None and hit[0] == wave_id:  # otherwise the writer refuses it (404)
                seen = {**hit[1], **attributes}
        accepted = accept_answers(q, answers, seen, complete=complete)
        if accepted is not None:
            typed, attrs = accepted
        else:  # the problems, each named
            problems, typed, attrs = check_answers(q, answers, seen, complete=complete)
            if problems:
                raise InvalidAnswers(q.id, problems)
        return typed, {k: attrs.get(k, v) for k, v in attributes.items()}
