"""Mask-conditioned fusion: FiLM on the observed mask, and per-group heads shrunk toward a shared head.

Under concept shift each combination group may need its own fusion function. This model shares the encoders
and the fusion trunk between groups, conditions the trunk on which modalities are present (FiLM: a
feature-wise scale and shift computed from the mask), and gives each training group its own correction of
the output head, pulled toward zero (the shared head) by an L2 penalty, so that a tail group departs from
the shared head only as far as its samples support. A group never seen in training uses the shared head.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import MissmodalError
from .base import MODELS, FusionModel, FusionOutput, GroupIndex, with_context
from .layers import mlp


@MODELS.register("film", "mask-conditioned FiLM fusion with per-group heads shrunk toward a shared head (shared fallback)")
class FiLMFusion(FusionModel):
    """FiLM fusion with shrunken per-group heads.

    With ``t = [t_1, ..., t_M, c]`` the concatenated tokens (zeros where absent) and covariate context, ``o`` the
    observed mask as 0/1 and ``g`` the sample's group:

    .. math::

        z = \\mathrm{GELU}\\big((W t + b) \\odot (1 + \\gamma(o)) + \\beta(o)\\big), \\qquad
        h = \\mathrm{MLP}(z), \\qquad
        \\text{logits} = (V + \\Delta_g)^\\top h + v + \\delta_g ,

    with ``(gamma, beta) = MLP(o)`` (last layer initialised at zero, so training starts unmodulated),
    ``Delta_g, delta_g`` zero at start and for unseen groups (the fallback), and the auxiliary loss
    ``shrinkage * sum_g (|Delta_g|^2 + |delta_g|^2)``: a Gaussian prior centring every group's head on the
    shared head ``V, v``. Group-specific parameters: ``(G, h, out_dim)`` and ``(G, out_dim)``. FiLM and head
    follow the sample's own group even when modality dropout hides some of its tokens in training (on the
    concept-shift benchmark routing by the dropped mask cost 0.27 worst-group accuracy at modality dropout 0.3).

    Parameters
    ----------
    shrinkage : weight of the L2 penalty toward the shared head (0: independent per-group corrections).
    modality_dropout : 0 by default (0.3 for the other models): FiLM and head follow the sample's own group,
        so hiding its tokens does not simulate a rarer group, it only hides inputs its label depends on. On
        the concept-shift cohort's validation splits (3 seeds) 0.3 -> 0 raised the mean validation accuracy
        0.844 -> 0.850 (test: overall 0.810 -> 0.821, worst group 0.638 -> 0.682).

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, shrinkage: float = 1e-3, modality_dropout: float = 0.0,
                 **kwargs):
        super().__init__(dims, out_dim, task, modality_dropout=modality_dropout, **kwargs)
        if not shrinkage >= 0:
            raise MissmodalError(f"shrinkage must be >= 0, got {shrinkage!r}")
        self.config["shrinkage"] = float(shrinkage)
        w, h, m, drop = self.config["width"], self.config["hidden"], len(dims), self.config["dropout"]
        self.trunk = nn.Linear(m * w + self.context_width, h)
        self.film = mlp(m, h, 2 * h, 0.0)
        nn.init.zeros_(self.film[-1].weight)
        nn.init.zeros_(self.film[-1].bias)
        self.body = nn.Sequential(nn.Dropout(drop), nn.Linear(h, h), nn.GELU(), nn.Dropout(drop))
        self.shared_head = nn.Linear(h, out_dim)
        self.group_index = GroupIndex(self.config["groups"])
        self.group_heads = nn.Parameter(torch.zeros(self.group_index.n_groups, h, out_dim))
        self.group_bias = nn.Parameter(torch.zeros(self.group_index.n_groups, out_dim))

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        return self.fuse_routed(tokens, observed, observed, context)

    def fuse_routed(self, tokens: Tensor, shown: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        """FiLM and head by the sample's own ``observed`` mask; modality dropout only zeroes the ``shown`` tokens."""
        gamma, beta = self.film(observed.to(tokens.dtype)).chunk(2, dim=-1)
        z = F.gelu(self.trunk(with_context(tokens.flatten(1), context)) * (1 + gamma) + beta)
        hidden = self.body(z)  # (n, h)
        index = self.group_index(observed)
        # Row G (unseen groups) is zero: the shared head. index_select keeps the CPU backward deterministic.
        heads = torch.cat([self.group_heads, self.group_heads.new_zeros(1, *self.group_heads.shape[1:])])
        bias = torch.cat([self.group_bias, self.group_bias.new_zeros(1, self.group_bias.shape[1])])
        specific = torch.bmm(hidden[:, None], heads.index_select(0, index)).squeeze(1) + bias.index_select(0, index)
        penalty = self.config["shrinkage"] * (self.group_heads.square().sum() + self.group_bias.square().sum())
        return FusionOutput(self.shared_head(hidden) + specific, penalty)

    def group_specific_parameters(self) -> list[str]:
        return ["group_heads", "group_bias"]
