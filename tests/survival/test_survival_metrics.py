"""Survival metrics against scikit-survival (an independent implementation) and against known answers."""

import numpy as np
import pytest

from missmodal.evaluate import survival as sm

sksurv_metrics = pytest.importorskip("sksurv.metrics")
from sksurv.nonparametric import kaplan_meier_estimator  # noqa: E402
from sksurv.util import Surv  # noqa: E402


def cohort(n=300, seed=0, ties=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    event_time = rng.exponential(np.exp(-x))
    censor = rng.exponential(1.5, n)
    time = np.minimum(event_time, censor)
    if ties:
        time = np.ceil(time * 20) / 20  # tied times, events and censorings at the same time
    event = event_time <= censor
    risk = x + 0.5 * rng.normal(size=n)
    if ties:
        risk = np.round(risk, 1)  # tied risks
    return time, event, risk


@pytest.mark.parametrize("seed", [0, 1])
def test_kaplan_meier_and_censoring_distribution_match_sksurv(seed):
    time, event, _ = cohort(seed=seed)
    for reverse in (False, True):
        times, values = sm.kaplan_meier(time, event, reverse=reverse)
        ref_times, ref_values = kaplan_meier_estimator(event, time, reverse=reverse)
        np.testing.assert_allclose(times, ref_times)
        np.testing.assert_allclose(values, ref_values, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_c_indices_match_sksurv(seed):
    time, event, risk = cohort(seed=seed)
    train_time, train_event, _ = cohort(400, seed=seed + 10)
    harrell = sksurv_metrics.concordance_index_censored(event, time, risk)[0]
    assert sm.harrell_c(time, event, risk) == pytest.approx(harrell, abs=1e-6)
    train, test = Surv.from_arrays(train_event, train_time), Surv.from_arrays(event, time)
    tau = np.quantile(time, 0.8)
    uno = sksurv_metrics.concordance_index_ipcw(train, test, risk, tau=tau)[0]
    assert sm.uno_c(time, event, risk, reference=(train_time, train_event), tau=tau) == pytest.approx(uno, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 3])
def test_auc_and_brier_match_sksurv(seed):
    time, event, risk = cohort(seed=seed)
    train_time, train_event, _ = cohort(400, seed=seed + 10)
    train, test = Surv.from_arrays(train_event, train_time), Surv.from_arrays(event, time)
    horizons = np.quantile(time[event], [0.25, 0.5, 0.75])
    aucs, _ = sksurv_metrics.cumulative_dynamic_auc(train, test, risk, horizons)
    for h, expected in zip(horizons, aucs):
        assert sm.cumulative_dynamic_auc(time, event, risk, h, reference=(train_time, train_event)) == pytest.approx(expected, abs=1e-6)
    survival = np.exp(-np.outer(np.exp(risk), horizons))  # S_i(h) of an exponential model
    _, briers = sksurv_metrics.brier_score(train, test, survival, horizons)
    np.testing.assert_allclose(sm.brier_scores(time, event, survival, horizons, (train_time, train_event)), briers, atol=1e-6)
    grid = np.linspace(np.quantile(time, 0.05), np.quantile(time, 0.9), 30)
    ibs = sksurv_metrics.integrated_brier_score(train, test, np.exp(-np.outer(np.exp(risk), grid)), grid)
    assert sm.integrated_brier_score(time, event, np.exp(-np.outer(np.exp(risk), grid)), grid,
                                     (train_time, train_event)) == pytest.approx(ibs, abs=1e-6)


def test_ignoring_censoring_gives_a_visibly_different_answer():
    """Censoring that depends on time: treating censored samples as events (or dropping them) is biased."""
    rng = np.random.default_rng(5)
    n = 4000
    event_time = rng.exponential(1.0, n)
    censor = rng.uniform(0, 1.5, n)
    time, event = np.minimum(event_time, censor), event_time <= censor
    true_survival = np.exp(-1.0)
    km = sm.km_at(time, event, 1.0)
    naive = np.mean(time > 1.0)  # every censored sample counted as an event
    assert abs(km - true_survival) < 0.03
    assert abs(naive - true_survival) > 0.15
    # Brier score of the true model: the IPCW estimate recovers the complete-data value, the naive one does not
    survival = np.full((n, 1), true_survival)
    complete = np.mean((survival[:, 0] - (event_time > 1.0)) ** 2)
    ipcw = sm.brier_scores(time, event, survival, [1.0])[0]
    naive_brier = np.mean((survival[:, 0] - (time > 1.0)) ** 2)
    assert abs(ipcw - complete) < 0.02 and abs(naive_brier - complete) > 0.05


def test_concordance_known_answer_and_undefined_cases():
    # times 1..4, all events, risk reversed except one swapped pair: 5 of 6 pairs concordant
    assert sm.harrell_c([1, 2, 3, 4], [1, 1, 1, 1], [4, 3, 1, 2]) == pytest.approx(5 / 6)
    assert sm.harrell_c([1, 2], [0, 0], [1, 2]) is None  # no event, no comparable pair
    assert sm.cumulative_dynamic_auc([1, 2, 3], [1, 1, 1], [3, 2, 1], horizon=5) is None  # no control


def test_calibration_at_horizon_of_a_true_model_is_small():
    rng = np.random.default_rng(2)
    n = 3000
    x = rng.normal(size=n)
    event_time = rng.exponential(np.exp(-x))
    censor = rng.exponential(2.0, n)
    time, event = np.minimum(event_time, censor), event_time <= censor
    good = sm.calibration_at(time, event, np.exp(-np.exp(x) * 0.5), 0.5)
    bad = sm.calibration_at(time, event, np.exp(-np.exp(x) * 0.1), 0.5)
    assert good["error"] < 0.03 < bad["error"]
    assert len(good["bins"]) == 5 and sum(b["count"] for b in good["bins"]) == n
