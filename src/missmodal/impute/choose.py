"""Settings chosen by masked-block validation: the k of the cluster imputer and the method of ``auto``.

Every candidate is scored by :func:`~missmodal.impute.validation.masked_block_validation` on the same
hidden blocks (one seed for all, so the comparison is paired), and the lowest mean error wins. No label
is ever used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from .validation import ValidationResult, can_hide, masked_block_validation

FALLBACK_K = 8
FALLBACK_METHOD = "mean"


def choose_k(imputer: Any, X: np.ndarray, random_state: np.random.RandomState) -> tuple[int, dict[int, float]]:
    """The ``n_clusters`` of ``imputer.n_clusters_grid`` with the lowest masked-block error on ``X``.

    ``X`` (s, D) float32 with NaN blocks (the rows k-means++ runs on); ks above ``s / 5`` are skipped, and
    the scan stops once two ks in a row score worse than the best so far. Returns ``(k, {k: error})``.
    When no block can be hidden (every row has one modality) nothing can be scored: ``(min(8, s), {})``.
    """
    if not can_hide(X, imputer.widths_):
        return min(FALLBACK_K, X.shape[0]), {}
    grid = sorted({int(k) for k in imputer.n_clusters_grid if 1 <= int(k) <= max(1, X.shape[0] // 5)}) or [1]
    seed = int(random_state.randint(np.iinfo(np.int32).max))
    scores: dict[int, float] = {}
    worse = 0
    for k in grid:
        candidate = clone(imputer).set_params(n_clusters=k, distributed=False, random_state=seed,
                                              modalities=list(imputer.widths_))
        scores[k] = masked_block_validation(candidate, X, share=imputer.validation_share, random_state=seed).mean
        worse = worse + 1 if scores[k] > min(scores.values()) else 0
        if worse == 2:
            break
    return min(scores, key=scores.get), scores


def choose_method(candidates: dict[str, Any], X: np.ndarray, widths: list[int], share: float, n_repeats: int,
                  seed: int, names: list[str] | None = None) -> tuple[str, dict[str, ValidationResult]]:
    """The name of the candidate imputer with the lowest masked-block error on ``X``, and every result
    (modalities named ``names`` in them).

    When no block can be hidden (every row has one modality) nothing can be scored: ``("mean", {})``.
    """
    if not can_hide(X, widths):
        return FALLBACK_METHOD, {}
    results = {}
    for name, imputer in candidates.items():
        candidate = clone(imputer).set_params(modalities=list(widths))
        results[name] = masked_block_validation(candidate, X, share=share, n_repeats=n_repeats, random_state=seed,
                                                name=name, modality_names=names)
    return min(results, key=lambda name: results[name].mean), results
