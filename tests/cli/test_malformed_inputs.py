"""Every command that reads DATA, on every malformed (or tricky) input: a one-line error with exit code 2,
or a correct result; never a traceback."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from malformed_cases import CASES, FLAT_CASES, FLAT_SCHEMA, good

from missmodal.cli import main

# Per (case, command) outcomes that differ from the case's default: (outcome, text the error must contain).
OVERRIDES = {
    ("float_coded_classes", "informativeness"): ("error", "regression"),
    ("string_labels", "evaluate"): ("error", "not seen in training (the model's 2 numeric classes: 0, 1"),
    # a modality absent from every row is fine for a trained model (its fallback path), not for fitting
    ("never_observed", "evaluate"): ("ok", None),
    ("never_observed", "predict"): ("ok", None),
    # the model knows the width a file of variable-length lists cannot tell
    ("variable_never_observed", "evaluate"): ("ok", None),
    ("variable_never_observed", "predict"): ("ok", None),
    # new samples to predict need no target column, even one the file's roles record; the columns the
    # footer does not name (target, age) still need a role
    ("footer_absent_target", "predict"): ("error", "no role: target, age"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, trained):
    """A folder with (a copy of) the session's model trained on the good file, and a tiny bench config."""
    import shutil

    folder = tmp_path_factory.mktemp("malformed")
    shutil.copytree(trained["binary"][0], folder / "model")
    (folder / "bench.yaml").write_text("sections: [audit]\nseeds: [0]\n")
    return folder


def command_lines(path: str, out, folder) -> dict[str, list[str]]:
    model = str(folder / "model")
    return {
        "simulate": ["simulate", path, "-o", str(out / "s.parquet")],
        "audit": ["audit", path, "--json", str(out / "a.json"), "--no-mechanism"],
        "informativeness": ["informativeness", path, "--bootstrap", "0", "--folds", "2"],
        "impute": ["impute", path, "--method", "mean", "-o", str(out / "i.parquet")],
        "impute-streamed": ["impute", path, "-o", str(out / "ic.parquet"), "--n-clusters", "2"],
        "train": ["train", path, "-o", str(out / "m"), "--epochs", "1", "--width", "8", "--no-diagnostics"],
        "evaluate": ["evaluate", model, path],
        "predict": ["predict", model, path, "-o", str(out / "p.csv")],
        "bench": ["bench", path, "--config", str(folder / "bench.yaml"), "--out", str(out / "bench")],
    }


COMMANDS = ["simulate", "audit", "informativeness", "impute", "impute-streamed", "train", "evaluate", "predict", "bench"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(CASES))
def test_every_command_on_every_case_gives_a_one_line_error_or_a_result(workspace, tmp_path, case, command):
    builder, outcome, match = CASES[case]
    outcome, match = OVERRIDES.get((case, command), (outcome, match))
    path = str(builder(tmp_path))
    result = CliRunner().invoke(main, command_lines(path, tmp_path, workspace)[command])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    if outcome == "ok":
        assert result.exit_code == 0, result.output[-500:]
        assert not errors
    else:
        assert result.exit_code == 2, result.output[-500:]
        assert len(errors) == 1 and "Traceback" not in result.output
        assert match in errors[0], errors[0]


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("impute-streamed", "bench")])
@pytest.mark.parametrize("case", list(FLAT_CASES))
def test_every_command_on_every_flat_table_case_gives_a_one_line_error(workspace, tmp_path, case, command):
    builder, match = FLAT_CASES[case]
    args = command_lines(str(builder(tmp_path)), tmp_path, workspace)[command] + FLAT_SCHEMA
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and match in errors[0], result.output[-500:]


def test_predict_writes_finite_probabilities_that_sum_to_one(workspace, tmp_path):
    path = good(tmp_path)
    result = CliRunner().invoke(main, ["predict", str(workspace / "model"), str(path), "-o", str(tmp_path / "p.csv")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "p.csv")
    assert set(frame["prediction"]) <= {0, 1} and len(frame) == 48
    assert np.allclose(frame[["p_0", "p_1"]].sum(axis=1), 1.0) and frame[["p_0", "p_1"]].notna().all().all()


READERS = ["simulate", "audit", "informativeness", "impute", "train", "evaluate", "predict"]


@pytest.mark.parametrize("command", READERS)
def test_duplicate_ids_are_warned_on_one_line_by_every_command_that_reads_data(workspace, tmp_path, command):
    path = str(CASES["duplicate_ids"][0](tmp_path))
    result = CliRunner().invoke(main, command_lines(path, tmp_path, workspace)[command])
    assert result.exit_code == 0, result.output[-500:]
    warning = [line for line in result.output.splitlines() if "occur more than once" in line]
    assert len(warning) == 1 and warning[0].startswith("warning: 1 id(s)") and "(first: 's0')" in warning[0]
    assert warning[0].endswith("so match by position")  # the whole message on its one line


@pytest.mark.parametrize("command", ["audit", "informativeness", "impute", "train"])
def test_a_float_coded_target_suggests_the_task_on_one_line_in_every_command(workspace, tmp_path, command):
    path = str(CASES["float_coded_classes"][0](tmp_path))
    result = CliRunner().invoke(main, command_lines(path, tmp_path, workspace)[command])
    assert ("warning: the target holds only 2 integer values (0, 1); if these are classes, pass --task binary"
            in result.output.splitlines()), result.output[-500:]


def test_float_coded_classes_are_trained_with_the_task_said_and_a_warning(tmp_path):
    path = CASES["float_coded_classes"][0](tmp_path)
    result = CliRunner().invoke(main, ["train", str(path), "-o", str(tmp_path / "m"), "--epochs", "1", "--width", "8",
                                       "--no-diagnostics"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the status console may wrap lines
    assert "task: regression (float target with 2 distinct values)" in said
    assert "warning: the target holds only 2 integer values (0, 1); if these are classes, pass --task binary" in said
    assert json.loads((tmp_path / "m" / "model.json").read_text())["preprocessing"]["task"] == "regression"
    result = CliRunner().invoke(main, ["train", str(path), "-o", str(tmp_path / "m2"), "--epochs", "1", "--width", "8",
                                       "--no-diagnostics", "--task", "binary"])
    assert result.exit_code == 0, result.output
    assert "task: binary (2 classes in the target)" in " ".join(result.output.split())
    assert json.loads((tmp_path / "m2" / "model.json").read_text())["preprocessing"]["classes"] == [0, 1]
