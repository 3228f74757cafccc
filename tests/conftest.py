"""Shared test fixtures: tiny datasets built in memory."""

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from missmodal import MultimodalData  # noqa: E402


@pytest.fixture
def tiny_data() -> MultimodalData:
    """6 samples, modalities a (2 dims) and b (3 dims), 3 groups, binary target, one covariate."""
    rng = np.random.default_rng(0)
    observed = np.array([[1, 1], [1, 0], [0, 1], [1, 1], [1, 0], [0, 1]], dtype=bool)
    a = rng.normal(size=(6, 2)).astype(np.float32)
    b = rng.normal(size=(6, 3)).astype(np.float32)
    a[~observed[:, 0]] = np.nan
    b[~observed[:, 1]] = np.nan
    return MultimodalData({"a": a, "b": b}, observed=observed, target=np.array([0, 1, 0, 1, 0, 1]),
                          covariates=rng.normal(size=(6, 1)), covariate_names=["age"],
                          ids=np.array([f"s{i}" for i in range(6)]))
