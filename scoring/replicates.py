"""Replicate-weight designs: jackknife (JK1, JKn), bootstrap, or weights given by a survey
provider; the variance is the spread of the estimate over the replicates (R ``svrVar``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ._results import Estimate
from .design import Design, kish_effective_n

__all__ = ["ReplicateDesign", "jackknife", "bootstrap", "replicate_design", "replicate_mean", "replicate_total",
           "replicate_ratio"]


@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """Full-sample weights, replicate multipliers (n x R; replicate weights are
    multipliers x sampling weights), and the variance constants
    v = scale * sum_r rscales_r (theta_r - centre)^2, centred on the replicates' mean (or on
    the full-sample estimate when `mse`)."""

    sampling_weights: np.ndarray
    row_multipliers: np.ndarray | None
    scale: float
    rscales: np.ndarray
    mse: bool = False
    kind: str = "custom"
    #: first-stage cluster of each respondent when multipliers are constant within clusters
    clusters: np.ndarray | None = None
    #: multipliers per cluster (clusters x R), when constant within clusters
    cluster_multipliers: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.sampling_weights.shape[0])

    @property
    def replicates(self) -> int:
        m = self.cluster_multipliers if self.cluster_multipliers is not None else self.row_multipliers
        return int(m.shape[1])

    @property
    def multipliers(self) -> np.ndarray:
        """n x R multipliers (made from the per-cluster ones when needed)."""
        if self.row_multipliers is not None:
            return self.row_multipliers
        return self.cluster_multipliers[self.clusters]

    def estimate(self, statistic: Callable[[np.ndarray], float]) -> tuple[float, float]:
        """(value, variance) of statistic(weights) over the full sample and the replicates."""
        value = float(statistic(self.sampling_weights))
        thetas = np.array([statistic(self.sampling_weights * self.multipliers[:, r]) for r in range(self.replicates)])
        ok = ~np.isnan(thetas)
        rs = self.rscales[ok]
        th = thetas[ok]
        centre = value if self.mse else float(np.mean(th[rs > 0])) if np.any(rs > 0) else value
        return value, float(self.scale * np.sum(rs * (th - centre) ** 2))


def replicate_design(sampling_weights: Any, multipliers: Any, *, scale: float, rscales: Any = None,
                     mse: bool = False) -> ReplicateDesign:
    """A replicate design from given replicate multipliers (replicate weight / sampling weight)."""
    w = np.asarray(sampling_weights, dtype=float)
    m = np.asarray(multipliers, dtype=float)
    if m.ndim != 2 or m.shape[0] != w.shape[0]:
        raise ValueError(f"multipliers must be respondents x replicates ({w.shape[0]} rows); got {m.shape}")
    rs = np.ones(m.shape[1]) if rscales is None else np.asarray(rscales, dtype=float)
    if rs.shape != (m.shape[1],):
        raise ValueError(f"rscales must have one value per replicate ({m.shape[1]})")
    return ReplicateDesign(w, m, float(scale), rs, mse)


def jackknife(design: Design) -> ReplicateDesign:
    """Delete-one-PSU jackknife of the first stage: JK1 without strata, JKn with strata
    (R ``as.svrepdesign(type = "JK1" | "JKn")``, no finite population correction)."""
    st = design.stages[0]
    clusters, strata = st.clusters, st.strata
    uniq = np.unique(clusters)
    n_strata = np.unique(strata).shape[0]
    cols, rscales = [], []
    for c in uniq:
        rows = clusters == c
        h = strata[rows][0]
        in_h = strata == h
        nh = np.unique(clusters[in_h]).shape[0]
        if nh == 1:
            if design.lonely_psu in ("remove", "certainty", "average"):
                continue
            if design.lonely_psu == "fail":
                raise ValueError(f"Stratum ({st.strata_labels[h]}) has only one PSU; choose another lonely_psu")
        mult = np.ones(design.n)
        mult[in_h] = nh / (nh - 1) if nh > 1 else 1.0
        mult[rows] = 0.0
        cols.append(mult)
        rscales.append((nh - 1) / nh if n_strata > 1 else 1.0)
    m = np.column_stack(cols)
    if n_strata > 1:
        return ReplicateDesign(np.asarray(design.sampling_weights, float), m, 1.0, np.array(rscales), False, "JKn",
                               clusters)
    k = uniq.shape[0]
    return ReplicateDesign(np.asarray(design.sampling_weights, float), m, (k - 1) / k, np.ones(k), False, "JK1",
                           clusters)


def bootstrap(design: Design, *, replicates: int = 500, seed: int | None = None) -> ReplicateDesign:
    """Rescaled bootstrap of Rao and Wu (1988): in each stratum draw n_h - 1 PSUs with
    replacement; multiplier = count x n_h / (n_h - 1); scale 1 / (R - 1)
    (R ``as.svrepdesign(type = "subbootstrap")``)."""
    if replicates < 2:
        raise ValueError(f"replicates must be at least 2; got {replicates}")
    rng = np.random.default_rng(seed)
    st = design.stages[0]
    n_clusters = int(st.clusters.max()) + 1
    cm = np.ones((n_clusters, replicates))
    # each cluster's stratum (clusters are nested in strata): the PSUs of a stratum without a
    # pass over the respondents per stratum
    stratum_of = np.full(n_clusters, -1, dtype=np.int64)
    stratum_of[st.clusters] = st.strata
    nested = bool(np.array_equal(stratum_of[st.clusters], st.strata))
    for h in np.unique(stratum_of[stratum_of >= 0] if nested else st.strata):
        psus = np.flatnonzero(stratum_of == h) if nested else np.unique(st.clusters[st.strata == h])
        nh = psus.shape[0]
        if nh < 2:
            continue
        draws = rng.integers(0, nh, size=(replicates, nh - 1))
        counts = np.zeros((replicates, nh))
        for r in range(replicates):
            counts[r] = np.bincount(draws[r], minlength=nh)
        cm[psus] = (counts * nh / (nh - 1)).T
    return ReplicateDesign(np.asarray(design.sampling_weights, float), None, 1 / (replicates - 1),
                           np.ones(replicates), False, "bootstrap", st.clusters, cm)


def _finish(value: float, var: float, y: np.ndarray, w: np.ndarray, design: ReplicateDesign) -> Estimate:
    return Estimate(value=value, std_error=math.sqrt(max(var, 0.0)), df=float(design.replicates - 1),
                    n=int(((w > 0) & ~np.isnan(y)).sum()), n_effective=kish_effective_n(np.where(np.isnan(y), 0, w)))


def replicate_mean(y: Any, design: ReplicateDesign, *, domain: Any = None) -> Estimate:
    yv = np.asarray(y, dtype=float)
    use = ~np.isnan(yv) if domain is None else (~np.isnan(yv) & np.asarray(domain, dtype=bool))
    yy = np.where(use, yv, 0.0)

    def stat(w: np.ndarray) -> float:
        wu = np.where(use, w, 0.0)
        s = wu.sum()
        return float(wu @ yy / s) if s > 0 else math.nan
    value, var = design.estimate(stat)
    return _finish(value, var, np.where(use, yv, np.nan), design.sampling_weights, design)


def replicate_total(y: Any, design: ReplicateDesign, *, domain: Any = None) -> Estimate:
    yv = np.asarray(y, dtype=float)
    use = ~np.isnan(yv) if domain is None else (~np.isnan(yv) & np.asarray(domain, dtype=bool))
    yy = np.where(use, yv, 0.0)
    value, var = design.estimate(lambda w: float(w @ yy))
    return _finish(value, var, np.where(use, yv, np.nan), design.sampling_weights, design)


def replicate_ratio(numerator: Any, denominator: Any, design: ReplicateDesign) -> Estimate:
    y = np.asarray(numerator, dtype=float)
    x = np.asarray(denominator, dtype=float)
    use = ~np.isnan(y) & ~np.isnan(x)
    yy, xx = np.where(use, y, 0.0), np.where(use, x, 0.0)
    value, var = design.estimate(lambda w: float(w @ yy) / float(w @ xx))
    return _finish(value, var, np.where(use, y, np.nan), design.sampling_weights, design)
