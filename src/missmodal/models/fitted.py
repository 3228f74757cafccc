"""A trained fusion model with its preprocessing, and the safe model file format.

A model file is a directory holding ``model.json`` (architecture, preprocessing, training-group counts,
training settings; plain JSON) and ``model.safetensors`` (the weights). Loading parses the JSON, looks the
architecture up in :data:`missmodal.models.MODELS` by name and reads the tensors with safetensors: nothing
in the files is ever executed or unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from .._atomic import atomic_path, write_text_atomic
from .._json import to_jsonable
from ..data import MultimodalData
from ..errors import MissmodalError
from .base import MODELS, FusionModel
from .preprocess import Preprocessing
from .validation import build_checked, check_config, check_weights_hash, model_files, read_config, weights_digest

FORMAT = "missmodal-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
WEIGHTS_FILE = "model.safetensors"


class FittedModel:
    """A fusion module plus the preprocessing and training-group counts it was trained with.

    Parameters
    ----------
    name : registry name of the architecture (``"remind"``, ...).
    module : the trained :class:`~missmodal.models.base.FusionModel`.
    preprocessing : the :class:`Preprocessing` fitted on the training data.
    train_group_counts : group code -> number of training samples (defines head/tail and "seen" groups).
    info : JSON-able training details (model and loss names, settings, selected epoch).

    Attributes
    ----------
    history : per-epoch training records (losses, validation metrics, group weights, gradient cosines),
        filled by the trainer; not part of the model file.
    """

    def __init__(self, name: str, module: FusionModel, preprocessing: Preprocessing,
                 train_group_counts: dict[int, int], info: dict[str, Any] | None = None):
        self.name = name
        self.module = module
        self.preprocessing = preprocessing
        self.train_group_counts = {int(k): int(v) for k, v in train_group_counts.items()}
        self.info = dict(info or {})
        self.history: list[dict[str, Any]] = []

    @property
    def task(self) -> str:
        return self.preprocessing.task

    @property
    def classes(self) -> list | None:
        return self.preprocessing.classes

    @property
    def class_labels(self) -> list | None:
        """The user's label of each class (the string labels of the training file, else ``classes``)."""
        return self.preprocessing.class_names or self.preprocessing.classes

    def __repr__(self) -> str:
        return (f"FittedModel({self.name}, task={self.task}, modalities={self.preprocessing.modality_names}, "
                f"training groups={len(self.train_group_counts)})")

    @torch.no_grad()
    def scores(self, data: MultimodalData, batch_size: int = 4096) -> np.ndarray:
        """Probabilities (classification: ``(n, 2)`` binary, ``(n, C)`` otherwise) or values ``(n,)`` (regression)."""
        inputs, observed = self.preprocessing.inputs(data)
        was_training = self.module.training
        self.module.eval()
        try:
            logits = [self.module([x[i:i + batch_size] for x in inputs], observed[i:i + batch_size]).logits
                      for i in range(0, data.n_samples, batch_size)]
        finally:
            self.module.train(was_training)
        scores = self.preprocessing.scores(torch.cat(logits) if logits else torch.zeros(0, self.preprocessing.out_dim))
        bad = ~np.isfinite(scores.reshape(len(scores), -1)).all(axis=1)
        if bad.any():  # never hand out NaN predictions
            raise MissmodalError(f"the model gives non-finite outputs for {int(bad.sum())} sample(s) (first: row "
                                 f"{int(np.flatnonzero(bad)[0])}); are input values far outside the training range?")
        return scores

    def predict_proba(self, data: MultimodalData) -> np.ndarray:
        """Class probabilities; see :meth:`scores`."""
        if self.task == "regression":
            raise MissmodalError("predict_proba is for classification; use predict for a regression model")
        return self.scores(data)

    def predict(self, data: MultimodalData) -> np.ndarray:
        """Class labels (binary, multi-class), 0/1 label matrix (multi-label) or values (regression)."""
        from ..evaluate.metrics import predicted_labels

        scores = self.scores(data)
        return predicted_labels(scores, self.task, None if self.classes is None else np.asarray(self.class_labels))

    def seen_in_training(self, data: MultimodalData) -> np.ndarray:
        """``(n,)`` bool: the sample's combination group occurred in training (else its prediction is a fallback)."""
        return np.isin(data.group_codes(), list(self.train_group_counts))

    # --- files ------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``model.json`` and ``model.safetensors`` into directory ``path`` (atomically each).

        The weights go first and ``model.json`` records their SHA-256, which loading checks: a crash
        between the two writes, or two runs into one folder, never yields a folder that loads.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous().clone() for k, v in self.module.state_dict().items()}
        with atomic_path(path / WEIGHTS_FILE) as tmp:
            save_file(state, str(tmp), metadata={"format": FORMAT})
        payload = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "weights_sha256": weights_digest(path / WEIGHTS_FILE),
            "architecture": {"name": self.name, "params": self.module.config},
            "preprocessing": self.preprocessing.to_dict(),
            "train_group_counts": {str(k): v for k, v in sorted(self.train_group_counts.items())},
            "info": self.info,
        }
        write_text_atomic(path / CONFIG_FILE, json.dumps(to_jsonable(payload), indent=1) + "\n")
        return path


def load_model(path: str | Path) -> FittedModel:
    """Load a model saved by :meth:`FittedModel.save` (the directory, or its ``model.json``).

    Safe for files from untrusted sources: the configuration is JSON, the architecture is chosen by
    registry name among missmodal's own models, and the weights are read with safetensors; the folder is
    validated first (:mod:`missmodal.models.validation`: links, bounds, weights hash, shapes, finiteness).
    """
    path = Path(path)
    folder = path.parent if path.name == CONFIG_FILE else path
    config_path, weights_path = model_files(folder, (CONFIG_FILE, WEIGHTS_FILE))
    payload = read_config(config_path)
    if payload.get("format") != FORMAT:
        raise MissmodalError(f"{config_path}: not a missmodal model file (format must be {FORMAT!r})")
    if payload.get("format_version") != FORMAT_VERSION:
        raise MissmodalError(f"{config_path}: unsupported format_version {payload.get('format_version')!r}")
    check_config(payload, config_path)
    architecture = payload["architecture"]
    builder = MODELS.get(architecture["name"])
    check_weights_hash(payload, config_path, weights_path)
    module = build_checked(builder, architecture["params"], weights_path, architecture["name"])
    module.eval()
    counts = {int(k): int(v) for k, v in payload.get("train_group_counts", {}).items()}
    return FittedModel(architecture["name"], module, Preprocessing.from_dict(payload["preprocessing"]), counts, payload.get("info", {}))
