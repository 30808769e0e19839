"""A generated month (and the month before) of good/bad ratings in a store, with cases in
every state, reason tags on bad ratings and a few departments too small to rank."""

from __future__ import annotations

import datetime as dt
import random

from engine.calendar import national_calendar
from engine.haocha.intake import Rating
from engine.loader import load_policy
from engine.storage import Store
from engine.storage.ratings import act_on_case, add_ratings
from tests.conftest import QUESTIONNAIRES
from tests.engine.test_rating_metrics import PATHS, ROLE

POLICY = load_policy(QUESTIONNAIRES / "policies" / "guangdong.yaml")
CAL = national_calendar()
BUCKET = {5: "good", 4: "good", 3: "neutral", 2: "bad", 1: "bad"}
TAGS = [t.code for t in POLICY.reason_tags if 1 in t.levels]


def generate(store: Store, *, months: tuple[tuple[int, int], ...] = ((2026, 9), (2026, 10)), per_month: int = 3000,
             seed: int = 7) -> dict[str, int]:
    """Ratings spread over the months; 10 departments of which 'DSMALL' has only a handful.
    Returns the case ids by state of the last month's worked cases."""
    rnd = random.Random(seed)
    worked: dict[str, int] = {}
    k = 0
    for year, month in months:
        t0 = dt.datetime(year, month, 1, 8, tzinfo=dt.timezone.utc)
        batch = []
        for _ in range(per_month):
            level = rnd.choices([5, 4, 3, 2, 1], weights=[60, 20, 10, 6, 4])[0]
            rated = t0 + dt.timedelta(minutes=rnd.randrange(27 * 24 * 60))
            dept = "DSMALL" if rnd.random() < 0.003 else f"D{rnd.randrange(9):02d}"
            tags = tuple(rnd.sample(TAGS, rnd.choice([0, 1, 1, 2]))) if BUCKET[level] == "bad" else ()
            batch.append(Rating(
                transaction_no=f"M{k}", stage="overall", sequence=1, level=level, bucket=BUCKET[level],
                channel=rnd.choice(["hall_tablet", "pc", "mobile"]), region_code="440106", item_code=None,
                department_code=dept.ljust(18, "0"), hall=None, window=None, staff_id=None, rater_type="person",
                rater_key=None if k % 3 else f"h{k}", device_key=None, sub_ratings={}, reason_tags=tags,
                text=None, finished_at=rated - dt.timedelta(hours=1), rated_at=rated,
                opens_case=BUCKET[level] == "bad", real_name=k % 3 == 0))
            k += 1
        ids = add_ratings(store, batch, POLICY, CAL)
        cases = [(c, r.rated_at) for (_, c, _), r in zip(ids, batch) if c is not None]
        states = list(PATHS)
        for j, (case, rated) in enumerate(cases[:len(states) * 6]):
            at = rated + dt.timedelta(hours=3 + 7 * (j % 5))
            state = states[j % len(states)]
            for step in PATHS[state]:
                act_on_case(store, case, step.rstrip("+-"), role=ROLE.get(step, "handler"), actor="h1", note="说明",
                            at=at, policy=POLICY, calendar=CAL, handler="h1",
                            recheck="satisfied" if step.endswith("+") else "unsatisfied", due=at.date())
                at += dt.timedelta(days=j % 4, hours=5)
            worked.setdefault(state, case)
    return worked
