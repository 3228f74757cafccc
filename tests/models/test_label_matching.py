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
    with pytest.raises(MissmodalError, match=r"class '(no|yes)' not seen in training \(the model's 2 numeric classes: 0, 1;"):
        preprocessing.align_target(named(data, ["no", "yes"]))


def test_string_digits_match_integer_classes_by_name():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(data)
    aligned = preprocessing.align_target(named(data, ["0", "1"]))
    assert np.array_equal(aligned, data.target)


def test_integer_labels_against_a_model_trained_on_names_are_refused():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(named(data, ["cat", "dog"]))
    with pytest.raises(MissmodalError, match="class [01] not seen in training .the model's 2 named classes: cat, dog;"):
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


def shifted(data, offset):
    return data.replace(target=data.target + offset)


def test_numeric_labels_the_model_never_saw_are_refused_naming_the_value():
    data = make_data(n=30)  # classes 0, 1, 2
    preprocessing = Preprocessing.fit(data)
    with pytest.raises(MissmodalError, match=r"^test.parquet: target holds class 3 not seen in training \(the model's 3 "
                                             r"numeric classes: 0, 1, 2"):
        preprocessing.align_target(shifted(data, 1), "test.parquet: target")


def test_numeric_labels_are_matched_by_value_to_classes_that_are_not_0_to_k():
    data = make_data(n=30, task="binary")
    preprocessing = Preprocessing.fit(shifted(data, 1))  # classes 1, 2
    assert preprocessing.classes == [1, 2]
    assert np.array_equal(preprocessing.align_target(shifted(data, 1)), data.target + 1)
    with pytest.raises(MissmodalError, match="class 0 not seen in training"):
        preprocessing.align_target(data)


def test_integral_float_labels_match_and_fractional_ones_are_refused():
    data = make_data(n=30)
    preprocessing = Preprocessing.fit(data)
    as_float = data.replace(target=data.target.astype(float), task="regression")
    assert np.array_equal(preprocessing.align_target(as_float), data.target)
    halves = data.replace(target=data.target + 0.5, task="regression")
    with pytest.raises(MissmodalError, match=r"row 0: label \d\.5 is not an integer, but the model is a multiclass "
                                             r"classifier of classes \['0', '1', '2'\]"):
        preprocessing.align_target(halves)


def test_bool_labels_are_refused_by_a_multiclass_model_and_matched_0_1_by_a_binary_one():
    data = make_data(n=30)
    as_bool = data.replace(target=(data.target > 0).astype(np.int64), metadata={"target_type": "bool"})
    with pytest.raises(MissmodalError, match="true/false labels, but the model is a multiclass classifier"):
        Preprocessing.fit(data).align_target(as_bool)
    binary = make_data(n=30, task="binary")
    assert np.array_equal(Preprocessing.fit(binary).align_target(as_bool), as_bool.target)


def test_label_shapes_must_fit_the_task():
    multilabel = Preprocessing.fit(make_data(n=30, task="multilabel"))
    with pytest.raises(MissmodalError, match=r"multilabel with 3 labels and needs an \(n, 3\) 0/1 label matrix, got one "
                                             "label per sample"):
        multilabel.align_target(make_data(n=30))
    regression = Preprocessing.fit(make_data(n=30, task="regression"))
    with pytest.raises(MissmodalError, match="holds class labels .'cat', 'dog'., but the model is a regression model"):
        regression.align_target(named(make_data(n=30, task="binary"), ["cat", "dog"]))
    with pytest.raises(MissmodalError, match="needs one label per sample, got a 3-column label matrix"):
        regression.align_target(make_data(n=30, task="multilabel"))


def test_unseen_labels_can_be_scored_as_wrong_and_counted():
    from missmodal.models.labels import match_labels
    from missmodal.evaluate.metrics import classification_metrics

    data = make_data(n=30)
    preprocessing = Preprocessing.fit(data)
    target = np.where(data.target == 2, 7, data.target)
    codes, unmatched = match_labels(preprocessing, data.replace(target=target), unseen="wrong")
    assert unmatched == {"count": int((target == 7).sum()), "values": [7]}
    assert (codes[target == 7] == -1).all() and np.array_equal(codes[target != 7], target[target != 7])
    perfect = np.eye(3)[data.target]  # a model right on every sample it can be right on
    metrics = classification_metrics(codes, perfect, "multiclass", [0, 1, 2])
    assert metrics["accuracy"] == pytest.approx(np.mean(target != 7))  # the unseen ones count as wrong
    assert metrics["unseen_labels"] == unmatched["count"] and metrics["log_loss"] == pytest.approx(0, abs=1e-9)


def test_a_survival_model_takes_time_event_pairs_only():
    from types import SimpleNamespace

    from missmodal.models.labels import match_labels

    survival = SimpleNamespace(task="survival")
    data = make_data(n=10, task="regression")
    pairs = np.column_stack([np.arange(1.0, 11.0), np.arange(10) % 2])
    target, unmatched = match_labels(survival, data.replace(target=pairs, task="survival"))
    assert np.array_equal(target, pairs) and unmatched["count"] == 0
    with pytest.raises(MissmodalError, match=r"survival model and needs \(time, event\) targets"):
        match_labels(survival, data)
