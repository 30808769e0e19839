"""Indicator weights: AHP (Saaty) from pairwise comparison matrices, the entropy weight
method, and a blend of the two.

Pure numerics. The priority vector is the normalised principal right eigenvector;
lambda_max its eigenvalue; CI = (lambda_max - n) / (n - 1); CR = CI / RI(n) with Saaty's
random index (RI for n = 3..9: 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45; Saaty 1980, as cited
in DOMAIN.md). Matrices of order 1 and 2 are always consistent (CR = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["AhpResult", "RANDOM_INDEX", "ahp_weights", "combine_judgements", "reciprocity_errors",
           "CR_THRESHOLD", "EntropyResult", "entropy_weights", "blend_weights"]

#: Saaty's random consistency index by matrix order.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                                  8: 1.41, 9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56,
                                  14: 1.57, 15: 1.59}
CR_THRESHOLD = 0.10


@dataclass(frozen=True, slots=True, kw_only=True)
class AhpResult:
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio < CR_THRESHOLD


def _matrix(matrix: Sequence[Sequence[float]] | np.ndarray, argument: str = "matrix") -> np.ndarray:
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"{argument} must be a non-empty square matrix; got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{argument} entries must be positive finite numbers")
    return a


def reciprocity_errors(matrix: Sequence[Sequence[float]] | np.ndarray, *, rtol: float = 0.02) -> list[tuple[int, int]]:
    """(i, j), i <= j, where a_ii != 1 or a_ij * a_ji differs from 1 by more than `rtol`."""
    a = _matrix(matrix)
    bad = []
    n = a.shape[0]
    for i in range(n):
        if abs(a[i, i] - 1.0) > 1e-9:
            bad.append((i, i))
        for j in range(i + 1, n):
            if abs(a[i, j] * a[j, i] - 1.0) > rtol:
                bad.append((i, j))
    return bad


def combine_judgements(matrices: Sequence[Sequence[Sequence[float]]]) -> np.ndarray:
    """Several experts' matrices combined by the element-wise geometric mean (which keeps
    reciprocity)."""
    if len(matrices) == 0:
        raise ValueError("matrices must hold at least one matrix")
    stack = [_matrix(m, f"matrices[{k}]") for k, m in enumerate(matrices)]
    shapes = {m.shape for m in stack}
    if len(shapes) != 1:
        raise ValueError(f"matrices must all have the same shape; got {sorted(shapes)}")
    return np.exp(np.mean(np.log(np.stack(stack)), axis=0))


def ahp_weights(matrix: Sequence[Sequence[float]] | np.ndarray) -> AhpResult:
    """Priority weights and consistency of a positive reciprocal pairwise matrix."""
    a = _matrix(matrix)
    n = a.shape[0]
    if n == 1:
        return AhpResult(weights=(1.0,), lambda_max=1.0, consistency_index=0.0, random_index=0.0,
                         consistency_ratio=0.0)
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    ci = max((lam - n) / (n - 1), 0.0)
    ri = RANDOM_INDEX.get(n, 1.59)
    cr = ci / ri if ri > 0 else 0.0
    return AhpResult(weights=tuple(float(x) for x in w), lambda_max=lam, consistency_index=ci,
                     random_index=ri, consistency_ratio=float(cr) if math.isfinite(cr) else math.inf)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntropyResult:
    weights: tuple[float, ...]
    entropy: tuple[float, ...]
    divergence: tuple[float, ...]
    n: int


def entropy_weights(values: Sequence[Sequence[float]] | np.ndarray, *,
                    sampling_weights: Sequence[float] | np.ndarray | None = None) -> EntropyResult:
    """Entropy weight method over columns (indicators) of `values` (rows: respondents or
    units, all columns "higher is better"): min-max normalise each column, p_ij = x'_ij /
    sum_i x'_ij, e_j = -sum_i p_ij ln p_ij / ln n (0 ln 0 = 0), d_j = 1 - e_j,
    w_j = d_j / sum d. Rows with a missing value are left out. With `sampling_weights`,
    p_ij uses w_i x'_ij and n is the Kish effective size."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"values must be a 2-d array (rows x indicators); got shape {x.shape}")
    keep = ~np.isnan(x).any(axis=1)
    w = np.ones(x.shape[0]) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    if w.shape != (x.shape[0],):
        raise ValueError(f"sampling_weights must have one value per row ({x.shape[0]})")
    keep &= w > 0
    x, w = x[keep], w[keep]
    n = x.shape[0]
    if n < 2:
        raise ValueError("entropy weights need at least two complete rows")
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    xn = (x - lo) / span
    wx = xn * w[:, None]
    tot = wx.sum(axis=0)
    p = np.divide(wx, tot, out=np.zeros_like(wx), where=tot > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    n_eff = n if sampling_weights is None else float(w.sum() ** 2 / np.square(w).sum())
    e = -plogp.sum(axis=0) / math.log(n_eff)
    e = np.where(tot > 0, e, 1.0)  # a constant indicator carries no information
    dvg = 1 - e
    if dvg.sum() <= 0:
        weights = np.full(x.shape[1], 1 / x.shape[1])
    else:
        weights = dvg / dvg.sum()
    return EntropyResult(weights=tuple(float(v) for v in weights), entropy=tuple(float(v) for v in e),
                         divergence=tuple(float(v) for v in dvg), n=int(n))


def blend_weights(ahp: Sequence[float], entropy: Sequence[float], *, ahp_share: float = 0.5) -> tuple[float, ...]:
    """ahp_share * AHP + (1 - ahp_share) * entropy, renormalised."""
    if not 0 <= ahp_share <= 1:
        raise ValueError(f"ahp_share must be between 0 and 1; got {ahp_share}")
    a, e = np.asarray(ahp, dtype=float), np.asarray(entropy, dtype=float)
    if a.shape != e.shape:
        raise ValueError("ahp and entropy weights must have the same length")
    b = ahp_share * a + (1 - ahp_share) * e
    return tuple(float(v) for v in b / b.sum())
