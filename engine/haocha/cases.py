"""The case a bad rating opens, as a state machine (DOMAIN.md, handling a bad rating).

open -> assigned -> called_back -> rectified | rectifying (ledger, deadline) | explained
     -> feedback_sent -> (recheck) closed | reopened -> ... | closed_disputed
An appeal (申诉复核) can be filed before feedback: upheld removes the rating from every metric
and closes the case; rejected returns the case to where it was. Every transition is one role's
act with a note; each step's deadline comes from the policy and the working-day calendar.
Pure rules: storage records the events, the web maps TransitionError to 403/409.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

from ..calendar import Calendar
from ..errors import ManyiError
from ..schema import Policy

__all__ = ["STATES", "ACTIONS", "Case", "CaseEvent", "TransitionError", "open_case", "case_deadlines", "transition",
           "allowed", "TRANSITIONS"]

STATES = ("open", "assigned", "called_back", "rectifying", "rectified", "explained", "feedback_sent",
          "appealed", "closed", "closed_removed", "closed_disputed")
ACTIONS = ("assign", "call_back", "rectify", "plan_rectification", "explain", "send_feedback", "appeal",
           "uphold_appeal", "reject_appeal", "recheck", "close", "escalate")

#: action -> (states it may start from, roles that may do it, state it leads to; None: decided by the act)
TRANSITIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {
    "assign": (("open", "assigned"), ("admin",), "assigned"),
    "call_back": (("assigned",), ("handler",), "called_back"),
    "rectify": (("called_back", "rectifying"), ("handler",), "rectified"),
    "plan_rectification": (("called_back",), ("handler",), "rectifying"),
    "explain": (("called_back",), ("handler",), "explained"),
    "send_feedback": (("rectified", "explained"), ("handler",), "feedback_sent"),
    "appeal": (("open", "assigned", "called_back"), ("handler",), "appealed"),
    "uphold_appeal": (("appealed",), ("admin",), "closed_removed"),
    "reject_appeal": (("appealed",), ("admin",), None),
    "recheck": (("feedback_sent",), ("integrator", "admin"), None),
    "close": (("feedback_sent",), ("handler", "admin"), "closed"),
    "escalate": (("open", "assigned", "called_back", "rectifying"), ("admin", "leader"), None),
}
FINAL = ("closed", "closed_removed", "closed_disputed")


class TransitionError(ManyiError):
    """`status` 403: the role may not do this; 409: not in this state (or lost a race)."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class CaseEvent:
    action: str
    actor: str
    role: str
    at: dt.datetime
    note: str
    from_state: str
    to_state: str


@dataclass(frozen=True)
class Case:
    rating_id: str
    state: str
    opened_at: dt.datetime
    region: str | None = None
    handler: str | None = None
    version: int = 0                      # optimistic concurrency: storage compares it
    reopens: int = 0
    before_appeal: str | None = None
    due: dict[str, dt.date] = field(default_factory=dict)
    escalations: int = 0
    events: tuple[CaseEvent, ...] = ()

    @property
    def removed_from_metrics(self) -> bool:
        return self.state == "closed_removed"

    def overdue(self, today: dt.date) -> list[str]:
        """Steps whose deadline has passed while the case is still before them."""
        order = {"assignment": ("open",), "callback": ("open", "assigned"),
                 "rectification": ("open", "assigned", "called_back", "rectifying"),
                 "feedback": ("open", "assigned", "called_back", "rectifying", "rectified", "explained")}
        return [step for step, states in order.items() if step in self.due and self.state in states
                and today > self.due[step]]


def open_case(rating_id: str, rated_at: dt.datetime, policy: Policy, calendar: Calendar, *,
              region: str | None = None) -> Case:
    """The case of a valid, non-default bad rating, with every deadline counted from it."""
    return Case(rating_id, "open", rated_at, region=region, due=case_deadlines(rated_at, policy, calendar, region))


def case_deadlines(rated_at: dt.datetime, policy: Policy, calendar: Calendar, region: str | None = None
                   ) -> dict[str, dt.date]:
    """The due date of each step of a case opened by a rating at `rated_at` (they depend only
    on the day of `rated_at` in its own zone and on the region)."""
    dl = policy.deadlines
    return {name: calendar.due(rated_at, getattr(dl, name), region)
            for name in ("assignment", "callback", "rectification", "feedback", "appeal")}


def allowed(case: Case, action: str, role: str) -> bool:
    if action not in TRANSITIONS:
        return False
    states, roles, _ = TRANSITIONS[action]
    return case.state in states and role in roles


def transition(case: Case, action: str, *, role: str, actor: str, note: str, at: dt.datetime, policy: Policy,
               calendar: Calendar, handler: str | None = None, recheck: Literal["satisfied", "basic",
               "unsatisfied"] | None = None, due: dt.date | None = None) -> Case:
    """The case after one act. Raises TransitionError(403) for a role that may not act,
    TransitionError(409) for an act not possible in the case's state."""
    if action not in TRANSITIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
    states, roles, target = TRANSITIONS[action]
    if role not in roles:
        raise TransitionError(403, f"a {role} may not {action.replace('_', ' ')} (allowed: {', '.join(roles)})")
    if case.state not in states:
        raise TransitionError(409, f"cannot {action.replace('_', ' ')} a case that is {case.state}")
    if not note.strip():
        raise TransitionError(409, "every act on a case needs a note")
    if role == "handler" and action != "appeal" and case.handler is not None and actor != case.handler:
        raise TransitionError(403, f"the case is assigned to {case.handler}, not {actor}")
    changes: dict = {}
    if action == "assign":
        if not handler:
            raise TransitionError(409, "assign needs the handler")
        changes["handler"] = handler
    elif action == "plan_rectification":
        limit = calendar.due(at, policy.deadlines.rectification, case.region)
        if due is None or due > limit:
            raise TransitionError(409, f"a rectification ledger needs a due date no later than {limit}")
        changes["due"] = {**case.due, "rectification": due}
    elif action == "appeal":
        if not policy.appeal.allowed:
            raise TransitionError(409, "this policy allows no appeals")
        if at.date() > case.due["appeal"]:
            raise TransitionError(409, f"the appeal window closed on {case.due['appeal']}")
        changes["before_appeal"] = case.state
    elif action == "reject_appeal":
        target = case.before_appeal or "open"
    elif action == "recheck":
        if recheck not in ("satisfied", "basic", "unsatisfied"):
            raise TransitionError(409, "a recheck is satisfied, basic or unsatisfied")
        if not policy.recheck.enabled:
            raise TransitionError(409, "this policy has no recheck")
        if recheck != "unsatisfied":
            target = "closed"
        elif case.reopens < policy.recheck.max_reopens:
            target = "assigned"
            changes["reopens"] = case.reopens + 1
            changes["due"] = {**case.due, **{name: calendar.due(at, getattr(policy.deadlines, name), case.region)
                                              for name in ("callback", "rectification", "feedback")}}
        else:
            target = "closed_disputed"
    elif action == "close" and policy.recheck.enabled and role != "admin":
        raise TransitionError(409, "under this policy the rater's recheck closes the case")
    elif action == "escalate":
        target = case.state
        changes["escalations"] = case.escalations + 1
    assert target is not None
    event = CaseEvent(action, actor, role, at, note, case.state, target)
    return replace(case, state=target, version=case.version + 1, events=case.events + (event,), **changes)
