"""Resolve a DATA argument: a bundled/synthetic dataset name (with options) or a file path.

Syntax for datasets: ``name`` or ``name:key=value,key=value`` (``logic:gate=xor,n_samples=5000``);
values are parsed as int, float, bool or kept as strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import MissmodalError
from .datasets import DATASETS, load_dataset
from .io import read_data
from .multimodal import MultimodalData


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_dataset_spec(spec: str) -> tuple[str, dict[str, Any]] | None:
    """``(name, params)`` when ``spec`` names a registered dataset, else None."""
    name, _, options = spec.partition(":")
    if name not in DATASETS:
        return None
    params = {}
    for item in filter(None, options.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise MissmodalError(f"dataset option {item!r} must look like key=value")
        params[key.strip()] = _parse_value(value.strip())
    return name, params


def resolve_data(spec: str, target: str | None = None, **read_options: Any) -> MultimodalData:
    """Load DATA given as a dataset name (``mfeat``, ``logic:gate=xor``) or a Parquet/NPZ path."""
    parsed = parse_dataset_spec(spec)
    if parsed is not None and not Path(spec).exists():
        name, params = parsed
        return load_dataset(name, **params)
    if not Path(spec).exists():
        known = ", ".join(DATASETS.names())
        raise MissmodalError(f"{spec}: no such file, and not a dataset name (datasets: {known})")
    return read_data(spec, target=target, **read_options)
