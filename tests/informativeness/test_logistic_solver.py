"""The informativeness' own logistic solver against scikit-learn's LogisticRegression (same objective), and
the validation split's invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from missmodal.informativeness.logistic import NEWTON_MAX_FEATURES, fit_ridge_logistic
from missmodal.informativeness.predictors import _stratified_split


def problem(n_classes: int, n_features: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, 240)
    x = rng.normal(size=(240, n_features)) * rng.uniform(0.1, 5.0, n_features) + rng.normal(size=n_features)
    x[:, 0] += 1.5 * y  # informative, not separable
    return x, y, rng.uniform(0.2, 3.0, 240)


def sklearn_proba(x, y, w, C):
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(scaler.transform(x), y, sample_weight=w)
    return model.predict_proba(scaler.transform(x))


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("n_classes,n_features", [(2, 6), (2, NEWTON_MAX_FEATURES + 5), (3, 6), (10, 12)])
def test_probabilities_equal_scikit_learn_on_the_same_weighted_objective(C, n_classes, n_features):
    x, y, w = problem(n_classes, n_features, seed=n_classes + n_features)
    ours = fit_ridge_logistic(x, y, w, C, max_iter=5000, tol=1e-8).predict_proba(x)
    assert np.abs(ours - sklearn_proba(x, y, w, C)).max() < 1e-4


def test_a_warm_start_reaches_the_same_optimum():
    x, y, w = problem(3, 8, seed=1)
    cold = fit_ridge_logistic(x, y, w, 10.0, tol=1e-8)
    warm = fit_ridge_logistic(x, y, w, 10.0, previous=fit_ridge_logistic(x, y, w, 0.1), tol=1e-8)
    assert np.abs(cold.predict_proba(x) - warm.predict_proba(x)).max() < 1e-5


@pytest.mark.parametrize("n_classes", [2, 4])
def test_weights_act_as_frequencies(n_classes):
    """A bootstrap resample as frequency weights is the resample itself (the inputs' scaling held equal: it is
    that of the unweighted training inputs, as scikit-learn's StandardScaler without weights)."""
    x, y, w = problem(n_classes, 4, seed=2)
    counts = np.random.default_rng(0).integers(0, 3, len(y))
    repeated = fit_ridge_logistic(np.repeat(x, counts, axis=0), np.repeat(y, counts), np.ones(counts.sum()), 1.0, tol=1e-9)
    weighted = fit_ridge_logistic(x[counts > 0], y[counts > 0], counts[counts > 0].astype(float), 1.0,
                                  previous=repeated, tol=1e-9)
    assert np.abs(repeated.predict_proba(x) - weighted.predict_proba(x)).max() < 1e-6


def test_a_single_class_and_a_constant_column_are_handled():
    x, y, w = problem(2, 3, seed=3)
    x[:, 1] = 7.0
    single = fit_ridge_logistic(x, np.zeros(len(y), dtype=int), w, 1.0)
    assert single.classes_.tolist() == [0] and single.predict_proba(x).shape == (len(y), 1)
    assert np.isfinite(fit_ridge_logistic(x, y, w, 1e6).predict_proba(x)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=80), st.floats(0.1, 0.5), st.integers(0, 10))
def test_the_validation_split_is_a_partition_stratified_when_possible(labels, fraction, seed):
    y = np.asarray(labels)
    train, val = _stratified_split(y, fraction, seed)
    assert np.array_equal(np.sort(np.r_[train, val]), np.arange(len(y)))
    assert len(val) == int(np.ceil(fraction * len(y)))
    present, counts = np.unique(y, return_counts=True)
    if len(present) > 1 and counts.min() >= 2 and min(len(val), len(train)) >= len(present):
        assert set(y[train]) == set(y[val]) == set(present.tolist())
    again = _stratified_split(y, fraction, seed)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], val)


def test_the_path_of_C_stops_at_the_first_candidate_worse_than_the_best():
    from missmodal.informativeness.predictors import WeightedLogistic

    fitted = []

    class Counting(WeightedLogistic):
        def _fit_candidate(self, value, *args, **kwargs):
            fitted.append(value)
            return super()._fit_candidate(value, *args, **kwargs)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 40))  # pure noise: the strongest penalty wins, the next is already worse
    y = rng.integers(0, 2, 200)
    model = Counting(Cs=(10.0, 1e-3, 1.0, 0.01)).fit(x, y)
    assert model.best_ == 1e-3 and fitted == [1e-3, 0.01]
