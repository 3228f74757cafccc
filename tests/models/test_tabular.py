"""Tabular baselines `logistic` and `gbdt`: same maths as scikit-learn, safe files, covariates used."""

import json
import pickle

import numpy as np
import pytest
import torch
from model_data import make_data
from sklearn.ensemble import HistGradientBoostingClassifier

from missmodal import MissmodalError, load_model
from missmodal.models import TABULAR, Preprocessing, fit_tabular
from missmodal.models.tabular import design_matrix, export_trees, predict_trees
from missmodal.train import fit_model


@pytest.mark.parametrize("n_classes", [2, 3])
def test_exported_trees_reproduce_sklearn_raw_predictions_with_missing_values(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    X[rng.random(X.shape) < 0.3] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.isnan(X[:, 1]) + rng.normal(scale=0.3, size=400) > 0.5).astype(int)
    if n_classes == 3:
        y = y + (np.nan_to_num(X[:, 2]) > 1)
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    X_test = rng.normal(size=(300, 5))
    X_test[rng.random(X_test.shape) < 0.3] = np.nan
    assert np.allclose(predict_trees(export_trees(clf), X_test), clf._raw_predict(X_test), atol=1e-10)


def test_design_matrix_is_mean_imputed_with_indicators_and_covariates(data):
    data = data.replace(covariates=np.arange(data.n_samples, dtype=float)[:, None], covariate_names=["age"])
    preprocessing = Preprocessing.fit(data)
    X = design_matrix(preprocessing, data, "indicator")
    assert X.shape == (data.n_samples, 4 + 3 + 5 + 3 + 1)
    assert np.array_equal(X[:, 12:15], (~data.observed).astype(float))
    assert np.all(X[~data.observed[:, 0], :4] == 0)
    assert np.allclose(X[:, -1].mean(), 0) and np.allclose(X[:, -1].std(), 1)
    nan = design_matrix(preprocessing, data, "nan")
    assert nan.shape == (data.n_samples, 12 + 1) and np.isnan(nan[~data.observed[:, 1], 4:7]).all()


@pytest.mark.parametrize("name", ["logistic", "gbdt"])
def test_a_covariate_carrying_the_signal_drives_the_baseline(name):
    rng = np.random.default_rng(0)
    data = make_data(n=300, task="binary")
    age = rng.normal(size=data.n_samples)
    data = data.replace(target=(age > 0).astype(np.int64), covariates=age[:, None], covariate_names=["age"])
    train, test = data.split((0.7, 0.3), seed=0)
    model = fit_tabular(name, train, seed=0)
    assert np.mean(model.predict(test) == test.target) > 0.9
    older = test.replace(covariates=test.covariates + 5.0)
    assert (model.predict_proba(older)[:, 1] > model.predict_proba(test)[:, 1]).mean() > 0.4


def test_logistic_chooses_c_by_inner_cross_validation(data):
    model = fit_tabular("logistic", data, seed=0, Cs=(1e-4, 1.0))
    assert model.info["C"] in (1e-4, 1.0) and model.info["folds"] == 5
    assert model.info["C"] == 1.0  # the label is in every modality: almost no regularisation wins
    probabilities = model.predict_proba(data)
    assert probabilities.shape == (data.n_samples, 3) and np.allclose(probabilities.sum(axis=1), 1)


@pytest.mark.parametrize("name", ["logistic", "gbdt"])
def test_baseline_files_load_to_identical_predictions_without_pickle(name, data, tmp_path, monkeypatch):
    train, val = data.split((0.75, 0.25), seed=0)
    model = fit_model(train, val, model=name, seed=0)
    folder = model.save(tmp_path / name)
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]
    assert json.loads((folder / "model.json").read_text())["architecture"]["name"] == name
    forbidden = lambda *args, **kwargs: pytest.fail("model loading must not unpickle")  # noqa: E731
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    loaded = load_model(folder)
    assert np.array_equal(loaded.scores(data), model.scores(data))
    assert loaded.threshold == model.threshold and loaded.temperature == model.temperature


def test_baselines_are_registered_and_refuse_what_they_cannot_fit(data):
    assert set(TABULAR.names()) == {"logistic", "gbdt", "cox", "cox-gbdt"}
    with pytest.raises(MissmodalError, match="supports binary and multiclass"):
        fit_tabular("logistic", make_data(task="regression"))
    with pytest.raises(MissmodalError, match="loss 'group-dro' applies to the fusion networks"):
        fit_model(data, model="gbdt", loss="group-dro")
    with pytest.raises(MissmodalError, match="no checkpoints"):
        fit_model(data, model="logistic", resume=True)


def rewrite_weights(folder, change):
    """Apply ``change`` to the saved arrays and record the new hash (a crafted but consistent folder)."""
    import json

    from safetensors.torch import load_file, save_file

    from missmodal.models.validation import weights_digest

    state = {k: v.clone() for k, v in load_file(str(folder / "model.safetensors")).items()}
    change(state)
    save_file(state, str(folder / "model.safetensors"))
    config = json.loads((folder / "model.json").read_text())
    config["weights_sha256"] = weights_digest(folder / "model.safetensors")
    (folder / "model.json").write_text(json.dumps(config))


def _loop(state):
    internal = int((state["is_leaf"] == 0).nonzero()[0, 0])
    state["left"][internal] = internal  # a node that is its own child: a walk that never ends


CRAFTED_ARRAYS = {
    "logistic: coef for other features": ("logistic", lambda s: s.__setitem__("coef", s["coef"][:, :-1].clone()),
                                          "array 'coef': file"),
    "logistic: NaN intercept": ("logistic", lambda s: s["intercept"].fill_(float("nan")), "NaN or infinite"),
    "gbdt: a node its own child": ("gbdt", _loop, "array 'left' holds values outside the trees"),
    "gbdt: a split on feature 10^6": ("gbdt", lambda s: s["feature"].masked_fill_(s["is_leaf"] == 0, 10**6),
                                      "array 'feature'"),
    "gbdt: one array short": ("gbdt", lambda s: s.__setitem__("value", s["value"][:-1].clone()), "array 'value'"),
}


@pytest.mark.parametrize("case", list(CRAFTED_ARRAYS))
def test_crafted_baseline_arrays_are_refused_in_one_line(case, data, tmp_path):
    from missmodal import MissmodalError, load_model

    name, change, message = CRAFTED_ARRAYS[case]
    folder = fit_tabular(name, data, seed=0).save(tmp_path / name)
    load_model(folder)  # the undamaged folder loads
    rewrite_weights(folder, change)
    with pytest.raises(MissmodalError, match=message) as error:
        load_model(folder)
    assert "\n" not in str(error.value) and "weights do not fit model" in str(error.value)
