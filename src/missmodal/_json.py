"""JSON output: numpy values made plain, written atomically."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._atomic import write_text_atomic


def to_jsonable(value: Any) -> Any:
    """Numpy scalars/arrays and nested containers as plain JSON values (NaN/inf become None)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_json(path, payload: Any) -> None:
    """Write JSON atomically (indent 2)."""
    write_text_atomic(path, json.dumps(to_jsonable(payload), indent=2) + "\n")
