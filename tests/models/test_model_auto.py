"""`auto`: greedy ensemble selection on validation predictions, recorded members, safe files, time budget."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from model_data import make_data

from missmodal import MissmodalError, load_model
from missmodal.cli import main
from missmodal.data import write_data
from missmodal.models import EnsembleModel, greedy_selection
from missmodal.train import fit_model


def test_greedy_selection_gives_all_weight_to_a_perfect_member():
    target = np.array([0, 1, 1, 0])
    perfect = np.eye(2)[target] * 0.98 + 0.01
    flat = np.full((4, 2), 0.5)
    weights, losses = greedy_selection([flat, perfect], target, "binary", [0, 1])
    assert weights.tolist() == [0.0, 1.0] and losses[0] == pytest.approx(-np.log(0.99))


def test_greedy_selection_averages_members_that_err_on_different_samples():
    target = np.array([0, 0, 1, 1])
    # each member is confidently wrong on one sample; their average is right everywhere
    a = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.1, 0.9]])
    b = np.array([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.8, 0.2]])
    weights, _ = greedy_selection([a, b], target, "binary", [0, 1])
    brute = min(((w, np.mean(-np.log(((w * a + (1 - w) * b) * np.eye(2)[target]).sum(1)))) for w in np.linspace(0, 1, 101)),
                key=lambda item: item[1])[0]
    assert 0 < weights[0] < 1 and abs(weights[0] - brute) <= 0.1


@pytest.fixture(scope="module")
def auto_model():
    data = make_data(n=240, task="binary")
    train, val = data.split((0.75, 0.25), seed=0)
    return fit_model(train, val, model="auto", candidates=["logistic", "gbdt", "late"], epochs=4, seed=0), data


def test_auto_records_every_candidate_with_validation_scores_and_weights(auto_model):
    model, _ = auto_model
    rows = model.info["auto"]["candidates"]
    assert [r["name"] for r in rows] == ["logistic", "gbdt", "late"]
    assert all({"val_loss", "val_auroc", "val_accuracy", "weight", "seconds"} <= set(r) for r in rows)
    assert sum(r["weight"] for r in rows) == pytest.approx(1)
    assert [m.name for m in model.members] == [r["name"] for r in rows if r["weight"] > 0]
    assert model.info["auto"]["ensemble_val_loss"] <= min(r["val_loss"] for r in rows) + 1e-12


def test_auto_scores_are_the_weighted_member_scores_before_calibration(auto_model):
    model, data = auto_model
    expected = sum(w * m.scores(data) for m, w in zip(model.members, model.weights))
    assert np.allclose(model.raw_scores(data), expected)


def test_auto_file_holds_its_members_and_loads_to_identical_scores(auto_model, tmp_path):
    model, data = auto_model
    folder = model.save(tmp_path / "auto")
    config = json.loads((folder / "model.json").read_text())
    assert config["architecture"]["name"] == "auto" and config["info"]["auto"]["candidates"]
    loaded = load_model(folder)
    assert isinstance(loaded, EnsembleModel) and np.allclose(loaded.scores(data), model.scores(data))


def test_auto_member_folders_outside_the_model_are_refused(auto_model, tmp_path):
    folder = auto_model[0].save(tmp_path / "auto")
    config = json.loads((folder / "model.json").read_text())
    config["architecture"]["params"]["members"] = ["../elsewhere"]
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(MissmodalError, match=r"architecture.params.members\[0\] must be a folder name member_<i>, got '../elsewhere'"):
        load_model(folder)


def test_a_spent_time_budget_stops_further_candidates(data):
    model = fit_model(data, model="auto", candidates=["logistic", "late", "attention"], time_budget=1e-9, epochs=1)
    assert [r["name"] for r in model.info["auto"]["candidates"]] == ["logistic"]
    assert model.info["auto"]["skipped_by_time_budget"] == ["late", "attention"]


def test_cli_auto_prints_members_and_validation_scores(tmp_path):
    write_data(make_data(n=160, task="binary"), tmp_path / "train.npz")
    result = CliRunner().invoke(main, ["train", str(tmp_path / "train.npz"), "--model", "auto", "--candidates", "logistic,late",
                                       "--epochs", "2", "--output", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "logistic" in result.output and "val loss" in result.output and "weight" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["model"] == "auto" and sum(summary["members"].values()) == pytest.approx(1)


def test_a_member_swapped_in_from_another_ensemble_is_refused(auto_model, tmp_path):
    import shutil

    first = auto_model[0].save(tmp_path / "first")
    other = fit_model(make_data(n=120, task="binary", seed=5), model="auto", candidates=["logistic", "late"], epochs=1,
                      seed=5).save(tmp_path / "other")
    assert load_model(first).name == "auto"
    shutil.rmtree(first / "member_0")
    shutil.copytree(other / "member_0", first / "member_0")  # a whole, valid member folder of another run
    with pytest.raises(MissmodalError, match=r"member_0/model.safetensors: is not the member this ensemble was saved "
                                             r"with \(SHA-256 differs\)"):
        load_model(first)
