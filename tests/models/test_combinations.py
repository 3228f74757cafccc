"""All-combinations evaluation and groups unseen in training."""

import numpy as np
import pytest
from model_data import make_data

from missmodal.errors import MissmodalError
from missmodal.evaluate.combinations import all_combinations
from missmodal.train import evaluate_model, fit_model


def test_all_combinations_covers_every_non_empty_group_with_the_same_samples():
    data = make_data(n=40, dims=(2, 2, 2, 2), missing=0.2)
    expanded = all_combinations(data)
    complete = int(data.is_complete().sum())
    assert expanded.n_samples == complete * 15
    codes, counts = np.unique(expanded.group_codes(), return_counts=True)
    assert codes.tolist() == list(range(1, 16)) and set(counts) == {complete}
    assert np.array_equal(expanded.target[:complete], expanded.target[-complete:])


def test_all_combinations_masks_absent_values_with_nan():
    expanded = all_combinations(make_data(n=20, missing=0.0))
    only_first = expanded.group_codes() == 1
    assert np.isnan(expanded.modalities["m1"][only_first]).all()
    assert np.isfinite(expanded.modalities["m0"][only_first]).all()


def test_all_combinations_needs_complete_samples():
    data = make_data(n=20, observed=np.tile([True, False, True], (20, 1)))
    with pytest.raises(MissmodalError, match="every modality observed"):
        all_combinations(data)


def test_all_combinations_report_has_2_to_the_m_minus_1_groups_with_head_and_tail_from_training():
    observed = np.tile([True, True, True], (200, 1))
    observed[:30, 2] = False  # training groups: m0+m1+m2 (85%, head) and m0+m1 (15%, tail)
    train = make_data(n=200, observed=observed)
    fitted = fit_model(train, model="attention", epochs=2)
    report = evaluate_model(fitted, make_data(n=30, missing=0.0, seed=1), all_combinations=True)
    assert report["n_groups"] == 7 and report["all_combinations"]
    head = {g["name"] for g in report["groups"] if g["head"]}
    assert head == {"m0+m1+m2"}
    assert {"overall", "head", "tail", "worst_group", "groups"} <= set(report)
    assert {"accuracy", "f1_micro", "f1_macro"} <= set(report["overall"])
    assert {"name", "count", "accuracy"} <= set(report["worst_group"])


@pytest.mark.parametrize("model", ["remind", "flexmoe", "missing-token"])
def test_a_group_unseen_in_training_gets_fallback_predictions_and_is_flagged(model):
    observed = np.tile([True, True, False], (150, 1))
    observed[75:] = [True, False, True]
    train = make_data(n=150, observed=observed)  # groups m0+m1 and m0+m2 only
    params = {"per_group": True} if model == "missing-token" else {}
    fitted = fit_model(train, model=model, epochs=2, model_params=params)
    test = make_data(n=30, observed=np.tile([False, True, True], (30, 1)), seed=2)  # group m1+m2
    scores = fitted.predict_proba(test)
    assert np.isfinite(scores).all() and np.allclose(scores.sum(axis=1), 1)
    assert not fitted.seen_in_training(test).any()
    report = evaluate_model(fitted, test)
    assert report["unseen_groups"] == ["m1+m2"] and report["groups"][0]["seen_in_training"] is False
