"""The trainer: determinism, resume after a kill, early stopping and selection, every task, input errors."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from model_data import make_data, resumable_run

from missmodal.errors import MissmodalError
from missmodal.train import TrainConfig, Trainer, fit_model
from missmodal.train.trainer import selection_key

FAST = dict(epochs=3, batch_size=32, patience=None)


def weights(fitted):
    return {k: v.clone() for k, v in fitted.module.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_gives_identical_weights(data):
    train, val = data.split((0.75, 0.25), seed=0)
    runs = [fit_model(train, val, model="remind", loss="group-dro", seed=3, model_params={"modality_dropout": 0.3}, **FAST)
            for _ in range(2)]
    assert same_weights(weights(runs[0]), weights(runs[1]))


def test_different_seeds_give_different_weights(data):
    train, val = data.split((0.75, 0.25), seed=0)
    a, b = (fit_model(train, val, model="attention", seed=s, **FAST) for s in (0, 1))
    assert not same_weights(weights(a), weights(b))


KILLED_RUN = """
import os, signal, sys, torch
sys.path.insert(0, {tests!r})
from model_data import resumable_run
torch.set_num_threads(1)
def kill_after_epoch_3(record):
    if record["epoch"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
resumable_run(sys.argv[1], kill_after_epoch_3)
"""


def test_resume_after_a_kill_gives_the_same_final_weights_as_an_uninterrupted_run(tmp_path):
    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN.format(tests=os.path.dirname(__file__)))
    killed = subprocess.run([sys.executable, str(script), str(tmp_path / "run")], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["checkpoint.pt"]  # written atomically, no temporary left
    epochs_after_resume = []
    resumed = resumable_run(tmp_path / "run", lambda record: epochs_after_resume.append(record["epoch"]))
    assert epochs_after_resume == [4, 5]
    uninterrupted = resumable_run(tmp_path / "straight")
    assert same_weights(weights(resumed), weights(uninterrupted))
    assert [h["train_loss"] for h in resumed.history] == [h["train_loss"] for h in uninterrupted.history]


def test_resume_refuses_a_checkpoint_written_with_other_settings(tmp_path, data):
    train, val = data.split((0.75, 0.25), seed=0)
    fit_model(train, val, model="attention", checkpoint_dir=tmp_path, epochs=1)
    with pytest.raises(MissmodalError, match=r"different settings \(model\)"):
        fit_model(train, val, model="late", checkpoint_dir=tmp_path, resume=True, epochs=1)
    with pytest.raises(MissmodalError, match=r"different settings \(epochs\)"):
        fit_model(train, val, model="attention", checkpoint_dir=tmp_path, resume=True, epochs=3)


def test_early_stopping_keeps_the_best_validation_epoch(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="concat", epochs=60, patience=2, lr=0.05, seed=0)
    history = fitted.history
    assert len(history) < 60
    scores = [h["val_mean"] for h in history]
    assert fitted.info["best_epoch"] == 1 + int(np.argmax(scores))
    assert all(s <= max(scores) for s in scores[fitted.info["best_epoch"]:])


def test_worst_group_selection_uses_the_worst_validation_group(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="attention", selection="worst", min_group_size=3, **FAST)
    best = fitted.history[fitted.info["best_epoch"] - 1]
    assert fitted.info["best_val_score"] == best["val_worst"] == max(h["val_worst"] for h in fitted.history)
    assert all(h["val_worst"] <= h["val_mean"] for h in fitted.history)


def test_remind_schedule_is_erm_warm_up_then_group_dro(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="remind", loss="group-dro", epochs=4, patience=None, pool_rare_groups=False)
    assert [h["objective"] for h in fitted.history] == ["erm", "group-dro", "group-dro", "group-dro"]
    weights_after = fitted.history[-1]["group_weights"]
    assert set(weights_after) == set(train.group_names()) and sum(weights_after.values()) == pytest.approx(1)


def test_the_model_is_selected_after_the_warm_up(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="late", loss="group-dro", epochs=8, warmup_epochs=4, patience=1, seed=0)
    post = [h["val_mean"] for h in fitted.history[4:]]
    assert fitted.info["best_epoch"] == 5 + int(np.argmax(post))
    assert len(fitted.history) >= 5  # patience counts only epochs after the warm-up


def test_a_run_that_is_all_warm_up_still_selects_an_epoch(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="late", loss="group-dro", epochs=2, warmup_epochs=2, patience=None, seed=0)
    assert fitted.info["best_epoch"] in (1, 2)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression"])
def test_every_task_trains_and_predicts(task):
    data = make_data(task=task)
    train, test = data.split((0.8, 0.2), seed=0)
    fitted = fit_model(train, model="late", **FAST)
    scores = fitted.scores(test)
    expected = {"binary": (len(test), 2), "multiclass": (len(test), 3), "multilabel": (len(test), 3),
                "regression": (len(test),)}[task]
    assert scores.shape == expected and np.isfinite(scores).all()
    assert fitted.predict(test).shape == test.target.shape


def test_training_learns_the_signal():
    train, test = make_data(n=400).split((0.8, 0.2), seed=0)
    fitted = fit_model(train, model="attention", epochs=15, seed=0)
    assert np.mean(fitted.predict(test) == test.target) > 0.85


def test_gradient_diagnostics_are_recorded_per_epoch_for_each_group(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="remind", diagnostics=True, diagnostics_every=1, **FAST)
    for record in fitted.history:
        cosines = record["gradient_cosine"]
        assert set(cosines) <= set(train.group_names()) and len(cosines) >= 4
        assert all(-1 <= c["cosine"] <= 1 and c["count"] >= 2 for c in cosines.values())


def test_gradient_diagnostics_are_opt_in_and_every_k_epochs_plus_the_last(data):
    train, val = data.split((0.75, 0.25), seed=0)
    assert not any("gradient_cosine" in r for r in fit_model(train, val, model="late", **FAST).history)
    fitted = fit_model(train, val, model="late", diagnostics=True, diagnostics_every=2, **{**FAST, "epochs": 5})
    assert [r["epoch"] for r in fitted.history if "gradient_cosine" in r] == [2, 4, 5]


def test_missing_target_and_unknown_names_are_input_errors(data):
    with pytest.raises(MissmodalError, match="no target"):
        fit_model(data.replace(target=None), model="attention", epochs=1)
    with pytest.raises(MissmodalError, match="unknown model 'transformer'"):
        fit_model(data, model="transformer", epochs=1)
    with pytest.raises(MissmodalError, match="unknown training settings"):
        fit_model(data, model="attention", epoch=1)
    with pytest.raises(MissmodalError, match="selection"):
        TrainConfig(selection="median")


def test_validation_modalities_must_match_the_training_modalities(data):
    train, val = data.split((0.75, 0.25), seed=0)
    with pytest.raises(MissmodalError, match="do not match the model's"):
        Trainer("attention", TrainConfig(epochs=1)).fit(train, val.select_modalities(["m0", "m1"]))


@pytest.mark.parametrize("patience", [0, -1])
def test_patience_below_one_epoch_is_an_input_error(patience):
    with pytest.raises(MissmodalError, match="patience must be >= 1"):
        TrainConfig(patience=patience)


def test_an_unknown_validation_class_is_named_in_a_short_message():
    train = make_data(n=60)
    val = make_data(n=20, seed=1)
    val = val.replace(target=np.where(val.target == 2, 7, val.target))
    with pytest.raises(MissmodalError, match=r"class 7 not seen in training \(the model's 3 numeric classes: 0, 1, 2; labels are matched by value\)$"):
        fit_model(train, val, model="concat", epochs=1)


def string_labelled(data, names):
    """``data`` as read from a file with string labels: codes into ``metadata["classes"]``."""
    return data.replace(metadata={**data.metadata, "classes": list(names)})


def test_string_labels_are_matched_by_name_not_by_per_file_code():
    from missmodal.train import evaluate_model

    train = string_labelled(make_data(n=120, task="binary"), ["cat", "dog"])
    fitted = fit_model(train, model="late", epochs=2, seed=0)
    test = make_data(n=40, task="binary", seed=1)
    dogs = test.subset(test.target == 1)
    dogs_file = string_labelled(dogs.replace(target=np.zeros(dogs.n_samples, dtype=np.int64)), ["dog"])  # "dog" coded 0
    predicted = fitted.predict(dogs_file)
    assert set(predicted) <= {"cat", "dog"}
    report = evaluate_model(fitted, dogs_file)
    assert report["overall"]["accuracy"] == pytest.approx(np.mean(predicted == "dog"))


def test_a_string_label_not_seen_in_training_is_an_input_error():
    from missmodal.train import evaluate_model

    fitted = fit_model(string_labelled(make_data(n=120, task="binary"), ["cat", "dog"]), model="concat", epochs=1)
    birds = string_labelled(make_data(n=20, task="binary", seed=1), ["bird", "cat"])
    with pytest.raises(MissmodalError, match="class 'bird'"):
        evaluate_model(fitted, birds)


def test_classifiers_are_calibrated_on_validation_and_scores_use_the_temperature(data):
    from missmodal.models.calibration import apply_temperature

    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="attention", **FAST)
    calibration = fitted.info["calibration"]
    assert calibration["validation_samples"] == val.n_samples and calibration["temperature"] != 1.0
    assert np.allclose(fitted.scores(val), apply_temperature(fitted.raw_scores(val), "multiclass", calibration["temperature"]))
    raw = fit_model(train, val, model="attention", calibrate=False, **FAST)
    assert "calibration" not in raw.info and np.allclose(raw.scores(val), raw.raw_scores(val))


def test_worst_group_ties_go_to_the_higher_mean_and_the_selected_epoch_is_the_best_key(data):
    assert selection_key({"val_worst": 0.7, "val_mean": 0.85}, "worst") > selection_key({"val_worst": 0.7, "val_mean": 0.80}, "worst")
    assert selection_key({"val_worst": 0.8, "val_mean": 0.80}, "worst") > selection_key({"val_worst": 0.7, "val_mean": 0.95}, "worst")
    assert selection_key({"val_worst": 0.1, "val_mean": 0.9}, "mean") > selection_key({"val_worst": 0.9, "val_mean": 0.8}, "mean")
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="attention", selection="worst", min_group_size=3, **FAST)
    keys = [selection_key(h, "worst") for h in fitted.history]
    assert fitted.info["best_epoch"] == 1 + keys.index(max(keys))
