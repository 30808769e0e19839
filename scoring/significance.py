"""Design-based significance tests and multiple-testing control.

- :func:`chisq`: Rao-Scott adjusted Pearson chi-square of a two-way table (R ``svychisq``,
  statistic "F" or "Chisq").
- :func:`compare_means`: difference of the means of two domains with its design-based t
  test (R ``svyttest(y ~ group)``); also used for a domain against the rest.
- :func:`wald_test`: Wald test that several estimates equal given values.
- :func:`adjust_p`: Holm and Benjamini-Hochberg adjusted p-values (R ``p.adjust``).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy import stats

from ._results import EstimateSet, TestResult
from .design import Design, degrees_of_freedom, grouping

__all__ = ["chisq", "compare_means", "wald_test", "adjust_p", "P_ADJUST_METHODS"]

P_ADJUST_METHODS = ("holm", "bh", "none")


def _factor(values: Any, n: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grouping(values, n, name)


def chisq(rows: Any, columns: Any, design: Design, *, statistic: str = "F") -> TestResult:
    """Rao-Scott test of independence of two categorical variables.

    statistic="F": Pearson X^2 divided by the mean generalised design effect, referred to F
    with Satterthwaite degrees of freedom (d0, d0 * design df). statistic="Chisq": X^2 / mean
    of the eigenvalues against chi-square with (r-1)(c-1) df (first-order correction)."""
    if statistic not in ("F", "Chisq"):
        raise ValueError(f"statistic must be 'F' or 'Chisq'; got {statistic!r}")
    n = design.n
    rl, rc, rp = _factor(rows, n, "rows")
    cl, cc, cp = _factor(columns, n, "columns")
    nr, nc = rl.shape[0], cl.shape[0]
    if nr < 2 or nc < 2:
        raise ValueError("each variable needs at least two categories")
    both = rp & cp
    cell = np.where(both, rc + nr * cc, -1)  # rows vary fastest, as R's interaction()
    N = n
    nu = float(np.unique(design.stages[0].clusters).shape[0] - np.unique(design.stages[0].strata).shape[0])
    w = np.where(both, design.sampling_weights, 0.0)
    W = w.sum()
    k = nr * nc
    M = np.zeros((n, k))
    M[np.nonzero(both)[0], cell[both]] = 1.0
    p = (w @ M) / W
    infl = w[:, None] * (M - p) / W
    V = design.variance(infl)
    # Pearson X^2 on the weighted table scaled to the sample size.
    table = (p * N).reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)))
    # Contrast matrix of the interaction, residualised on the main effects.
    r_idx = np.tile(np.arange(nr), nc)
    c_idx = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(k)] + [(r_idx == i).astype(float) for i in range(1, nr)]
                         + [(c_idx == j).astype(float) for j in range(1, nc)])
    X12 = np.column_stack([(r_idx == i).astype(float) * (c_idx == j) for j in range(1, nc) for i in range(1, nr)])
    coef, *_ = np.linalg.lstsq(X1, X12, rcond=None)
    C = X12 - X1 @ coef
    idiag = np.where(p == 0, 0.0, 1 / np.where(p == 0, 1, p))
    Di = np.diag(idiag)
    denom = C.T @ (Di / N) @ C
    numr = C.T @ Di @ V @ Di @ C
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    if statistic == "F":
        d0 = tr ** 2 / float(np.trace(delta @ delta))
        f = x2 / tr
        pval = float(stats.f.sf(f, d0, d0 * nu))
        return TestResult(statistic=f, p_value=pval, df=d0, df_denominator=d0 * nu,
                          method="Pearson X^2 with Rao-Scott adjustment (F)")
    df = delta.shape[1]
    pval = float(stats.chi2.sf(x2 / float(np.mean(np.diag(delta))), df))
    return TestResult(statistic=x2, p_value=pval, df=float(df),
                      method="Pearson X^2 with Rao-Scott adjustment (first order, chi-square)")


def compare_means(y: Any, design: Design, group_a: Any, group_b: Any | None = None) -> TestResult:
    """Difference mean(A) - mean(B) of two domains (B = everyone else with an answer when
    omitted), its design-based standard error, and the t test with design df - 1
    (R ``svyttest(y ~ group)``)."""
    yv = np.asarray(y, dtype=float)
    n = design.n
    a = np.asarray(group_a, dtype=bool)
    if yv.shape != (n,) or a.shape != (n,):
        raise ValueError(f"y and group_a must have one value per respondent ({n})")
    b = ~a if group_b is None else np.asarray(group_b, dtype=bool)
    if b.shape != (n,):
        raise ValueError(f"group_b must have one value per respondent ({n})")
    if (a & b).any():
        raise ValueError("group_a and group_b overlap")
    ok = ~np.isnan(yv) & (design.sampling_weights > 0)
    infl = np.zeros(n)
    est = []
    for g, sign in ((a & ok, 1.0), (b & ok, -1.0)):
        w = np.where(g, design.sampling_weights, 0.0)
        W = w.sum()
        if W <= 0:
            return TestResult(statistic=math.nan, p_value=math.nan, df=math.nan, method="design-based t test",
                              notes=("a group has no respondent",))
        m = float(w @ np.where(g, yv, 0.0) / W)
        est.append(m)
        infl += sign * w * (np.where(g, yv, 0.0) - m) / W
    diff = est[0] - est[1]
    se = math.sqrt(max(float(design.variance(infl)[0, 0]), 0.0))
    df = degrees_of_freedom(design, (a | b) & ok) - 1
    t = diff / se if se > 0 else math.nan
    pval = float(2 * stats.t.sf(abs(t), df)) if se > 0 and df > 0 else math.nan
    return TestResult(statistic=t, p_value=pval, df=df, method="design-based t test of a difference of means",
                      estimate=diff, std_error=se)


def wald_test(estimates: EstimateSet, *, null: Sequence[float] | None = None, names: Sequence[str] | None = None,
              df: float | None = None) -> TestResult:
    """Wald test that the named estimates (all by default) equal `null` (zeros by default):
    F = W / q with (q, design df) degrees of freedom."""
    names = list(names) if names is not None else list(estimates.names)
    idx = [estimates.names.index(k) for k in names]
    theta = np.array(estimates.values)[idx]
    h0 = np.zeros(len(idx)) if null is None else np.asarray(null, dtype=float)
    V = np.array(estimates.covariance)[np.ix_(idx, idx)]
    d = theta - h0
    wstat = float(d @ np.linalg.pinv(V) @ d)
    q = len(idx)
    ddf = estimates.df if df is None else df
    f = wstat / q
    pval = float(stats.f.sf(f, q, ddf)) if math.isfinite(ddf) else float(stats.chi2.sf(wstat, q))
    return TestResult(statistic=f, p_value=pval, df=float(q), df_denominator=float(ddf),
                      method="Wald test (F)")


def adjust_p(p_values: Sequence[float], *, method: str = "holm") -> tuple[float, ...]:
    """Adjusted p-values: Holm (family-wise) or Benjamini-Hochberg (false discovery rate),
    as R ``p.adjust``; NaN stays NaN and is not counted."""
    if method not in P_ADJUST_METHODS:
        raise ValueError(f"method must be one of {', '.join(P_ADJUST_METHODS)}; got {method!r}")
    p = np.asarray(p_values, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if method == "none" or m == 0:
        return tuple(float(v) for v in out)
    if method == "holm":
        order = np.argsort(q, kind="stable")
        adj = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    else:
        order = np.argsort(q, kind="stable")[::-1]
        adj = np.minimum(1, np.minimum.accumulate(m / np.arange(m, 0, -1) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return tuple(float(v) for v in out)
