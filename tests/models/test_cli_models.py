"""`missmodal train`, `evaluate` and `predict` as a user calls them (in-process click runner)."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from model_data import make_data

from missmodal.cli import main
from missmodal.data import write_data


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = make_data(n=200)
    write_data(data, folder / "train.npz")
    write_data(make_data(n=60, seed=1, missing=0.0), folder / "test.npz")
    result = invoke("train", folder / "train.npz", "--model", "remind", "--loss", "group-dro", "--epochs", 3,
                    "--seed", 0, "--modality-dropout", 0.2, "--diagnostics", "--diagnostics-every", 1,
                    "--output", folder / "run")
    assert result.exit_code == 0, result.output
    return folder


def test_train_writes_model_files_checkpoint_and_history(trained):
    run = trained / "run"
    assert {"model.json", "model.safetensors", "checkpoint.pt", "history.json"} <= {p.name for p in run.iterdir()}
    history = json.loads((run / "history.json").read_text())
    assert [e["epoch"] for e in history["epochs"]] == [1, 2, 3]
    assert all("gradient_cosine" in e for e in history["epochs"])
    assert history["info"]["model_params"]["modality_dropout"] == 0.2


def test_evaluate_prints_the_group_table_and_writes_json(trained):
    result = invoke("evaluate", trained / "run", trained / "test.npz", "--json", trained / "eval.json")
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "worst group" in result.output and "m0+m1+m2" in result.output
    report = json.loads((trained / "eval.json").read_text())
    assert {"accuracy", "f1_micro", "f1_macro"} <= set(report["overall"])
    assert {"head", "tail", "worst_group", "groups"} <= set(report)


def test_evaluate_all_combinations_reports_every_group(trained):
    result = invoke("evaluate", trained / "run", trained / "test.npz", "--all-combinations", "--json", trained / "all.json")
    assert result.exit_code == 0, result.output
    report = json.loads((trained / "all.json").read_text())
    assert len(report["groups"]) == 7 and report["overall"]["count"] == 7 * 60


def test_predict_writes_one_row_per_sample_with_group_and_fallback_flag(trained):
    output = trained / "predictions.csv"
    result = invoke("predict", trained / "run", trained / "test.npz", "--output", output)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(output)
    assert len(frame) == 60
    assert {"id", "group", "seen_in_training", "prediction", "p_0", "p_1", "p_2"} <= set(frame.columns)
    assert np.allclose(frame[["p_0", "p_1", "p_2"]].sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("args,message", [
    (["--model", "transformer"], "unknown model 'transformer'"),
    (["--loss", "dro"], "unknown loss 'dro'"),
])
def test_train_rejects_unknown_names_in_one_line(trained, args, message):
    result = invoke("train", trained / "train.npz", *args, "--output", trained / "bad")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith(f"error: {message}")


def test_train_without_a_target_is_a_one_line_error(tmp_path):
    write_data(make_data(n=30).replace(target=None), tmp_path / "x.npz")
    result = invoke("train", tmp_path / "x.npz", "--output", tmp_path / "run")
    errors = [line for line in result.output.strip().splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and "no target" in errors[0]


def test_evaluate_rejects_data_with_other_modalities(trained, tmp_path):
    write_data(make_data(n=30, dims=(4, 3)), tmp_path / "other.npz")
    result = invoke("evaluate", trained / "run", tmp_path / "other.npz")
    assert result.exit_code == 2 and "do not match the model's" in result.output


@pytest.mark.parametrize("args,message", [
    (["--width", 30], "width 30 must be divisible by heads 4"),
    (["--dropout", 2], "dropout must be in [0, 1)"),
    (["--patience", -1], "--patience must be >= 0"),
])
def test_train_rejects_bad_settings_in_one_line(trained, args, message):
    result = invoke("train", trained / "train.npz", *args, "--epochs", 1, "--output", trained / "bad")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith(f"error: {message}")
    assert "Traceback" not in result.output


def test_predict_writes_the_string_labels_of_the_training_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(path, data, labels):
        table = pa.table({name: pa.FixedSizeListArray.from_arrays(pa.array(np.nan_to_num(v).reshape(-1)), v.shape[1],
                                                                  mask=pa.array(~data.observed[:, m]))
                          for m, (name, v) in enumerate(data.modalities.items())})
        pq.write_table(table.append_column("target", pa.array(labels)), path)

    train = make_data(n=120, task="binary")
    write(tmp_path / "train.parquet", train, np.array(["cat", "dog"])[train.target])
    test = make_data(n=30, task="binary", seed=1)
    write(tmp_path / "dogs.parquet", test, ["dog"] * test.n_samples)
    assert invoke("train", tmp_path / "train.parquet", "--model", "late", "--epochs", 2, "--output", tmp_path / "run").exit_code == 0
    assert invoke("predict", tmp_path / "run", tmp_path / "dogs.parquet", "--output", tmp_path / "p.csv").exit_code == 0
    frame = pd.read_csv(tmp_path / "p.csv")
    assert set(frame["prediction"]) <= {"cat", "dog"} and {"p_cat", "p_dog"} <= set(frame.columns)
    result = invoke("evaluate", tmp_path / "run", tmp_path / "dogs.parquet", "--json", tmp_path / "e.json")
    accuracy = json.loads((tmp_path / "e.json").read_text())["overall"]["accuracy"]
    assert accuracy == pytest.approx((frame["prediction"] == "dog").mean()), result.output


def test_binary_evaluate_json_carries_auroc_and_brier_and_predict_warns_on_weak_groups(tmp_path):
    observed = np.ones((200, 3), dtype=bool)
    observed[:4, 1:] = False  # group m0: 4 training samples
    write_data(make_data(n=200, task="binary", observed=observed), tmp_path / "train.npz")
    test_observed = np.ones((60, 3), dtype=bool)
    test_observed[:10, 1:] = False
    write_data(make_data(n=60, task="binary", seed=1, observed=test_observed), tmp_path / "test.npz")
    assert invoke("train", tmp_path / "train.npz", "--model", "logistic", "--val-fraction", 0.2,
                  "--output", tmp_path / "run").exit_code == 0
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "run"), str(tmp_path / "test.npz"), "--json",
                                       str(tmp_path / "e.json")], catch_exceptions=False)
    assert result.exit_code == 0 and "warning: 1 group(s) had fewer than 10 training samples" in result.output
    assert "majority-class reference" in result.output and "auroc" in result.output
    report = json.loads((tmp_path / "e.json").read_text())
    for part in [report["overall"], *report["groups"]]:
        assert part["auroc"] is not None and part["brier"] is not None
    assert report["weak_groups"] == ["m0"]
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "run"), str(tmp_path / "test.npz"), "--output",
                                       str(tmp_path / "p.csv")], catch_exceptions=False)
    assert "warning: 1 group(s)" in result.output
    frame = pd.read_csv(tmp_path / "p.csv")
    from missmodal import load_model

    counts = load_model(tmp_path / "run").train_group_counts
    assert frame.loc[frame["group"] == "m0", "train_count"].unique().tolist() == [counts[1]] and counts[1] < 10
    assert frame.loc[frame["group"] == "m0+m1+m2", "train_count"].unique().tolist() == [counts[7]]
