import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missmodal import DataFormatError, MultimodalData
from missmodal.data import ParquetBatchWriter, iter_batches, read_data, write_data


def _equal(a: MultimodalData, b: MultimodalData) -> bool:
    return (np.array_equal(a.observed, b.observed) and a.modality_names == b.modality_names
            and all(np.array_equal(a.masked(n), b.masked(n), equal_nan=True) for n in a.modality_names)
            and np.array_equal(a.target, b.target) and a.ids.tolist() == b.ids.tolist() and a.task == b.task)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), dims=st.lists(st.integers(1, 4), min_size=1, max_size=4), seed=st.integers(0, 10**6),
       suffix=st.sampled_from([".parquet", ".npz"]), layout=st.sampled_from(["list", "blocks"]))
def test_write_then_read_gives_identical_data(tmp_path_factory, n, dims, seed, suffix, layout):
    rng = np.random.default_rng(seed)
    observed = rng.random((n, len(dims))) < 0.6
    observed[~observed.any(axis=1), 0] = True
    observed[0] = True  # every modality observed at least once
    data = MultimodalData({f"m{i}": rng.normal(size=(n, d)) for i, d in enumerate(dims)}, observed=observed,
                          target=rng.integers(0, 3, n), ids=np.array([f"id{i}" for i in range(n)]))
    path = tmp_path_factory.mktemp("io") / f"d{suffix}"
    write_data(data, path, layout=layout)
    assert _equal(read_data(path), data)


def test_parquet_layout_has_fixed_size_list_columns_with_nulls(tmp_path, tiny_data):
    write_data(tiny_data, tmp_path / "d.parquet")
    table = pq.read_table(tmp_path / "d.parquet")
    assert pa.types.is_fixed_size_list(table.schema.field("b").type)
    assert table.column("b").null_count == 2
    assert table.column_names[:3] == ["id", "target", "age"]


def test_metadata_survives_parquet(tmp_path, tiny_data):
    tiny_data.metadata["missingness"] = {"mechanism": "mcar", "seed": 3}
    write_data(tiny_data, tmp_path / "d.parquet")
    assert read_data(tmp_path / "d.parquet").metadata["missingness"] == {"mechanism": "mcar", "seed": 3}


def test_row_batches_cover_the_file_with_global_ids(tmp_path, tiny_data):
    write_data(tiny_data, tmp_path / "d.parquet", row_group_size=2)
    batches = list(iter_batches(tmp_path / "d.parquet", batch_size=4))
    assert [len(b) for b in batches] == [4, 2]
    assert np.concatenate([b.ids for b in batches]).tolist() == tiny_data.ids.tolist()


def test_batch_writer_appends_and_is_atomic(tmp_path, tiny_data):
    path = tmp_path / "out.parquet"
    with ParquetBatchWriter(path) as writer:
        writer.write(tiny_data.subset([0, 1, 2]))
        writer.write(tiny_data.subset([3, 4, 5]))
    assert _equal(read_data(path), tiny_data)
    with pytest.raises(RuntimeError):
        with ParquetBatchWriter(tmp_path / "broken.parquet") as writer:
            writer.write(tiny_data)
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == [path]


def _write(tmp_path, columns: dict, name="bad.parquet"):
    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        read_data(tmp_path / "absent.parquet")


def test_not_parquet_is_named(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text("hello")
    with pytest.raises(DataFormatError, match="x.parquet: not a Parquet file"):
        read_data(path)


def test_ragged_embedding_names_column_and_row(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0, 2.0], [1.0], [3.0, 4.0]]), "target": [0, 1, 0]})
    with pytest.raises(DataFormatError, match=r"column 'a', row 1: embedding of length 1, expected 2"):
        read_data(path)


def test_nan_in_observed_embedding_names_column_and_row(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0, 2.0], [1.0, float("nan")]]), "target": [0, 1]})
    with pytest.raises(DataFormatError, match=r"column 'a', row 1: NaN or inf"):
        read_data(path)


def test_null_inside_embedding_is_rejected(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0, 2.0], [1.0, None]]), "target": [0, 1]})
    with pytest.raises(DataFormatError, match=r"column 'a', row 1"):
        read_data(path)


def test_modality_never_observed_is_named(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0], [2.0]]), "b": pa.array([None, None], pa.list_(pa.float32())),
                             "target": [0, 1]})
    with pytest.raises(DataFormatError, match="column 'b': modality is never observed"):
        read_data(path)


def test_sample_without_modality_is_named(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0], None]), "b": pa.array([[1.0], None]), "target": [0, 1]})
    with pytest.raises(DataFormatError, match="row 1: sample has no modality observed"):
        read_data(path)


def test_target_of_wrong_type_is_named(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0], [2.0]]), "target": pa.array([{"x": 1}, {"x": 2}])})
    with pytest.raises(DataFormatError, match="column 'target'"):
        read_data(path)


def test_missing_target_value_is_named(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0], [2.0]]), "target": pa.array([0, None])})
    with pytest.raises(DataFormatError, match="column 'target', row 1: target is missing"):
        read_data(path)


def test_string_classes_are_encoded_and_recorded(tmp_path):
    path = _write(tmp_path, {"a": pa.array([[1.0], [2.0], [3.0]]), "label": ["cat", "dog", "cat"]})
    data = read_data(path)
    assert data.target.tolist() == [0, 1, 0] and data.metadata["classes"] == ["cat", "dog"]


def test_partly_missing_column_block_is_rejected(tmp_path):
    path = _write(tmp_path, {"a__0": [1.0, 2.0], "a__1": [1.0, None], "b__0": [1.0, 1.0], "target": [0, 1]})
    with pytest.raises(DataFormatError, match=r"column 'a__1', row 1: modality 'a' is partly missing"):
        read_data(path)


def test_column_blocks_are_read_as_modalities(tmp_path):
    path = _write(tmp_path, {"a__0": [1.0, None], "a__1": [1.0, None], "b__0": [1.0, 1.0], "age": [30.0, 40.0],
                             "target": [0, 1]})
    data = read_data(path, covariates=["age"])
    assert data.dims == {"a": 2, "b": 1} and data.observed.tolist() == [[True, True], [False, True]]
    assert data.covariate_names == ["age"]
    with pytest.raises(DataFormatError, match="no role: age"):  # a scalar column is never a covariate by guess
        read_data(path)


def test_npz_without_pickles(tmp_path, tiny_data):
    write_data(tiny_data, tmp_path / "d.npz")
    assert _equal(read_data(tmp_path / "d.npz"), tiny_data)


def _npz(tmp_path, name="bad.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_npz_observed_mask_of_wrong_shape_is_named(tmp_path):
    path = _npz(tmp_path, **{"modality:a": np.ones((4, 2)), "modality:b": np.ones((4, 1))},
                observed=np.ones((4, 1), bool))
    with pytest.raises(DataFormatError, match=r"bad\.npz: observed mask must have shape \(4, 2\)"):
        read_data(path)


def test_npz_object_array_is_refused_with_file_and_array_named(tmp_path):
    path = _npz(tmp_path, **{"modality:a": np.array([[1.0, 2.0], [3.0]], dtype=object)})
    with pytest.raises(DataFormatError, match=r"bad\.npz, array 'modality:a': unreadable"):
        read_data(path)


def test_npz_nan_in_observed_embedding_names_file_modality_and_row(tmp_path):
    values = np.ones((4, 2))
    values[2, 1] = np.nan
    path = _npz(tmp_path, **{"modality:a": values, "modality:b": np.ones((4, 1))}, observed=np.ones((4, 2), bool))
    with pytest.raises(DataFormatError, match=r"bad\.npz: modality 'a', row 2: NaN or inf"):
        read_data(path)


def test_npz_modalities_with_different_row_counts_name_the_file(tmp_path):
    path = _npz(tmp_path, **{"modality:a": np.ones((4, 2)), "modality:b": np.ones((3, 1))})
    with pytest.raises(DataFormatError, match=r"bad\.npz: modality 'b' has 3 rows, expected 4"):
        read_data(path)


@pytest.mark.parametrize("suffix", [".parquet", ".npz"])
def test_file_without_rows_is_refused(tmp_path, tiny_data, suffix):
    path = tmp_path / f"empty{suffix}"
    write_data(tiny_data.subset([]), path)
    with pytest.raises(DataFormatError, match="no rows"):
        read_data(path)


@pytest.mark.parametrize("name", ["out.csv", "out", "out.json"])
def test_writing_under_another_formats_name_is_refused(tmp_path, tiny_data, name):
    with pytest.raises(DataFormatError, match="suffixes"):
        write_data(tiny_data, tmp_path / name)
    with pytest.raises(DataFormatError, match="suffixes"):
        ParquetBatchWriter(tmp_path / name)
    assert not (tmp_path / name).exists()


def _variable_list_file(path, b_values):
    table = pa.table({"id": [f"s{i}" for i in range(6)], "target": [0, 1, 0, 1, 0, 1],
                      "a": pa.array([[1.0, 2.0]] * 6, pa.list_(pa.float32())),
                      "b": pa.array(b_values, pa.list_(pa.float32()))})
    pq.write_table(table, path)
    return path


def test_batches_of_variable_length_lists_know_the_width_of_a_modality_absent_from_a_batch(tmp_path):
    path = _variable_list_file(tmp_path / "v.parquet", [None] * 4 + [[1.0, 2.0, 3.0]] * 2)
    batches = list(iter_batches(path, batch_size=2))
    assert [b.modalities["b"].shape for b in batches] == [(2, 3)] * 3
    assert [b.observed[:, 1].tolist() for b in batches] == [[False, False], [False, False], [True, True]]


def test_batches_of_variable_length_lists_with_ragged_widths_name_the_row(tmp_path):
    path = _variable_list_file(tmp_path / "r.parquet", [[1.0, 2.0, 3.0]] + [None] * 3 + [[1.0, 2.0]] * 2)
    # the most common width (2) is expected, so the odd first observed row is the one blamed
    with pytest.raises(DataFormatError, match="column 'b', row 0: embedding of length 3, expected 2"):
        list(iter_batches(path, batch_size=2))
