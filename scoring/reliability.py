"""Reliability and validity of a scale: Cronbach's alpha (raw, standardised, if item deleted,
Feldt interval), corrected item-total correlations, McDonald's omega (one factor), KMO and
Bartlett's test of sphericity. Unweighted, on pairwise-complete answers, as R ``psych``
computes them from raw data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import optimize, stats

from ._results import ConfidenceInterval

__all__ = ["AlphaResult", "cronbach_alpha", "complete_covariance", "pairwise", "KmoResult", "kmo", "bartlett_sphericity", "omega_total",
           "OmegaResult", "complete_rows", "correlation"]


def complete_rows(items: Any) -> np.ndarray:
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"items must be a 2-d array with at least two columns; got shape {x.shape}")
    return x[~np.isnan(x).any(axis=1)]


def _alpha(cov: np.ndarray) -> float:
    p = cov.shape[0]
    return p / (p - 1) * (1 - np.trace(cov) / cov.sum())


def _std_alpha(cor: np.ndarray) -> float:
    p = cor.shape[0]
    rbar = (cor.sum() - p) / (p * (p - 1))
    return p * rbar / (1 + (p - 1) * rbar)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlphaResult:
    alpha: float
    standardized_alpha: float
    average_r: float
    alpha_if_deleted: tuple[float, ...]
    standardized_alpha_if_deleted: tuple[float, ...]
    item_rest_correlation: tuple[float, ...]
    n: int
    n_items: int
    correlation: tuple[tuple[float, ...], ...] = ()

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """Feldt's interval: 1 - (1 - alpha) F quantiles with (n - 1, (n - 1)(k - 1)) df."""
        a = (1 - confidence_level) / 2
        df1, df2 = self.n - 1, (self.n - 1) * (self.n_items - 1)
        low = 1 - (1 - self.alpha) * stats.f.ppf(1 - a, df1, df2)
        high = 1 - (1 - self.alpha) * stats.f.ppf(a, df1, df2)
        return ConfidenceInterval(float(low), float(high), confidence_level)


def complete_covariance(filled: np.ndarray, answered: np.ndarray) -> tuple[np.ndarray, int]:
    """Covariance (n - 1 denominator) of the respondents who answered every column, and their
    number, from scores with 0 where missing and an answered mask, by matrix products (no copy
    of the complete rows)."""
    mask = np.array(answered[:, 0], dtype=bool)
    for j in range(1, answered.shape[1]):  # column by column: fast for column-ordered matrices
        mask &= answered[:, j]
    n = int(mask.sum())
    if n < 2:
        return np.full((filled.shape[1], filled.shape[1]), np.nan), n
    xm = np.empty(filled.shape, order="F")
    for j in range(filled.shape[1]):
        np.multiply(filled[:, j], mask, out=xm[:, j])
    s = xm.sum(axis=0)
    ss = xm.T @ xm
    return (ss - np.outer(s, s) / n) / (n - 1), n


def pairwise(filled: np.ndarray, answered: np.ndarray, *, block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Covariances and correlations over the respondents who answered both items of each pair
    (R ``cov(x, use = "pairwise")``, ``cor(x, use = "pairwise")``), by matrix products on the
    scores with 0 where missing and the answered flags, accumulated over blocks of rows (the
    temporaries stay small)."""
    filled = np.asarray(filled, dtype=float)
    answered = np.asarray(answered, dtype=bool)
    J = filled.shape[1]
    N, S, P, Q = (np.zeros((J, J)) for _ in range(4))
    for s0 in range(0, filled.shape[0], block):
        F = filled[s0:s0 + block]
        A = answered[s0:s0 + block].astype(float)
        N += A.T @ A                # respondents answering both j and k
        S += F.T @ A                # S[j, k]: sum of y_j where both are answered
        P += F.T @ F                # sum of y_j y_k
        Q += (F * F).T @ A          # Q[j, k]: sum of y_j^2 where both are answered
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (P - S * S.T / N) / (N - 1)
        var_jk = (Q - S * S / N) / (N - 1)       # variance of j on the pair's rows
        cor = cov / np.sqrt(var_jk * var_jk.T)
    np.fill_diagonal(cor, 1.0)
    return cov, cor


def cronbach_alpha(items: Any = None, *, cov: np.ndarray | None = None, n: int | None = None) -> AlphaResult:
    """Cronbach's alpha of the columns of `items` (respondents x items, NaN missing) as R
    ``psych::alpha``: pairwise covariances and correlations, and the number of rows for the
    Feldt interval; or from the covariance matrix and n."""
    if cov is None:
        x = np.asarray(items, dtype=float)
        if x.ndim != 2 or x.shape[1] < 2:
            raise ValueError(f"items must be a 2-d array with at least two columns; got shape {x.shape}")
        answered = ~np.isnan(x)
        cov, _ = pairwise(np.where(answered, x, 0.0), answered)
        n = x.shape[0]
    else:
        cov = np.asarray(cov, dtype=float)
    sd = np.sqrt(np.diag(cov))
    cor = cov / np.outer(sd, sd)  # psych: cov2cor of the pairwise covariances
    p = cov.shape[0]
    if n is None or n < 3 or not np.all(np.isfinite(cov)):
        raise ValueError("alpha needs at least three rows and every pair of items answered together")
    drop, sdrop, rdrop = [], [], []
    for j in range(p):
        keep = [k for k in range(p) if k != j]
        sub = cov[np.ix_(keep, keep)]
        drop.append(float(_alpha(sub)) if p > 2 else math.nan)
        sdrop.append(float(_std_alpha(cor[np.ix_(keep, keep)])) if p > 2 else math.nan)
        # correlation of the item with the sum of the others, from the covariances (psych r.drop)
        rdrop.append(float((cov[:, j].sum() - cov[j, j]) / math.sqrt(cov[j, j] * sub.sum())))
    rbar = (cor.sum() - p) / (p * (p - 1))
    return AlphaResult(alpha=float(_alpha(cov)), standardized_alpha=float(_std_alpha(cor)), average_r=float(rbar),
                       alpha_if_deleted=tuple(drop), standardized_alpha_if_deleted=tuple(sdrop),
                       item_rest_correlation=tuple(rdrop), n=int(n), n_items=int(p),
                       correlation=tuple(tuple(float(v) for v in row) for row in cor))


@dataclass(frozen=True, slots=True, kw_only=True)
class KmoResult:
    overall: float
    per_item: tuple[float, ...]


def correlation(items: Any) -> tuple[np.ndarray, int]:
    """Pairwise correlation matrix (as psych does for raw data) and the number of rows."""
    x = np.asarray(items, dtype=float)
    answered = ~np.isnan(x)
    return pairwise(np.where(answered, x, 0.0), answered)[1], int(x.shape[0])


def kmo(items: Any = None, *, corr: np.ndarray | None = None) -> KmoResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy (R ``psych::KMO``); from the items or
    from their correlation matrix."""
    r = np.array(corr, dtype=float) if corr is not None else correlation(items)[0]
    q = np.linalg.inv(r)
    d = np.sqrt(np.diag(q))
    a = -q / np.outer(d, d)
    np.fill_diagonal(r, 0)
    np.fill_diagonal(a, 0)
    r2, a2 = np.square(r), np.square(a)
    overall = r2.sum() / (r2.sum() + a2.sum())
    per = r2.sum(axis=0) / (r2.sum(axis=0) + a2.sum(axis=0))
    return KmoResult(overall=float(overall), per_item=tuple(float(v) for v in per))


@dataclass(frozen=True, slots=True, kw_only=True)
class SphericityResult:
    statistic: float
    df: float
    p_value: float


def bartlett_sphericity(items: Any = None, *, corr: np.ndarray | None = None, n: int | None = None
                        ) -> SphericityResult:
    """Bartlett's test that the correlation matrix is the identity
    (R ``psych::cortest.bartlett(cor(x), n)``); from the items or a correlation matrix and n."""
    if corr is None:
        r, n = correlation(items)
    else:
        r = np.asarray(corr, dtype=float)
        if n is None:
            raise ValueError("n (the number of complete rows) is needed with corr")
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        return SphericityResult(statistic=math.inf, df=p * (p - 1) / 2, p_value=0.0)
    stat = -logdet * ((n - 1) - (2 * p + 5) / 6)
    df = p * (p - 1) / 2
    return SphericityResult(statistic=float(stat), df=float(df), p_value=float(stats.chi2.sf(stat, df)))


@dataclass(frozen=True, slots=True, kw_only=True)
class OmegaResult:
    omega_total: float
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]
    n: int


def _minres_one_factor(r: np.ndarray) -> np.ndarray:
    """Loadings of one factor by minimum residual (psych ``fa(fm = "minres")``): choose the
    uniquenesses that minimise the off-diagonal squared residuals of R - l l'."""
    p = r.shape[0]

    def loadings(psi: np.ndarray) -> np.ndarray:
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        vals, vecs = np.linalg.eigh(s)
        lam = max(vals[-1], np.finfo(float).eps * 100)
        lv = vecs[:, -1] * math.sqrt(lam)
        return lv if lv.sum() >= 0 else -lv

    def resid(psi: np.ndarray) -> float:
        lv = loadings(psi)
        res = r - np.outer(lv, lv)
        np.fill_diagonal(res, 0)
        return float(np.square(res).sum())

    # start from the squared multiple correlations, as psych does
    start = np.clip(1 / np.diag(np.linalg.inv(r)), 0.005, 1)
    fit = optimize.minimize(resid, start, method="L-BFGS-B", bounds=[(0.005, 1.0)] * p,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return loadings(fit.x)


def omega_total(items: Any = None, *, corr: np.ndarray | None = None, n: int | None = None) -> OmegaResult:
    """McDonald's omega total from a one-factor minimum-residual solution on the correlations,
    as R ``psych::omega(nfactors = 1)``: items loading negatively are reflected, then
    omega = (sum(D R D) - sum(1 - l^2)) / sum(D R D) with D = diag(sign l)."""
    if corr is None:
        r, n = correlation(items)
    else:
        r = np.asarray(corr, dtype=float)
    lv = _minres_one_factor(r)
    key = np.where(lv < 0, -1.0, 1.0)
    m = r * np.outer(key, key)
    u = 1 - np.square(lv)
    vt = m.sum()
    return OmegaResult(omega_total=float((vt - u.sum()) / vt), loadings=tuple(float(v) for v in np.abs(lv)),
                       uniquenesses=tuple(float(v) for v in u), n=int(n or 0))
