"""Clinical metrics (AUPRC, Brier, ECE, log loss, threshold accuracy, majority reference) and calibration."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss

from missmodal.evaluate import group_report
from missmodal.evaluate.metrics import expected_calibration_error, probability_metrics
from missmodal.models.calibration import apply_temperature, best_threshold, fit_temperature


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    return y, np.column_stack([1 - p, p])


def test_binary_probability_metrics_match_sklearn(binary):
    y, scores = binary
    metrics = probability_metrics(y, scores, "binary", [0, 1])
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, scores[:, 1]))
    assert metrics["log_loss"] == pytest.approx(log_loss(y, scores[:, 1]))
    assert metrics["auprc"] == pytest.approx(average_precision_score(y, scores[:, 1]))


def test_multiclass_brier_and_log_loss_match_the_definitions():
    rng = np.random.default_rng(1)
    scores = rng.dirichlet(np.ones(3), size=200)
    y = rng.integers(0, 3, 200)
    metrics = probability_metrics(y, scores, "multiclass", [0, 1, 2])
    assert metrics["log_loss"] == pytest.approx(log_loss(y, scores, labels=[0, 1, 2]))
    assert metrics["brier"] == pytest.approx(np.mean(((scores - np.eye(3)[y]) ** 2).sum(axis=1)))


def test_ece_by_hand_and_zero_for_a_calibrated_constant():
    # two bins: [0.1]*2 with outcomes (0, 1) -> |0.5 - 0.1|; [0.9]*2 with outcomes (1, 1) -> |1 - 0.9|
    assert expected_calibration_error(np.array([0.1, 0.1, 0.9, 0.9]), np.array([0, 1, 1, 1])) == pytest.approx((0.4 * 2 + 0.1 * 2) / 4)
    assert expected_calibration_error(np.full(10, 0.3), np.array([1, 1, 1] + [0] * 7)) == pytest.approx(0.0)


def test_simulated_calibrated_probabilities_have_small_ece(binary):
    y, scores = binary
    assert probability_metrics(y, scores, "binary", [0, 1])["ece"] < 0.06
    overconfident = apply_temperature(scores, "binary", 0.3)
    assert probability_metrics(y, overconfident, "binary", [0, 1])["ece"] > 0.1


def test_threshold_accuracy_and_majority_reference():
    y = np.array([0, 0, 0, 1, 1])
    scores = np.column_stack([1 - np.array([0.1, 0.2, 0.35, 0.3, 0.9]), [0.1, 0.2, 0.35, 0.3, 0.9]])
    metrics = probability_metrics(y, scores, "binary", [0, 1], threshold=0.25, prior=np.array([0.6, 0.4]))
    assert metrics["accuracy_at_threshold"] == pytest.approx(4 / 5)  # predicts 0, 0, 1, 1, 1
    assert metrics["reference_accuracy"] == pytest.approx(3 / 5)
    assert metrics["reference_brier"] == pytest.approx(np.mean((0.4 - y) ** 2))


def test_best_threshold_maximises_accuracy_by_brute_force():
    rng = np.random.default_rng(2)
    positive = rng.random(60)
    truth = rng.random(60) < positive ** 3
    threshold = best_threshold(positive, truth)
    brute = max(np.mean((positive >= t) == truth) for t in np.concatenate([positive, [0.0, 1.1]]))
    assert np.mean((positive >= threshold) == truth) == pytest.approx(brute)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_temperature_scaling_recovers_the_temperature_of_overconfident_scores(task):
    rng = np.random.default_rng(3)
    n, true_t = 20000, 2.5
    if task == "binary":
        z = rng.normal(scale=2, size=n)
        y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
        p = 1 / (1 + np.exp(-true_t * z))
        scores, classes = np.column_stack([1 - p, p]), [0, 1]
    else:
        z = rng.normal(scale=1.5, size=(n, 4))
        prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        y = np.array([rng.choice(4, p=row) for row in prob])
        scores, classes = np.exp(true_t * z) / np.exp(true_t * z).sum(1, keepdims=True), [0, 1, 2, 3]
    assert fit_temperature(scores, y, task, classes) == pytest.approx(true_t, rel=0.08)
    assert np.array_equal(apply_temperature(scores, task, 2.0).argmax(1), scores.argmax(1))


def test_group_report_carries_auroc_and_brier_overall_and_per_group(binary):
    y, scores = binary
    observed = np.column_stack([np.ones(500, bool), np.arange(500) % 2 == 0])
    report = group_report(y, scores, observed, ["a", "b"], "binary", classes=[0, 1], train_group_counts={1: 5, 3: 100},
                          threshold=0.5, prior=np.array([0.5, 0.5]))
    for part in [report["overall"], *report["groups"], report["head"]]:
        assert {"auroc", "brier", "auprc", "ece", "accuracy_at_threshold", "reference_accuracy"} <= set(part)
    assert report["weak_groups"] == ["a"]
    assert {g["name"]: g["train_count"] for g in report["groups"]} == {"a": 5, "a+b": 100}
