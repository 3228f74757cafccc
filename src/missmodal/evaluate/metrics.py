"""Metrics for one set of predictions: classification (binary, multi-class, multi-label) and regression.

Scores are probabilities: ``(n,)`` or ``(n, 2)`` for binary, ``(n, C)`` for multi-class (columns in the
order of ``classes``) and multi-label; label predictions ``(n,)`` are accepted for classification (then the
probability metrics are not reported). For multi-label, F1 is computed on the 2-D label matrix (never on a
flattened one).

Probability metrics, with ``y`` the 0/1 indicators in the score columns and ``p`` the probabilities:

- ``brier = mean_i sum_c (p_ic - y_ic)^2`` (binary: ``mean_i (p_i - y_i)^2`` on the positive class;
  multi-label: mean over labels of the binary value);
- ``log_loss = -mean_i log p_i,y_i`` (binary and multi-label: Bernoulli log-likelihood);
- ``ece = sum_b (n_b / n) |mean_b(o) - mean_b(q)|`` over ``ECE_BINS`` equal-width bins of ``q``, where
  binary ``q = P(positive)``, ``o = y``; multi-class ``q`` = top-label confidence, ``o`` = top label correct;
- ``auprc``: average precision (binary); ``accuracy_at_threshold``: accuracy of ``P(positive) >= t`` at the
  threshold ``t`` chosen on validation;
- majority-class reference: ``reference_accuracy`` and ``reference_brier`` of always predicting the training
  class shares (``prior``), the bar any model must clear.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, f1_score

from ..errors import MissmodalError

CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel")
ECE_BINS = 15
EPS = 1e-12


def indicators_of(y_true: np.ndarray, task: str, classes) -> np.ndarray:
    """0/1 targets in the column order of the scores: one-hot ``(n, C)`` (multi-class), positive-class flag
    ``(n,)`` (binary, positive = the last class), the label matrix itself (multi-label)."""
    y_true = np.asarray(y_true)
    if task == "multilabel":
        return y_true.astype(float)
    classes = np.asarray(classes)
    if task == "binary":
        return (y_true == classes[-1]).astype(float)
    return (y_true[:, None] == classes[None, :]).astype(float)


def _positive(y_score: np.ndarray, task: str) -> np.ndarray:
    """P(positive) of binary scores, the scores themselves otherwise."""
    return y_score[:, -1] if task == "binary" and y_score.ndim == 2 else y_score


def negative_log_likelihood(y_score: np.ndarray, indicators: np.ndarray, task: str) -> float:
    """Mean negative log-likelihood (log loss) of the 0/1 ``indicators`` (see :func:`indicators_of`)."""
    p = np.clip(np.asarray(y_score, dtype=np.float64), EPS, 1 - EPS)
    if task == "multiclass":
        return float(-np.mean(np.log((p * indicators).sum(axis=1))))
    p = _positive(p, task)
    return float(-np.mean(indicators * np.log(p) + (1 - indicators) * np.log1p(-p)))


def brier_score(y_score: np.ndarray, indicators: np.ndarray, task: str) -> float:
    """Brier score (see the module docstring for the per-task form)."""
    p = np.asarray(y_score, dtype=np.float64)
    if task == "multiclass":
        return float(np.mean(((p - indicators) ** 2).sum(axis=1)))
    return float(np.mean((_positive(p, task) - indicators) ** 2))


def reliability_bins(confidence: np.ndarray, outcome: np.ndarray, bins: int = ECE_BINS) -> dict[str, list]:
    """Reliability diagram data over ``bins`` equal-width bins of ``confidence`` in [0, 1]: per bin the
    ``count``, the mean ``confidence`` and the mean ``outcome`` (None for empty bins)."""
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    outcome = np.asarray(outcome, dtype=np.float64).ravel()
    which = np.clip((confidence * bins).astype(int), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sums = [np.bincount(which, values, bins) for values in (confidence, outcome)]
    means = [[float(total / k) if k else None for total, k in zip(values, counts)] for values in sums]
    return {"count": counts.tolist(), "confidence": means[0], "outcome": means[1]}


def expected_calibration_error(confidence: np.ndarray, outcome: np.ndarray, bins: int = ECE_BINS) -> float:
    """``sum_b (n_b / n) |mean_b(outcome) - mean_b(confidence)|`` over equal-width bins of ``confidence`` in [0, 1]."""
    table = reliability_bins(confidence, outcome, bins)
    total = sum(table["count"])
    gaps = [k * abs(o - c) for k, c, o in zip(table["count"], table["confidence"], table["outcome"]) if k]
    return float(sum(gaps) / total) if total else 0.0


def calibration_view(y_true: np.ndarray, y_score: np.ndarray, task: str, classes) -> tuple[np.ndarray, np.ndarray]:
    """What ECE and the reliability diagram compare: ``(confidence, outcome)`` = (P(positive), y) for binary and
    multi-label tasks, (top-label probability, top label correct) for multi-class."""
    indicators = indicators_of(y_true, task, classes)
    p = np.asarray(y_score, dtype=np.float64)
    if task == "multiclass":
        return p.max(axis=1), indicators[np.arange(len(p)), p.argmax(axis=1)]
    return _positive(p, task), indicators


def probability_metrics(y_true: np.ndarray, y_score: np.ndarray, task: str, classes, threshold: float | None = None,
                        prior: np.ndarray | None = None) -> dict[str, float | None]:
    """brier, log_loss, ece; binary adds auprc and (given ``threshold``) accuracy_at_threshold; given the training
    class shares ``prior``, the majority-class reference_accuracy and reference_brier."""
    indicators = indicators_of(y_true, task, classes)
    p = np.asarray(y_score, dtype=np.float64)
    result: dict[str, float | None] = {"brier": brier_score(p, indicators, task),
                                       "log_loss": negative_log_likelihood(p, indicators, task)}
    result["ece"] = expected_calibration_error(*calibration_view(y_true, p, task, classes))
    if task == "binary":
        positive = _positive(p, task)
        result["auprc"] = float(average_precision_score(indicators, positive)) if 0 < indicators.sum() < len(indicators) else None
        if threshold is not None:
            result["threshold"] = float(threshold)
            result["accuracy_at_threshold"] = float(np.mean((positive >= threshold) == indicators.astype(bool)))
    if prior is not None and task in ("binary", "multiclass"):
        prior = np.asarray(prior, dtype=np.float64)
        constant = np.broadcast_to(prior, (len(p), len(prior)))
        result["reference_accuracy"] = float(np.mean(np.asarray(y_true) == np.asarray(classes)[int(np.argmax(prior))]))
        result["reference_brier"] = brier_score(constant, indicators, task)
    return result


def predicted_labels(y_score: np.ndarray, task: str, classes: np.ndarray | None = None) -> np.ndarray:
    """Hard predictions from scores: argmax (multi-class), threshold 0.5 (binary on P(class 1), multi-label)."""
    y_score = np.asarray(y_score)
    if task == "multilabel":
        return (y_score >= 0.5).astype(np.int64)
    if task in ("regression", "survival"):  # values, or log-risk scores
        return y_score
    if y_score.ndim == 1:
        if task == "binary" and y_score.dtype.kind == "f":
            classes = np.array([0, 1]) if classes is None else np.asarray(classes)
            return classes[(y_score >= 0.5).astype(int)]
        return y_score
    classes = np.arange(y_score.shape[1]) if classes is None else np.asarray(classes)
    return classes[np.argmax(y_score, axis=1)]


def _one_vs_rest_auroc(indicators: np.ndarray, scores: np.ndarray) -> float | None:
    """Macro AUROC over the columns that hold both positives and negatives (None if none does).

    Each column's AUROC is the Mann-Whitney statistic, ``(Σ_{i positive} rank_i − P(P+1)/2) / (P·N)`` with
    average ranks for ties (a tie counts one half), as :func:`sklearn.metrics.roc_auc_score`, for all columns at
    once (the bootstrap intervals evaluate it thousands of times).
    """
    indicators = np.asarray(indicators, dtype=bool)
    positives = indicators.sum(axis=0)
    negatives = len(indicators) - positives
    defined = (positives > 0) & (negatives > 0)
    if not defined.any():
        return None
    ranks = rankdata(scores[:, defined], axis=0)
    p, n = positives[defined], negatives[defined]
    values = ((ranks * indicators[:, defined]).sum(axis=0) - p * (p + 1) / 2) / (p * n)
    return float(np.mean(values))


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


def classification_metrics(y_true, y_score, task: str, classes=None, threshold: float | None = None,
                           prior: np.ndarray | None = None) -> dict[str, float | None]:
    """accuracy, balanced_accuracy, f1_micro, f1_macro, auroc of one subset (multi-label accuracy is exact match),
    plus the probability metrics of :func:`probability_metrics` when ``y_score`` holds probabilities."""
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
    if has_scores:
        classes = (np.array([0, 1]) if task == "binary" else np.arange(y_score.shape[1])) if classes is None else classes
        known = np.ones(len(y_true), bool) if task == "multilabel" else np.isin(y_true, classes)
        if not known.all():  # labels the model never saw (scored as wrong above): no probability to score them by
            result["unseen_labels"] = int((~known).sum())
            y_true, y_score = y_true[known], y_score[known]
        result["auroc"] = auroc(y_true, y_score, task, classes) if len(y_true) else None
        if len(y_true):
            result.update(probability_metrics(y_true, y_score, task, classes, threshold, prior))
    else:
        result["auroc"] = None
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


def subset_metrics(y_true, y_score, task: str, classes=None, threshold: float | None = None,
                   prior: np.ndarray | None = None) -> dict:
    """``count`` plus the task's metrics for one subset of samples (``threshold``, ``prior``: see
    :func:`probability_metrics`)."""
    if task not in CLASSIFICATION_TASKS + ("regression",):
        raise MissmodalError(f"unknown task {task!r}")
    count = int(len(y_true))
    if count == 0:
        return {"count": 0}
    metrics = (regression_metrics(y_true, y_score) if task == "regression"
               else classification_metrics(y_true, y_score, task, classes, threshold, prior))
    return {"count": count, **metrics}
