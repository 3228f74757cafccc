"""Validation of a model folder before anything is built from it: a crafted or damaged folder gets a
one-line :class:`~missmodal.errors.MissmodalError`, never a traceback, a huge allocation or NaN output.

Checked, in this order, before any weight is allocated:

1. the files are regular files inside the folder (a link that resolves outside it is refused);
2. ``model.json`` is UTF-8 JSON (integers of absurd length included) that follows the declared schema of
   :mod:`missmodal.models.schema`: every field's type and range, and its consistency with the other fields;
3. ``weights_sha256`` (written by :meth:`FittedModel.save`, required unless the user trusts an unhashed
   folder) equals the SHA-256 of ``model.safetensors``, so weights and config of two runs never load together;
4. the tensor names and shapes in the safetensors header equal those of the architecture built on the
   ``meta`` device (no memory), so a config asking for a width of 200,000 fails before allocation;
5. ``model.json`` is the file written with the weights: the digest in the weights' metadata matches its
   content (:func:`check_config_digest`), so an edit that keeps every field valid is refused too;
6. after loading, every tensor is finite.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from ..errors import MissmodalError

_CHUNK = 1 << 20
CONFIG_DIGEST_KEY = "config_sha256"  # metadata key of model.safetensors: the digest of its model.json


def weights_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a weights file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_files(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """The named files of a model folder; each must be a regular file that resolves inside the folder."""
    root = Path(os.path.realpath(folder))
    paths = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise MissmodalError(f"{folder}: not a missmodal model (needs {' and '.join(names)})")
        real = Path(os.path.realpath(path))
        if real.parent != root:
            raise MissmodalError(f"{path}: is a link to {real}, outside the model folder; refusing to follow it")
        paths.append(path)
    return paths


def read_config(path: Path) -> dict[str, Any]:
    """``model.json`` as a dict (UTF-8 JSON object), else a one-line error naming the file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise MissmodalError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise MissmodalError(f"{path}: not valid JSON ({str(error).splitlines()[0]})") from None
    except ValueError as error:  # an integer beyond the reader's digit limit (5,000 digits of a "width")
        raise MissmodalError(f"{path}: not a model file missmodal wrote ({str(error).splitlines()[0][:120]})") from None
    if not isinstance(payload, dict):
        raise MissmodalError(f"{path}: expected a JSON object, got {type(payload).__name__}")
    return payload


def check_weights_hash(payload: dict[str, Any], config_path: Path, weights_path: Path) -> None:
    """``weights_sha256`` of ``model.json`` must match the weights file (files of one run only)."""
    expected = payload.get("weights_sha256")
    if expected is None:
        return  # an unhashed folder the user said they trust (see validate_model_config); shapes are still checked
    if weights_digest(weights_path) != expected:
        raise MissmodalError(f"{weights_path}: does not match {config_path.name} (SHA-256 differs): the folder mixes "
                             "files of different runs or was modified; retrain or restore the folder")


def config_digest(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of a ``model.json`` payload without its ``weights_sha256``, as canonical JSON (sorted keys,
    no spaces), which :func:`~missmodal.models.files.write_model_files` stores in the weights' metadata."""
    content = {k: v for k, v in payload.items() if k != "weights_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_config_digest(payload: dict[str, Any], config_path: Path, weights_path: Path) -> None:
    """``model.json`` must be the one written with the weights (its digest is in the weights' metadata): an
    edit that keeps every field valid (another ``heads``, ``temperature`` or class order) still changes the
    numbers, so it is refused. Folders written before the digest existed have none and are not checked."""
    try:
        with safe_open(str(weights_path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise MissmodalError(f"{weights_path}: unreadable weights file ({str(error).splitlines()[0]})") from None
    expected = metadata.get(CONFIG_DIGEST_KEY)
    if expected is not None and config_digest(payload) != expected:
        raise MissmodalError(f"{config_path}: edited after it was written (its content differs from the digest "
                             f"recorded in {weights_path.name}); retrain, or restore the folder")


def build_checked(builder, params: dict[str, Any], weights_path: Path, name: str) -> torch.nn.Module:
    """Build the module after checking the weight file's tensor names and shapes on the ``meta`` device,
    load the weights, and refuse non-finite values."""
    try:
        with torch.device("meta"):
            skeleton = builder(**params)
    except (TypeError, ValueError) as error:  # MissmodalError is a ValueError
        raise MissmodalError(f"{weights_path.parent / 'model.json'}: bad parameters for model {name!r} "
                             f"({str(error).splitlines()[0]})") from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    try:
        with safe_open(str(weights_path), framework="pt") as handle:
            stored = {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise MissmodalError(f"{weights_path}: weights do not fit model {name!r} (unreadable: "
                             f"{str(error).splitlines()[0]})") from None
    if stored != expected:
        diff = sorted(set(stored) ^ set(expected)) or [k for k in expected if stored[k] != expected[k]]
        key = diff[0]
        raise MissmodalError(f"{weights_path}: weights do not fit model {name!r} (tensor {key!r}: file "
                             f"{stored.get(key, 'absent')}, config {expected.get(key, 'absent')})")
    module = builder(**params)
    state = load_file(str(weights_path))
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise MissmodalError(f"{weights_path}: tensor {key!r} holds NaN or infinite values")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise MissmodalError(f"{weights_path}: weights do not fit model {name!r} ({str(error).splitlines()[0]})") from None
    return module
