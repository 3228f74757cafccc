"""The concept-shift simulator: exact Bayes accuracy per group against Monte Carlo, Zipf tail, seeding."""

import numpy as np
import pytest

from missmodal.data.concept_shift import bayes_accuracy, concept_shift_cohort
from missmodal.errors import MissmodalError


def test_formula_matches_direct_simulation():
    # Independent of the module's sampler: f ~ N(0, k), y = 1[f + sigma eps > 0], Bayes predicts 1[f > 0].
    rng = np.random.default_rng(0)
    for k in (1, 2, 5):
        f = rng.standard_normal(400_000) * np.sqrt(k)
        agree = np.mean((f > 0) == (f + 0.6 * rng.standard_normal(f.size) > 0))
        assert abs(agree - bayes_accuracy(k, 0.6)) < 0.004


def test_bayes_classifier_reaches_the_analytic_accuracy_in_every_group():
    cohort = concept_shift_cohort(n_train=200, n_val=50, n_test_per_group=3000, seed=3)
    test = cohort.test
    correct = cohort.bayes_predict(test) == test.target
    codes = test.group_codes()
    for code, expected in cohort.bayes.items():
        rows = codes == code
        se = np.sqrt(expected * (1 - expected) / rows.sum())
        assert abs(correct[rows].mean() - expected) < 4 * se, code
    assert abs(correct.mean() - cohort.bayes_of(test)) < 0.01
    assert min(cohort.bayes.values()) == pytest.approx(bayes_accuracy(1, 0.6))


def test_concept_shift_functions_disagree_and_training_is_long_tailed():
    cohort = concept_shift_cohort(seed=0)
    assert len({tuple(a) for a in cohort.functions}) == 3
    assert sorted(set(cohort.assignment.values())) == [0, 1, 2]
    counts = sorted(cohort.train.group_counts().values())
    assert counts[-1] > 20 * counts[0]  # Zipf: the head group dwarfs the tail
    assert set(cohort.test.group_counts().values()) == {300} and len(cohort.test.group_counts()) == 31
    # the label of a group follows its own function: the global-function classifier fails on flipped groups
    codes = cohort.test.group_codes()
    flipped = [c for c, k in cohort.assignment.items() if k == 1]
    rows = np.isin(codes, flipped)
    correct = cohort.bayes_predict(cohort.test) == cohort.test.target
    assert correct[rows].mean() > 0.8


def test_same_seed_same_cohort_and_bad_parameters():
    a, b = concept_shift_cohort(n_train=100, n_val=20, n_test_per_group=5, seed=1), concept_shift_cohort(
        n_train=100, n_val=20, n_test_per_group=5, seed=1)
    np.testing.assert_array_equal(a.train.target, b.train.target)
    np.testing.assert_array_equal(a.test.modalities["m2"], b.test.modalities["m2"])
    with pytest.raises(MissmodalError, match="noise"):
        concept_shift_cohort(noise=0)
    with pytest.raises(MissmodalError, match="n_functions"):
        concept_shift_cohort(n_modalities=2, n_functions=5)
