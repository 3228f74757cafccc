"""k-nearest-neighbour imputation on the partial-modality distance, batched."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer
from .blocks import Moments, normalise
from .cluster import resolve_device
from .distance import BlockGeometry, partial_sq_distance


@IMPUTERS.register("knn", "Mean of the k nearest training rows having the modality (partial distance)")
class KNNImputer(BaseImputer):
    """Fill a missing modality m with the mean of m over the ``n_neighbors`` nearest training rows that have m.

    Neighbours are ranked by the UL4M4 partial distance on normalised modalities,
    ``d²(i, j) = (1/|M_ij|) Σ_{m ∈ M_ij} ||z_i^m − z_j^m||² / d_m`` over the modalities both rows have
    (rows sharing none are never neighbours; a row with no neighbour gets the modality mean). Distances
    are computed as matrix products over row batches (``batch_size`` query rows against the donors).

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of donors averaged (fewer when fewer are available).
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).
    batch_size : int, default=1024
        Query rows per distance block (memory ``batch_size × n_train`` floats).
    device : str or None
        Torch device (``None``: CUDA if available, else CPU).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (D,)
        Normalisation statistics of the training rows.

    Examples
    --------
    >>> import numpy as np
    >>> from missmodal.impute import KNNImputer
    >>> X = np.array([[0.0, 1.0], [0.1, 1.2], [5.0, 9.0], [0.05, np.nan]])
    >>> float(KNNImputer(n_neighbors=2).fit_transform(X)[3, 1].round(2))
    1.1
    """

    def __init__(self, n_neighbors: int = 5, *, modalities: list[int] | None = None, batch_size: int = 1024,
                 device: Any = None):
        self.n_neighbors = n_neighbors
        self.modalities = modalities
        self.batch_size = batch_size
        self.device = device

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise MissmodalError(f"n_neighbors must be a positive int, got {self.n_neighbors!r}")
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise MissmodalError(f"batch_size must be a positive int, got {self.batch_size!r}")
        moments = Moments(self.widths_)
        moments.add(X, observed)
        self.mean_, self.scale_ = moments.mean_scale()
        device = resolve_device(self.device)
        self._geometry = BlockGeometry(self.widths_, device)
        self._donors = torch.from_numpy(normalise(X, observed, self.widths_, self.mean_, self.scale_)).to(device)
        self._donors_observed = torch.from_numpy(observed).to(device=device, dtype=torch.float32)

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        device = self._donors.device
        z = torch.from_numpy(normalise(X, observed, self.widths_, self.mean_, self.scale_)).to(device)
        o = torch.from_numpy(observed).to(device=device, dtype=torch.float32)
        filled = torch.zeros_like(z)
        bounds = np.cumsum([0] + self.widths_)
        for start in range(0, z.shape[0], self.batch_size):
            rows = slice(start, start + self.batch_size)
            d2 = partial_sq_distance(z[rows], o[rows], self._donors, self._donors_observed, self._geometry)
            for m in range(len(self.widths_)):
                needs = o[rows, m] == 0
                if not bool(needs.any()):
                    continue
                donors = torch.nonzero(self._donors_observed[:, m] > 0, as_tuple=True)[0]
                k = min(int(self.n_neighbors), donors.numel())
                near_d2, near = torch.topk(d2[needs][:, donors], k, dim=1, largest=False)
                valid = torch.isfinite(near_d2).to(torch.float32)
                values = self._donors[donors[near], bounds[m]:bounds[m + 1]]  # (r, k, d_m)
                block = (values * valid[:, :, None]).sum(dim=1) / valid.sum(dim=1, keepdim=True).clamp_min(1.0)
                filled[rows][needs, bounds[m]:bounds[m + 1]] = block  # filled[rows] is a view
        return (filled.cpu().numpy() * self.scale_ + self.mean_).astype(np.float32)
