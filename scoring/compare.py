"""Comparisons of domains and waves, rank-based tests, and league tables of units.

Design-based differences come from influence values (scoring.index / scoring.estimates);
here are the pieces that combine estimates: pairs of domains with multiple-testing control,
independent waves, Kruskal-Wallis and Mann-Whitney for unweighted analysis, and league tables
with empirical-Bayes shrinkage, suppression of small units and flags where a rank difference
is not significant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from ._results import ConfidenceInterval, Estimate, TestResult, critical_value
from .design import factorize
from .significance import adjust_p

__all__ = ["Difference", "compare_estimates", "cohens_d_by", "compare_waves", "kruskal_wallis", "mann_whitney", "LeagueRow",
           "league_table", "within_unit_estimates", "cohens_d"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """a - b with its standard error, t test, adjusted p-value and effect size."""

    a: str
    b: str
    estimate: float
    std_error: float
    df: float
    statistic: float
    p_value: float
    p_adjusted: float = math.nan
    effect_size: float = math.nan
    method: str = ""

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        c = critical_value(confidence_level, self.df)
        return ConfidenceInterval(self.estimate - c * self.std_error, self.estimate + c * self.std_error,
                                  confidence_level)


def _t(diff: float, se: float, df: float) -> tuple[float, float]:
    if not se > 0 or math.isnan(diff):
        return math.nan, math.nan
    t = diff / se
    p = 2 * (stats.norm.sf(abs(t)) if math.isinf(df) else stats.t.sf(abs(t), df)) if df > 0 else math.nan
    return t, float(p)


def compare_estimates(pairs: Sequence[tuple[str, str, TestResult]], *, adjust: str = "holm") -> tuple[Difference, ...]:
    """Differences already tested (e.g. by scoring.compare_means), with adjusted p-values."""
    padj = adjust_p([r.p_value for _, _, r in pairs], method=adjust)
    return tuple(Difference(a=a, b=b, estimate=r.estimate, std_error=r.std_error, df=r.df, statistic=r.statistic,
                            p_value=r.p_value, p_adjusted=p, method=r.method) for (a, b, r), p in zip(pairs, padj))


def compare_waves(current: Estimate, previous: Estimate, *, a: str = "current", b: str = "previous") -> Difference:
    """Difference of estimates from two independent samples: se = sqrt(se_a^2 + se_b^2), t with
    the smaller of the two df (conservative)."""
    diff = current.value - previous.value
    se = math.hypot(current.std_error, previous.std_error)
    df = min(current.df, previous.df)
    t, p = _t(diff, se, df)
    return Difference(a=a, b=b, estimate=diff, std_error=se, df=df, statistic=t, p_value=p,
                      method="difference of independent samples (t)")


def cohens_d(y: Any, group_a: Any, group_b: Any, *, sampling_weights: Any = None) -> float:
    """Standardised difference of means with the pooled (weighted) standard deviation."""
    yv = np.asarray(y, dtype=float)
    w = np.ones_like(yv) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    out = []
    for g in (np.asarray(group_a, bool), np.asarray(group_b, bool)):
        m = g & ~np.isnan(yv) & (w > 0)
        if m.sum() < 2:
            return math.nan
        ww, yy = w[m], yv[m]
        mu = float(ww @ yy / ww.sum())
        var = float(ww @ (yy - mu) ** 2 / ww.sum()) * m.sum() / (m.sum() - 1)
        out.append((mu, var, int(m.sum())))
    (m1, v1, n1), (m2, v2, n2) = out
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    return (m1 - m2) / pooled if pooled > 0 else math.nan


def cohens_d_by(y: Any, codes: Any, *, sampling_weights: Any, pairs: Sequence[tuple[int, int | None]]) -> list[float]:
    """cohens_d for many pairs of levels (b None: the rest), from per-level sums in one pass.
    `codes` are level codes 0..L-1 (negative: in no level)."""
    yv = np.asarray(y, dtype=float)
    w = np.asarray(sampling_weights, dtype=float)
    c = np.asarray(codes, dtype=np.int64)
    ok = (c >= 0) & ~np.isnan(yv) & (w > 0)
    cc, ww, yy = c[ok], w[ok], yv[ok]
    L = int(c.max()) + 1 if c.size else 0
    n = np.bincount(cc, minlength=L).astype(float)
    sw = np.bincount(cc, weights=ww, minlength=L)
    s1 = np.bincount(cc, weights=ww * yy, minlength=L)
    s2 = np.bincount(cc, weights=ww * yy * yy, minlength=L)

    def stats_of(mask: np.ndarray) -> tuple[float, float, float]:
        N, W, S1, S2 = n[mask].sum(), sw[mask].sum(), s1[mask].sum(), s2[mask].sum()
        if N < 2 or W <= 0:
            return math.nan, math.nan, N
        mu = S1 / W
        return mu, max(S2 / W - mu * mu, 0.0) * N / (N - 1), N

    out = []
    for a, b in pairs:
        ma = np.zeros(L, dtype=bool)
        ma[a] = True
        mb = ~ma if b is None else np.eye(L, dtype=bool)[b]
        (m1, v1, n1), (m2, v2, n2) = stats_of(ma), stats_of(mb)
        if math.isnan(m1) or math.isnan(m2):
            out.append(math.nan)
            continue
        pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
        out.append((m1 - m2) / pooled if pooled > 0 else math.nan)
    return out


def kruskal_wallis(y: Any, groups: Any) -> TestResult:
    """Kruskal-Wallis rank test across groups, unweighted (R ``kruskal.test``)."""
    yv = np.asarray(y, dtype=float)
    g = np.asarray(groups)
    ok = ~np.isnan(yv)
    samples = [yv[ok & (g == lab)] for lab in np.unique(g[ok])]
    samples = [s for s in samples if s.size]
    if len(samples) < 2:
        return TestResult(statistic=math.nan, p_value=math.nan, df=math.nan, method="Kruskal-Wallis",
                          notes=("fewer than two groups with answers",))
    h, p = stats.kruskal(*samples)
    return TestResult(statistic=float(h), p_value=float(p), df=float(len(samples) - 1), method="Kruskal-Wallis")


def mann_whitney(y: Any, group_a: Any, group_b: Any) -> TestResult:
    """Mann-Whitney (Wilcoxon rank-sum) test, unweighted, normal approximation with
    continuity correction (R ``wilcox.test(exact = FALSE)``); statistic W of group a."""
    yv = np.asarray(y, dtype=float)
    a = yv[np.asarray(group_a, bool) & ~np.isnan(yv)]
    b = yv[np.asarray(group_b, bool) & ~np.isnan(yv)]
    if a.size == 0 or b.size == 0:
        return TestResult(statistic=math.nan, p_value=math.nan, df=math.nan, method="Mann-Whitney",
                          notes=("a group has no answers",))
    res = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True, method="asymptotic")
    return TestResult(statistic=float(res.statistic), p_value=float(res.pvalue), df=math.nan, method="Mann-Whitney",
                      estimate=float(np.median(a) - np.median(b)))


# ---- league tables ------------------------------------------------------------------------------


def within_unit_estimates(y: Any, units: Any, *, sampling_weights: Any) -> dict[Any, Estimate]:
    """Mean of each unit with a variance from the unit's own respondents (weighted variance over
    the Kish effective size). Use it for units that are PSUs, whose design-based standard error
    is zero by construction."""
    yv = np.asarray(y, dtype=float)
    w = np.asarray(sampling_weights, dtype=float)
    u = np.asarray(units)
    ok = ~np.isnan(yv) & (w > 0)
    labels, codes = factorize(u[ok])  # in linear time for integer codes
    ww, yy = w[ok], yv[ok]
    W = np.bincount(codes, weights=ww)
    mu = np.bincount(codes, weights=ww * yy) / W
    dev = np.bincount(codes, weights=ww * (yy - mu[codes]) ** 2) / W
    n = np.bincount(codes)
    neff = W ** 2 / np.bincount(codes, weights=ww ** 2)
    out = {}
    for lab, mu_k, dev_k, n_k, neff_k in zip(labels.tolist(), mu.tolist(), dev.tolist(), n.tolist(), neff.tolist()):
        var = dev_k * n_k / (n_k - 1) / neff_k if n_k > 1 else math.nan
        out[lab] = Estimate(value=mu_k, std_error=math.sqrt(var) if var == var else math.nan,
                            df=float(n_k - 1), n=n_k, n_effective=neff_k,
                            notes=("variance from the unit's own respondents",))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LeagueRow:
    unit: str
    rank: int | None
    value: float
    std_error: float
    shrunk_value: float
    shrinkage: float
    n: int
    low: float
    high: float
    suppressed: bool
    tied_with_next: bool
    notes: tuple[str, ...] = ()


def league_table(estimates: Mapping[Any, Estimate], *, min_n: int = 30, confidence_level: float = 0.95,
                 parent: float | None = None, higher_is_better: bool = True) -> tuple[LeagueRow, ...]:
    """Rank units by their empirical-Bayes estimate: value shrunk toward the parent (the mean of
    the units when not given) by B = se^2 / (se^2 + tau^2), tau^2 the between-unit variance by
    moments. Units with fewer than `min_n` respondents are listed, unranked and suppressed.
    `tied_with_next` marks a unit whose difference from the next ranked one is not significant
    (independent z test at `confidence_level`)."""
    rows = [(str(k), e) for k, e in estimates.items()]
    ok = [(k, e) for k, e in rows if e.n >= min_n and not math.isnan(e.value)]
    vals = np.array([e.value for _, e in ok])
    ses = np.array([e.std_error if e.std_error == e.std_error else 0.0 for _, e in ok])
    if ok:
        centre = float(parent) if parent is not None else float(vals.mean())
        tau2 = max(0.0, float(vals.var(ddof=1) - np.mean(ses ** 2))) if len(ok) > 1 else 0.0
        B = np.where(ses ** 2 + tau2 > 0, ses ** 2 / (ses ** 2 + tau2), 0.0)
        shrunk = B * centre + (1 - B) * vals
    else:
        B = shrunk = np.array([])
    order = np.argsort(-shrunk if higher_is_better else shrunk, kind="stable").tolist()
    z = critical_value(confidence_level, math.inf)
    se_l, shrunk_l, B_l = ses.tolist(), shrunk.tolist(), B.tolist()  # plain floats: thousands of units
    out: list[LeagueRow] = []
    for pos, idx in enumerate(order):
        k, e = ok[idx]
        tied = False
        if pos + 1 < len(order):
            j = order[pos + 1]
            se = math.hypot(se_l[idx], se_l[j])
            a, b = shrunk_l[idx], shrunk_l[j]
            tied = bool(se > 0 and abs(a - b) / se < z) or se == 0 and a == b
        ci = e.confidence_interval(confidence_level) if e.std_error == e.std_error else None
        out.append(LeagueRow(unit=k, rank=pos + 1, value=e.value, std_error=e.std_error, shrunk_value=shrunk_l[idx],
                             shrinkage=B_l[idx], n=e.n, low=ci.low if ci else math.nan,
                             high=ci.high if ci else math.nan, suppressed=False, tied_with_next=tied, notes=e.notes))
    for k, e in rows:
        if e.n < min_n or math.isnan(e.value):
            out.append(LeagueRow(unit=k, rank=None, value=math.nan, std_error=math.nan, shrunk_value=math.nan,
                                 shrinkage=math.nan, n=e.n, low=math.nan, high=math.nan, suppressed=True,
                                 tied_with_next=False, notes=(f"fewer than {min_n} respondents: not published",)))
    return tuple(out)
