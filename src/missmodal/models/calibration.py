"""Calibration on validation data: temperature scaling of probabilities and the decision threshold.

Temperature scaling (Guo et al. 2017) divides the logits by one scalar ``T > 0`` fitted by minimising the
validation negative log-likelihood. It acts on probabilities exactly as on logits: binary and multi-label
``p' = sigmoid(logit(p) / T)``, multi-class ``p' = softmax(log(p) / T)`` (the log-sum-exp shift cancels), so
one implementation serves every model, neural or not. ``T`` does not change a ranking (AUROC) or an argmax.

The binary decision threshold is the one that maximises validation accuracy on the calibrated P(positive).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from ..evaluate.metrics import EPS, indicators_of, negative_log_likelihood

CALIBRATED_TASKS = ("binary", "multiclass", "multilabel")


def apply_temperature(scores: np.ndarray, task: str, temperature: float) -> np.ndarray:
    """Probabilities after temperature ``T``: same shape as ``scores`` (``(n, 2)`` binary, ``(n, C)`` otherwise);
    regression values and ``T = 1`` are returned unchanged."""
    if task not in CALIBRATED_TASKS or temperature == 1.0:
        return scores
    p = np.clip(np.asarray(scores, dtype=np.float64), EPS, 1 - EPS)
    if task == "multiclass":
        z = np.log(p) / temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    positive = p[:, -1] if task == "binary" else p
    calibrated = 1.0 / (1.0 + np.exp(-(np.log(positive) - np.log1p(-positive)) / temperature))
    return np.column_stack([1 - calibrated, calibrated]) if task == "binary" else calibrated


def fit_temperature(scores: np.ndarray, y_true: np.ndarray, task: str, classes=None,
                    bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The ``T`` in ``bounds`` minimising the validation NLL (bounded 1-D search on ``log T``); 1 for regression."""
    if task not in CALIBRATED_TASKS or len(y_true) == 0:
        return 1.0
    indicators = indicators_of(y_true, task, classes)
    result = minimize_scalar(lambda log_t: negative_log_likelihood(apply_temperature(scores, task, float(np.exp(log_t))), indicators, task),
                             bounds=np.log(bounds), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def best_threshold(positive: np.ndarray, is_positive: np.ndarray) -> float:
    """Threshold ``t`` maximising the accuracy of ``positive >= t`` (midpoints of sorted scores; ties: closest to 0.5)."""
    positive = np.asarray(positive, dtype=np.float64)
    is_positive = np.asarray(is_positive, dtype=bool)
    values = np.unique(positive)
    candidates = np.concatenate([[0.5], (values[1:] + values[:-1]) / 2, [values[0] - 1e-9, values[-1] + 1e-9]])
    accuracy = np.array([np.mean((positive >= t) == is_positive) for t in candidates])
    best = np.flatnonzero(accuracy == accuracy.max())
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])
