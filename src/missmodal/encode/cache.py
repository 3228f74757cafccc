"""Per-modality chunk cache, so that an interrupted encode resumes where it stopped.

Layout under the cache root: ``<modality>/key.json`` (what the chunks were made with), ``state.safetensors``
(a fitted encoder's state) and ``chunk-<i>.npy``: the (rows, d) float32 embeddings of manifest rows
``[i * chunk_rows, (i + 1) * chunk_rows)``, NaN where the modality is absent. Every file is written atomically,
so a chunk on disk is complete; a key that differs (other spec, weights, manifest or settings) discards the
modality's old chunks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_path, write_text_atomic
from .state import load_states, save_states


class ModalityCache:
    """The cached chunks and fitted state of one modality.

    Parameters
    ----------
    root : cache folder (one sub-folder per modality).
    modality : modality name.
    key : JSON-able description of everything the chunks depend on.
    owner : only the owner (rank 0) clears a stale cache and writes the key; other ranks only read and add chunks.
    """

    def __init__(self, root: Path, modality: str, key: dict[str, Any], owner: bool = True):
        self.directory = Path(root) / modality
        self.modality = modality
        self.key = json.loads(json.dumps(key, sort_keys=True))
        if owner:
            self._claim()

    def _claim(self) -> None:
        key_path = self.directory / "key.json"
        if key_path.is_file() and json.loads(key_path.read_text(encoding="utf-8")) != self.key:
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if not key_path.is_file():
            write_text_atomic(key_path, json.dumps(self.key, sort_keys=True, indent=1))

    def chunk_path(self, index: int) -> Path:
        return self.directory / f"chunk-{index:06d}.npy"

    def has(self, index: int) -> bool:
        return self.chunk_path(index).is_file()

    def save(self, index: int, values: np.ndarray) -> None:
        with atomic_path(self.chunk_path(index)) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, np.ascontiguousarray(values, dtype=np.float32), allow_pickle=False)

    def load(self, index: int) -> np.ndarray:
        return np.load(self.chunk_path(index), allow_pickle=False)

    @property
    def state_path(self) -> Path:
        return self.directory / "state.safetensors"

    def save_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        save_states(self.state_path, {self.modality: (arrays, config)})

    def load_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        return load_states(self.state_path)[self.modality] if self.state_path.is_file() else None
