"""A trained fusion network with its preprocessing, and :func:`load_model` for every kind of model file.

A model file is a directory holding ``model.json`` (architecture, preprocessing, training-group counts,
training settings; plain JSON) and ``model.safetensors`` (the weights), see :mod:`missmodal.models.files`.
Loading parses the JSON, looks the architecture up by name in the model registry
(:data:`missmodal.models.MODELS`: fusion networks, tabular baselines, the validation ensemble), and reads the
tensors with safetensors: nothing in the files is ever executed or unpickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..data import MultimodalData
from ..errors import MissmodalError
from .base import FusionModel, batched_logits
from .files import CONFIG_FILE, FORMAT, FORMAT_VERSION, WEIGHTS_FILE, read_tensors, write_model_files  # noqa: F401
from .predictor import Predictor
from .preprocess import Preprocessing
from .registry import MODELS, NETWORKS
from .schema import validate_model_config
from .validation import build_checked, check_config_digest, check_weights_hash, model_files, read_config


class FittedModel(Predictor):
    """A fusion module plus the preprocessing and training-group counts it was trained with.

    Parameters
    ----------
    name : registry name of the architecture (``"remind"``, ...).
    module : the trained :class:`~missmodal.models.base.FusionModel`.
    preprocessing : the :class:`Preprocessing` fitted on the training data.
    train_group_counts : group code -> number of training samples (defines head/tail and "seen" groups).
    info : JSON-able training details (model and loss names, settings, selected epoch, calibration).

    Attributes
    ----------
    history : per-epoch training records (losses, validation metrics, group weights, gradient cosines),
        filled by the trainer; not part of the model file.
    """

    def __init__(self, name: str, module: FusionModel, preprocessing: Preprocessing,
                 train_group_counts: dict[int, int], info: dict[str, Any] | None = None):
        super().__init__(name, preprocessing, train_group_counts, info)
        self.module = module

    def __repr__(self) -> str:
        return (f"FittedModel({self.name}, task={self.task}, modalities={self.preprocessing.modality_names}, "
                f"training groups={len(self.train_group_counts)})")

    def raw_scores(self, data: MultimodalData, batch_size: int = 4096) -> np.ndarray:
        """Uncalibrated probabilities (``(n, 2)`` binary, ``(n, C)`` otherwise) or values ``(n,)`` (regression)."""
        inputs, observed = self.preprocessing.inputs(data)
        logits = batched_logits(self.module, inputs, observed, self.preprocessing.covariates(data), batch_size)
        scores = self.preprocessing.scores(logits)
        bad = ~np.isfinite(scores.reshape(len(scores), -1)).all(axis=1)
        if bad.any():  # never hand out NaN predictions
            raise MissmodalError(f"the model gives non-finite outputs for {int(bad.sum())} sample(s) (first: row "
                                 f"{int(np.flatnonzero(bad)[0])}); are input values far outside the training range?")
        return scores

    # --- files ------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``model.json`` and ``model.safetensors`` into directory ``path`` (atomically each)."""
        state = {k: v.detach().cpu().contiguous().clone() for k, v in self.module.state_dict().items()}
        return write_model_files(path, state, {"name": self.name, "params": self.module.config}, self)


def load_model(path: str | Path, trust_unhashed: bool = False) -> Predictor:
    """Load a model saved by :meth:`Predictor.save` (the directory, or its ``model.json``): a
    :class:`FittedModel`, a tabular baseline or an ensemble.

    Safe for files from untrusted sources: the configuration is JSON, the architecture is chosen by
    registry name among missmodal's own models, and the weights are read with safetensors; the folder is
    validated before anything is built (:mod:`missmodal.models.validation`: links, the schema of
    :mod:`missmodal.models.schema`, the weights hash, tensor shapes, finiteness). A folder whose
    ``model.json`` has no ``weights_sha256`` is refused unless ``trust_unhashed`` (``--trust-unhashed``).
    """
    path = Path(path)
    folder = path.parent if path.name == CONFIG_FILE else path
    config_path, weights_path = model_files(folder, (CONFIG_FILE, WEIGHTS_FILE))
    payload = validate_model_config(read_config(config_path), config_path, trust_unhashed)
    check_weights_hash(payload, config_path, weights_path)
    check_config_digest(payload, config_path, weights_path)
    architecture = payload["architecture"]
    name = architecture["name"]
    counts = {int(k): int(v) for k, v in payload["train_group_counts"].items()}
    preprocessing = Preprocessing.from_dict(payload["preprocessing"])
    info = payload["info"]
    if name not in NETWORKS:  # a tabular baseline or a validation ensemble: its class reads its own tensors
        tensors = read_tensors(weights_path, name)
        return MODELS.get(name).from_files(folder, architecture, tensors, preprocessing, counts, info,
                                           trust_unhashed=trust_unhashed)
    module = build_checked(MODELS.get(name), architecture["params"], weights_path, name)
    module.eval()
    return FittedModel(name, module, preprocessing, counts, info)
