"""Generative imputation: a masked autoencoder over modality blocks, trained by hiding observed modalities."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn

from ..errors import MissmodalError
from .base import IMPUTERS, BaseImputer
from .blocks import Moments, normalise
from .cluster import resolve_device
from .distance import BlockGeometry


class MaskedBlockAutoencoder(nn.Module):
    """MLP from ``[z ⊙ mask, mask]`` to all blocks.

    Input ``z`` (b, D) normalised with zeros in absent blocks and the modality mask (b, M); output (b, D).
    """

    def __init__(self, n_features: int, n_modalities: int, hidden: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features + n_modalities, hidden), nn.GELU(),
                                 nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, n_features))

    def forward(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, mask], dim=1))


@IMPUTERS.register("generative", "Masked autoencoder over modality blocks, trained by hiding observed modalities")
class GenerativeImputer(BaseImputer):
    """Fill missing modalities with a masked autoencoder trained to reconstruct hidden observed modalities.

    Training: each step takes a batch of normalised rows, hides every observed modality with probability
    ``hide_prob`` (keeping at least one), and minimises the reconstruction error of the observed blocks,
    ``Σ_m o_im ||ẑ_i^m − z_i^m||² / d_m / Σ_m o_im``, hidden ones weighted ×``hidden_weight`` (Adam).
    Imputation feeds the row's observed blocks and mask and reads the missing blocks from the output.

    Parameters
    ----------
    hidden : int, default=256
        Width of the two hidden layers.
    epochs : int, default=40
        Passes over the training rows.
    hide_prob : float, default=0.5
        Probability of hiding each observed modality in training.
    hidden_weight : float, default=4.0
        Loss weight of the hidden (to-be-imputed) blocks relative to the visible ones.
    learning_rate : float, default=1e-3
    batch_size : int, default=256
    modalities : list of int, optional
        Column-block widths for 2-D array input (``None``: every column its own modality).
    random_state : int, RandomState or None
        Seeds the weights, the batch order and the hiding masks.
    device : str or None
        Torch device (``None``: CUDA if available, else CPU).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (D,)
        Normalisation statistics.
    model_ : MaskedBlockAutoencoder
        The trained network.
    loss_curve_ : list of float
        Mean training loss per epoch.
    """

    def __init__(self, hidden: int = 256, epochs: int = 40, hide_prob: float = 0.5, hidden_weight: float = 4.0,
                 learning_rate: float = 1e-3, batch_size: int = 256, *, modalities: list[int] | None = None,
                 random_state: Any = None, device: Any = None):
        self.hidden = hidden
        self.epochs = epochs
        self.hide_prob = hide_prob
        self.hidden_weight = hidden_weight
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.modalities = modalities
        self.random_state = random_state
        self.device = device

    def _check_params(self) -> None:
        for name in ("hidden", "epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise MissmodalError(f"{name} must be a positive int, got {value!r}")
        if not 0 <= self.hide_prob < 1:
            raise MissmodalError(f"hide_prob must be in [0, 1), got {self.hide_prob!r}")
        if not (self.learning_rate > 0 and self.hidden_weight > 0):
            raise MissmodalError("learning_rate and hidden_weight must be > 0")

    def _fit(self, X: np.ndarray, observed: np.ndarray) -> None:
        self._check_params()
        moments = Moments(self.widths_)
        moments.add(X, observed)
        self.mean_, self.scale_ = moments.mean_scale()
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        generator = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the global generator
            torch.manual_seed(seed)
            self.model_ = MaskedBlockAutoencoder(X.shape[1], len(self.widths_), self.hidden).to(device)
        self._geometry = BlockGeometry(self.widths_, device)
        z = torch.from_numpy(normalise(X, observed, self.widths_, self.mean_, self.scale_))
        o = torch.from_numpy(observed).to(torch.float32)
        optimiser = torch.optim.Adam(self.model_.parameters(), lr=self.learning_rate)
        self.loss_curve_ = []
        self.model_.train()
        for _ in range(self.epochs):
            order = torch.randperm(z.shape[0], generator=generator)
            total = 0.0
            for start in range(0, z.shape[0], self.batch_size):
                rows = order[start:start + self.batch_size]
                zb, ob = z[rows].to(device), o[rows].to(device)
                hide = (torch.rand(ob.shape, generator=generator) < self.hide_prob).to(device) & (ob > 0)
                keep = ob * (~hide).to(torch.float32)
                lost = keep.sum(dim=1) == 0  # keep one observed modality per row
                keep[lost] = ob[lost]
                output = self.model_(zb * self._geometry.expand(keep > 0), keep)
                weight = ob * (1 + (self.hidden_weight - 1) * (ob - keep))
                errors = self._geometry.block_sq_norms(output - zb) * self._geometry.inv_width
                loss = ((errors * weight).sum(dim=1) / weight.sum(dim=1)).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * rows.numel()
            self.loss_curve_.append(total / z.shape[0])
        self.model_.eval()

    def _fill(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        device = next(self.model_.parameters()).device
        z = torch.from_numpy(normalise(X, observed, self.widths_, self.mean_, self.scale_))
        o = torch.from_numpy(observed).to(torch.float32)
        out = np.empty(X.shape, dtype=np.float32)
        with torch.no_grad():
            for start in range(0, z.shape[0], 4096):
                rows = slice(start, start + 4096)
                out[rows] = self.model_(z[rows].to(device), o[rows].to(device)).cpu().numpy()
        return (out * self.scale_ + self.mean_).astype(np.float32)
