"""The ICYM2I toy with known answers: logic gates, N = 10000, x2 observed with P = 0.2 + 0.6 x1.

Truths are computed here exactly from the population distribution (x1, x2 ~ Bernoulli(0.5)): the Bayes
AUROC of p(y | x_k) by enumerating sample pairs, and the PID by the grid-search solver of the PID tests.
"""

import numpy as np
import pytest
from test_icym2i_pid import GATES, exact_pid_by_grid

from missmodal.data import load_dataset, simulate_missingness
from missmodal.informativeness import Informativeness

N = 10_000


def population(gate, observed_weight=None):
    """p(x1, x2, y) of the full population, or of the complete cases when ``observed_weight(x1)`` is given."""
    table = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            table[a, b, GATES[gate](a, b)] = 0.25 * (1.0 if observed_weight is None else observed_weight(a))
    return table / table.sum()


def bayes_auroc(table, axis):
    """AUROC of the score p(y=1 | x_k) under the joint table: P(score+ > score-) + P(tie) / 2."""
    pxy = table.sum(axis=1 - axis)  # (2, 2): x_k, y
    score = pxy[:, 1] / pxy.sum(axis=1)
    pos, neg = pxy[:, 1] / pxy[:, 1].sum(), pxy[:, 0] / pxy[:, 0].sum()
    return sum(pos[i] * neg[j] * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
               for i in (0, 1) for j in (0, 1))


def observe_x2(x1):
    return 0.2 + 0.6 * x1


@pytest.fixture(scope="module")
def reports():
    results = {}
    for gate in GATES:
        data = load_dataset("logic", gate=gate, n_samples=N, seed=0)
        p_observed = np.c_[np.ones(N), observe_x2(data.modalities["x1"][:, 0])]
        data = simulate_missingness(data, "custom", p_observed=p_observed, seed=1)
        results[gate] = Informativeness(pair=("x1", "x2"), n_bootstrap=30, predictor="frequency", interval="fixed", seed=0).fit(data).to_dict()
    return results


@pytest.mark.parametrize("gate", sorted(GATES))
def test_corrected_unimodal_auroc_matches_full_data_bayes_value(reports, gate):
    truth = population(gate)
    for axis, name in enumerate(("x1", "x2")):
        # abs 0.04: a cross-fitted AUROC of an uninformative modality sits 0.01-0.03 below 0.5 (out-of-fold
        # frequencies are anti-correlated with the held-out labels; 0.484 +- 0.010 over 8 seeds on xor)
        assert reports[gate]["corrected"]["auroc"][name] == pytest.approx(bayes_auroc(truth, axis), abs=0.04)


@pytest.mark.parametrize("gate", sorted(GATES))
def test_corrected_pid_matches_exact_full_data_pid(reports, gate):
    pid = reports[gate]["corrected"]["pid"]
    estimate = [pid["unique"]["x1"], pid["unique"]["x2"], pid["redundancy"], pid["synergy"]]
    np.testing.assert_allclose(estimate, exact_pid_by_grid(population(gate)), atol=0.05)


def test_naive_xor_pid_is_the_complete_case_population_and_shows_the_bias(reports):
    complete_case_truth = exact_pid_by_grid(population("xor", observe_x2))
    naive = reports["xor"]["naive"]["pid"]
    assert naive["unique"]["x2"] == pytest.approx(complete_case_truth[1], abs=0.05)
    assert naive["unique"]["x2"] > 0.2  # ~0.28 bits of spurious unique information
    assert reports["xor"]["corrected"]["pid"]["unique"]["x2"] < 0.05


def test_naive_unimodal_auroc_is_biased_for_xor(reports):
    assert reports["xor"]["naive"]["auroc"]["x2"] > 0.7
    assert reports["xor"]["corrected"]["auroc"]["x2"] == pytest.approx(0.5, abs=0.04)  # see above


def test_report_uses_the_exact_estimator_and_x1_as_propensity_feature(reports):
    report = reports["and"]
    assert report["diagnostics"]["pid_estimator"] == "exact"
    assert report["diagnostics"]["propensity"]["features"] == ["x1"]
    assert report["correction"]["status"] == "applied"
    pid = report["corrected"]["pid"]
    lo, hi = report["intervals"]["corrected"]["pid"]["synergy"]
    assert lo <= pid["synergy"] <= hi
