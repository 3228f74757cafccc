"""Metrics for one set of predictions: classification (binary, multi-class, multi-label) and regression.

Scores are probabilities: ``(n,)`` or ``(n, 2)`` for binary, ``(n, C)`` for multi-class (columns in the
order of ``classes``) and multi-label; label predictions ``(n,)`` are accepted for classification (then AUROC
is not reported). For multi-label, F1 is computed on the 2-D label matrix (never on a flattened one).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from ..errors import MissmodalError

CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel")


def predicted_labels(y_score: np.ndarray, task: str, classes: np.ndarray | None = None) -> np.ndarray:
    """Hard predictions from scores: argmax (multi-class), threshold 0.5 (binary on P(class 1), multi-label)."""
    y_score = np.asarray(y_score)
    if task == "multilabel":
        return (y_score >= 0.5).astype(np.int64)
    if task == "regression":
        return y_score
    if y_score.ndim == 1:
        if task == "binary" and y_score.dtype.kind == "f":
            classes = np.array([0, 1]) if classes is None else np.asarray(classes)
            return classes[(y_score >= 0.5).astype(int)]
        return y_score
    classes = np.arange(y_score.shape[1]) if classes is None else np.asarray(classes)
    return classes[np.argmax(y_score, axis=1)]


def _one_vs_rest_auroc(indicators: np.ndarray, scores: np.ndarray) -> float | None:
    """Macro AUROC over the columns that hold both positives and negatives (None if none does)."""
    values = [roc_auc_score(indicators[:, c], scores[:, c]) for c in range(indicators.shape[1])
              if 0 < indicators[:, c].sum() < len(indicators)]
    return float(np.mean(values)) if values else None


def auroc(y_true: np.ndarray, y_score: np.ndarray, task: str, classes: np.ndarray | None = None) -> float | None:
    """AUROC (binary), macro one-vs-rest AUROC (multi-class, multi-label); None when undefined."""
    y_score = np.asarray(y_score, dtype=float)
    if task == "multilabel":
        return _one_vs_rest_auroc(np.asarray(y_true), y_score)
    if task == "binary":
        positive = y_score[:, -1] if y_score.ndim == 2 else y_score
        classes = np.array([0, 1]) if classes is None else np.asarray(classes)
        indicator = (np.asarray(y_true) == classes[-1]).astype(int)
        return _one_vs_rest_auroc(indicator[:, None], positive[:, None])
    if y_score.ndim != 2:
        return None
    classes = np.arange(y_score.shape[1]) if classes is None else np.asarray(classes)
    indicators = (np.asarray(y_true)[:, None] == classes[None, :]).astype(int)
    return _one_vs_rest_auroc(indicators, y_score)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true``: ``(1/|C|) Σ_c P(ŷ = c | y = c)``.

    Small groups often lack some classes; predictions of absent classes count as errors of the present ones.
    """
    classes = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in classes]))


def classification_metrics(y_true, y_score, task: str, classes=None) -> dict[str, float | None]:
    """accuracy, balanced_accuracy, f1_micro, f1_macro, auroc of one subset (multi-label accuracy is exact match)."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    y_pred = predicted_labels(y_score, task, classes)
    has_scores = y_score.dtype.kind == "f" and (y_score.ndim == 2 or task == "binary")
    if task == "multilabel":
        result = {
            "accuracy": float(np.mean(np.all(y_true == y_pred, axis=1))),
            "balanced_accuracy": None,
            "f1_micro": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        }
    else:
        labels = np.unique(np.concatenate([y_true, y_pred]))
        result = {
            "accuracy": float(np.mean(y_true == y_pred)),
            "balanced_accuracy": balanced_accuracy(y_true, y_pred),
            "f1_micro": float(f1_score(y_true, y_pred, average="micro", labels=labels, zero_division=0)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0)),
        }
    result["auroc"] = auroc(y_true, y_score, task, classes) if has_scores else None
    return result


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """mse, mae and r2 of one subset (r2 is None for fewer than two distinct targets)."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).reshape(y_true.shape)
    residual = y_true - y_pred
    variance = np.var(y_true)
    return {
        "mse": float(np.mean(residual**2)),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(1 - np.mean(residual**2) / variance) if variance > 0 else None,
    }


def subset_metrics(y_true, y_score, task: str, classes=None) -> dict:
    """``count`` plus the task's metrics for one subset of samples."""
    if task not in CLASSIFICATION_TASKS + ("regression",):
        raise MissmodalError(f"unknown task {task!r}")
    count = int(len(y_true))
    if count == 0:
        return {"count": 0}
    metrics = regression_metrics(y_true, y_score) if task == "regression" else classification_metrics(y_true, y_score, task, classes)
    return {"count": count, **metrics}
