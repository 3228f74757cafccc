"""Imputation of missing modalities: one `Imputer` protocol, the UL4M4 cluster imputer and baselines.

Registered imputers (:data:`IMPUTERS`, build with :func:`make_imputer`): ``zero``, ``mean``, ``knn``,
``iterative``, ``generative``, ``cluster``, ``auto`` (chosen by masked-block validation). Each is a scikit-learn transformer over
:class:`~missmodal.MultimodalData` or over 2-D arrays with NaN for missing values (``modalities`` gives
the column-block widths). See ``docs/imputation.md``.
"""

from .auto import AutoImputer
from .base import IMPUTERS, BaseImputer, make_imputer
from .cluster import ClusterImputer
from .evaluation import reconstruction_error
from .generative import GenerativeImputer
from .iterative import IterativeImputer
from .knn import KNNImputer
from .parquet import impute_parquet, read_imputed_mask, write_imputed
from .simple import MeanImputer, ZeroImputer
from .validation import ValidationResult, hide_blocks, masked_block_validation

__all__ = [
    "IMPUTERS", "AutoImputer", "BaseImputer", "ClusterImputer", "GenerativeImputer", "IterativeImputer", "KNNImputer",
    "MeanImputer", "ValidationResult", "ZeroImputer", "hide_blocks", "impute_parquet", "make_imputer",
    "masked_block_validation", "read_imputed_mask", "reconstruction_error", "write_imputed",
]
