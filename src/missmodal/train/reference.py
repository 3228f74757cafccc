"""Reference losses for excess-loss group DRO: what a simple model reaches on each group by itself.

Group DRO on raw losses chases groups whose loss is high because their labels are noisy (irreducible
loss), not because the model fits them badly. Minimax regret instead weights groups by their *excess* loss
``L_g - R_g`` over a reference ``R_g``. Here ``R_g`` is the cross-fitted loss of a simple model fitted on
group ``g``'s own training samples: an L2-penalised logistic regression (classification; ridge for
regression) on the standardised, zero-filled inputs and the observed mask, with ``k``-fold out-of-fold
predictions (``k = min(5, smallest class count)``), so that ``R_g`` estimates the group's loss on new samples
rather than its training fit.

Assumption: a linear model of the group's own samples approximates the best loss attainable on it; where
it is worse than the network can do, the excess is negative and the group is down-weighted, which is the
intended "do not chase what cannot be won" direction. A group with fewer than 2 samples of some class (or
fewer than 4 samples for regression) gets the cross-fitted loss of the Laplace-smoothed class prior
(the mean) instead: too few to fit a model.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold

from ..errors import MissmodalError


def _prior_oof(y: np.ndarray, n_classes: int, folds) -> np.ndarray:
    """Out-of-fold Laplace-smoothed class-prior probabilities ``(n, C)``."""
    proba = np.empty((len(y), n_classes))
    for fit, held in folds:
        counts = np.bincount(y[fit], minlength=n_classes) + 1.0
        proba[held] = counts / counts.sum()
    return proba


def _classification_losses(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Per-sample out-of-fold log losses ``(n,)`` of the group's logistic regression (or smoothed prior)."""
    counts = np.bincount(y, minlength=n_classes)
    present = counts[counts > 0]
    if len(present) >= 2 and present.min() >= 2:
        k = int(min(5, present.min()))
        folds = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(x, y))
        proba = np.zeros((len(y), n_classes))
        for fit, held in folds:
            model = LogisticRegression(C=1.0, max_iter=500).fit(x[fit], y[fit])
            proba[np.ix_(held, model.classes_)] = model.predict_proba(x[held])
        proba = np.clip(proba, 1e-6, 1.0)
    else:
        k = int(min(5, len(y)))
        folds = list(KFold(k, shuffle=True, random_state=seed).split(x)) if k >= 2 else [(np.arange(len(y)),) * 2]
        proba = _prior_oof(y, n_classes, folds)
    return -np.log(proba[np.arange(len(y)), y] / proba.sum(axis=1))


def _regression_losses(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Per-sample out-of-fold squared errors ``(n,)`` of the group's ridge regression (or mean)."""
    k = int(min(5, len(y)))
    if k < 2:
        return np.zeros(len(y))
    prediction = np.empty(len(y))
    for fit, held in KFold(k, shuffle=True, random_state=seed).split(x):
        prediction[held] = Ridge(alpha=1.0).fit(x[fit], y[fit]).predict(x[held]) if len(y) >= 4 else y[fit].mean()
    return (prediction - y) ** 2


def reference_losses(features: np.ndarray, target: np.ndarray, objective_groups: np.ndarray, n_groups: int, task: str,
                     seed: int = 0) -> np.ndarray:
    """Reference loss ``R_g`` of each objective group (see the module docstring).

    Parameters
    ----------
    features : (n, p) standardised, zero-filled inputs with the observed mask appended.
    target : the trainer's encoded target: (n,) class index (multi-class), (n, 1) 0/1 (binary) or
        (n, 1) standardised value (regression), so that ``R_g`` is on the training loss's scale (nats, or
        squared standardised units).
    objective_groups : (n,) objective-group index of each sample in ``0..n_groups-1``.
    task : "binary", "multiclass" or "regression".

    Returns
    -------
    (n_groups,) reference losses (0 for a group without samples).
    """
    if task not in ("binary", "multiclass", "regression"):
        raise MissmodalError(f"group-dro-excess needs a binary, multi-class or regression task, got {task!r}")
    target = np.asarray(target)
    reference = np.zeros(n_groups)
    n_classes = 2 if task == "binary" else int(target.max()) + 1
    for g in range(n_groups):
        rows = np.flatnonzero(objective_groups == g)
        if rows.size == 0:
            continue
        x = features[rows]
        if task == "regression":
            reference[g] = _regression_losses(x, target[rows, 0].astype(float), seed).mean()
        else:
            y = target[rows].reshape(len(rows), -1)[:, 0].astype(np.int64)
            reference[g] = _classification_losses(x, y, n_classes, seed).mean()
    return reference
