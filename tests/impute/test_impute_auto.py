"""Settings chosen by masked-block validation: the imputer of `auto` and the k of the cluster imputer."""

import numpy as np
import pytest
from click.testing import CliRunner

from missmodal import MissmodalError, MultimodalData
from missmodal.cli import main
from missmodal.data import write_data
from missmodal.impute import AutoImputer, ClusterImputer


def related(n=300, seed=0):
    """Two 2-d blocks, the second a linear function of the first; 30% of rows lack block b."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 2))
    b = a @ np.array([[1.0, -2.0], [0.5, 1.0]]) + 0.05 * rng.normal(size=(n, 2))
    observed = np.ones((n, 2), bool)
    observed[rng.random(n) < 0.3, 1] = False
    return MultimodalData({"a": a, "b": np.where(observed[:, 1:], b, np.nan)}, observed=observed)


def blobs(n=400, centres=4, seed=0):
    """Well-separated clusters seen through two 3-d blocks, 30% of blocks missing (rows keep one)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=8.0, size=(centres, 6))
    X = means[rng.integers(centres, size=n)] + rng.normal(size=(n, 6))
    observed = rng.random((n, 2)) < 0.7
    observed[~observed.any(axis=1), 0] = True
    X[~np.repeat(observed, 3, axis=1)] = np.nan
    return X


def test_auto_picks_the_regression_when_blocks_are_related():
    imputer = AutoImputer(candidates=["mean", "knn", "iterative"], random_state=0).fit(related())
    assert imputer.choice_ == "iterative"
    assert imputer.scores_["iterative"].mean < imputer.scores_["knn"].mean < imputer.scores_["mean"].mean


def test_auto_picks_the_mean_when_blocks_are_independent_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    X[rng.random(400) < 0.4, 2:] = np.nan
    imputer = AutoImputer(candidates=["mean", "knn"], random_state=0, modalities=[2, 2]).fit(X)
    assert imputer.choice_ == "mean"


def test_the_choice_and_its_scores_are_recorded_and_printed():
    data = related()
    completed = AutoImputer(candidates=["mean", "iterative"], random_state=0).fit_transform(data)
    record = completed.metadata["imputation"]
    assert record["method"] == "auto" and record["choice"] == "iterative"
    assert set(record["validation"]) == {"mean", "iterative"}
    summary = AutoImputer(candidates=["mean", "iterative"], random_state=0).fit(data).summary()
    assert "chosen: iterative" in summary


def test_the_summary_names_the_modalities_and_says_the_assumption_and_warnings_once():
    data = related()
    data.observed[:, 1] &= np.arange(len(data)) % 2 == 0  # b missing for over half the rows: a rate warning
    data = data.replace(modalities={"a": data.modalities["a"], "b": np.where(data.observed[:, 1:], data.modalities["b"], np.nan)})
    lines = AutoImputer(candidates=["mean", "iterative", "knn"], random_state=0).fit(data).summary().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["mean", "iterative", "knn"]
    assert all("; a " in line and ", b " in line and "m0" not in line for line in lines[:3])
    assert sum("assumption:" in line for line in lines) == 1
    rates = [line for line in lines if "missing rates differ" in line]
    assert len(rates) == 1 and "(a 0%, b " in rates[0]
    assert sum("have one observed modality" in line for line in lines) == 1


def test_auto_with_the_same_seed_chooses_and_fills_the_same():
    data = related()
    a = AutoImputer(candidates=["mean", "knn", "cluster"], random_state=3).fit(data)
    b = AutoImputer(candidates=["mean", "knn", "cluster"], random_state=3).fit(data)
    assert a.choice_ == b.choice_
    assert {k: v.mean for k, v in a.scores_.items()} == {k: v.mean for k, v in b.scores_.items()}
    assert np.array_equal(a.transform(data).modalities["b"], b.transform(data).modalities["b"])


def test_unknown_candidates_are_named():
    with pytest.raises(MissmodalError, match=r"candidates: unknown \['forest'\]"):
        AutoImputer(candidates=["mean", "forest"]).fit(related())


def test_cluster_auto_finds_at_least_the_true_number_of_clusters():
    imputer = ClusterImputer(random_state=0, modalities=[3, 3]).fit(blobs())
    scores = imputer.n_clusters_scores_
    assert imputer.n_clusters_ >= 4 and imputer.n_clusters_ == min(scores, key=scores.get)
    assert scores[imputer.n_clusters_] < 0.5 * scores[1]  # the blobs explain most of the spread; k = 1 is the mean


def test_cluster_auto_is_reproducible_and_a_given_k_skips_the_search():
    X = blobs(seed=1)
    a = ClusterImputer(random_state=2, modalities=[3, 3]).fit(X)
    b = ClusterImputer(random_state=2, modalities=[3, 3]).fit(X)
    assert a.n_clusters_scores_ == b.n_clusters_scores_ and np.array_equal(a.transform(X), b.transform(X))
    fixed = ClusterImputer(n_clusters=3, random_state=2, modalities=[3, 3]).fit(X)
    assert fixed.n_clusters_ == 3 and fixed.n_clusters_scores_ is None


def test_cluster_auto_rejects_an_init_array():
    X = blobs()
    with pytest.raises(MissmodalError, match="an init array fixes k"):
        ClusterImputer(init=np.zeros((2, 6)), modalities=[3, 3]).fit(X)


def test_cli_validate_prints_the_scores_and_auto_records_its_choice(tmp_path):
    path = tmp_path / "d.parquet"
    write_data(related(), path)
    runner = CliRunner()
    result = runner.invoke(main, ["impute", str(path), "--method", "iterative", "--validate", "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert "iterative: masked-block error" in result.output and "assumption:" in result.output
    out = tmp_path / "o.parquet"
    result = runner.invoke(main, ["impute", str(path), "--method", "auto", "--seed", "0", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "chosen: iterative" in result.output
    import pyarrow.parquet as pq

    assert b'"choice": "iterative"' in pq.read_schema(out).metadata[b"missmodal"]


def test_cli_rejects_a_bad_cluster_count_and_a_missing_output(tmp_path):
    path = tmp_path / "d.parquet"
    write_data(related(), path)
    runner = CliRunner()
    assert runner.invoke(main, ["impute", str(path), "--n-clusters", "many", "-o", str(tmp_path / "o.parquet")]).exit_code == 2
    result = runner.invoke(main, ["impute", str(path)])
    assert result.exit_code == 2 and "--output is required" in result.output


def test_with_one_modality_per_row_auto_falls_back_and_says_so():
    X = np.random.default_rng(0).normal(size=(30, 2))
    X[:15, 1] = np.nan
    X[15:, 0] = np.nan
    auto = AutoImputer(random_state=0).fit(X)
    assert auto.choice_ == "mean" and "without a score" in auto.choices()["warning"]
    cluster = ClusterImputer(random_state=0).fit(X)
    assert cluster.n_clusters_ == 8 and "without a score" in cluster.choices()["warning"]


def test_cluster_auto_chooses_the_same_k_streamed_from_parquet_as_in_memory(tmp_path):
    X = blobs(n=300, seed=2)
    observed = ~np.isnan(X[:, [0, 3]])
    data = MultimodalData({"a": X[:, :3], "b": X[:, 3:]}, observed=observed)
    write_data(data, tmp_path / "d.parquet")
    streamed = ClusterImputer(random_state=0, batch_size=64).fit_parquet(tmp_path / "d.parquet", batch_size=64)
    in_memory = ClusterImputer(random_state=0, batch_size=64).fit(data)
    assert streamed.n_clusters_scores_ == pytest.approx(in_memory.n_clusters_scores_)
    assert np.allclose(streamed.cluster_centers_, in_memory.cluster_centers_, equal_nan=True, atol=1e-5)
