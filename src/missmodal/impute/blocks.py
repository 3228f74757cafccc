"""Modality blocks of a 2-D feature array: widths, observed masks and modality-wise normalisation.

A ``(n, D)`` array holds the modalities side by side; ``widths`` lists their feature counts
(``sum(widths) == D``). A modality is observed in a row when its whole block is finite and missing when its
whole block is NaN; anything in between is malformed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import MissmodalError


def check_widths(modalities: Sequence[int] | None, n_features: int) -> list[int]:
    """Block widths from the ``modalities`` parameter (``None``: every column its own modality)."""
    if modalities is None:
        return [1] * n_features
    try:
        widths = [int(w) for w in modalities]
    except (TypeError, ValueError):
        raise MissmodalError(f"modalities must be a list of block widths (ints), got {modalities!r}") from None
    if not widths or min(widths) < 1:
        raise MissmodalError(f"modalities must be a non-empty list of positive block widths, got {widths}")
    if sum(widths) != n_features:
        raise MissmodalError(f"modalities: block widths {widths} sum to {sum(widths)}, but X has {n_features} columns")
    return widths


def column_modality(widths: Sequence[int]) -> np.ndarray:
    """``(D,)`` index of the modality each column belongs to."""
    return np.repeat(np.arange(len(widths)), widths)


def expand(observed: np.ndarray, widths: Sequence[int]) -> np.ndarray:
    """``(n, M)`` modality mask -> ``(n, D)`` column mask."""
    return np.repeat(observed, widths, axis=1)


def observed_blocks(X: np.ndarray, widths: Sequence[int]) -> np.ndarray:
    """``(n, M)`` bool: the block of modality m is finite in row i; raise on a partly missing block."""
    finite = np.isfinite(X)
    observed = np.zeros((X.shape[0], len(widths)), dtype=bool)
    start = 0
    for m, width in enumerate(widths):
        block = finite[:, start:start + width]
        complete = block.all(axis=1)
        partial = block.any(axis=1) & ~complete
        if partial.any():
            row = int(np.flatnonzero(partial)[0])
            column = start + int(np.flatnonzero(~block[row])[0])
            raise MissmodalError(f"X, row {row}, column {column}: modality {m} (columns {start}..{start + width - 1}) "
                                 "is partly missing; a modality block must be all observed or all NaN")
        observed[:, m] = complete
        start += width
    return observed


class Moments:
    """Running per-column sums over the rows where each modality is observed (float64).

    Feed row batches with :meth:`add`; :meth:`mean_scale` gives the mean and standard deviation of each
    column over the rows where its modality is observed (a zero deviation becomes 1). The sums can be
    all-reduced across processes before reading them. ``names`` (optional) name the modalities in errors.
    """

    def __init__(self, widths: Sequence[int], names: Sequence[str] | None = None):
        self.widths = list(widths)
        self.names = list(names) if names is not None else [str(m) for m in range(len(self.widths))]
        n_features = sum(self.widths)
        self.count = np.zeros(len(self.widths))
        self.total = np.zeros(n_features)
        self.total_sq = np.zeros(n_features)

    def add(self, X: np.ndarray, observed: np.ndarray) -> None:
        values = np.where(expand(observed, self.widths), X, 0.0).astype(np.float64)
        self.count += observed.sum(axis=0)
        self.total += values.sum(axis=0)
        self.total_sq += np.einsum("ij,ij->j", values, values)

    def mean_scale(self) -> tuple[np.ndarray, np.ndarray]:
        never = np.flatnonzero(self.count == 0)
        if never.size:
            raise MissmodalError(f"modality {self.names[int(never[0])]!r} is never observed in the training data; "
                                 "an imputer cannot learn to fill it")
        count = np.repeat(self.count, self.widths)
        mean = self.total / count
        var = np.maximum(self.total_sq / count - mean**2, 0.0)
        scale = np.sqrt(var)
        scale[scale <= 1e-12 * np.maximum(np.abs(mean), 1.0)] = 1.0
        return mean, scale


def normalise(X: np.ndarray, observed: np.ndarray, widths: Sequence[int], mean: np.ndarray,
              scale: np.ndarray) -> np.ndarray:
    """``z = (x - mean) / scale`` as float32, with 0 in missing blocks (the modality mean)."""
    z = (X.astype(np.float64) - mean) / scale
    return np.where(expand(observed, widths), z, 0.0).astype(np.float32)
