"""missmodal: machine learning on multimodal data with whole modalities missing.

Four questions on one data model (:class:`MultimodalData`): what is missing (:mod:`missmodal.audit`),
which modality is informative under missingness (:mod:`missmodal.informativeness`), how to fill the gaps
(:mod:`missmodal.impute`), and how to train and evaluate models that work on every combination of
modalities (:mod:`missmodal.models`, :mod:`missmodal.train`, :mod:`missmodal.evaluate`).
"""

from .data import (MultimodalData, TableSchema, from_table, load_dataset, read_data, resolve_data,
                   simulate_missingness, write_data)
from .errors import DataFormatError, MissmodalError

__version__ = "0.1.0"

__all__ = [
    "DataFormatError", "MissmodalError", "MultimodalData", "TableSchema", "__version__", "from_table", "load_dataset", "read_data",
    "resolve_data", "simulate_missingness", "write_data", "load_model",
]


def __getattr__(name: str):
    """``missmodal.load_model`` is imported on first use, so that ``import missmodal`` does not load torch."""
    if name == "load_model":
        from .models import load_model

        return load_model
    raise AttributeError(f"module 'missmodal' has no attribute {name!r}")
