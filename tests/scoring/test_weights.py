"""AHP weights and consistency, against published values and a second algorithm."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.weights import RANDOM_INDEX, ahp_weights, combine_judgements, reciprocity_errors

SAATY_3 = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


def test_saaty_three_by_three_example():
    # Reference: the 3x3 matrix (1,3,5; 1/3,1,3; 1/5,1/3,1), widely reproduced from
    # Saaty (1980), The Analytic Hierarchy Process: weights 0.637, 0.258, 0.105,
    # lambda_max 3.039, CI 0.019, CR 0.033 (RI = 0.58).
    r = ahp_weights(SAATY_3)
    assert r.weights == pytest.approx((0.637, 0.258, 0.105), abs=5e-4)
    assert r.lambda_max == pytest.approx(3.039, abs=5e-4)
    assert r.consistency_index == pytest.approx(0.019, abs=5e-4)
    assert r.consistency_ratio == pytest.approx(0.033, abs=5e-4)
    assert r.consistent


def _power_iteration(a, iterations=500):
    a = np.asarray(a, float)
    w = np.ones(len(a)) / len(a)
    for _ in range(iterations):
        w = a @ w
        w /= w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


@pytest.mark.parametrize("seed", range(10))
def test_eigenvector_agrees_with_power_iteration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = rng.choice(scale)
            a[j, i] = 1 / a[i, j]
    r = ahp_weights(a)
    w, lam = _power_iteration(a)
    np.testing.assert_allclose(r.weights, w, rtol=1e-8)
    assert r.lambda_max == pytest.approx(lam, rel=1e-8)
    assert r.consistency_ratio == pytest.approx((lam - n) / (n - 1) / RANDOM_INDEX[n], rel=1e-6)


def test_perfectly_consistent_matrix_has_zero_cr_and_recovers_weights():
    w = np.array([0.5, 0.3, 0.2])
    a = w[:, None] / w[None, :]
    r = ahp_weights(a)
    np.testing.assert_allclose(r.weights, w, atol=1e-12)
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-12)


def test_random_index_values_of_saaty():
    assert [RANDOM_INDEX[n] for n in range(3, 10)] == [0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45]


def test_geometric_mean_of_experts_keeps_reciprocity():
    b = [[1, 5, 3], [1 / 5, 1, 1 / 2], [1 / 3, 2, 1]]
    c = combine_judgements([SAATY_3, b])
    assert reciprocity_errors(c, rtol=1e-12) == []
    assert c[0, 1] == pytest.approx(np.sqrt(3 * 5))


def test_bad_calls_name_the_argument():
    with pytest.raises(ValueError, match="matrix must be a non-empty square"):
        ahp_weights([[1, 2, 3]])
    with pytest.raises(ValueError, match="positive"):
        ahp_weights([[1, -2], [0.5, 1]])
    with pytest.raises(ValueError, match="same shape"):
        combine_judgements([SAATY_3, [[1, 2], [0.5, 1]]])
