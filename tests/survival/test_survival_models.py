"""Survival models: Cox coefficients and baseline hazard against scikit-survival, the torch partial likelihood,
fusion networks with the Cox head, model files with the baseline hazard (safetensors + JSON)."""

import json

import numpy as np
import pytest
import torch

from missmodal.data import load_dataset
from missmodal.models import MODELS, load_model
from missmodal.models.cox import _sorted_by_time, fit_cox, partial_likelihood
from missmodal.models.hazard import BaselineHazard
from missmodal.train import evaluate_model, fit_model
from missmodal.train.cox import cox_losses

sksurv_linear = pytest.importorskip("sksurv.linear_model")
from sksurv.util import Surv  # noqa: E402


def table(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    time = np.ceil(rng.exponential(np.exp(-X @ np.array([0.7, -0.4, 0.2, 0.0]))) * 10)  # tied times
    event = rng.random(n) < 0.7
    return X, time, event


@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_cox_coefficients_match_sksurv(alpha):
    X, time, event = table()
    reference = sksurv_linear.CoxPHSurvivalAnalysis(alpha=alpha * len(time), ties="breslow", tol=1e-12)
    reference.fit(X, Surv.from_arrays(event, time))
    np.testing.assert_allclose(fit_cox(X, time, event, alpha), reference.coef_, atol=1e-6)


def test_breslow_survival_matches_sksurv():
    X, time, event = table(seed=1)
    reference = sksurv_linear.CoxPHSurvivalAnalysis(ties="breslow", tol=1e-12).fit(X, Surv.from_arrays(event, time))
    beta = fit_cox(X, time, event, 0.0)
    hazard = BaselineHazard.fit(time, event, X @ beta, "training")
    horizons = np.array([5.0, 10.0, 20.0])
    expected = np.array([[fn(h) for h in horizons] for fn in reference.predict_survival_function(X[:10])])
    np.testing.assert_allclose(hazard.survival(X[:10] @ beta, horizons), expected, atol=1e-6)
    assert BaselineHazard.from_dict(json.loads(json.dumps(hazard.to_dict()))).survival(X[:3] @ beta, horizons) == \
        pytest.approx(hazard.survival(X[:3] @ beta, horizons))


def test_torch_partial_likelihood_equals_the_newton_one_with_ties():
    X, time, event = table(seed=2)
    beta = np.array([0.3, -0.2, 0.1, 0.5])
    target = torch.tensor(np.column_stack([time, event]), dtype=torch.float64)
    losses = cox_losses(torch.tensor(X @ beta)[:, None], target)
    assert (losses[~torch.tensor(event)] == 0).all()
    assert -float(losses.sum()) == pytest.approx(partial_likelihood(beta, *_sorted_by_time(X, time, event)), abs=1e-9)


@pytest.fixture(scope="module")
def cohort():
    data = load_dataset("clinical-survival", n_samples=240, seed=3)
    return data.split((0.75, 0.25), seed=0)


def test_cox_baseline_learns_and_round_trips_its_files(cohort, tmp_path):
    train, test = cohort
    model = fit_model(train, model="cox", seed=0)
    assert MODELS.kind_of("cox") == "tabular" and model.info["alpha"] in model.info["alphas"]
    report = evaluate_model(model, test, horizons=[365, 1825], n_boot=20)
    assert report["overall"]["c_harrell"] > 0.65
    model.save(tmp_path / "cox")
    payload = json.loads((tmp_path / "cox" / "model.json").read_text())
    assert payload["info"]["survival"]["baseline_hazard"]["estimator"] == "Breslow"
    assert sorted(p.name for p in (tmp_path / "cox").iterdir()) == ["model.json", "model.safetensors"]
    loaded = load_model(tmp_path / "cox")
    np.testing.assert_allclose(loaded.survival_at(test, [365, 1825]), model.survival_at(test, [365, 1825]))
    with pytest.raises(Exception, match="supports survival targets, not binary"):
        fit_model(load_dataset("clinical", n_samples=100), model="cox")


def test_fusion_network_trains_with_the_cox_head_and_selects_on_c_index(cohort, tmp_path):
    train, test = cohort
    model = fit_model(train, model="late", epochs=4, seed=0, patience=None)
    assert model.task == "survival" and model.baseline_hazard is not None
    assert all("val_mean" in record for record in model.history)  # Harrell's C on validation
    assert 0.5 < model.info["best_val_score"] <= 1.0
    probabilities = model.survival_at(test, [365, 1825])
    assert probabilities.shape == (len(test), 2) and (np.diff(probabilities, axis=1) <= 0).all()
    model.save(tmp_path / "late")
    np.testing.assert_allclose(load_model(tmp_path / "late").survival_at(test, [365]), probabilities[:, :1], rtol=1e-6)


def test_cox_coefficients_match_lifelines_without_ties():
    lifelines = pytest.importorskip("lifelines")
    import pandas as pd

    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 3))
    time = rng.exponential(np.exp(-X @ np.array([0.8, -0.5, 0.0])))  # continuous: no ties, Breslow = Efron
    event = rng.random(120) < 0.75
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(T=time, E=event.astype(int))
    fitted = lifelines.CoxPHFitter(penalizer=0.0).fit(frame, "T", "E")
    np.testing.assert_allclose(fit_cox(X, time, event, 0.0), fitted.params_.to_numpy(), atol=1e-5)


def test_boosting_gradient_is_the_derivative_of_the_partial_likelihood():
    from missmodal.models.coxboost import martingale_gradient

    _, time, event = table(40, seed=8)
    eta = np.random.default_rng(8).normal(size=40)
    order = np.argsort(time, kind="stable")

    def loglik(values):
        return partial_likelihood(np.ones(1), values[order][:, None], time[order], event[order].astype(float))

    numeric = np.array([(loglik(eta + 1e-6 * np.eye(40)[j]) - loglik(eta - 1e-6 * np.eye(40)[j])) / 2e-6 for j in range(40)])
    np.testing.assert_allclose(martingale_gradient(eta, time, event), numeric, atol=1e-5)


def test_boosted_cox_learns_and_saves_its_trees(cohort, tmp_path):
    train, test = cohort
    model = fit_model(train, model="cox-gbdt", seed=0)
    assert 1 <= model.info["rounds"] <= 300
    assert evaluate_model(model, test, n_boot=0)["overall"]["c_harrell"] > 0.6
    model.save(tmp_path / "boost")
    np.testing.assert_allclose(load_model(tmp_path / "boost").scores(test), model.scores(test))
