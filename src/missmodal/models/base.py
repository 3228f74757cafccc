"""Shared pieces of every fusion model: the registry, the output type, group look-up and masking helpers.

Every model takes a list of per-modality tensors ``inputs[m]`` of shape ``(n, d_m)`` and the observed mask
``observed`` of shape ``(n, M)`` (bool). Rows of absent modalities may hold anything: encoders see them
zero-filled and their outputs are masked or replaced, so a model's output never depends on them.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from numbers import Integral
from typing import Any, NamedTuple, Sequence

import torch
from torch import Tensor, nn

from ..errors import MissmodalError
from .layers import CovariateEncoder, ModalityEncoders
from .registry import MODELS  # noqa: F401  (re-exported: the registry used to live here)
TASKS = ("binary", "multiclass", "multilabel", "regression", "survival")


class FusionOutput(NamedTuple):
    """What a fusion model returns.

    logits : (n, out_dim) scores before the link function (softmax, sigmoid or identity).
    aux_loss : scalar auxiliary training loss (load balancing, router supervision); zero for most models.
    """

    logits: Tensor
    aux_loss: Tensor


def group_codes_of(observed: Tensor) -> Tensor:
    """Bitmask code ``sum(observed[:, m] << m)`` of each row: ``(n, M)`` bool -> ``(n,)`` int64."""
    shifts = torch.arange(observed.shape[1], device=observed.device)
    return (observed.long() << shifts).sum(dim=1)


def drop_modalities(observed: Tensor, rate: float, generator: torch.Generator | None = None) -> Tensor:
    """Modality dropout: hide each observed modality with probability ``rate``, keeping at least one.

    A sample whose draw would hide every modality keeps one of its observed modalities, chosen uniformly.

    Parameters
    ----------
    observed : (n, M) bool
    rate : probability of hiding an observed modality.
    generator : torch generator (default: the global one, which the trainer seeds every epoch).

    Returns
    -------
    (n, M) bool mask, a subset of ``observed``.
    """
    if rate <= 0:
        return observed
    keep = torch.rand(observed.shape, generator=generator, device=observed.device) >= rate
    dropped = observed & keep
    empty = ~dropped.any(dim=1)
    if empty.any():
        scores = torch.rand(observed.shape, generator=generator, device=observed.device).masked_fill(~observed, -1.0)
        rescue = torch.zeros_like(observed)
        rescue.scatter_(1, scores.argmax(dim=1, keepdim=True), True)
        dropped = torch.where(empty[:, None], rescue, dropped)
    return dropped


def check_positive_ints(**params: Any) -> None:
    """Raise a :class:`MissmodalError` naming the first parameter that is not an int >= 1."""
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise MissmodalError(f"{name} must be an int >= 1, got {value!r}")


def with_context(features: Tensor, context: Tensor | None) -> Tensor:
    """``[features, context]`` along the last axis: ``(n, k)``, ``(n, w)`` -> ``(n, k + w)``; ``features`` alone
    when there are no covariates."""
    return features if context is None else torch.cat([features, context], dim=-1)


def masked_mean(tokens: Tensor, present: Tensor) -> Tensor:
    """Mean over the present tokens: ``(n, M, w)``, ``(n, M)`` bool -> ``(n, w)``."""
    weights = present.to(tokens.dtype)
    return (tokens * weights[..., None]).sum(dim=1) / weights.sum(dim=1, keepdim=True).clamp(min=1.0)


@torch.no_grad()
def batched_logits(module: "FusionModel", inputs: Sequence[Tensor], observed: Tensor, covariates: Tensor | None,
                   batch_size: int = 4096, device: torch.device | None = None) -> Tensor:
    """Logits of ``module`` in eval mode over all rows, ``batch_size`` rows at a time: ``(n, out_dim)`` on the CPU.

    ``inputs[m]``: (n, d_m), ``observed``: (n, M) bool, ``covariates``: (n, p) or None. The module's
    training flag is restored afterwards.
    """
    device = device or torch.device("cpu")
    was_training = module.training
    module.eval()
    try:
        chunks = [module([x[i:i + batch_size].to(device) for x in inputs], observed[i:i + batch_size].to(device),
                         None if covariates is None else covariates[i:i + batch_size].to(device)).logits.cpu()
                  for i in range(0, observed.shape[0], batch_size)]
    finally:
        module.train(was_training)
    return torch.cat(chunks) if chunks else torch.zeros(0, module.config["out_dim"])


class GroupIndex(nn.Module):
    """Maps combination-group codes to the rows of group-specific parameters.

    The ``G`` training groups get rows ``0..G-1``; any other group (never seen in training) maps to row
    ``G``, the shared fallback. Parameters indexed this way grow with the groups that occur, not with 2^M.

    Parameters
    ----------
    groups : the group codes seen in training.
    """

    def __init__(self, groups: Sequence[int]):
        super().__init__()
        codes = torch.tensor(sorted({int(g) for g in groups}), dtype=torch.long)
        self.register_buffer("codes", codes, persistent=False)

    @property
    def n_groups(self) -> int:
        return int(self.codes.numel())

    def forward(self, observed: Tensor) -> Tensor:
        """``(n, M)`` bool -> ``(n,)`` row index in ``0..G`` (``G`` = unseen group)."""
        codes = group_codes_of(observed)
        if self.n_groups == 0:
            return torch.zeros_like(codes)
        position = torch.searchsorted(self.codes, codes).clamp(max=self.n_groups - 1)
        return torch.where(self.codes[position] == codes, position, torch.full_like(position, self.n_groups))


class FusionModel(nn.Module, metaclass=ABCMeta):
    """Base class: per-modality MLP encoders to a common width, modality dropout, and a fusion head.

    Subclasses implement :meth:`fuse`. ``config`` holds the constructor arguments (JSON-able), so that a
    saved model is rebuilt from its JSON description alone.

    Parameters
    ----------
    dims : feature width ``d_m`` of each modality.
    out_dim : number of outputs (1 for binary, regression and survival, C for multi-class and multi-label).
    task : "binary", "multiclass", "multilabel", "regression" or "survival" (the output is a log-risk trained
        with the Cox partial likelihood, :mod:`missmodal.train.cox`).
    groups : group codes seen in training (used by group-specialised models; the others ignore them).
    width : common token width ``w`` of the modality encoders.
    hidden : hidden width of the encoder and head MLPs.
    dropout : dropout inside the MLPs.
    modality_dropout : during training, probability of hiding each observed modality.
        The defaults ``dropout = 0.3``, ``modality_dropout = 0.3`` won on the benchmark's validation splits.
    n_covariates : number ``p`` of always-observed covariates. When ``p > 0`` an MLP encodes them to a
        context vector ``c`` of width ``w`` (``(n, p) -> (n, w)``) that each model's :meth:`fuse` uses beside
        its fused representation, so covariates such as age or site change the prediction.
    """

    #: False for models whose forward may leave some parameters unused (sparse routing); DDP needs to know.
    uses_every_parameter = True

    def __init__(self, dims: Sequence[int], out_dim: int, task: str, groups: Sequence[int] = (), width: int = 64,
                 hidden: int = 128, dropout: float = 0.3, modality_dropout: float = 0.3, n_covariates: int = 0):
        super().__init__()
        if task not in TASKS:
            raise MissmodalError(f"task must be one of {TASKS}, got {task!r}")
        if not dims or min(dims) < 1 or out_dim < 1:
            raise MissmodalError(f"a model needs at least one modality with d >= 1 and out_dim >= 1, got dims={list(dims)}, out_dim={out_dim}")
        if not 0 <= modality_dropout < 1:
            raise MissmodalError(f"modality_dropout must be in [0, 1), got {modality_dropout}")
        check_positive_ints(width=width, hidden=hidden)
        if isinstance(n_covariates, bool) or not isinstance(n_covariates, Integral) or n_covariates < 0:
            raise MissmodalError(f"n_covariates must be an int >= 0, got {n_covariates!r}")
        if not 0 <= dropout < 1:
            raise MissmodalError(f"dropout must be in [0, 1), got {dropout}")
        self.config: dict[str, Any] = dict(dims=[int(d) for d in dims], out_dim=int(out_dim), task=task,
                                           groups=sorted(int(g) for g in groups), width=width, hidden=hidden,
                                           dropout=dropout, modality_dropout=modality_dropout,
                                           n_covariates=int(n_covariates))
        self.task = task
        self.modality_dropout = modality_dropout
        self.encoders = ModalityEncoders(dims, width, hidden, dropout)
        self.covariate_encoder = CovariateEncoder(n_covariates, width, hidden, dropout) if n_covariates else None

    @property
    def context_width(self) -> int:
        """Width of the covariate context vector (0 without covariates)."""
        return self.config["width"] if self.covariate_encoder is not None else 0

    @property
    def n_modalities(self) -> int:
        return len(self.config["dims"])

    def forward(self, inputs: Sequence[Tensor], observed: Tensor, covariates: Tensor | None = None) -> FusionOutput:
        """``inputs[m]``: (n, d_m); ``observed``: (n, M) bool; ``covariates``: (n, p) float (required when the
        model has ``n_covariates = p > 0``, ignored otherwise) -> :class:`FusionOutput` with (n, out_dim) logits."""
        if len(inputs) != self.n_modalities or observed.shape[1] != self.n_modalities:
            raise MissmodalError(f"model expects {self.n_modalities} modalities, got {len(inputs)} inputs and a mask with {observed.shape[1]} columns")
        context = None
        if self.covariate_encoder is not None:
            p = self.config["n_covariates"]
            if covariates is None or covariates.ndim != 2 or covariates.shape[1] != p:
                got = None if covariates is None else tuple(covariates.shape)
                raise MissmodalError(f"model expects (n, {p}) covariates, got {got}")
            context = self.covariate_encoder(covariates)
        shown = drop_modalities(observed, self.modality_dropout) if self.training and self.modality_dropout > 0 else observed
        return self.fuse_routed(self.encoders(inputs, shown), shown, observed, context)

    @abstractmethod
    def fuse(self, tokens: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        """``tokens``: (n, M, w) encoded modalities (zeros where absent); ``observed``: (n, M) bool;
        ``context``: (n, w) encoded covariates, or None for a model without covariates."""

    def fuse_routed(self, tokens: Tensor, shown: Tensor, observed: Tensor, context: Tensor | None) -> FusionOutput:
        """:meth:`fuse` on the modalities ``shown`` after modality dropout (a subset of the sample's ``observed``
        mask, equal to it outside training). A model that conditions on the sample's own group overrides this
        to route by ``observed``, so that modality dropout hides tokens without moving the sample to another
        group (whose label function may differ under concept shift)."""
        return self.fuse(tokens, shown, context)

    def group_specific_parameters(self) -> list[str]:
        """Names of parameters that belong to single groups (excluded from the shared-gradient diagnostics)."""
        return []

    def no_aux(self, logits: Tensor) -> FusionOutput:
        return FusionOutput(logits, logits.new_zeros(()))
