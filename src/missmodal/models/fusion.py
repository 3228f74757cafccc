"""Missing-aware fusion models: concatenation with mask, learned missing tokens, masked attention, late fusion."""

from __future__ import annotations

from numbers import Integral
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import MissmodalError
from .base import MODELS, FusionModel, FusionOutput, GroupIndex, check_positive_ints, masked_mean, with_context
from .layers import AttentionBlock, mlp


@MODELS.register("concat", "zero-filled encoded modalities concatenated with the mask indicators, MLP head")
class ConcatFusion(FusionModel):
    """Early fusion: ``[t_1, ..., t_M, observed, c]`` -> MLP, with ``t_m = 0`` for absent modalities and ``c``
    the covariate context (when the model has covariates).

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        w, h, m = self.config["width"], self.config["hidden"], len(dims)
        self.head = mlp(m * w + m + self.context_width, h, out_dim, self.config["dropout"])

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        features = torch.cat([tokens.flatten(1), observed.to(tokens.dtype)], dim=1)
        return self.no_aux(self.head(with_context(features, context)))


class MissingTokenBank(nn.Module):
    """Learned stand-ins for absent modalities: one per modality, optionally one per (group, modality).

    With ``per_group=True`` each training group ``g`` has its own token for each of its absent modalities
    (Flex-MoE's missing-modality bank), initialised at zero and added to the shared per-modality token, which
    is what groups never seen in training fall back to.

    Shapes: tokens (n, M, w), observed (n, M) bool -> (n, M, w) with absent rows replaced.
    """

    def __init__(self, n_modalities: int, width: int, groups: Sequence[int], per_group: bool):
        super().__init__()
        self.shared = nn.Parameter(torch.randn(n_modalities, width) * 0.02)
        self.per_group = per_group
        if per_group:
            self.group_index = GroupIndex(groups)
            self.group_tokens = nn.Parameter(torch.zeros(self.group_index.n_groups, n_modalities, width))

    def forward(self, tokens: Tensor, observed: Tensor) -> Tensor:
        fill = self.shared.expand(tokens.shape[0], -1, -1)
        if self.per_group:
            padded = torch.cat([self.group_tokens, self.group_tokens.new_zeros(1, *self.group_tokens.shape[1:])])
            fill = fill + padded.index_select(0, self.group_index(observed))  # deterministic backward on CPU
        return torch.where(observed[..., None], tokens, fill)


@MODELS.register("missing-token", "a learned embedding stands in for each absent modality (optionally per group)")
class MissingTokenFusion(FusionModel):
    """Absent modalities replaced by learned tokens, then ``[t_1, ..., t_M, c]`` -> MLP (``c``: covariate context).

    Parameters
    ----------
    per_group : learn one token per (group, modality) on top of the per-modality one.

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, per_group: bool = False, **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        self.config["per_group"] = per_group
        w, h, m = self.config["width"], self.config["hidden"], len(dims)
        self.bank = MissingTokenBank(m, w, self.config["groups"], per_group)
        self.head = mlp(m * w + self.context_width, h, out_dim, self.config["dropout"])

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        return self.no_aux(self.head(with_context(self.bank(tokens, observed).flatten(1), context)))

    def group_specific_parameters(self) -> list[str]:
        return ["bank.group_tokens"] if self.config["per_group"] else []


class TokenFusionModel(FusionModel):
    """Common trunk of the token models: modality embeddings added to the tokens, ``depth`` masked
    attention blocks, then :meth:`pool_and_predict` (mean over present tokens, LayerNorm, concatenated with
    the covariate context when there is one, MLP head)."""

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, heads: int = 4, depth: int = 1, **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        check_positive_ints(heads=heads)
        if isinstance(depth, bool) or not isinstance(depth, Integral) or depth < 0:
            raise MissmodalError(f"depth must be an int >= 0, got {depth!r}")
        if self.config["width"] % heads:
            raise MissmodalError(f"width {self.config['width']} must be divisible by heads {heads}")
        self.config.update(heads=heads, depth=depth)
        w, h, drop = self.config["width"], self.config["hidden"], self.config["dropout"]
        self.modality_embedding = nn.Parameter(torch.randn(len(dims), w) * 0.02)
        self.blocks = nn.ModuleList(AttentionBlock(w, heads, h, drop) for _ in range(depth))
        self.norm = nn.LayerNorm(w)
        self.head = mlp(w + self.context_width, h, out_dim, drop)

    def attend(self, tokens: Tensor, present: Tensor) -> Tensor:
        """(n, M, w), (n, M) bool -> (n, M, w) after the attention blocks."""
        tokens = tokens + self.modality_embedding
        for block in self.blocks:
            tokens = block(tokens, present)
        return tokens

    def pool_and_predict(self, tokens: Tensor, present: Tensor, context: Tensor | None) -> Tensor:
        """(n, M, w), (n, M) bool, (n, w) or None -> (n, out_dim)."""
        return self.head(with_context(self.norm(masked_mean(tokens, present)), context))


@MODELS.register("attention", "one token per present modality, masked multi-head self-attention, mean-pooled")
class AttentionFusion(TokenFusionModel):
    """Masked attention fusion: tokens of present modalities only attend to each other and are pooled.

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        return self.no_aux(self.pool_and_predict(self.attend(tokens, observed), observed, context))


@MODELS.register("late", "per-modality heads, log-probabilities summed over present modalities")
class LateFusion(FusionModel):
    """Late fusion as a product of experts over the present modalities.

    Each modality has its own head. Multi-class: ``logits = sum_m o_m log_softmax(h_m(t_m))`` (``o_m`` the
    observed indicator), whose softmax is the normalised product of the per-modality distributions; binary
    and multi-label: the per-label log-odds are summed (the product of Bernoulli experts); regression: the
    mean of the per-modality predictions (equal-variance Gaussian experts). With covariates, the covariate
    context has its own head and joins as one more, always present, expert.

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        w, h, drop = self.config["width"], self.config["hidden"], self.config["dropout"]
        self.heads = nn.ModuleList(mlp(w, h, out_dim, drop) for _ in range(len(dims) + bool(self.context_width)))

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        if context is not None:  # the covariate expert: one more token, always present
            tokens = torch.cat([tokens, context[:, None]], dim=1)
            observed = torch.cat([observed, observed.new_ones(observed.shape[0], 1)], dim=1)
        outputs = torch.stack([head(tokens[:, m]) for m, head in enumerate(self.heads)], dim=1)  # (n, M', out)
        if self.task == "multiclass":
            outputs = F.log_softmax(outputs, dim=-1)
        if self.task == "regression":
            return self.no_aux(masked_mean(outputs, observed))
        return self.no_aux((outputs * observed[..., None].to(outputs.dtype)).sum(dim=1))
