"""Result types: frozen dataclasses of plain floats with confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from scipy import stats

__all__ = ["ConfidenceInterval", "Estimate", "ProportionEstimate", "QuantileEstimate", "EstimateSet",
           "WeightingRecord", "TestResult", "critical_value"]


@lru_cache(maxsize=4096)
def critical_value(confidence_level: float, df: float) -> float:
    """Two-sided critical value: Student t with `df`, or normal when df is infinite."""
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1 (exclusive); got {confidence_level!r}")
    q = 1 - (1 - confidence_level) / 2
    if df is None or math.isinf(df):
        return float(stats.norm.ppf(q))
    if not df > 0:
        return math.nan
    return float(stats.t.ppf(q, df))


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    low: float
    high: float
    confidence_level: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """A design-based estimate. `df` is the design's degrees of freedom (number of PSUs minus
    number of strata); the interval uses Student t with it (`df = inf` gives the normal)."""

    value: float
    std_error: float
    df: float
    n: int
    n_effective: float = math.nan
    design_effect: float = math.nan
    notes: tuple[str, ...] = ()

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        c = critical_value(confidence_level, self.df)
        return ConfidenceInterval(self.value - c * self.std_error, self.value + c * self.std_error,
                                  confidence_level)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProportionEstimate(Estimate):
    """A proportion; its interval is computed on the logit scale and mapped back, so it stays
    inside (0, 1) (R `svyciprop(method = "logit")`)."""

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        p = self.value
        if not 0 < p < 1:
            return ConfidenceInterval(p, p, confidence_level)
        eta = math.log(p / (1 - p))
        se = self.std_error / (p * (1 - p))
        c = critical_value(confidence_level, self.df)

        def expit(x: float) -> float:
            return 1 / (1 + math.exp(-x))
        return ConfidenceInterval(expit(eta - c * se), expit(eta + c * se), confidence_level)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantileEstimate:
    """A quantile with its Woodruff interval (computed at `confidence_level` when estimated);
    `std_error` is the interval's width over twice the critical value, as R reports it."""

    probability: float
    value: float
    low: float
    high: float
    std_error: float
    df: float
    n: int
    confidence_level: float
    notes: tuple[str, ...] = ()

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        if confidence_level is not None and abs(confidence_level - self.confidence_level) > 1e-12:
            raise ValueError(f"this quantile's interval was computed at confidence_level={self.confidence_level}; "
                             "estimate the quantile again with the level wanted")
        return ConfidenceInterval(self.low, self.high, self.confidence_level)


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateSet:
    """Several estimates from one design with their covariance (for contrasts)."""

    names: tuple[str, ...]
    values: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    df: float
    n: int
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Estimate:
        try:
            k = self.names.index(name)
        except ValueError:
            raise KeyError(f"no estimate named {name!r}; names are {', '.join(self.names)}") from None
        return Estimate(value=self.values[k], std_error=math.sqrt(max(self.covariance[k][k], 0.0)),
                        df=self.df, n=self.n, notes=self.notes)

    @property
    def std_errors(self) -> tuple[float, ...]:
        return tuple(math.sqrt(max(self.covariance[k][k], 0.0)) for k in range(len(self.names)))


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightingRecord:
    """How a design's weights were made."""

    method: str
    iterations: int
    converged: bool
    max_margin_error: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """A significance test. `df` is the (numerator) degrees of freedom; `df_denominator` is
    set for F statistics."""

    statistic: float
    p_value: float
    df: float
    method: str
    df_denominator: float = math.nan
    estimate: float = math.nan
    std_error: float = math.nan
    notes: tuple[str, ...] = ()

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """Interval of `estimate` (t with `df`) for tests of a difference."""
        c = critical_value(confidence_level, self.df)
        return ConfidenceInterval(self.estimate - c * self.std_error, self.estimate + c * self.std_error,
                                  confidence_level)
