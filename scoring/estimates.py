"""Estimators on a design: mean, total, proportion, ratio, quantiles, contrasts, by domain.

Every estimator takes the data first (one value per respondent; NaN is missing and left out),
the design second, and options by keyword. A domain (`domain=` mask, or the `*_by` forms) is
estimated inside the full design: respondents outside it keep their place in the design with a
zero influence value, as R does for subsets (so strata and PSUs count as in the full sample).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from ._results import Estimate, EstimateSet, ProportionEstimate, QuantileEstimate, critical_value
from .design import Design, degrees_of_freedom, degrees_of_freedom_by, grouping, kish_effective_n

__all__ = ["mean", "total", "proportion", "ratio", "quantile", "contrast", "means", "mean_by", "total_by",
           "QUANTILE_RULES"]

QUANTILE_RULES = ("math", "hf7")


def _column(y: Any, design: Design, name: str = "y") -> np.ndarray:
    arr = np.asarray(y, dtype=float)
    if arr.ndim != 1 or arr.shape[0] != design.n:
        raise ValueError(f"{name} must be one value per respondent ({design.n}); got shape {arr.shape}")
    return arr


def _mask(domain: Any, design: Design) -> np.ndarray:
    if domain is None:
        return np.ones(design.n, dtype=bool)
    m = np.asarray(domain)
    if m.dtype != bool or m.shape != (design.n,):
        raise ValueError(f"domain must be a boolean mask with one value per respondent ({design.n})")
    return m


def _notes(design: Design, missing: int) -> tuple[str, ...]:
    notes = list(design.notes)
    if design.weighting is not None:
        notes.extend(design.weighting.notes)
    if missing:
        notes.append(f"{missing} missing value{'s' if missing != 1 else ''} left out")
    return tuple(notes)


def _use(y: np.ndarray, design: Design, domain: Any) -> tuple[np.ndarray, int]:
    dom = _mask(domain, design)
    miss = np.isnan(y)
    return dom & ~miss & (design.sampling_weights > 0), int((dom & miss).sum())


def mean(y: Any, design: Design, *, domain: Any = None) -> Estimate:
    """Weighted mean with its linearised standard error (R ``svymean``)."""
    y = _column(y, design)
    use, missing = _use(y, design, domain)
    w = np.where(use, design.sampling_weights, 0.0)
    W = w.sum()
    if W <= 0:
        return Estimate(value=math.nan, std_error=math.nan, df=math.nan, n=0,
                        notes=_notes(design, missing) + ("no respondent in the domain",))
    yy = np.where(use, y, 0.0)
    avg = float(w @ yy / W)
    x = w * (yy - avg) / W
    var = float(design.variance(x)[0, 0])
    nobs = int(use.sum())
    # Design effect against simple random sampling of the same size (R svymean(deff = TRUE)).
    deff = math.nan
    if nobs > 1 and W > nobs:
        s2 = float(w @ np.square(yy - avg) / W) * nobs / (nobs - 1)
        vsrs = s2 * (W - nobs) / (W * nobs)
        deff = float(var / vsrs) if vsrs > 0 else math.nan
    return Estimate(value=avg, std_error=math.sqrt(max(var, 0.0)), df=degrees_of_freedom(design, use),
                    n=nobs, n_effective=kish_effective_n(w), design_effect=deff,
                    notes=_notes(design, missing))


def total(y: Any, design: Design, *, domain: Any = None) -> Estimate:
    """Weighted total (R ``svytotal``)."""
    y = _column(y, design)
    use, missing = _use(y, design, domain)
    w = np.where(use, design.sampling_weights, 0.0)
    yy = np.where(use, y, 0.0)
    x = w * yy
    var = float(design.variance(x)[0, 0])
    return Estimate(value=float(x.sum()), std_error=math.sqrt(max(var, 0.0)),
                    df=degrees_of_freedom(design, use), n=int(use.sum()),
                    n_effective=kish_effective_n(w), notes=_notes(design, missing))


def proportion(indicator: Any, design: Design, *, domain: Any = None) -> ProportionEstimate:
    """Share of respondents for whom `indicator` is true (1), with a logit interval
    (R ``svyciprop(method = "logit")``, df = design degrees of freedom)."""
    arr = np.asarray(indicator)
    y = arr.astype(float)
    if arr.dtype != bool:
        ok = np.isnan(y) | (y == 0) | (y == 1)
        if not ok.all():
            raise ValueError("indicator must be true/false (or 1/0, NaN for missing)")
    m = mean(y, design, domain=domain)
    df = degrees_of_freedom(design)
    return ProportionEstimate(value=m.value, std_error=m.std_error, df=df, n=m.n, n_effective=m.n_effective,
                              design_effect=m.design_effect, notes=m.notes)


def ratio(numerator: Any, denominator: Any, design: Design, *, domain: Any = None) -> Estimate:
    """Ratio of two totals (R ``svyratio``)."""
    y = _column(numerator, design, "numerator")
    x = _column(denominator, design, "denominator")
    dom = _mask(domain, design)
    miss = np.isnan(y) | np.isnan(x)
    use = dom & ~miss & (design.sampling_weights > 0)
    w = np.where(use, design.sampling_weights, 0.0)
    yy, xx = np.where(use, y, 0.0), np.where(use, x, 0.0)
    tx = float(w @ xx)
    if tx == 0:
        return Estimate(value=math.nan, std_error=math.nan, df=math.nan, n=int(use.sum()),
                        notes=("the denominator total is zero",))
    r = float(w @ yy) / tx
    infl = w * (yy - r * xx) / tx
    var = float(design.variance(infl)[0, 0])
    return Estimate(value=r, std_error=math.sqrt(max(var, 0.0)), df=degrees_of_freedom(design, use),
                    n=int(use.sum()), n_effective=kish_effective_n(w), notes=_notes(design, int((dom & miss).sum())))


def means(columns: Mapping[str, Any], design: Design, *, domain: Any = None) -> EstimateSet:
    """Means of several variables in one pass, with their covariance (for contrasts). Each
    mean uses the respondents who answered that variable (available cases: an item answered
    不了解 counts for the others); R's ``svymean(~a+b, na.rm=TRUE)`` uses complete cases, which
    is the same when nothing is missing."""
    names = tuple(columns)
    if not names:
        raise ValueError("columns must name at least one variable")
    n = design.n
    # One n x p work array: the data, then (in place) the influence values.
    Y = np.empty((n, len(names)))
    for j, k in enumerate(names):
        Y[:, j] = _column(columns[k], design, k)
    dom = _mask(domain, design)
    w = np.asarray(design.sampling_weights, dtype=float)
    use = ~np.isnan(Y)
    missing = int((dom[:, None] & ~use).sum())
    use &= (dom & (w > 0))[:, None]
    np.copyto(Y, 0.0, where=~use)
    W = np.array([w @ use[:, j] for j in range(Y.shape[1])], dtype=float)
    avg = np.divide(w @ Y, W, out=np.full(W.shape, np.nan), where=W > 0)
    Y -= np.nan_to_num(avg)
    Y *= w[:, None]
    Y /= np.where(W > 0, W, 1.0)
    np.copyto(Y, 0.0, where=~use)
    V = design.variance(Y)
    rows = use.any(axis=1)
    return EstimateSet(names=names, values=tuple(float(v) for v in avg),
                       covariance=tuple(tuple(float(c) for c in row) for row in V),
                       df=degrees_of_freedom(design, rows), n=int(rows.sum()),
                       notes=_notes(design, missing))


def contrast(estimates: EstimateSet, coefficients: Mapping[str, float] | Sequence[float]) -> Estimate:
    """A linear combination of estimates (R ``svycontrast``)."""
    if isinstance(coefficients, Mapping):
        unknown = [k for k in coefficients if k not in estimates.names]
        if unknown:
            raise ValueError(f"coefficients name unknown estimates {unknown}; names are {list(estimates.names)}")
        c = np.array([float(coefficients.get(k, 0.0)) for k in estimates.names])
    else:
        c = np.asarray(coefficients, dtype=float)
        if c.shape != (len(estimates.names),):
            raise ValueError(f"coefficients must have {len(estimates.names)} values; got {c.shape}")
    V = np.array(estimates.covariance)
    value = float(c @ np.array(estimates.values))
    var = float(c @ V @ c)
    return Estimate(value=value, std_error=math.sqrt(max(var, 0.0)), df=estimates.df, n=estimates.n,
                    notes=estimates.notes)


# ---- domains -----------------------------------------------------------------------------------


def _groups(groups: Any, design: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grouping(groups, design.n)


def _by(y: Any, design: Design, groups: Any, *, kind: str) -> dict[Any, Estimate]:
    y = _column(y, design)
    labels, codes, present = _groups(groups, design)
    use = present & ~np.isnan(y) & (design.sampling_weights > 0)
    k = labels.shape[0]
    w = np.where(use, design.sampling_weights, 0.0)
    yy = np.where(use, y, 0.0)
    c = np.where(use, codes, 0)
    W = np.bincount(c, weights=w, minlength=k)
    S = np.bincount(c, weights=w * yy, minlength=k)
    if kind == "mean":
        avg = np.divide(S, W, out=np.full(k, np.nan), where=W > 0)
        vals = w * (yy - np.nan_to_num(avg)[c]) / np.where(W > 0, W, 1)[c]
        values = avg
    else:
        vals = w * yy
        values = S
    X = sp.csr_matrix((np.where(use, vals, 0.0), (np.arange(design.n), c)), shape=(design.n, k))
    var = design.variance(X, diagonal_only=True)
    nobs = np.bincount(c, weights=use.astype(float), minlength=k).astype(int)
    w2 = np.bincount(c, weights=np.square(w), minlength=k)
    dfs = _domain_df(design, c, use, k)
    out: dict[Any, Estimate] = {}
    notes = _notes(design, 0)
    for j, lab in enumerate(labels.tolist()):
        out[lab] = Estimate(value=float(values[j]), std_error=math.sqrt(max(float(var[j]), 0.0)), df=dfs[j],
                            n=int(nobs[j]), n_effective=float(W[j] ** 2 / w2[j]) if w2[j] > 0 else math.nan,
                            notes=notes)
    return out


def _domain_df(design: Design, codes: np.ndarray, use: np.ndarray, k: int) -> list[float]:
    return [float(v) for v in degrees_of_freedom_by(design, codes, use, k)]


def mean_by(y: Any, design: Design, groups: Any) -> dict[Any, Estimate]:
    """Mean in every domain of `groups`, each estimated inside the full design (R ``svyby``
    with ``svymean``); all domains in one pass."""
    return _by(y, design, groups, kind="mean")


def total_by(y: Any, design: Design, groups: Any) -> dict[Any, Estimate]:
    """Total in every domain of `groups` (R ``svyby`` with ``svytotal``)."""
    return _by(y, design, groups, kind="total")


# ---- quantiles -------------------------------------------------------------------------------------


def _rule(name: str):
    if name == "math":
        def q(x, w, p):
            keep = w != 0
            x, w = x[keep], w[keep]
            order = np.argsort(x, kind="stable")
            xs, cw = x[order], np.cumsum(w[order])
            total = cw[-1]
            below = np.nonzero(cw <= p * total)[0]
            if below.size == 0:
                return float(xs[0])
            pos = below[-1]
            nxt = min(pos + 1, xs.size - 1)
            wlow = p - cw[pos] / total
            return float(xs[pos] if wlow == 0 else xs[nxt])
        return q
    if name == "hf7":
        def q(x, w, p):
            keep = w != 0
            x, w = x[keep], w[keep]
            n = x.size
            order = np.argsort(x, kind="stable")
            xs, cw = x[order], np.cumsum(w[order])
            pk = np.concatenate([[0.0], cw[:-1]]) / cw[n - 2] if n > 1 else np.array([0.0])
            return float(np.interp(p, pk, xs))
        return q
    raise ValueError(f"rule must be one of {', '.join(QUANTILE_RULES)}; got {name!r}")


def quantile(y: Any, design: Design, probabilities: Sequence[float] | float, *, rule: str = "math",
             confidence_level: float = 0.95, domain: Any = None) -> tuple[QuantileEstimate, ...]:
    """Quantiles with Woodruff intervals (R ``svyquantile``, ``interval.type = "mean"``): the
    interval of the share below the estimate, mapped back through the same rule."""
    probs = [probabilities] if isinstance(probabilities, (int, float)) else list(probabilities)
    for p in probs:
        if not 0 <= p <= 1:
            raise ValueError(f"probabilities must be between 0 and 1; got {p}")
    q = _rule(rule)
    y = _column(y, design)
    dom = _mask(domain, design)
    use = dom & ~np.isnan(y)
    w = np.where(use, design.sampling_weights, 0.0)
    df = degrees_of_freedom(design, use)
    crit = critical_value(confidence_level, df)
    out = []
    yv = np.where(use, y, 0.0)
    if w.sum() <= 0:
        return tuple(QuantileEstimate(probability=p, value=math.nan, low=math.nan, high=math.nan,
                                      std_error=math.nan, df=df, n=0, confidence_level=confidence_level,
                                      notes=("no respondent in the domain",)) for p in probs)
    for p in probs:
        qhat = q(yv[use], w[use], p)
        below = np.where(use, (y <= qhat).astype(float), np.nan)
        m = mean(below, design, domain=dom)
        lo_p, hi_p = m.value - crit * m.std_error, m.value + crit * m.std_error
        lo = math.nan if (math.isnan(lo_p) or lo_p < 0) else q(yv[use], w[use], lo_p)
        hi = math.nan if (math.isnan(hi_p) or hi_p > 1) else q(yv[use], w[use], hi_p)
        out.append(QuantileEstimate(probability=float(p), value=qhat, low=lo, high=hi,
                                    std_error=(hi - lo) / (2 * crit), df=df, n=int(use.sum()),
                                    confidence_level=confidence_level, notes=_notes(design, 0)))
    return tuple(out)
