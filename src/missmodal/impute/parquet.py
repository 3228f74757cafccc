"""Imputed data on disk: the missmodal Parquet layout plus a record of which slots were imputed.

The output has every modality slot filled and one extra column, ``imputed``: a fixed-size list of M
booleans per row, in the modality order, True where the value was imputed (the slot was missing in the
input). Missing fields inside observed (partly observed) blocks are filled too and counted, not flagged. The schema metadata (``missmodal`` JSON) keeps the roles and ``metadata["imputation"]`` (method,
parameters, ``record_column``); :func:`~missmodal.read_data` reads the file as complete data and ignores
the extra column, :func:`read_imputed_mask` reads it back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._atomic import atomic_path
from ..data.arrow import data_to_table
from ..data.io import iter_batches
from ..data.multimodal import MultimodalData
from ..errors import DataFormatError
from .base import BaseImputer

RECORD_COLUMN = "imputed"


def imputed_table(data: MultimodalData, imputed: np.ndarray, layout: str = "list") -> pa.Table:
    """Arrow table of the completed ``data`` with the ``imputed`` (n, M) record column appended."""
    table = data_to_table(data, layout)
    flags = pa.array(np.ascontiguousarray(imputed, dtype=bool).reshape(-1))
    column = pa.FixedSizeListArray.from_arrays(flags, imputed.shape[1])
    return table.append_column(RECORD_COLUMN, column)


def write_imputed(batches: Iterable[tuple[MultimodalData, np.ndarray, int]], path: str | os.PathLike,
                  layout: str = "list", progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write ``(completed batch, imputed mask, imputed fields)`` triples to one Parquet file atomically.

    Returns ``{"rows", "slots", "imputed_slots", "imputed_fields"}`` (``imputed_fields``: missing fields filled
    inside observed, partly observed blocks); ``progress(rows)`` is called after each batch.
    """
    path = Path(path)
    counts = {"rows": 0, "slots": 0, "imputed_slots": 0, "imputed_fields": 0}
    with atomic_path(path) as tmp:
        writer = None
        try:
            for data, imputed, fields in batches:
                table = imputed_table(data, imputed, layout)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
                counts["rows"] += imputed.shape[0]
                counts["slots"] += imputed.size
                counts["imputed_slots"] += int(imputed.sum())
                counts["imputed_fields"] += int(fields)
                if progress is not None:
                    progress(imputed.shape[0])
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise DataFormatError(f"{path}: no rows to write")
    return counts


def impute_batches(imputer: BaseImputer, batches: Iterable[MultimodalData],
                   record: dict[str, Any]) -> Iterator[tuple[MultimodalData, np.ndarray, int]]:
    """Transform each batch with a fitted imputer; yield ``(completed batch, imputed mask, imputed fields)``."""
    for batch in batches:
        completed = imputer.transform(batch)
        fields = completed.metadata["imputation"]["imputed_fields"]
        completed.metadata["imputation"] = {**record, "record_column": RECORD_COLUMN}
        yield completed, ~batch.observed, fields


def impute_parquet(imputer: BaseImputer, path: str | os.PathLike, output: str | os.PathLike, batch_size: int = 65536,
                   layout: str = "list", record: dict[str, Any] | None = None,
                   progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Impute a Parquet file with a fitted imputer, batch by batch (bounded memory), into ``output``.

    Returns the counts of :func:`write_imputed`.
    """
    record = record or {"method": imputer._method_name()}
    return write_imputed(impute_batches(imputer, iter_batches(path, batch_size), record), output, layout, progress)


def read_imputed_mask(path: str | os.PathLike) -> np.ndarray:
    """The ``(n, M)`` bool record of imputed slots of a file written by :func:`write_imputed`."""
    path = Path(path)
    try:
        column = pq.read_table(path, columns=[RECORD_COLUMN]).column(RECORD_COLUMN).combine_chunks()
    except (KeyError, pa.ArrowInvalid) as error:
        raise DataFormatError(f"{path}: no {RECORD_COLUMN!r} column ({str(error).splitlines()[0]})") from None
    width = column.type.list_size
    return column.flatten().to_numpy(zero_copy_only=False).astype(bool).reshape(-1, width)
