"""The data model, file formats, bundled datasets and missingness simulators."""

from .datasets import DATASETS, DEFAULT_DATASET, list_datasets, load_dataset
from .groups import all_nonempty_codes, code_to_mask, codes_to_masks, group_codes, group_name, head_groups, parse_group
from .io import ParquetBatchWriter, iter_batches, read_data, read_npz, write_data, write_npz
from .multimodal import MultimodalData
from .schema import TableSchema, from_table
from .simulate import SIMULATORS, observe_with_probability, simulate_missingness
from .source import resolve_data

__all__ = [
    "DATASETS", "DEFAULT_DATASET", "MultimodalData", "TableSchema", "from_table", "ParquetBatchWriter", "SIMULATORS", "all_nonempty_codes",
    "code_to_mask", "codes_to_masks", "group_codes", "group_name", "head_groups", "iter_batches", "list_datasets",
    "load_dataset", "observe_with_probability", "parse_group", "read_data", "read_npz", "resolve_data",
    "simulate_missingness", "write_data", "write_npz",
]
