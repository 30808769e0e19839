"""Data-quality flags of survey responses, counted and never silently dropped.

Each check returns a boolean flag per respondent; :func:`quality_report` runs those asked for
and counts them. Whether flagged respondents are excluded is the plan's decision, taken by
the caller; the counts go into the report either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["duplicates", "speeders", "straightliners", "item_nonresponse", "out_of_range", "QualityReport",
           "quality_report"]


def duplicates(answers: Any, *, keys: Any = None, answered: Any = None) -> np.ndarray:
    """Respondents whose `keys` (e.g. an identity hash), or else whose full answer vector,
    repeat an earlier respondent's (the first one is not flagged). Answers are NaN where
    missing, or given as values with 0 where missing plus an `answered` 1/0 matrix."""
    if keys is not None:
        k = np.asarray(keys)
        _, first = np.unique(k, return_index=True)
        flag = np.ones(k.shape[0], dtype=bool)
        flag[first] = False
        return flag
    a = np.asarray(answers, dtype=float)
    if answered is not None:
        a = np.where(np.asarray(answered) > 0, a, np.nan) if a.shape[0] < 2 else a
    n = a.shape[0]
    flag = np.zeros(n, dtype=bool)
    if n < 2:
        return flag
    if answered is not None:
        return _duplicates_filled(a, np.asarray(answered, dtype=bool), flag)
    # Rows are grouped by two random projections (in row blocks, to stay in cache), then
    # compared exactly within a group; the earliest row of each set of equal rows stays unflagged.
    rng = np.random.default_rng(0)
    proj = rng.standard_normal((a.shape[1], 2))
    keys = np.empty((n, 2))
    for s0 in range(0, n, 65536):
        block = a[s0:s0 + 65536]
        keys[s0:s0 + 65536] = np.where(np.isnan(block), -1.0e9, block) @ proj
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    ks = keys[order]
    starts = np.concatenate([[0], np.flatnonzero(np.any(ks[1:] != ks[:-1], axis=1)) + 1, [n]])
    for k in np.flatnonzero(np.diff(starts) > 1):
        run = np.sort(order[starts[k]:starts[k + 1]])
        while run.shape[0] > 1:
            rows, first = a[run], a[run[0]]
            equal = ((rows == first) | (np.isnan(rows) & np.isnan(first))).all(axis=1)
            flag[run[1:][equal[1:]]] = True
            run = run[~equal]
    return flag


def _duplicates_filled(f: np.ndarray, ans: np.ndarray, flag: np.ndarray) -> np.ndarray:
    n = f.shape[0]
    rng = np.random.default_rng(0)
    p1 = rng.standard_normal((f.shape[1], 2))
    p2 = rng.standard_normal((f.shape[1], 2))
    keys = f @ p1 + ans.astype(float) @ p2 if ans.shape[0] * ans.shape[1] < 4_000_000 else \
        np.vstack([f[s:s + 65536] @ p1 + ans[s:s + 65536].astype(float) @ p2 for s in range(0, n, 65536)])
    order = np.argsort(keys[:, 0])  # runs are re-sorted by row below: any order of ties will do
    ks = keys[order]
    starts = np.concatenate([[0], np.flatnonzero(ks[1:, 0] != ks[:-1, 0]) + 1, [n]])
    long = np.flatnonzero(np.diff(starts) > 1)
    if not long.size:
        return flag
    # every run of equal keys at once: its rows in row order, each compared with the run's first
    run_of = np.repeat(np.arange(long.size), starts[long + 1] - starts[long])
    rows = order[np.concatenate([np.arange(starts[k], starts[k + 1]) for k in long])]
    by = np.lexsort((rows, run_of))
    rows, run_of = rows[by], run_of[by]
    head = np.r_[True, run_of[1:] != run_of[:-1]]
    lead = rows[head][run_of]
    equal = ((f[rows] == f[lead]) & (ans[rows] == ans[lead])).all(axis=1)
    flag[rows[equal & ~head]] = True
    # runs where a row differs from the first (keys equal by chance): the rest row by row
    for k in np.unique(run_of[~equal]):
        run = np.sort(order[starts[long[k]]:starts[long[k] + 1]])
        while run.shape[0] > 1:
            same = ((f[run] == f[run[0]]) & (ans[run] == ans[run[0]])).all(axis=1)
            flag[run[1:][same[1:]]] = True
            run = run[~same]
    return flag


def speeders(durations_seconds: Any, *, min_seconds: float | None = None, share_of_median: float = 1 / 3) -> np.ndarray:
    """Interviews shorter than `min_seconds`, or than `share_of_median` of the median duration."""
    d = np.asarray(durations_seconds, dtype=float)
    limit = min_seconds if min_seconds is not None else share_of_median * float(np.nanmedian(d))
    return ~np.isnan(d) & (d < limit)


def straightliners(block: Any, *, min_items: int = 5) -> np.ndarray:
    """Respondents who gave the same answer to every item of a scale block (at least
    `min_items` answered): respondents x items, or a sequence of item columns (read one by
    one, without stacking them)."""
    cols = [np.asarray(c, dtype=float) for c in block] if isinstance(block, (list, tuple)) else \
        list(np.asarray(block, dtype=float).T)
    if not cols:
        return np.zeros(0, dtype=bool)
    lo, hi = cols[0].copy(), cols[0].copy()
    answered = (~np.isnan(cols[0])).astype(np.int64)
    for c in cols[1:]:
        np.fmin(lo, c, out=lo)  # fmin and fmax pass over NaN
        np.fmax(hi, c, out=hi)
        answered += ~np.isnan(c)
    return (answered >= min_items) & (lo == hi)


def item_nonresponse(answers: Any, *, max_share: float) -> np.ndarray:
    """Respondents who left more than `max_share` of the items unanswered (NaN)."""
    a = np.asarray(answers, dtype=float)
    return np.isnan(a).mean(axis=1) > max_share


def out_of_range(values: Any, *, allowed: Sequence[float] | None = None, low: float | None = None,
                 high: float | None = None) -> np.ndarray:
    """Values outside the allowed codes or the [low, high] range (NaN is not flagged)."""
    v = np.asarray(values, dtype=float)
    bad = np.zeros(v.shape, dtype=bool)
    if allowed is not None:
        bad |= ~np.isnan(v) & ~np.isin(v, np.asarray(allowed, dtype=float))
    if low is not None:
        bad |= v < low
    if high is not None:
        bad |= v > high
    return bad


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityReport:
    n: int
    counts: tuple[tuple[str, int], ...]
    flagged_any: int
    excluded: int
    flags: Mapping[str, np.ndarray]

    def exclusion_mask(self, rules: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for r in rules:
            out |= self.flags[r]
        return out


def quality_report(flags: Mapping[str, Any], *, exclude: Sequence[str] = ()) -> QualityReport:
    """Count each flag and those flagged by any; `exclude` names the flags whose respondents
    the caller leaves out (counted as `excluded`)."""
    arrays = {k: np.asarray(v, dtype=bool) for k, v in flags.items()}
    sizes = {a.shape[0] for a in arrays.values()}
    if len(sizes) > 1:
        raise ValueError("every flag must have one value per respondent")
    n = sizes.pop() if sizes else 0
    unknown = [r for r in exclude if r not in arrays]
    if unknown:
        raise ValueError(f"exclude names unknown flags {unknown}; flags are {list(arrays)}")
    anyf = np.zeros(n, dtype=bool)
    for a in arrays.values():
        anyf |= a
    ex = np.zeros(n, dtype=bool)
    for r in exclude:
        ex |= arrays[r]
    return QualityReport(n=n, counts=tuple((k, int(a.sum())) for k, a in arrays.items()), flagged_any=int(anyf.sum()),
                         excluded=int(ex.sum()), flags=arrays)
