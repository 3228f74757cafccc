"""Cross-validated AUROC with a DeLong interval, for the propensity (nested: C tuned inside each fold)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from missmodal.informativeness import PropensityModel
from missmodal.informativeness.cv_auroc import delong_auroc


def test_delong_auroc_matches_scikit_learn_and_the_mann_whitney_variance_of_a_tiny_case():
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.4])
    positive = np.array([False, False, True, True, True])
    auroc, variance = delong_auroc(scores, positive)
    assert auroc == pytest.approx(roc_auc_score(positive, scores))
    # placements by hand: V10 = [1/2, 1, (1+0.5)/2] over negatives [0.1, 0.4]; V01 = [1, 1/2 ... ]
    v10 = np.array([0.5, 1.0, 0.75])
    v01 = np.array([1.0, (0 + 1 + 0.5) / 3])
    assert variance == pytest.approx(v10.var(ddof=1) / 3 + v01.var(ddof=1) / 2)


def test_delong_interval_covers_the_true_auroc_by_simulation():
    # Two normal classes one sd apart: AUROC = Phi(1 / sqrt(2)) = 0.7602.
    truth, covered = 0.7602499389065233, 0
    rng = np.random.default_rng(0)
    for _ in range(300):
        scores = np.r_[rng.normal(1, 1, 60), rng.normal(0, 1, 80)]
        positive = np.r_[np.ones(60, bool), np.zeros(80, bool)]
        auroc, variance = delong_auroc(scores, positive)
        covered += abs(auroc - truth) <= 1.96 * np.sqrt(variance)
    assert 0.91 <= covered / 300 <= 0.98


def test_propensity_auroc_is_cross_validated_not_read_off_the_tuning_split():
    # Completeness independent of 20 noise features: the split that tunes C overfits it, the CV AUROC does not.
    rng = np.random.default_rng(3)
    x, complete = rng.normal(size=(300, 20)), rng.random(300) < 0.5
    model = PropensityModel(seed=0)
    cv = model.cross_validated_auroc(x, complete)
    assert cv["interval"][0] <= 0.5 <= cv["interval"][1]
    assert abs(cv["auroc"] - 0.5) < 0.08
    assert cv["n_positive"] + cv["n_negative"] == 300 and len(cv["fold_aurocs"]) == 5
    assert "nested" in cv["method"]


def test_propensity_auroc_interval_holds_the_population_value_under_mar():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 1))
    complete = rng.random(2000) < 1 / (1 + np.exp(-2 * x[:, 0]))
    cv = PropensityModel(seed=0).cross_validated_auroc(x, complete)
    big = rng.normal(size=(200000, 1))
    truth = roc_auc_score(rng.random(200000) < 1 / (1 + np.exp(-2 * big[:, 0])), big[:, 0])
    assert cv["interval"][0] <= truth <= cv["interval"][1]
