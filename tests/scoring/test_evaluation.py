"""Evaluation statistics against R: psych (alpha, KMO, Bartlett, omega), survey's svycontrast
for indices, kruskal.test / wilcox.test, and LMG by all subsets.

Reference numbers: tests/scoring/fixtures/r_eval.json from fixtures/make_r_fixtures_eval.R
(R 4.2.2, psych 2.2.9, survey 4.1.1); each case there holds the R call.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache

import numpy as np
import pytest

import scoring as sc
from scoring import compare, drivers, quality, reliability
from scoring.index import TreeNode, index_tree, index_tree_by
from tests.scoring._data import FIXTURES, dataset

REL = 1e-6


@lru_cache(maxsize=None)
def cases() -> dict:
    return json.loads((FIXTURES / "r_eval.json").read_text(encoding="utf-8"))["cases"]


def table(name: str) -> tuple[list[str], np.ndarray]:
    with open(FIXTURES / f"{name}.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]])


@pytest.mark.parametrize("ds", ["attitude", "bfi10"])
def test_alpha_matches_psych(ds):
    _, x = table(ds)
    r = cases()[f"{ds}_alpha"]  # psych::alpha(X)
    a = reliability.cronbach_alpha(x)
    np.testing.assert_allclose([a.alpha, a.standardized_alpha, a.average_r],
                               [r["raw_alpha"], r["std_alpha"], r["average_r"]], rtol=REL)
    np.testing.assert_allclose(a.alpha_if_deleted, r["alpha_if_deleted"], rtol=REL)
    np.testing.assert_allclose(a.standardized_alpha_if_deleted, r["std_alpha_if_deleted"], rtol=REL)
    np.testing.assert_allclose(a.item_rest_correlation, r["r_drop"], rtol=REL)
    ci = a.confidence_interval(0.95)  # psych::alpha.ci (Feldt)
    np.testing.assert_allclose([ci.low, ci.high], [r["feldt_lower"], r["feldt_upper"]], rtol=REL)


@pytest.mark.parametrize("ds", ["attitude", "bfi10"])
def test_kmo_and_bartlett_match_psych(ds):
    _, x = table(ds)
    k = reliability.kmo(x)
    r = cases()[f"{ds}_kmo"]  # psych::KMO(X)
    np.testing.assert_allclose(k.overall, r["msa"], rtol=REL)
    np.testing.assert_allclose(k.per_item, r["msai"], rtol=REL)
    b = reliability.bartlett_sphericity(x)
    r = cases()[f"{ds}_bartlett"]  # psych::cortest.bartlett(cor(X), n = nrow(X))
    np.testing.assert_allclose([b.statistic, b.df], [r["chisq"], r["df"]], rtol=REL)
    assert b.p_value == pytest.approx(r["p_value"], rel=REL, abs=1e-300)


@pytest.mark.parametrize("ds", ["attitude", "bfi10"])
def test_omega_total_matches_psych(ds):
    _, x = table(ds)
    r = cases()[f"{ds}_omega"]  # psych::omega(X, nfactors=1, fm="minres")
    o = reliability.omega_total(x)
    # psych's optim stops about 1e-6 short of the minres optimum (see the fixture's note).
    assert o.omega_total == pytest.approx(r["omega_tot"], abs=1e-5)


def _api_items(d):
    return {"s1": d["api00"] / 10, "s2": d["api99"] / 10, "s3": np.minimum(100, d["meals"])}


NODES = [TreeNode("index", ("s1", "s2", "s3"), (0.5, 0.3, 0.2))]


def test_index_se_equals_svycontrast():
    d = dataset("apistrat")
    design = sc.survey_design(strata=d["stype"], sampling_weights=d["pw"], fpc=d["fpc"])
    got = index_tree(_api_items(d), design, NODES)["index"]
    r = cases()["index_svycontrast"]  # svycontrast(svymean(~s1+s2+s3, dstrat), c(.5,.3,.2))
    np.testing.assert_allclose([got.value, got.std_error], [r["value"], r["se"]], rtol=1e-8)
    dom = index_tree_by(_api_items(d), design, NODES, d["stype"])["index"]["E"]
    r = cases()["index_svycontrast_by"]  # the same on subset(dstrat, stype=="E")
    np.testing.assert_allclose([dom.value, dom.std_error], [r["value"], r["se"]], rtol=1e-8)


def test_index_se_on_a_raked_design_equals_svycontrast():
    d = dataset("apiclus1")
    design = sc.rake(sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"], fpc=d["fpc"]),
                     [(d["stype"], {"E": 4421, "H": 755, "M": 1018}), (d["sch.wide"], {"No": 1072, "Yes": 5122})])
    got = index_tree(_api_items(d), design, NODES)["index"]
    r = cases()["index_rake_svycontrast"]  # svycontrast(svymean(~s1+s2+s3, dclus1r), c(.5,.3,.2))
    np.testing.assert_allclose([got.value, got.std_error], [r["value"], r["se"]], rtol=1e-8)


def test_index_of_a_tree_rescales_weights_when_a_child_has_no_answer():
    d = dataset("apistrat")
    design = sc.survey_design(strata=d["stype"], sampling_weights=d["pw"])
    items = _api_items(d)
    items["s3"] = np.full(200, np.nan)
    nodes = [TreeNode("a", ("s1", "s3"), (0.5, 0.5)), TreeNode("top", ("a", "s2"), (0.6, 0.4))]
    res = index_tree(items, design, nodes)
    m1 = sc.mean(items["s1"], design).value
    m2 = sc.mean(items["s2"], design).value
    assert res["a"].value == pytest.approx(m1)
    assert res["top"].value == pytest.approx(0.6 * m1 + 0.4 * m2)
    assert res["a"].notes


def test_rank_tests_match_r():
    names, x = table("attitude")
    rating, complaints = x[:, names.index("rating")], x[:, names.index("complaints")]
    r = cases()["attitude_kw"]  # kruskal.test(rating ~ cut(complaints, 3), attitude)
    kw = compare.kruskal_wallis(rating, np.array(r["group_codes"]))
    np.testing.assert_allclose([kw.statistic, kw.df, kw.p_value], [r["statistic"], r["df"], r["p_value"]], rtol=1e-8)
    r = cases()["attitude_mw"]  # wilcox.test(rating ~ (complaints > 65), exact=FALSE, correct=TRUE)
    mw = compare.mann_whitney(rating, complaints <= 65, complaints > 65)
    np.testing.assert_allclose([mw.statistic, mw.p_value], [r["statistic_W"], r["p_value"]], rtol=1e-8)


def test_shapley_matches_lmg_by_all_subsets():
    names, x = table("attitude")
    r = cases()["attitude_lmg_allsubsets"]  # LMG from its definition over all 64 subsets, base R lm()
    X = np.column_stack([x[:, names.index(p)] for p in r["predictors"]])
    shares, r2 = drivers.shapley_r2(X, x[:, names.index("rating")])
    np.testing.assert_allclose(shares, r["lmg"], rtol=1e-8)
    assert r2 == pytest.approx(r["r2"], rel=1e-10)
    rw, r2b = drivers.relative_weights(X, x[:, names.index("rating")])
    assert r2b == pytest.approx(r2, rel=1e-10) and rw.sum() == pytest.approx(r2, rel=1e-10)


def test_entropy_weights_by_hand():
    from scoring.weights import entropy_weights
    res = entropy_weights([[1, 2, 3], [2, 2, 1], [3, 2, 5]])
    # column 1: x' = 0, .5, 1 -> p = 0, 1/3, 2/3 -> e = (1/3 ln 3 + 2/3 ln 1.5) / ln 3
    e1 = (np.log(3) / 3 + 2 / 3 * np.log(1.5)) / np.log(3)
    assert res.entropy[0] == pytest.approx(e1)
    assert res.weights[1] == 0.0  # a constant indicator carries no information
    assert sum(res.weights) == pytest.approx(1.0)


def test_ahp_published_example_saaty_1980():
    # Saaty (1980), also Saaty (2008) "Decision making with the analytic hierarchy process",
    # Int. J. Services Sciences 1(1): the 3x3 example reproduced in tests/scoring/test_weights.py.
    r = sc.ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert r.consistency_ratio == pytest.approx(0.033, abs=5e-4)


def test_league_table_shrinks_small_units_and_suppresses_tiny_ones():
    E = sc.Estimate
    est = {"a": E(value=90, std_error=1, df=50, n=400), "b": E(value=70, std_error=1, df=50, n=400),
           "c": E(value=99, std_error=15, df=5, n=31), "d": E(value=60, std_error=5, df=5, n=10)}
    rows = compare.league_table(est, min_n=30)
    by = {r.unit: r for r in rows}
    assert by["d"].suppressed and by["d"].rank is None
    assert by["c"].shrinkage > by["a"].shrinkage
    assert by["c"].shrunk_value < 99
    assert [r.unit for r in rows if r.rank] == sorted([r.unit for r in rows if r.rank], key=lambda u: -by[u].shrunk_value)


def test_quality_flags_are_counted():
    from scoring import quality
    block = np.array([[5, 5, 5, 5, 5], [1, 2, 3, 4, 5], [3, 3, 3, 3, np.nan]], dtype=float)
    flags = {"straightlining": quality.straightliners(block, min_items=4),
             "speeder": quality.speeders([100, 400, 500], min_seconds=300),
             "duplicate": quality.duplicates(block)}
    rep = quality.quality_report(flags, exclude=["speeder"])
    assert dict(rep.counts) == {"straightlining": 2, "speeder": 1, "duplicate": 0}
    assert rep.excluded == 1 and rep.flagged_any == 2


@pytest.mark.parametrize("pairs", ["each_vs_rest", "all_pairs"])
def test_index_contrasts_in_one_pass_equal_one_at_a_time(pairs):
    from scoring.index import index_contrasts, index_difference
    d = dataset("apiclus1")
    design = sc.rake(sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"], fpc=d["fpc"]),
                     [(d["stype"], {"E": 4421, "H": 755, "M": 1018}), (d["sch.wide"], {"No": 1072, "Yes": 5122})])
    items = _api_items(d)
    items["s2"][:5] = np.nan
    got = index_contrasts(items, design, NODES, "index", d["stype"], pairs=pairs)
    for a, b, r in got:
        one = index_difference(items, design, NODES, "index", d["stype"] == a,
                               None if b is None else d["stype"] == b)
        np.testing.assert_allclose([r.estimate, r.std_error, r.p_value], [one.estimate, one.std_error, one.p_value],
                                   rtol=1e-10)


def test_driver_bootstrap_by_cluster_sums_equals_row_by_row():
    d = dataset("apiclus1")
    design = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"])
    X = [d["api99"], d["meals"], d["ell"]]
    y = d["api00"]
    boot = sc.bootstrap(design, replicates=30, seed=4)
    fast = drivers.drivers(X, y, names=["a", "b", "c"], sampling_weights=d["pw"], replicates=boot)
    import dataclasses
    slow = drivers.drivers(X, y, names=["a", "b", "c"], sampling_weights=d["pw"],
                           replicates=dataclasses.replace(boot, row_multipliers=boot.multipliers, clusters=None,
                                                          cluster_multipliers=None))
    np.testing.assert_allclose(fast.low, slow.low, rtol=1e-9)
    np.testing.assert_allclose(fast.high, slow.high, rtol=1e-9)
    assert sum(fast.importance) == pytest.approx(fast.r_squared)


def test_driver_cluster_sums_in_chunks_equal_the_direct_sums():
    # chunks of whole clusters: a chunk smaller than a cluster, a few clusters, all of them
    rng = np.random.default_rng(3)
    n, m = 500, 23
    cs = np.sort(rng.integers(0, m, n))
    cs[cs == 7] = 8  # a cluster code with no rows
    cols = [rng.normal(size=n + 40) for _ in range(4)]
    w = rng.uniform(0.5, 2, n + 40)
    rows = np.sort(rng.choice(n + 40, n, replace=False))
    Z = np.column_stack([c[rows] for c in cols])
    wk = w[rows]
    sz = np.array([(wk[cs == c, None] * Z[cs == c]).sum(axis=0) for c in range(m)])
    szz = np.array([(Z[cs == c] * wk[cs == c, None]).T @ Z[cs == c] for c in range(m)])
    for chunk in (1, 17, 60, 10_000):
        sw_, sz_, szz_ = drivers._cluster_sums(cols, w, rows, cs, m, chunk=chunk)
        np.testing.assert_allclose(sw_, np.bincount(cs, weights=wk, minlength=m), rtol=1e-12)
        np.testing.assert_allclose(sz_, sz, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(szz_, szz, rtol=1e-12, atol=1e-12)


def test_collapsed_design_gives_the_row_level_numbers():
    from scoring.design import collapse, factorize
    from scoring.index import ItemSums, index_contrasts
    d = dataset("apiclus1")
    design = sc.rake(sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"], fpc=d["fpc"]),
                     [(d["stype"], {"E": 4421, "H": 755, "M": 1018}), (d["sch.wide"], {"No": 1072, "Yes": 5122})])
    items = _api_items(d)
    items["s2"] = np.where(d["api00"] > 800, np.nan, items["s2"])
    nodes = [TreeNode("a", ("s1", "s2"), (0.7, 0.3)), TreeNode("index", ("a", "s3"), (0.6, 0.4))]
    st = factorize(d["stype"])[1]
    key = factorize(d["dnum"].astype(np.int64))[1] * 6 + st * 2 + (d["sch.wide"] == "Yes")
    groups = factorize(key)[1]
    small, mult, op = collapse(design, groups)
    assert small.n < design.n and mult.sum() == design.n
    sums = ItemSums.of(items, design.sampling_weights, groups)
    g_st = np.asarray(op @ st.astype(float)) / mult
    a, b = index_tree(items, design, nodes, extra_items=True), index_tree(sums, small, nodes, extra_items=True)
    for k in a:
        np.testing.assert_allclose([a[k].value, a[k].std_error], [b[k].value, b[k].std_error], rtol=1e-10)
    a = index_tree_by(items, design, nodes, st.astype(float))
    b = index_tree_by(sums, small, nodes, g_st)
    for node in a:
        for lab in a[node]:
            np.testing.assert_allclose([a[node][lab].value, a[node][lab].std_error, a[node][lab].df],
                                       [b[node][lab].value, b[node][lab].std_error, b[node][lab].df], rtol=1e-10)
    for pairs in ("each_vs_rest", "all_pairs"):
        ra = index_contrasts(items, design, nodes, "index", st.astype(float), pairs=pairs)
        rb = index_contrasts(sums, small, nodes, "index", g_st, pairs=pairs)
        for (_, _, x), (_, _, y) in zip(ra, rb):
            np.testing.assert_allclose([x.estimate, x.std_error, x.p_value], [y.estimate, y.std_error, y.p_value],
                                       rtol=1e-10)


def test_collapse_refuses_groups_that_mix_psus():
    from scoring.design import collapse
    d = dataset("apiclus1")
    design = sc.survey_design(psu=d["dnum"], sampling_weights=d["pw"])
    with pytest.raises(ValueError, match="PSUs"):
        collapse(design, np.zeros(design.n, dtype=np.int64))


def test_respondent_scores_rescale_weights_over_answered_items():
    from scoring.index import respondent_scores
    items = {"a": np.array([100.0, np.nan, 50, np.nan]), "b": np.array([0.0, 80, np.nan, np.nan]),
             "c": np.array([60.0, 60, 60, np.nan])}
    nodes = [TreeNode("ab", ("a", "b"), (0.75, 0.25)), TreeNode("top", ("ab", "c"), (0.5, 0.5))]
    s = respondent_scores(items, nodes)
    np.testing.assert_allclose(s["ab"], [75.0, 80.0, 50.0, np.nan])
    np.testing.assert_allclose(s["top"], [67.5, 70.0, 55.0, np.nan])


@pytest.mark.parametrize("collide", [False, True])
def test_duplicates_flag_every_repeat_of_an_earlier_row(collide, monkeypatch):
    """Against a dictionary of rows seen; with `collide`, the projections are zero so that every
    row has the same key (the row-by-row path for keys equal by chance)."""
    if collide:
        class Zero:
            def __init__(self, *args):
                pass

            def standard_normal(self, shape):
                return np.zeros(shape)
        monkeypatch.setattr(np.random, "default_rng", Zero)
    rng = np.random.RandomState(1)
    for _ in range(20):
        n, J = rng.randint(2, 300), rng.randint(1, 6)
        ans = np.asfortranarray(rng.random_sample((n, J)) < 0.8)
        filled = np.asfortranarray(np.where(ans, rng.randint(0, 3, (n, J)) * 25.0, 0.0))
        seen, expect = set(), np.zeros(n, dtype=bool)
        for i in range(n):
            key = (filled[i].tobytes(), ans[i].tobytes())
            expect[i] = key in seen
            seen.add(key)
        np.testing.assert_array_equal(quality.duplicates(filled, answered=ans), expect)


def test_duplicates_from_filled_and_answered_equal_the_nan_form():
    from scoring import quality
    rng = np.random.default_rng(2)
    a = rng.integers(0, 3, (400, 4)).astype(float)
    a[rng.random((400, 4)) < 0.2] = np.nan
    ans = (~np.isnan(a)).astype(float)
    filled = np.nan_to_num(a)
    np.testing.assert_array_equal(quality.duplicates(a), quality.duplicates(filled, answered=ans))
    assert quality.duplicates(a).sum() > 0


def test_complete_case_covariance_by_products_equals_numpy():
    from scoring.reliability import complete_covariance
    _, x = table("attitude")
    x = x.copy()
    x[[0, 5], [1, 3]] = np.nan  # two incomplete rows
    ans = ~np.isnan(x)
    cov, n = complete_covariance(np.nan_to_num(x), ans)
    complete = x[ans.all(axis=1)]
    np.testing.assert_allclose(cov, np.cov(complete, rowvar=False), rtol=1e-10)
    assert n == 28


def test_alpha_kmo_bartlett_with_missing_answers_match_psych_pairwise():
    # R 4.2.2, psych 2.2.9: fixtures/make_r_fixtures_pairwise.R on bfi[1:400, A2..C3] with its NAs
    r = json.loads((FIXTURES / "r_pairwise.json").read_text(encoding="utf-8"))
    with open(FIXTURES / "bfi400_na.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) if v else np.nan for v in row] for row in rows])
    assert np.isnan(x).any() and x.shape[0] == r["n_rows"]
    a = reliability.cronbach_alpha(x)
    np.testing.assert_allclose([a.alpha, a.standardized_alpha], [r["raw_alpha"], r["std_alpha"]], rtol=1e-6)
    np.testing.assert_allclose(a.alpha_if_deleted, r["alpha_if_deleted"], rtol=1e-6)
    np.testing.assert_allclose(a.item_rest_correlation, r["r_drop"], rtol=1e-6)
    ci = a.confidence_interval(0.95)
    np.testing.assert_allclose([ci.low, ci.high], [r["feldt_lower"], r["feldt_upper"]], rtol=1e-6)
    k = reliability.kmo(x)
    np.testing.assert_allclose([k.overall, *k.per_item], [r["kmo"], *r["kmo_items"]], rtol=1e-6)
    b = reliability.bartlett_sphericity(x)
    np.testing.assert_allclose([b.statistic, b.df], [r["bartlett_chisq"], r["bartlett_df"]], rtol=1e-6)
