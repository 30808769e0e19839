"""Weighting: post-stratification, raking, calibration and trimming, as R's `survey`.

Each function takes a design and returns a new one whose `weighting` record says the method,
the iterations, whether it converged and the largest margin error. The variance of every
estimate on the new design accounts for the weighting the way R does (see scoring.design).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ._results import WeightingRecord
from .design import Design, Greg, PostStratification, Raking, factorize

__all__ = ["poststratify", "rake", "calibrate", "trim_weights", "CALIBRATION_FUNCTIONS"]

CALIBRATION_FUNCTIONS = ("linear", "raking", "logit")


def _cells(labels: Any, population: Mapping[Any, float], weights: np.ndarray, *, what: str,
           partial: bool = False) -> tuple[np.ndarray, np.ndarray, list]:
    """Codes of each respondent's cell, population count per code, and the cell labels."""
    arr = np.asarray(labels)
    if arr.shape != weights.shape:
        raise ValueError(f"{what} must be one value per respondent ({weights.shape[0]}); got shape {arr.shape}")
    uniq, codes = factorize(arr)
    sample = np.bincount(codes, weights=weights, minlength=uniq.shape[0])
    keyed = {str(k): float(v) for k, v in population.items()}
    pop = np.empty(uniq.shape[0])
    for i, u in enumerate(uniq):
        key = str(u)
        if key not in keyed:
            if sample[i] == 0:
                pop[i] = 0.0
                continue
            raise ValueError(f"{what}: category {u!r} is in the sample but has no population count")
        pop[i] = keyed[key]
    absent = [k for k in keyed if k not in {str(u) for u in uniq} or sample[[str(u) for u in uniq].index(k)] == 0]
    absent = [k for k in absent if keyed[k] > 0]
    if absent and not partial:
        raise ValueError(f"{what}: categories {', '.join(map(repr, absent))} have a population count but no "
                         "respondent with a positive weight; merge them (or pass partial=True to ignore them)")
    return codes, pop, list(uniq)


def poststratify(design: Design, cells: Any, population: Mapping[Any, float], *, partial: bool = False) -> Design:
    """Post-stratify to population counts of `cells` (R ``postStratify``)."""
    d = _poststratify(design, cells, population, partial=partial)
    achieved = np.bincount(d.calibrations[-1].cells, weights=d.sampling_weights)
    codes, pop, _ = _cells(cells, population, design.sampling_weights, what="cells", partial=partial)
    err = float(np.max(np.abs(achieved - pop))) if pop.size else 0.0
    return d.with_weights(d.sampling_weights, weighting=WeightingRecord(
        method="poststratify", iterations=1, converged=True, max_margin_error=err))


def _poststratify(design: Design, cells: Any, population: Mapping[Any, float], *, partial: bool = False) -> Design:
    w = design.sampling_weights
    codes, pop, _ = _cells(cells, population, w, what="cells", partial=partial)
    sample = np.bincount(codes, weights=w, minlength=pop.shape[0])
    reweight = np.divide(pop, sample, out=np.zeros_like(pop), where=sample != 0)
    new = w * reweight[codes]
    return design.with_weights(new, calibration=PostStratification(codes, np.asarray(new, float), np.asarray(w, float)))


def rake(design: Design, margins: Sequence[tuple[Any, Mapping[Any, float]]], *, max_iterations: int = 10,
         epsilon: float = 1.0) -> Design:
    """Rake (iterative proportional fitting) to the population counts of several margins,
    as R ``rake``: sweeps of post-stratification until the weighted cross-table of all
    margin variables moves by less than `epsilon` (a count; below 1, a share of the total
    weight) between sweeps, at most `max_iterations` sweeps. Not converging is recorded in
    ``design.weighting`` (``converged=False``), never silent."""
    if not margins:
        raise ValueError("margins must hold at least one (labels, population counts) pair")
    if max_iterations < 1:
        raise ValueError(f"max_iterations must be at least 1; got {max_iterations}")
    start = design
    eps = epsilon * float(np.sum(design.sampling_weights)) if epsilon < 1 else float(epsilon)
    cells = [_cells(labels, population, design.sampling_weights, what=f"margin {k + 1}")[:2]
             for k, (labels, population) in enumerate(margins)]
    cross = np.zeros(design.n, dtype=np.int64)
    for codes, _ in cells:
        cross = cross * (int(codes.max()) + 1) + codes
    cross = factorize(cross)[1]
    m = int(cross.max()) + 1
    old = np.bincount(cross, weights=design.sampling_weights, minlength=m)
    current = design
    converged = False
    sweeps = 0
    terms: list[tuple[np.ndarray, np.ndarray]] = []
    while sweeps < max_iterations:
        terms = []
        w = current.sampling_weights
        for codes, pop in cells:
            sample = np.bincount(codes, weights=w, minlength=pop.shape[0])
            reweight = np.divide(pop, sample, out=np.zeros_like(pop), where=sample != 0)
            w = w * reweight[codes]
            terms.append((codes, w))
        current = current.with_weights(w)
        sweeps += 1
        new = np.bincount(cross, weights=w, minlength=m)
        delta = float(np.max(np.abs(old - new)))
        if delta < eps:
            converged = True
            break
        old = new
    errors = []
    for codes, pop in cells:
        errors.append(float(np.max(np.abs(np.bincount(codes, weights=current.sampling_weights,
                                                       minlength=pop.shape[0]) - pop))))
    notes = () if converged else (f"raking did not converge in {max_iterations} sweeps "
                                  f"(last change {delta:.6g} >= {eps:.6g})",)
    record = WeightingRecord(method="rake", iterations=sweeps, converged=converged,
                             max_margin_error=max(errors), notes=notes)
    out = start.with_weights(current.sampling_weights, calibration=Raking(tuple(terms)), weighting=record)
    return out


# ---- calibration (GREG) ---------------------------------------------------------------------


def _calfun(name: str, lower: float, upper: float):
    if name == "linear":
        def fm1(u):
            return np.minimum(np.maximum(u + 1, lower), upper) - 1

        def df(u):
            return ((u < upper - 1) & (u > lower - 1)).astype(float)
    elif name == "raking":
        def fm1(u):
            with np.errstate(over="ignore"):
                return np.minimum(np.maximum(np.exp(u), lower), upper) - 1

        def df(u):
            with np.errstate(over="ignore"):
                return np.where((u < upper - 1) & (u > lower - 1), np.exp(u), 0.0)
    elif name == "logit":
        if not (math.isfinite(lower) and math.isfinite(upper)):
            raise ValueError("logit calibration needs finite bounds, e.g. bounds=(0.5, 2.0)")
        if not lower < 1 < upper:
            raise ValueError(f"logit calibration bounds must satisfy lower < 1 < upper; got ({lower}, {upper})")
        A = (upper - lower) / ((upper - 1) * (1 - lower))

        def fm1(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(A * u)
                return (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1

        def df(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(A * u)
                den = upper - 1 + (1 - lower) * e
                return upper * (1 - lower) * e * A / den - ((lower * (upper - 1) + upper * (1 - lower) * e)
                                                          * ((1 - lower) * e * A)) / den ** 2
    else:
        raise ValueError(f"calfun must be one of {', '.join(CALIBRATION_FUNCTIONS)}; got {name!r}")
    return fm1, df


def calibrate(design: Design, model_matrix: Any, population_totals: Any, *, calfun: str = "linear",
              bounds: tuple[float, float] = (-math.inf, math.inf), max_iterations: int = 50,
              epsilon: float = 1e-7, force: bool = False) -> Design:
    """Calibrate the weights so that weighted totals of the columns of `model_matrix` equal
    `population_totals` (R ``calibrate``): linear (GREG), raking or bounded logit distance,
    with R's Newton iterations and stopping rule. A calibration that does not converge
    raises ValueError, unless `force`, in which case the design records it."""
    X = np.asarray(model_matrix, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    w = np.asarray(design.sampling_weights, dtype=float)
    if X.shape[0] != w.shape[0]:
        raise ValueError(f"model_matrix must have one row per respondent ({w.shape[0]}); got {X.shape[0]}")
    pop = np.asarray(population_totals, dtype=float).ravel()
    if pop.shape[0] != X.shape[1]:
        raise ValueError(f"population_totals must have one value per column of model_matrix ({X.shape[1]}); "
                         f"got {pop.shape[0]}")
    if not np.all(np.isfinite(X)) or not np.all(np.isfinite(pop)):
        raise ValueError("model_matrix and population_totals must be finite (no missing values)")
    if calfun not in CALIBRATION_FUNCTIONS:
        raise ValueError(f"calfun must be one of {', '.join(CALIBRATION_FUNCTIONS)}; got {calfun!r}")
    lower, upper = float(bounds[0]), float(bounds[1])
    sample_total = X.T @ w
    if np.any(sample_total == 0):
        drop = (pop == 0) & np.all(X == 0, axis=0)
        X, pop, sample_total = X[:, ~drop], pop[~drop], sample_total[~drop]
    whalf = np.sqrt(w)
    basis, _ = np.linalg.qr(X * whalf[:, None])
    iterations = 1
    converged = True
    achieved = 0.0
    notes: list[str] = []
    if calfun == "linear" and math.isinf(lower) and math.isinf(upper):
        A = X * whalf[:, None]
        tT = np.linalg.solve(A.T @ A, pop - sample_total)
        g = 1 + X @ tT
    else:
        fm1, dF = _calfun(calfun, lower, upper)
        ww = w.copy()
        scales = pop / sample_total
        scale = None
        if np.min(scales) > 20:
            scale = float(np.mean(scales))
            ww = ww * scale
            sample_total = sample_total * scale
            notes.append(f"sampling weights rescaled by {scale:.3g} before calibration; bounds apply after it")
        eta = np.zeros(X.shape[1])
        xeta = X @ eta
        g = 1 + fm1(xeta)
        deriv = dF(xeta)
        while True:
            T = (X * (ww * deriv)[:, None]).T @ X
            misfit = pop - sample_total - X.T @ (ww * fm1(xeta))
            deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps) @ misfit
            eta = eta + deta
            xeta = X @ eta
            g = 1 + fm1(xeta)
            deriv = dF(xeta)
            while iterations < max_iterations and (not np.all(np.isfinite(g)) or not np.all(np.isfinite(deriv))):
                iterations += 1
                deta = deta / 2
                eta = eta - deta
                xeta = X @ eta
                g = 1 + fm1(xeta)
                deriv = dF(xeta)
            misfit = pop - sample_total - X.T @ (ww * fm1(xeta))
            rel = np.abs(misfit) / (1 + np.abs(pop))
            if np.all(rel < epsilon):
                break
            iterations += 1
            if iterations > max_iterations:
                achieved = float(np.max(rel))
                converged = False
                break
        if scale is not None:
            g = g * scale
    if not converged:
        message = f"calibration did not converge: largest relative misfit {achieved:.3g} after {max_iterations} iterations"
        if not force:
            raise ValueError(message + " (widen the bounds, or pass force=True to keep the weights)")
        notes.append(message)
    new = w * g
    err = float(np.max(np.abs(X.T @ new - pop))) if pop.size else 0.0
    record = WeightingRecord(method=f"calibrate:{calfun}", iterations=iterations, converged=converged,
                             max_margin_error=err, notes=tuple(notes))
    return design.with_weights(new, calibration=Greg(basis, g * whalf), weighting=record)


def trim_weights(design: Design, *, lower: float = -math.inf, upper: float = math.inf,
                 strict: bool = False, mask: Any = None) -> Design:
    """Trim weights to [lower, upper]; the amount cut is spread equally over the weights not
    trimmed, which keeps the total (R ``trimWeights``). With `strict`, repeat until no weight
    is outside the bounds. With `mask`, only those respondents' weights are trimmed or take a
    share of the cut; the others (e.g. excluded, with weight 0) keep theirs."""
    if lower > upper:
        raise ValueError(f"lower ({lower}) must not be above upper ({upper})")
    w = np.asarray(design.sampling_weights, dtype=float)
    inset = np.ones(w.shape[0], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    passes = 0
    trimmed = 0
    while True:
        outside = inset & ((w < lower) | (w > upper))
        if not outside.any():
            break
        inside = inset & ~outside
        if not inside.any():
            raise ValueError("every weight is outside the bounds; widen them")
        passes += 1
        trimmed = max(trimmed, int(outside.sum()))
        new = np.where(inset, np.clip(w, lower, upper), w)
        cut = w - new
        new[inside] += cut.sum() / inside.sum()
        w = new
        if not strict or passes >= 100:
            break
    still = int((inset & ((w < lower) | (w > upper))).sum())
    notes = (f"{trimmed} weights trimmed",) + ((f"{still} weights still outside the bounds after spreading "
                                                "the trimmed amount",) if still else ())
    record = WeightingRecord(method="trim", iterations=passes, converged=still == 0,
                             max_margin_error=0.0, notes=notes)
    return design.with_weights(w, weighting=record)
