"""The model-file format shared by every kind of model: ``model.json`` + ``model.safetensors`` in a folder.

``model.json`` holds the format tag and version, the architecture (registry name and parameters), the
preprocessing, the training-group counts and the training details; ``model.safetensors`` the tensors.
Nothing in either file is ever executed or unpickled. This module sits below every model class (it imports
none of them), so that networks, tabular baselines and ensembles all write and read through it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .._atomic import atomic_path, write_text_atomic
from .._json import to_jsonable
from ..errors import MissmodalError
from .validation import CONFIG_DIGEST_KEY, config_digest, weights_digest

if TYPE_CHECKING:
    from .predictor import Predictor

FORMAT = "missmodal-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
WEIGHTS_FILE = "model.safetensors"


def write_model_files(path: str | Path, tensors: dict[str, torch.Tensor], architecture: dict,
                      model: Predictor) -> Path:
    """Write ``tensors`` to ``model.safetensors`` and the JSON description to ``model.json`` in folder ``path``.

    The JSON holds the format tag and version, ``architecture`` (registry name and parameters), the
    preprocessing, the training-group counts and ``model.info`` (whose ``calibration`` is always written,
    null for a model that was not calibrated); both files are written atomically. The weights go first,
    with the digest of the JSON (:func:`~missmodal.models.validation.config_digest`) in their metadata, and
    ``model.json`` records their SHA-256. Loading checks both: a crash between the two writes, two runs into
    one folder, or an edit of either file never yields a folder that loads.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    payload = to_jsonable({
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "architecture": architecture,
        "preprocessing": model.preprocessing.to_dict(),
        "train_group_counts": {str(k): v for k, v in sorted(model.train_group_counts.items())},
        "info": {"calibration": None, **model.info},
    })
    with atomic_path(path / WEIGHTS_FILE) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, CONFIG_DIGEST_KEY: config_digest(payload)})
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "weights_sha256": weights_digest(path / WEIGHTS_FILE),
               **payload}
    write_text_atomic(path / CONFIG_FILE, json.dumps(payload, indent=1) + "\n")
    return path


def read_tensors(weights_path: Path, name: str) -> dict[str, torch.Tensor]:
    """The tensors of a ``model.safetensors`` file (safetensors only: nothing is unpickled)."""
    try:
        return load_file(str(weights_path))
    except (RuntimeError, OSError, SafetensorError) as error:
        raise MissmodalError(f"{weights_path}: weights of model {name!r} cannot be read ({str(error).splitlines()[0]})") from None
