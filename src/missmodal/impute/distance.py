"""The partial-modality distance of UL4M4, computed as matrix products in float32 torch.

Between a row ``i`` and a centre (or any second row) ``j``, with ``M_ij`` the modalities present in both,

    d²(i, j) = (1 / |M_ij|) Σ_{m ∈ M_ij} ||z_i^m − c_j^m||² / d_m,        d²(i, j) = +inf when M_ij = ∅.

With missing blocks stored as zeros, the numerator is
``Σ_m o_im q_jm (||z_i^m||² − 2 z_i^m·c_j^m + ||c_j^m||²) / d_m``, which is three matrix products:
``(o ⊙ |z|²/d) qᵀ + o (q ⊙ |c|²/d)ᵀ − 2 z (c / d)ᵀ`` and ``|M_ij| = o qᵀ``. Nothing of shape
``(n, k, D)`` is ever formed; callers pass row batches.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


class BlockGeometry:
    """Block layout of the feature axis on a device: block norms, ``1 / d_m`` weights, mask expansion."""

    def __init__(self, widths: Sequence[int], device: torch.device | str = "cpu"):
        self.widths = list(widths)
        self.device = torch.device(device)
        modality = torch.as_tensor(np.repeat(np.arange(len(self.widths)), self.widths), device=self.device)
        self.inv_width = 1.0 / torch.as_tensor(self.widths, dtype=torch.float32, device=self.device)  # (M,)
        self.column_weight = self.inv_width[modality]  # (D,)

    def block_sq_norms(self, z: torch.Tensor) -> torch.Tensor:
        """``(n, M)``: ``||z^m||²`` of each block."""
        if len(set(self.widths)) == 1:  # equal widths: one reduction over a (n, M, d) view
            return torch.linalg.vector_norm(z.reshape(z.shape[0], len(self.widths), self.widths[0]), dim=2).square()
        bounds = np.cumsum([0] + self.widths)
        return torch.stack([torch.linalg.vector_norm(z[:, bounds[m]:bounds[m + 1]], dim=1).square()
                            for m in range(len(self.widths))], dim=1)

    def expand(self, mask: torch.Tensor) -> torch.Tensor:
        """``(n, M)`` modality mask -> ``(n, D)`` column mask."""
        return torch.repeat_interleave(mask, torch.as_tensor(self.widths, device=mask.device), dim=1)


def partial_sq_terms(z: torch.Tensor, o: torch.Tensor, c: torch.Tensor, q: torch.Tensor, geometry: BlockGeometry,
                     z_sq: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Numerator and shared-modality count of the partial distance.

    Parameters
    ----------
    z : (b, D) float32, rows in normalised space with zeros in missing blocks.
    o : (b, M) float32 0/1, observed modalities of the rows.
    c : (k, D) float32, centres with zeros in absent blocks.
    q : (k, M) float32 0/1, modalities each centre has.
    geometry : the block layout.
    z_sq : (b, M), optional
        ``geometry.block_sq_norms(z)`` when already known.

    Returns
    -------
    total : (b, k) ``Σ_{m ∈ M_ij} ||z_i^m − c_j^m||² / d_m`` (clamped at 0 against rounding).
    count : (b, k) ``|M_ij|``.
    """
    w = geometry.inv_width
    z_sq = geometry.block_sq_norms(z) if z_sq is None else z_sq
    total = (o * z_sq * w) @ q.T + o @ (q * geometry.block_sq_norms(c) * w).T
    total = torch.addmm(total, z, (c * geometry.column_weight).T, alpha=-2.0)  # weights on the small side
    return total.clamp_min_(0.0), o @ q.T


def partial_sq_distance(z: torch.Tensor, o: torch.Tensor, c: torch.Tensor, q: torch.Tensor, geometry: BlockGeometry,
                        z_sq: torch.Tensor | None = None) -> torch.Tensor:
    """``(b, k)`` squared partial distance ``d²`` (``+inf`` where a row and a centre share no modality)."""
    total, count = partial_sq_terms(z, o, c, q, geometry, z_sq)
    return torch.where(count > 0, total / count.clamp_min(1.0), torch.full_like(total, float("inf")))
