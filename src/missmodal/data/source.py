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


def resolve_data(spec: str, target: str | None = None, schema=None, require_target: bool = True,
                 **read_options: Any) -> MultimodalData:
    """Load DATA given as a dataset name (``mfeat``, ``logic:gate=xor``) or a file path.

    With ``schema`` (a :class:`~missmodal.data.schema.TableSchema` or a stored resolved schema) the file is
    a flat table (CSV/TSV/flat Parquet) read by :func:`~missmodal.data.schema.from_table`; without one it
    must be a missmodal Parquet (list or column-block layout) or ``.npz`` file.
    """
    from .schema import TABLE_SUFFIXES, from_table

    parsed = parse_dataset_spec(spec)
    if parsed is not None and not Path(spec).exists():
        if schema is not None:
            raise MissmodalError(f"{spec}: schema options apply to table files, not to the bundled dataset {parsed[0]!r}")
        name, params = parsed
        return load_dataset(name, **params)
    if not Path(spec).exists():
        known = ", ".join(DATASETS.names())
        raise MissmodalError(f"{spec}: no such file, and not a dataset name (datasets: {known})")
    if schema is not None:
        return from_table(spec, schema=schema, require_target=require_target)
    if Path(spec).suffix.lower() in TABLE_SUFFIXES:
        raise MissmodalError(f"{spec}: a flat table needs a schema: --modality NAME=COL1,COL2 (repeatable), --target, "
                             "--id, --covariates, --ignore, or --schema FILE.yaml")
    return read_data(spec, target=target, require_target=require_target, **read_options)
