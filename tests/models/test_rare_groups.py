"""Rare training groups: pooled into their nearest frequent superset for the objective; superset augmentation."""

import numpy as np
from model_data import make_data

from missmodal.train import fit_model
from missmodal.train.rare import pool_rare_groups, pooled_names, superset_augmented


def test_rare_groups_join_their_nearest_frequent_superset_or_the_rare_pool():
    # codes over 3 modalities: a=1, b=2, c=4
    codes = np.array([1, 2, 3, 4, 5, 7])  # a, b, a+b, c, a+c, a+b+c
    counts = np.array([50, 3, 40, 2, 30, 4])
    mapping, pooled, representatives = pool_rare_groups(codes, counts, min_size=10)
    names = pooled_names(representatives, ["a", "b", "c"])
    assert names == ["a", "a+b", "a+c", "rare"]
    # b (3) -> a+b (one extra modality); c (2) -> a+c; a+b+c (4) has no frequent superset -> rare
    assert [names[k] for k in mapping] == ["a", "a+b", "a+b", "a+c", "a+c", "rare"]
    assert pooled == [50, 43, 32, 4]


def test_ties_between_supersets_go_to_the_larger_group():
    mapping, _, representatives = pool_rare_groups(np.array([1, 3, 5]), np.array([2, 20, 30]), min_size=10)
    assert representatives[mapping[0]] == 5


def test_without_rare_groups_nothing_is_pooled():
    mapping, pooled, _ = pool_rare_groups(np.array([1, 2, 3]), np.array([10, 11, 12]), min_size=10)
    assert mapping.tolist() == [0, 1, 2] and pooled == [10, 11, 12]


def test_superset_augmentation_tops_rare_groups_up_with_masked_superset_samples():
    observed = np.array([[1, 1, 1]] * 20 + [[1, 0, 0]] * 2 + [[0, 1, 1]] * 15, dtype=bool)
    data = make_data(n=len(observed), observed=observed)
    augmented, added = superset_augmented(data, min_size=10, seed=0)
    assert added == {"m0": 8}
    assert augmented.group_counts()[1] == 10 and augmented.n_samples == data.n_samples + 8
    extra_ids = augmented.ids[data.n_samples:]
    source = data.subset(np.isin(data.ids, extra_ids))
    assert source.is_complete().all()  # copies come from the supersets (here only m0+m1+m2 contains m0)
    rows = {i: r for r, i in enumerate(data.ids)}
    for k, sample in enumerate(extra_ids):
        assert np.array_equal(augmented.modalities["m0"][data.n_samples + k], data.modalities["m0"][rows[sample]])
        assert np.isnan(augmented.modalities["m1"][data.n_samples + k]).all()
    again, _ = superset_augmented(data, min_size=10, seed=0)
    assert np.array_equal(again.ids, augmented.ids)


def test_group_dro_weights_are_over_pooled_groups_and_recorded(data):
    train, val = data.split((0.75, 0.25), seed=0)
    fitted = fit_model(train, val, model="late", loss="group-dro", epochs=2, batch_size=32, patience=None, min_group_size=20)
    objective_groups = fitted.info["objective_groups"]
    assert set(fitted.history[-1]["group_weights"]) == set(objective_groups)
    assert sum(objective_groups.values()) == train.n_samples
    assert all(count >= 20 for name, count in objective_groups.items() if name != "rare")
    assert len(objective_groups) < len(train.group_counts())


def test_training_with_superset_augmentation_records_what_it_added():
    observed = np.array([[1, 1, 1]] * 60 + [[1, 0, 0]] * 3 + [[0, 1, 1]] * 40, dtype=bool)
    train = make_data(n=len(observed), observed=observed)
    fitted = fit_model(train, train, model="late", loss="group-dro", epochs=1, superset_augmentation=True, min_group_size=10)
    assert fitted.info["superset_augmentation"] == {"m0": 7}
    assert fitted.train_group_counts[1] == 3  # the model's training counts stay the real ones
