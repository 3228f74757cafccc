"""Fusion models for multimodal data with whole modalities missing, by registry name, and their peers.

``concat``, ``missing-token``, ``attention``, ``late``, ``flexmoe``, ``remind`` and ``film`` all take per-modality
tensors plus the observed mask and the covariates (see :mod:`missmodal.models.base`), encode each modality
with its own MLP to a common width, support modality dropout, and never need imputed input. The tabular
baselines ``logistic`` and ``gbdt`` (:mod:`missmodal.models.tabular`), the survival baseline ``cox``
(:mod:`missmodal.models.cox`) and the validation ensemble ``auto``
(:mod:`missmodal.models.ensemble`) share the :class:`Predictor` interface and the safe model file format.
All of them are entries of one registry, :data:`MODELS`, each with its kind (:mod:`missmodal.models.registry`
says how to add one).

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

from . import film, fusion, moe  # noqa: F401  (register the models)
from .base import FusionModel, FusionOutput, GroupIndex, drop_modalities, group_codes_of, masked_mean
from .ensemble import EnsembleModel, greedy_selection
from .fitted import FittedModel, load_model
from .predictor import Predictor
from .preprocess import Preprocessing
from .registry import ENSEMBLE, MODELS, NETWORKS, TABULAR
from .tabular import TabularModel, fit_tabular
from . import cox, coxboost  # noqa: F401,E402  (register the survival baselines)

__all__ = [
    "ENSEMBLE", "EnsembleModel", "MODELS", "FittedModel", "FusionModel", "FusionOutput", "GroupIndex", "Predictor",
    "NETWORKS", "Preprocessing", "TABULAR", "TabularModel", "drop_modalities", "fit_tabular", "greedy_selection",
    "group_codes_of", "load_model", "masked_mean",
]
