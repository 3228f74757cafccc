"""Building blocks: MLPs, per-modality encoders, masked multi-head self-attention."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def mlp(d_in: int, hidden: int, d_out: int, dropout: float) -> nn.Sequential:
    """Two-layer perceptron ``Linear -> GELU -> Dropout -> Linear``: (..., d_in) -> (..., d_out)."""
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, d_out))


class ModalityEncoders(nn.Module):
    """One MLP per modality to a common width, applied to zero-filled inputs; absent tokens are zero.

    Inputs of absent modalities are replaced by zeros before encoding and the encoded token is set to zero
    afterwards, so nothing downstream can see what the absent rows held (NaN included).

    Parameters
    ----------
    dims : feature width of each modality.
    width : output width ``w``.
    hidden : hidden width of each MLP.
    dropout : dropout inside each MLP.

    Shapes
    ------
    ``inputs[m]``: (n, d_m), ``observed``: (n, M) bool -> (n, M, w).
    """

    def __init__(self, dims: Sequence[int], width: int, hidden: int, dropout: float):
        super().__init__()
        self.encoders = nn.ModuleList(
            nn.Sequential(mlp(d, hidden, width, dropout), nn.LayerNorm(width)) for d in dims
        )

    def forward(self, inputs: Sequence[Tensor], observed: Tensor) -> Tensor:
        tokens = []
        for m, (encoder, x) in enumerate(zip(self.encoders, inputs)):
            present = observed[:, m : m + 1]
            x = torch.where(present, x, torch.zeros((), dtype=x.dtype, device=x.device))
            tokens.append(torch.where(present, encoder(x), torch.zeros((), dtype=x.dtype, device=x.device)))
        return torch.stack(tokens, dim=1)


class CovariateEncoder(nn.Module):
    """MLP of the always-observed (standardised) covariates to a context vector, then LayerNorm.

    Shapes: ``covariates`` (n, p) -> (n, w).
    """

    def __init__(self, n_covariates: int, width: int, hidden: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(mlp(n_covariates, hidden, width, dropout), nn.LayerNorm(width))

    def forward(self, covariates: Tensor) -> Tensor:
        return self.net(covariates)


class MaskedSelfAttention(nn.Module):
    """Multi-head self-attention in which no token attends to an absent one.

    Shapes: ``tokens`` (n, M, w), ``present`` (n, M) bool with at least one True per row -> (n, M, w).
    """

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} must be divisible by heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.dropout = dropout

    def forward(self, tokens: Tensor, present: Tensor) -> Tensor:
        n, m, w = tokens.shape
        q, k, v = self.qkv(tokens).view(n, m, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        allowed = present[:, None, None, :]  # (n, 1, 1, M): every query may look at present keys only
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                                  dropout_p=self.dropout if self.training else 0.0)
        return self.out(attended.transpose(1, 2).reshape(n, m, w))


class AttentionBlock(nn.Module):
    """Pre-norm transformer block over modality tokens with absent tokens masked out as keys.

    Shapes: ``tokens`` (n, M, w), ``present`` (n, M) bool -> (n, M, w).
    """

    def __init__(self, width: int, heads: int, hidden: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = MaskedSelfAttention(width, heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.ffn = mlp(width, hidden, width, dropout)

    def forward(self, tokens: Tensor, present: Tensor) -> Tensor:
        tokens = tokens + self.attention(self.norm1(tokens), present)
        return tokens + self.ffn(self.norm2(tokens))
