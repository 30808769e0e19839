"""Semantic checks of a rating policy: the five levels, adapters' code maps, reason tags,
the default rating and the order of deadlines."""

from __future__ import annotations

from ..schema import LEVELS, Policy
from ._context import Context

__all__ = ["check_policy"]


def _inverse(codes: dict, where: tuple, subject: str, what: str, ctx: Context) -> dict:
    """meaning -> code of an adapter's map; two codes with one meaning are P002 (a code sent
    back through the inverse map would be ambiguous)."""
    inverse: dict = {}
    for code, meaning in codes.items():
        if meaning in inverse:
            ctx.report("P002", where + (code,), subject, f"codes '{inverse[meaning]}' and '{code}' both mean "
                       f"{what} {meaning}; a code sent back would be ambiguous", f"map each code to a different {what}")
        else:
            inverse[meaning] = code
    return inverse


def check_policy(p: Policy, ctx: Context) -> None:
    subject = f"policy '{p.id}'"
    defined: dict[int, int] = {}
    for i, lv in enumerate(p.levels):
        if lv.level in defined:
            line, _ = ctx.position(("levels", defined[lv.level], "level"))
            ctx.report("P001", ("levels", i, "level"), subject, f"level {lv.level} is defined twice (also on line {line})")
        else:
            defined[lv.level] = i
    missing = [lv for lv in LEVELS if lv not in defined and lv not in ctx.broken_levels]
    if missing:
        ctx.report("P001", ("levels",), subject, f"level{'s' if len(missing) > 1 else ''} "
                   f"{', '.join(map(str, missing))} {'are' if len(missing) > 1 else 'is'} not defined; "
                   "define 5 (非常满意) to 1 (非常不满意) once each")
    # a better level never in a worse bucket
    rank = {"good": 2, "neutral": 1, "bad": 0}
    ordered = sorted(p.levels, key=lambda lv: lv.level)
    for lo, hi in zip(ordered, ordered[1:]):
        if rank[lo.bucket] > rank[hi.bucket] or lo.points > hi.points:
            i = p.levels.index(hi)
            ctx.report("P001", ("levels", i, "bucket"), subject,
                       f"level {hi.level} ({hi.bucket}, {hi.points:g} points) ranks below level {lo.level} "
                       f"({lo.bucket}, {lo.points:g} points)", "a higher level must be in the same or a better "
                       "bucket and score at least as many points")
    buckets = {lv.bucket for lv in p.levels}
    for b in ("good", "bad"):
        if b not in buckets:
            ctx.report("P001", ("levels",), subject, f"no level is in the '{b}' bucket")

    adapters: dict[str, int] = {}
    for ai, ad in enumerate(p.adapters):
        where = ("adapters", ai)
        asub = f"adapter '{ad.id}'"
        if ad.id in adapters:
            line, _ = ctx.position(("adapters", adapters[ad.id], "id"))
            ctx.report("D001", where + ("id",), asub, f"adapter id '{ad.id}' is already used on line {line}")
        adapters.setdefault(ad.id, ai)
        by_level = _inverse(ad.levels, where + ("levels",), asub, "level", ctx)
        for code, level in ad.levels.items():
            if level not in defined and level not in ctx.broken_levels:
                ctx.report("P003", where + ("levels", code), asub, f"level {level} is not defined in levels")
        _inverse(ad.channels, where + ("channels",), asub, "channel", ctx)
        lacking = [lv for lv in LEVELS if lv not in by_level]
        if lacking:
            ctx.report("P002", where + ("levels",), asub,
                       f"no code for level{'s' if len(lacking) > 1 else ''} {', '.join(map(str, lacking))}")

    tags: dict[str, int] = {}
    for ti, tag in enumerate(p.reason_tags):
        where = ("reason_tags", ti)
        if tag.code in tags:
            line, _ = ctx.position(("reason_tags", tags[tag.code], "code"))
            ctx.report("D002", where + ("code",), subject, f"reason tag code '{tag.code}' is already used on line {line}")
        tags.setdefault(tag.code, ti)
        for k, level in enumerate(tag.levels):
            if level not in defined and level not in ctx.broken_levels:
                ctx.report("P003", where + ("levels", k), subject,
                           f"reason tag '{tag.code}' names level {level}, which is not defined")

    d = p.default_rating
    if d.enabled and d.level is None:
        ctx.report("P005", ("default_rating",), subject, "the default rating is enabled but has no level",
                   "add level: (e.g. 3 for 基本满意) or set enabled: false")
    elif d.level is not None:
        if d.level not in defined:
            if d.level not in ctx.broken_levels:
                ctx.report("P003", ("default_rating", "level"), subject, f"default level {d.level} is not defined")
        elif p.levels[defined[d.level]].bucket == "bad":
            ctx.report("P005", ("default_rating", "level"), subject,
                       f"the default rating is level {d.level}, a bad rating; a default must never be bad "
                       "(it would count against a unit no rater complained of)")
        if not d.enabled:
            ctx.report("P005", ("default_rating", "level"), subject, "a level is given but the default is disabled",
                       "remove level: or set enabled: true")
    for k, level in enumerate(p.recheck.reopen_levels):
        if level not in defined and level not in ctx.broken_levels:
            ctx.report("P003", ("recheck", "reopen_levels", k), subject, f"level {level} is not defined")

    if p.recheck.enabled and p.recheck.within is None:
        ctx.report("S003", ("recheck",), subject, "recheck is enabled but has no 'within:' deadline",
                   "add within: {days: 5, calendar: working}")
    dl = p.deadlines
    chain = [("assignment", dl.assignment), ("callback", dl.callback), ("rectification", dl.rectification)]
    chain2 = [("callback", dl.callback), ("feedback", dl.feedback)]
    for seq in (chain, chain2):
        for (a_name, a), (b_name, b) in zip(seq, seq[1:]):
            if (a.days > b.days if a.calendar == b.calendar else a.approx_natural_days() > b.approx_natural_days()):
                ctx.report("P004", ("deadlines", b_name, "days"), subject,
                           f"{b_name} is due in {b.days} {b.calendar} days, before {a_name} ({a.days} {a.calendar} "
                           "days)", f"give {b_name} at least {a.days} days")
