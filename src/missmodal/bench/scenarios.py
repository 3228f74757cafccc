"""Prepare one (dataset, scenario, seed): load, simulate missingness, split train/val/test.

Bundled datasets are complete, so the complete data is kept as the *oracle* (full-data answers, hidden true
values). A user's file with natural missingness has no oracle: its only scenario is ``natural``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..data import MultimodalData, read_data, resolve_data, simulate_missingness
from ..data.split import stratified_split_indices
from ..errors import MissmodalError

SPLIT_FRACTIONS = (0.6, 0.2, 0.2)


@dataclass
class Prepared:
    """Data of one benchmark cell. ``*_full`` are the same samples without simulated gaps (None: no oracle)."""

    data: MultimodalData
    train: MultimodalData
    val: MultimodalData
    test: MultimodalData
    full: MultimodalData | None
    train_full: MultimodalData | None
    test_full: MultimodalData | None

    @property
    def has_oracle(self) -> bool:
        return self.full is not None


def dataset_label(entry: Any) -> str:
    """Short name of a dataset entry (a spec string or ``{path: ..., target: ...}``)."""
    return entry if isinstance(entry, str) else str(entry.get("name") or entry.get("path"))


def load_entry(entry: Any) -> MultimodalData:
    if isinstance(entry, str):
        return resolve_data(entry)
    if isinstance(entry, dict) and "path" in entry:
        return read_data(entry["path"], target=entry.get("target"))
    raise MissmodalError(f"dataset entry {entry!r} must be a name or {{path: ..., target: ...}}")


@lru_cache(maxsize=8)
def _load_cached(entry_json: str) -> MultimodalData:
    return load_entry(json.loads(entry_json))


def dataset_task(entry: Any) -> str | None:
    """The task of a dataset entry's target (``"survival"``, ``"binary"``, ...)."""
    return _load_cached(json.dumps(entry, sort_keys=True)).task


def is_natural(entry: Any) -> bool:
    """True when the dataset already has missing modalities (then no scenario is simulated)."""
    return not _load_cached(json.dumps(entry, sort_keys=True)).observed.all()


@lru_cache(maxsize=16)
def _prepare_cached(entry_json: str, scenario_json: str, seed: int) -> Prepared:
    full = _load_cached(entry_json)
    scenario = json.loads(scenario_json)
    if full.target is None:
        raise MissmodalError(f"dataset {dataset_label(json.loads(entry_json))}: a target is needed for the benchmark")
    if scenario["mechanism"] == "none":
        data, oracle = full, None
    else:
        params = {k: v for k, v in scenario.items() if k not in ("name", "mechanism")}
        data, oracle = simulate_missingness(full, scenario["mechanism"], seed=seed, **params), full
    train, val, test = stratified_split_indices(data, SPLIT_FRACTIONS, seed)
    return Prepared(
        data=data, train=data.subset(train), val=data.subset(val), test=data.subset(test), full=oracle,
        train_full=None if oracle is None else oracle.subset(train),
        test_full=None if oracle is None else oracle.subset(test),
    )


def prepare(entry: Any, scenario: dict[str, Any], seed: int) -> Prepared:
    """Load ``entry``, apply ``scenario`` with ``seed``, and split 60/20/20 (stratified by class and group)."""
    return _prepare_cached(json.dumps(entry, sort_keys=True), json.dumps(scenario, sort_keys=True), int(seed))
