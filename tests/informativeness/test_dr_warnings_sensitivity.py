"""The dr variant, the top-level warnings, the MNAR sensitivity analysis and the refitted bootstrap."""

import numpy as np
import pytest

from missmodal import MultimodalData
from missmodal.data import simulate_missingness
from missmodal.informativeness import Informativeness, informativeness_report
from missmodal.informativeness.assumptions import MAR_UNTESTABLE
from missmodal.informativeness.doubly_robust import _augmented_means
from missmodal.informativeness.sensitivity import tilted_weights, tipping_point


def test_augmented_mean_is_right_when_either_the_propensity_or_the_outcome_model_is():
    rng = np.random.default_rng(0)
    n = 200_000
    c = rng.normal(size=n)
    y = rng.integers(0, 2, n)
    loss = 1.0 + c + 0.5 * y + rng.normal(0, 0.1, n)
    pi = 1 / (1 + np.exp(-(0.3 + 1.5 * c)))
    observed = rng.random(n) < pi
    truth = loss.mean()
    evaluation = np.ones((1, n))
    right_outcome = (1.0 + c + 0.5 * y)[:, None]
    wrong_outcome = np.zeros((n, 1))
    losses = loss[observed][:, None]
    right_weight, wrong_weight = 1 / pi[observed], np.ones(observed.sum())
    assert _augmented_means(evaluation, observed, right_weight, losses, wrong_outcome)[0, 0] == pytest.approx(truth, abs=0.02)
    assert _augmented_means(evaluation, observed, wrong_weight, losses, right_outcome)[0, 0] == pytest.approx(truth, abs=0.02)
    both_wrong = _augmented_means(evaluation, observed, wrong_weight, losses, wrong_outcome)[0, 0]
    assert abs(both_wrong - truth) > 0.3  # the complete-case mean is biased, so the test can fail


def _mar_cohort(n=1500, seed=0):
    """Covariate c drives missingness of a (observed when c is high) and b (when c is low); b's effect on y
    grows with |c|, so the complete cases (c near 0) understate it; few complete cases."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    a, b = c + rng.normal(size=n), rng.normal(size=n)
    y = (a + 2 * b * np.abs(c) + rng.logistic(size=n) > 0).astype(int)
    observed = np.c_[rng.random(n) < 1 / (1 + np.exp(-(0.0 + 2 * c))), rng.random(n) < 1 / (1 + np.exp(-(0.0 - 2 * c)))]
    observed[~observed.any(axis=1), 0] = True
    full = MultimodalData({"a": a[:, None], "b": b[:, None]}, target=y, covariates=c[:, None], covariate_names=["c"])
    return full, full.with_observed(observed)


def test_dr_uses_every_sample_where_the_subset_is_observed_and_lands_closer_to_the_full_data_value():
    common = {"n_bootstrap": 0, "seed": 0}
    errors = {name: {"dr": 0.0, "naive": 0.0} for name in ("b", "a+b")}
    for cohort in range(3):  # summed over three cohorts: one cohort's errors are noisy
        full, data = _mar_cohort(seed=cohort)
        truth = Informativeness(**common).fit(full).to_dict()["naive"]["information_bits"]
        report = Informativeness(**common).fit(data).to_dict()
        assert report["diagnostics"]["dr"]["a"]["n_observed"] > 2 * report["diagnostics"]["n_complete"]
        for name, error in errors.items():
            for variant in error:
                error[variant] += abs(report[variant]["information_bits"][name] - truth[name])
    for error in errors.values():  # the complete cases (c near 0) understate b by 0.03-0.1 bits per cohort
        assert error["naive"] > 0.1 and error["dr"] < 0.75 * error["naive"]


def test_without_missingness_dr_equals_naive():
    full, _ = _mar_cohort(n=400)
    report = informativeness_report(full, bootstrap=0)
    assert report["dr"] == report["naive"] == report["corrected"]


def test_warnings_always_say_mar_cannot_be_tested_once_and_name_recorded_mnar():
    full, data = _mar_cohort(n=600)
    report = informativeness_report(data, bootstrap=0)
    assert report["warnings"].count(MAR_UNTESTABLE) == 1
    assert not any("mnar" in w for w in report["warnings"])
    mnar = simulate_missingness(full, "mnar", driver="label", rate=[0.0, 0.4], strength=2.0, seed=0)
    warnings = informativeness_report(mnar, bootstrap=0)["warnings"]
    assert any("not at random (mnar, driven by label)" in w for w in warnings)


def test_a_site_that_decides_who_has_a_modality_is_a_positivity_warning():
    rng = np.random.default_rng(1)
    n = 900
    site = rng.integers(0, 3, n).astype(float)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + x[:, 1] + rng.logistic(size=n) > 0).astype(int)
    observed = np.c_[np.ones(n, bool), (site != 2) & (rng.random(n) < 0.8)]
    data = MultimodalData({"a": x[:, :1], "b": x[:, 1:]}, observed=observed, target=y, covariates=site[:, None],
                          covariate_names=["site"])
    warnings = informativeness_report(data, bootstrap=0)["warnings"]
    flagged = [w for w in warnings if w.startswith("positivity")]
    assert len(flagged) == 1 and "the 297 samples with site = 2 include 0 complete cases" in flagged[0]
    assert "overlap population only" in flagged[0] and "(b observed in under 2%" in flagged[0]


def test_few_complete_cases_are_a_warning():
    _, data = _mar_cohort(n=700, seed=3)
    report = informativeness_report(data, bootstrap=0)
    assert report["diagnostics"]["n_complete"] < 100
    assert any(w.startswith("few complete cases") for w in report["warnings"])


def test_tilted_weights_at_zero_are_the_ipw_weights():
    propensity = np.array([0.2, 0.5, 0.8, 0.4])
    weights = tilted_weights(propensity, np.array([1.0, -1.0, 0.5, 0.0]), 0.0)
    np.testing.assert_allclose(weights, (1 / propensity) / (1 / propensity).mean())


def test_tipping_point_is_the_smallest_departure_that_changes_the_top_modality():
    top = lambda delta: "a" if delta < 0.63 else "b"  # noqa: E731
    result = tipping_point(top, [-1.0, -0.5, 0.5, 1.0])
    assert result["tipping_point"] == pytest.approx(0.63, abs=1e-6)
    assert result["top_at_mar"] == "a" and result["top_after"] == "b" and result["direction"] == "positive"
    assert tipping_point(lambda delta: "a", [-1.0, 1.0])["tipping_point"] is None


def _asymmetric_cohort(n=3000, seed=0):
    """a flags half of the positives, b half of the negatives, P(y=1) = 0.4: a leads at MAR, and a departure
    that up-weights predicted positives moves the effective prior past 0.5, where b leads."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    a = ((y == 1) & (rng.random(n) < 0.5)).astype(float)
    b = ((y == 0) & (rng.random(n) < 0.5)).astype(float)
    c = rng.normal(size=n)
    observed = np.c_[rng.random(n) < 1 / (1 + np.exp(-c)), rng.random(n) < 0.7]
    observed[~observed.any(axis=1), 1] = True
    return MultimodalData({"a": a[:, None], "b": b[:, None]}, observed=observed, target=y, covariates=c[:, None],
                          covariate_names=["c"])


def test_sensitivity_reproduces_the_corrected_gains_at_delta_zero_and_finds_the_tipping_point():
    report = informativeness_report(_asymmetric_cohort(), bootstrap=0, predictor="frequency", sensitivity=True)
    sensitivity = report["sensitivity"]
    at_zero = next(row for row in sensitivity["grid"] if row["delta"] == 0.0)
    for m, gain in report["corrected"]["gain_bits"].items():
        assert at_zero["gain_bits"][m] == pytest.approx(gain, abs=1e-9)
    assert sensitivity["top_at_mar"] == report["ranking"][0]["modality"] == "a"
    tipping = sensitivity["tipping_point"]
    assert 0 < tipping < 0.25 and sensitivity["top_after"] == "b" and sensitivity["direction"] == "positive"
    for row in sensitivity["grid"]:  # the grid agrees with the tipping point
        top = max(row["gain_bits"], key=row["gain_bits"].get)
        if 0 <= row["delta"] < tipping:
            assert top == "a"
    assert "logit" in sensitivity["model"]


def test_refitted_bootstrap_is_labelled_and_differs_from_the_fixed_one():
    data = _asymmetric_cohort(n=800, seed=4)
    params = {"n_bootstrap": 6, "predictor": "frequency", "seed": 1}
    refit = Informativeness(**params).fit(data).to_dict()
    assert refit["intervals"]["method"] == "refit" and "refitted in every resample" in refit["intervals"]["type"]
    fixed = Informativeness(interval="fixed", **params).fit(data).to_dict()
    assert "held fixed" in fixed["intervals"]["type"]
    assert fixed["intervals"]["corrected"] != refit["intervals"]["corrected"]
    for name, bits in refit["corrected"]["plug_in"]["information_bits"].items():  # same plug-in estimate
        assert fixed["corrected"]["information_bits"][name] == pytest.approx(bits, abs=1e-12)


@pytest.mark.slow
def test_refitted_bootstrap_is_the_same_in_parallel():
    data = _asymmetric_cohort(n=800, seed=4)
    params = {"n_bootstrap": 4, "predictor": "frequency", "seed": 1}
    assert Informativeness(**params).fit(data).to_dict()["intervals"] == \
        Informativeness(n_jobs=2, **params).fit(data).to_dict()["intervals"]


def test_registry_positivity_names_the_stratum_and_agrees_with_the_audit():
    from missmodal.audit import audit
    from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table
    from missmodal.data.schema import from_table

    data = from_table(registry_table(400, seed=0), schema=REGISTRY_SCHEMA)
    report = informativeness_report(data, bootstrap=0, n_folds=2, modalities=["labs", "exam", "imaging"])
    registry = int((data.covariates[:, data.covariate_names.index("source=registry")] == 1).sum())
    assert report["diagnostics"]["positivity"] == [{"stratum": "source=registry", "n_samples": registry, "n_complete": 0,
                                                    "unobserved": ["exam"], "overlap": 400 - registry}]
    violated = [w for w in report["warnings"] if w.startswith("positivity violated")]
    assert len(violated) == 1 and "overlap population only" in violated[0]
    assert not any("few, heavily weighted" in w for w in report["warnings"])  # ESS is fine: no contradiction
    propensity = report["diagnostics"]["propensity"]
    assert propensity["features"][:6] == ["age", "sex=F", "sex=M", "source=clinic", "source=registry",
                                          "exam.weight (observed in every row)"]
    assert "lipids.triglycerides observed" in propensity["columns"]  # not under study: with its mask
    assert not any(name.startswith(("labs.", "imaging.", "exam.sbp")) for name in propensity["columns"])  # never read
    same = {r["name"]: r["verdict"] for r in audit(data).mechanism}
    assert {r["name"]: r["verdict"] for r in report["diagnostics"]["mechanism"]} == {m: same[m] for m in ["labs", "exam", "imaging"]}
    assert same["exam"] == "evidence against MCAR"
