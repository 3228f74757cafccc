"""Imputation of missing modalities: one `Imputer` protocol, the UL4M4 cluster imputer and baselines.

Registered imputers (:data:`IMPUTERS`, build with :func:`make_imputer`): ``zero``, ``mean``, ``knn``,
``iterative``, ``generative``, ``cluster``. Each is a scikit-learn transformer over
:class:`~missmodal.MultimodalData` or over 2-D arrays with NaN for missing values (``modalities`` gives
the column-block widths). See ``docs/imputation.md``.
"""

from .base import IMPUTERS, BaseImputer, make_imputer
from .cluster import ClusterImputer
from .evaluation import reconstruction_error
from .generative import GenerativeImputer
from .iterative import IterativeImputer
from .knn import KNNImputer
from .parquet import impute_parquet, read_imputed_mask, write_imputed
from .simple import MeanImputer, ZeroImputer

__all__ = [
    "IMPUTERS", "BaseImputer", "ClusterImputer", "GenerativeImputer", "IterativeImputer", "KNNImputer",
    "MeanImputer", "ZeroImputer", "impute_parquet", "make_imputer", "read_imputed_mask", "reconstruction_error",
    "write_imputed",
]
