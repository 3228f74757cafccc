"""Weighted classification metrics and information in bits, for many weight vectors at once.

Each metric is computed for every row of a weight matrix ``W`` of shape (B, n): row 0 is usually the
estimate (IPW weights, or ones for the naive estimate) and rows 1.. bootstrap replicates (multinomial
counts times the weights). The predictions are sorted once and all rows are scored together.

Information: ``I(Y; X_S) ≈ H_w(Y) - CE_w`` in bits (a variational lower bound, clipped at 0), with
``H_w(Y)`` the entropy of the weighted label frequencies and ``CE_w`` the weighted cross-entropy
``Σ_i w_i (-log2 p̂(y_i | x_i)) / Σ_i w_i``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import xlogy

METRICS = ("auroc", "auprc", "accuracy", "cross_entropy", "entropy", "information_bits")
PROBABILITY_FLOOR = 1e-12


def _tie_groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending sort order of ``scores`` and the start index of each run of tied values in that order."""
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts


def _ranking_metrics(positive: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted AUROC and average precision (ties as scikit-learn) of one binary problem, for each weight row.

    ``positive`` (n,) bool, ``scores`` (n,), ``weights`` (B, n); NaN where a row has no positive or no
    negative weight.
    """
    order, starts = _tie_groups(scores)
    w = weights[:, order]
    pos = positive[order]
    group_pos = np.add.reduceat(w * pos, starts, axis=1)
    group_neg = np.add.reduceat(w * ~pos, starts, axis=1)
    total_pos, total_neg = group_pos.sum(axis=1), group_neg.sum(axis=1)
    below = np.cumsum(group_neg, axis=1) - group_neg
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (group_pos * (below + 0.5 * group_neg)).sum(axis=1) / (total_pos * total_neg)
        true_pos = np.cumsum(group_pos[:, ::-1], axis=1)
        predicted = true_pos + np.cumsum(group_neg[:, ::-1], axis=1)
        precision = np.where(predicted > 0, true_pos / np.where(predicted > 0, predicted, 1), 0.0)
        auprc = (group_pos[:, ::-1] * precision).sum(axis=1) / total_pos
    undefined = (total_pos <= 0) | (total_neg <= 0)
    return np.where(undefined, np.nan, auroc), np.where(undefined, np.nan, auprc)


def weighted_metrics(y: np.ndarray, proba: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted metrics of class probabilities for each row of a weight matrix.

    Parameters
    ----------
    y : array of shape (n,)
        Class codes ``0..K-1``.
    proba : array of shape (n, K)
        Predicted class probabilities.
    weights : array of shape (B, n) or (n,)
        Non-negative sample weights, one row per estimate.

    Returns
    -------
    dict of str to array of shape (B,)
        ``auroc`` (binary: of class 1; multi-class: macro one-vs-rest), ``auprc`` (average precision,
        same averaging), ``accuracy``, ``cross_entropy`` (bits), ``entropy`` H(Y) (bits) and
        ``information_bits`` = max(entropy - cross_entropy, 0).
    """
    y = np.asarray(y, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n_classes = proba.shape[1]
    total = weights.sum(axis=1)
    accuracy = weights @ (proba.argmax(axis=1) == y) / total
    nll = -np.log2(np.clip(proba[np.arange(len(y)), y], PROBABILITY_FLOOR, 1.0))
    cross_entropy = weights @ nll / total
    frequencies = weights @ np.eye(n_classes)[y] / total[:, None]
    entropy = -xlogy(frequencies, frequencies).sum(axis=1) / np.log(2)
    columns = [1] if n_classes == 2 else range(n_classes)
    ranking = [_ranking_metrics(y == c, proba[:, c], weights) for c in columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row where no class has both outcomes: NaN
        auroc = np.nanmean(np.stack([r[0] for r in ranking]), axis=0)
        auprc = np.nanmean(np.stack([r[1] for r in ranking]), axis=0)
    # Weighted sums round to 1 + 4e-16 on perfect predictions; keep the rates within [0, 1] (NaN stays NaN).
    auroc, auprc, accuracy = (np.clip(v, 0.0, 1.0) for v in (auroc, auprc, accuracy))
    return {"auroc": auroc, "auprc": auprc, "accuracy": accuracy, "cross_entropy": cross_entropy,
            "entropy": entropy, "information_bits": np.maximum(entropy - cross_entropy, 0.0)}


def cross_fitted_metrics(y: np.ndarray, proba: np.ndarray, weights: np.ndarray, folds: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`weighted_metrics` of out-of-fold predictions, ranking metrics computed within folds.

    AUROC and AUPRC compare scores, and scores of different folds come from different models: pooling
    them biases the AUROC of an uninformative predictor below 0.5. They are computed per fold and
    averaged with the folds' total weights; accuracy, cross-entropy and entropy are pooled.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    result = weighted_metrics(y, proba, weights)
    for name in ("auroc", "auprc"):
        values, totals = [], []
        for k in np.unique(folds):
            rows = folds == k
            values.append(weighted_metrics(y[rows], proba[rows], weights[:, rows])[name])
            totals.append(weights[:, rows].sum(axis=1))
        values, totals = np.stack(values), np.stack(totals) * np.isfinite(np.stack(values))
        with np.errstate(invalid="ignore"):
            result[name] = np.nansum(values * totals, axis=0) / totals.sum(axis=0)
    return result


def bootstrap_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``(1 + n_boot, n)`` resampling counts: a row of ones (the estimate), then multinomial draws of n."""
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) if n_boot > 0 else np.zeros((0, n))
    return np.vstack([np.ones((1, n)), draws])


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> list[float] | None:
    """Percentile bootstrap interval of a (B,) array (NaNs ignored); None without finite replicates."""
    values = np.asarray(replicates, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    tail = (1 - level) / 2
    return [float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))]


#: The range each reported quantity can take (bias correction and intervals are kept inside it).
BOUNDS = {"auroc": (0.0, 1.0), "auprc": (0.0, 1.0), "accuracy": (0.0, 1.0), "cross_entropy": (0.0, None),
          "entropy": (0.0, None), "information_bits": (0.0, None), "pid": (0.0, None), "gain_bits": (None, None)}


def bias_corrected(values: np.ndarray, quantity: str = "gain_bits",
                   level: float = 0.95) -> tuple[float | None, list[float] | None]:
    """Bias-corrected (BC) percentile estimate and interval (Efron) from ``values`` (1 + B,): the plug-in
    estimate ``θ̂``, then the B refitted replicates ``θ*`` (NaN where a resample could not be estimated).

    With ``p`` the share of replicates below ``θ̂`` (ties count half; kept within ``[1/2B, 1 - 1/2B]``) and
    ``z0 = Φ⁻¹(p)``, the estimate is the ``Φ(2 z0)`` quantile of ``θ*`` and the interval runs from the
    ``Φ(2 z0 + z_{α/2})`` to the ``Φ(2 z0 + z_{1-α/2})`` quantile. Why: a cross-fitted information is biased
    low at small n (a predictor fitted on fewer samples has a larger held-out cross-entropy), and a refitted
    resample, with about 63% distinct samples, is biased lower still, so the plain percentile interval sits
    below the truth; ``z0`` measures that median bias and moves the estimate and both ends up by it. Unlike
    the reflected (basic) interval, the ends are replicate values, so a quantity bounded at 0 (an
    information, a PID term) keeps a valid interval, and the estimate lies inside its interval. Without
    finite replicates: ``(θ̂, None)``; ``(None, None)`` when ``θ̂`` is NaN (not estimable)."""
    from scipy.stats import norm

    values = np.asarray(values, dtype=float)
    estimate = values[0]
    if not np.isfinite(estimate):
        return None, None
    replicates = values[1:][np.isfinite(values[1:])]
    if replicates.size == 0:
        return float(estimate), None
    below = (np.sum(replicates < estimate) + 0.5 * np.sum(replicates == estimate)) / replicates.size
    z0 = norm.ppf(np.clip(below, 0.5 / replicates.size, 1 - 0.5 / replicates.size))
    z = norm.ppf((1 - level) / 2)
    low, high = BOUNDS.get(quantity, (None, None))
    corrected = np.clip(np.quantile(replicates, norm.cdf([2 * z0, 2 * z0 + z, 2 * z0 - z])), low, high)
    return float(corrected[0]), [float(corrected[1]), float(corrected[2])]
