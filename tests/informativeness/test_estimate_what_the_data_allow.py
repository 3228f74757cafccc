"""Informativeness at high missingness, with saturating predictors, across seeds, and its intervals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missmodal.data import MultimodalData
from missmodal.informativeness import Informativeness, cross_fitted_proba
from missmodal.informativeness.metrics import bias_corrected
from missmodal.informativeness.predictors import PROBABILITY_BOUND, bound_probabilities, build_predictor, fold_count
from missmodal.informativeness.sensitivity import sensitivity_analysis


def _sparse_cohort(n=400, seed=0, offset=1.2):
    """Three binary modalities that each predict y, an always-observed covariate c; each modality observed with
    probability sigmoid(c - offset), so that (at the default offset) few samples, about 3%, have all three."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    c = rng.normal(size=n)
    x = {m: np.where(rng.random(n) < 0.8, y, 1 - y).astype(float)[:, None] for m in ("a", "b", "d")}
    observed = rng.random((n, 3)) < 1 / (1 + np.exp(-(c[:, None] - offset)))
    observed[~observed.any(axis=1), 0] = True
    return MultimodalData(x, observed=observed, target=y, covariates=c[:, None], covariate_names=["c"])


def test_few_complete_cases_give_dr_estimates_and_named_refusals():
    data = _sparse_cohort()
    n_complete = int(data.observed.all(axis=1).sum())
    assert n_complete < 20
    report = Informativeness(predictor="frequency", n_bootstrap=0).fit(data).to_dict()
    assert report["naive"] is None and report["corrected"] is None
    for variant in ("naive", "corrected"):
        assert set(report["refused"][variant]) == set(report["subsets"])
        assert f"only {n_complete} samples have all of a+b+d observed" in report["refused"][variant]["a"]
    dr = report["dr"]
    assert all(dr["information_bits"][m] > 0.1 for m in ("a", "b", "d"))  # each modality carries ~0.28 bits
    assert report["diagnostics"]["dr"]["a"]["n_observed"] == int(data.observed[:, 0].sum())
    assert [row["variant"] for row in report["ranking"]] == ["dr"] * 3
    assert report["sensitivity"] is None


def test_a_subset_with_too_few_samples_of_a_class_is_refused_alone():
    data = _sparse_cohort(seed=1)
    observed = data.observed.copy()
    positive, negative = (np.flatnonzero(observed[:, 2] & (data.target == k)) for k in (1, 0))
    keep = np.r_[positive[:1], negative[:8]]  # d observed on one positive and eight negatives
    observed[:, 2] = False
    observed[keep, 2] = True
    observed[~observed.any(axis=1), 0] = True
    report = Informativeness(predictor="frequency", n_bootstrap=0).fit(data.replace(observed=observed)).to_dict()
    assert report["refused"]["dr"]["d"] == ("9 samples have d observed: a class has only 1 sample(s) of 9; "
                                            "cross-fitting needs at least 2 per class")
    assert report["dr"]["information_bits"]["d"] is None and report["dr"]["information_bits"]["a"] is not None


def test_folds_adapt_to_the_smallest_class_with_a_floor():
    assert fold_count(np.array([0] * 10 + [1] * 2), 5) == 2
    assert fold_count(np.array([0] * 10 + [1] * 10), 3) == 3
    with pytest.raises(Exception, match="only 1 sample"):
        fold_count(np.array([0] * 10 + [1]), 3)


def test_a_saturated_fold_cannot_blow_up_the_cross_entropy():
    # a frequency table of one-hot x, where one positive sits alone in a cell of negatives: its held-out
    # probability of y = 1 would be ~0 (a cross-entropy of ~40 bits), bounded now at log2(1 / 1e-3)
    x = np.r_[np.zeros(60), np.ones(60)][:, None]
    y = np.r_[np.zeros(59), 1, np.ones(60)].astype(int)
    proba, _ = cross_fitted_proba(x, y, None, "frequency", n_folds=3, seed=0, n_classes=2)
    assert proba.min() >= PROBABILITY_BOUND * 0.999 and np.allclose(proba.sum(axis=1), 1)
    nll = -np.log2(proba[np.arange(len(y)), y])
    assert nll.max() <= np.log2(1 / PROBABILITY_BOUND) + 1e-6
    bounded = bound_probabilities(np.array([[1.0, 0.0], [0.3, 0.7]]))
    assert bounded[0, 1] == pytest.approx(PROBABILITY_BOUND / (1 - PROBABILITY_BOUND + PROBABILITY_BOUND))
    assert bounded[1] == pytest.approx([0.3, 0.7])


def test_repeated_cross_fitting_makes_the_estimate_stable_across_seeds():
    data = _sparse_cohort(n=500, seed=3, offset=-1.0)  # about 45% complete cases
    spread = {}
    for repeats in (1, 3):
        values = [Informativeness(predictor="logistic", n_bootstrap=0, n_repeats=repeats, seed=seed).fit(data)
                  .to_dict()["corrected"]["information_bits"]["a+b+d"] for seed in range(4)]
        spread[repeats] = float(np.std(values, ddof=1))
    assert spread[3] <= 0.03 and spread[3] < 0.7 * spread[1]  # 0.017 vs 0.029 bits


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=2, max_size=40), st.sampled_from(["gain_bits", "information_bits", "auroc"]))
def test_the_bias_corrected_estimate_lies_inside_its_interval(values, quantity):
    estimate, interval = bias_corrected(np.asarray(values), quantity)
    assert interval[0] - 1e-12 <= estimate <= interval[1] + 1e-12


def test_every_reported_estimate_lies_inside_its_interval():
    from missmodal.data import load_dataset, simulate_missingness

    data = load_dataset("logic", gate="or", n_samples=600)
    p = np.c_[np.ones(600), 0.3 + 0.5 * data.modalities["x1"][:, 0]]
    data = simulate_missingness(data, "custom", p_observed=p, seed=0)
    report = Informativeness(pair=("x1", "x2"), predictor="frequency", n_bootstrap=8, n_repeats=1).fit(data).to_dict()
    checked = 0
    for variant in ("naive", "corrected", "dr"):
        for quantity in ("information_bits", "gain_bits", "auroc", "cross_entropy"):
            for name, value in report[variant][quantity].items():
                low, high = report["intervals"][variant][quantity][name]
                assert low - 1e-12 <= value <= high + 1e-12, (variant, quantity, name)
                checked += 1
        for term in ("redundancy", "synergy"):
            if report[variant].get("pid"):
                low, high = report["intervals"][variant]["pid"][term]
                assert low - 1e-12 <= report[variant]["pid"][term] <= high + 1e-12
    assert checked > 20
    for row in report["ranking"]:
        assert row["distinguishable_from_zero"] == (row["interval"][0] > 0 or row["interval"][1] < 0)


def test_tied_gains_have_no_tipping_point():
    def evaluate(weights):  # two modalities that carry nothing: both gains 0 whatever the weights
        return {"information_bits": {"a": 0.0, "b": 0.0, "a+b": 0.0}, "gain_bits": {"a": 0.0, "b": 0.0}}

    result = sensitivity_analysis(evaluate, np.full(10, 0.5), np.linspace(-1, 1, 10))
    assert result["tipping_point"] is None and result["note"].startswith("gains tie: no ranking")


def test_a_validated_predictor_fits_a_few_samples_of_many_classes():
    # 40 samples, 4 of each of 10 classes (mfeat at 50% MCAR on six modalities has 32 complete cases): a stratified
    # validation part of 8 cannot hold every class; the split is then unstratified instead of failing the estimate
    rng = np.random.default_rng(0)
    y = np.arange(10).repeat(4)
    x = y[:, None] + rng.normal(scale=0.3, size=(40, 2))
    model = build_predictor("logistic", seed=0).fit(x, y, np.ones(40), n_classes=10)
    proba = model.predict_proba(x)
    assert proba.shape == (40, 10) and np.allclose(proba.sum(axis=1), 1)
    assert (proba.argmax(axis=1) == y).mean() > 0.5


def test_the_bc_interval_is_the_percentile_one_without_bias_and_moves_up_with_a_low_biased_bootstrap():
    rng = np.random.default_rng(0)
    centred = rng.normal(0.5, 0.1, 4000)
    estimate, interval = bias_corrected(np.r_[0.5, centred], "information_bits")
    assert estimate == pytest.approx(0.5, abs=0.01)
    assert interval == pytest.approx(np.quantile(centred, [0.025, 0.975]).tolist(), abs=0.01)
    shifted = centred - 0.1  # refitted resamples one sd below the plug-in estimate
    moved_estimate, moved = bias_corrected(np.r_[0.5, shifted], "information_bits")
    assert moved_estimate > np.median(shifted) + 0.05 and moved[0] > np.quantile(shifted, 0.025) + 0.05
    at_zero = bias_corrected(np.r_[0.0, np.zeros(30), rng.uniform(0, 0.1, 20)], "information_bits")
    assert at_zero[1][0] == 0.0 and at_zero[1][1] > 0.0  # an information at its bound keeps a real interval
