"""Malformed input gets a clear error naming the parameter, row, column or modality."""

import numpy as np
import pytest

from missmodal import MissmodalError, MultimodalData
from missmodal.impute import ClusterImputer, KNNImputer, MeanImputer


def test_a_partly_missing_block_is_rejected_with_its_row_and_column():
    X = np.ones((4, 3))
    X[2, 1] = np.nan
    with pytest.raises(MissmodalError, match=r"row 2, column 1: modality 0 \(columns 0..1\) is partly missing"):
        ClusterImputer(n_clusters=2, modalities=[2, 1]).fit(X)


def test_a_modality_never_observed_is_rejected():
    X = np.ones((4, 3))
    X[:, 2] = np.nan
    with pytest.raises(MissmodalError, match="modality 'm1' is never observed"):
        MeanImputer(modalities=[2, 1]).fit(X)
    data = MultimodalData({"a": np.ones((3, 2)), "b": np.ones((3, 1))}, observed=np.array([[1, 0]] * 3, bool))
    with pytest.raises(MissmodalError, match="modality 'b' is never observed"):
        KNNImputer().fit(data)


def test_more_clusters_than_samples_is_rejected():
    with pytest.raises(MissmodalError, match=r"n_clusters=5 is larger than the number of samples \(n_samples=3\)"):
        ClusterImputer(n_clusters=5).fit(np.ones((3, 2)))


def test_block_widths_must_sum_to_the_number_of_columns():
    with pytest.raises(MissmodalError, match=r"block widths \[2, 2\] sum to 4, but X has 3 columns"):
        ClusterImputer(modalities=[2, 2]).fit(np.ones((10, 3)))


@pytest.mark.parametrize("params, message", [
    ({"n_clusters": 0}, "n_clusters must be a positive int"),
    ({"assignment": "nearest"}, "assignment must be 'greedy' or 'soft'"),
    ({"tol": -1}, r"tol must be in \[0, 1\)"),
    ({"max_iter": 0}, "max_iter must be a positive int"),
    ({"init": "random"}, r"init must be 'k-means\+\+' or an array"),
    ({"init": np.ones((2, 5))}, r"init must have shape \(2, 2\)"),
    ({"device": "tpu"}, "device must be"),
])
def test_bad_cluster_parameters_are_named(params, message):
    with pytest.raises(MissmodalError, match=message):
        ClusterImputer(**{"n_clusters": 2, **params}).fit(np.random.default_rng(0).normal(size=(10, 2)))


def test_transform_needs_the_fitted_modalities(tiny_data):
    imputer = MeanImputer().fit(tiny_data)
    other = MultimodalData({"a": np.ones((2, 2)), "c": np.ones((2, 3))})
    with pytest.raises(MissmodalError, match="fitted on"):
        imputer.transform(other)


def test_distributed_without_a_process_group_is_explained():
    with pytest.raises(MissmodalError, match="initialised torch.distributed process group"):
        ClusterImputer(n_clusters=2, distributed=True).fit(np.ones((4, 2)))


def test_a_modality_never_observed_in_a_streamed_parquet_file_is_named(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = pa.array(np.zeros(4 * 2, dtype=np.float32))
    table = pa.table({"ecg": pa.FixedSizeListArray.from_arrays(pa.array(np.ones(4 * 3, dtype=np.float32)), 3),
                      "cxr": pa.FixedSizeListArray.from_arrays(values, 2, mask=pa.array([True] * 4))})
    pq.write_table(table, tmp_path / "never.parquet")
    with pytest.raises(MissmodalError, match="modality 'cxr' is never observed"):
        ClusterImputer(n_clusters=2).fit_parquet(tmp_path / "never.parquet")
