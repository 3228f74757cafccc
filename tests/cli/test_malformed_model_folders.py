"""Damaged model folders and label files that do not fit the model: exit code 2 and exactly one line on
stderr naming the problem, never a traceback or a silently wrong number (run in-process, one tiny model
per task trained once per session and copied for each case)."""

import json
import math
import os
import stat

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from malformed_cases import WRONG_LABELS, base_columns, with_target

from missmodal.cli import main

HUGE = "9" * 5000  # beyond the JSON reader's limit on integer digits
UNSET = object()


def damage(folder, path, value):
    """Set (or, with ``UNSET``, delete) the field at the dotted ``path`` of ``folder``'s model.json."""
    config = json.loads((folder / "model.json").read_text())
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = config
    for key in parents:
        node = node[key]
    if value is UNSET:
        del node[last]
    else:
        node[last] = "@HUGE@" if value is HUGE else value
    text = json.dumps(config, allow_nan=True).replace('"@HUGE@"', HUGE)
    (folder / "model.json").write_text(text)


# Every field missmodal reads: (dotted path, required, an out-of-range or inconsistent value). Each field is
# also given the wrong type, NaN and a 5,000-digit integer (and, when required, deleted).
FIELDS = [
    ("format", True, "other-format"),
    ("format_version", True, 2),
    ("weights_sha256", True, "abc"),
    ("architecture", True, {"name": "attention"}),
    ("architecture.name", True, "os.system"),
    ("architecture.params", True, {}),
    ("architecture.params.dims", True, []),
    ("architecture.params.dims.0", True, 0),
    ("architecture.params.out_dim", True, 3),
    ("architecture.params.task", True, "regression"),
    ("architecture.params.groups", False, [99]),
    ("architecture.params.width", False, 0),
    ("architecture.params.hidden", False, -4),
    ("architecture.params.dropout", False, 1.5),
    ("architecture.params.modality_dropout", False, -0.1),
    ("architecture.params.n_covariates", False, 5),
    ("architecture.params.heads", False, 0),
    ("architecture.params.depth", False, 10**9),
    ("preprocessing", True, {}),
    ("preprocessing.modalities", True, []),
    ("preprocessing.modalities.0", True, {"name": "a"}),
    ("preprocessing.modalities.0.name", True, "b"),
    ("preprocessing.modalities.0.dim", True, 99),
    ("preprocessing.modalities.0.mean", True, [0.0]),
    ("preprocessing.modalities.0.mean.0", True, 1e400),
    ("preprocessing.modalities.0.scale", True, [1.0]),
    ("preprocessing.modalities.0.scale.0", True, -1.0),
    ("preprocessing.task", True, "survival"),
    ("preprocessing.classes", True, [0, 0]),
    ("preprocessing.classes.0", True, 5),
    ("preprocessing.class_names", False, ["a", "b", "c"]),
    ("preprocessing.n_labels", False, 3),
    ("preprocessing.class_counts", False, [1, 2, 3]),
    ("preprocessing.covariates", False, ["age"]),
    ("preprocessing.covariates.0", False, {"name": "age"}),
    ("preprocessing.covariates.0.name", False, 7),
    ("preprocessing.covariates.0.mean", False, 1e400),
    ("preprocessing.covariates.0.scale", False, 0),
    ("preprocessing.target_mean", False, 1e400),
    ("preprocessing.target_scale", False, 0),
    ("train_group_counts", True, {"99": 3}),
    ("train_group_counts.3", False, -1),
    ("info", True, []),
    ("info.calibration", True, {"threshold": 0.5}),
    ("info.calibration.temperature", True, 0),
    ("info.calibration.threshold", False, 1.5),
    ("info.calibration.validation_samples", False, -3),
    ("info.data_schema", False, [1]),
]


def cases():
    for path, required, bad in FIELDS:
        yield f"{path}: out of range", path, bad
        yield f"{path}: wrong type", path, 12 if path in ("format", "architecture.name", "weights_sha256",
                                                           "preprocessing.task", "architecture.params.task",
                                                           "preprocessing.modalities.0.name",
                                                           "preprocessing.covariates.0.name") else "x"
        yield f"{path}: NaN", path, math.nan
        yield f"{path}: huge", path, HUGE
        if required:
            yield f"{path}: missing", path, UNSET


CASES = {name: (path, value) for name, path, value in cases()}


def run(args):
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def assert_one_error_line(result, match=None, only_line=True):
    """Exit code 2, one ``error:`` line on stderr (the only line with ``only_line``; else the data roles
    line may precede it), no traceback."""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert result.exit_code == 2, result.output[-600:]
    assert len(errors) == 1 and "Traceback" not in result.output, result.stderr
    assert len(lines) == 1 or not only_line, result.stderr
    if match:
        assert match in errors[0], errors[0]
    return errors[0]


def test_the_undamaged_copy_evaluates(trained, model_copy):
    result = run(["evaluate", str(model_copy()), str(trained["binary"][1])])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_model_json_gives_one_line_naming_the_field(trained, model_copy, case):
    path, value = CASES[case]
    folder = model_copy()
    damage(folder, path, value)
    line = assert_one_error_line(run(["evaluate", str(folder), str(trained["binary"][1])]))
    assert "model.json" in line
    if value is not HUGE:  # the digit limit stops the reader before any field is known
        assert path.split(".")[0] in line


DATA_SCHEMA = {
    "columns": ({"a": ["a1", "a2"]}, "info.data_schema.columns must name the model's modalities"),
    "columns.b": (["b1", "b2"], "info.data_schema.columns['b'] must list 1 columns"),
    "columns.a.0": (3, "info.data_schema.columns['a'][0] must be a string, got 3"),
    "categories.site": ([["A"], "B"], "info.data_schema.categories['site'][0] must be a string or a finite number, got a list of 1"),
    "fill_values": ({"a": [math.nan, 0.0]}, "info.data_schema.fill_values['a'][0] must be a finite number, got nan"),
    "partial": ("sometimes", "info.data_schema.partial must be one of observed, missing, error"),
    "modalities": (UNSET, "info.data_schema.modalities is missing"),
    "id": (["id"], "info.data_schema.id must be a string"),
}


@pytest.mark.parametrize("case", list(DATA_SCHEMA))
def test_a_damaged_stored_table_schema_is_one_line(trained, model_copy, case):
    value, match = DATA_SCHEMA[case]
    folder = model_copy("flat")
    damage(folder, f"info.data_schema.{case}", value)
    assert_one_error_line(run(["evaluate", str(folder), str(trained["flat"][1])]), match)


def test_the_undamaged_flat_model_reads_its_table_with_the_stored_schema(trained):
    assert run(["evaluate", str(trained["flat"][0]), str(trained["flat"][1])]).exit_code == 0


@pytest.mark.parametrize("task", ["multiclass", "multilabel", "regression"])
def test_an_inconsistent_output_count_is_refused_for_every_task(trained, model_copy, task):
    folder = model_copy(task)
    damage(folder, "architecture.params.out_dim", 7)
    assert_one_error_line(run(["predict", str(folder), str(trained[task][1]), "-o", str(folder.parent / "p.csv")]),
                          "7")


def test_a_regression_model_needs_its_target_scaling(trained, model_copy):
    folder = model_copy("regression")
    damage(folder, "preprocessing.target_scale", UNSET)
    assert_one_error_line(run(["evaluate", str(folder), str(trained["regression"][1])]),
                          "preprocessing.target_scale is missing (a regression model's target scaling)")


def test_an_edit_that_keeps_every_field_valid_is_refused(trained, model_copy):
    folder = model_copy()
    damage(folder, "architecture.params.heads", 2)  # attention weights do not depend on the head count
    assert_one_error_line(run(["evaluate", str(folder), str(trained["binary"][1])]), "edited after it was written")


def test_a_regression_model_with_three_outputs_is_inconsistent(trained, model_copy):
    folder = model_copy("regression")
    damage(folder, "architecture.params.out_dim", 3)
    assert_one_error_line(run(["evaluate", str(folder), str(trained["regression"][1])]),
                          "architecture.params.out_dim must be 1 for a regression model, got 3")


@pytest.mark.parametrize("temperature", [0, -1, math.nan, "warm"])
def test_a_bad_temperature_is_refused_not_turned_into_nan_or_inverted_predictions(trained, model_copy, temperature):
    folder = model_copy()
    damage(folder, "info.calibration.temperature", temperature)
    shown = {0: "got 0", -1: "got -1", "warm": "got 'warm'"}.get(temperature, "got nan")
    assert_one_error_line(run(["evaluate", str(folder), str(trained["binary"][1])]),
                          f"info.calibration.temperature must be a finite number > 0, {shown}")


def test_an_unhashed_folder_needs_trust_unhashed(trained, model_copy):
    folder = model_copy()
    damage(folder, "weights_sha256", UNSET)
    data = str(trained["binary"][1])
    assert_one_error_line(run(["evaluate", str(folder), data]), "pass --trust-unhashed")
    assert run(["evaluate", str(folder), data, "--trust-unhashed"]).exit_code == 0


def test_weights_of_another_task_are_refused(trained, model_copy):
    folder = model_copy()
    (folder / "model.safetensors").write_bytes((trained["multiclass"][0] / "model.safetensors").read_bytes())
    assert_one_error_line(run(["evaluate", str(folder), str(trained["binary"][1])]), "SHA-256 differs")


@pytest.mark.parametrize("case", list(WRONG_LABELS))
def test_a_label_file_that_does_not_fit_the_model_is_one_line(trained, tmp_path, case):
    task, target, match = WRONG_LABELS[case]
    path = with_target(tmp_path, "labels", target())
    line = assert_one_error_line(run(["evaluate", str(trained[task][0]), str(path)]), match, only_line=False)
    assert "labels.parquet" in line


def test_unseen_labels_can_be_scored_as_wrong_and_counted(trained, tmp_path):
    import pyarrow as pa

    labels = np.asarray(base_columns()["target"])
    changed = np.where(np.arange(len(labels)) < 6, 7, labels)  # six samples of a class the model never saw
    path = with_target(tmp_path, "labels", pa.array(changed))
    model, _ = trained["binary"]
    assert_one_error_line(run(["evaluate", str(model), str(path)]), "class 7 not seen in training", only_line=False)
    result = run(["evaluate", str(model), str(path), "--unseen-labels", "wrong", "--json", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    assert "warning: 6 sample(s) hold labels the model never saw (7)" in result.stderr
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["unseen_labels"] == {"count": 6, "values": [7]} and report["overall"]["unseen_labels"] == 6
    assert run(["predict", str(model), str(path), "-o", str(tmp_path / "p.csv")]).exit_code == 0
    predicted = pd.read_csv(tmp_path / "p.csv")["prediction"].to_numpy()
    assert report["overall"]["accuracy"] == pytest.approx(np.mean(predicted == changed))  # the six count as wrong


def test_bool_labels_fit_a_binary_model(trained, tmp_path):
    import pyarrow as pa

    labels = np.asarray(base_columns()["target"]).astype(bool)
    path = with_target(tmp_path, "labels", pa.array(labels))
    assert run(["evaluate", str(trained["binary"][0]), str(path)]).exit_code == 0


def test_evaluate_refuses_a_task_other_than_the_models(trained):
    model, data = trained["binary"]
    assert_one_error_line(run(["evaluate", str(model), str(data), "--task", "regression"]),
                          "--task regression: the model in")


def test_model_weights_are_written_with_the_permissions_of_any_new_file(trained):
    folder = trained["binary"][0]
    umask = os.umask(0)
    os.umask(umask)
    for name in ("model.safetensors", "model.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~umask
