"""The good/bad-rating policy of a jurisdiction (`kind: rating_policy`).

Everything that differs by province lives here (DOMAIN.md): which levels are good, neutral or
bad, how each channel adapter codes levels and channels, the rating window and default rating,
reason tags, and the deadlines of a bad-rating case in working or natural days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from ._base import Code, Doc, Id, RegionCode, Text

__all__ = [
    "Policy", "Jurisdiction", "LevelDef", "Adapter", "Window", "DefaultRating", "Duration",
    "Deadlines", "ReasonTag", "Recheck", "Appeal", "Limits", "CHANNELS", "LEVELS",
]

Level = Annotated[int, Meta(ge=1, le=5, description="5 = 非常满意 ... 1 = 非常不满意 (the meaning, not a code).")]
LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)
Channel = Literal[
    "pc", "mobile", "qr_code", "hall_tablet", "hall_terminal", "phone", "sms",
    "mini_program", "hotline_12345", "suggestion_box", "callback", "system_default", "other",
]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
#: Rates a policy can set a target for (DOMAIN.md, Metrics).
Metric = Literal[
    "good_rate", "bad_rate", "satisfaction_rate", "rating_rate", "active_rating_rate",
    "rectification_rate", "on_time_rectification_rate", "callback_rate_real_name", "feedback_rate",
    "recheck_satisfaction_rate", "appeal_rate", "appeal_upheld_rate",
]


class Jurisdiction(Doc, kw_only=True):
    __subject__: ClassVar[str] = "jurisdiction"

    code: RegionCode
    name: Text


class LevelDef(Doc, kw_only=True):
    __subject__: ClassVar[str] = "level"

    level: Level
    label: Text
    bucket: Literal["good", "neutral", "bad"]
    points: Annotated[float, Meta(ge=0, le=100)]


class Adapter(Doc, kw_only=True):
    """How one external interface codes levels and channels, both directions: codes
    received are read through these maps and codes sent are written through their inverse."""

    __subject__: ClassVar[str] = "adapter"

    id: Id
    label: Text | None = None
    levels: dict[Code, Level]
    channels: dict[Code, Channel] = {}


class Duration(Doc, kw_only=True):
    __subject__: ClassVar[str] = "duration"

    days: Annotated[int, Meta(ge=0, le=366)]
    calendar: Literal["working", "natural"] = "working"

    def approx_natural_days(self) -> float:
        return self.days * 7 / 5 if self.calendar == "working" else float(self.days)


class Window(Doc, kw_only=True):
    """How long after the service a rating is accepted."""

    __subject__: ClassVar[str] = "rating_window"

    after_service: Duration
    max_ratings: Annotated[int, Meta(ge=1, le=5)] = 1


class DefaultRating(Doc, kw_only=True):
    """What an unrated, finished transaction gets when the window closes (flagged as default)."""

    __subject__: ClassVar[str] = "default_rating"

    enabled: bool = True
    level: Level | None = None


class ReasonTag(Doc, kw_only=True):
    __subject__: ClassVar[str] = "reason tag"

    code: Code
    label: Text
    levels: Annotated[list[Level], Meta(min_length=1)]


class Deadlines(Doc, kw_only=True):
    __subject__: ClassVar[str] = "deadlines"

    assignment: Duration
    callback: Duration
    rectification: Duration
    feedback: Duration
    appeal: Duration
    appeal_review: Duration | None = None


class Recheck(Doc, kw_only=True):
    """The rater rates the rectification again (local rule)."""

    __subject__: ClassVar[str] = "recheck"

    enabled: bool = False
    within: Duration | None = None
    reopen_levels: list[Level] = []
    max_reopens: Annotated[int, Meta(ge=0, le=10)] = 1


class Appeal(Doc, kw_only=True):
    __subject__: ClassVar[str] = "appeal"

    allowed: bool = True
    grounds: list[Literal["malicious", "mistaken", "not_our_service", "duplicate", "other"]] = (
        msgspec.field(default_factory=lambda: ["malicious", "mistaken"]))
    upheld_removes_rating: bool = True


class Limits(Doc, kw_only=True):
    __subject__: ClassVar[str] = "limits"

    per_device_per_day: Annotated[int, Meta(ge=1)] | None = None
    per_phone_per_day: Annotated[int, Meta(ge=1)] | None = None
    staff_may_rate_own: bool = False


class Policy(Doc, kw_only=True):
    __subject__: ClassVar[str] = "policy"

    kind: Literal["rating_policy"]
    id: Id
    version: Annotated[str, Meta(min_length=1, max_length=32)]
    jurisdiction: Jurisdiction
    effective_from: dt.date
    basis: list[str] = []
    levels: Annotated[list[LevelDef], Meta(min_length=2)]
    adapters: list[Adapter] = []
    window: Window
    default_rating: DefaultRating
    reason_tags: list[ReasonTag] = []
    deadlines: Deadlines
    recheck: Recheck = Recheck()
    appeal: Appeal = Appeal()
    limits: Limits = Limits()
    targets: dict[Metric, Annotated[float, Meta(ge=0, le=1)]] = {}
