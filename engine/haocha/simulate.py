"""A simulated month of good/bad ratings for demos and benchmarks: several departments with
their own service quality, halls, windows and staff, the channels of DOMAIN.md, reason tags of
the policy for the level given, and the cases of the bad ratings worked through their
lifecycle by handlers, most on time, some late, some still open and overdue.
Deterministic by seed; every act goes through the same services the API uses."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ..calendar import Calendar
from ..schema import Policy
from ..storage import Store
from ..storage.ratings import act_on_case, add_ratings, escalate_overdue
from .cases import TransitionError
from .intake import Rating

__all__ = ["DEPARTMENTS", "SimulatedMonth", "simulate_month"]

#: (unified social credit code, name, region, share of bad ratings in per mille)
DEPARTMENTS: tuple[tuple[str, str, str, int], ...] = (
    ("11440100MB2C00001A", "市市场监督管理局", "440100", 18),
    ("11440100MB2C00002B", "市人力资源和社会保障局", "440100", 32),
    ("11440100MB2C00003C", "市公安局出入境管理支队", "440100", 22),
    ("11440100MB2C00004D", "市不动产登记中心", "440100", 55),
    ("11440100MB2C00005E", "市税务局第一税务分局", "440100", 28),
    ("11440100MB2C00006F", "市医疗保障局", "440100", 38),
    ("11440106MB2C00007G", "天河区政务服务中心", "440106", 24),
    ("11440104MB2C00008H", "越秀区政务服务中心", "440104", 47),
)

#: channel -> share of ratings
CHANNELS = {"hall_tablet": 46, "mobile": 24, "pc": 14, "qr_code": 9, "sms": 5, "phone": 2}
TEXTS = ("窗口人员解释不清楚，跑了两趟", "排队时间太长", "系统一直提示网络错误", "要求重复提交材料",
         "工作人员态度冷淡", "办了一个多月还没有结果", None, None, None)

# handling of a case: final state -> the acts that lead there (as in DOMAIN.md)
PATHS: dict[str, tuple[str, ...]] = {
    "open": (),
    "assigned": ("assign",),
    "called_back": ("assign", "call_back"),
    "rectifying": ("assign", "call_back", "plan_rectification"),
    "explained": ("assign", "call_back", "explain"),
    "feedback_sent": ("assign", "call_back", "rectify", "send_feedback"),
    "closed": ("assign", "call_back", "rectify", "send_feedback", "recheck+"),
    "closed_explained": ("assign", "call_back", "explain", "send_feedback", "recheck+"),
    "closed_disputed": ("assign", "call_back", "rectify", "send_feedback", "recheck-", "call_back", "rectify",
                        "send_feedback", "recheck-"),
    "appealed": ("assign", "appeal"),
    "closed_removed": ("assign", "appeal", "uphold_appeal"),
}
#: how often each path is taken (old cases mostly closed; recent ones still in progress)
SHARE_OLD = {"closed": 62, "closed_explained": 12, "closed_disputed": 5, "closed_removed": 4, "appealed": 2,
             "feedback_sent": 4, "rectifying": 5, "called_back": 2, "assigned": 2, "open": 2}
SHARE_RECENT = {"open": 20, "assigned": 25, "called_back": 20, "rectifying": 10, "explained": 5,
                "feedback_sent": 10, "closed": 10}
ROLE = {"assign": "admin", "uphold_appeal": "admin", "recheck+": "integrator", "recheck-": "integrator"}


@dataclass(frozen=True)
class SimulatedMonth:
    ratings: int
    bad: int
    cases: int
    states: dict[str, int]
    escalated: int
    departments: dict[str, str]


def _pick(rnd: random.Random, shares: dict[str, int]) -> str:
    return rnd.choices(list(shares), weights=list(shares.values()))[0]


def simulate_month(store: Store, policy: Policy, calendar: Calendar, *, year: int, month: int, n: int = 30_000,
                   seed: int = 1, today: dt.date | None = None) -> SimulatedMonth:
    """Store `n` ratings given during the month, open the cases of the bad ones and work them
    as handlers would up to `today` (default: the 5th of the next month), then escalate the
    overdue ones. Returns what was made."""
    rnd = random.Random(seed)
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    today = today or (end + dt.timedelta(days=4)).date()
    levels = {lv.level: lv for lv in policy.levels}
    tags = {lv: [t.code for t in policy.reason_tags if lv in t.levels] for lv in levels}
    bad_levels = sorted(lv for lv, x in levels.items() if x.bucket == "bad")
    good_levels = sorted((lv for lv, x in levels.items() if x.bucket == "good"), reverse=True)
    neutral = [lv for lv, x in levels.items() if x.bucket == "neutral"]
    days = [start.date() + dt.timedelta(days=d) for d in range((end - start).days)]
    workdays = [d for d in days if calendar.is_working_day(d)] or days
    staff = {code: [f"{code[-4:-1]}-{k:02d}" for k in range(1, 9)] for code, *_ in DEPARTMENTS}
    ratings: list[Rating] = []
    for k in range(n):
        code, _, region, bad_pm = DEPARTMENTS[rnd.randrange(len(DEPARTMENTS))]
        day = rnd.choice(workdays)
        at = dt.datetime.combine(day, dt.time(9), tzinfo=tz) + dt.timedelta(minutes=rnd.randrange(8 * 60))
        u = rnd.random() * 1000
        if u < bad_pm:
            level = rnd.choice(bad_levels) if rnd.random() < 0.5 else bad_levels[-1]
        elif u < bad_pm + 60 and neutral:
            level = neutral[0]
        else:
            level = good_levels[0] if rnd.random() < 0.75 else good_levels[-1]
        bucket = levels[level].bucket
        chosen = tuple(rnd.sample(tags[level], k=min(len(tags[level]), rnd.choice((1, 1, 2))))) if tags[level] and (
            bucket == "bad" or rnd.random() < 0.3) else ()
        window = rnd.randrange(1, 13)
        ratings.append(Rating(
            transaction_no=f"{year}{month:02d}{k:07d}", stage="overall", sequence=1, level=level, bucket=bucket,
            channel=_pick(rnd, CHANNELS), region_code=region, item_code=f"{code[-4:-1]}-{rnd.randrange(1, 30):03d}",
            department_code=code, hall=f"{region}-大厅", window=f"{window:02d}号窗口",
            staff_id=staff[code][window % len(staff[code])], rater_type="person" if rnd.random() < 0.92 else
            "legal_entity", rater_key=None, device_key=None, sub_ratings={}, reason_tags=chosen,
            text=rnd.choice(TEXTS) if bucket == "bad" else None,
            finished_at=at - dt.timedelta(minutes=rnd.randrange(5, 90)), rated_at=at,
            opens_case=bucket == "bad", real_name=rnd.random() < 0.7))
    stored = []
    for i in range(0, len(ratings), 5000):
        stored += add_ratings(store, ratings[i:i + 5000], policy, calendar)
    by_id = {cid: r for r, (_, cid, _) in zip(ratings, stored) if cid is not None}
    states: dict[str, int] = {}
    recent_from = today - dt.timedelta(days=10)
    for case_id, r in sorted(by_id.items()):
        opened = r.rated_at
        recent = opened.date() >= recent_from
        path = _pick(rnd, SHARE_RECENT if recent else SHARE_OLD)
        late = rnd.random() < 0.08  # a handler who lets deadlines pass
        at = opened
        state = "open"
        for step in PATHS[path]:
            at = at + dt.timedelta(hours=rnd.uniform(2, 30) * (4 if late else 1))
            if at.date() > today:
                break
            try:
                state = act_on_case(
                    store, case_id, step.rstrip("+-"), role=ROLE.get(step, "handler"),
                    actor=f"handler-{r.department_code[-4:-1]}", note=_note(step), at=at, policy=policy,
                    calendar=calendar, handler=f"handler-{r.department_code[-4:-1]}",
                    recheck="satisfied" if step.endswith("+") else "unsatisfied",
                    due=(at + dt.timedelta(days=3)).date()).state
            except TransitionError:  # a late handler missed a window (appeal, ledger): the case stays
                break
        states[state] = states.get(state, 0) + 1
    escalated = escalate_overdue(store, policy, calendar, today=today)
    return SimulatedMonth(ratings=len(ratings), bad=sum(r.bucket == "bad" for r in ratings), cases=len(by_id),
                          states=states, escalated=len(escalated),
                          departments={code: name for code, name, *_ in DEPARTMENTS})


def _note(step: str) -> str:
    return {
        "assign": "转办至责任科室", "call_back": "已电话回访，核实情况属实", "rectify": "已当场整改并告知办事人",
        "plan_rectification": "列入整改台账，限期整改", "explain": "已向办事人解释政策规定",
        "send_feedback": "已反馈整改结果", "recheck+": "办事人对整改结果满意", "recheck-": "办事人对整改结果不满意",
        "appeal": "该评价与事实不符，提出申诉", "uphold_appeal": "经核实申诉成立，评价不计入统计",
    }.get(step, "处理")
