"""Fitted encoder states on disk: one safetensors file, arrays plus JSON config per modality (no pickle).

Layout: tensor ``<modality>/<array name>``; metadata key ``<modality>`` holds the JSON config (which includes
the encoder spec), key ``missmodal`` the format version. Written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_path
from ..errors import DataFormatError

FORMAT = "missmodal-encoder-state-1"


def state_hash(arrays: dict[str, np.ndarray], config: dict[str, Any]) -> str:
    """sha256 over the config (canonical JSON) and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_states(path: str | os.PathLike, states: dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]) -> Path:
    """Write ``{modality: (arrays, config)}`` to one safetensors file, atomically."""
    from safetensors.numpy import save_file

    tensors, metadata = {}, {"missmodal": FORMAT}
    for modality, (arrays, config) in states.items():
        if "/" in modality:
            raise DataFormatError(f"modality name {modality!r}: '/' is not allowed in a saved encoder state")
        for name, array in arrays.items():
            tensors[f"{modality}/{name}"] = np.ascontiguousarray(array)
        metadata[modality] = json.dumps(config)
    path = Path(path)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def load_states(path: str | os.PathLike) -> dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """Read a file written by :func:`save_states`; a one-line error names the file when it is not one."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such encoder state file")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("missmodal") != FORMAT:
                raise DataFormatError(f"{path}: not a missmodal encoder state file")
            arrays: dict[str, dict[str, np.ndarray]] = {m: {} for m in metadata if m != "missmodal"}
            for key in handle.keys():
                modality, _, name = key.partition("/")
                arrays.setdefault(modality, {})[name] = handle.get_tensor(key)
    except DataFormatError:
        raise
    except (SafetensorError, OSError, json.JSONDecodeError) as error:
        raise DataFormatError(f"{path}: unreadable encoder state ({str(error).splitlines()[0]})") from None
    return {m: (arrays[m], json.loads(metadata[m])) for m in arrays}
