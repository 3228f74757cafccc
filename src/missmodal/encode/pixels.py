"""``pixels:DIM``: images resized to SIDE x SIDE grey levels in [0, 1], then PCA to DIM dimensions.

``e_i = (g_i - mu) W^T`` with g_i the SIDE^2 grey pixels, mu their training mean and W (DIM, SIDE^2) the top
principal axes of the training images (signs fixed as in scikit-learn). mu and W are the fitted state. The
product is taken in float64, so that a row's embedding does not depend on the rows batched with it.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InsufficientDataError
from .base import ENCODERS, SizedFittedEncoder

SIDE = 32


def grey_pixels(images: Sequence, side: int = SIDE) -> np.ndarray:
    """(n, side * side) float32 grey levels in [0, 1] of PIL images, bilinear resize."""
    from PIL import Image

    return np.stack([np.asarray(image.convert("L").resize((side, side), Image.BILINEAR), dtype=np.float32).reshape(-1)
                     for image in images]) / 255.0


@ENCODERS.register("pixels", "grey resized pixels + PCA, fitted on the training rows (pixels:DIM)")
class PixelsEncoder(SizedFittedEncoder):
    input_kind = "image"

    def fit(self, items: Sequence) -> "PixelsEncoder":
        from sklearn.decomposition import PCA

        pixels = grey_pixels(items)
        if self._dim > min(pixels.shape):
            raise InsufficientDataError(f"encoder {self.spec!r}: DIM {self._dim} exceeds the number of training images "
                                        f"({pixels.shape[0]}) or pixels ({pixels.shape[1]})")
        pca = PCA(n_components=self._dim, random_state=self.options.seed).fit(pixels)
        return self.load_state({"mean": pca.mean_.astype(np.float32), "components": pca.components_.astype(np.float32)},
                               {"spec": self.spec, "side": SIDE, "seed": self.options.seed})

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self.check_fitted()
        return {"mean": self._mean, "components": self._components}, self._config

    def load_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "PixelsEncoder":
        self._config = dict(config)
        self._mean = np.asarray(arrays["mean"], dtype=np.float32)
        self._components = np.asarray(arrays["components"], dtype=np.float32)
        self._dim = self._components.shape[0]
        self._fitted = True
        return self

    def encode(self, items: Sequence) -> np.ndarray:
        self.check_fitted()
        centred = grey_pixels(items, int(self._config["side"])).astype(np.float64) - self._mean
        return (centred @ self._components.T.astype(np.float64)).astype(np.float32)  # float64: batch-size invariant
