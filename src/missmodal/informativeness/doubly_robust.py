"""The ``dr`` variant: each modality subset scored on every sample where *that subset* is observed.

The paper's corrected estimate uses complete cases only (all modalities under study observed). For a subset
S, the samples O_S where S is observed are usually many more. With ``R_i = 1[i ∈ O_S]``,
``π_S(C) = P(R = 1 | C)`` (a propensity model on the always-observed variables C, clipped) and
``w_i = 1 / π̂_S(C_i)``:

- a predictor of Y from X_S is cross-fitted on O_S with sample weights ``w`` (it targets the full
  population, as in the corrected estimate);
- a per-sample loss ``ℓ_i`` (cross-entropy in bits, or 0/1 error) of its out-of-fold predictions is averaged
  over the *whole* population by the augmented (doubly robust, Hájek-normalised) estimator::

      θ̂ = (1/n) Σ_i m̂(C_i, Y_i) + Σ_{i ∈ O_S} w_i (ℓ_i - m̂(C_i, Y_i)) / Σ_{i ∈ O_S} w_i

  with ``m̂(C, Y)`` an outcome model of ``E[ℓ | C, Y]`` (cross-fitted ridge regression on C, the label and
  their interactions, fitted on O_S). ``θ̂`` is consistent when either ``π̂_S`` or ``m̂`` is right (MAR given
  C: ``R ⊥ (X_S, Y) | C``; Y is always observed, so conditioning the outcome model on it is allowed);
- ``H(Y)`` comes from all samples (the label is never missing) and ``I(Y; X_S) ≈ H(Y) - CE_dr``;
- AUROC and AUPRC are not means of per-sample losses: they are the ``w``-weighted values on O_S (IPW only).

When S is observed in every sample nothing is missing: the predictor is fitted on all samples, unweighted.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from .metrics import PROBABILITY_FLOOR, cross_fitted_metrics
from .predictors import cross_fitted_proba
from .propensity import effective_sample_size


def _outcome_features(features: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """``[C, onehot(Y), C ⊗ onehot(Y)]`` with C standardised: (n, p + K + p K)."""
    std = features.std(axis=0)
    c = (features - features.mean(axis=0)) / np.where(std > 0, std, 1.0)
    onehot = np.eye(n_classes)[y]
    return np.hstack([c, onehot, (c[:, :, None] * onehot[:, None, :]).reshape(len(y), -1)])


def outcome_model_predictions(features: np.ndarray, y: np.ndarray, targets: np.ndarray, observed: np.ndarray,
                              frequency: np.ndarray, n_classes: int, n_folds: int, seed: int) -> np.ndarray:
    """Cross-fitted ``m̂(C_i, Y_i)`` for every sample: (n, T) for ``targets`` (n_observed, T) known on ``observed``.

    Folds split all n samples; each fold's predictions come from a ridge regression fitted on the observed
    samples of the other folds (weighted by ``frequency``).
    """
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    z = _outcome_features(features, y, n_classes)
    full_targets = np.zeros((len(y), targets.shape[1]))
    full_targets[observed] = targets
    predictions = np.zeros((len(y), targets.shape[1]))
    for train, test in KFold(n_folds, shuffle=True, random_state=seed).split(z):
        fit_rows = train[observed[train]]
        if fit_rows.size < 2:
            predictions[test] = targets.mean(axis=0)
            continue
        model = Ridge(alpha=1.0).fit(z[fit_rows], full_targets[fit_rows], sample_weight=frequency[fit_rows])
        predictions[test] = model.predict(z[test])
    return predictions


def _augmented_means(evaluation: np.ndarray, observed: np.ndarray, weight: np.ndarray, losses: np.ndarray,
                     predicted: np.ndarray) -> np.ndarray:
    """The augmented Hájek mean of each loss column for each evaluation row: (R, T).

    ``evaluation`` (R, n) sample multiplicities, ``weight`` (n_observed,) = 1/π̂, ``losses`` (n_observed, T),
    ``predicted`` (n, T) outcome-model values for all samples.
    """
    outcome_mean = evaluation @ predicted / evaluation.sum(axis=1, keepdims=True)
    masses = evaluation[:, observed] * weight
    residual = masses @ (losses - predicted[observed]) / masses.sum(axis=1, keepdims=True)
    return outcome_mean + residual


def doubly_robust_metrics(design: np.ndarray, y: np.ndarray, observed: np.ndarray, propensity: np.ndarray | None,
                          features: np.ndarray, frequency: np.ndarray, evaluation: np.ndarray, predictor: str,
                          n_folds: int, seed: int, n_classes: int, n_repeats: int = 1) -> tuple[dict[str, np.ndarray], dict]:
    """The ``dr`` metrics of one subset, for each evaluation row.

    Parameters
    ----------
    design : (n_observed, d) features of the subset on the samples where it is observed.
    y : (n,) class codes of every sample. observed : (n,) bool, the subset observed.
    propensity : (n,) clipped π̂_S(C), or None when the subset is observed in every sample.
    features : (n, p) always-observed variables C (the outcome model's inputs).
    frequency : (n,) training multiplicities (bootstrap counts; ones for the estimate).
    evaluation : (R, n) evaluation multiplicities (row 0 the estimate).
    n_repeats : repeated cross-fitting of the predictor (:func:`~missmodal.informativeness.predictors.cross_fitted_proba`).

    Returns the metrics (arrays (R,), keys as :func:`~missmodal.informativeness.metrics.weighted_metrics`)
    and ``{"n_observed", "effective_sample_size", "augmented"}``.
    """
    y_obs = y[observed]
    if propensity is None:
        proba, folds = cross_fitted_proba(design, y, frequency if (frequency != 1).any() else None, predictor,
                                          n_folds, seed, n_classes, n_repeats)
        return cross_fitted_metrics(y, proba, evaluation, folds), {
            "n_observed": int(observed.sum()), "effective_sample_size": float(observed.sum()), "augmented": False}
    weight = 1.0 / propensity[observed]
    proba, folds = cross_fitted_proba(design, y_obs, frequency[observed] * weight, predictor, n_folds, seed, n_classes,
                                      n_repeats)
    metrics = cross_fitted_metrics(y_obs, proba, evaluation[:, observed] * weight, folds)
    losses = np.column_stack([-np.log2(np.clip(proba[np.arange(len(y_obs)), y_obs], PROBABILITY_FLOOR, 1.0)),
                              (proba.argmax(axis=1) == y_obs).astype(float)])
    predicted = outcome_model_predictions(features, y, losses, observed, frequency, n_classes, n_folds, seed)
    cross_entropy, accuracy = _augmented_means(evaluation, observed, weight, losses, predicted).T
    frequencies = evaluation @ np.eye(n_classes)[y] / evaluation.sum(axis=1, keepdims=True)
    entropy = -xlogy(frequencies, frequencies).sum(axis=1) / np.log(2)
    metrics.update(cross_entropy=cross_entropy, accuracy=np.clip(accuracy, 0.0, 1.0), entropy=entropy,
                   information_bits=np.maximum(entropy - cross_entropy, 0.0))
    return metrics, {"n_observed": int(observed.sum()), "effective_sample_size": effective_sample_size(frequency[observed] * weight),
                     "augmented": True}
