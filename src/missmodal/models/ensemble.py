"""The validation ensemble behind ``--model auto`` (registry kind ``"ensemble"``).

Greedy ensemble selection (Caruana, Niculescu-Mizil, Crew, Ksikes, ICML 2004) over the members' validation
predictions: start from the empty ensemble and, ``rounds`` times, add (with replacement) the member whose
addition gives the lowest validation loss of the averaged scores; keep the prefix with the lowest loss. The
weight of a member is the share of the kept rounds that chose it, so a single member can win outright:
``scores = sum_i w_i scores_i`` with ``w_i >= 0``, ``sum_i w_i = 1``. The loss is the log loss for
classification, the mean squared error for regression and ``1 - C`` (Harrell's C of the averaged log-risks)
for survival, whose ensemble then gets its own Breslow baseline hazard on validation. For the tail
(``--selection worst``) the rounds and the kept prefix maximise the worst-group validation accuracy instead,
ties broken by the loss.
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


def per_sample_score(scores: np.ndarray, target: np.ndarray, task: str, classes) -> np.ndarray:
    """``(n,)`` per-sample score, higher is better: 1/0 correct (arg-max class; multi-label: exact match at 0.5),
    or the negative squared error for regression."""
    if task == "regression":
        return -((np.asarray(scores, dtype=float) - np.asarray(target, dtype=float)) ** 2)
    if task == "multilabel":
        return ((scores >= 0.5) == np.asarray(target).astype(bool)).all(axis=1).astype(float)
    return (np.asarray(classes)[np.asarray(scores).argmax(axis=1)] == target).astype(float)


def worst_group_score(scores: np.ndarray, target: np.ndarray, task: str, classes, groups: np.ndarray) -> float:
    """Lowest per-group mean of :func:`per_sample_score` over the ``(n,)`` group labels ``groups``."""
    values = per_sample_score(scores, target, task, classes)
    return float(min(values[groups == g].mean() for g in np.unique(groups)))


def greedy_selection(member_scores: Sequence[np.ndarray], target: np.ndarray, task: str, classes,
                     rounds: int = 25, groups: np.ndarray | None = None) -> tuple[np.ndarray, list[float]]:
    """Weights ``(K,)`` of the greedy ensemble and the validation loss after each round.

    Parameters
    ----------
    member_scores : K arrays of validation scores of the same shape.
    target : validation targets (in the classes' codes).
    rounds : additions with replacement; the best prefix is kept.
    groups : ``(n,)`` validation group labels: when given, each round (and the kept prefix) maximises the
        worst-group accuracy (:func:`worst_group_score`; regression: minus the worst group's MSE), ties
        broken by the lower validation loss.
    """
    if not member_scores:
        raise MissmodalError("ensemble selection needs at least one member")

    def criterion(scores: np.ndarray) -> tuple[float, float]:  # smaller is better
        loss = validation_loss(scores, target, task, classes)
        return (0.0 if groups is None else -worst_group_score(scores, target, task, classes, groups), loss)

    total = np.zeros_like(np.asarray(member_scores[0], dtype=np.float64))
    picks, losses, criteria = [], [], []
    for r in range(1, rounds + 1):
        trial = [criterion((total + s) / r) for s in member_scores]
        best = min(range(len(trial)), key=trial.__getitem__)
        picks.append(best)
        criteria.append(trial[best])
        losses.append(trial[best][1])
        total += member_scores[best]
    keep = min(range(len(criteria)), key=criteria.__getitem__) + 1
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
