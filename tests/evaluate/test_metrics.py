import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missmodal.evaluate import classification_metrics, group_report, regression_metrics


def test_multilabel_micro_f1_uses_the_label_matrix():
    y = np.array([[1, 0, 1], [0, 1, 0]])
    scores = np.array([[0.9, 0.1, 0.2], [0.1, 0.8, 0.9]])  # predictions [[1,0,0],[0,1,1]]
    result = classification_metrics(y, scores, "multilabel")
    # tp = 2, fp = 1, fn = 1 -> micro F1 = 2*2 / (2*2 + 1 + 1)
    assert result["f1_micro"] == pytest.approx(4 / 6)
    assert result["accuracy"] == 0.0


def test_multiclass_metrics_from_probabilities():
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 2]] * 0.8 + 0.2 / 3
    result = classification_metrics(y, proba, "multiclass")
    assert result["accuracy"] == 0.75
    assert result["balanced_accuracy"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert result["auroc"] is not None


def test_balanced_accuracy_of_a_group_lacking_a_class_counts_only_present_classes():
    import warnings

    y = np.array([0, 0, 0, 1])  # class 2 is absent from this group but predicted once
    proba = np.eye(3)[[0, 0, 2, 1]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = classification_metrics(y, proba, "multiclass")
    assert result["balanced_accuracy"] == pytest.approx((2 / 3 + 1) / 2)


def test_binary_auroc_of_perfect_ranking_is_one():
    assert classification_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.9]), "binary")["auroc"] == 1.0


def test_regression_metrics():
    result = regression_metrics(np.array([0.0, 2.0]), np.array([1.0, 2.0]))
    assert result == {"mse": 0.5, "mae": 0.5, "r2": pytest.approx(0.5)}


def _report(train_group_counts=None):
    observed = np.array([[1, 1]] * 6 + [[1, 0]] * 3 + [[0, 1]] * 1, bool)
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    pred = np.array([0, 1, 0, 1, 0, 1, 0, 0, 0, 0])
    return group_report(y, pred, observed, ["a", "b"], "binary", train_group_counts=train_group_counts, min_group_size=2)


def test_group_report_splits_overall_into_groups():
    report = _report()
    assert report["overall"]["accuracy"] == 0.8
    by_name = {g["name"]: g for g in report["groups"]}
    assert by_name["a+b"]["accuracy"] == 1.0 and by_name["a"]["accuracy"] == pytest.approx(2 / 3)
    assert report["complete"]["count"] == 6 and report["incomplete"]["accuracy"] == 0.5


def test_worst_group_ignores_groups_below_min_size():
    report = _report()
    assert report["worst_group"]["name"] == "a"  # group "b" (accuracy 0) has one sample only


def test_head_and_tail_come_from_training_counts():
    report = _report(train_group_counts={0b01: 90, 0b11: 10})
    head = {g["name"] for g in report["groups"] if g["head"]}
    assert head == {"a"}
    assert report["tail"]["count"] == 7
    unseen = [g for g in report["groups"] if not g["seen_in_training"]]
    assert [g["name"] for g in unseen] == ["b"]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 40), st.integers(1, 4), st.booleans())
def test_one_vs_rest_auroc_equals_scikit_learn_with_ties(seed, n, n_columns, coarse):
    from sklearn.metrics import roc_auc_score

    from missmodal.evaluate.metrics import _one_vs_rest_auroc

    rng = np.random.default_rng(seed)
    indicators = rng.random((n, n_columns)) < rng.uniform(0.1, 0.9, n_columns)
    scores = rng.random((n, n_columns))
    if coarse:  # many tied scores
        scores = np.round(scores * 3) / 3
    expected = [roc_auc_score(indicators[:, c], scores[:, c]) for c in range(n_columns)
                if 0 < indicators[:, c].sum() < n]
    value = _one_vs_rest_auroc(indicators.astype(int), scores)
    assert (value is None) == (not expected)
    if expected:
        assert value == pytest.approx(np.mean(expected), abs=1e-12)
