"""Fixtures of the CLI tests: tiny models trained once per test session (copied, never edited in place)."""

import shutil

import pytest
from click.testing import CliRunner
from malformed_cases import FLAT_SCHEMA, flat_good, good, labelled

from missmodal.cli import main

TINY = ["--epochs", "1", "--width", "8", "--hidden", "8", "--no-diagnostics"]


def train(data_path, folder, *extra):
    result = CliRunner().invoke(main, ["train", str(data_path), "-o", str(folder), *TINY, *extra])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """The model folders of the session, one per task (and ``"flat"``: binary, from a flat CSV table), each
    trained once on a tiny file, with those files: ``{task: (model folder, data file)}``."""
    root = tmp_path_factory.mktemp("trained")
    files = {"binary": good(root), **{task: labelled(root, task) for task in ("multiclass", "multilabel", "regression")}}
    models = {task: (train(path, root / f"model-{task}"), path) for task, path in files.items()}
    flat = flat_good(root)  # a flat table: the model stores the table schema it was read with
    models["flat"] = (train(flat, root / "model-flat", *FLAT_SCHEMA, "--covariates", "site"), flat)
    return models


@pytest.fixture
def model_copy(trained, tmp_path):
    """A fresh copy of a trained model folder: ``model_copy(task)`` -> its path."""
    def copy(task="binary"):
        target = tmp_path / f"model-{task}"
        if not target.exists():
            shutil.copytree(trained[task][0], target)
        return target
    return copy
