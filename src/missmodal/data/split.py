"""Seeded, stratified splitting of a `MultimodalData` into parts."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import MissmodalError

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _strata(data) -> np.ndarray:
    codes = data.group_codes()
    if data.task in ("binary", "multiclass"):
        _, classes = np.unique(data.target, return_inverse=True)
        return codes * (int(classes.max()) + 1) + classes
    if data.task == "survival":  # events and censored samples in every part
        return codes * 2 + data.event.astype(np.int64)
    return codes


def stratified_split_indices(data, fractions: Sequence[float], seed: int, stratify: bool = True) -> list[np.ndarray]:
    """Sorted index arrays of each part.

    Samples are ordered by stratum (random order inside each), then position j goes to the part whose
    cumulative-fraction interval holds ``frac((j + r) * phi)``, a low-discrepancy sequence (phi the golden
    ratio conjugate, r a seeded offset): every run of consecutive positions, so every stratum, is split
    close to the requested fractions, small strata included, and the part sizes are within a few samples
    of ``fractions * n``.
    """
    fractions = np.asarray(fractions, dtype=float)
    if fractions.ndim != 1 or len(fractions) < 2 or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise MissmodalError(f"split fractions must be >= 0, at least two, and sum to 1; got {list(fractions)}")
    rng = np.random.default_rng(seed)
    strata = _strata(data) if stratify else np.zeros(data.n_samples, dtype=np.int64)
    order = np.lexsort((rng.random(data.n_samples), strata))
    positions = (np.arange(data.n_samples) + rng.random() * 1000) * _GOLDEN % 1.0
    part_of_position = np.searchsorted(np.cumsum(fractions)[:-1], positions, side="right")
    return [np.sort(order[part_of_position == p]) for p in range(len(fractions))]
