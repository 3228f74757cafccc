"""Evaluation targets are matched to the model's classes by value and name; a mismatch is refused."""

import numpy as np
import pytest
from model_data import make_data

from missmodal import MissmodalError
from missmodal.models.preprocess import Preprocessing


def named(data, names):
    """``data`` as read from a file with string labels: codes into ``metadata["classes"]``."""
    result = data.replace()
    result.metadata["classes"] = list(names)
    return result


def test_string_labels_against_a_model_trained_on_integers_are_refused():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(data)
    with pytest.raises(MissmodalError, match="class '(no|yes)' not seen in training: it matches none of the numeric classes .*'0', '1'"):
        preprocessing.align_target(named(data, ["no", "yes"]))


def test_string_digits_match_integer_classes_by_name():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(data)
    aligned = preprocessing.align_target(named(data, ["0", "1"]))
    assert np.array_equal(aligned, data.target)


def test_integer_labels_against_a_model_trained_on_names_are_refused():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(named(data, ["cat", "dog"]))
    with pytest.raises(MissmodalError, match="matches none of the named classes .*'cat', 'dog'"):
        preprocessing.align_target(data)


def test_names_coded_differently_per_file_are_matched_by_name():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(named(data, ["cat", "dog"]))
    flipped = named(data.replace(target=1 - data.target), ["dog", "cat"])  # same labels, other codes
    assert np.array_equal(preprocessing.align_target(flipped), data.target)


def test_task_lines_name_the_task_and_flag_class_like_regression_targets():
    from missmodal.data.task_inference import task_lines

    regression = make_data(n=30, task="binary")
    regression = regression.replace(target=regression.target.astype(float), task="regression")
    assert task_lines(regression) == ["task: regression (float target with 2 distinct values)",
                                      "warning: the target holds only 2 integer values (0, 1); if these are classes, "
                                      "pass --task binary"]
    assert task_lines(make_data(n=30)) == ["task: multiclass (3 classes in the target)"]
    continuous = make_data(n=30, task="regression")
    assert len(task_lines(continuous)) == 1


def test_a_model_refuses_to_return_nan_scores_for_overflowing_inputs():
    from missmodal.train import fit_model

    data = make_data(n=60, task="binary")
    fitted = fit_model(data, model="late", epochs=1, model_params={"width": 4})
    assert np.isfinite(fitted.scores(data)).all()
    huge = data.replace(modalities={k: np.where(np.isnan(v), v, v * 1e20) for k, v in data.modalities.items()})
    with pytest.raises(MissmodalError, match=r"non-finite outputs for \d+ sample\(s\)"):
        fitted.scores(huge)
