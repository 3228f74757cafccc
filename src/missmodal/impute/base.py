"""The `Imputer` protocol: one estimator API over `MultimodalData` and over 2-D NaN arrays.

Every imputer is a scikit-learn transformer. ``fit``/``transform`` accept either

- a :class:`~missmodal.MultimodalData` (modalities and the observed mask are taken from it; ``transform``
  returns a `MultimodalData` with every modality observed and ``metadata["imputation"]`` recording the
  method, the number of imputed slots and ``imputed_fields``, the missing fields that ``field_observed``
  marks inside observed blocks, which are filled too, see ``_fill_fields``), or
- a 2-D float array with NaN for missing values, whose column blocks are given by the ``modalities``
  parameter (list of block widths; ``None`` = every column its own modality); ``transform`` returns an
  array of the same dtype without NaN.

Observed values are never changed: the output is ``where(observed, X, fill)``, bit for bit (field by field
where ``field_observed`` says which fields are present). Subclasses implement ``_fit(X, observed)`` and
``_fill(X, observed)`` on float32 ``(n, D)`` arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..data.multimodal import MultimodalData
from ..errors import MissmodalError
from ..registry import Registry
from .blocks import check_widths, observed_blocks

IMPUTERS = Registry("imputer")


class BaseImputer(TransformerMixin, BaseEstimator):
    """Shared input handling of the imputers (see the module docstring)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # --- input --------------------------------------------------------------------------------------
    def _check_input(self, X: Any, reset: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(values, X32, observed)``: the input array (its dtype kept), a float32 copy, the ``(n, M)`` mask."""
        if isinstance(X, MultimodalData):
            values, widths = X.to_array()
            if self.modalities is not None and check_widths(self.modalities, values.shape[1]) != widths:
                raise MissmodalError(f"modalities={list(self.modalities)} does not match the data's block widths {widths}")
            if reset:
                self.n_features_in_ = values.shape[1]
                self.widths_ = widths
                self.modality_names_ = X.modality_names
            elif X.modality_names != self.modality_names_ or widths != self.widths_:
                raise MissmodalError(f"data has modalities {X.dims}, but the imputer was fitted on "
                                     f"{dict(zip(self.modality_names_, self.widths_))}")
            observed = X.observed
        else:
            values = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan",
                                   dtype=[np.float64, np.float32])
            if reset:
                self.widths_ = check_widths(self.modalities, values.shape[1])
                self.modality_names_ = [f"m{m}" for m in range(len(self.widths_))]
            observed = observed_blocks(values, self.widths_)
        return values, values.astype(np.float32, copy=False), observed

    # --- estimator API ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> "BaseImputer":
        """Learn what the imputer needs from the observed values of ``X`` (`MultimodalData` or array)."""
        _, X32, observed = self._check_input(X, reset=True)
        if X32.shape[0] == 0:
            raise MissmodalError("X has 0 samples; fitting needs at least one")
        never = np.flatnonzero(~observed.any(axis=0))
        if never.size and not getattr(self, "distributed", False):  # a shard may lack a modality
            raise MissmodalError(f"modality {self.modality_names_[int(never[0])]!r} is never observed in the training "
                                 "data; an imputer cannot learn to fill it")
        self._fit(X32, observed)
        return self

    def transform(self, X: Any) -> Any:
        """``X`` with every missing slot filled; observed values are returned unchanged."""
        check_is_fitted(self)
        values, X32, observed = self._check_input(X, reset=False)
        filled = values.copy() if observed.all() else self._complete(values, self._fill(X32, observed), observed)
        if not isinstance(X, MultimodalData):
            return filled
        fields = self._fill_fields(X, values, filled, observed)
        record = {"method": self._method_name(), "imputed_slots": int((~observed).sum()), "imputed_fields": fields,
                  **self.choices()}
        return self._as_data(X, filled, record)

    def _fill_fields(self, data: MultimodalData, values: np.ndarray, filled: np.ndarray, observed: np.ndarray) -> int:
        """Fill, in place in ``filled`` (n, D), the missing fields inside the observed blocks of ``data``.

        ``data.field_observed`` marks them (a flat table's partly observed block holds a fill value there, e.g.
        the field mean). For each such modality m, the rows with a partly observed block are imputed again
        with block m hidden, and the missing fields take that fill: the imputer's value of the block given
        the sample's other modalities (the block's own present fields are not used: an imputer completes
        whole blocks). ``values`` (n, D) is the input with NaN in missing blocks. Returns the number of fields
        filled inside observed blocks.
        """
        count = 0
        bounds = np.cumsum([0] + self.widths_)
        for name, present in (data.field_observed or {}).items():
            m = self.modality_names_.index(name)
            block = slice(bounds[m], bounds[m + 1])
            rows = np.flatnonzero(observed[:, m] & ~present.all(axis=1))
            if rows.size:
                hidden = observed[rows].copy()
                hidden[:, m] = False
                X = values[rows].astype(np.float32)
                X[:, block] = np.nan
                refill = self._fill(X, hidden)[:, block]
                gaps = ~present[rows]
                filled[rows, block] = np.where(gaps, refill, filled[rows, block])
                count += int(gaps.sum())
        return count

    # --- helpers for subclasses ---------------------------------------------------------------------
    def _complete(self, values: np.ndarray, fill: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """``where(observed, values, fill)`` in the dtype of ``values``, written into ``fill`` when it is a
        writable array of that dtype (``_fill`` returns a fresh array)."""
        out = fill if fill.dtype == values.dtype and fill.flags.writeable else fill.astype(values.dtype)
        bounds = np.cumsum([0] + self.widths_)
        for m in range(len(self.widths_)):
            block = slice(bounds[m], bounds[m + 1])
            np.copyto(out[:, block], values[:, block], where=observed[:, m:m + 1])
        return out

    def _as_data(self, data: MultimodalData, filled: np.ndarray, record: dict) -> MultimodalData:
        bounds = np.cumsum([0] + self.widths_)
        modalities = {}
        for m, name in enumerate(self.modality_names_):
            block = filled[:, bounds[m]:bounds[m + 1]]
            modalities[name] = np.where(data.field_mask(name), data.modalities[name], block)  # observed fields kept
        result = data.replace(modalities=modalities, observed=np.ones_like(data.observed), field_observed=None)
        result.metadata["imputation"] = record
        return result

    def choices(self) -> dict:
        """Settings the imputer chose while fitting, recorded in ``metadata["imputation"]`` (none here)."""
        return {}

    def _method_name(self) -> str:
        return next((name for name in IMPUTERS if IMPUTERS.get(name) is type(self)), type(self).__name__)


def make_imputer(name: str, **params: Any) -> BaseImputer:
    """The imputer registered under ``name`` (``zero``, ``mean``, ``knn``, ``iterative``, ``generative``,
    ``cluster``), built with scikit-learn parameters."""
    builder = IMPUTERS.get(name)
    try:
        return builder(**params)
    except TypeError as error:
        raise MissmodalError(f"imputer {name!r}: bad parameters {sorted(params)} ({error})") from None
