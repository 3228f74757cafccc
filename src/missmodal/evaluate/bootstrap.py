"""Percentile bootstrap intervals over the samples of one evaluated subset (overall, a group, head, tail, ...).

``B`` resamples of the subset's ``n`` samples are drawn with replacement by a seeded generator
(``rng.integers(0, n, n)`` each); a metric's interval is the 2.5 and 97.5 percentiles of its replicate values.
A resample on which a metric is undefined (an AUROC on a resample with one class) is left out for that
metric; none left: no interval. The intervals describe the sampling error of the test set only (the model
is held fixed), and assume the test samples are independent draws from the population scored.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..informativeness.metrics import percentile_interval

#: The headline metrics of a classification subset that carry an interval.
HEADLINE = ("accuracy", "auroc", "brier")


def bootstrap_intervals(statistic: Callable[[np.ndarray], dict | None], n: int, n_boot: int,
                        seed: int = 0) -> dict[str, list[float] | None]:
    """``{metric: [low, high]}`` from ``n_boot`` resamples of ``n`` samples.

    ``statistic(rows)`` gets the (n,) resampled row indices and returns ``{metric: value or None}``, or None
    to drop the whole resample (e.g. too few events in it).
    """
    rng = np.random.default_rng(seed)
    replicates: dict[str, list[float]] = {}
    for _ in range(n_boot):
        values = statistic(rng.integers(0, n, n))
        if values is None:
            continue
        for key, value in values.items():
            replicates.setdefault(key, []).append(np.nan if value is None else value)
    return {key: percentile_interval(np.asarray(values)) for key, values in replicates.items()}


def headline_metrics(y_true: np.ndarray, y_score: np.ndarray, task: str, classes) -> dict[str, float | None]:
    """Accuracy, AUROC and Brier score of one classification subset, as :func:`~missmodal.evaluate.metrics.
    classification_metrics` computes them (labels the model never saw count as wrong in accuracy and are left
    out of AUROC and Brier); AUROC and Brier are None for label predictions."""
    from .metrics import auroc, brier_score, indicators_of, predicted_labels

    y_pred = predicted_labels(y_score, task, classes)
    exact = y_true == y_pred
    result: dict[str, float | None] = {"accuracy": float(np.mean(exact.all(axis=1) if exact.ndim == 2 else exact)),
                                       "auroc": None, "brier": None}
    if y_score.dtype.kind != "f" or (y_score.ndim == 1 and task != "binary"):
        return result
    if task != "multilabel":
        known = np.isin(y_true, classes)
        y_true, y_score = y_true[known], y_score[known]
    if len(y_true):
        result["auroc"] = auroc(y_true, y_score, task, classes)
        result["brier"] = brier_score(y_score, indicators_of(y_true, task, classes), task)
    return result


def headline_intervals(y_true, y_score, task: str, classes, n_boot: int, seed: int = 0) -> dict[str, list | None]:
    """``accuracy_ci``, ``auroc_ci``, ``brier_ci`` of one classification subset (``classes`` default ``0..C-1``)."""
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    if classes is None:
        classes = np.array([0, 1]) if task == "binary" or y_score.ndim == 1 else np.arange(y_score.shape[1])
    classes = np.asarray(classes)
    intervals = bootstrap_intervals(lambda rows: headline_metrics(y_true[rows], y_score[rows], task, classes),
                                    len(y_true), n_boot, seed)
    return {f"{key}_ci": intervals.get(key) for key in HEADLINE}
