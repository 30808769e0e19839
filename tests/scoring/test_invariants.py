"""Invariants of the estimators and weighting, and p-value adjustment against R."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scoring as sc
from tests.scoring._data import dataset


def _srs(n=400, N=10_000, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.normal(50, 10, n)
    d = sc.survey_design(sampling_weights=np.full(n, N / n), fpc=np.full(n, N))
    return y, d, N


def test_equal_weights_reduce_to_the_textbook_mean_and_total():
    y, d, N = _srs()
    n = y.size
    m = sc.mean(y, d)
    assert m.value == pytest.approx(y.mean(), rel=1e-12)
    se = math.sqrt((1 - n / N) * y.var(ddof=1) / n)
    assert m.std_error == pytest.approx(se, rel=1e-12)
    t = sc.total(y, d)
    assert t.value == pytest.approx(N * y.mean(), rel=1e-12)
    assert t.std_error == pytest.approx(N * se, rel=1e-12)
    assert m.n_effective == pytest.approx(n)
    assert m.df == n - 1


def test_proportion_of_srs_is_the_binomial_formula():
    rng = np.random.default_rng(2)
    x = rng.random(300) < 0.3
    d = sc.survey_design(sampling_weights=np.ones(300))
    p = sc.proportion(x, d)
    assert p.std_error == pytest.approx(math.sqrt(x.mean() * (1 - x.mean()) / (300 - 1) * (300 - 1) / 300 * 300 / 299),
                                        rel=1e-12)
    ci = p.confidence_interval()
    assert 0 < ci.low < p.value < ci.high < 1


def test_raked_weights_reproduce_every_margin():
    d = dataset("apiclus1")
    design = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"], fpc=d["fpc"])
    pops = [(d["stype"], {"E": 4421, "H": 755, "M": 1018}), (d["sch.wide"], {"No": 1072, "Yes": 5122}),
            (d["comp.imp"], {"No": 2500, "Yes": 3694})]
    r = sc.rake(design, pops, max_iterations=200, epsilon=1e-9)
    assert r.weighting.converged
    for labels, pop in pops:
        for k, v in pop.items():
            assert r.sampling_weights[labels == k].sum() == pytest.approx(v, rel=1e-8)
    assert r.weighting.max_margin_error < 1e-4


def test_raking_that_does_not_converge_says_so():
    d = dataset("apiclus1")
    design = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"])
    r = sc.rake(design, [(d["stype"], {"E": 4421, "H": 755, "M": 1018}), (d["sch.wide"], {"No": 1072, "Yes": 5122})],
                max_iterations=1, epsilon=1e-12)
    assert r.weighting.converged is False
    assert r.weighting.iterations == 1
    assert any("did not converge" in note for note in r.weighting.notes)
    assert any("did not converge" in note for note in sc.mean(d["api00"], r).notes)


def test_calibration_reproduces_the_totals_and_fails_loudly():
    d = dataset("apiclus1")
    design = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"])
    X = np.column_stack([np.ones(183), d["api99"]])
    cal = sc.calibrate(design, X, [6194, 3914069])
    np.testing.assert_allclose(X.T @ cal.sampling_weights, [6194, 3914069], rtol=1e-10)
    with pytest.raises(ValueError, match="did not converge"):
        sc.calibrate(design, X, [6194, 9e6], calfun="logit", bounds=(0.9, 1.1), max_iterations=5)
    forced = sc.calibrate(design, X, [6194, 9e6], calfun="logit", bounds=(0.9, 1.1), max_iterations=5, force=True)
    assert forced.weighting.converged is False


def test_trimming_keeps_the_total_and_the_bounds_with_strict():
    rng = np.random.default_rng(3)
    w = rng.gamma(1.0, 10.0, 500)
    d = sc.survey_design(sampling_weights=w)
    t = sc.trim_weights(d, lower=2, upper=25, strict=True)
    assert t.sampling_weights.sum() == pytest.approx(w.sum())
    assert t.sampling_weights.max() <= 25 + 1e-9 and t.sampling_weights.min() >= 2 - 1e-9


def test_trimming_with_a_mask_trims_only_those_respondents():
    rng = np.random.default_rng(4)
    w = rng.gamma(1.0, 10.0, 500)
    keep = rng.random(500) < 0.8
    w[~keep] = 0.0  # excluded respondents: weight 0, below any lower bound
    t = sc.trim_weights(sc.survey_design(sampling_weights=w), lower=2, upper=25, strict=True, mask=keep)
    alone = sc.trim_weights(sc.survey_design(sampling_weights=w[keep]), lower=2, upper=25, strict=True)
    assert np.all(t.sampling_weights[~keep] == 0)
    np.testing.assert_allclose(t.sampling_weights[keep], alone.sampling_weights, rtol=1e-12)


def test_domain_outside_is_a_zero_influence_not_a_smaller_design():
    d = dataset("apistrat")
    design = sc.survey_design(strata=d["stype"], sampling_weights=d["pw"], fpc=d["fpc"])
    dom = d["sch.wide"] == "Yes"
    m = sc.mean(d["api00"], design, domain=dom)
    by = sc.mean_by(d["api00"], design, d["sch.wide"])
    assert m.value == pytest.approx(by["Yes"].value, rel=1e-14)
    assert m.std_error == pytest.approx(by["Yes"].std_error, rel=1e-12)


def test_missing_values_are_left_out_and_counted():
    y = np.array([1.0, 2.0, np.nan, 4.0])
    d = sc.survey_design(sampling_weights=np.ones(4))
    m = sc.mean(y, d)
    assert m.value == pytest.approx(7 / 3) and m.n == 3
    assert "1 missing value left out" in m.notes


def test_empty_domain_gives_nan_with_a_note():
    d = sc.survey_design(sampling_weights=np.ones(4))
    m = sc.mean(np.arange(4.0), d, domain=np.zeros(4, dtype=bool))
    assert math.isnan(m.value) and m.notes


def test_one_parameter_wald_test_is_the_squared_t():
    d = dataset("apistrat")
    design = sc.survey_design(strata=d["stype"], sampling_weights=d["pw"], fpc=d["fpc"])
    s = sc.means({"api00": d["api00"]}, design)
    w = sc.wald_test(s, null=[650.0])
    t = (s.values[0] - 650.0) / s.std_errors[0]
    assert w.statistic == pytest.approx(t * t, rel=1e-12)


def test_p_adjust_matches_r():
    p = [0.01, 0.04, 0.03, 0.2, math.nan, 0.005, 0.5]
    # R 4.2.2: p.adjust(c(0.01,0.04,0.03,0.2,NA,0.005,0.5), "holm") and "BH"
    holm = [0.05, 0.12, 0.12, 0.4, math.nan, 0.03, 0.5]
    bh = [0.03, 0.06, 0.06, 0.24, math.nan, 0.03, 0.5]
    np.testing.assert_allclose(sc.adjust_p(p, method="holm"), holm, rtol=1e-12)
    np.testing.assert_allclose(sc.adjust_p(p, method="bh"), bh, rtol=1e-12)


def test_bad_calls_name_the_argument():
    d = sc.survey_design(sampling_weights=np.ones(4))
    with pytest.raises(ValueError, match="y must be one value per respondent"):
        sc.mean(np.ones(3), d)
    with pytest.raises(ValueError, match="lonely_psu must be one of"):
        sc.survey_design(sampling_weights=np.ones(4), lonely_psu="drop")
    with pytest.raises(ValueError, match="confidence_level"):
        sc.mean(np.arange(4.0), d).confidence_interval(95)
    with pytest.raises(ValueError, match="nest=True"):
        sc.survey_design(psu=[1, 1, 2, 2], strata=["a", "b", "a", "b"], sampling_weights=np.ones(4))


def test_results_are_frozen_plain_floats():
    y, d, _ = _srs()
    m = sc.mean(y, d)
    for field in ("value", "std_error", "df", "n_effective", "design_effect"):
        assert type(getattr(m, field)) is float
    with pytest.raises(Exception):
        m.value = 1.0  # type: ignore[misc]


def test_bootstrap_of_srs_is_close_to_linearisation():
    y, d, _ = _srs(n=300, N=10**9, seed=4)
    boot = sc.bootstrap(d, replicates=400, seed=1)
    b = sc.replicate_mean(y, boot)
    lin = sc.mean(y, d)
    assert b.value == pytest.approx(lin.value)
    assert b.std_error == pytest.approx(lin.std_error, rel=0.15)


@pytest.mark.parametrize("case", ["lonely_remove", "lonely_adjust", "lonely_average", "lonely_certainty",
                                  "clus2", "greg", "poststrat"])
def test_domains_in_one_sparse_pass_equal_one_domain_at_a_time(case):
    """mean_by (sparse, diagonal, low-rank calibration in closed form) against mean(domain=)
    (dense path) on designs that exercise every branch."""
    if case.startswith("lonely"):
        d = dataset("lonely")
        design = sc.survey_design(strata=d["stype"], sampling_weights=d["pw"], lonely_psu=case.split("_")[1])
        y, groups = d["api00"], d["sch.wide"]
    elif case == "clus2":
        d = dataset("apiclus2")
        design = sc.survey_design(psu=[d["dnum"], d["snum"]], fpc=[d["fpc1"], d["fpc2"]])
        y, groups = d["api00"], d["stype"]
    else:
        d = dataset("apiclus1")
        base = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"], fpc=d["fpc"])
        if case == "greg":
            X = np.column_stack([np.ones(183), d["stype"] == "H", d["stype"] == "M", d["api99"]]).astype(float)
            design = sc.calibrate(base, X, [6194, 755, 1018, 3914069])
        else:
            design = sc.poststratify(base, d["stype"], {"E": 4421, "H": 755, "M": 1018})
        y, groups = d["api00"], d["sch.wide"]
    by = sc.mean_by(y, design, groups)
    for lab, e in by.items():
        one = sc.mean(y, design, domain=groups == lab)
        assert e.std_error == pytest.approx(one.std_error, rel=1e-10)
        assert e.value == pytest.approx(one.value, rel=1e-12)
