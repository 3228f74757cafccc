"""Resuming: the checkpoint belongs to this data; pickled, truncated or absent checkpoints are said in one line."""

import pickle

import pytest
from model_data import make_data

from missmodal import MissmodalError
from missmodal.train import fit_model

SETTINGS = dict(model="late", epochs=2, model_params={"width": 8})


def split(seed):
    return make_data(n=80, seed=seed).split((0.75, 0.25), seed=0)


def test_resume_on_other_data_is_refused_naming_both_fingerprints(tmp_path):
    train, val = split(0)
    fit_model(train, val, checkpoint_dir=tmp_path, **SETTINGS)
    other_train, other_val = split(1)
    with pytest.raises(MissmodalError, match=r"checkpoint was made on other data \(60 training samples, fingerprint "
                                             r"[0-9a-f]{16}\) than this run's \(60 samples, fingerprint [0-9a-f]{16}\)"):
        fit_model(other_train, other_val, checkpoint_dir=tmp_path, resume=True, **SETTINGS)


def test_resume_on_the_same_data_continues(tmp_path):
    train, val = split(0)
    fit_model(train, val, checkpoint_dir=tmp_path, **SETTINGS)
    resumed = fit_model(train, val, checkpoint_dir=tmp_path, resume=True, **SETTINGS)
    assert resumed.info["epochs_run"] == 2


def test_a_change_of_one_value_changes_the_fingerprint():
    from missmodal.data.fingerprint import data_fingerprint

    data = make_data(n=30)
    changed = data.replace(target=data.target.copy())
    changed.target[0] = (changed.target[0] + 1) % 3
    assert data_fingerprint(data) == data_fingerprint(data.replace()) != data_fingerprint(changed)


@pytest.mark.parametrize("content", [pickle.dumps({"settings": 1}), b"PK\x03\x04truncated"])
def test_a_pickled_or_truncated_checkpoint_is_a_one_line_error(tmp_path, content):
    (tmp_path / "checkpoint.pt").write_bytes(content)
    train, val = split(0)
    with pytest.raises(MissmodalError, match="checkpoint.pt: not a readable missmodal checkpoint") as error:
        fit_model(train, val, checkpoint_dir=tmp_path, resume=True, **SETTINGS)
    assert "\n" not in str(error.value)


def test_a_truncated_real_checkpoint_is_a_one_line_error(tmp_path):
    train, val = split(0)
    fit_model(train, val, checkpoint_dir=tmp_path, **SETTINGS)
    raw = (tmp_path / "checkpoint.pt").read_bytes()
    (tmp_path / "checkpoint.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(MissmodalError, match="not a readable missmodal checkpoint"):
        fit_model(train, val, checkpoint_dir=tmp_path, resume=True, **SETTINGS)


def test_resume_without_a_checkpoint_warns_and_starts_from_scratch(tmp_path):
    train, val = split(0)
    with pytest.warns(UserWarning, match="no checkpoint .*checkpoint.pt; training starts from scratch"):
        fit_model(train, val, checkpoint_dir=tmp_path, resume=True, **SETTINGS)


def test_the_cli_says_when_resume_finds_no_checkpoint(tmp_path):
    from click.testing import CliRunner

    from missmodal.cli import main
    from missmodal.data import write_data

    write_data(make_data(n=60, task="binary"), tmp_path / "d.parquet")
    result = CliRunner().invoke(main, ["train", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "run"), "--resume",
                                       "--epochs", "1", "--width", "8", "--no-diagnostics"])
    assert result.exit_code == 0, result.output
    assert "--resume: no checkpoint in" in result.output and "training starts from scratch" in " ".join(result.output.split())
