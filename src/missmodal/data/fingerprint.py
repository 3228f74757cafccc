"""Content fingerprints of in-memory data: equal exactly when every value that a model can see is equal.

Used to tie a training checkpoint to the data it was made on (:mod:`missmodal.train.trainer`).
"""

from __future__ import annotations

import hashlib

import numpy as np

from .multimodal import MultimodalData


def _update(digest, label: str, array: np.ndarray | None) -> None:
    digest.update(label.encode() + b"\0")
    if array is None:
        digest.update(b"none\0")
        return
    array = np.ascontiguousarray(array)
    if array.dtype.kind in "OUS":
        array = np.ascontiguousarray(array.astype(str))
    digest.update(f"{array.dtype.str}{array.shape}".encode() + b"\0")
    digest.update(array.tobytes())


def data_fingerprint(data: MultimodalData) -> str:
    """SHA-256 (16 hex digits) of modality names, observed values (absent rows count as zeros), mask,
    target, covariates and ids of ``data``."""
    digest = hashlib.sha256()
    for m, (name, values) in enumerate(data.modalities.items()):
        _update(digest, f"modality:{name}", np.where(data.observed[:, m, None], values, 0).astype(np.float32))
    _update(digest, "observed", data.observed)
    _update(digest, "target", data.target)
    _update(digest, "covariates", data.covariates)
    _update(digest, "ids", data.ids)
    digest.update(str(data.task).encode())
    return digest.hexdigest()[:16]
