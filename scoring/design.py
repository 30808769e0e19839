"""Survey designs and their variance by Taylor linearisation, as R's `survey` package.

A :class:`Design` is built once by :func:`survey_design` (R ``svydesign``) and never
mutated; weighting (:mod:`scoring.weighting`) returns a new one. The variance of a linearised
statistic follows ``survey:::svyrecvar``: the influence values are first residualised on each
calibration made (post-stratification, raking, GREG calibration), then summed to PSU totals,
centred within strata and scaled by ``(1 - f) n_h / (n_h - 1)``; with population sizes at
every stage the later stages add their own terms (multistage). Lonely PSUs are treated as R's
``survey.lonely.psu`` option says.

Influence values are held as a sparse matrix X (n x d) minus a low-rank part B C (n x k times
k x d), so that the residualisation for calibration never makes thousands of domain columns
dense: every estimate needs only sums by (stratum, PSU, calibration cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from ._results import WeightingRecord

__all__ = ["Design", "Stage", "survey_design", "LONELY_PSU", "PostStratification", "Raking", "Greg",
           "degrees_of_freedom", "degrees_of_freedom_by", "kish_effective_n", "collapse"]

LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")


def factorize(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, code of each value): np.unique(return_inverse) in linear time
    for small non-negative integers, which is what ids and codes usually are."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi < max(4 * arr.size, 1 << 16):
            present = np.bincount(arr, minlength=hi + 1) > 0
            mapping = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(arr.dtype), mapping[arr].astype(np.int64)
    labels, codes = np.unique(arr, return_inverse=True)
    return labels, codes.astype(np.int64).ravel()


def grouping(values: Any, n: int, name: str = "groups") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted labels, code of each respondent with -1 where missing, present mask) of a
    grouping variable; missing is NaN or None."""
    g = np.asarray(values)
    if g.shape != (n,):
        raise ValueError(f"{name} must be one value per respondent ({n}); got shape {g.shape}")
    if g.dtype.kind == "f":
        present = ~np.isnan(g)
    elif g.dtype == object:
        present = np.array([v is not None for v in g.tolist()], dtype=bool)
    else:
        present = np.ones(n, dtype=bool)
    labels, codes = np.unique(g[present], return_inverse=True)
    full = np.full(n, -1, dtype=np.int64)
    full[present] = codes.ravel()
    return labels, full, present


def _codes(values: Any, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be one value per respondent ({n}); got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{name} has missing values")
    if arr.dtype == object and any(v is None for v in arr):
        raise ValueError(f"{name} has missing values")
    return factorize(arr)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """Codes of the combinations of several code arrays, numbered in sorted order."""
    key = np.zeros(codes[0].shape[0], dtype=np.int64)
    for c in codes:
        key = key * (int(c.max()) + 1 if c.size else 1) + c
    return factorize(key)[1]


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage. `strata` and `clusters` are integer codes over all respondents
    (stratum codes already nested in the previous stage's clusters); `n_psu` is the number of
    clusters sampled in the respondent's stratum; `popsize` the number in the population, or
    None (sampling with replacement)."""

    strata: np.ndarray
    clusters: np.ndarray
    n_psu: np.ndarray
    popsize: np.ndarray | None
    strata_labels: np.ndarray
    aggregate: Any = field(repr=False)  # sparse (clusters x n) sum operator


@dataclass(frozen=True, eq=False)
class PostStratification:
    cells: np.ndarray
    weights: np.ndarray
    old_weights: np.ndarray
    multiplicity: np.ndarray | None = None  # respondents per row of a collapsed design


@dataclass(frozen=True, eq=False)
class Raking:
    margins: tuple[tuple[np.ndarray, np.ndarray], ...]  # (category codes, weights after that step)
    passes: int = 10
    multiplicity: np.ndarray | None = None  # respondents per row of a collapsed design

    @cached_property
    def parts(self) -> tuple:
        """Basis of the correction (n x K sparse), group-mean operators, counts, offsets and
        the operators applied to the basis: independent of the statistic, made once."""
        ops, counts, offsets = [], [], [0]
        n = self.margins[0][0].shape[0]
        mult = np.ones(n) if self.multiplicity is None else self.multiplicity
        for codes, psw in self.margins:
            m = int(codes.max()) + 1
            inv = np.divide(1.0, psw, out=np.zeros_like(psw, dtype=float), where=psw != 0)
            ops.append(_scaled_group_op(codes, m, inv))
            counts.append(np.bincount(codes, weights=mult, minlength=m).astype(float))
            offsets.append(offsets[-1] + m)
        # one row per respondent, one entry per margin: build the CSR arrays directly
        k = len(self.margins)
        indices = np.empty((n, k), dtype=np.int64)
        data = np.empty((n, k))
        for j, (codes, psw) in enumerate(self.margins):
            indices[:, j] = codes + offsets[j]
            data[:, j] = psw * mult
        B = sp.csr_matrix((data.ravel(), indices.ravel(), np.arange(0, n * k + 1, k)), shape=(n, offsets[-1]))
        H = [_dense(op @ B) for op in ops]
        return B, ops, counts, offsets, H


@dataclass(frozen=True, eq=False)
class Greg:
    basis: np.ndarray  # orthonormal basis (n x k) of the model matrix times sqrt(old weights)
    w: np.ndarray  # g * sqrt(old weights)
    multiplicity: np.ndarray | None = None  # respondents per row of a collapsed design


Calibration = PostStratification | Raking | Greg


@dataclass(frozen=True, eq=False)
class Design:
    """A survey design: sampling weights, stages, calibrations made, and how weights were made."""

    sampling_weights: np.ndarray
    stages: tuple[Stage, ...]
    lonely_psu: str = "fail"
    calibrations: tuple[Calibration, ...] = ()
    weighting: WeightingRecord | None = None
    notes: tuple[str, ...] = ()
    #: respondents per row when rows stand for groups of identical respondents (collapse)
    multiplicity: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.sampling_weights.shape[0])

    def with_weights(self, sampling_weights: np.ndarray, *, calibration: Calibration | None = None,
                     weighting: WeightingRecord | None = None) -> "Design":
        w = np.array(sampling_weights, dtype=float)
        w.setflags(write=False)
        cal = self.calibrations + ((calibration,) if calibration is not None else ())
        return replace(self, sampling_weights=w, calibrations=cal, weighting=weighting or self.weighting)

    def with_lonely_psu(self, lonely_psu: str) -> "Design":
        if lonely_psu not in LONELY_PSU:
            raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}; got {lonely_psu!r}")
        return replace(self, lonely_psu=lonely_psu)

    # -- variance ------------------------------------------------------------------------
    def variance(self, influence: Any, *, diagonal_only: bool = False) -> np.ndarray:
        """Variance (d x d), or its diagonal, of totals of weighted influence values (n x d,
        dense or sparse): R ``svyrecvar``."""
        X = influence
        if not sp.issparse(X):
            X = np.asarray(X, dtype=float)
            if X.ndim == 1:
                X = X[:, None]
        if X.shape[0] != self.n:
            raise ValueError(f"influence must have {self.n} rows; got {X.shape[0]}")
        lowrank = _residualise(X, self.calibrations)
        return _multistage(X, lowrank, self.stages, self.lonely_psu, diagonal_only)


def collapse(design: Design, groups: np.ndarray) -> tuple[Design, np.ndarray, sp.csr_matrix]:
    """The design with one row per group of respondents (codes 0..G-1) who share every design
    and calibration attribute: their PSUs at all stages, their weight, and their calibration
    cells and weights. Returns the collapsed design, the respondents per group, and the
    (G x n) operator that sums respondents' values into their group: totals of influence
    values summed this way give exactly the variance of the full design. Raises ValueError if
    a group mixes respondents that differ in any of those attributes."""
    g = np.asarray(groups, dtype=np.int64)
    if g.shape != (design.n,):
        raise ValueError(f"groups must be one code per respondent ({design.n})")
    G = int(g.max()) + 1 if g.size else 0
    first = np.full(G, -1, dtype=np.int64)
    first[g[::-1]] = np.arange(g.shape[0])[::-1]
    mult = np.bincount(g, minlength=G).astype(float)
    op = sp.csr_matrix((np.ones(design.n), (g, np.arange(design.n))), shape=(G, design.n))

    def same(values: np.ndarray, what: str) -> np.ndarray:
        rep = values[first]
        if not np.array_equal(rep[g], values):
            raise ValueError(f"a group mixes respondents with different {what}; add it to the group key")
        return rep

    w = same(np.asarray(design.sampling_weights), "weights")
    stages = []
    for k, st in enumerate(design.stages):
        strata = same(st.strata, f"strata (stage {k + 1})")
        clusters = same(st.clusters, f"PSUs (stage {k + 1})")
        m = int(clusters.max()) + 1
        stages.append(Stage(strata, clusters, st.n_psu[first], None if st.popsize is None else st.popsize[first],
                            st.strata_labels, _sum_operator(clusters, m)))
    cals: list[Calibration] = []
    for cal in design.calibrations:
        if isinstance(cal, Raking):
            cals.append(Raking(tuple((same(c, "raking cells"), same(np.asarray(p), "raking weights"))
                                     for c, p in cal.margins), cal.passes, mult))
        elif isinstance(cal, PostStratification):
            cals.append(PostStratification(same(cal.cells, "post-strata"), same(cal.weights, "weights"),
                                           same(cal.old_weights, "weights"), mult))
        else:
            basis = cal.basis[first]
            if not np.allclose(basis[g], cal.basis, rtol=1e-12, atol=0):
                raise ValueError("a group mixes respondents with different calibration variables")
            cals.append(Greg(basis, same(cal.w, "calibration weights"), mult))
    out = replace(design, sampling_weights=w, stages=tuple(stages), calibrations=tuple(cals), multiplicity=mult)
    return out, mult, op


def _sum_operator(codes: np.ndarray, m: int) -> sp.csr_matrix:
    n = codes.shape[0]
    return sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(m, n))


def _group_sums(codes: np.ndarray, values: Any, m: int) -> np.ndarray:
    """Sums of rows of `values` (n x d dense or sparse) by code -> (m x d) dense."""
    return _dense(_sum_operator(codes, m) @ values)


def survey_design(*, psu: Any = None, strata: Any = None, sampling_weights: Any = None,
                  probabilities: Any = None, fpc: Any = None, nest: bool = False,
                  lonely_psu: str = "fail", n: int | None = None) -> Design:
    """A design, as R ``svydesign``.

    psu: cluster ids of the first stage, or a list with one array per stage (multistage);
        None means every respondent is its own PSU (``id = ~1``).
    strata: stratum of the first stage, or a list per stage; None means one stratum.
    sampling_weights / probabilities: one per respondent (give one of them); without either,
        weights come from `fpc` (the product of stage sampling fractions) or are 1.
    fpc: population size, or sampling fraction (all values <= 1), per stage (array or list).
    nest: PSU ids are only unique within strata (relabel them); otherwise a PSU id seen in
        two strata is an error, as in R.
    lonely_psu: what a stratum with one PSU does to a variance: fail, remove, certainty,
        adjust or average (R's ``survey.lonely.psu``).
    """
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}; got {lonely_psu!r}")
    if sampling_weights is not None and probabilities is not None:
        raise ValueError("give sampling_weights or probabilities, not both")
    first = next((a for a in (sampling_weights, probabilities) if a is not None), None)
    ids = _per_stage(psu)
    nstage = len(ids)
    stratas = _per_stage(strata, nstage)
    fpcs = _per_stage(fpc, nstage)
    if n is None:
        for cand in (first, ids[0], stratas[0], fpcs[0]):
            if cand is not None:
                n = len(cand)
                break
    if n is None:
        raise ValueError("cannot tell the number of respondents: give sampling_weights, psu, strata or n")
    if len(stratas) != nstage or len(fpcs) != nstage:
        raise ValueError(f"psu has {nstage} stage(s); strata and fpc lists must have as many")
    stages: list[Stage] = []
    parent = np.zeros(n, dtype=np.int64)
    probs_from_fpc = np.ones(n)
    have_fpc = True
    for k in range(nstage):
        if ids[k] is None:
            _, cl = (np.arange(n), np.arange(n, dtype=np.int64))
        else:
            _, cl = _codes(ids[k], f"psu (stage {k + 1})", n)
        if stratas[k] is None:
            slabels, st = np.array([1]), np.zeros(n, dtype=np.int64)
        else:
            slabels, st = _codes(stratas[k], f"strata (stage {k + 1})", n)
        if k == 0 and not nest and stratas[k] is not None and ids[k] is not None:
            pairs = factorize(cl * (int(st.max()) + 1) + st)[0] // (int(st.max()) + 1)
            if np.unique(pairs).shape[0] != pairs.shape[0]:
                raise ValueError("psu ids are repeated in different strata; pass nest=True if ids are only "
                                 "unique within strata")
        stratum = _combine(parent, st)
        cluster = _combine(stratum, cl)
        # number of clusters per stratum
        m_clusters = int(cluster.max()) + 1
        cl_stratum = np.zeros(m_clusters, dtype=np.int64)
        cl_stratum[cluster] = stratum
        per_stratum = np.bincount(cl_stratum, minlength=int(stratum.max()) + 1)
        n_psu = per_stratum[stratum].astype(float)
        popsize = None
        if fpcs[k] is not None:
            f = np.asarray(fpcs[k], dtype=float)
            if f.shape != (n,):
                raise ValueError(f"fpc (stage {k + 1}) must be one value per respondent ({n})")
            if np.isnan(f).any() or (f <= 0).any():
                raise ValueError(f"fpc (stage {k + 1}) must be positive and not missing")
            popsize = n_psu / f if np.all(f <= 1) else f
            # constant within strata
            lo = np.full(per_stratum.shape[0], np.inf)
            hi = np.full(per_stratum.shape[0], -np.inf)
            np.minimum.at(lo, stratum, popsize)
            np.maximum.at(hi, stratum, popsize)
            if np.any(hi - lo > 1e-9 * np.maximum(1, hi)):
                raise ValueError(f"fpc (stage {k + 1}) varies within a stratum")
            if np.any(popsize < n_psu - 1e-9):
                raise ValueError(f"fpc (stage {k + 1}) is smaller than the number of sampled units")
            probs_from_fpc = probs_from_fpc * (n_psu / popsize)
        else:
            have_fpc = False
        sl = slabels[np.zeros(per_stratum.shape[0], dtype=np.int64)] if stratas[k] is None else None
        # labels of the combined strata for messages: the stage's own stratum label
        lab = np.empty(per_stratum.shape[0], dtype=object)
        lab[stratum] = slabels[st]
        del sl
        stages.append(Stage(stratum, cluster, n_psu, popsize, lab, _sum_operator(cluster, m_clusters)))
        parent = cluster
    notes: tuple[str, ...] = ()
    if sampling_weights is not None:
        w = np.asarray(sampling_weights, dtype=float)
    elif probabilities is not None:
        p = np.asarray(probabilities, dtype=float)
        w = 1 / p
    elif have_fpc and fpcs[0] is not None:
        w = 1 / probs_from_fpc
    else:
        w = np.ones(n)
        notes = ("no weights or probabilities given: equal weights assumed",)
    if w.shape != (n,):
        raise ValueError(f"sampling_weights must be one value per respondent ({n}); got shape {w.shape}")
    if np.isnan(w).any() or (w < 0).any() or np.isinf(w).any():
        raise ValueError("sampling_weights must be finite, non-negative and not missing")
    w = w.copy()
    w.setflags(write=False)
    return Design(w, tuple(stages), lonely_psu, (), None, notes)


def _per_stage(arg: Any, nstage: int | None = None) -> list:
    """One entry per stage: a list or tuple of arrays is per stage, anything else is stage 1."""
    if isinstance(arg, (list, tuple)) and arg and all(
            a is None or (hasattr(a, "__len__") and not isinstance(a, (str, bytes))) for a in arg):
        stages = list(arg)
    else:
        stages = [arg]
    if nstage is not None and len(stages) == 1 and nstage > 1:
        stages = stages + [None] * (nstage - 1)
    return stages


def kish_effective_n(sampling_weights: Any) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 of the positive weights."""
    w = np.asarray(sampling_weights, dtype=float)
    w = w[w > 0]
    if w.size == 0:
        return math.nan
    return float(w.sum() ** 2 / np.square(w).sum())


def degrees_of_freedom(design: Design, mask: np.ndarray | None = None) -> float:
    """Design degrees of freedom: first-stage PSUs minus strata among respondents with a
    positive weight (R ``degf``)."""
    inset = design.sampling_weights != 0
    if mask is not None:
        inset = inset & mask
    st = design.stages[0]
    return float(np.unique(st.clusters[inset]).shape[0] - np.unique(st.strata[inset]).shape[0])


def degrees_of_freedom_by(design: Design, codes: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Degrees of freedom of each of `k` domains (codes 0..k-1 where `mask`): first-stage PSUs
    minus strata among the domain's respondents with a positive weight, as R ``degf`` of the
    subset design."""
    st = design.stages[0]
    inset = mask & (design.sampling_weights != 0)
    c = codes[inset]
    psus = np.unique(c * (int(st.clusters.max()) + 1) + st.clusters[inset])
    strata = np.unique(c * (int(st.strata.max()) + 1) + st.strata[inset])
    n_psu = np.bincount(psus // (int(st.clusters.max()) + 1), minlength=k)
    n_str = np.bincount(strata // (int(st.strata.max()) + 1), minlength=k)
    return (n_psu - n_str).astype(float)


# ---- residualisation for calibration ----------------------------------------------------


class _LowRank:
    """The part subtracted from X: the sum of B_i (n x k_i, sparse or dense) @ C_i (k_i x d)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[Any, np.ndarray]] = []

    def add(self, B: Any, C: np.ndarray) -> None:
        self.blocks.append((B, C))

    def left(self, op: Any) -> np.ndarray | None:
        """op @ (sum B_i C_i) for a (m x n) operator, or None when there is nothing."""
        out = None
        for B, C in self.blocks:
            part = op @ B
            part = part.toarray() if sp.issparse(part) else np.asarray(part)
            term = part @ C
            out = term if out is None else out + term
        return out


def _dense(a: Any) -> np.ndarray:
    return a.toarray() if sp.issparse(a) else np.asarray(a)


def _indicator(codes: np.ndarray, values: np.ndarray, m: int) -> sp.csr_matrix:
    """n x m sparse matrix with values[i] at (i, codes[i])."""
    n = codes.shape[0]
    return sp.csr_matrix((values, (np.arange(n), codes)), shape=(n, m))


def _scaled_group_op(codes: np.ndarray, m: int, row_scale: np.ndarray) -> sp.csr_matrix:
    """m x n operator: sums by code of rows scaled by row_scale."""
    n = codes.shape[0]
    return sp.csr_matrix((row_scale, (codes, np.arange(n))), shape=(m, n))


def _residualise(X: Any, calibrations: Sequence[Calibration]) -> _LowRank:
    low = _LowRank()
    d = X.shape[1]
    for cal in calibrations:
        if isinstance(cal, Greg):
            w = cal.w
            inv = np.divide(1.0, w, out=np.zeros_like(w), where=w != 0)
            op = sp.csr_matrix(cal.basis.T * inv[None, :])  # k x n: Q' diag(1/w)
            coef = _dense(op @ X)
            sub = low.left(op)
            if sub is not None:
                coef = coef - sub
            mult = 1.0 if cal.multiplicity is None else cal.multiplicity[:, None]
            low.add(cal.basis * w[:, None] * mult, coef)
        elif isinstance(cal, Raking):
            # The correction of every pass lies in the span of psw_m * 1[category]: iterate
            # on the coefficients only (small matrices), as R's 10 passes over the margins.
            B, ops, counts, offsets, H = cal.parts
            K = offsets[-1]
            C = np.zeros((K, d))
            G = []
            for op in ops:
                g = _dense(op @ X)
                sub = low.left(op)
                if sub is not None:
                    g = g - sub
                G.append(g)
            for _ in range(cal.passes):
                for j in range(len(ops)):
                    means = (G[j] - H[j] @ C) / counts[j][:, None]
                    C[offsets[j]:offsets[j + 1]] += means
            low.add(B, C)
        else:
            psw = np.array(cal.weights, dtype=float)
            oldw = cal.old_weights
            zero = (psw == 0) & (oldw == 0)
            psw[zero] = 1.0
            codes = cal.cells
            m = int(codes.max()) + 1
            mult = np.ones_like(psw) if cal.multiplicity is None else cal.multiplicity
            ratio = np.divide(oldw, psw, out=np.zeros_like(psw), where=psw != 0)
            oldsum = np.bincount(codes, weights=oldw * mult, minlength=m)
            op = _scaled_group_op(codes, m, ratio)
            means = _dense(op @ X)
            sub = low.left(op)
            if sub is not None:
                means = means - sub
            means = means / np.where(oldsum == 0, 1, oldsum)[:, None]
            low.add(_indicator(codes, psw * mult, m), means)
    return low


# ---- multistage variance ----------------------------------------------------------------


def _multistage(X: Any, low: _LowRank, stages: Sequence[Stage], lonely: str, diagonal_only: bool,
                k: int = 0, factor: np.ndarray | None = None) -> np.ndarray:
    st = stages[k]
    if diagonal_only and sp.issparse(X):
        # many columns (domains): never form the clusters x columns matrix
        P = sp.csr_matrix(st.aggregate @ X)
        parts = [(_dense(st.aggregate @ B), C) for B, C in low.blocks]
        Q = np.hstack([q for q, _ in parts]) if parts else np.zeros((P.shape[0], 0))
        C = np.vstack([c for _, c in parts]) if parts else np.zeros((0, P.shape[1]))
        v = _onestage_sparse_diag(P, Q, C, st, lonely, k, factor)
    else:
        T = _dense(st.aggregate @ X)
        sub = low.left(st.aggregate)
        if sub is not None:
            T = T - sub
        v = _onestage(T, st, lonely, diagonal_only, k, factor)
    if k + 1 < len(stages) and st.popsize is not None:
        frac = st.n_psu / st.popsize
        f_rows = frac if factor is None else factor * frac
        v = v + _multistage(X, low, stages, lonely, diagonal_only, k + 1, f_rows)
    return v


@dataclass(frozen=True)
class _StageTerms:
    c_stratum: np.ndarray    # stratum of each cluster
    npsu: np.ndarray         # clusters in the cluster's stratum
    scale: np.ndarray        # (1 - f) n / (n - 1) (times any factor), 0 where no variance
    centre: np.ndarray       # False where a cluster is not centred (lonely, "adjust")
    n_strata: int
    inflate: float           # R's "average": strata / strata with a variance


def _stage_terms(st: Stage, m: int, lonely: str, k: int, factor: np.ndarray | None) -> _StageTerms:
    first = np.zeros(m, dtype=np.int64)
    first[st.clusters[::-1]] = np.arange(st.clusters.shape[0])[::-1]
    c_stratum = st.strata[first]
    npsu = st.n_psu[first]
    if st.popsize is None:
        f = np.ones(m)
    else:
        pop = st.popsize[first]
        f = np.where(np.isinf(pop), 1.0, (pop - npsu) / pop)
    scale = np.where(npsu > 1, f * npsu / np.maximum(npsu - 1, 1), f)
    if factor is not None:
        scale = scale * factor[first]
    n_strata = int(st.strata.max()) + 1
    # strata whose every f < 1e-7 are certainty strata: no variance at this stage
    fmax = np.zeros(n_strata)
    np.maximum.at(fmax, c_stratum, f)
    cert = fmax < 1e-7
    lonely_c = npsu == 1
    if lonely_c.any() and lonely == "fail":
        bad = np.unique(c_stratum[lonely_c & ~cert[c_stratum]])
        if bad.size:
            raise ValueError(f"Stratum ({st.strata_labels[bad[0]]}) has only one PSU at stage {k + 1}; "
                             "choose lonely_psu = remove, certainty, adjust or average")
    centre = ~lonely_c if lonely == "adjust" else np.ones(m, dtype=bool)
    keep = ~cert[c_stratum]
    inflate = 1.0
    if lonely == "average":
        excluded = np.unique(c_stratum[lonely_c]).size
        keep &= ~lonely_c
        if excluded:
            nstrat = np.unique(st.strata).shape[0]
            inflate = nstrat / (nstrat - excluded)
    return _StageTerms(c_stratum, npsu, np.where(keep, scale, 0.0), centre, n_strata, inflate)


def _onestage(T: np.ndarray, st: Stage, lonely: str, diagonal_only: bool, k: int,
              factor: np.ndarray | None) -> np.ndarray:
    t = _stage_terms(st, T.shape[0], lonely, k, factor)
    sums = _group_sums(t.c_stratum, T, t.n_strata)
    centred = T - np.where(t.centre[:, None], sums[t.c_stratum] / t.npsu[:, None], 0.0)
    Z = centred * np.sqrt(t.scale)[:, None]
    v = np.einsum("ij,ij->j", Z, Z) if diagonal_only else Z.T @ Z
    return v * t.inflate


def _onestage_sparse_diag(P: sp.csr_matrix, Q: np.ndarray, C: np.ndarray, st: Stage, lonely: str, k: int,
                          factor: np.ndarray | None) -> np.ndarray:
    """Diagonal of the stage variance of T = P - Q C (P sparse clusters x columns, Q C the
    calibration part of rank K), without forming T: with the stratum centring written as
    P~ = P - E (H P) / n and Q~ = Q - E (H Q) / n,
    v_d = sum_c s_c P~_cd^2 - 2 sum_c s_c P~_cd (Q~ C)_cd + C_d' (Q~' S Q~) C_d."""
    m = P.shape[0]
    t = _stage_terms(st, m, lonely, k, factor)
    H = _sum_operator(t.c_stratum, t.n_strata)                    # strata x clusters
    E = sp.csr_matrix((t.centre / t.npsu, (np.arange(m), t.c_stratum)), shape=(m, t.n_strata))
    Pt = sp.csr_matrix(P - E @ (H @ P))
    Qt = Q - E @ (H @ Q) if Q.shape[1] else Q
    s = t.scale
    v = np.asarray(Pt.multiply(Pt).T @ s).ravel()
    if Q.shape[1]:
        # sum_c s_c P~_cd (Q~ C)_cd = sum_k C_kd (P~' S Q~)_dk
        R = np.asarray(Pt.T @ (Qt * s[:, None]))  # columns x K
        v -= 2 * np.einsum("kd,dk->d", C, R)
        M = Qt.T @ (Qt * s[:, None])
        v += np.einsum("kd,kl,ld->d", C, M, C)
    return v * t.inflate
