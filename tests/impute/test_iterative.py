"""The iterative imputer: leave-one-out ridge, leak-free chain reaching the Gaussian conditional mean, monitored rounds."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from missmodal import MissmodalError
from missmodal.impute import IterativeImputer
from missmodal.impute.iterative import _ridge_loo


def test_ridge_penalty_is_the_one_of_least_brute_force_leave_one_out_error():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(30, 5))
    Y = F @ rng.normal(size=(5, 2)) * np.array([1.0, 0.05]) + rng.normal(size=(30, 2))
    alphas = np.array([0.01, 1.0, 100.0])
    coef, intercept, chosen, errors = _ridge_loo(F, Y, alphas)
    for j in range(2):
        loo = []
        for alpha in alphas:
            residuals = [Y[i, j] - Ridge(alpha=alpha).fit(np.delete(F, i, 0), np.delete(Y[:, j], i)).predict(F[i:i + 1])[0]
                         for i in range(30)]
            loo.append(np.mean(np.square(residuals)))
        assert errors[:, j] == pytest.approx(loo, rel=1e-8)
        best = alphas[int(np.argmin(loo))]
        assert chosen[j] == best
        reference = Ridge(alpha=best).fit(F, Y[:, j])
        assert coef[:, j] == pytest.approx(reference.coef_, abs=1e-8)
        assert intercept[j] == pytest.approx(reference.intercept_, abs=1e-8)


def test_missing_blocks_get_the_gaussian_conditional_mean_of_their_pattern():
    # Three 1-d blocks, known correlation; E[x_0 | x_S] = Σ_0S Σ_SS^-1 x_S differs by pattern S.
    cov = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.3], [0.5, 0.3, 1.0]])
    rng = np.random.default_rng(0)
    n = 20000
    X = rng.multivariate_normal(np.zeros(3), cov, size=n)
    observed = rng.random((n, 3)) < 0.6
    observed[~observed.any(axis=1), 1] = True
    X_missing = np.where(observed, X, np.nan)
    filled = IterativeImputer(random_state=0).fit_transform(X_missing)
    for pattern in ([1], [2], [1, 2]):
        rows = ~observed[:, 0] & np.all(observed[:, pattern], axis=1) & (observed.sum(axis=1) == len(pattern))
        weights = np.linalg.solve(cov[np.ix_(pattern, pattern)], cov[pattern, 0])
        expected = X[np.ix_(rows, pattern)] @ weights
        assert np.sqrt(np.mean((filled[rows, 0] - expected) ** 2)) < 0.03, pattern


def test_rounds_stop_when_the_held_out_error_stops_improving():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    X[rng.random((400, 6)) < 0.4] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    imputer = IterativeImputer(max_iter=8, random_state=0).fit(X)
    curve = imputer.validation_curve_
    assert 1 <= len(curve) <= 8
    assert imputer.n_iter_ == int(np.argmin(curve)) + 1 == len(imputer.coefs_)
    if imputer.converged_:
        assert curve[-1] > (1 - imputer.tol) * min(curve[:-1])


def test_same_seed_same_imputation():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4))
    X[rng.random((200, 4)) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    a = IterativeImputer(random_state=5).fit_transform(X)
    b = IterativeImputer(random_state=5).fit_transform(X)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("params, message", [
    ({"max_iter": 0}, "max_iter must be a positive int"),
    ({"alphas": (1.0, -1.0)}, "alphas must be a non-empty list of positive penalties"),
    ({"tol": -0.1}, "tol must be >= 0"),
    ({"validation_share": 0.0}, r"validation_share must be in \(0, 1\)"),
])
def test_bad_parameters_are_named(params, message):
    X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 6.0]])
    with pytest.raises(MissmodalError, match=message):
        IterativeImputer(**params).fit(X)
