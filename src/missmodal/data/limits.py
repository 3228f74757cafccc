"""Magnitude limit of input values: larger values would overflow the float32 computations downstream.

Modalities are float32 (largest finite value about 3.4e38); distances, variances and logits square and sum
values, so a value of 1e20 already overflows (1e40). Every reader refuses a value whose magnitude exceeds
:data:`MAX_ABS_VALUE` with a one-line error naming the file, column and row, instead of producing NaN
results later. Squares of accepted values stay below 1e30, leaving room for sums over ~1e8 terms.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError

MAX_ABS_VALUE = 1e15


def check_magnitude(values: np.ndarray, rows: np.ndarray | None, source: str, column: str, row_offset: int = 0) -> None:
    """Raise when an observed value (``rows``: the observed rows, None for all) exceeds :data:`MAX_ABS_VALUE`.

    ``values`` is ``(n,)`` or ``(n, d)``; non-finite values are checked elsewhere and ignored here.
    """
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    too_large = np.nan_to_num(magnitude, nan=0.0, posinf=0.0) > MAX_ABS_VALUE
    if too_large.ndim == 2:
        too_large = too_large.any(axis=1)
    if rows is not None:
        too_large &= rows
    if too_large.any():
        row = int(np.flatnonzero(too_large)[0])
        big = float(np.nanmax(np.where(np.isfinite(magnitude[row]), magnitude[row], 0.0)))
        raise DataFormatError(f"{source}, column {column!r}, row {row_offset + row}: value of magnitude {big:.3g} exceeds "
                              f"{MAX_ABS_VALUE:.0e}, which float32 computations cannot handle; rescale the column")
