"""Covariates in every fusion model: a covariate that carries the signal changes the prediction."""

import numpy as np
import pytest
import torch
from model_data import make_data

from missmodal import MissmodalError, load_model
from missmodal.models import MODELS
from missmodal.train import fit_model

ALL_MODELS = ["concat", "missing-token", "attention", "late", "flexmoe", "remind"]


def signal_in_age(n: int = 300, seed: int = 0):
    """Binary data whose modalities are pure noise and whose label is ``age > 0``."""
    rng = np.random.default_rng(seed)
    data = make_data(n=n, task="binary", seed=seed)
    noise = {name: rng.normal(size=values.shape).astype(np.float32) for name, values in data.modalities.items()}
    age = rng.normal(size=n)
    return data.replace(modalities=noise, target=(age > 0).astype(np.int64), covariates=np.column_stack([age, rng.normal(size=n)]),
                        covariate_names=["age", "noise"]).with_observed(data.observed)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_a_covariate_carrying_the_signal_changes_the_prediction(name):
    train, test = signal_in_age(n=200).split((0.7, 0.3), seed=0)
    fitted = fit_model(train, model=name, epochs=8, batch_size=32, seed=0, patience=None, lr=5e-3)
    assert fitted.module.config["n_covariates"] == 2
    assert np.mean(fitted.predict(test) == test.target) > 0.85
    young = test.replace(covariates=np.column_stack([np.full(test.n_samples, -3.0), test.covariates[:, 1]]))
    old = test.replace(covariates=np.column_stack([np.full(test.n_samples, 3.0), test.covariates[:, 1]]))
    assert fitted.predict_proba(old)[:, 1].mean() > fitted.predict_proba(young)[:, 1].mean() + 0.5


@pytest.mark.parametrize("name", ALL_MODELS)
def test_without_covariates_a_model_has_no_covariate_parameters(name):
    model = MODELS.build(name, dims=[4, 3], out_dim=2, task="multiclass")
    assert model.covariate_encoder is None and model.config["n_covariates"] == 0


def test_a_model_with_covariates_needs_them(tmp_path):
    data = signal_in_age(n=80)
    fitted = fit_model(data, model="attention", epochs=1)
    with pytest.raises(MissmodalError, match="uses covariates \\['age', 'noise'\\]; the data has none"):
        fitted.predict(data.replace(covariates=None, covariate_names=None))
    with pytest.raises(MissmodalError, match="expects \\(n, 2\\) covariates"):
        fitted.module([torch.zeros(2, 4), torch.zeros(2, 3), torch.zeros(2, 5)], torch.ones(2, 3, dtype=torch.bool))
    loaded = load_model(fitted.save(tmp_path / "m"))
    assert loaded.preprocessing.covariate_names == ["age", "noise"]
    assert np.array_equal(loaded.scores(data), fitted.scores(data))
