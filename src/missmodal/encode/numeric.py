"""``numeric``: a vector per row (a list cell, or a ``.npy``/``.csv`` file) passed through unchanged.

Every present row must have the same number of values d, learned from the training rows and saved.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import MissmodalError
from .base import ENCODERS, EncodeOptions, FittedEncoder


@ENCODERS.register("numeric", "vector column or array files passed through (numeric)")
class NumericEncoder(FittedEncoder):
    input_kind = "array"

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, options)
        if argument:
            raise MissmodalError(f"encoder {spec!r}: 'numeric' takes no argument")

    @property
    def dim(self) -> int:
        self.check_fitted()
        return self._dim

    def fit(self, items: Sequence[np.ndarray]) -> "NumericEncoder":
        self._dim = int(np.asarray(items[0]).size)
        self._fitted = True
        return self

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self.check_fitted()
        return {}, {"spec": self.spec, "dim": self._dim}

    def load_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "NumericEncoder":
        self._dim = int(config["dim"])
        self._fitted = True
        return self

    def encode(self, items: Sequence[np.ndarray]) -> np.ndarray:
        self.check_fitted()
        for i, item in enumerate(items):
            if item.size != self._dim:
                raise MissmodalError(f"encoder {self.spec!r}: item {i} of a batch has {item.size} values, expected {self._dim}")
        return np.stack([item.reshape(-1) for item in items]).astype(np.float32)
