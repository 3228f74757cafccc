"""Mixtures of experts over modality tokens: Flex-MoE style sparse top-k, and REMIND's group-routed Soft MoE.

Both run on CPU with plain PyTorch (no custom CUDA extension).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import MissmodalError
from .base import MODELS, FusionOutput, GroupIndex, check_positive_ints
from .fusion import MissingTokenBank, TokenFusionModel
from .layers import mlp


class NoisyTopKMoE(nn.Module):
    """Sparse mixture of expert MLPs with noisy top-k gating (Shazeer et al. 2017).

    Gate logits ``h(x) = x W_g + eps * softplus(x W_n)`` with ``eps ~ N(0, 1)`` during training (no noise
    in evaluation); each token goes to its ``top_k`` experts, weighted by the softmax of their logits.
    The load-balancing loss is Switch's ``E * sum_e f_e P_e`` (``f_e`` the share of tokens whose first
    choice is ``e``, ``P_e`` the mean gate probability of ``e``), 1 when perfectly balanced.

    Shapes: x (T, w) -> output (T, w), clean gate logits (T, E), balance loss ().
    """

    def __init__(self, width: int, hidden: int, n_experts: int, top_k: int, dropout: float):
        super().__init__()
        if not 1 <= top_k <= n_experts:
            raise ValueError(f"top_k must be in [1, n_experts={n_experts}], got {top_k}")
        self.top_k = top_k
        self.gate = nn.Linear(width, n_experts, bias=False)
        self.noise = nn.Linear(width, n_experts, bias=False)
        self.experts = nn.ModuleList(mlp(width, hidden, width, dropout) for _ in range(n_experts))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        clean = self.gate(x)
        logits = clean + torch.randn_like(clean) * F.softplus(self.noise(x)) if self.training else clean
        top_logits, top_experts = logits.topk(self.top_k, dim=-1)
        gates = F.softmax(top_logits, dim=-1)
        output = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            token, choice = (top_experts == e).nonzero(as_tuple=True)
            if token.numel():
                output = output.index_add(0, token, gates[token, choice, None] * expert(x[token]))
        n_experts = len(self.experts)
        first_choice = F.one_hot(top_experts[:, 0], n_experts).to(x.dtype).mean(dim=0)
        balance = n_experts * (first_choice * F.softmax(logits, dim=-1).mean(dim=0)).sum()
        return output, clean, balance


@MODELS.register("flexmoe", "Flex-MoE style: missing-modality bank, sparse top-k noisy-gated MoE, group-supervised router")
class FlexMoE(TokenFusionModel):
    """Flex-MoE style fusion (Yun et al. 2024), without its CUDA extension.

    Absent modalities are filled from a (group, modality) missing-modality bank, all M tokens go through
    masked attention and a sparse top-k MoE layer, and the tokens are mean-pooled. The router is supervised
    by the group: a sample whose group has ``k`` of ``M`` modalities is steered towards expert
    ``floor((k - 1) E / M)`` (cross-entropy on its token-averaged gate logits), so that experts specialise
    by how complete a sample is. ``aux_loss = balance_weight * balance + router_weight * supervision``.

    Parameters
    ----------
    n_experts, top_k : experts and experts per token.
    balance_weight, router_weight : weights of the load-balancing and router-supervision losses.

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    uses_every_parameter = False

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, n_experts: int = 4, top_k: int = 2,
                 balance_weight: float = 0.01, router_weight: float = 0.1, **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        check_positive_ints(n_experts=n_experts, top_k=top_k)
        if top_k > n_experts:
            raise MissmodalError(f"top_k must be at most n_experts={n_experts}, got {top_k}")
        self.config.update(n_experts=n_experts, top_k=top_k, balance_weight=balance_weight, router_weight=router_weight)
        w, h, drop = self.config["width"], self.config["hidden"], self.config["dropout"]
        self.bank = MissingTokenBank(len(dims), w, self.config["groups"], per_group=True)
        self.moe_norm = nn.LayerNorm(w)
        self.moe = NoisyTopKMoE(w, h, n_experts, top_k, drop)

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        n, m, w = tokens.shape
        everything = torch.ones_like(observed)
        x = self.attend(self.bank(tokens, observed), everything)
        routed, gate_logits, balance = self.moe(self.moe_norm(x).reshape(n * m, w))
        x = x + routed.view(n, m, w)
        n_experts = self.config["n_experts"]
        target = torch.div((observed.sum(dim=1) - 1) * n_experts, m, rounding_mode="floor")
        supervision = F.cross_entropy(gate_logits.view(n, m, n_experts).mean(dim=1), target)
        aux = self.config["balance_weight"] * balance + self.config["router_weight"] * supervision
        return FusionOutput(self.pool_and_predict(x, everything, context), aux)

    def group_specific_parameters(self) -> list[str]:
        return ["bank.group_tokens"]


class GroupSoftMoE(nn.Module):
    """Soft MoE (Puigcerver et al. 2023) over the present tokens, with routing specialised per group.

    Group ``g`` routes with ``Phi_g = Phi + Delta_g`` (``Delta_g`` starts at zero); a group never seen in
    training routes with the shared ``Phi`` alone, which every group trains. With logits
    ``L = X Phi_g`` (tokens x slots), dispatch weights are a softmax over the present tokens of each slot,
    slot inputs ``D^T X`` go through their expert (``slots_per_expert`` slots per expert, experts shared by
    all groups), and combine weights are a softmax over slots for each token: ``Y = C · expert(D^T X)``.
    No load-balancing loss is needed. Routing parameters: ``(G + 1) w E S``, growing with the groups that
    occur.

    Shapes: x (n, M, w), present (n, M) bool -> (n, M, w).
    """

    def __init__(self, width: int, hidden: int, n_experts: int, slots_per_expert: int, groups: Sequence[int],
                 dropout: float):
        super().__init__()
        self.n_experts, self.slots_per_expert = n_experts, slots_per_expert
        n_slots = n_experts * slots_per_expert
        self.group_index = GroupIndex(groups)
        self.router = nn.Parameter(torch.randn(width, n_slots) / math.sqrt(width))
        self.group_router = nn.Parameter(torch.zeros(self.group_index.n_groups, width, n_slots))
        self.w1 = nn.Parameter(torch.randn(n_experts, width, hidden) / math.sqrt(width))
        self.b1 = nn.Parameter(torch.zeros(n_experts, 1, hidden))
        self.w2 = nn.Parameter(torch.randn(n_experts, hidden, width) / math.sqrt(hidden))
        self.b2 = nn.Parameter(torch.zeros(n_experts, 1, width))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, present: Tensor) -> Tensor:
        n, m, w = x.shape
        specialised = torch.cat([self.group_router, self.group_router.new_zeros(1, *self.group_router.shape[1:])])
        # index_select, not ``specialised[index]``: the backward of advanced indexing accumulates with
        # threads in a nondeterministic order on CPU, which would break seeded, resumable training.
        phi = self.router + specialised.index_select(0, self.group_index(present))  # (n, w, S)
        logits = torch.bmm(x, phi)  # (n, M, S)
        dispatch = F.softmax(logits.masked_fill(~present[..., None], float("-inf")), dim=1)
        slots = torch.bmm(dispatch.transpose(1, 2), x)  # (n, S, w)
        slots = slots.view(n, self.n_experts, self.slots_per_expert, w).transpose(0, 1).reshape(self.n_experts, -1, w)
        hidden = self.dropout(F.gelu(torch.bmm(slots, self.w1) + self.b1))
        out = (torch.bmm(hidden, self.w2) + self.b2).view(self.n_experts, n, self.slots_per_expert, w)
        out = out.transpose(0, 1).reshape(n, -1, w)  # (n, S, w)
        return torch.bmm(F.softmax(logits, dim=2), out)


@MODELS.register("remind", "REMIND: Soft MoE over modality tokens with group-specialised routing and a shared fallback")
class Remind(TokenFusionModel):
    """REMIND-style group-specialised mixture of experts (Wu, Shuai, Shen 2026), built from its description.

    Present modality tokens go through masked attention, then a residual :class:`GroupSoftMoE` whose
    routing is specialised per combination group (shared experts, shared fallback router for unseen
    groups), and are mean-pooled. Train it with group DRO after an ERM warm-up (see
    :mod:`missmodal.train`).

    Parameters
    ----------
    n_experts, slots_per_expert : Soft MoE experts and slots per expert.

    Shapes: tokens (n, M, w) -> logits (n, out_dim).
    """

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, n_experts: int = 4, slots_per_expert: int = 2,
                 **kwargs):
        super().__init__(dims, out_dim, task, **kwargs)
        check_positive_ints(n_experts=n_experts, slots_per_expert=slots_per_expert)
        self.config.update(n_experts=n_experts, slots_per_expert=slots_per_expert)
        w, h, drop = self.config["width"], self.config["hidden"], self.config["dropout"]
        self.moe_norm = nn.LayerNorm(w)
        self.moe = GroupSoftMoE(w, h, n_experts, slots_per_expert, self.config["groups"], drop)

    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        x = self.attend(tokens, observed)
        x = x + self.moe(self.moe_norm(x), observed)
        return self.no_aux(self.pool_and_predict(x, observed, context))

    def group_specific_parameters(self) -> list[str]:
        return ["moe.group_router"]
