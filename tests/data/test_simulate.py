import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missmodal import MissmodalError, MultimodalData
from missmodal.data import load_dataset, simulate_missingness


def _data(n=4000, m=4, seed=0, covariates=False):
    rng = np.random.default_rng(seed)
    return MultimodalData({f"m{i}": rng.normal(size=(n, 3)) for i in range(m)}, target=rng.integers(0, 3, n),
                          covariates=rng.normal(size=(n, 2)) if covariates else None)


@settings(max_examples=20, deadline=None)
@given(share=st.floats(0.05, 0.9), m=st.integers(2, 6), seed=st.integers(0, 1000))
def test_mcar_hits_the_rate_and_keeps_one_modality(share, m, seed):
    rate = share * (m - 1) / m  # (M - 1) / M is the most that keeps one modality per sample
    result = simulate_missingness(_data(m=m, seed=seed), "mcar", rate=rate, seed=seed)
    assert result.observed.any(axis=1).all()
    assert abs((1 - result.observed.mean()) - rate) < 0.04


@settings(max_examples=10, deadline=None)
@given(rate=st.floats(0.1, 0.7), mechanism=st.sampled_from(["mar", "mnar"]), seed=st.integers(0, 1000))
def test_driven_mechanisms_hit_the_rate(rate, mechanism, seed):
    data = _data(seed=seed)
    result = simulate_missingness(data, mechanism, rate=rate, seed=seed)
    assert result.observed.any(axis=1).all()
    maskable = slice(1, None) if mechanism == "mar" else slice(None)
    assert abs((1 - result.observed[:, maskable].mean()) - rate) < 0.04


def test_mar_keeps_drivers_observed_and_depends_on_them():
    data = _data(n=20000)
    result = simulate_missingness(data, "mar", rate=0.5, seed=1, always_observed=["m0"], strength=3.0)
    assert result.observed[:, 0].all()
    driver = data.modalities["m0"]
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    y = result.observed[:, 1]
    auc = roc_auc_score(y, LogisticRegression().fit(driver, y).predict_proba(driver)[:, 1])
    assert auc > 0.75


def test_mcar_presence_is_not_predictable():
    data = _data(n=20000)
    result = simulate_missingness(data, "mcar", rate=0.5, seed=1)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    x, y = data.modalities["m0"], result.observed[:, 1]
    assert abs(roc_auc_score(y, LogisticRegression().fit(x, y).predict_proba(x)[:, 1]) - 0.5) < 0.03


def test_mnar_label_driven_rates_differ_by_class():
    data = _data(n=20000)
    result = simulate_missingness(data, "mnar", rate=0.5, seed=2, driver="label", strength=2.0)
    by_class = [1 - result.observed[data.target == c, 0].mean() for c in range(3)]
    assert max(by_class) - min(by_class) > 0.2


def test_zipf_gives_a_long_tail_of_groups():
    result = simulate_missingness(load_dataset("mfeat"), "zipf", exponent=1.0, seed=0)
    counts = sorted(result.group_counts().values(), reverse=True)
    assert len(counts) > 40 and counts[0] > 10 * counts[len(counts) // 2]
    assert result.observed.any(axis=1).all()


def test_exact_shares_are_exact():
    result = simulate_missingness(_data(n=1000), "exact", shares={"m0+m1": 0.6, "m2": 0.25, "m3": 0.15}, seed=0)
    assert result.group_counts() == {0b0011: 600, 0b0100: 250, 0b1000: 150}


def test_simulation_is_seeded_and_recorded():
    a = simulate_missingness(_data(), "mcar", rate=0.3, seed=5)
    b = simulate_missingness(_data(), "mcar", rate=0.3, seed=5)
    assert np.array_equal(a.observed, b.observed)
    assert a.metadata["missingness"]["mechanism"] == "mcar" and a.metadata["missingness"]["seed"] == 5


def test_simulation_never_reveals_existing_gaps(tiny_data):
    result = simulate_missingness(tiny_data, "mcar", rate=0.2, seed=0)
    assert not (result.observed & ~tiny_data.observed).any()


def test_unreachable_rate_is_refused():
    with pytest.raises(MissmodalError, match="cannot be reached while keeping one modality"):
        simulate_missingness(_data(m=2), "mcar", rate=0.6)


def test_bad_rate_is_named():
    with pytest.raises(MissmodalError, match="missing rates must be in"):
        simulate_missingness(_data(), "mcar", rate=1.2)
    with pytest.raises(MissmodalError, match="unknown missingness mechanism"):
        simulate_missingness(_data(), "sometimes")


@pytest.mark.parametrize("mechanism, params", [("mcar", {"rate": 0.6}), ("mar", {"rate": 0.6}), ("zipf", {})])
def test_simulating_on_data_with_gaps_keeps_one_modality_per_sample(mechanism, params):
    rng = np.random.default_rng(0)
    observed = np.ones((2000, 3), bool)
    observed[:, 1] = rng.random(2000) < 0.5  # m1 already missing in about half the rows
    data = MultimodalData({f"m{i}": rng.normal(size=(2000, 2)) for i in range(3)}, observed=observed,
                          covariates=rng.normal(size=(2000, 1)))
    result = simulate_missingness(data, mechanism, seed=0, **params)
    assert result.observed.any(axis=1).all()
    assert not (result.observed & ~observed).any()  # existing gaps stay gaps
    assert "restored_rows" not in result.metadata["missingness"]["params"]  # drawn conditioned, never repaired


def test_simulating_on_data_with_gaps_hits_the_rate_on_the_originally_observed_slots():
    rng = np.random.default_rng(0)
    observed = np.ones((20000, 3), bool)
    observed[:, 1] = rng.random(20000) < 0.5
    data = MultimodalData({f"m{i}": rng.normal(size=(20000, 2)) for i in range(3)}, observed=observed)
    result = simulate_missingness(data, "mcar", rate=[0.5, 0.3, 0.5], seed=1)
    for m, rate in enumerate([0.5, 0.3, 0.5]):
        assert 1 - result.observed[observed[:, m], m].mean() == pytest.approx(rate, abs=0.015)


@pytest.mark.parametrize("mechanism, params", [("mcar", {"rate": [0.9, 0.6, 0.3]}),
                                               ("mnar", {"rate": [0.9, 0.6, 0.3], "driver": "label", "strength": 2.0})])
def test_each_modality_hits_its_own_rate_under_the_at_least_one_constraint(mechanism, params):
    # The old common shift drifted to [0.933, 0.658, 0.210] (MCAR) and [0.973, 0.766, 0.061] (label MNAR).
    data = _data(n=30000, m=3)
    result = simulate_missingness(data, mechanism, seed=0, **params)
    assert result.observed.any(axis=1).all()
    np.testing.assert_allclose(1 - result.observed.mean(axis=0), params["rate"], atol=0.01)
    assert result.metadata["missingness"]["params"]["rate_warning"] is None


def test_rates_missed_by_more_than_the_tolerance_are_warned_about():
    with pytest.warns(UserWarning, match="differ from the requested"):
        result = simulate_missingness(_data(n=40, m=3), "mcar", rate=[0.5, 0.5, 0.5], seed=4)
    assert result.metadata["missingness"]["params"]["rate_warning"]


def test_zipf_on_data_with_gaps_draws_only_groups_that_keep_an_observed_modality():
    rng = np.random.default_rng(0)
    observed = np.c_[rng.random(3000) < 0.5, np.ones(3000, bool), np.ones(3000, bool)]
    observed[:, 1] = ~observed[:, 0]
    data = MultimodalData({f"m{i}": rng.normal(size=(3000, 2)) for i in range(3)}, observed=observed)
    result = simulate_missingness(data, "zipf", exponent=0.5, seed=0)
    assert result.observed.any(axis=1).all() and not (result.observed & ~observed).any()
