"""Group-stratified evaluation: overall, per combination group, head vs tail, worst group, complete vs not.

Head groups are the most frequent groups that cover ``head_coverage`` (80%) of the *training* samples
(:func:`missmodal.data.head_groups`); every other group, including groups never seen in training, is tail.
The worst group is the one with the lowest accuracy (highest MSE for regression, lowest Harrell's C for
survival) among groups with at least ``min_group_size`` evaluated samples. A combination group with fewer
than ``min_group_size`` evaluated samples gets its count (and events) only, no metric: too few to tell.
Classification subsets carry percentile bootstrap intervals over their samples for the headline metrics
(``accuracy_ci``, ``auroc_ci``, ``brier_ci``; :mod:`missmodal.evaluate.bootstrap`); survival subsets carry
their own (:mod:`missmodal.evaluate.survival_report`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..data.groups import group_codes, group_modalities, group_name, head_groups
from ..errors import MissmodalError
from .bootstrap import headline_intervals
from .metrics import CLASSIFICATION_TASKS, subset_metrics
from .survival_report import survival_metrics


def group_report(y_true, y_score, observed: np.ndarray, modality_names: Sequence[str], task: str,
                 classes=None, train_group_counts: dict[int, int] | None = None, min_group_size: int = 10,
                 head_coverage: float = 0.8, threshold: float | None = None, prior=None, survival=None,
                 n_boot: int = 0, seed: int = 0) -> dict:
    """Metrics overall and per group.

    Parameters
    ----------
    y_true : (n,) or (n, C) targets.
    y_score : (n,) / (n, C) probabilities or predictions (see :mod:`missmodal.evaluate.metrics`).
    observed : (n, M) bool mask of the evaluated samples.
    modality_names : the M modality names.
    task : "binary", "multiclass", "multilabel" or "regression".
    classes : class labels in the column order of ``y_score`` (default ``0..C-1``).
    train_group_counts : group code -> training count, defines head/tail (default: the evaluated counts).
    min_group_size : combination groups with fewer evaluated samples get their count only (no metric) and
        are not eligible as worst group.
    threshold : binary decision threshold chosen on validation (adds ``accuracy_at_threshold``).
    prior : training class shares (adds the majority-class ``reference_accuracy`` and ``reference_brier``).
    survival : for task ``"survival"``, the :class:`~missmodal.evaluate.survival_report.SurvivalSpec`; then
        ``y_true`` is (time, event) ``(n, 2)``, ``y_score`` the packed risk and survival probabilities, and the
        worst group is the one with the lowest Harrell's C.
    n_boot, seed : bootstrap resamples (0: none) and seed of the classification intervals.

    Returns
    -------
    dict with ``overall``, ``groups`` (list, by decreasing count: ``code``, ``name``, ``modalities``,
    ``count``, ``head``, ``seen_in_training``, ``train_count``, ``too_few``, metrics unless too few), ``head``,
    ``tail``, ``worst_group``,
    ``complete``, ``incomplete``, ``min_group_size``, ``weak_groups`` (names of evaluated groups with fewer
    than ``min_group_size`` training samples; empty without ``train_group_counts``).
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    observed = np.asarray(observed, dtype=bool)
    if len(y_true) != len(y_score) or len(y_true) != len(observed):
        raise MissmodalError(f"y_true ({len(y_true)}), y_score ({len(y_score)}) and observed ({len(observed)}) differ in length")
    if observed.shape[1] != len(modality_names):
        raise MissmodalError(f"observed has {observed.shape[1]} columns for {len(modality_names)} modality names")
    codes = group_codes(observed)
    present, counts = np.unique(codes, return_counts=True)
    reference = train_group_counts if train_group_counts is not None else dict(zip(present.tolist(), counts.tolist()))
    head = head_groups(reference, head_coverage)

    def metrics_of(selection: np.ndarray) -> dict:
        if task == "survival":
            return survival_metrics(y_true[selection], y_score[selection], survival)
        result = subset_metrics(y_true[selection], y_score[selection], task, classes, threshold, prior)
        if n_boot and task in CLASSIFICATION_TASKS and result["count"] >= 2:
            result.update(headline_intervals(y_true[selection], y_score[selection], task, classes, n_boot, seed))
        return result

    def group_metrics(selection: np.ndarray, count: int) -> dict:
        if count >= min_group_size:
            return {"too_few": False, **metrics_of(selection)}
        events = {} if task != "survival" else {"events": int((y_true[selection, 1] > 0).sum())}
        return {"too_few": True, "count": count, **events}

    groups = []
    for code, count in sorted(zip(present.tolist(), counts.tolist()), key=lambda item: (-item[1], item[0])):
        groups.append({
            "code": int(code), "name": group_name(code, modality_names),
            "modalities": group_modalities(code, modality_names), "head": code in head,
            "seen_in_training": train_group_counts is None or code in train_group_counts,
            "train_count": None if train_group_counts is None else int(train_group_counts.get(code, 0)),
            **group_metrics(codes == code, count),
        })
    in_head = np.isin(codes, list(head))
    complete = observed.all(axis=1)
    lower_is_worse = task != "regression"
    key = {"regression": "mse", "survival": "c_harrell"}.get(task, "accuracy")
    eligible = [g for g in groups if g["count"] >= min_group_size and g.get(key) is not None]
    worst = None
    if eligible:
        worst_row = min(eligible, key=lambda g: g[key]) if lower_is_worse else max(eligible, key=lambda g: g[key])
        worst = {k: v for k, v in worst_row.items() if k not in ("head", "seen_in_training", "train_count")}
    return {
        "task": task,
        "overall": metrics_of(np.ones(len(codes), bool)),
        "groups": groups,
        "head": metrics_of(in_head),
        "tail": metrics_of(~in_head),
        "worst_group": worst,
        "complete": metrics_of(complete),
        "incomplete": metrics_of(~complete),
        "min_group_size": min_group_size,
        "head_coverage": head_coverage,
        "n_groups": len(groups),
        "weak_groups": [g["name"] for g in groups if g["train_count"] is not None and g["train_count"] < min_group_size],
    }
