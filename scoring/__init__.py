"""manyi scoring: pure numerics on numpy arrays (stdlib, numpy and scipy only).

Shaped like R's ``survey`` package (Lumley) and numerically equal to it (tests/scoring checks
R 4.x fixtures to 1e-8):

Designs and weighting
    survey_design(psu=, strata=, sampling_weights= | probabilities=, fpc=, nest=, lonely_psu=)
        -> Design (R svydesign; multistage with a list per stage)
    poststratify(design, cells, population)                 (R postStratify)
    rake(design, [(labels, population), ...])               (R rake; convergence recorded)
    calibrate(design, model_matrix, totals, calfun=, bounds=)   (R calibrate: linear, raking, logit)
    trim_weights(design, lower=, upper=)                    (R trimWeights)
    kish_effective_n(weights), degrees_of_freedom(design)
    jackknife(design), bootstrap(design, replicates=, seed=), replicate_design(...)

Estimates (data first, design second, options keyword-only; NaN = missing, left out)
    mean, total, proportion (logit interval), ratio, quantile (Woodruff), means + contrast,
    mean_by / total_by (domains inside the full design), replicate_mean / _total / _ratio

Tests
    chisq (Rao-Scott F or Chisq), compare_means (svyttest), wald_test, adjust_p (holm, bh)

Indicator weights
    ahp_weights, combine_judgements (AHP with Saaty's consistency ratio)

Every result is a frozen dataclass of plain floats; estimates have
``confidence_interval(confidence_level=0.95)`` using Student t with the design's degrees of
freedom (R's ``confint`` on ``svystat`` uses the normal unless ``df`` is given).
"""

from ._results import (
    ConfidenceInterval, Estimate, EstimateSet, ProportionEstimate, QuantileEstimate, TestResult, WeightingRecord,
)
from .design import LONELY_PSU, Design, degrees_of_freedom, kish_effective_n, survey_design
from .estimates import contrast, mean, mean_by, means, proportion, quantile, ratio, total, total_by
from .replicates import (
    ReplicateDesign, bootstrap, jackknife, replicate_design, replicate_mean, replicate_ratio, replicate_total,
)
from .significance import adjust_p, chisq, compare_means, wald_test
from .weighting import calibrate, poststratify, rake, trim_weights
from .weights import AhpResult, ahp_weights, combine_judgements

__all__ = [
    "ConfidenceInterval", "Estimate", "EstimateSet", "ProportionEstimate", "QuantileEstimate", "TestResult",
    "WeightingRecord", "LONELY_PSU", "Design", "degrees_of_freedom", "kish_effective_n", "survey_design",
    "contrast", "mean", "mean_by", "means", "proportion", "quantile", "ratio", "total", "total_by",
    "ReplicateDesign", "bootstrap", "jackknife", "replicate_design", "replicate_mean", "replicate_ratio",
    "replicate_total", "adjust_p", "chisq", "compare_means", "wald_test", "calibrate", "poststratify", "rake",
    "trim_weights", "AhpResult", "ahp_weights", "combine_judgements",
]
