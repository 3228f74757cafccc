"""Every imputer follows one protocol: scikit-learn estimator, arrays or MultimodalData, observed values kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator

from missmodal import MissmodalError, MultimodalData
from missmodal.impute import IMPUTERS, ClusterImputer, MeanImputer, make_imputer, reconstruction_error

FAST = {"generative": {"epochs": 3, "hidden": 16}, "cluster": {"n_clusters": 3}, "auto": {"candidates": ["mean", "iterative"]}}


def build(name, **params):
    return make_imputer(name, **{**FAST.get(name, {}), **params})


def incomplete(seed=0, n=40, widths=(2, 3, 1)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sum(widths)))
    observed = rng.random((n, len(widths))) < 0.6
    observed[~observed.any(axis=1), 0] = True
    observed[0] = True
    X[~np.repeat(observed, widths, axis=1)] = np.nan
    return X, observed


def test_registry_names_every_imputer():
    assert set(IMPUTERS.names()) == {"zero", "mean", "knn", "iterative", "generative", "cluster", "auto"}


@pytest.mark.parametrize("name", ["zero", "mean", "knn", "iterative", "generative", "cluster", "auto"])
def test_passes_scikit_learn_check_estimator(name):
    check_estimator(build(name))


@pytest.mark.parametrize("name", ["zero", "mean", "knn", "iterative", "generative", "cluster", "auto"])
def test_output_has_no_missing_value_and_keeps_dtype(name):
    X, _ = incomplete()
    for dtype in (np.float32, np.float64):
        out = build(name, modalities=[2, 3, 1], random_state=0) if "random_state" in build(name).get_params() \
            else build(name, modalities=[2, 3, 1])
        filled = out.fit_transform(X.astype(dtype))
        assert filled.dtype == dtype and np.isfinite(filled).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), name=st.sampled_from(["zero", "mean", "knn", "iterative", "generative", "cluster", "auto"]),
       widths=st.lists(st.integers(1, 3), min_size=1, max_size=4))
def test_observed_values_are_bit_identical_after_imputation(seed, name, widths):
    X, observed = incomplete(seed, n=12, widths=widths)
    X = X * np.float64(np.random.default_rng(seed).uniform(1e-3, 1e3))
    filled = build(name, modalities=widths).fit(X).transform(X)
    columns = np.repeat(observed, widths, axis=1)
    assert np.array_equal(filled[columns].view(np.uint64), X[columns].view(np.uint64))
    assert np.isfinite(filled).all()


@pytest.mark.parametrize("name", ["mean", "knn", "cluster"])
def test_multimodal_data_in_multimodal_data_out(name, tiny_data):
    imputer = build(name, n_clusters=2) if name == "cluster" else build(name)
    result = imputer.fit(tiny_data).transform(tiny_data)
    assert isinstance(result, MultimodalData) and result.observed.all()
    expected = {"method": name, "imputed_slots": int((~tiny_data.observed).sum()), "imputed_fields": 0, **imputer.choices()}
    assert result.metadata["imputation"] == expected
    assert result.ids.tolist() == tiny_data.ids.tolist()
    for m, modality in enumerate(tiny_data.modality_names):
        rows = tiny_data.observed[:, m]
        assert np.array_equal(result.modalities[modality][rows], tiny_data.modalities[modality][rows])
        assert np.isfinite(result.modalities[modality]).all()


def test_array_and_multimodal_data_give_the_same_imputation(tiny_data):
    X, widths = tiny_data.to_array()
    from_array = ClusterImputer(n_clusters=2, modalities=widths, random_state=0).fit_transform(X)
    from_data = ClusterImputer(n_clusters=2, random_state=0).fit_transform(tiny_data)
    np.testing.assert_array_equal(np.hstack(list(from_data.modalities.values())), from_array)


def test_works_inside_a_scikit_learn_pipeline():
    X, _ = incomplete(n=60)
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int)
    pipeline = make_pipeline(ClusterImputer(n_clusters=3, modalities=[2, 3, 1], random_state=0), LogisticRegression())
    assert pipeline.fit(X, y).score(X, y) > 0.6


def test_one_cluster_is_mean_imputation():
    X, _ = incomplete(n=50)
    np.testing.assert_allclose(ClusterImputer(n_clusters=1, modalities=[2, 3, 1]).fit_transform(X),
                               MeanImputer(modalities=[2, 3, 1]).fit_transform(X), rtol=1e-5, atol=1e-6)


def test_soft_assignment_mixes_centres_and_keeps_observed_values():
    X, observed = incomplete(n=60)
    imputer = ClusterImputer(n_clusters=4, modalities=[2, 3, 1], assignment="soft", random_state=0).fit(X)
    filled = imputer.transform(X)
    assert np.isfinite(filled).all()
    columns = np.repeat(observed, [2, 3, 1], axis=1)
    assert np.array_equal(filled[columns], X[columns])
    low, high = np.nanmin(imputer.cluster_centers_, axis=0), np.nanmax(imputer.cluster_centers_, axis=0)
    assert ((filled[~columns] >= np.broadcast_to(low, X.shape)[~columns] - 1e-5)
            & (filled[~columns] <= np.broadcast_to(high, X.shape)[~columns] + 1e-5)).all()


def test_multiple_imputation_draws_differ_are_seeded_and_keep_observed_values():
    X, observed = incomplete(n=60)
    imputer = ClusterImputer(n_clusters=4, modalities=[2, 3, 1], random_state=0).fit(X)
    draws = imputer.sample(X, n_draws=3, random_state=1)
    again = imputer.sample(X, n_draws=3, random_state=1)
    columns = np.repeat(observed, [2, 3, 1], axis=1)
    assert len(draws) == 3 and not np.array_equal(draws[0], draws[1])
    for a, b in zip(draws, again):
        np.testing.assert_array_equal(a, b)
        assert np.array_equal(a[columns], X[columns]) and np.isfinite(a).all()


def test_reconstruction_error_is_zero_for_truth_and_about_one_for_the_mean(tiny_data):
    rng = np.random.default_rng(0)
    full = MultimodalData({"a": rng.normal(size=(400, 3)), "b": rng.normal(size=(400, 2)) * 5})
    hidden = rng.random((400, 2)) < 0.3
    incomplete_data = full.with_observed(~hidden)
    assert reconstruction_error(full, full, hidden)["mean"] == 0
    errors = reconstruction_error(full, MeanImputer().fit_transform(incomplete_data), hidden)
    assert 0.9 < errors["a"] < 1.1 and 0.9 < errors["b"] < 1.1


def test_make_imputer_rejects_unknown_names_and_parameters():
    with pytest.raises(MissmodalError, match="unknown imputer 'gain'"):
        make_imputer("gain")
    with pytest.raises(MissmodalError, match="bad parameters"):
        make_imputer("mean", n_clusters=3)
