"""Cross-validated AUROC with an interval: how well a classifier separates two groups out of sample.

Used for the propensity of being complete (ICYM2I) and for the missingness-mechanism evidence (audit). The
model is refitted on each training fold (any hyper-parameter tuning happens inside that fold, so the outer
folds never see it: nested cross-validation). Each test fold's AUROC has DeLong's variance
(``var = var(V10)/m + var(V01)/n`` with the placement values ``V10_i = mean_j ψ(x_i, y_j)``,
``V01_j = mean_i ψ(x_i, y_j)``, ``ψ = 1[x > y] + ½ 1[x = y]`` over the m positives x and n negatives y); the
reported AUROC is the mean over folds and its 95% interval ``mean ± 1.96 se`` with
``se² = max(Σ_k var_k / K², s²_folds / K)`` (folds are disjoint test sets; the spread ``s²_folds`` of the
fold AUROCs also carries the variability of refitting the model, which DeLong's variance ignores).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

#: Normal quantile of a two-sided 95% interval.
Z_95 = 1.959963984540054


def delong_auroc(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """AUROC of ``scores`` (n,) for the bool labels ``positive`` (n,) and its DeLong variance."""
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    x, y = scores[positive], scores[~positive]
    m, n = x.size, y.size
    all_ranks = rankdata(np.r_[x, y])
    v10 = (all_ranks[:m] - rankdata(x)) / n
    v01 = 1.0 - (all_ranks[m:] - rankdata(y)) / m
    auroc = float(v10.mean())
    variance = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    return auroc, float(variance)


def stratified_auroc(scores: np.ndarray, positive: np.ndarray, strata: np.ndarray | None = None) -> tuple[float, float]:
    """AUROC comparing positives with negatives of the same stratum only, and its variance.

    ``AUROC = Σ_s (m_s n_s) A_s / Σ_s m_s n_s`` over strata with both classes (``A_s`` and its DeLong
    variance per stratum, variance ``Σ_s (m_s n_s)² var_s / (Σ_s m_s n_s)²``); without ``strata``, plain
    :func:`delong_auroc`. NaN when no stratum holds both classes.
    """
    if strata is None:
        return delong_auroc(scores, positive)
    values, variances, pairs = [], [], []
    for stratum in np.unique(strata):
        rows = strata == stratum
        m = int(positive[rows].sum())
        n = int(rows.sum()) - m
        if m and n:
            auroc, variance = delong_auroc(scores[rows], positive[rows])
            values.append(auroc)
            variances.append(variance)
            pairs.append(m * n)
    if not pairs:
        return float("nan"), float("nan")
    weight = np.asarray(pairs, dtype=float) / np.sum(pairs)
    return float(weight @ np.asarray(values)), float(np.square(weight) @ np.asarray(variances))


def cross_validated_auroc(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], y: np.ndarray,
                          n_folds: int = 5, seed: int = 0, strata: np.ndarray | None = None) -> dict:
    """Stratified K-fold AUROC of ``fit_predict(train_index, test_index) -> scores of the test rows``.

    ``y`` (n,) bool are the labels; with ``strata`` (n,) each fold's AUROC compares only samples of the
    same stratum (:func:`stratified_auroc`). Returns ``auroc`` (mean
    over folds), ``interval`` (95%, clipped to [0, 1]), ``fold_aurocs``, ``n_folds``, ``n_positive`` and
    ``n_negative``.
    """
    y = np.asarray(y, dtype=bool)
    values, variances = [], []
    for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros((len(y), 1)), y):
        auroc, variance = stratified_auroc(fit_predict(train, test), y[test], None if strata is None else strata[test])
        if np.isfinite(auroc):
            values.append(auroc)
            variances.append(variance)
    if not values:
        return {"auroc": None, "interval": None, "fold_aurocs": [], "n_folds": n_folds,
                "n_positive": int(y.sum()), "n_negative": int((~y).sum())}
    mean = float(np.mean(values))
    spread = float(np.var(values, ddof=1)) / len(values) if len(values) > 1 else 0.0
    half = Z_95 * float(np.sqrt(max(np.sum(variances) / len(values) ** 2, spread)))
    return {"auroc": mean, "interval": [max(0.0, mean - half), min(1.0, mean + half)],
            "fold_aurocs": [float(v) for v in values], "n_folds": n_folds,
            "n_positive": int(y.sum()), "n_negative": int((~y).sum())}
