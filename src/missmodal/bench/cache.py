"""On-disk cache of benchmark cells: one JSON file per cell, keyed by a hash of the cell's spec.

A cell that finished is never recomputed; an interrupted run leaves only whole files (atomic writes), so
rerunning computes exactly the cells whose files are missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .._atomic import write_text_atomic
from .._json import to_jsonable

CACHE_FORMAT = 1


def cell_key(spec: dict[str, Any]) -> str:
    """Stable 16-hex-digit key of a cell spec (sorted-key JSON, with the cache format)."""
    text = json.dumps({"format": CACHE_FORMAT, **spec}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CellCache:
    """Cell results under ``root/cells/<kind>-<key>.json``."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "cells"

    def path(self, spec: dict[str, Any]) -> Path:
        return self.folder / f"{spec['kind']}-{cell_key(spec)}.json"

    def get(self, spec: dict[str, Any]) -> dict[str, Any] | None:
        path = self.path(spec)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def put(self, spec: dict[str, Any], result: dict[str, Any]) -> None:
        write_text_atomic(self.path(spec), json.dumps(to_jsonable({"spec": spec, **result}), indent=1))
