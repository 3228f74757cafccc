"""On-disk cache of benchmark cells: one JSON file per cell, keyed by a hash of what determines its result.

The key hashes the cell's spec (dataset entry, scenario, seed, method and settings) together with a
*fingerprint*: the SHA-256 of the package's source code (``code``) and, for a dataset given as a file, the
SHA-256 of the file's bytes (``data``). A file replaced under the same path, a changed setting or changed
code therefore gets new cells; nothing stale is reused. A finished cell is never recomputed; an interrupted
run leaves only whole files (atomic writes), so rerunning computes exactly the cells whose files are missing.
Cells are returned as they were stored (JSON round trip), so a resumed run's results equal an
uninterrupted run's.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._atomic import write_text_atomic
from .._json import to_jsonable

CACHE_FORMAT = 2
_CHUNK = 1 << 20


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file of the installed missmodal package, path and bytes."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=64)
def _file_digest(real: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(real, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def file_fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 (16 hex digits) of a file's bytes (memoised per path, size and modification time)."""
    real = os.path.realpath(path)
    stat = os.stat(real)
    return _file_digest(real, stat.st_size, stat.st_mtime_ns)


def fingerprint(spec: dict[str, Any]) -> dict[str, str]:
    """What besides the spec decides a cell's result: the code, and the bytes of a dataset file."""
    entry = spec.get("dataset")
    data = "bundled-or-synthetic"  # produced by the code, so covered by the code fingerprint
    if isinstance(entry, dict) and "path" in entry and Path(entry["path"]).is_file():
        data = file_fingerprint(entry["path"])
    return {"code": code_fingerprint(), "data": data}


def cell_key(spec: dict[str, Any]) -> str:
    """Stable 16-hex-digit key of a cell: sorted-key JSON of the spec, the cache format and the fingerprint."""
    text = json.dumps({"format": CACHE_FORMAT, "fingerprint": fingerprint(spec), **spec}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CellCache:
    """Cell results under ``root/cells/<kind>-<key>.json``."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "cells"

    def path(self, spec: dict[str, Any]) -> Path:
        return self.folder / f"{spec['kind']}-{cell_key(spec)}.json"

    def get(self, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The stored cell, or None when absent, unreadable or recorded under another fingerprint."""
        path = self.path(spec)
        if not path.is_file():
            return None
        try:
            cell = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None  # a damaged cell is recomputed (and rewritten atomically)
        if not isinstance(cell, dict) or cell.get("fingerprint") != fingerprint(spec):
            return None
        return cell

    def put(self, spec: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """Store a cell and return it as stored (the JSON round trip that :meth:`get` would give)."""
        text = json.dumps(to_jsonable({"spec": spec, "fingerprint": fingerprint(spec), **result}), indent=1)
        write_text_atomic(self.path(spec), text)
        return json.loads(text)
