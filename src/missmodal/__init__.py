"""missmodal: machine learning on multimodal data with whole modalities missing.

Four questions on one data model (:class:`MultimodalData`): what is missing (:mod:`missmodal.audit`),
which modality is informative under missingness (:mod:`missmodal.informativeness`), how to fill the gaps
(:mod:`missmodal.impute`), and how to train and evaluate models that work on every combination of
modalities (:mod:`missmodal.models`, :mod:`missmodal.train`, :mod:`missmodal.evaluate`).
"""

from .data import MultimodalData, load_dataset, read_data, resolve_data, simulate_missingness, write_data
from .errors import DataFormatError, MissmodalError

__version__ = "0.1.0"

__all__ = [
    "DataFormatError", "MissmodalError", "MultimodalData", "__version__", "load_dataset", "read_data",
    "resolve_data", "simulate_missingness", "write_data",
]
