"""Validation of a model folder before anything is built from it: a crafted or damaged folder gets a
one-line :class:`~missmodal.errors.MissmodalError`, never a traceback, a huge allocation or NaN output.

Checked, in this order, before any weight is allocated:

1. the files are regular files inside the folder (a link that resolves outside it is refused);
2. ``model.json`` is UTF-8 JSON of the documented shape (``architecture``, ``preprocessing``, ...), with
   finite numbers, sizes in sane bounds (:data:`MAX_SIZE`, :data:`MAX_COUNT`), positive scales, class
   lists as long as the outputs and integer group codes of the model's modalities;
3. ``weights_sha256`` (written by :meth:`FittedModel.save`) equals the SHA-256 of ``model.safetensors``,
   so weights and config of two different runs never load together;
4. the tensor names and shapes in the safetensors header equal those of the architecture built on the
   ``meta`` device (no memory), so a config asking for a width of 200,000 fails before allocation;
5. after loading, every tensor is finite.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from ..errors import MissmodalError
from .base import TASKS

MAX_SIZE = 1 << 20  # a feature width, hidden width or output count above this is not a model missmodal wrote
MAX_COUNT = 4096  # depth, heads, experts, slots, top-k
COUNT_PARAMS = ("depth", "heads", "n_experts", "top_k", "slots_per_expert", "n_layers")
_CHUNK = 1 << 20


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
    if not isinstance(payload, dict):
        raise MissmodalError(f"{path}: expected a JSON object, got {type(payload).__name__}")
    return payload


def _fail(path: Path, where: str, problem: str) -> MissmodalError:
    return MissmodalError(f"{path}: {where} {problem}")


def _int(path: Path, where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _fail(path, where, f"must be an integer, got {value!r}"[:200])
    if not low <= value <= high:
        raise _fail(path, where, f"must be in [{low}, {high}], got {value}")
    return int(value)


def _finite(path: Path, where: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise _fail(path, where, f"must be a finite number, got {value!r}"[:200])
    if positive and value <= 0:
        raise _fail(path, where, f"must be > 0, got {value}")
    return float(value)


def _vector(path: Path, where: str, value: Any, length: int, positive: bool = False) -> None:
    if not isinstance(value, list) or len(value) != length:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise _fail(path, where, f"must be a list of {length} numbers, got {got}")
    for j, v in enumerate(value):
        _finite(path, f"{where}[{j}]", v, positive)


def _section(path: Path, payload: dict, key: str) -> dict:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise _fail(path, f"{key!r}", "is missing or not an object")
    return value


def check_config(payload: dict[str, Any], path: Path) -> None:
    """Validate the architecture, preprocessing and group counts of a parsed ``model.json``."""
    architecture = _section(path, payload, "architecture")
    if not isinstance(architecture.get("name"), str):
        raise _fail(path, "architecture.name", "must be a model name (a string)")
    params = architecture.get("params")
    if not isinstance(params, dict):
        raise _fail(path, "architecture.params", "is missing or not an object")
    dims = params.get("dims")
    if not isinstance(dims, list) or not dims:
        raise _fail(path, "architecture.params.dims", "must be a non-empty list of widths")
    for m, d in enumerate(dims):
        _int(path, f"architecture.params.dims[{m}]", d, 1, MAX_SIZE)
    out_dim = _int(path, "architecture.params.out_dim", params.get("out_dim"), 1, MAX_SIZE)
    for key in ("width", "hidden"):
        if key in params:
            _int(path, f"architecture.params.{key}", params[key], 1, MAX_SIZE)
    for key in COUNT_PARAMS:
        if key in params:
            _int(path, f"architecture.params.{key}", params[key], 1, MAX_COUNT)
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(path, f"architecture.params.{key}", f"must be finite, got {value}")
    for g, code in enumerate(params.get("groups", [])):
        _int(path, f"architecture.params.groups[{g}]", code, 1, (1 << len(dims)) - 1)
    _check_preprocessing(_section(path, payload, "preprocessing"), path, dims, out_dim, params.get("task"))
    counts = payload.get("train_group_counts", {})
    if not isinstance(counts, dict):
        raise _fail(path, "train_group_counts", "must be an object of group code -> count")
    for key, value in counts.items():
        try:
            code = int(key)
        except ValueError:
            raise _fail(path, f"train_group_counts key {key!r}", "is not an integer group code") from None
        _int(path, f"train_group_counts[{key!r}]", code, 1, (1 << len(dims)) - 1)
        _int(path, f"train_group_counts[{key!r}]", value, 0, 1 << 62)


def _check_preprocessing(prep: dict, path: Path, dims: list, out_dim: int, task: Any) -> None:
    modalities = prep.get("modalities")
    if not isinstance(modalities, list) or len(modalities) != len(dims):
        raise _fail(path, "preprocessing.modalities", f"must list the {len(dims)} modalities of the architecture")
    for m, (entry, dim) in enumerate(zip(modalities, dims)):
        where = f"preprocessing.modalities[{m}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _fail(path, where, "must be an object with a 'name'")
        if entry.get("dim") != dim:
            raise _fail(path, f"{where}.dim", f"must equal the architecture's width {dim}, got {entry.get('dim')!r}"[:200])
        _vector(path, f"{where}.mean", entry.get("mean"), dim)
        _vector(path, f"{where}.scale", entry.get("scale"), dim, positive=True)
    if prep.get("task") not in TASKS or prep.get("task") != task:
        raise _fail(path, "preprocessing.task", f"must be the architecture's task, one of {TASKS}; got {prep.get('task')!r}")
    if task in ("binary", "multiclass"):
        classes = prep.get("classes")
        expected = 2 if task == "binary" else out_dim
        if not isinstance(classes, list) or len(classes) != expected or len(set(map(repr, classes))) != expected:
            raise _fail(path, "preprocessing.classes", f"must list {expected} distinct classes for {out_dim} output(s)")
        names = prep.get("class_names")
        if names is not None and (not isinstance(names, list) or len(names) != expected):
            raise _fail(path, "preprocessing.class_names", f"must be null or list {expected} labels")
    if task == "multilabel" and prep.get("n_labels") != out_dim:
        raise _fail(path, "preprocessing.n_labels", f"must equal out_dim {out_dim}, got {prep.get('n_labels')!r}")
    if task == "regression":
        _finite(path, "preprocessing.target_mean", prep.get("target_mean", 0.0))
        _finite(path, "preprocessing.target_scale", prep.get("target_scale", 1.0), positive=True)


def check_weights_hash(payload: dict[str, Any], config_path: Path, weights_path: Path) -> None:
    """``weights_sha256`` of ``model.json`` must match the weights file (files of one run only)."""
    expected = payload.get("weights_sha256")
    if expected is None:
        return  # written before weights were hashed; shapes and values are still checked
    if weights_digest(weights_path) != expected:
        raise MissmodalError(f"{weights_path}: does not match {config_path.name} (SHA-256 differs): the folder mixes "
                             "files of different runs or was modified; retrain or restore the folder")


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
