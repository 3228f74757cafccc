"""Reconstruction error of an imputation on hidden true values, per modality, in units of its spread."""

from __future__ import annotations

import numpy as np

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError


def reconstruction_error(full: MultimodalData, imputed: MultimodalData, hidden: np.ndarray) -> dict[str, float | None]:
    """Normalised RMSE of the imputed values of the hidden slots, per modality.

    For modality m with hidden rows H_m (``hidden[:, m]``) and per-dimension standard deviation
    ``σ_mj`` of the complete data::

        error_m = sqrt( mean_{i ∈ H_m, j} ((x̂_ij − x_ij) / σ_mj)² )

    so 1.0 is roughly the error of filling with the mean, 0 is perfect. ``None`` when nothing of m is hidden.

    Parameters
    ----------
    full : the complete data (true values in every slot that ``hidden`` marks).
    imputed : the same rows after imputation.
    hidden : (n, M) bool, the slots that were hidden from the imputer.

    Returns
    -------
    dict of modality name -> error, plus ``"mean"``: the average over modalities with hidden slots.
    """
    hidden = np.asarray(hidden, dtype=bool)
    if hidden.shape != full.observed.shape or imputed.observed.shape != full.observed.shape:
        raise MissmodalError(f"full {full.observed.shape}, imputed {imputed.observed.shape} and hidden {hidden.shape} "
                             "must describe the same (n, M) slots")
    if imputed.modality_names != full.modality_names:
        raise MissmodalError(f"imputed modalities {imputed.modality_names} differ from {full.modality_names}")
    unknown = hidden & ~full.observed
    if unknown.any():
        row, m = map(int, np.argwhere(unknown)[0])
        raise MissmodalError(f"row {row}, modality {full.modality_names[m]!r}: hidden slot has no true value in full")
    errors: dict[str, float | None] = {}
    for m, name in enumerate(full.modality_names):
        rows = hidden[:, m]
        if not rows.any():
            errors[name] = None
            continue
        truth = full.modalities[name].astype(np.float64)
        spread = truth[full.observed[:, m]].std(axis=0)
        spread[spread == 0] = 1.0
        guess = imputed.modalities[name][rows].astype(np.float64)
        if not np.isfinite(guess).all():
            raise MissmodalError(f"modality {name!r}: imputed values contain NaN or inf")
        errors[name] = float(np.sqrt(np.mean(((guess - truth[rows]) / spread) ** 2)))
    values = [e for e in errors.values() if e is not None]
    errors["mean"] = float(np.mean(values)) if values else None
    return errors
