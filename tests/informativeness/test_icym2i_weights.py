"""Propensity models, IPW weights and their diagnostics; weighted metrics against scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score

from missmodal.errors import MissmodalError
from missmodal.informativeness import (PropensityModel, WeightedLogistic, WeightedMLP, conditioning,
                                       bootstrap_counts, cross_fitted_metrics, effective_sample_size, ipw_weights,
                                       percentile_interval, weight_diagnostics, weighted_metrics)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 0.95), min_size=2, max_size=60), st.integers(0, 2**31 - 1))
def test_weights_are_finite_positive_with_mean_one(propensities, seed):
    propensity = np.array(propensities)
    complete = np.random.default_rng(seed).random(len(propensity)) < 0.6
    complete[0] = True
    weights = ipw_weights(propensity, complete)
    assert weights.shape == (complete.sum(),)
    assert np.isfinite(weights).all() and (weights > 0).all()
    assert weights.mean() == pytest.approx(1.0)


def test_weights_are_inverse_to_the_propensity():
    weights = ipw_weights(np.array([0.2, 0.8, 0.5]), np.array([True, True, False]))
    assert weights[0] / weights[1] == pytest.approx(4.0)


def test_weights_reject_zero_propensity():
    with pytest.raises(MissmodalError, match="propensity"):
        ipw_weights(np.array([0.0, 0.5]), np.array([True, True]))


@pytest.mark.parametrize("method", ["logistic", "boosting"])
def test_propensity_weighting_recovers_the_population_mean_under_mar(method):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 1))
    complete = rng.random(3000) < 1 / (1 + np.exp(-1.5 * x[:, 0]))
    model = PropensityModel(method, seed=0).fit(x, complete)
    weights = ipw_weights(model.predict_proba(x), complete)
    naive = x[complete, 0].mean()
    corrected = np.average(x[complete, 0], weights=weights)
    assert abs(naive) > 0.4  # complete cases are shifted
    assert abs(corrected) < 0.1
    assert 0.7 < model.validation_auroc_ < 0.9


def test_propensity_is_clipped():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 1))
    complete = x[:, 0] + 0.1 * rng.normal(size=2000) > 0
    p = PropensityModel(clip=(0.1, 0.9)).fit(x, complete).predict_proba(x)
    assert p.min() == pytest.approx(0.1) and p.max() == pytest.approx(0.9)


def test_propensity_validates_its_parameters():
    x, complete = np.zeros((100, 1)), np.arange(100) % 2 == 0
    with pytest.raises(MissmodalError, match="propensity method"):
        PropensityModel("forest").fit(x, complete)
    with pytest.raises(MissmodalError, match="clip"):
        PropensityModel(clip=(0.5, 0.2)).fit(x, complete)
    with pytest.raises(MissmodalError, match="at least 10"):
        PropensityModel().fit(x[:12], complete[:12] | True)


def test_effective_sample_size_of_equal_and_unequal_weights():
    assert effective_sample_size(np.ones(50)) == pytest.approx(50)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1)


def test_diagnostics_flag_positivity_when_many_propensities_are_clipped():
    complete = np.ones(100, dtype=bool)
    raw = np.r_[np.full(20, 0.01), np.full(80, 0.5)]
    weights = ipw_weights(np.clip(raw, 0.05, 0.95), complete)
    diagnostics = weight_diagnostics(weights, raw, complete, (0.05, 0.95))
    assert diagnostics["share_clipped"] == pytest.approx(0.2)
    assert "positivity" in diagnostics["positivity_warning"]
    healthy = weight_diagnostics(np.ones(100), np.full(100, 0.5), complete, (0.05, 0.95))
    assert healthy["positivity_warning"] is None
    assert healthy["weight_quantiles"]["q50"] == pytest.approx(1.0)


def test_conditioning_defaults_to_covariates_and_fields_observed_in_every_row(tiny_data):
    data = tiny_data.replace(observed=np.c_[np.ones(6, bool), tiny_data.observed[:, 1]],
                             modalities={"a": np.nan_to_num(tiny_data.modalities["a"]), "b": tiny_data.modalities["b"]})
    given = conditioning(data)
    assert given.variables == ["age", "a"] and given.names == ["age", "a[0]", "a[1]"]
    assert given.features.shape == (6, 3)
    outside = conditioning(data, outside=["b"])  # a modality not under study enters where observed, with its mask
    assert outside.names[3:] == ["b[0]", "b[0] observed", "b[1]", "b[1] observed", "b[2]", "b[2] observed"]
    np.testing.assert_array_equal(outside.features[:, -1], data.observed[:, 1])
    assert (outside.features[~data.observed[:, 1], -2] == 0).all()
    with pytest.raises(MissmodalError, match="always observed"):
        conditioning(data, names=["b"])
    with pytest.raises(MissmodalError, match="unknown propensity feature"):
        conditioning(data, names=["height"])


def test_a_filled_in_field_is_never_a_conditioning_variable():
    from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table
    from missmodal.data.schema import from_table

    data = from_table(registry_table(200, seed=1), schema=REGISTRY_SCHEMA)
    given = conditioning(data)
    assert given.names == ["age", "sex=F", "sex=M", "source=clinic", "source=registry", "exam.weight"]
    assert given.variables[-1] == "exam.weight (observed in every row)"
    labs = conditioning(data, outside=["labs"])  # labs fields have missing values: only with their masks
    assert "labs.creatinine observed" in labs.names
    column = labs.features[:, labs.names.index("labs.creatinine")]
    assert (column[~data.field_mask("labs")[:, 0]] == 0).all()


@pytest.mark.parametrize("n_classes", [2, 4])
def test_weighted_metrics_match_scikit_learn(n_classes):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, 400)
    proba = rng.dirichlet(np.ones(n_classes), 400).round(1) + 1e-3  # rounding creates ties
    proba /= proba.sum(axis=1, keepdims=True)
    w = rng.random(400) * 3
    metrics = weighted_metrics(y, proba, w)
    columns = [1] if n_classes == 2 else range(n_classes)
    assert metrics["auroc"][0] == pytest.approx(np.mean([roc_auc_score(y == c, proba[:, c], sample_weight=w) for c in columns]))
    assert metrics["auprc"][0] == pytest.approx(np.mean([average_precision_score(y == c, proba[:, c], sample_weight=w) for c in columns]))
    assert metrics["accuracy"][0] == pytest.approx(accuracy_score(y, proba.argmax(axis=1), sample_weight=w))
    assert metrics["cross_entropy"][0] * np.log(2) == pytest.approx(log_loss(y, proba, sample_weight=w))


def test_weighted_rates_of_perfect_predictions_never_exceed_one():
    rng = np.random.default_rng(1)  # these weights sum to an accuracy of 1 + 4e-16 without clipping
    y = rng.integers(0, 2, 50)
    proba = np.column_stack([1 - y, y]) * 0.98 + 0.01
    metrics = weighted_metrics(y, proba, rng.random((3, 50)) * 3)
    for name in ("auroc", "auprc", "accuracy"):
        assert (metrics[name] <= 1.0).all(), name


def test_information_is_entropy_minus_cross_entropy_and_never_negative():
    y = np.array([0, 1, 0, 1])
    perfect = weighted_metrics(y, np.eye(2)[y], np.ones(4))
    assert perfect["information_bits"][0] == pytest.approx(1.0, abs=1e-6)
    wrong = weighted_metrics(y, np.eye(2)[1 - y] * 0.8 + 0.1, np.ones(4))
    assert wrong["information_bits"][0] == 0.0


def test_bootstrap_rows_start_with_the_estimate_and_intervals_cover_it():
    counts = bootstrap_counts(300, 50, seed=0)
    assert counts.shape == (51, 300)
    assert (counts[0] == 1).all() and (counts[1:].sum(axis=1) == 300).all()
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    proba = np.c_[1 - (0.3 + 0.4 * y), 0.3 + 0.4 * y]
    folds = np.arange(300) % 3
    metrics = cross_fitted_metrics(y, proba, counts, folds)
    lo, hi = percentile_interval(metrics["auroc"][1:])
    assert lo <= metrics["auroc"][0] <= hi
    assert percentile_interval(np.array([np.nan])) is None


def test_weighted_logistic_treats_a_weight_of_two_like_a_duplicated_row():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] + rng.normal(size=200) > 0).astype(int)
    predictor = WeightedLogistic()
    duplicated = predictor._fit_candidate(1.0, np.r_[x[:100], x], np.r_[y[:100], y], np.ones(300), None)
    weighted = predictor._fit_candidate(1.0, x, y, np.r_[np.full(100, 2.0), np.ones(100)], None)
    # equal up to the scaler, which is fitted without weights
    np.testing.assert_allclose(weighted.predict_proba(x), duplicated.predict_proba(x), atol=0.02)


def test_mlp_learns_xor_that_a_linear_model_cannot():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 2))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
    mlp = WeightedMLP(weight_decays=(1e-4,), max_epochs=40, seed=0).fit(x[:700], y[:700])
    linear = WeightedLogistic(seed=0).fit(x[:700], y[:700])
    assert (mlp.predict_proba(x[700:]).argmax(axis=1) == y[700:]).mean() > 0.85
    assert (linear.predict_proba(x[700:]).argmax(axis=1) == y[700:]).mean() < 0.65


def test_predictor_reports_probabilities_for_classes_absent_in_training():
    x = np.r_[np.zeros((30, 1)), np.ones((30, 1))]
    y = np.r_[np.zeros(30, int), np.ones(30, int)]
    proba = WeightedLogistic().fit(x, y, n_classes=3).predict_proba(x)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[:, 2].max() < 1e-6

