"""The validation ensemble behind ``--model auto`` (registry kind ``"ensemble"``).

Greedy ensemble selection (Caruana, Niculescu-Mizil, Crew, Ksikes, ICML 2004) over the members' validation
predictions: start from the empty ensemble and, ``rounds`` times, add (with replacement) the member whose
addition gives the lowest validation loss of the averaged scores; keep the prefix with the lowest loss. The
weight of a member is the share of the kept rounds that chose it, so a single member can win outright:
``scores = sum_i w_i scores_i`` with ``w_i >= 0``, ``sum_i w_i = 1``. The loss is the log loss for
classification, the mean squared error for regression and ``1 - C`` (Harrell's C of the averaged log-risks)
for survival, whose ensemble then gets its own Breslow baseline hazard on validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..data import MultimodalData
from ..errors import MissmodalError
from .calibration import indicators_of, negative_log_likelihood
from .files import WEIGHTS_FILE, write_model_files
from .fitted import load_model
from .predictor import Predictor
from .preprocess import Preprocessing
from .registry import ENSEMBLE, MODELS
from .schema import MEMBER_FOLDER
from .validation import weights_digest


def validation_loss(scores: np.ndarray, target: np.ndarray, task: str, classes) -> float:
    """Log loss (classification; multi-label: mean binary log loss), mean squared error (regression) or
    ``1 - Harrell's C`` of the log-risks (survival; 0.5 without a comparable pair)."""
    if task == "survival":
        from ..evaluate.survival import harrell_c

        c_index = harrell_c(target[:, 0], target[:, 1] > 0, scores)
        return 1.0 - (0.5 if c_index is None else c_index)
    if task == "regression":
        return float(np.mean((np.asarray(scores, dtype=float) - np.asarray(target, dtype=float)) ** 2))
    return negative_log_likelihood(scores, indicators_of(target, task, classes), task)


def greedy_selection(member_scores: Sequence[np.ndarray], target: np.ndarray, task: str, classes,
                     rounds: int = 25) -> tuple[np.ndarray, list[float]]:
    """Weights ``(K,)`` of the greedy ensemble and the validation loss after each round.

    Parameters
    ----------
    member_scores : K arrays of validation scores of the same shape.
    target : validation targets (in the classes' codes).
    rounds : additions with replacement; the best prefix is kept.
    """
    if not member_scores:
        raise MissmodalError("ensemble selection needs at least one member")
    total = np.zeros_like(np.asarray(member_scores[0], dtype=np.float64))
    picks, losses = [], []
    for r in range(1, rounds + 1):
        trial = [validation_loss((total + s) / r, target, task, classes) for s in member_scores]
        best = int(np.argmin(trial))
        picks.append(best)
        losses.append(trial[best])
        total += member_scores[best]
    keep = int(np.argmin(losses)) + 1
    weights = np.bincount(picks[:keep], minlength=len(member_scores)).astype(np.float64)
    return weights / weights.sum(), losses


@MODELS.register(ENSEMBLE, "validation ensemble of fitted candidate models (greedy selection on validation)",
                 kind="ensemble")
class EnsembleModel(Predictor):
    """Weighted average of the calibrated scores of member models trained on the same data.

    Parameters
    ----------
    members : the fitted member models (fusion networks and/or tabular baselines).
    weights : ``(K,)`` non-negative weights summing to 1.
    """

    def __init__(self, members: Sequence[Predictor], weights: np.ndarray, preprocessing: Preprocessing,
                 train_group_counts: dict[int, int], info: dict[str, Any] | None = None):
        super().__init__(ENSEMBLE, preprocessing, train_group_counts, info)
        weights = np.asarray(weights, dtype=np.float64)
        if len(members) == 0 or weights.shape != (len(members),) or (weights < 0).any() or not np.isclose(weights.sum(), 1.0):
            raise MissmodalError(f"an ensemble needs one non-negative weight per member summing to 1, got {weights.tolist()}")
        self.members = list(members)
        self.weights = weights

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.name} {w:.2f}" for m, w in zip(self.members, self.weights))
        return f"EnsembleModel({parts})"

    def raw_scores(self, data: MultimodalData) -> np.ndarray:
        return sum(w * m.scores(data) for m, w in zip(self.members, self.weights))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        folders = [f"member_{i}" for i in range(len(self.members))]
        for member, folder in zip(self.members, folders):
            member.save(path / folder)
        digests = [weights_digest(path / folder / WEIGHTS_FILE) for folder in folders]  # each covers its model.json
        architecture = {"name": ENSEMBLE, "params": {"members": folders, "member_names": [m.name for m in self.members],
                                                     "member_weights_sha256": digests}}
        return write_model_files(path, {"weights": torch.from_numpy(self.weights.copy())}, architecture, self)

    @classmethod
    def from_files(cls, folder: Path, architecture: dict, tensors: dict[str, torch.Tensor], preprocessing: Preprocessing,
                   counts: dict[int, int], info: dict, trust_unhashed: bool = False) -> "EnsembleModel":
        """Rebuild a saved ensemble: its weights and the member folders ``member_<i>`` (each loaded by
        ``load_model``, trusting unhashed members only when the ensemble is trusted)."""
        folders = architecture.get("params", {}).get("members", [])
        bad = [f for f in folders if not isinstance(f, str) or not MEMBER_FOLDER.match(f)]
        if bad or not folders:
            raise MissmodalError(f"{folder}: ensemble member folders must be named member_<i>, got {folders}")
        if "weights" not in tensors:
            raise MissmodalError(f"{folder / 'model.safetensors'}: an ensemble file needs a 'weights' tensor")
        params = architecture.get("params", {})
        for f, expected in zip(folders, params.get("member_weights_sha256") or [None] * len(folders)):
            weights = folder / f / WEIGHTS_FILE
            if expected is not None and weights.is_file() and weights_digest(weights) != expected:
                raise MissmodalError(f"{weights}: is not the member this ensemble was saved with (SHA-256 differs); "
                                     "retrain, or restore the folder")
        members = [load_model(folder / f, trust_unhashed=trust_unhashed) for f in folders]
        for f, member, name in zip(folders, members, params.get("member_names") or [m.name for m in members]):
            if member.name != name or member.task != preprocessing.task or \
                    member.preprocessing.modality_names != preprocessing.modality_names:
                raise MissmodalError(f"{folder / f}: member {member.name!r} ({member.task}, modalities "
                                     f"{member.preprocessing.modality_names}) does not fit the ensemble ({name!r}, "
                                     f"{preprocessing.task}, {preprocessing.modality_names})")
        if tuple(tensors["weights"].shape) != (len(members),):
            raise MissmodalError(f"{folder / WEIGHTS_FILE}: an ensemble of {len(members)} members needs {len(members)} "
                                 f"weights, got shape {tuple(tensors['weights'].shape)}")
        return cls(members, tensors["weights"].numpy(), preprocessing, counts, info)
