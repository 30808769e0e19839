"""Rating intake rules under the shipped national policy."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from engine.calendar import national_calendar
from engine.haocha.intake import RatingIn, RatingRejected, accept_rating
from engine.loader import load_policy
from tests.conftest import QUESTIONNAIRES

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
CAL = national_calendar()
SECRET = b"test-secret"


def rating(**kw) -> RatingIn:
    base = dict(transaction_no="T2026093000001", adapter="gbt39046", level_code="5", channel_code="4",
                region_code="440106", staff_id="s1", rater_phone="13800000000", reason_tags=[],
                finished_at=dt.datetime(2026, 9, 30, 10), rated_at=dt.datetime(2026, 9, 30, 11))
    base.update(kw)
    return msgspec.convert(base, RatingIn)


def test_adapter_codes_are_read_as_meanings_both_directions():
    # GB/T 39046 codes 1 = 非常满意; the provincial interface codes 1 = 非常不满意
    assert accept_rating(rating(level_code="1"), POLICY, CAL, secret=SECRET).level == 5
    assert accept_rating(rating(adapter="provincial", level_code="1"), POLICY, CAL, secret=SECRET).level == 1
    r = accept_rating(rating(level_code="5", reason_tags=["slow"]), POLICY, CAL, secret=SECRET)
    assert r.level == 1 and r.bucket == "bad" and r.opens_case and r.real_name


def test_rating_window_is_named_when_refused():
    late = rating(rated_at=dt.datetime(2026, 10, 9, 9))  # 7 natural days after 2026-09-30: until 10-07
    with pytest.raises(RatingRejected) as info:
        accept_rating(late, POLICY, CAL, secret=SECRET)
    assert info.value.status == 422 and info.value.field == "rated_at"
    assert "7 natural days" in str(info.value) and "2026-10-07" in str(info.value)


def test_reason_tags_belong_to_the_level_and_codes_are_named():
    with pytest.raises(RatingRejected, match=r"reason_tags\[0\]: reason tag 'slow' does not belong to level 5"):
        accept_rating(rating(level_code="1", reason_tags=["slow"]), POLICY, CAL, secret=SECRET)
    with pytest.raises(RatingRejected, match="level_code: '9' is not a level code"):
        accept_rating(rating(level_code="9"), POLICY, CAL, secret=SECRET)


def test_staff_may_not_rate_their_own_transaction_and_second_ratings_are_bounded():
    with pytest.raises(RatingRejected, match="staff may not rate"):
        accept_rating(rating(rater_staff_id="s1"), POLICY, CAL, secret=SECRET)
    assert accept_rating(rating(sequence=2), POLICY, CAL, secret=SECRET).sequence == 2
    with pytest.raises(RatingRejected) as info:
        accept_rating(rating(sequence=3), POLICY, CAL, secret=SECRET)
    assert info.value.status == 409


def test_personal_data_is_kept_only_as_a_keyed_hash():
    r = accept_rating(rating(), POLICY, CAL, secret=SECRET)
    assert "13800000000" not in repr(r)
    other = accept_rating(rating(), POLICY, CAL, secret=b"another-secret")
    assert r.rater_key != other.rater_key


def test_unknown_fields_are_refused():
    with pytest.raises(msgspec.ValidationError, match="rater_name"):
        msgspec.convert({**msgspec.structs.asdict(rating()), "rater_name": "x"}, RatingIn)


def test_velocity_limits_per_device_and_rater():
    from engine.schema import Limits
    policy = msgspec.structs.replace(POLICY, limits=Limits(per_device_per_day=3, per_phone_per_day=5))
    assert accept_rating(rating(device_id="d1"), policy, CAL, secret=SECRET, recent_by_device=2)
    with pytest.raises(RatingRejected) as info:
        accept_rating(rating(device_id="d1"), policy, CAL, secret=SECRET, recent_by_device=3)
    assert info.value.status == 429 and info.value.field == "device_id"
    with pytest.raises(RatingRejected) as info:
        accept_rating(rating(), policy, CAL, secret=SECRET, recent_by_rater=5)
    assert info.value.status == 429
