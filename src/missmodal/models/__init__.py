"""Fusion models for multimodal data with whole modalities missing, by registry name.

``concat``, ``missing-token``, ``attention``, ``late``, ``flexmoe`` and ``remind`` all take per-modality
tensors plus the observed mask (see :mod:`missmodal.models.base`), encode each modality with its own MLP to
a common width, support modality dropout, and never need imputed input.

Examples
--------
>>> import torch
>>> from missmodal.models import MODELS
>>> model = MODELS.build("attention", dims=[3, 5], out_dim=4, task="multiclass")
>>> inputs = [torch.randn(2, 3), torch.randn(2, 5)]
>>> observed = torch.tensor([[True, False], [True, True]])
>>> model(inputs, observed).logits.shape
torch.Size([2, 4])
"""

from . import fusion, moe  # noqa: F401  (register the models)
from .base import MODELS, FusionModel, FusionOutput, GroupIndex, drop_modalities, group_codes_of, masked_mean
from .fitted import FittedModel, load_model
from .preprocess import Preprocessing

__all__ = [
    "MODELS", "FittedModel", "FusionModel", "FusionOutput", "GroupIndex", "Preprocessing", "drop_modalities",
    "group_codes_of", "load_model", "masked_mean",
]
