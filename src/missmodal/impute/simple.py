"""The simplest baselines: fill a missing modality with zeros or with its mean over observed rows."""

from __future__ import annotations

import numpy as np

from .base import IMPUTERS, BaseImputer
from .blocks import Moments


@IMPUTERS.register("zero", "Fill missing modalities with zeros")
class ZeroImputer(BaseImputer):
    """Fill every missing modality with zeros (in the original feature space).

    Parameters
    ----------
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import ZeroImputer
    >>> ZeroImputer().fit_transform(np.array([[1.0, np.nan], [2.0, 3.0]]))
    array([[1., 0.],
           [2., 3.]])
    """

    def __init__(self, *, modalities: list[int] | None = None):
        self.modalities = modalities

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        self.fill_value_ = np.zeros(X.shape[1], dtype=np.float32)

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.fill_value_, X.shape)


@IMPUTERS.register("mean", "Fill missing modalities with their mean over observed rows")
class MeanImputer(BaseImputer):
    """Fill a missing modality with its per-column mean over the training rows where it is observed.

    Equal to :class:`~missmodal.impute.ClusterImputer` with ``n_clusters=1``.

    Parameters
    ----------
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).

    Attributes
    ----------
    mean_ : ndarray of shape (D,)
        Column means over the rows where each modality is observed.

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import MeanImputer
    >>> MeanImputer().fit_transform(np.array([[1.0, np.nan], [3.0, 4.0]]))
    array([[1., 4.],
           [3., 4.]])
    """

    def __init__(self, *, modalities: list[int] | None = None):
        self.modalities = modalities

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        moments = Moments(self.widths_)
        moments.add(X, observed)
        self.mean_, _ = moments.mean_scale()

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.mean_.astype(np.float32), X.shape)
