"""Conversion between `MultimodalData` and pandas DataFrames (through the Arrow layout)."""

from __future__ import annotations

import pyarrow as pa

from ..errors import DataFormatError
from .arrow import data_to_table, infer_roles, table_to_data


def to_pandas(data, layout: str = "list"):
    """DataFrame in the list layout (cells are arrays, None when absent) or the block layout (NaN)."""
    frame = data_to_table(data, layout).to_pandas()
    frame.attrs["missmodal"] = {"task": data.task, "metadata": data.metadata, "covariates": list(data.covariate_names or [])}
    return frame


def from_pandas(frame, target=None, id_column="id", modalities=None, covariates=None, task=None, source="DataFrame"):
    """`MultimodalData` from a DataFrame whose modalities are list cells or ``<m>__<j>`` column blocks."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise DataFormatError(f"{source}: cannot convert to the missmodal layout ({error})") from None
    info = frame.attrs.get("missmodal", {})
    if covariates is None:
        covariates = info.get("covariates")
    roles = infer_roles(table.schema, source, target, id_column, modalities, covariates)
    roles["task"] = task or info.get("task")
    data = table_to_data(table, roles, source, require_modality=False)
    if info.get("metadata"):
        data.metadata.update(info["metadata"])
    return data
