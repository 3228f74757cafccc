"""Conversion between Arrow tables and `MultimodalData` (the Parquet and pandas layouts).

Layout, one row per sample:

- ``id``: sample identifier (optional);
- the target column (``target`` by default): int classes, float values, or a list of 0/1 for multi-label,
  or for ``task = "survival"`` a list of two float64, (time, event);
- one column per modality named after it, a (fixed-size) list of float32, null when the modality is absent;
  or the *column-block* layout: columns ``<modality>__<j>``, j = 0..d-1, all null/NaN when absent;
- numeric covariate columns (always observed), named by the reader's ``covariates`` or recorded by missmodal;
  any other scalar column must be ignored explicitly (roles are never guessed).

Missmodal writes its roles (modality order, target, covariates, task, provenance) as JSON in the schema
metadata under the key ``missmodal``; files without it are understood from their column types and names.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataFormatError
from .limits import check_magnitude
from .multimodal import TASKS, MultimodalData
from .survival import SURVIVAL, check_survival_target

METADATA_KEY = b"missmodal"
FIELD_MASK_SUFFIX = "__fields"  # fixed-size list<bool> column of a partly observable modality
BLOCK_COLUMN = re.compile(r"^(?P<modality>.+)__(?P<index>\d+)$")
DEFAULT_TARGET_NAMES = ("target", "label", "y")


def _is_list(type_: pa.DataType) -> bool:
    return pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_)


# Keys of the missmodal footer metadata and the JSON types each must have (None is allowed for all).
_STORED_TYPES = {"modalities": list, "target": str, "covariates": list, "task": str, "classes": list,
                 "metadata": dict, "layout": str, "field_masks": list}


def stored_roles(schema: pa.Schema, source: str = "data") -> dict[str, Any]:
    """The roles missmodal recorded in a schema's metadata (empty when the file was written elsewhere).

    Damaged metadata (not JSON, not an object, values of the wrong type) is a one-line error naming the file.
    """
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if not raw:
        return {}
    where = f"{source}: missmodal metadata in the Parquet footer"
    try:
        stored = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise DataFormatError(f"{where} is not valid JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(stored, dict):
        raise DataFormatError(f"{where} must be a JSON object, got {type(stored).__name__}")
    for key, kind in _STORED_TYPES.items():
        value = stored.get(key)
        if value is not None and not isinstance(value, kind):
            raise DataFormatError(f"{where}: {key!r} must be a {kind.__name__}, got {type(value).__name__}")
        if kind is list and value is not None and key != "classes" and not all(isinstance(v, str) for v in value):
            raise DataFormatError(f"{where}: {key!r} must be a list of column names")
    if stored.get("task") is not None and stored["task"] not in TASKS:
        raise DataFormatError(f"{where}: unknown task {stored['task']!r}; tasks: {list(TASKS)}")
    return stored


def _check_list_values(field: pa.Field, source: str) -> None:
    """A modality (or multi-label target) column must be a list of numbers, not of strings or of lists."""
    value_type = field.type.value_type
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type) or pa.types.is_boolean(value_type)
            or pa.types.is_null(value_type)):
        raise DataFormatError(f"{source}, column {field.name!r}: list of {value_type}, expected a list of numbers "
                              "(one embedding per row)")


def infer_roles(schema: pa.Schema, source: str, target: str | None = None, id_column: str | None = "id",
                modalities: list[str] | None = None, covariates: list[str] | None = None,
                ignore: list[str] | None = None, require_target: bool = True) -> dict[str, Any]:
    """Decide which columns are the id, the target, modalities (list or block layout) and covariates.

    With ``require_target=False`` (prediction) a recorded target column that the file lacks is allowed.

    Modalities are list columns and ``<m>__<j>`` blocks. A scalar column is a covariate only when it is
    named (``covariates``) or recorded as one by missmodal; any other scalar column must be ignored
    explicitly (``ignore``), else the read fails naming it: roles are never guessed.
    """
    stored = stored_roles(schema, source)
    names = schema.names
    duplicated = next((c for c in names if names.count(c) > 1), None)
    if duplicated is not None:
        raise DataFormatError(f"{source}, column {duplicated!r}: appears {names.count(duplicated)} times; column names "
                              "must be unique")
    if target is None and stored.get("target") is not None and stored["target"] not in names and require_target:
        raise DataFormatError(f"{source}: the missmodal metadata names target column {stored['target']!r}, which is "
                              f"absent; columns: {names[:20]} (give --target)")
    if target is None:
        target = stored.get("target") or next((t for t in DEFAULT_TARGET_NAMES if t in names), None)
        if target not in names:
            target = None  # a file without its target column (new samples to predict)
    elif target not in names:
        raise DataFormatError(f"{source}: target column {target!r} not found; columns: {names[:20]}")
    if id_column is not None and id_column not in names:
        id_column = None
    field_masks = {m: f"{m}{FIELD_MASK_SUFFIX}" for m in stored.get("field_masks", []) if f"{m}{FIELD_MASK_SUFFIX}" in names}
    ignore = list(ignore or [])
    unknown_ignored = [c for c in ignore if c not in names]
    if unknown_ignored:
        raise DataFormatError(f"{source}: ignored column {unknown_ignored[0]!r} not found; columns: {names[:20]}")
    reserved = {c for c in (target, id_column) if c is not None} | set(field_masks.values()) | set(ignore)
    blocks: dict[str, list[tuple[int, str]]] = {}
    list_columns = []
    scalar_columns = []
    for field in schema:
        if field.name in reserved:
            continue
        match = BLOCK_COLUMN.match(field.name)
        if _is_list(field.type):
            _check_list_values(field, source)
            list_columns.append(field.name)
        elif match and (pa.types.is_floating(field.type) or pa.types.is_integer(field.type) or pa.types.is_null(field.type)):
            blocks.setdefault(match["modality"], []).append((int(match["index"]), field.name))
        elif pa.types.is_floating(field.type) or pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
            scalar_columns.append(field.name)
        else:
            raise DataFormatError(f"{source}, column {field.name!r}: unsupported type {field.type} "
                                  "(expected a list of floats, a numeric column block or a numeric covariate)")
    block_columns = {}
    for modality, parts in blocks.items():
        parts.sort()
        indices = [i for i, _ in parts]
        if indices != list(range(len(parts))):
            raise DataFormatError(f"{source}: column block {modality!r} has columns {indices[:10]}..., expected __0..__{len(parts) - 1}")
        block_columns[modality] = [c for _, c in parts]
    found = list_columns + list(block_columns)
    order = modalities or stored.get("modalities") or found
    missing = [m for m in order if m not in found]
    if missing:
        raise DataFormatError(f"{source}: modality column {missing[0]!r} not found; modality columns: {found}")
    if covariates is None:
        covariates = list(stored.get("covariates", []))
        absent = [c for c in covariates if c not in names]
        if absent:
            raise DataFormatError(f"{source}: covariate column {absent[0]!r} recorded in the file's roles is missing")
    for c in covariates:
        if c not in scalar_columns:
            raise DataFormatError(f"{source}: covariate column {c!r} not found or not numeric")
    if not order:
        raise DataFormatError(f"{source}: no modality columns (list columns or <modality>__<j> blocks) found; a flat "
                              "table needs a schema: --modality NAME=COL1,COL2 (repeatable), --target, --covariates, --ignore")
    unassigned = [c for c in scalar_columns if c not in covariates]
    if unassigned:
        raise DataFormatError(f"{source}: column(s) with no role: {', '.join(unassigned[:20])}; give each one with "
                              "--covariates, --ignore or --target")
    return dict(target=target, id=id_column, modalities=list(order), list_columns=set(list_columns),
                block_columns=block_columns, covariates=list(covariates), task=stored.get("task"),
                field_masks={m: c for m, c in field_masks.items() if m in order},
                classes=stored.get("classes"), metadata=stored.get("metadata", {}))


def _list_column_to_array(column: pa.ChunkedArray | pa.Array, name: str, source: str, row_offset: int,
                          dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(n, d)`` float32 values (NaN where null) and the ``(n,)`` observed mask of a list column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    n = len(column)
    observed = ~np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_fixed_size_list(column.type):
        width = column.type.list_size
    else:
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        lengths = np.asarray(lengths, dtype=float)
        present = lengths[observed]
        width = dim if dim is not None else common_length(present)
        ragged = observed & (lengths != width)
        if ragged.any():
            row = int(np.flatnonzero(ragged)[0])
            raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: embedding of length "
                                  f"{int(lengths[row])}, expected {width} (ragged embedding lengths)")
    if dim is not None and observed.any() and width != dim:
        raise DataFormatError(f"{source}, column {name!r}: embedding length {width}, expected {dim}")
    width = dim if dim is not None else width
    if width == 0 and observed.any():
        row = int(np.flatnonzero(observed)[0])
        raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: empty embedding (a list of length 0); "
                              "store an absent modality as null")
    values = np.full((n, width), np.nan, dtype=np.float32)
    if observed.any():
        flat = pc.list_flatten(column.filter(pa.array(observed)))
        flat = flat.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)  # nulls become NaN
        values[observed] = flat.reshape(-1, width)
    finite = np.isfinite(values).all(axis=1)
    bad = observed & ~finite
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: NaN or inf inside an observed embedding")
    check_magnitude(values, observed, source, name, row_offset)
    return values, observed


def common_length(lengths: np.ndarray) -> int:
    """The most frequent list length (the smallest on ties; 0 when there is none), so that a ragged row is
    blamed even when it is the first one."""
    if not lengths.size:
        return 0
    values, counts = np.unique(lengths.astype(np.int64), return_counts=True)
    return int(values[np.argmax(counts)])


def _block_to_array(table: pa.Table, columns: list[str], modality: str, source: str, row_offset: int):
    values = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float32) for c in columns])
    finite = np.isfinite(values)
    observed = finite.all(axis=1)
    partial = finite.any(axis=1) & ~observed
    if partial.any():
        row = int(np.flatnonzero(partial)[0])
        col = columns[int(np.flatnonzero(~finite[row])[0])]
        raise DataFormatError(f"{source}, column {col!r}, row {row_offset + row}: modality {modality!r} is partly "
                              "missing (NaN/inf/null); a block must be all observed or all null")
    return values, observed


def _target_from_column(column: pa.ChunkedArray, name: str, source: str, row_offset: int, task: str | None,
                        classes: list | None):
    if task == SURVIVAL:
        return _survival_from_column(column, name, source, row_offset), task, None
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: target is missing")
    type_ = column.type
    if _is_list(type_):
        values, _ = _list_column_to_array(column, name, source, row_offset)
        if not np.isin(values, (0, 1)).all():
            row = int(np.flatnonzero(~np.isin(values, (0, 1)).all(axis=1))[0])
            raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: multi-label target must hold only 0/1")
        return values.astype(np.int64), "multilabel", None
    if pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_dictionary(type_):
        raw = np.asarray(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
        known = list(classes) if classes else sorted(set(raw.tolist()))
        lookup = {c: i for i, c in enumerate(known)}
        unknown = [i for i, v in enumerate(raw) if v not in lookup]
        if unknown:
            raise DataFormatError(f"{source}, column {name!r}, row {row_offset + unknown[0]}: unknown target class {raw[unknown[0]]!r}")
        labels = np.array([lookup[v] for v in raw], dtype=np.int64)
        return labels, task or ("binary" if len(known) <= 2 else "multiclass"), known
    if pa.types.is_boolean(type_):
        return column.to_numpy(zero_copy_only=False).astype(np.int64), task or "binary", None
    if pa.types.is_integer(type_):
        return column.to_numpy(zero_copy_only=False).astype(np.int64), task, None
    if pa.types.is_floating(type_):
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataFormatError(f"{source}, column {name!r}, row {row_offset + int(np.flatnonzero(bad)[0])}: target is NaN or inf")
        if task in ("binary", "multiclass"):
            if not np.all(values == np.round(values)):
                row = int(np.flatnonzero(values != np.round(values))[0])
                raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: class target {values[row]} is not an integer")
            return values.astype(np.int64), task, None
        check_magnitude(values, None, source, name, row_offset)
        return values, task or "regression", None
    raise DataFormatError(f"{source}, column {name!r}: target of unsupported type {type_} "
                          "(expected int/bool/string classes, float values or a list of 0/1)")


def _survival_from_column(column: pa.ChunkedArray, name: str, source: str, row_offset: int) -> np.ndarray:
    """``(n, 2)`` float64 (time, event) of a survival target column (a fixed-size list of two float64)."""
    if not pa.types.is_fixed_size_list(column.type) or column.type.list_size != 2:
        raise DataFormatError(f"{source}, column {name!r}: a survival target must be a list of two numbers "
                              f"(time, event), got {column.type}")
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise DataFormatError(f"{source}, column {name!r}, row {row_offset + row}: target is missing")
    flat = pc.list_flatten(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    values = flat.to_numpy(zero_copy_only=False).astype(np.float64).reshape(-1, 2)
    return check_survival_target(values, f"{source}, column {name!r}", row_offset)


def table_to_data(table: pa.Table, roles: dict[str, Any], source: str, row_offset: int = 0,
                  require_modality: bool = True) -> MultimodalData:
    """Convert one Arrow table (a whole file or a row batch) to `MultimodalData`, validating every value."""
    modalities, observed_columns = {}, []
    dims = roles.get("dims", {})
    for name in roles["modalities"]:
        if name in roles["list_columns"]:
            values, observed = _list_column_to_array(table.column(name), name, source, row_offset, dims.get(name))
            if values.shape[1] == 0:
                where = f" in rows {row_offset}..{row_offset + table.num_rows - 1}" if row_offset or "dims" in roles else ""
                raise DataFormatError(f"{source}, column {name!r}: modality is never observed{where} (its width is unknown)")
        else:
            values, observed = _block_to_array(table, roles["block_columns"][name], name, source, row_offset)
        if name not in roles["list_columns"]:
            check_magnitude(values, observed, source, name, row_offset)
        modalities[name] = values
        observed_columns.append(observed)
    observed = np.column_stack(observed_columns) if observed_columns else np.zeros((table.num_rows, 0), bool)
    if require_modality and table.num_rows:
        empty = ~observed.any(axis=1)
        if empty.any():
            raise DataFormatError(f"{source}, row {row_offset + int(np.flatnonzero(empty)[0])}: sample has no modality observed")
    target, task, classes = None, roles.get("task"), roles.get("classes")
    if roles["target"] is not None:
        target, task, classes = _target_from_column(table.column(roles["target"]), roles["target"], source,
                                                    row_offset, task, classes)
    covariates = None
    if roles["covariates"]:
        covariates = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
                                      for c in roles["covariates"]])
        bad = ~np.isfinite(covariates)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise DataFormatError(f"{source}, column {roles['covariates'][col]!r}, row {row_offset + row}: "
                                  "covariate is missing or not finite (covariates must always be observed)")
        for j, column in enumerate(roles["covariates"]):
            check_magnitude(covariates[:, j], None, source, column, row_offset)
    ids = table.column(roles["id"]).to_numpy(zero_copy_only=False) if roles["id"] else np.arange(row_offset, row_offset + table.num_rows)
    field_observed = {}
    for name, column in roles.get("field_masks", {}).items():
        mask, _ = _list_column_to_array(table.column(column), column, source, row_offset, modalities[name].shape[1])
        field_observed[name] = np.nan_to_num(mask, nan=0.0) > 0
    metadata = dict(roles.get("metadata") or {})
    if classes is not None:
        metadata["classes"] = list(classes)
    return MultimodalData(modalities, observed=observed, target=target, covariates=covariates,
                          covariate_names=list(roles["covariates"]) or None, ids=ids, task=task, metadata=metadata,
                          field_observed=field_observed or None)


def data_to_table(data: MultimodalData, layout: str = "list", target_name: str = "target") -> pa.Table:
    """Arrow table of `data` in the list layout (fixed-size list<float32>, null = absent) or the block layout."""
    if layout not in ("list", "blocks"):
        raise DataFormatError(f"layout must be 'list' or 'blocks', got {layout!r}")
    columns: dict[str, pa.Array] = {"id": pa.array(data.ids)}
    if data.target is not None:
        if data.task == SURVIVAL:  # (time, event) in full precision
            columns[target_name] = pa.FixedSizeListArray.from_arrays(pa.array(data.target.reshape(-1)), 2)
        elif data.target.ndim == 2:
            columns[target_name] = pa.FixedSizeListArray.from_arrays(pa.array(data.target.reshape(-1).astype(np.int8)),
                                                                     data.target.shape[1])
        else:
            columns[target_name] = pa.array(data.target)
    for j, name in enumerate(data.covariate_names or []):
        columns[name] = pa.array(data.covariates[:, j])
    for m, (name, values) in enumerate(data.modalities.items()):
        observed = data.observed[:, m]
        if layout == "list":
            flat = pa.array(np.where(observed[:, None], values, np.nan).reshape(-1).astype(np.float32))
            columns[name] = pa.FixedSizeListArray.from_arrays(flat, values.shape[1], mask=pa.array(~observed))
        else:
            for j in range(values.shape[1]):
                columns[f"{name}__{j}"] = pa.array(np.where(observed, values[:, j], np.nan).astype(np.float32),
                                                   mask=~observed)
    for name, mask in (data.field_observed or {}).items():
        flat = pa.array(mask.reshape(-1))
        columns[f"{name}{FIELD_MASK_SUFFIX}"] = pa.FixedSizeListArray.from_arrays(flat, mask.shape[1])
    table = pa.table(columns)
    roles = {
        "field_masks": list(data.field_observed or {}),
        "modalities": data.modality_names, "target": target_name if data.target is not None else None,
        "covariates": list(data.covariate_names or []), "task": data.task,
        "classes": data.metadata.get("classes"), "metadata": _jsonable(data.metadata), "layout": layout,
    }
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(roles).encode()})


def _jsonable(value: Any) -> Any:
    """Metadata made JSON-safe (numpy scalars and arrays become Python values)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
