"""The case of a bad rating: every action in every state for every role, and the rules."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import pytest

from engine.calendar import national_calendar
from engine.haocha import ACTIONS, STATES, Case, TransitionError, open_case, transition
from engine.loader import load_policy
from engine.storage.models import ROLES
from tests.conftest import QUESTIONNAIRES

NATIONAL = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")     # no recheck
GUANGDONG = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")   # recheck, one reopen
CAL = national_calendar()
RATED = dt.datetime(2026, 9, 30, 10, 0)
T = dt.datetime(2026, 10, 8, 9, 0)

# Who may do what from where, written from DOMAIN.md (谁办理谁负责; units appeal, the
# supervisor decides; the rater's recheck comes from the service system), independently of
# the TRANSITIONS table of the code.
ALLOWED = {
    ("assign", "admin"): {"open", "assigned"},
    ("call_back", "handler"): {"assigned"},
    ("rectify", "handler"): {"called_back", "rectifying"},
    ("plan_rectification", "handler"): {"called_back"},
    ("explain", "handler"): {"called_back"},
    ("send_feedback", "handler"): {"rectified", "explained"},
    ("appeal", "handler"): {"open", "assigned", "called_back"},
    ("uphold_appeal", "admin"): {"appealed"},
    ("reject_appeal", "admin"): {"appealed"},
    ("recheck", "integrator"): {"feedback_sent"},
    ("recheck", "admin"): {"feedback_sent"},
    ("close", "handler"): {"feedback_sent"},
    ("close", "admin"): {"feedback_sent"},
    ("escalate", "admin"): {"open", "assigned", "called_back", "rectifying"},
    ("escalate", "leader"): {"open", "assigned", "called_back", "rectifying"},
}


def _case(state: str) -> Case:
    c = open_case("r1", RATED, NATIONAL, CAL)
    return replace(c, state=state, handler="h1", before_appeal="assigned" if state == "appealed" else None)


@pytest.mark.parametrize("state, action, role", list(itertools.product(STATES, ACTIONS, ROLES)))
def test_every_action_in_every_state_for_every_role(state, action, role):
    policy = GUANGDONG if action == "recheck" else NATIONAL
    kwargs = dict(role=role, actor="h1", note="办理说明", at=T, policy=policy, calendar=CAL, handler="h1",
                  recheck="satisfied", due=dt.date(2026, 10, 20))
    roles_allowed = {r for (a, r) in ALLOWED if a == action}
    if state in ALLOWED.get((action, role), set()):
        after = transition(_case(state), action, **kwargs)
        assert after.version == 1 and after.events[-1].action == action
    else:
        with pytest.raises(TransitionError) as info:
            transition(_case(state), action, **kwargs)
        assert info.value.status == (403 if role not in roles_allowed else 409)


def test_deadlines_are_counted_on_the_working_day_calendar():
    c = open_case("r1", RATED, NATIONAL, CAL)
    # national.yaml: callback 3 and rectification 15 working days (see the file)
    assert c.due["callback"] == CAL.due(RATED, NATIONAL.deadlines.callback)
    assert c.due["rectification"] == dt.date(2026, 10, 27)


def test_a_full_case_with_a_recheck_reopens_once_then_closes_disputed():
    c = open_case("r1", RATED, GUANGDONG, CAL)
    c = transition(c, "assign", role="admin", actor="a", note="指派", at=T, policy=GUANGDONG, calendar=CAL,
                   handler="h1")
    for _ in range(2):
        c = transition(c, "call_back", role="handler", actor="h1", note="已回访", at=T, policy=GUANGDONG, calendar=CAL)
        c = transition(c, "rectify", role="handler", actor="h1", note="已整改", at=T, policy=GUANGDONG, calendar=CAL)
        c = transition(c, "send_feedback", role="handler", actor="h1", note="已反馈", at=T, policy=GUANGDONG,
                       calendar=CAL)
        c = transition(c, "recheck", role="integrator", actor="sys", note="复评", at=T, policy=GUANGDONG,
                       calendar=CAL, recheck="unsatisfied")
    assert c.state == "closed_disputed" and c.reopens == 1
    assert [e.action for e in c.events].count("recheck") == 2


def test_handler_closing_needs_no_recheck_policy():
    c = replace(_case("feedback_sent"))
    with pytest.raises(TransitionError) as info:
        transition(c, "close", role="handler", actor="h1", note="结案", at=T, policy=GUANGDONG, calendar=CAL)
    assert info.value.status == 409
    assert transition(c, "close", role="handler", actor="h1", note="结案", at=T, policy=NATIONAL,
                      calendar=CAL).state == "closed"


def test_only_the_assigned_handler_acts_and_every_act_has_a_note():
    c = _case("assigned")
    with pytest.raises(TransitionError, match="assigned to h1"):
        transition(c, "call_back", role="handler", actor="h2", note="x", at=T, policy=NATIONAL, calendar=CAL)
    with pytest.raises(TransitionError, match="note"):
        transition(c, "call_back", role="handler", actor="h1", note=" ", at=T, policy=NATIONAL, calendar=CAL)


def test_upheld_appeal_removes_the_rating_and_late_appeal_is_refused():
    c = _case("assigned")
    late = dt.datetime(2026, 11, 30, 9, 0)
    with pytest.raises(TransitionError, match="appeal window closed"):
        transition(c, "appeal", role="handler", actor="h1", note="恶意差评", at=late, policy=NATIONAL, calendar=CAL)
    c = transition(c, "appeal", role="handler", actor="h1", note="恶意差评", at=T, policy=NATIONAL, calendar=CAL)
    assert transition(c, "uphold_appeal", role="admin", actor="a", note="成立", at=T, policy=NATIONAL,
                      calendar=CAL).removed_from_metrics
    back = transition(c, "reject_appeal", role="admin", actor="a", note="不成立", at=T, policy=NATIONAL, calendar=CAL)
    assert back.state == "assigned"


def test_overdue_steps_are_reported():
    c = open_case("r1", RATED, NATIONAL, CAL)
    assert c.overdue(dt.date(2026, 10, 1)) == []
    assert "callback" in c.overdue(c.due["callback"] + dt.timedelta(days=1))
