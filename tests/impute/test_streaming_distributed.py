"""Streaming fit over Parquet row batches and data-parallel fit under torchrun give the single-process centres."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner

from missmodal import MultimodalData, read_data, write_data
from missmodal.cli import main
from missmodal.impute import ClusterImputer, impute_parquet, read_imputed_mask

WORKER = Path(__file__).with_name("distributed_fit_worker.py")


def incomplete_data(n=90, widths=(3, 2, 4), seed=0) -> MultimodalData:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3, size=(4, sum(widths)))
    X = centres[rng.integers(0, 4, n)] + rng.normal(size=(n, sum(widths)))
    observed = rng.random((n, len(widths))) < 0.6
    observed[~observed.any(axis=1), 0] = True
    modalities = dict(zip(["a", "b", "c"], np.split(X, np.cumsum(widths)[:-1], axis=1)))
    return MultimodalData(modalities, observed=observed, target=rng.integers(0, 2, n)).with_observed(observed)


def test_streamed_fit_over_parquet_row_batches_equals_the_in_memory_fit(tmp_path):
    data = incomplete_data()
    write_data(data, tmp_path / "d.parquet", row_group_size=20)
    params = dict(n_clusters=4, random_state=0, tol=0, device="cpu")
    memory = ClusterImputer(**params, batch_size=1000).fit(data)
    streamed = ClusterImputer(**params, batch_size=1000).fit_parquet(tmp_path / "d.parquet", batch_size=8)
    np.testing.assert_allclose(streamed.cluster_centers_, memory.cluster_centers_, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(streamed.labels_, memory.labels_)
    assert streamed.n_iter_ == memory.n_iter_ and streamed.modality_names_ == ["a", "b", "c"]


def test_spilled_streamed_fit_equals_the_plain_streamed_fit_and_removes_its_file(tmp_path):
    data = incomplete_data()
    write_data(data, tmp_path / "d.parquet", row_group_size=20)
    spill = tmp_path / "spill"
    spill.mkdir()
    params = dict(n_clusters=4, random_state=0, tol=0, device="cpu")
    plain = ClusterImputer(**params).fit_parquet(tmp_path / "d.parquet", batch_size=8)
    spilled = ClusterImputer(**params).fit_parquet(tmp_path / "d.parquet", batch_size=8, spill_dir=spill)
    assert spilled.n_iter_ == plain.n_iter_ > 1
    np.testing.assert_array_equal(spilled.cluster_centers_, plain.cluster_centers_)
    np.testing.assert_array_equal(spilled.labels_, plain.labels_)
    assert list(spill.iterdir()) == []


def test_spilled_rows_replay_exactly_what_the_first_pass_read(tmp_path):
    from missmodal.impute.sources import ParquetRows, SpilledRows

    write_data(incomplete_data(), tmp_path / "d.parquet", row_group_size=20)
    source = SpilledRows(ParquetRows(tmp_path / "d.parquet", batch_size=7), tmp_path)
    first, second = list(source.batches()), list(source.batches())
    source.close()
    assert [s for s, _, _ in first] == [s for s, _, _ in second] and len(first) > 1
    for (_, x1, o1), (_, x2, o2) in zip(first, second):
        np.testing.assert_array_equal(x1, x2)  # NaN in the same places too
        np.testing.assert_array_equal(o1, o2)


def test_impute_parquet_writes_complete_rows_and_the_imputed_record(tmp_path):
    data = incomplete_data()
    write_data(data, tmp_path / "d.parquet")
    imputer = ClusterImputer(n_clusters=4, random_state=0).fit(data)
    counts = impute_parquet(imputer, tmp_path / "d.parquet", tmp_path / "out.parquet", batch_size=16)
    result = read_data(tmp_path / "out.parquet")
    assert counts == {"rows": 90, "slots": 270, "imputed_slots": int((~data.observed).sum()), "imputed_fields": 0}
    assert result.observed.all() and np.array_equal(read_imputed_mask(tmp_path / "out.parquet"), ~data.observed)
    assert result.metadata["imputation"]["record_column"] == "imputed"
    expected = imputer.transform(data)
    for name in data.modality_names:
        np.testing.assert_array_equal(result.modalities[name], expected.modalities[name])


def test_torchrun_two_process_fit_equals_the_single_process_fit(tmp_path):
    data = incomplete_data()
    X, widths = data.to_array()
    np.savez(tmp_path / "d.npz", X=X, widths=np.array(widths))
    write_data(data, tmp_path / "d.parquet", row_group_size=15)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(sys.path))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER),
               str(tmp_path / "d.npz"), str(tmp_path / "d.parquet"), str(tmp_path)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    params = dict(n_clusters=4, random_state=0, tol=0, batch_size=7, device="cpu")
    single = ClusterImputer(modalities=widths, **params).fit(X)
    groups = pq.ParquetFile(tmp_path / "d.parquet").metadata.num_row_groups
    for rank in range(2):
        with np.load(tmp_path / f"rank{rank}.npz") as got:
            for kind in ("shard", "stream"):
                np.testing.assert_allclose(got[f"{kind}_centres"], single.cluster_centers_, rtol=1e-6, atol=1e-6)
                assert int(got[f"{kind}_n_iter"]) == single.n_iter_
            np.testing.assert_array_equal(got["shard_labels"], single.labels_[got["start"]:got["stop"]])
            rows = np.concatenate([np.arange(g * 15, min(g * 15 + 15, 90)) for g in range(rank, groups, 2)])
            np.testing.assert_array_equal(got["stream_labels"], single.labels_[rows])


def test_cli_impute_streams_a_parquet_file_and_records_imputed_slots(tmp_path):
    data = incomplete_data()
    write_data(data, tmp_path / "d.parquet")
    result = CliRunner().invoke(main, ["impute", str(tmp_path / "d.parquet"), "--method", "cluster", "--n-clusters", "4",
                                       "--seed", "0", "--batch-size", "32", "--spill-dir", str(tmp_path),
                                       "--output", str(tmp_path / "o.parquet")])
    assert result.exit_code == 0, result.output
    assert f"{int((~data.observed).sum())} of 270 modality slots imputed" in result.output
    out = read_data(tmp_path / "o.parquet")
    assert out.observed.all() and np.array_equal(read_imputed_mask(tmp_path / "o.parquet"), ~data.observed)
    assert out.target.tolist() == data.target.tolist()


def test_cli_impute_with_an_in_memory_method_and_a_bad_option(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["impute", "mfeat", "--method", "mean", "-o", str(tmp_path / "m.parquet")])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["impute", "mfeat", "--method", "mean", "--n-clusters", "3", "-o", str(tmp_path / "x.parquet")])
    assert bad.exit_code == 2 and "--n-clusters, --assignment and --spill-dir apply to --method cluster" in bad.output


def test_cli_impute_checks_the_output_name_and_target_before_fitting(tmp_path, monkeypatch):
    from missmodal.impute import ClusterImputer

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before checking the input")

    monkeypatch.setattr(ClusterImputer, "fit_parquet", no_fit)
    write_data(incomplete_data(), tmp_path / "d.parquet")
    runner = CliRunner()
    as_csv = runner.invoke(main, ["impute", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "o.csv")])
    assert as_csv.exit_code == 2 and "o.csv" in as_csv.output and ".parquet" in as_csv.output
    no_column = runner.invoke(main, ["impute", str(tmp_path / "d.parquet"), "--target", "nosuch", "-o", str(tmp_path / "o.parquet")])
    assert no_column.exit_code == 2 and "nosuch" in no_column.output
    assert not (tmp_path / "o.parquet").exists()


def test_parquet_rows_know_the_width_of_a_variable_length_modality_absent_from_the_first_batch(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from missmodal.impute.sources import ParquetRows

    table = pa.table({"a": pa.array([[1.0, 2.0]] * 6, pa.list_(pa.float32())),
                      "b": pa.array([None] * 4 + [[1.0, 2.0, 3.0]] * 2, pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "v.parquet")
    rows = ParquetRows(tmp_path / "v.parquet", batch_size=2)
    assert rows.widths == [2, 3]
    assert [X.shape for _, X, _ in rows.batches()] == [(2, 5)] * 3
