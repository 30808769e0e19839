"""Rating intake rules: a rating record from a service system, read through the policy's
channel adapter, checked against the rating window, reason tags, self-rating and velocity
limits. Pure rules: storage enforces uniqueness of (transaction, stage, sequence) in the same
transaction that stores the rating, and the web maps RatingRejected to its HTTP status.

Personal data (rater phone, certificate number) never leaves this module in clear: it is
replaced by a keyed hash (HMAC-SHA256 with the deployment's secret)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..calendar import Calendar
from ..errors import ManyiError
from ..schema import Policy

__all__ = ["RatingIn", "Rating", "RatingRejected", "accept_rating", "check_velocity", "keyed_hash", "STAGES"]

STAGES = ("accept", "review", "deliver", "overall")  # 受理 / 审批 / 出件 / 整体


class RatingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True, gc=False):
    """One rating as a service system sends it (GB/T 39046 table 9 and provincial fields).
    (gc=False: a decoded rating holds no cycles, so a batch of them is no work for the
    cyclic garbage collector.)"""

    transaction_no: Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f]+$")]
    stage: Literal["accept", "review", "deliver", "overall"] = "overall"
    sequence: Annotated[int, Meta(ge=1, le=5)] = 1
    adapter: Annotated[str, Meta(min_length=1, max_length=64)]
    level_code: Annotated[str, Meta(min_length=1, max_length=8)]
    channel_code: Annotated[str, Meta(min_length=1, max_length=8)]
    item_code: Annotated[str, Meta(max_length=24)] | None = None
    department_code: Annotated[str, Meta(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")] | None = None
    region_code: Annotated[str, Meta(pattern=r"^[0-9]{6,12}$")]
    hall: Annotated[str, Meta(max_length=64)] | None = None
    window: Annotated[str, Meta(max_length=64)] | None = None
    staff_id: Annotated[str, Meta(max_length=64)] | None = None
    rater_type: Literal["person", "legal_entity"] = "person"
    rater_phone: Annotated[str, Meta(pattern=r"^\+?[0-9]{5,20}$")] | None = None
    rater_certificate: Annotated[str, Meta(max_length=64)] | None = None
    rater_staff_id: Annotated[str, Meta(max_length=64)] | None = None
    device_id: Annotated[str, Meta(max_length=128)] | None = None
    sub_ratings: dict[Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")], Annotated[int, Meta(ge=1, le=5)]] = {}
    reason_tags: list[str] = []
    text: Annotated[str, Meta(max_length=2000, pattern=r"^[^\x00]*$")] | None = None
    finished_at: dt.datetime
    rated_at: dt.datetime


class RatingRejected(ManyiError):
    """`status`: 409 duplicate, 422 invalid (names the field), 429 too many."""

    def __init__(self, status: int, field: str, message: str):
        self.status, self.field = status, field
        super().__init__(f"{field}: {message}")


class Rating(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """An accepted rating, as stored: meanings (level 5..1, channel), never adapter codes;
    personal identifiers as keyed hashes. (A struct: made in C, several times faster than a
    frozen dataclass, and untracked by the cyclic garbage collector.)"""

    transaction_no: str
    stage: str
    sequence: int
    level: int
    bucket: str
    channel: str
    region_code: str
    item_code: str | None
    department_code: str | None
    hall: str | None
    window: str | None
    staff_id: str | None
    rater_type: str
    rater_key: str | None
    device_key: str | None
    sub_ratings: dict[str, int]
    reason_tags: tuple[str, ...]
    text: str | None
    finished_at: dt.datetime
    rated_at: dt.datetime
    opens_case: bool
    real_name: bool


_KEYS: dict[bytes, "hmac.HMAC"] = {}


def keyed_hash(value: str | None, secret: bytes) -> str | None:
    """HMAC-SHA256 of the value with the deployment's secret (the keyed state is made once per
    secret and copied for each value)."""
    if value is None:
        return None
    base = _KEYS.get(secret)
    if base is None:
        base = _KEYS[secret] = hmac.new(secret, digestmod=hashlib.sha256)
    h = base.copy()
    h.update(value.strip().encode("utf-8"))
    return h.hexdigest()


_LOOKUPS: dict[int, tuple[Policy, dict, dict, dict]] = {}


def _lookups(policy: Policy) -> tuple[dict, dict, dict]:
    """Adapters by id, levels by level, reason tags by code: made once per policy (frozen)."""
    hit = _LOOKUPS.get(id(policy))
    if hit is None or hit[0] is not policy:
        hit = _LOOKUPS[id(policy)] = (policy, {a.id: a for a in policy.adapters},
                                      {lv.level: lv for lv in policy.levels}, {t.code: t for t in policy.reason_tags})
    return hit[1], hit[2], hit[3]


def check_velocity(policy: Policy, recent_by_device: int, recent_by_rater: int) -> None:
    """The velocity limits: RatingRejected(429) when today's ratings from the same device or
    rater (stored and accepted before this one) reach the policy's limit."""
    lim = policy.limits
    if lim.per_device_per_day is not None and recent_by_device >= lim.per_device_per_day:
        raise RatingRejected(429, "device_id", f"more than {lim.per_device_per_day} ratings from one device today")
    if lim.per_phone_per_day is not None and recent_by_rater >= lim.per_phone_per_day:
        raise RatingRejected(429, "rater_phone", f"more than {lim.per_phone_per_day} ratings from one rater today")


def accept_rating(r: RatingIn, policy: Policy, calendar: Calendar, *, secret: bytes,
                  recent_by_device: int = 0, recent_by_rater: int = 0) -> Rating:
    """Check one rating against the policy; the counts of today's ratings from the same
    device and rater are given by storage. Raises RatingRejected."""
    adapters, levels, tags = _lookups(policy)
    ad = adapters.get(r.adapter)
    if ad is None:
        raise RatingRejected(422, "adapter", f"unknown adapter '{r.adapter}' (known: {', '.join(adapters)})")
    if r.level_code not in ad.levels:
        raise RatingRejected(422, "level_code", f"'{r.level_code}' is not a level code of adapter '{ad.id}' "
                             f"(codes: {', '.join(ad.levels)})")
    if r.channel_code not in ad.channels:
        raise RatingRejected(422, "channel_code", f"'{r.channel_code}' is not a channel code of adapter "
                             f"'{ad.id}' (codes: {', '.join(ad.channels)})")
    level = ad.levels[r.level_code]
    if r.sequence > policy.window.max_ratings:
        raise RatingRejected(409, "sequence", f"this policy allows {policy.window.max_ratings} rating(s) of a "
                             f"service; this is rating {r.sequence}")
    if r.rated_at < r.finished_at:
        raise RatingRejected(422, "rated_at", "the rating is earlier than the end of the service")
    w = policy.window.after_service
    last = calendar.due(r.finished_at, w)
    if r.rated_at.date() > last:
        raise RatingRejected(422, "rated_at", f"the rating window is {w.days} {w.calendar} days after the "
                             f"service (until {last}); this rating came on {r.rated_at.date()}")
    for k, code in enumerate(r.reason_tags):
        if code not in tags:
            raise RatingRejected(422, f"reason_tags[{k}]", f"unknown reason tag '{code}'")
        if level not in tags[code].levels:
            raise RatingRejected(422, f"reason_tags[{k}]", f"reason tag '{code}' does not belong to level {level}")
    if r.staff_id is not None and r.rater_staff_id is not None and r.staff_id == r.rater_staff_id \
            and not policy.limits.staff_may_rate_own:
        raise RatingRejected(422, "rater_staff_id", "staff may not rate a transaction they handled")
    check_velocity(policy, recent_by_device, recent_by_rater)
    rater = r.rater_phone or r.rater_certificate
    bucket = levels[level].bucket
    return Rating(
        transaction_no=r.transaction_no, stage=r.stage, sequence=r.sequence, level=level, bucket=bucket,
        channel=ad.channels[r.channel_code], region_code=r.region_code, item_code=r.item_code,
        department_code=r.department_code, hall=r.hall, window=r.window, staff_id=r.staff_id,
        rater_type=r.rater_type, rater_key=keyed_hash(rater, secret), device_key=keyed_hash(r.device_id, secret),
        sub_ratings=dict(r.sub_ratings), reason_tags=tuple(r.reason_tags), text=r.text,
        finished_at=r.finished_at, rated_at=r.rated_at, opens_case=bucket == "bad", real_name=rater is not None)
