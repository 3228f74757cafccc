"""``rocket:DIM``: MiniRocket-style features of 1-D signals (weight-free, fitted on the training rows).

The 84 MiniRocket kernels have length 9, weight 2 at three positions and -1 at the other six. Feature f uses
kernel k_f at dilation d_f and bias b_f: with ``C_t = sum_j w_{k_f, j} x_{t + (j - 4) d_f}`` (zero padding),
the feature is the proportion of positive values ``PPV = mean_t [C_t > b_f]``. Dilations are spread
exponentially up to the training signals' median length; b_f is the q_f quantile of C on a training signal
drawn with the seed, q_f the low-discrepancy sequence ``frac(f * phi)``. (k, d, b) are the fitted state.
Reference: Dempster, Schmidt and Webb, "MiniRocket", KDD 2021 (this is a simplified single-channel variant).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Sequence

import numpy as np

from ..errors import DataFormatError
from .base import ENCODERS, EncodeOptions, SizedFittedEncoder

KERNEL_LENGTH = 9
MAX_DILATIONS = 32
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def minirocket_kernels() -> np.ndarray:
    """(84, 9) weights: -1 everywhere, 2 at each choice of 3 of the 9 positions."""
    kernels = -np.ones((84, KERNEL_LENGTH), dtype=np.float32)
    for i, positions in enumerate(combinations(range(KERNEL_LENGTH), 3)):
        kernels[i, list(positions)] = 2.0
    return kernels


def convolve(signal: np.ndarray, dilation: int, kernels: np.ndarray) -> np.ndarray:
    """(K, L) dilated convolutions of a length-L signal with (K, 9) kernels, zero padded to length L."""
    pad = (KERNEL_LENGTH // 2) * dilation
    padded = np.pad(signal, pad)
    taps = np.stack([padded[j * dilation: j * dilation + signal.size] for j in range(KERNEL_LENGTH)])
    return kernels @ taps


def as_signal(item: np.ndarray) -> np.ndarray:
    signal = np.asarray(item, dtype=np.float32).squeeze()
    if signal.ndim != 1 or signal.size < 2:
        raise DataFormatError(f"rocket expects a 1-D signal of length >= 2, got shape {np.shape(item)}")
    return signal


@ENCODERS.register("rocket", "MiniRocket-style convolution features of 1-D signals (rocket:DIM)")
class RocketEncoder(SizedFittedEncoder):
    input_kind = "array"

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, argument, options)
        self._kernels = minirocket_kernels()

    def fit(self, items: Sequence[np.ndarray]) -> "RocketEncoder":
        signals = [as_signal(item) for item in items]
        length = int(np.median([s.size for s in signals]))
        top = np.log2(max((length - 1) / (KERNEL_LENGTH - 1), 1.0))
        dilations = np.unique(np.floor(2.0 ** np.linspace(0.0, top, MAX_DILATIONS)).astype(np.int64))
        features = np.arange(self._dim)
        kernel_index = features % len(self._kernels)
        dilation = dilations[(features // len(self._kernels)) % len(dilations)]
        quantiles = ((features + 1) * GOLDEN) % 1.0
        rng = np.random.default_rng(self.options.seed)
        bias = np.empty(self._dim, dtype=np.float32)
        for d in np.unique(dilation):
            at_d = np.flatnonzero(dilation == d)
            for k in np.unique(kernel_index[at_d]):
                chosen = at_d[kernel_index[at_d] == k]
                example = signals[int(rng.integers(len(signals)))]
                bias[chosen] = np.quantile(convolve(example, int(d), self._kernels[k:k + 1])[0], quantiles[chosen])
        return self.load_state({"kernel_index": kernel_index, "dilation": dilation, "bias": bias},
                               {"spec": self.spec, "seed": self.options.seed, "fit_length": length})

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self.check_fitted()
        return {"kernel_index": self._kernel_index, "dilation": self._dilation, "bias": self._bias}, self._config

    def load_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "RocketEncoder":
        self._config = dict(config)
        self._kernel_index = np.asarray(arrays["kernel_index"], dtype=np.int64)
        self._dilation = np.asarray(arrays["dilation"], dtype=np.int64)
        self._bias = np.asarray(arrays["bias"], dtype=np.float32)
        self._dim = self._bias.size
        self._fitted = True
        return self

    def encode(self, items: Sequence[np.ndarray]) -> np.ndarray:
        self.check_fitted()
        output = np.empty((len(items), self._dim), dtype=np.float32)
        for i, item in enumerate(items):
            signal = as_signal(item)
            for d in np.unique(self._dilation):
                at_d = np.flatnonzero(self._dilation == d)
                response = convolve(signal, int(d), self._kernels)[self._kernel_index[at_d]]
                output[i, at_d] = (response > self._bias[at_d, None]).mean(axis=1)
        return output
