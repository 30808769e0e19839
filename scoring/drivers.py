"""Key-driver analysis: derived importance of indicators for overall satisfaction, and the
importance-performance quadrants (四分图).

Importance is the (weighted) correlation of each indicator with the overall item, and the
share of R^2 each carries: Shapley decomposition (LMG, the average gain in R^2 over all
orders; exact for up to 12 indicators) or Johnson's relative weights (any number). Intervals
come from design bootstrap replicates (scoring.replicates).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from .replicates import ReplicateDesign

__all__ = ["DriverResult", "drivers", "shapley_r2", "relative_weights", "ipa_quadrants", "IpaResult"]

SHAPLEY_MAX = 12


def _wcov(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    W = w.sum()
    mu = (w @ X) / W
    Z = X - mu
    return (Z * w[:, None]).T @ Z / W


def _r2_from_cov(C: np.ndarray, subset: Sequence[int], yi: int) -> float:
    if not subset:
        return 0.0
    idx = list(subset)
    Sxx = C[np.ix_(idx, idx)]
    sxy = C[idx, yi]
    beta = np.linalg.lstsq(Sxx, sxy, rcond=None)[0]
    return float(sxy @ beta / C[yi, yi])


def shapley_r2(X: Any, y: Any, *, sampling_weights: Any = None) -> tuple[np.ndarray, float]:
    """Shapley (LMG) shares of R^2 of a linear regression of y on the columns of X; they sum
    to R^2 (R ``relaimpo::calc.relimp(type = "lmg")``)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    k = X.shape[1]
    if k > SHAPLEY_MAX:
        raise ValueError(f"Shapley decomposition takes at most {SHAPLEY_MAX} indicators; got {k}: "
                         "use relative_weights")
    w = np.ones(y.shape[0]) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    ok = ~np.isnan(X).any(axis=1) & ~np.isnan(y) & (w > 0)
    return _shapley_cov(_wcov(np.column_stack([X[ok], y[ok]]), w[ok]))


def _shapley_cov(C: np.ndarray) -> tuple[np.ndarray, float]:
    shares, r2 = _shapley_many(np.asarray(C, dtype=float)[None])
    return shares[0], float(r2[0])


@functools.lru_cache(maxsize=8)
def _subsets(k: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """For k predictors: per subset size s >= 1, the bit masks of the subsets and their members
    (masks x s); the size of every mask; and the Shapley weight s! (k - s - 1)! / k! by size."""
    by_size = []
    for s in range(1, k + 1):
        members = np.array(list(itertools.combinations(range(k), s)), dtype=np.int64).reshape(-1, s)
        masks = (np.left_shift(1, members)).sum(axis=1)
        by_size.append((masks, members))
    sizes = np.array([bin(m).count("1") for m in range(1 << k)], dtype=np.int64)
    fact = math.factorial
    weight = np.array([fact(s) * fact(k - s - 1) / fact(k) for s in range(k)])
    return by_size, sizes, weight


def _shapley_many(Cs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapley (LMG) shares of R^2 for a stack of covariance matrices (R x (k+1) x (k+1), the
    outcome last): the R^2 of every subset of predictors by batched solves, then each
    predictor's weighted mean gain over the subsets without it. Returns (R x k, R)."""
    R, k = Cs.shape[0], Cs.shape[1] - 1
    by_size, sizes, weight = _subsets(k)
    r2 = np.zeros((R, 1 << k))
    syy = Cs[:, k, k]
    for masks, members in by_size:
        Sxx = Cs[:, members[:, :, None], members[:, None, :]]        # R x m x s x s
        sxy = Cs[:, members, k]                                     # R x m x s
        try:
            beta = np.linalg.solve(Sxx, sxy[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a singular subset: least squares through the pseudo-inverse
            beta = (np.linalg.pinv(Sxx) @ sxy[..., None])[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            r2[:, masks] = (sxy * beta).sum(axis=-1) / syy[:, None]
    shares = np.zeros((R, k))
    every = np.arange(1 << k)
    for j in range(k):
        without = every[(every >> j) & 1 == 0]
        shares[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[sizes[without]]
    return shares, r2[:, -1]


def relative_weights(X: Any, y: Any, *, sampling_weights: Any = None) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights: shares of R^2 through the orthogonal counterpart of
    the predictors; they sum to R^2."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(y.shape[0]) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    ok = ~np.isnan(X).any(axis=1) & ~np.isnan(y) & (w > 0)
    return _relative_cov(_wcov(np.column_stack([X[ok], y[ok]]), w[ok]))


def _relative_cov(C: np.ndarray) -> tuple[np.ndarray, float]:
    sd = np.sqrt(np.diag(C))
    R = C / np.outer(sd, sd)
    k = C.shape[0] - 1
    Rxx, rxy = R[:k, :k], R[:k, k]
    vals, vecs = np.linalg.eigh(Rxx)
    vals = np.clip(vals, 0, None)
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    raw = np.square(lam) @ np.square(beta)
    return raw, float(np.square(beta).sum())


@dataclass(frozen=True, slots=True, kw_only=True)
class DriverResult:
    names: tuple[str, ...]
    correlation: tuple[float, ...]
    importance: tuple[float, ...]          # share of R^2 (sums to r_squared)
    importance_share: tuple[float, ...]    # normalised to sum to 1
    low: tuple[float, ...]                 # bootstrap percentile interval of importance_share
    high: tuple[float, ...]
    r_squared: float
    method: str
    n: int
    replicates: int
    confidence_level: float


def _importance(C: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    return _shapley_cov(C) if method == "shapley" else _relative_cov(C)


def _cluster_sums(cols: Sequence[np.ndarray], w: np.ndarray, rows: np.ndarray, cs: np.ndarray, m: int, *,
                  chunk: int = 1 << 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per first-stage cluster (`rows` of the columns `cols`, in order of their cluster code
    `cs`, m clusters): sum of w, of w z, and of w z z'. The rows are gathered in chunks of
    whole clusters into one small buffer (no copy of all the rows: a large fresh array costs
    more in page faults than the sums)."""
    k1 = len(cols)
    wk = w[rows]
    sw = np.bincount(cs, weights=wk, minlength=m)
    sz = np.zeros((m, k1))
    szz = np.zeros((m, k1, k1))
    starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
    ends = np.r_[starts[1:], cs.shape[0]]
    # chunk boundaries at cluster starts: each chunk holds whole clusters, about `chunk` rows
    cuts = [0]
    while cuts[-1] < starts.shape[0]:  # the clusters starting within `chunk` rows of the chunk's first
        cuts.append(max(int(np.searchsorted(starts, starts[cuts[-1]] + chunk)), cuts[-1] + 1))
    size = max((int(ends[b - 1] - starts[a]) for a, b in zip(cuts[:-1], cuts[1:])), default=0)
    buf = np.empty((size, k1), order="F")
    wbuf = np.empty((size, k1), order="F")  # w z of the same rows
    for c0, c1 in zip(cuts[:-1], cuts[1:]):
        a0, a1 = int(starts[c0]), int(ends[c1 - 1])
        Z, WZ = buf[:a1 - a0], wbuf[:a1 - a0]
        sel = rows[a0:a1]
        wb = wk[a0:a1]
        for j, c in enumerate(cols):
            np.take(c, sel, out=Z[:, j], mode="clip")
            np.multiply(wb, Z[:, j], out=WZ[:, j])
        lo, hi = int(cs[a0]), int(cs[a1 - 1]) + 1
        cb = cs[a0:a1] - lo
        for j in range(k1):
            sz[lo:hi, j] = np.bincount(cb, weights=WZ[:, j], minlength=hi - lo)
        for a, b, c in zip((starts[c0:c1] - a0).tolist(), (ends[c0:c1] - a0).tolist(), cs[starts[c0:c1]].tolist()):
            szz[c] = WZ[a:b].T @ Z[a:b]
    return sw, sz, szz


def _cov_from_sums(W: float, S: np.ndarray, SS: np.ndarray) -> np.ndarray:
    mu = S / W
    return SS / W - np.outer(mu, mu)


def drivers(indicators: Sequence[Any], overall: Any, *, names: Sequence[str], sampling_weights: Any,
            method: str | None = None, replicates: ReplicateDesign | None = None,
            confidence_level: float = 0.95) -> DriverResult:
    """Derived importance of each indicator score (respondent level) for the overall item."""
    cols = [np.asarray(c, dtype=float) for c in indicators]
    y = np.asarray(overall, dtype=float)
    w = np.asarray(sampling_weights, dtype=float)
    if any(c.shape != y.shape for c in cols) or w.shape != y.shape:
        raise ValueError("indicators, overall and sampling_weights must have one value per respondent")
    k = len(cols)
    method = method or ("shapley" if k <= SHAPLEY_MAX else "relative_weights")
    if method not in ("shapley", "relative_weights"):
        raise ValueError(f"method must be 'shapley' or 'relative_weights'; got {method!r}")
    ok = ~np.isnan(y) & (w > 0)
    for c in cols:  # column by column: no stacked copy of the indicators
        ok &= ~np.isnan(c)
    if ok.sum() < k + 2:
        nan = tuple([math.nan] * k)
        return DriverResult(names=tuple(names), correlation=nan, importance=nan, importance_share=nan, low=nan,
                            high=nan, r_squared=math.nan, method=method, n=int(ok.sum()), replicates=0,
                            confidence_level=confidence_level)
    # the respondents used (with clusters, in cluster order), gathered column by column
    rows = np.flatnonzero(ok)
    clustered = replicates is not None and replicates.clusters is not None
    if clustered:
        cl = replicates.clusters[rows]
        if cl.size > 1 and np.any(cl[1:] < cl[:-1]):
            rows = rows[np.argsort(cl, kind="stable")]
    if clustered:
        sums = _cluster_sums(cols + [y], w, rows, replicates.clusters[rows], int(replicates.clusters.max()) + 1)
        C = _cov_from_sums(sums[0].sum(), sums[1].sum(axis=0), sums[2].sum(axis=0))
    else:
        sums = None
        Z = np.empty((rows.size, k + 1), order="F")
        for j, c in enumerate(cols + [y]):
            np.take(c, rows, out=Z[:, j], mode="clip")
        wk = w[rows]
        C = _wcov(Z, wk)
    sd = np.sqrt(np.diag(C))
    corr = C[:k, k] / (sd[:k] * sd[k])
    imp, r2 = _importance(C, method)
    share = imp / imp.sum() if imp.sum() > 0 else np.full(k, math.nan)
    low = high = np.full(k, math.nan)
    nrep = 0
    if replicates is not None:
        reps = []
        if sums is not None:
            # multipliers are constant within clusters: the weighted sums per cluster, once
            sw, sz, szz = sums
            m = sw.shape[0]
            if replicates.cluster_multipliers is not None:
                mult = replicates.cluster_multipliers  # clusters x replicates
            else:
                first = np.zeros(m, dtype=np.int64)
                first[replicates.clusters[::-1]] = np.arange(replicates.clusters.shape[0])[::-1]
                mult = replicates.multipliers[first]
            totals = (mult.T @ sw, mult.T @ sz, np.einsum("mr,mpq->rpq", mult, szz))
            covs = [_cov_from_sums(totals[0][r], totals[1][r], totals[2][r]) for r in range(replicates.replicates)]
        else:
            covs = [_wcov(Z, wk * replicates.multipliers[rows, r]) for r in range(replicates.replicates)]
        if method == "shapley":
            imps = _shapley_many(np.array(covs))[0]
        else:
            imps = np.array([_importance(Cr, method)[0] for Cr in covs])
        for ir in imps:
            reps.append(ir / ir.sum() if ir.sum() > 0 else np.full(k, np.nan))
        reps = np.array(reps)
        a = (1 - confidence_level) / 2
        low = np.nanquantile(reps, a, axis=0)
        high = np.nanquantile(reps, 1 - a, axis=0)
        nrep = replicates.replicates
    return DriverResult(names=tuple(names), correlation=tuple(float(v) for v in corr),
                        importance=tuple(float(v) for v in imp), importance_share=tuple(float(v) for v in share),
                        low=tuple(float(v) for v in low), high=tuple(float(v) for v in high), r_squared=float(r2),
                        method=method, n=int(ok.sum()), replicates=nrep, confidence_level=confidence_level)


@dataclass(frozen=True, slots=True, kw_only=True)
class IpaResult:
    names: tuple[str, ...]
    importance: tuple[float, ...]
    performance: tuple[float, ...]
    importance_cut: float
    performance_cut: float
    quadrant: tuple[str, ...]   # keep / fix_first / low_priority / possible_overkill
    cut_rule: str


QUADRANTS = {
    (True, True): "keep",                # 优势区: important and performing
    (True, False): "fix_first",          # 修补区: important, performing poorly
    (False, False): "low_priority",      # 机会区
    (False, True): "possible_overkill",  # 维持区
}


def ipa_quadrants(names: Sequence[str], importance: Sequence[float], performance: Sequence[float], *,
                  importance_cut: float | None = None, performance_cut: float | None = None) -> IpaResult:
    """Importance-performance quadrants; the cut lines are the means of the indicators unless
    given (and are reported either way)."""
    imp = np.asarray(importance, dtype=float)
    perf = np.asarray(performance, dtype=float)
    icut = float(np.nanmean(imp)) if importance_cut is None else float(importance_cut)
    pcut = float(np.nanmean(perf)) if performance_cut is None else float(performance_cut)
    quad = tuple(QUADRANTS[(bool(i >= icut), bool(p >= pcut))] for i, p in zip(imp, perf))
    rule = ("means of the indicators" if importance_cut is None and performance_cut is None else "given")
    return IpaResult(names=tuple(names), importance=tuple(float(v) for v in imp),
                     performance=tuple(float(v) for v in perf), importance_cut=icut, performance_cut=pcut,
                     quadrant=quad, cut_rule=rule)
